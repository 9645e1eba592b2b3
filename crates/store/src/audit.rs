//! The audit log: who did what to which record, read back by filter, and sealed into a hash
//! chain so that an entry changed or removed afterwards is detected.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{AuditEntry, Result};

/// Which entries to read, newest first; every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    /// The staff account (or key, or other actor) that acted.
    pub actor_id: Option<Uuid>,
    /// The record the entry is about (a case, …).
    pub subject_id: Option<Uuid>,
    /// `reveal`, `login_failed`, `move`, …
    pub action: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// Entries older than this one (the last of the previous page).
    pub before: Option<Uuid>,
    /// At most this many (1 to 1,000).
    pub limit: i64,
}

/// What a check of the chain found.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ChainReport {
    /// Entries sealed into the chain and checked.
    pub sealed: i64,
    /// Entries written but not yet sealed (sealing follows within seconds while a server runs).
    pub unsealed: i64,
    /// The hash of the last sealed entry: kept elsewhere, it proves later that nothing before
    /// it was rewritten, even by someone able to recompute the whole chain.
    pub head: Option<String>,
    /// The first place where the chain does not hold, if any.
    pub broken: Option<BrokenLink>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BrokenLink {
    /// The place in the chain where it breaks.
    pub chain_seq: i64,
    /// The entry at that place, if there is one.
    pub entry: Option<Uuid>,
    /// `changed` (its content or hash no longer match) or `missing` (entries were removed).
    pub reason: String,
}

#[async_trait]
pub trait AuditStore: Send + Sync {
    /// Entries matching the filter, newest first.
    async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>>;
    /// The newest audit entries of every kind, newest first.
    async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>>;
    /// Seals up to `limit` entries not yet in the chain, oldest first. Returns how many.
    async fn seal_audit(&self, limit: i64) -> Result<usize>;
    /// Checks every sealed entry against its hash and its predecessor.
    async fn verify_audit(&self) -> Result<ChainReport>;
}
