//! Background work shared safely by several server processes: leases, deadline marks.

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::workflow::due_status_change;
use grassroots_domain::Actor;

use super::cases::PENDING_STATES;
use super::rows::{record_from_row, CASE_COLUMNS};
use super::{ms, SqlStore};
use crate::Result;

#[async_trait::async_trait]
impl crate::JobStore for SqlStore {
    async fn claim_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: Duration) -> Result<bool> {
        let done = sqlx::query(
            "INSERT INTO leases (name, holder, expires_at) VALUES ($1, $2, $3) \
             ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at \
             WHERE leases.expires_at < $4 OR leases.holder = excluded.holder",
        )
        .bind(name.to_string())
        .bind(holder.to_string())
        .bind(ms(now + ttl))
        .bind(ms(now))
        .execute(&self.write)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    /// Candidates are pending cases past a warning point (a quarter of the time left) or past
    /// a deadline whose mark is behind; each is re-checked by the domain and written with the
    /// same version guard as any move, so two workers can never mark a case twice.
    async fn tick_deadlines(&self, now: DateTime<Utc>, limit: i64) -> Result<usize> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases c WHERE c.state IN ({PENDING_STATES}) AND ( \
               (c.due_status <> 'overdue' AND (c.resolve_due < $1 OR (c.first_contact_at IS NULL AND c.response_due < $1))) \
               OR (c.due_status = 'on_time' AND ((3 * c.resolve_due + c.clock_started_at) / 4 <= $1 \
                   OR (c.first_contact_at IS NULL AND (3 * c.response_due + c.clock_started_at) / 4 <= $1))) \
             ) ORDER BY c.resolve_due LIMIT {limit}"
        );
        let rows = sqlx::query(&sql).bind(ms(now)).fetch_all(&self.read).await?;
        let mut marked = 0;
        for row in &rows {
            let case = record_from_row(row)?;
            if let Some(kind) = due_status_change(&case, now) {
                if self.commit_event(&case, kind, &Actor::System, now, None, &[]).await?.is_some() {
                    marked += 1;
                }
            }
        }
        Ok(marked)
    }
}
