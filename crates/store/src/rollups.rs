//! The counters of cases per day and place (`grassroots_domain::rollups`): written with every
//! change of a case by the case stores, read by `StatsStore`; checked here against the cases.

use async_trait::async_trait;

use crate::Result;

/// How one cut's stored counters compared with a recomputation from the cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupCheck {
    pub cut: grassroots_domain::rollups::Cut,
    /// Rows the recomputation holds (days and places with any case).
    pub rows: i64,
    /// Rows of the recomputation not stored as they are: missing or with other counts.
    pub wrong: i64,
    /// Stored rows with counts that the recomputation does not have.
    pub stale: i64,
}

impl RollupCheck {
    pub fn agrees(&self) -> bool {
        self.wrong == 0 && self.stale == 0
    }
}

#[async_trait]
pub trait RollupStore: Send + Sync {
    /// Recomputes every cut from the cases and compares; with `correct`, replaces the cuts
    /// that differ, in one transaction that holds off every other change of the counters.
    async fn rebuild_rollups(&self, correct: bool) -> Result<Vec<RollupCheck>>;
}
