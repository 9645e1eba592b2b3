//! Erasure of personal data past its retention period, a batch at a time, each case in its
//! own transaction with its audit entry.

use chrono::{DateTime, Utc};
use grassroots_domain::workflow::EventKind;
use sqlx::Row;
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::uuid_column;
use super::{ms, SqlStore};
use crate::{Result, StoreError};

/// What an erased text reads.
pub const ERASED: &str = "〔个人信息已按保存期限删除 / personal data erased after its retention period〕";

const DAY_MS: i64 = 86_400_000;

#[async_trait::async_trait]
impl crate::PrivacyStore for SqlStore {
    async fn erase_expired(&self, now: DateTime<Utc>, limit: i64) -> Result<usize> {
        let due = sqlx::query(&format!(
            "SELECT c.id FROM cases c JOIN categories k ON k.code = c.category_code \
             WHERE c.personal_erased_at IS NULL AND c.state IN ('closed', 'rejected', 'merged') \
             AND c.updated_at < $1 - CAST(k.retention_days AS BIGINT) * {DAY_MS} LIMIT $2"
        ))
        .bind(ms(now))
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.read)
        .await?;
        let ids = due.iter().map(|r| uuid_column(r, "id")).collect::<Result<Vec<_>>>()?;
        for id in &ids {
            self.erase_case(*id, now).await?;
        }
        Ok(ids.len())
    }
}

impl SqlStore {
    async fn erase_case(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let erased = sqlx::query(
            "UPDATE cases SET reporter_name_enc = NULL, reporter_phone_enc = NULL, reporter_name_masked = NULL, \
             reporter_phone_masked = NULL, address = NULL, description = $1, personal_erased_at = $2 \
             WHERE id = $3 AND personal_erased_at IS NULL",
        )
        .bind(ERASED)
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if erased.rows_affected() == 0 {
            return Ok(());
        }
        for table in ["sealed_texts", "attachments"] {
            sqlx::query(&format!("DELETE FROM {table} WHERE case_id = $1"))
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let rows = sqlx::query("SELECT id, payload FROM events WHERE aggregate_type = 'case' AND aggregate_id = $1")
            .bind(id.to_string())
            .fetch_all(&mut *tx)
            .await?;
        let mut texts = 0;
        for row in &rows {
            let payload: String = row.try_get("payload")?;
            let mut event: EventKind =
                serde_json::from_str(&payload).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let fields = event.free_texts_mut();
            if fields.is_empty() {
                continue;
            }
            for (_, text) in fields {
                *text = ERASED.to_string();
                texts += 1;
            }
            let rewritten = serde_json::to_string(&event).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            sqlx::query("UPDATE events SET payload = $1 WHERE id = $2")
                .bind(rewritten)
                .bind(row.try_get::<String, _>("id")?)
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({ "reason": "retention period", "texts": texts });
        events::audit_as(
            &mut tx,
            now,
            "system",
            None,
            "personal_data_erased",
            Some(Subject { kind: "case", id }),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
