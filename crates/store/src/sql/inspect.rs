//! What tests and diagnostics read to check the store: a case's audit entries and outbox rows as written.

use sqlx::Row;
use uuid::Uuid;

use super::rows::{audit_from_row, AUDIT_COLUMNS};
use super::SqlStore;
use crate::{AuditEntry, Result};

#[async_trait::async_trait]
impl crate::Inspect for SqlStore {
    async fn audit_entries(&self, case_id: Uuid) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(&format!("SELECT {AUDIT_COLUMNS} FROM audit_log WHERE case_id = $1 ORDER BY at, id"))
            .bind(case_id.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn outbox_count(&self, case_id: Uuid) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE case_id = $1")
            .bind(case_id.to_string())
            .fetch_one(&self.read)
            .await?
            .try_get("n")?)
    }
}
