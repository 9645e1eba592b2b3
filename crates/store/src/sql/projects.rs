//! Service projects: their indicators, milestones, reports and evaluation.

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::helpers::{HelperKind, HelperState};
use grassroots_domain::projects::{may_reach, Grade, Indicator, Milestone, Plan};
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::helpers::helper_in;
use super::rows::{date_column, holding, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::projects::{IndicatorRecord, MilestoneRecord, ProgressReport, Project, ProjectEvaluation};
use crate::{PlaceFilter, Result, StoreError};

const PROJECT_KIND: &str = "project";
const PROJECT_COLUMNS: &str = "p.id, p.purchaser_unit, p.region_code, p.provider_id, h.shown_name AS provider_name, \
     p.name, p.budget_fen, p.paid_fen, p.starts_on, p.ends_on, p.evaluator, p.score, p.evaluation, p.evaluated_at, \
     p.created_at";

fn project(r: &AnyRow) -> Result<Project> {
    let evaluation = match (
        r.try_get::<Option<String>, _>("evaluator")?,
        r.try_get::<Option<i64>, _>("score")?,
        r.try_get::<Option<String>, _>("evaluation")?,
        r.try_get::<Option<i64>, _>("evaluated_at")?,
    ) {
        (Some(evaluator), Some(score), Some(summary), Some(at)) => {
            let score = u8::try_from(score).map_err(|_| StoreError::Corrupt(format!("score: {score}")))?;
            Some(ProjectEvaluation { evaluator, score, grade: Grade::of(score), summary, at: from_ms(at) })
        }
        _ => None,
    };
    Ok(Project {
        id: uuid_column(r, "id")?,
        purchaser_unit: r.try_get("purchaser_unit")?,
        region_code: r.try_get("region_code")?,
        provider_id: uuid_column(r, "provider_id")?,
        provider_name: r.try_get("provider_name")?,
        name: r.try_get("name")?,
        budget_fen: r.try_get("budget_fen")?,
        paid_fen: r.try_get("paid_fen")?,
        starts_on: date_column(r, "starts_on")?,
        ends_on: date_column(r, "ends_on")?,
        indicators: Vec::new(),
        milestones: Vec::new(),
        reports: Vec::new(),
        evaluation,
        needs_confirmed: 0,
        mean_rating: None,
        created_at: from_ms(r.try_get("created_at")?),
    })
}

/// Fills a project's indicators, milestones and what the platform knows of its provider's
/// help within the contract; its reports too if asked.
async fn filled(conn: &mut AnyConnection, mut p: Project, with_reports: bool) -> Result<Project> {
    let id = p.id.to_string();
    p.indicators =
        sqlx::query("SELECT name, unit, target, actual FROM project_indicators WHERE project_id = $1 ORDER BY seq")
            .bind(id.clone())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| {
                Ok(IndicatorRecord {
                    indicator: Indicator {
                        name: r.try_get("name")?,
                        unit: r.try_get("unit")?,
                        target: r.try_get("target")?,
                    },
                    actual: r.try_get("actual")?,
                })
            })
            .collect::<Result<_>>()?;
    p.milestones = sqlx::query(
        "SELECT name, due_on, payment_fen, requires_seq, requires_least, reached_at FROM project_milestones \
         WHERE project_id = $1 ORDER BY seq",
    )
    .bind(id.clone())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        let requires =
            match (r.try_get::<Option<i64>, _>("requires_seq")?, r.try_get::<Option<i64>, _>("requires_least")?) {
                (Some(seq), Some(least)) => Some((usize::try_from(seq).unwrap_or(usize::MAX), least)),
                _ => None,
            };
        Ok(MilestoneRecord {
            milestone: Milestone {
                name: r.try_get("name")?,
                due_on: date_column(r, "due_on")?,
                payment_fen: r.try_get("payment_fen")?,
                requires,
            },
            reached_at: r.try_get::<Option<i64>, _>("reached_at")?.map(from_ms),
        })
    })
    .collect::<Result<_>>()?;
    if with_reports {
        p.reports =
            sqlx::query("SELECT seq, at, note, amounts FROM project_reports WHERE project_id = $1 ORDER BY seq")
                .bind(id.clone())
                .fetch_all(&mut *conn)
                .await?
                .iter()
                .map(|r| {
                    let amounts: String = r.try_get("amounts")?;
                    Ok(ProgressReport {
                        seq: r.try_get("seq")?,
                        at: from_ms(r.try_get("at")?),
                        note: r.try_get("note")?,
                        amounts: serde_json::from_str(&amounts).map_err(|e| StoreError::Corrupt(e.to_string()))?,
                    })
                })
                .collect::<Result<_>>()?;
    }
    // The contract's days in Beijing, as milliseconds: from its first day's start to its last's end.
    let beijing = grassroots_domain::calendar::beijing();
    let edge = |d: NaiveDate| {
        d.and_time(chrono::NaiveTime::MIN).and_local_timezone(beijing).single().map(|t| ms(t.with_timezone(&Utc)))
    };
    let (from, to) = (edge(p.starts_on).unwrap_or(0), edge(p.ends_on.succ_opt().unwrap_or(p.ends_on)).unwrap_or(0));
    let row = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(rating), 0) AS BIGINT) AS total FROM needs \
         WHERE helper_id = $1 AND state = 'confirmed' AND updated_at >= $2 AND updated_at < $3",
    )
    .bind(p.provider_id.to_string())
    .bind(from)
    .bind(to)
    .fetch_one(&mut *conn)
    .await?;
    let (n, total): (i64, i64) = (row.try_get("n")?, row.try_get("total")?);
    p.needs_confirmed = n;
    #[allow(clippy::cast_precision_loss)]
    let mean = (n > 0).then(|| total as f64 / n as f64);
    p.mean_rating = mean;
    Ok(p)
}

