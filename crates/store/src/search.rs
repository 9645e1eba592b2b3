//! 全文检索's feed: what the side index reads to keep in step — the cases each change in the
//! outbox is about, the cases whose personal data was erased, and the documents of cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::search::SearchDocument;
use uuid::Uuid;

use crate::Result;

/// A place in the outbox: a row's time and id, the order changes are read in.
#[derive(Debug, Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct FeedKey {
    pub at_ms: i64,
    pub id: String,
}

/// A case changed, and where in the outbox the change was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaseChange {
    pub key: FeedKey,
    pub case_id: Uuid,
}

#[async_trait]
pub trait SearchFeedStore: Send + Sync {
    /// The case changes written to the outbox after `after`, oldest first, at most `limit`.
    async fn case_changes(&self, after: &FeedKey, limit: i64) -> Result<Vec<CaseChange>>;
    /// Cases whose personal data was erased at or after `since`: their texts changed without
    /// an event.
    async fn erased_since(&self, since: DateTime<Utc>) -> Result<Vec<Uuid>>;
    /// The documents of these cases, as they are now (ids not found are left out).
    async fn search_documents(&self, ids: &[Uuid]) -> Result<Vec<SearchDocument>>;
    /// The documents of the cases after `after` in the order of their ids, at most `limit`:
    /// a rebuild reads every case this way.
    async fn search_documents_after(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<SearchDocument>>;
    /// The names of the regions and grids, for the words' dictionary.
    async fn place_names(&self) -> Result<Vec<String>>;
}
