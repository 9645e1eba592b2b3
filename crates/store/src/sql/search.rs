//! The search index's feed: changes read from the outbox by time and id, erasures through
//! their own index, and documents built from each case's row and events by the domain.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use grassroots_domain::search::SearchDocument;
use grassroots_domain::workflow::EventKind;
use sqlx::Row;
use uuid::Uuid;

use super::rows::{parse_uuid, record_from_row, uuid_column, CASE_COLUMNS};
use super::{ms, SqlStore};
use crate::search::{CaseChange, FeedKey};
use crate::{Result, StoreError};

#[async_trait::async_trait]
impl crate::SearchFeedStore for SqlStore {
    async fn case_changes(&self, after: &FeedKey, limit: i64) -> Result<Vec<CaseChange>> {
        let rows = sqlx::query(
            "SELECT id, aggregate_id, created_at FROM outbox WHERE aggregate_type = 'case' \
             AND (created_at > $1 OR (created_at = $2 AND id > $3)) ORDER BY created_at, id LIMIT $4",
        )
        .bind(after.at_ms)
        .bind(after.at_ms)
        .bind(after.id.clone())
        .bind(limit.max(1))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CaseChange {
                    key: FeedKey { at_ms: r.try_get("created_at")?, id: r.try_get("id")? },
                    case_id: parse_uuid(&r.try_get::<String, _>("aggregate_id")?)?,
                })
            })
            .collect()
    }

    async fn erased_since(&self, since: DateTime<Utc>) -> Result<Vec<Uuid>> {
        let rows = sqlx::query("SELECT id FROM cases WHERE personal_erased_at >= $1")
            .bind(ms(since))
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| uuid_column(r, "id")).collect()
    }

    async fn search_documents(&self, ids: &[Uuid]) -> Result<Vec<SearchDocument>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let list = id_list(ids);
        let rows = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.id IN ({list})"))
            .fetch_all(&self.read)
            .await?;
        self.documents(rows).await
    }

    async fn search_documents_after(&self, after: Option<Uuid>, limit: i64) -> Result<Vec<SearchDocument>> {
        let rows = sqlx::query(&format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.id > $1 ORDER BY c.id LIMIT $2"))
            .bind(after.map(|a| a.to_string()).unwrap_or_default())
            .bind(limit.max(1))
            .fetch_all(&self.read)
            .await?;
        self.documents(rows).await
    }

    async fn place_names(&self) -> Result<Vec<String>> {
        let rows = sqlx::query(
            "SELECT name FROM regions WHERE level IN ('township', 'community') \
             UNION SELECT name FROM region_names UNION SELECT name FROM grids",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(|r| Ok(r.try_get("name")?)).collect()
    }
}

/// Ids as SQL literals: they are UUIDs this process formatted, never text from a request.
fn id_list(ids: &[Uuid]) -> String {
    ids.iter().map(|id| format!("'{id}'")).collect::<Vec<_>>().join(", ")
}

impl SqlStore {
    /// The documents of these case rows, with the texts of their events.
    async fn documents(&self, rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<SearchDocument>> {
        let records = rows.iter().map(record_from_row).collect::<Result<Vec<_>>>()?;
        if records.is_empty() {
            return Ok(Vec::new());
        }
        let ids: Vec<Uuid> = records.iter().map(|r| r.id).collect();
        let events = sqlx::query(&format!(
            "SELECT aggregate_id, payload FROM events WHERE aggregate_type = 'case' AND aggregate_id IN ({}) \
             ORDER BY aggregate_id, seq",
            id_list(&ids)
        ))
        .fetch_all(&self.read)
        .await?;
        let mut by_case: HashMap<Uuid, Vec<EventKind>> = HashMap::new();
        for row in &events {
            let event: EventKind = serde_json::from_str(&row.try_get::<String, _>("payload")?)
                .map_err(|e| StoreError::Corrupt(format!("event payload: {e}")))?;
            by_case.entry(uuid_column(row, "aggregate_id")?).or_default().push(event);
        }
        Ok(records.iter().map(|r| SearchDocument::of(r, by_case.remove(&r.id).unwrap_or_default())).collect())
    }
}
