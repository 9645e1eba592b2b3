//! 重复件: the cases a case may repeat.

use chrono::{DateTime, Utc};
use grassroots_domain::{CaseState, Scope};
use sqlx::Row;
use uuid::Uuid;

use super::rows::{record_from_row, scope_clause, CASE_COLUMNS};
use super::{ms, Args, SqlStore};
use crate::duplicates::Candidate;
use crate::Result;

/// The states a repeated matter may still be joined to, as SQL literals.
fn open_states() -> String {
    let states: Vec<String> =
        CaseState::ALL.iter().filter(|s| !s.is_terminal()).map(|s| format!("'{}'", s.as_str())).collect();
    states.join(", ")
}

#[async_trait::async_trait]
impl crate::DuplicateStore for SqlStore {
    async fn duplicate_candidates(
        &self,
        scope: &Scope,
        case_id: Uuid,
        region: &str,
        caller: Option<&str>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Candidate>> {
        let mut args = Args::default();
        let scoped = scope_clause(scope, &mut args);
        let id = args.text(case_id.to_string());
        let from = args.int(ms(since));
        let column = if region.len() >= 9 { "street_code" } else { "district_code" };
        let mut wheres = vec![format!("c.{column} = {}", args.text(region.to_string()))];
        if let Some(caller) = caller {
            wheres.push(format!("c.reporter_phone_tag = {}", args.text(caller.to_string())));
        }
        let limit = args.int(limit as i64);
        let sql = format!(
            "SELECT {CASE_COLUMNS}, c.reporter_phone_tag FROM cases c WHERE ({}) AND c.id <> {id} \
             AND c.received_at >= {from} AND c.state IN ({}) AND {scoped} ORDER BY c.received_at DESC LIMIT {limit}",
            wheres.join(" OR "),
            open_states()
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| Ok(Candidate { record: record_from_row(r)?, caller: r.try_get("reporter_phone_tag")? }))
            .collect()
    }

    fn caller_tag(&self, phone: &str) -> String {
        self.cipher.phone_tag(phone)
    }

    async fn caller_of(&self, case_id: Uuid) -> Result<Option<String>> {
        let row = sqlx::query("SELECT reporter_phone_tag FROM cases WHERE id = $1")
            .bind(case_id.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.map(|r| r.try_get::<Option<String>, _>("reporter_phone_tag")).transpose()?.flatten())
    }
}
