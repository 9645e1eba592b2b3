//! What tests and diagnostics read to check the store: a case's audit entries and outbox rows as written.

use sqlx::Row;
use uuid::Uuid;

use super::rows::{audit_from_row, AUDIT_COLUMNS};
use super::Backend;
use super::SqlStore;
use crate::{AuditEntry, ColumnKind, ColumnShape, Result, Schema, TableShape};

#[async_trait::async_trait]
impl crate::Inspect for SqlStore {
    async fn audit_entries(&self, case_id: Uuid) -> Result<Vec<AuditEntry>> {
        let rows = sqlx::query(&format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE subject_type = 'case' AND subject_id = $1 ORDER BY at, id"
        ))
        .bind(case_id.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn outbox_count(&self, case_id: Uuid) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM outbox WHERE aggregate_type = 'case' AND aggregate_id = $1")
            .bind(case_id.to_string())
            .fetch_one(&self.read)
            .await?
            .try_get("n")?)
    }

    async fn schema(&self) -> Result<Schema> {
        let (columns, indexes) = match self.backend {
            // Primary keys are NOT NULL on PostgreSQL; SQLite would take NULL in a TEXT one.
            Backend::Sqlite => (
                "SELECT m.name AS table_name, p.name AS column_name, p.type AS declared, \
                   CASE WHEN p.\"notnull\" = 1 OR p.pk > 0 THEN 0 ELSE 1 END AS nullable \
                 FROM sqlite_master m, pragma_table_info(m.name) p \
                 WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name NOT LIKE '_sqlx%'",
                "SELECT tbl_name AS table_name, name AS index_name FROM sqlite_master \
                 WHERE type = 'index' AND name NOT LIKE 'sqlite_autoindex_%' AND tbl_name NOT LIKE '_sqlx%'",
            ),
            Backend::Postgres => (
                "SELECT table_name::text AS table_name, column_name::text AS column_name, data_type::text AS declared, \
                   CASE WHEN is_nullable = 'YES' THEN 1 ELSE 0 END AS nullable \
                 FROM information_schema.columns WHERE table_schema = 'public' AND table_name NOT LIKE '_sqlx%'",
                "SELECT tablename::text AS table_name, indexname::text AS index_name FROM pg_indexes \
                 WHERE schemaname = 'public' AND tablename NOT LIKE '_sqlx%' \
                   AND indexname NOT IN (SELECT conname FROM pg_constraint)",
            ),
        };
        let mut schema = Schema::new();
        for row in sqlx::query(columns).fetch_all(&self.read).await? {
            let declared: String = row.try_get("declared")?;
            let table: &mut TableShape = schema.entry(row.try_get("table_name")?).or_default();
            let shape =
                ColumnShape { kind: ColumnKind::of(&declared), nullable: row.try_get::<i32, _>("nullable")? == 1 };
            table.columns.insert(row.try_get("column_name")?, shape);
        }
        for row in sqlx::query(indexes).fetch_all(&self.read).await? {
            schema.entry(row.try_get("table_name")?).or_default().indexes.insert(row.try_get("index_name")?);
        }
        Ok(schema)
    }
}
