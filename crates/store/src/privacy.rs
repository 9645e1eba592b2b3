//! Personal information kept no longer than needed (个人信息保护法): cases finished longer ago
//! than their category's retention period lose their personal data, their facts stay.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::Actor;
use uuid::Uuid;

use crate::Result;

#[async_trait]
pub trait PrivacyStore: Send + Sync {
    /// Erases the personal data of up to `limit` cases finished longer ago than their
    /// category's retention period: the reporter, the free text of the case and its events,
    /// the sealed originals and the photos. Each erasure is audited. Returns how many.
    async fn erase_expired(&self, now: DateTime<Utc>, limit: i64) -> Result<usize>;
    /// Tags the phone numbers of up to `limit` cases written before tags existed, so that a
    /// resident's request finds them. Returns how many.
    async fn tag_phones(&self, limit: i64) -> Result<usize>;
    /// The cases whose reporter gave this (normalised) phone number, oldest first.
    async fn cases_of_phone(&self, phone: &str) -> Result<Vec<Uuid>>;
    /// Replaces a case's reporter name and phone (those given: sealed, masked and tagged again)
    /// at the reporter's request, audited with how the request was verified.
    async fn correct_reporter(
        &self,
        actor: &Actor,
        id: Uuid,
        name: Option<&str>,
        phone: Option<&str>,
        reference: &str,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Erases a case's personal data at the reporter's request, as the retention job does,
    /// audited with how the request was verified.
    async fn erase_at_request(&self, actor: &Actor, id: Uuid, reference: &str, now: DateTime<Utc>) -> Result<()>;
}
