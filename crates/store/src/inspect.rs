//! What tests and diagnostics read to check the store: a case's audit entries and outbox rows as written.

use async_trait::async_trait;
use uuid::Uuid;

use crate::{AuditEntry, Result};

#[async_trait]
pub trait Inspect: Send + Sync {
    async fn audit_entries(&self, case_id: Uuid) -> Result<Vec<AuditEntry>>;
    async fn outbox_count(&self, case_id: Uuid) -> Result<i64>;
}
