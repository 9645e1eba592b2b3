//! 政府购买服务 in the store: projects bought from a social organisation, with their
//! indicators, milestones, progress reports and evaluation; what a report delivers is added in
//! its transaction, a milestone is reached once and only with its indicator delivered, and the
//! payments never pass the budget. The rules are `grassroots_domain::projects`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::projects::{Grade, Indicator, Milestone, Plan};
use grassroots_domain::Actor;
use serde::Serialize;
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// A project with where it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Project {
    pub id: Uuid,
    /// The unit that buys it (a street office, a district department).
    pub purchaser_unit: String,
    /// The purchaser's place.
    pub region_code: String,
    pub provider_id: Uuid,
    pub provider_name: String,
    pub name: String,
    pub budget_fen: i64,
    pub paid_fen: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub indicators: Vec<IndicatorRecord>,
    pub milestones: Vec<MilestoneRecord>,
    /// Oldest first (empty in lists).
    pub reports: Vec<ProgressReport>,
    pub evaluation: Option<ProjectEvaluation>,
    /// Needs the provider helped with and the residents confirmed within the contract, and the
    /// mean of their ratings (the residents' satisfaction).
    pub needs_confirmed: i64,
    pub mean_rating: Option<f64>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IndicatorRecord {
    #[serde(flatten)]
    pub indicator: Indicator,
    pub actual: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MilestoneRecord {
    #[serde(flatten)]
    pub milestone: Milestone,
    pub reached_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProgressReport {
    pub seq: i64,
    pub at: DateTime<Utc>,
    pub note: String,
    /// What it delivered of each indicator, in order.
    pub amounts: Vec<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ProjectEvaluation {
    pub evaluator: String,
    pub score: u8,
    pub grade: Grade,
    pub summary: String,
    pub at: DateTime<Utc>,
}

#[async_trait]
pub trait ProjectStore: Send + Sync {
    /// A project bought by a unit whose place the actor holds, from a verified organisation
    /// (refused on `provider` otherwise); audited.
    async fn create_project(
        &self,
        actor: &Actor,
        purchaser_unit: &str,
        region_code: &str,
        provider: Uuid,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> Result<Project>;
    /// Projects of the places, newest first.
    async fn projects(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Project>>;
    /// A project with its reports.
    async fn project(&self, id: Uuid) -> Result<Option<Project>>;
    /// A progress report by staff who reach the project's place: what it delivered of each
    /// indicator (as many amounts as indicators, none below nothing) is added; audited.
    async fn report_project_progress(
        &self,
        actor: &Actor,
        id: Uuid,
        amounts: &[i64],
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Project>;
    /// Marks a milestone reached and its payment made, once, with its indicator delivered
    /// (refused on `milestone`) and the payments within the budget; audited.
    async fn reach_milestone(&self, actor: &Actor, id: Uuid, seq: usize, now: DateTime<Utc>) -> Result<Project>;
    /// Records the third party's evaluation, once; audited.
    async fn evaluate_project(
        &self,
        actor: &Actor,
        id: Uuid,
        evaluation: (&str, u8, &str),
        now: DateTime<Utc>,
    ) -> Result<Project>;
}
