//! Figures: the three rates, case counts per group, per region and of patrols, and the points maps draw.

use async_trait::async_trait;
use grassroots_domain::Scope;

use chrono::{DateTime, Utc};

use crate::{CasePoint, CommunityCategoryCount, Grouping, PatrolCounts, RateFilter, RegionCount, Result};

#[async_trait]
pub trait StatsStore: Send + Sync {
    async fn rate_counts(&self, scope: &Scope, filter: &RateFilter) -> Result<grassroots_domain::rates::RateCounts>;
    /// The same counts per group, in one query; groups without dispatched cases are absent.
    async fn rate_counts_by(
        &self,
        scope: &Scope,
        filter: &RateFilter,
        grouping: Grouping,
    ) -> Result<Vec<(String, grassroots_domain::rates::RateCounts)>>;
    /// Cases received in the period per group: total, still pending, pending and overdue.
    async fn case_counts_by(&self, scope: &Scope, filter: &RateFilter, grouping: Grouping) -> Result<Vec<RegionCount>>;
    /// Cases received in the filter's period, per region of `level`, within the scope.
    async fn region_counts(
        &self,
        scope: &Scope,
        level: grassroots_domain::RegionLevel,
        filter: &RateFilter,
    ) -> Result<Vec<RegionCount>>;
    /// Patrol reports received in the filter's period, and how many were resolved on the spot.
    async fn patrol_counts(&self, scope: &Scope, filter: &RateFilter) -> Result<PatrolCounts>;
    /// The newest located cases in the filter's period, as map points.
    async fn case_points(&self, scope: &Scope, filter: &RateFilter, limit: i64) -> Result<Vec<CasePoint>>;
    /// Cases received since `since`, per community and category.
    async fn community_category_counts(&self, since: DateTime<Utc>) -> Result<Vec<CommunityCategoryCount>>;
    /// Residents' participation in the region (a code prefix) over `[from, to)`: topics
    /// published, proposals put on the agenda, councils held, votes published with their
    /// turnout, and decisions set, done, done on time and overdue at `now`.
    async fn participation_figures(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<ParticipationFigures>;
}

/// What the dashboard counts of residents' participation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ParticipationFigures {
    pub topics: u64,
    pub on_agenda: u64,
    pub councils: u64,
    pub votes: u64,
    /// Voters and the rolls' sizes of the votes published.
    pub voters: u64,
    pub eligible: u64,
    pub decisions: u64,
    pub done: u64,
    pub done_on_time: u64,
    pub overdue: u64,
}
