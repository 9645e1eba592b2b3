//! Who helps (五社联动) in the store: social organisations, social workers, volunteers and
//! community self-organisations with their skills and time; their registration verified or
//! deactivated by staff of the place; the verified helpers of a skill that matching ranks; and
//! the points ledger, whose redemptions are refused beyond the balance in the statement that
//! takes them. The rules are `grassroots_domain::helpers` and `needs`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::helpers::{
    Availability, Commitment, HelperKind, HelperState, Qualification, Registration, Skill,
};
use grassroots_domain::Actor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// A registered helper, as staff and the helper read them (the name as `shown_name`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Helper {
    pub id: Uuid,
    pub kind: HelperKind,
    /// The community where a person lives, or the street or community an organisation serves.
    pub region_code: String,
    /// A person's masked name (张**), an organisation's name.
    pub shown_name: String,
    /// The resident account a person acts from.
    #[serde(skip)]
    pub resident_id: Option<Uuid>,
    pub credit_code: Option<String>,
    pub qualification: Option<Qualification>,
    pub certificate_no: Option<String>,
    /// Where a party member works.
    pub affiliation: Option<String>,
    pub skills: Vec<Skill>,
    pub availability: Availability,
    pub about: String,
    pub state: HelperState,
    /// Why it was deactivated.
    pub state_reason: Option<String>,
    pub state_at: Option<DateTime<Utc>>,
    pub points: Points,
    pub created_at: DateTime<Utc>,
}

/// A helper's confirmed time and points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Points {
    pub minutes_confirmed: i64,
    pub earned: i64,
    pub redeemed: i64,
}

impl Points {
    pub fn balance(self) -> i64 {
        self.earned - self.redeemed
    }
}

/// What is sealed of a helper: a person's name, or an organisation's name with the person to
/// contact and their phone.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HelperContact {
    pub name: String,
    pub contact: Option<String>,
    pub phone: Option<String>,
}

/// Whether points were earned (a need confirmed) or redeemed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum PointsKind {
    Earned,
    Redeemed,
}

/// An entry of a helper's points ledger.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PointsEntry {
    pub id: Uuid,
    pub kind: PointsKind,
    pub need_id: Option<Uuid>,
    pub minutes: i64,
    pub points: i64,
    /// What was redeemed.
    pub item: Option<String>,
    pub balance_after: i64,
    pub recorded_at: DateTime<Utc>,
}

/// A commitment with what it has delivered, and its deliveries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommitmentRecord {
    pub seq: i64,
    #[serde(flatten)]
    pub commitment: Commitment,
    pub delivered: i64,
    /// Oldest first.
    pub deliveries: Vec<Delivery>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Delivery {
    pub on: NaiveDate,
    pub amount: i64,
    pub note: Option<String>,
}

/// A verified helper of a skill, with the needs they have in hand.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Available {
    pub helper: Helper,
    pub open_tasks: u32,
}

/// A helper's place in a ranking by hours confirmed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankedHelper {
    pub helper_id: Uuid,
    pub shown_name: String,
    pub kind: HelperKind,
    pub region_code: String,
    pub minutes: i64,
}

/// Who registers a helper: a person for themselves, from their resident account, or staff
/// for an organisation of their places.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Registrant<'a> {
    Resident(Uuid),
    Staff(&'a Actor),
}

#[async_trait]
pub trait HelperStore: Send + Sync {
    /// A new registration, awaiting verification; audited. A resident registers once
    /// (`Conflict`), an organisation's code once (refused on `credit_code`); staff only in
    /// their places (`NotFound`).
    async fn register_helper(
        &self,
        by: Registrant<'_>,
        registration: &Registration,
        contact: &HelperContact,
        now: DateTime<Utc>,
    ) -> Result<Helper>;
    async fn helper(&self, id: Uuid) -> Result<Option<Helper>>;
    /// The registration of the person who signs in as this resident.
    async fn helper_of_resident(&self, resident: Uuid) -> Result<Option<Helper>>;
    /// The sealed name and contact, opened.
    async fn helper_contact(&self, id: Uuid) -> Result<HelperContact>;
    /// Helpers of the places, in a state if given, pending first then by name.
    async fn helpers(&self, places: &PlaceFilter, state: Option<HelperState>, limit: i64) -> Result<Vec<Helper>>;
    /// Verifies, deactivates (with the reason) or reactivates a helper of the actor's places;
    /// audited. `NotFound` outside them.
    async fn set_helper_state(
        &self,
        actor: &Actor,
        id: Uuid,
        state: HelperState,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Helper>;
    /// The verified helpers with a skill whose place begins with `within` (a district), each
    /// with the needs they have in hand.
    async fn helpers_with_skill(&self, skill: Skill, within: &str) -> Result<Vec<Available>>;
    /// Redeems points for something, by staff of the helper's place; audited. More than the
    /// balance is refused on `points`, and nothing is written.
    async fn redeem_points(
        &self,
        actor: &Actor,
        helper: Uuid,
        points: i64,
        item: &str,
        now: DateTime<Utc>,
    ) -> Result<PointsEntry>;
    /// A helper's commitment for a year, by staff of their place; audited.
    async fn commit_helper(
        &self,
        actor: &Actor,
        helper: Uuid,
        commitment: &Commitment,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Records what a commitment delivered on a day, by staff of the helper's place; audited.
    /// `NotFound` for a commitment the helper does not have.
    #[allow(clippy::too_many_arguments)]
    async fn record_delivery(
        &self,
        actor: &Actor,
        helper: Uuid,
        seq: i64,
        on: NaiveDate,
        amount: i64,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// A helper's commitments, the latest year first, with their deliveries.
    async fn commitments(&self, helper: Uuid) -> Result<Vec<CommitmentRecord>>;
    /// The points ledger, newest first.
    async fn points_entries(&self, helper: Uuid, limit: i64) -> Result<Vec<PointsEntry>>;
    /// The helpers of places beginning with `within`, by minutes confirmed since `since`, most
    /// first (those with none left out).
    async fn helper_ranking(&self, within: &str, since: DateTime<Utc>, limit: i64) -> Result<Vec<RankedHelper>>;
}
