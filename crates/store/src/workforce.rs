//! 队伍建设 in the store: profiles of community staff, training and attendance, yearly
//! appraisals (one a year each), each district's staffing standard, cadres sent down or attached
//! with their work; and the workload of staff read from their case events and visits.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::workforce::{AppraisalGrade, Post, SecondmentKind, StaffingStandard, WorkerQualification};
use grassroots_domain::{Actor, Role};
use serde::Serialize;
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// A staff member's profile, with their account's name and role.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct StaffProfile {
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub community_code: String,
    pub post: Post,
    pub started_on: NaiveDate,
    /// Kept for the age band; never shown.
    #[serde(skip)]
    pub birth_year: i32,
    pub qualification: WorkerQualification,
    pub left_on: Option<NaiveDate>,
    pub left_reason: Option<String>,
}

/// A profile to set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewProfile {
    pub community_code: String,
    pub post: Post,
    pub started_on: NaiveDate,
    pub birth_year: i32,
    pub qualification: WorkerQualification,
}

/// A training course, with how many attended.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Training {
    pub id: Uuid,
    pub region_code: String,
    pub title: String,
    pub held_on: NaiveDate,
    pub half_hours: u32,
    pub attendees: i64,
}

/// A training attended, with the certificate if one was earned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct TrainingAttended {
    pub training: Training,
    pub certificate: Option<String>,
}

/// A yearly appraisal as the supervisor completed it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appraisal {
    pub user_id: Uuid,
    pub year: i32,
    /// One per indicator, in `INDICATORS`' order.
    pub scores: Vec<u32>,
    /// The weighted total in tenths of a point.
    pub total_tenths: u32,
    pub grade: AppraisalGrade,
    pub comment: String,
    pub appraised_at: DateTime<Utc>,
}

/// A community's posts and who fills them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunityStaffing {
    pub community_code: String,
    pub households: i64,
    pub grids: i64,
    /// Community posts filled now (secretary, director, community and social workers).
    pub workers: i64,
    pub grid_workers: i64,
    /// Staff who left in the last 365 days.
    pub left_last_year: i64,
}

/// A cadre serving in a community, with the work recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Secondment {
    pub id: Uuid,
    pub community_code: String,
    pub name: String,
    pub home_unit: String,
    pub kind: SecondmentKind,
    pub from_on: NaiveDate,
    pub to_on: NaiveDate,
    /// (day, what, half hours), the latest first.
    pub work: Vec<(NaiveDate, String, u32)>,
}

/// A cadre to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSecondment {
    pub community_code: String,
    pub name: String,
    pub home_unit: String,
    pub kind: SecondmentKind,
    pub from_on: NaiveDate,
    pub to_on: NaiveDate,
}

/// What a staff member did in a period, as the platform recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct WorkRecord {
    /// Moves they made on cases.
    pub moves: i64,
    /// Cases they handled or resolved on the spot.
    pub handled: i64,
    /// Of those, before the case's deadline.
    pub handled_on_time: i64,
    /// Of the cases they handled, those the resident evaluated, and found satisfying.
    pub evaluated: i64,
    pub satisfied: i64,
    /// Reports they took in on patrol.
    pub patrol_reports: i64,
    pub visits: i64,
    pub households_visited: i64,
    /// When each of their moves was made, for counting work outside working hours.
    #[serde(skip)]
    pub move_times: Vec<DateTime<Utc>>,
}

#[async_trait]
pub trait WorkforceStore: Send + Sync {
    /// Sets the profile of a staff member, in a community the actor holds; audited.
    async fn set_profile(
        &self,
        actor: &Actor,
        user_id: Uuid,
        new: &NewProfile,
        now: DateTime<Utc>,
    ) -> Result<StaffProfile>;
    async fn profile(&self, user_id: Uuid) -> Result<Option<StaffProfile>>;
    /// The profiles of the places, those who left included, by community and post.
    async fn profiles(&self, places: &PlaceFilter) -> Result<Vec<StaffProfile>>;
    /// Records that a staff member left (refused on `left_on` if they had already); audited.
    async fn staff_leaves(
        &self,
        actor: &Actor,
        user_id: Uuid,
        on: NaiveDate,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// A training held in a region the actor holds.
    async fn add_training(
        &self,
        actor: &Actor,
        region_code: &str,
        title: &str,
        held_on: NaiveDate,
        half_hours: u32,
        now: DateTime<Utc>,
    ) -> Result<Training>;
    async fn trainings(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Training>>;
    /// Records that a staff member attended, with the certificate earned (again: replaced).
    async fn record_attendance(&self, training_id: Uuid, user_id: Uuid, certificate: Option<&str>) -> Result<()>;
    async fn trainings_of(&self, user_id: Uuid) -> Result<Vec<TrainingAttended>>;
    /// Keeps a year's appraisal, once (refused on `year` when there is one).
    async fn keep_appraisal(&self, actor: &Actor, appraisal: &Appraisal, now: DateTime<Utc>) -> Result<Appraisal>;
    async fn appraisals_of(&self, user_id: Uuid) -> Result<Vec<Appraisal>>;
    /// Sets the standard of a district the actor holds; audited.
    async fn set_staffing_standard(
        &self,
        actor: &Actor,
        district_code: &str,
        standard: StaffingStandard,
        now: DateTime<Utc>,
    ) -> Result<()>;
    async fn staffing_standard(&self, district_code: &str) -> Result<Option<StaffingStandard>>;
    /// Households, grids and the posts filled of each community of the places with grids.
    async fn staffing(&self, places: &PlaceFilter, today: NaiveDate) -> Result<Vec<CommunityStaffing>>;
    async fn add_secondment(&self, actor: &Actor, new: &NewSecondment, now: DateTime<Utc>) -> Result<Secondment>;
    async fn record_secondment_work(
        &self,
        actor: &Actor,
        id: Uuid,
        on: NaiveDate,
        what: &str,
        half_hours: u32,
    ) -> Result<Secondment>;
    async fn secondments(&self, places: &PlaceFilter) -> Result<Vec<Secondment>>;
    /// What a staff member did in `[from, to)`: their case moves and the cases behind them,
    /// their visits.
    async fn work_record(&self, user_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<WorkRecord>;
}
