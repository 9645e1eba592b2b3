//! Warnings kept once per key and read within a scope, the counts surges are judged on, the
//! repeated callers and reopened cases, and the words of danger.

use chrono::{DateTime, Utc};
use grassroots_domain::notices::CaseNotice;
use grassroots_domain::warnings::{DangerKind, DangerWord, WarningKind, WarningState};
use grassroots_domain::{Actor, Scope};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::events::{self, Subject};
use super::messages::enqueue_staff_notice;
use super::rows::{coded, parse_uuid, region_clause_on};
use super::{from_ms, ms, Args, SqlStore};
use crate::warnings::{NewWarning, Receipt, UnwarnedCase, WarnedCase, Warning, WarningTally, WindowCount, DANGER_KEY};
use crate::{Result, StoreError};

const COLUMNS: &str = "w.id, w.kind, w.state, w.district_code, w.street_code, w.community_code, w.grid_code, \
    w.category_code, w.case_id, w.count, w.baseline, w.words, w.raised_at, w.updated_at, w.reason";

fn warning(r: &AnyRow) -> Result<Warning> {
    let words: String = r.try_get("words")?;
    Ok(Warning {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        kind: coded(WarningKind::parse, "warning kind", r.try_get("kind")?)?,
        state: coded(WarningState::parse, "warning state", r.try_get("state")?)?,
        district_code: r.try_get("district_code")?,
        street_code: r.try_get("street_code")?,
        community_code: r.try_get("community_code")?,
        grid_code: r.try_get("grid_code")?,
        category_code: r.try_get("category_code")?,
        case_id: r.try_get::<Option<String>, _>("case_id")?.map(|s| parse_uuid(&s)).transpose()?,
        count: r.try_get("count")?,
        baseline: r.try_get("baseline")?,
        words: serde_json::from_str(&words).map_err(|e| StoreError::Corrupt(format!("warning words: {e}")))?,
        raised_at: from_ms(r.try_get("raised_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
        reason: r.try_get("reason")?,
    })
}

/// Warnings within a scope: by where they are, as cases are; for a unit, those about its cases.
fn scope_clause(scope: &Scope, args: &mut Args) -> String {
    match scope {
        Scope::All => "1=1".into(),
        Scope::Regions { codes } => {
            let parts: Vec<String> = codes.iter().map(|c| region_clause_on("w", c, args)).collect();
            format!("({})", parts.join(" OR "))
        }
        Scope::Grids { codes } => {
            let placeholders: Vec<String> = codes.iter().map(|g| args.text(g.clone())).collect();
            format!("w.grid_code IN ({})", placeholders.join(", "))
        }
        Scope::Unit { unit } => {
            format!("w.case_id IN (SELECT id FROM cases WHERE lead_unit = {})", args.text(unit.clone()))
        }
    }
}

fn warned_case(r: &AnyRow) -> Result<WarnedCase> {
    Ok(WarnedCase {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        tracking_no: r.try_get("tracking_no")?,
        district_code: r.try_get("district_code")?,
        street_code: r.try_get("street_code")?,
        community_code: r.try_get("community_code")?,
        grid_code: r.try_get("grid_code")?,
        category_code: r.try_get("category_code")?,
        caller: r.try_get("reporter_phone_tag")?,
    })
}

const CASE_COLUMNS: &str =
    "c.id, c.tracking_no, c.district_code, c.street_code, c.community_code, c.grid_code, c.category_code, c.reporter_phone_tag";

#[async_trait::async_trait]
impl crate::WarningStore for SqlStore {
    async fn receipts(&self, districts: &[String], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Receipt>> {
        let mut receipts = Vec::new();
        for district in districts {
            let rows = sqlx::query(
                "SELECT received_at, community_code, category_code FROM cases \
                 WHERE district_code = $1 AND received_at >= $2 AND received_at < $3 AND community_code IS NOT NULL",
            )
            .bind(district.clone())
            .bind(ms(from))
            .bind(ms(to))
            .fetch_all(&self.read)
            .await?;
            for r in &rows {
                receipts.push(Receipt {
                    received_at: from_ms(r.try_get("received_at")?),
                    community_code: r.try_get("community_code")?,
                    category_code: r.try_get("category_code")?,
                });
            }
        }
        receipts.sort_by_key(|r| r.received_at);
        Ok(receipts)
    }

    async fn warning_raised(&self, key: &str) -> Result<bool> {
        let row = sqlx::query("SELECT 1 FROM warnings WHERE warning_key = $1")
            .bind(key.to_string())
            .fetch_optional(&self.read)
            .await?;
        Ok(row.is_some())
    }

    async fn raise_warnings(&self, warnings: &[NewWarning]) -> Result<Vec<bool>> {
        let mut tx = self.write.begin().await?;
        let mut raised = Vec::with_capacity(warnings.len());
        for w in warnings {
            let words = serde_json::to_string(&w.words).map_err(|e| StoreError::Corrupt(e.to_string()))?;
            let id = Uuid::now_v7();
            let done = sqlx::query(
                "INSERT INTO warnings (id, kind, warning_key, state, district_code, street_code, community_code, grid_code, \
                 category_code, case_id, count, baseline, words, raised_at, updated_at) \
                 VALUES ($1, $2, $3, 'new', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) ON CONFLICT (warning_key) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(w.kind.as_str())
            .bind(w.key.clone())
            .bind(w.district_code.clone())
            .bind(w.street_code.clone())
            .bind(w.community_code.clone())
            .bind(w.grid_code.clone())
            .bind(w.category_code.clone())
            .bind(w.case_id.map(|id| id.to_string()))
            .bind(w.count)
            .bind(w.baseline)
            .bind(words)
            .bind(ms(w.raised_at))
            .bind(ms(w.raised_at))
            // A warning without a baseline, then one with.
            .persistent(super::keeps_statements_with_null_doubles(&tx))
            .execute(&mut *tx)
            .await?;
            let now = done.rows_affected() == 1;
            // Told once, with the warning: a warning raised again for its key tells nobody again.
            if let (true, WarningKind::Danger, Some(case_id)) = (now, w.kind, w.case_id) {
                enqueue_staff_notice(&mut tx, CaseNotice::Danger, case_id, id, &w.tell, w.raised_at).await?;
            }
            raised.push(now);
        }
        tx.commit().await?;
        Ok(raised)
    }

    async fn warnings(&self, scope: &Scope, states: &[WarningState], limit: i64) -> Result<Vec<Warning>> {
        let mut args = Args::default();
        let mut clauses = vec![scope_clause(scope, &mut args)];
        if !states.is_empty() {
            let list: Vec<String> = states.iter().map(|s| args.text(s.as_str())).collect();
            clauses.push(format!("w.state IN ({})", list.join(", ")));
        }
        let limit = args.int(limit.clamp(1, 1000));
        let sql = format!(
            "SELECT {COLUMNS} FROM warnings w WHERE {} ORDER BY w.raised_at DESC, w.id DESC LIMIT {limit}",
            clauses.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter().map(warning).collect()
    }

    async fn warning(&self, scope: &Scope, id: Uuid) -> Result<Option<Warning>> {
        let mut args = Args::default();
        let clause = scope_clause(scope, &mut args);
        let id = args.text(id.to_string());
        let sql = format!("SELECT {COLUMNS} FROM warnings w WHERE w.id = {id} AND {clause}");
        let row = args.bind(sqlx::query(&sql)).fetch_optional(&self.read).await?;
        row.as_ref().map(warning).transpose()
    }

    async fn set_warning_state(
        &self,
        scope: &Scope,
        id: Uuid,
        state: WarningState,
        actor: &Actor,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Warning> {
        let before = self.warning(scope, id).await?.ok_or(StoreError::NotFound)?;
        let mut tx = self.write.begin().await?;
        let moved = sqlx::query(
            "UPDATE warnings SET state = $1, reason = $2, handled_by = $3, updated_at = $4 \
             WHERE id = $5 AND state IN ('new', 'seen')",
        )
        .bind(state.as_str())
        .bind(reason.map(str::to_string))
        .bind(actor.id().map(|u| u.to_string()))
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(StoreError::Contention);
        }
        let detail = serde_json::json!({ "kind": before.kind.as_str(), "from": before.state.as_str(), "to": state.as_str(), "reason": reason });
        events::audit(&mut tx, now, actor, "warning_moved", Some(Subject { kind: "warning", id }), detail).await?;
        tx.commit().await?;
        self.warning(scope, id).await?.ok_or(StoreError::NotFound)
    }

    async fn window_counts(
        &self,
        districts: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WindowCount>> {
        let mut counts = Vec::new();
        for district in districts {
            // The district and receipt time lead the dashboard's index: one range per district.
            let rows = sqlx::query(
                "SELECT street_code, community_code, grid_code, category_code, COUNT(*) AS n FROM cases \
                 WHERE district_code = $1 AND received_at >= $2 AND received_at < $3 \
                 GROUP BY street_code, community_code, grid_code, category_code",
            )
            .bind(district.clone())
            .bind(ms(from))
            .bind(ms(to))
            .fetch_all(&self.read)
            .await?;
            for r in &rows {
                counts.push(WindowCount {
                    street_code: r.try_get("street_code")?,
                    community_code: r.try_get("community_code")?,
                    grid_code: r.try_get("grid_code")?,
                    category_code: r.try_get("category_code")?,
                    count: r.try_get("n")?,
                });
            }
        }
        Ok(counts)
    }

    async fn repeated_callers(&self, since: DateTime<Utc>, at_least: i64) -> Result<Vec<WarnedCase>> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases c WHERE c.received_at >= $1 AND c.reporter_phone_tag IN ( \
               SELECT reporter_phone_tag FROM cases WHERE received_at >= $2 AND reporter_phone_tag IS NOT NULL \
               GROUP BY reporter_phone_tag HAVING COUNT(*) >= $3) \
             ORDER BY c.reporter_phone_tag, c.received_at"
        ))
        .bind(ms(since))
        .bind(ms(since))
        .bind(at_least)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(warned_case).collect()
    }

    async fn reopened_since(&self, since: DateTime<Utc>) -> Result<Vec<WarnedCase>> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS} FROM cases c WHERE c.reopen_count > 0 AND c.updated_at >= $1 ORDER BY c.updated_at"
        ))
        .bind(ms(since))
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(warned_case).collect()
    }

    async fn unwarned_urgent(&self, since: DateTime<Utc>) -> Result<Vec<UnwarnedCase>> {
        let rows = sqlx::query(&format!(
            "SELECT {CASE_COLUMNS}, c.description, c.received_at FROM cases c \
             WHERE c.received_at >= $1 AND c.priority = $2 \
             AND NOT EXISTS (SELECT 1 FROM warnings w WHERE w.warning_key = $3 || c.id) ORDER BY c.received_at"
        ))
        .bind(ms(since))
        .bind(grassroots_domain::Priority::Urgent.as_str())
        .bind(DANGER_KEY)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(UnwarnedCase {
                    case: warned_case(r)?,
                    description: r.try_get("description")?,
                    received_at: from_ms(r.try_get("received_at")?),
                })
            })
            .collect()
    }

    async fn warning_tallies(&self) -> Result<Vec<WarningTally>> {
        let rows = sqlx::query(
            "SELECT kind, COUNT(*) AS raised, SUM(CASE WHEN state = 'acted' THEN 1 ELSE 0 END) AS acted, \
             SUM(CASE WHEN state = 'dismissed' THEN 1 ELSE 0 END) AS dismissed FROM warnings GROUP BY kind ORDER BY kind",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(WarningTally {
                    kind: coded(WarningKind::parse, "warning kind", r.try_get("kind")?)?,
                    raised: r.try_get("raised")?,
                    acted: r.try_get("acted")?,
                    dismissed: r.try_get("dismissed")?,
                })
            })
            .collect()
    }

    async fn danger_words(&self) -> Result<Vec<DangerWord>> {
        let rows = sqlx::query("SELECT word, kind FROM danger_words ORDER BY kind, word").fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(DangerWord {
                    word: r.try_get("word")?,
                    kind: coded(DangerKind::parse, "danger kind", r.try_get("kind")?)?,
                })
            })
            .collect()
    }

    async fn set_danger_words(&self, words: &[DangerWord], actor: &Actor, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM danger_words").execute(&mut *tx).await?;
        for w in words {
            sqlx::query("INSERT INTO danger_words (word, kind) VALUES ($1, $2) ON CONFLICT (word) DO NOTHING")
                .bind(w.word.clone())
                .bind(w.kind.as_str())
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({ "words": words.len() });
        events::audit(&mut tx, now, actor, "danger_words_set", None, detail).await?;
        tx.commit().await?;
        Ok(())
    }
}
