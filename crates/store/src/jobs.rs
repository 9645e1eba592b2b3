//! Background work shared safely by several server processes: leases and deadline marks.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

#[async_trait]
pub trait JobStore: Send + Sync {
    /// Takes or renews the named lease for `holder`; false when another holder has it.
    async fn claim_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: chrono::Duration) -> Result<bool>;
    /// Marks pending cases that fell due soon or overdue, one event each. Returns how many.
    async fn tick_deadlines(&self, now: DateTime<Utc>, limit: i64) -> Result<usize>;
}