async fn project_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Project>> {
    let row = sqlx::query(&format!(
        "SELECT {PROJECT_COLUMNS} FROM projects p JOIN helpers h ON h.id = p.provider_id WHERE p.id = $1"
    ))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some(filled(conn, project(&r)?, true).await?)),
    }
}

#[async_trait::async_trait]
impl crate::ProjectStore for SqlStore {
    async fn create_project(
        &self,
        actor: &Actor,
        purchaser_unit: &str,
        region_code: &str,
        provider: Uuid,
        plan: &Plan,
        now: DateTime<Utc>,
    ) -> Result<Project> {
        holding(actor, region_code)?;
        let mut tx = self.write.begin().await?;
        let organisation = helper_in(&mut tx, provider).await?.is_some_and(|h| {
            h.state == HelperState::Verified
                && matches!(h.kind, HelperKind::Organisation | HelperKind::SelfOrganisation)
        });
        if !organisation {
            return Err(FieldError::new(
                "provider",
                "承接方应为已核验的社会组织",
                "the provider is a verified organisation",
            )
            .into());
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO projects (id, purchaser_unit, region_code, provider_id, name, budget_fen, starts_on, ends_on, \
             created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(purchaser_unit.to_string())
        .bind(region_code.to_string())
        .bind(provider.to_string())
        .bind(plan.name.clone())
        .bind(plan.budget_fen)
        .bind(plan.starts_on.to_string())
        .bind(plan.ends_on.to_string())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        for (seq, i) in (0_i64..).zip(&plan.indicators) {
            sqlx::query(
                "INSERT INTO project_indicators (project_id, seq, name, unit, target) VALUES ($1, $2, $3, $4, $5)",
            )
            .bind(id.to_string())
            .bind(seq)
            .bind(i.name.clone())
            .bind(i.unit.clone())
            .bind(i.target)
            .execute(&mut *tx)
            .await?;
        }
        for (seq, m) in (0_i64..).zip(&plan.milestones) {
            sqlx::query(
                "INSERT INTO project_milestones (project_id, seq, name, due_on, payment_fen, requires_seq, requires_least) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7)",
            )
            .bind(id.to_string())
            .bind(seq)
            .bind(m.name.clone())
            .bind(m.due_on.to_string())
            .bind(m.payment_fen)
            .bind(m.requires.map(|(at, _)| i64::try_from(at).unwrap_or(i64::MAX)))
            .bind(m.requires.map(|(_, least)| least))
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({ "name": plan.name, "budget_fen": plan.budget_fen, "provider": provider });
        events::audit(&mut tx, now, actor, "project_created", Some(Subject { kind: PROJECT_KIND, id }), detail).await?;
        let created = project_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(created)
    }

    async fn projects(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Project>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let sql = format!(
            "SELECT {PROJECT_COLUMNS} FROM projects p JOIN helpers h ON h.id = p.provider_id WHERE {} \
             ORDER BY p.starts_on DESC, p.id LIMIT {}",
            args.places("p.region_code", places),
            args.int(limit)
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
        let mut listed = Vec::with_capacity(rows.len());
        for row in &rows {
            listed.push(filled(&mut conn, project(row)?, false).await?);
        }
        Ok(listed)
    }

    async fn project(&self, id: Uuid) -> Result<Option<Project>> {
        let mut conn = self.read.acquire().await?;
        project_in(&mut conn, id).await
    }

    async fn report_project_progress(
        &self,
        actor: &Actor,
        id: Uuid,
        amounts: &[i64],
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<Project> {
        let mut tx = self.write.begin().await?;
        let before = project_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &before.region_code)?;
        if amounts.len() != before.indicators.len() || amounts.iter().any(|a| *a < 0) {
            return Err(FieldError::new(
                "amounts",
                "请为每项指标填写本期完成数（不小于0）",
                "give what was delivered of each indicator (none below nothing)",
            )
            .into());
        }
        for (seq, amount) in (0_i64..).zip(amounts) {
            sqlx::query("UPDATE project_indicators SET actual = actual + $1 WHERE project_id = $2 AND seq = $3")
                .bind(*amount)
                .bind(id.to_string())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        }
        let seq = i64::try_from(before.reports.len()).unwrap_or(i64::MAX) + 1;
        sqlx::query(
            "INSERT INTO project_reports (project_id, seq, at, by_user, note, amounts) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(seq)
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(note.to_string())
        .bind(serde_json::to_string(amounts).map_err(|e| StoreError::Corrupt(e.to_string()))?)
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "amounts": amounts });
        events::audit(&mut tx, now, actor, "project_progress", Some(Subject { kind: PROJECT_KIND, id }), detail)
            .await?;
        let after = project_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn reach_milestone(&self, actor: &Actor, id: Uuid, seq: usize, now: DateTime<Utc>) -> Result<Project> {
        let mut tx = self.write.begin().await?;
        let before = project_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &before.region_code)?;
        let gone = || FieldError::new("milestone", "无此节点，或已完成", "no such milestone, or reached already");
        let milestone = before.milestones.get(seq).filter(|m| m.reached_at.is_none()).ok_or_else(gone)?;
        let indicators: Vec<Indicator> = before.indicators.iter().map(|i| i.indicator.clone()).collect();
        let actuals: Vec<i64> = before.indicators.iter().map(|i| i.actual).collect();
        may_reach(&milestone.milestone, &indicators, &actuals)?;
        let seq = i64::try_from(seq).unwrap_or(i64::MAX);
        // Reached once: the condition and the mark are one statement.
        let marked = sqlx::query(
            "UPDATE project_milestones SET reached_at = $1, reached_by = $2 WHERE project_id = $3 AND seq = $4 \
             AND reached_at IS NULL",
        )
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(id.to_string())
        .bind(seq)
        .execute(&mut *tx)
        .await?;
        if marked.rows_affected() != 1 {
            return Err(gone().into());
        }
        let paid =
            sqlx::query("UPDATE projects SET paid_fen = paid_fen + $1 WHERE id = $2 AND paid_fen + $1 <= budget_fen")
                .bind(milestone.milestone.payment_fen)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        if paid.rows_affected() != 1 {
            return Err(FieldError::new("milestone", "付款将超过预算", "the payment would pass the budget").into());
        }
        let detail =
            serde_json::json!({ "milestone": milestone.milestone.name, "paid_fen": milestone.milestone.payment_fen });
        events::audit(&mut tx, now, actor, "project_milestone", Some(Subject { kind: PROJECT_KIND, id }), detail)
            .await?;
        let after = project_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn evaluate_project(
        &self,
        actor: &Actor,
        id: Uuid,
        (evaluator, score, summary): (&str, u8, &str),
        now: DateTime<Utc>,
    ) -> Result<Project> {
        let mut tx = self.write.begin().await?;
        let before = project_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &before.region_code)?;
        let done = sqlx::query(
            "UPDATE projects SET evaluator = $1, score = $2, evaluation = $3, evaluated_at = $4 \
             WHERE id = $5 AND evaluated_at IS NULL",
        )
        .bind(evaluator.to_string())
        .bind(i64::from(score))
        .bind(summary.to_string())
        .bind(ms(now))
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if done.rows_affected() != 1 {
            return Err(FieldError::new("evaluation", "该项目已评估", "the project is evaluated already").into());
        }
        let detail = serde_json::json!({ "evaluator": evaluator, "score": score });
        events::audit(&mut tx, now, actor, "project_evaluated", Some(Subject { kind: PROJECT_KIND, id }), detail)
            .await?;
        let after = project_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }
}
