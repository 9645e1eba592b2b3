//! 党建引领 in the store: the organisation tree placed on regions and grids; members with their
//! names and phones sealed (a masked name shown); the households each member keeps contact with,
//! one member per household at a time, and the contacts; in-service members registered with
//! their community (双报到) and their service; activities with attendance; and the figures of a
//! place. The rules are `grassroots_domain::party`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::party::{ActivityKind, Attendance, ContactMeans, LinkCoverage, MemberRole, OrgKind};
use grassroots_domain::Actor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// A party organisation as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyOrg {
    pub id: Uuid,
    pub kind: OrgKind,
    pub name: String,
    pub parent_id: Option<Uuid>,
    /// The district, street, community or grid it stands at.
    pub place_code: String,
    /// The building a group is of (楼栋党小组).
    pub building: Option<String>,
    /// Members now, its own (a committee's are its branches').
    pub members: i64,
    pub created_at: DateTime<Utc>,
}

/// An organisation to set up, checked by the caller against its parent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOrg {
    pub kind: OrgKind,
    pub name: String,
    pub parent_id: Option<Uuid>,
    pub place_code: String,
    pub building: Option<String>,
}

/// Who a member is, as sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SealedPerson {
    pub name: String,
    pub phone: Option<String>,
}

/// A member as shown: the name masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyMember {
    pub id: Uuid,
    pub org_id: Uuid,
    pub community_code: String,
    /// The grid they live in or serve.
    pub grid_code: Option<String>,
    pub role: MemberRole,
    pub name_masked: String,
    /// Households they keep contact with now.
    pub linked_households: i64,
    pub left_at: Option<DateTime<Utc>>,
}

/// A member to enrol in a branch or group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMember {
    pub org_id: Uuid,
    pub community_code: String,
    pub grid_code: Option<String>,
    pub role: MemberRole,
    pub person: SealedPerson,
}

/// A member's place in the tree: where they move to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberPlace {
    pub org_id: Uuid,
    pub community_code: String,
    pub grid_code: Option<String>,
    pub role: MemberRole,
}

/// A household a member keeps contact with.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LinkedHousehold {
    pub household_id: Uuid,
    pub label: String,
    pub grid_code: String,
    pub linked_on: NaiveDate,
    /// The member's last contact with it.
    pub last_contact_on: Option<NaiveDate>,
}

/// A contact to record: a member reaching a household linked to them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewContact {
    pub member_id: Uuid,
    pub household_id: Uuid,
    pub contacted_on: NaiveDate,
    pub means: ContactMeans,
    pub topic: String,
    pub follow_up: Option<String>,
    /// A problem the contact raised, taken in as a case first.
    pub case_id: Option<Uuid>,
}

/// A contact as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyContact {
    pub id: Uuid,
    pub member_id: Uuid,
    pub member_masked: String,
    pub household_id: Uuid,
    pub household_label: String,
    pub grid_code: String,
    pub contacted_on: NaiveDate,
    pub means: ContactMeans,
    pub topic: String,
    pub follow_up: Option<String>,
    pub case_id: Option<Uuid>,
}

/// An in-service member registered with the community where they live (双报到).
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyRegistration {
    pub id: Uuid,
    pub community_code: String,
    pub grid_code: Option<String>,
    /// The organisation of their workplace (所在单位党组织).
    pub home_org: String,
    pub name_masked: String,
    pub registered_on: NaiveDate,
    /// Service recorded, in all.
    pub services: i64,
    pub hours: f64,
    pub ended_at: Option<DateTime<Utc>>,
}

/// A registration to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPartyRegistration {
    pub community_code: String,
    pub grid_code: Option<String>,
    pub home_org: String,
    pub person: SealedPerson,
    pub registered_on: NaiveDate,
}

/// What a registered member did in their community.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceRecord {
    pub id: Uuid,
    pub registration_id: Uuid,
    pub served_on: NaiveDate,
    pub half_hours: u32,
    pub what: String,
}

/// An activity to record with its attendance.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewActivity {
    pub org_id: Uuid,
    pub kind: ActivityKind,
    pub title: String,
    pub held_on: NaiveDate,
    pub venue: String,
    /// Each member expected, with how they attended.
    pub attendance: Vec<(Uuid, Attendance)>,
}

/// An activity as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyActivity {
    pub id: Uuid,
    pub org_id: Uuid,
    pub org_name: String,
    pub place_code: String,
    pub kind: ActivityKind,
    pub title: String,
    pub held_on: NaiveDate,
    pub venue: String,
    pub present: i64,
    pub on_leave: i64,
    pub absent: i64,
}

/// A grid's party figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridParty {
    pub grid_code: String,
    /// A branch or group stands in it.
    pub organised: bool,
    /// Members now who live in or serve it.
    pub members: i64,
    pub coverage: LinkCoverage,
}

/// Organisations of a kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OrgCount {
    pub kind: OrgKind,
    pub count: i64,
}

