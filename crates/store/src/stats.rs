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
}
