//! Care for those who need it most (关爱服务) in the store: household members with their
//! sealed name, phone and note; their care flags with the consent each rests on; the next
//! visit each flag is due, moved on by every visit to the household (`GridStore::record_visit`
//! does it in the visit's transaction); the queue of visits due and missed within a scope; and
//! the audited reveal. The rules are `grassroots_domain::care`. Everything is read within the
//! actor's places: a grid worker's grids, a supervisor's regions; outside them it does not
//! exist (`NotFound`).

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::care::{CareEnd, CareFlag, CarePlan, Consent, Member};
use grassroots_domain::{Actor, Scope};
use serde::Serialize;
use uuid::Uuid;

use crate::Result;

/// A member of a household who receives care, as lists show them: masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CareMember {
    pub id: Uuid,
    pub household_id: Uuid,
    pub household_label: String,
    pub grid_code: String,
    /// 王**; "—" once consent was withdrawn and the person's data erased.
    pub name_masked: String,
    pub birth_year: Option<i32>,
    pub created_at: DateTime<Utc>,
    /// When the sealed name, phone and note were erased (consent withdrawn).
    pub erased_at: Option<DateTime<Utc>>,
    /// Active flags first, then those ended, each newest first.
    pub flags: Vec<CareFlagRecord>,
}

/// A care flag with its plan, its consent and where its visits stand.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CareFlagRecord {
    pub id: Uuid,
    pub flag: CareFlag,
    pub visit_every_days: u32,
    pub consent: Consent,
    pub began_on: NaiveDate,
    pub last_visited_on: Option<NaiveDate>,
    pub next_visit_on: NaiveDate,
    pub recorded_at: DateTime<Utc>,
    pub ended_at: Option<DateTime<Utc>>,
    pub end_reason: Option<CareEnd>,
}

/// A member whose next visit is due by a day: the queue's row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CareDue {
    pub member_id: Uuid,
    pub name_masked: String,
    pub birth_year: Option<i32>,
    pub household_id: Uuid,
    pub household_label: String,
    pub grid_code: String,
    /// The member's active flags.
    pub flags: Vec<CareFlag>,
    /// The earliest next visit of those flags.
    pub next_visit_on: NaiveDate,
    pub last_visited_on: Option<NaiveDate>,
}

/// How many people of a grid receive care, and how many of them wait for a visit overdue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridCare {
    pub grid_code: String,
    pub members: i64,
    pub missed: i64,
}

/// A member's sealed data, opened for a reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedMember {
    pub name: String,
    pub phone: Option<String>,
    pub note: Option<String>,
}

#[async_trait]
pub trait CareStore: Send + Sync {
    /// A member of the household of that label in a grid of the actor's (the household added
    /// if new); audited. `NotFound` outside the actor's places.
    async fn add_care_member(
        &self,
        actor: &Actor,
        grid_code: &str,
        household_label: &str,
        member: &Member,
        now: DateTime<Utc>,
    ) -> Result<CareMember>;
    /// A member within the scope, with their flags.
    async fn care_member(&self, scope: &Scope, id: Uuid) -> Result<CareMember>;
    /// The members of a household within the scope.
    async fn care_members_of(&self, scope: &Scope, household: Uuid) -> Result<Vec<CareMember>>;
    /// Flags a member, from `today`; audited. A flag of the same kind still active is refused
    /// on `flag`; an erased member on `member`.
    async fn flag_care(
        &self,
        actor: &Actor,
        member: Uuid,
        plan: &CarePlan,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<CareMember>;
    /// Ends a member's active flag of that kind; audited. With `CareEnd::ConsentWithdrawn`
    /// every flag of the member ends and the sealed data is erased, whatever `flag` says.
    async fn end_care(
        &self,
        actor: &Actor,
        member: Uuid,
        flag: Option<CareFlag>,
        end: CareEnd,
        now: DateTime<Utc>,
    ) -> Result<CareMember>;
    /// Members within the scope with a visit due on or before `until`, the longest overdue
    /// first; `grid` narrows to one grid.
    async fn care_due(&self, scope: &Scope, grid: Option<&str>, until: NaiveDate, limit: i64) -> Result<Vec<CareDue>>;
    /// Per grid within the scope (`grid` narrows to one): members with an active flag, and
    /// those whose visit was due before `today`.
    async fn grid_care(&self, scope: &Scope, grid: Option<&str>, today: NaiveDate) -> Result<Vec<GridCare>>;
    /// Erases the sealed data of those with no active flag whose last flag ended before
    /// `ended_before`, or who were recorded before `recorded_before` and never flagged; one
    /// audit entry for the batch. How many were erased.
    async fn erase_lapsed_care(
        &self,
        ended_before: DateTime<Utc>,
        recorded_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64>;
    /// A member's name, phone and note, for a reason; audited with it. `NotFound` outside the
    /// actor's places or once erased.
    async fn reveal_care_member(
        &self,
        actor: &Actor,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<RevealedMember>;
}
