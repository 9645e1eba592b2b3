//! The counters of cases per day and place, and of open cases per place and queue facets
//! (`grassroots_domain::rollups`): written with every change of a case by the case stores,
//! read by `StatsStore` and the queues' counts; checked here against the cases.

use async_trait::async_trait;

use crate::Result;

/// Which of the kept counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counters {
    /// One cut of the counters per day.
    Days(grassroots_domain::rollups::Cut),
    /// The open cases per place and queue facets.
    Open,
}

impl Counters {
    /// What its rows tell apart, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::Days(cut) => cut.label(),
            Self::Open => "open cases × queue facets",
        }
    }
}

/// How some stored counters compared with a recomputation from the cases.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RollupCheck {
    pub counters: Counters,
    /// Rows the recomputation holds (days, places or facets with any case).
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
    /// Recomputes every cut and the open counts from the cases and compares; with `correct`,
    /// replaces those that differ, in one transaction that holds off every other change of
    /// the counters.
    async fn rebuild_rollups(&self, correct: bool) -> Result<Vec<RollupCheck>>;
}
