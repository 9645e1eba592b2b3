//! Personal information kept no longer than needed (个人信息保护法): cases finished longer ago
//! than their category's retention period lose their personal data, their facts stay.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::Result;

#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Erases the personal data of up to `limit` cases finished longer ago than their
    /// category's retention period: the reporter, the free text of the case and its events,
    /// the sealed originals and the photos. Each erasure is audited. Returns how many.
    async fn erase_expired(&self, now: DateTime<Utc>, limit: i64) -> Result<usize>;
}