/// The party figures of places beside their grids': organisations, members, in-service
/// members and their hours, activities and attendance in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyTally {
    pub orgs: Vec<OrgCount>,
    pub members: i64,
    pub registered: i64,
    /// Service in the period, in half hours.
    pub service_half_hours: i64,
    pub activities: i64,
    /// Attendance at the period's activities: present, and expected (present, on leave or
    /// absent).
    pub present: i64,
    pub expected: i64,
}

#[async_trait]
pub trait PartyStore: Send + Sync {
    /// Sets up an organisation at a place the actor holds (`NotFound` otherwise); audited.
    async fn create_party_org(&self, actor: &Actor, new: &NewOrg, now: DateTime<Utc>) -> Result<PartyOrg>;
    async fn party_org(&self, id: Uuid) -> Result<Option<PartyOrg>>;

    /// Renames an organisation the actor holds; the organisation as renamed.
    async fn rename_party_org(&self, actor: &Actor, id: Uuid, name: &str, now: DateTime<Utc>) -> Result<PartyOrg>;

    /// Removes an organisation the actor holds that has no organisation under it, no member
    /// (now or before) and no activity.
    async fn remove_party_org(&self, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<()>;
    /// The organisations of the places, by place and rank: the tree's order.
    async fn party_orgs(&self, places: &PlaceFilter) -> Result<Vec<PartyOrg>>;
    /// Enrols a member in a branch or group at a place the actor holds: name and phone sealed,
    /// audited.
    async fn add_party_member(&self, actor: &Actor, new: &NewMember, now: DateTime<Utc>) -> Result<PartyMember>;
    async fn party_member(&self, id: Uuid) -> Result<Option<PartyMember>>;
    /// The members of the places now, by organisation and masked name.
    async fn party_members(&self, places: &PlaceFilter) -> Result<Vec<PartyMember>>;
    /// The name and phone in full, the reveal audited with its reason.
    async fn reveal_party_member(
        &self,
        actor: &Actor,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<SealedPerson>;
    /// A member leaves (moved away, transferred): their households are unlinked in the same
    /// transaction; audited.
    async fn party_member_leaves(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<()>;

    /// Moves a member who has not left to another branch or group, both held by the actor;
    /// moving to another community ends their household links. The member as moved.
    async fn transfer_party_member(
        &self,
        actor: &Actor,
        id: Uuid,
        to: &MemberPlace,
        now: DateTime<Utc>,
    ) -> Result<PartyMember>;
    /// Links households of the member's community to them, each in a grid the actor holds.
    /// One linked to another member already is refused on `households`, as is going past
    /// `MAX_LINKED_HOUSEHOLDS`; nothing is written then.
    async fn link_households(
        &self,
        actor: &Actor,
        member_id: Uuid,
        households: &[Uuid],
        on: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<Vec<LinkedHousehold>>;
    async fn unlink_household(
        &self,
        actor: &Actor,
        member_id: Uuid,
        household_id: Uuid,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The households a member keeps contact with now, with their last contact.
    async fn linked_households(&self, member_id: Uuid) -> Result<Vec<LinkedHousehold>>;
    /// Records a contact with a household linked to the member now (refused on
    /// `household_id` otherwise), in a grid the actor holds.
    async fn record_party_contact(&self, actor: &Actor, new: &NewContact, now: DateTime<Utc>) -> Result<PartyContact>;
    /// The contacts in the places, the newest first.
    async fn party_contacts(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<PartyContact>>;
    /// Registers an in-service member with a community the actor reaches; sealed, audited.
    async fn register_in_service(
        &self,
        actor: &Actor,
        new: &NewPartyRegistration,
        now: DateTime<Utc>,
    ) -> Result<PartyRegistration>;
    async fn registrations(&self, places: &PlaceFilter) -> Result<Vec<PartyRegistration>>;
    async fn registration(&self, id: Uuid) -> Result<Option<PartyRegistration>>;
    /// Records service of a registered member, in the community they registered with.
    async fn record_service(
        &self,
        actor: &Actor,
        registration_id: Uuid,
        served_on: NaiveDate,
        half_hours: u32,
        what: &str,
        now: DateTime<Utc>,
    ) -> Result<ServiceRecord>;
    async fn services_of(&self, registration_id: Uuid) -> Result<Vec<ServiceRecord>>;
    /// Records an activity of an organisation at a place the actor reaches, with attendance of
    /// members of it or of the organisations under it (refused on `attendance` otherwise).
    async fn record_party_activity(
        &self,
        actor: &Actor,
        new: &NewActivity,
        now: DateTime<Utc>,
    ) -> Result<PartyActivity>;
    /// The activities of the places, the latest first.
    async fn party_activities(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<PartyActivity>>;
    /// Every grid whose code begins with `within`: organised or not, members, and the coverage
    /// of 联户 as of `today` (Beijing).
    async fn party_grids(&self, within: &str, today: NaiveDate) -> Result<Vec<GridParty>>;
    /// The figures of the places, activities and service counted over `[from, to]` (days).
    async fn party_tally(&self, places: &PlaceFilter, from: NaiveDate, to: NaiveDate) -> Result<PartyTally>;
}
