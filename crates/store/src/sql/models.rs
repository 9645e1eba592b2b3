//! 智能分类: labelled cases, kept models and the machine's decisions.

use chrono::{DateTime, Utc};
use grassroots_domain::decisions::{Decision, DecisionKind};
use grassroots_domain::{CaseRecord, CaseState};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::privacy::ERASED;
use super::rows::{coded, optional_uuid, uuid_column, AnyQuery};
use super::{from_ms, ms, Inserts, SqlStore};
use crate::models::{DecisionOnCase, LabelledCase, ModelInfo, NewModel};
use crate::{Result, StoreError};

const DECISION_COLUMNS: &str = "d.case_id, c.tracking_no, d.made_at, d.kind, d.category_code AS decided_category, \
     d.unit_id, d.confidence, d.reasons, d.model_version, d.target_case, c.state, c.category_code, c.lead_unit, \
     c.return_count, c.merged_into";

fn decision_from_row(r: &AnyRow) -> Result<DecisionOnCase> {
    let corrupt = |what: &str| StoreError::Corrupt(format!("machine decision: {what}"));
    let reasons: String = r.try_get("reasons")?;
    Ok(DecisionOnCase {
        case_id: uuid_column(r, "case_id")?,
        tracking_no: r.try_get("tracking_no")?,
        made_at: from_ms(r.try_get("made_at")?),
        decision: Decision {
            kind: coded(DecisionKind::parse, "decision kind", r.try_get("kind")?)?,
            category_code: r.try_get("decided_category")?,
            unit_id: r.try_get("unit_id")?,
            confidence: r.try_get("confidence")?,
            reasons: serde_json::from_str(&reasons).map_err(|e| corrupt(&e.to_string()))?,
            model_version: r.try_get("model_version")?,
            target_case: optional_uuid(r, "target_case")?,
        },
        state: coded(CaseState::parse, "state", r.try_get("state")?)?,
        category_code: r.try_get("category_code")?,
        lead_unit: r.try_get("lead_unit")?,
        return_count: r.try_get("return_count")?,
        merged_into: optional_uuid(r, "merged_into")?,
    })
}

/// The columns a machine decision is written to, in the order `bind_decision` binds them.
const DECISION_WRITTEN: &str =
    "id, case_id, kind, category_code, unit_id, confidence, reasons, model_version, target_case, made_at";

fn reasons_json(d: &Decision) -> Result<String> {
    serde_json::to_string(&d.reasons).map_err(|e| StoreError::Corrupt(e.to_string()))
}

fn bind_decision<'q>(
    query: AnyQuery<'q>,
    case_id: Uuid,
    d: &Decision,
    reasons: String,
    at: DateTime<Utc>,
) -> AnyQuery<'q> {
    query
        .bind(Uuid::now_v7().to_string())
        .bind(case_id.to_string())
        .bind(d.kind.as_str())
        .bind(d.category_code.clone())
        .bind(d.unit_id.clone())
        .bind(d.confidence)
        .bind(reasons)
        .bind(d.model_version)
        .bind(d.target_case.map(|id| id.to_string()))
        .bind(ms(at))
}

impl SqlStore {
    /// The statements that write cases' decisions, each made at its case's receipt.
    pub(crate) fn decision_inserts(anonymous: bool, decisions: Vec<(&CaseRecord, &Decision)>) -> Result<Inserts> {
        let rows = decisions.into_iter().map(|(r, d)| Ok((r, d, reasons_json(d)?))).collect::<Result<Vec<_>>>()?;
        let head = format!("INSERT INTO machine_decisions ({DECISION_WRITTEN})");
        Ok(Inserts::build(anonymous, &head, 10, "", rows, |q, (record, d, reasons)| {
            bind_decision(q, record.id, d, reasons, record.received_at)
        })?
        .with_optional_doubles())
    }
}

#[async_trait::async_trait]
impl crate::ModelStore for SqlStore {
    async fn labelled_cases(&self, after: Option<Uuid>, limit: usize) -> Result<Vec<LabelledCase>> {
        let rows = sqlx::query(
            "SELECT c.id, c.category_code, c.description FROM cases c \
             WHERE c.id > $1 AND c.description <> $2 AND (c.state = 'closed' OR EXISTS \
             (SELECT 1 FROM events e WHERE e.aggregate_type = 'case' AND e.aggregate_id = c.id AND e.kind = 'reclassified')) \
             ORDER BY c.id LIMIT $3",
        )
        .bind(after.map(|id| id.to_string()).unwrap_or_default())
        .bind(ERASED)
        .bind(limit as i64)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(LabelledCase {
                    id: uuid_column(r, "id")?,
                    category_code: r.try_get("category_code")?,
                    description: r.try_get("description")?,
                })
            })
            .collect()
    }

    async fn add_model(&self, model: &NewModel) -> Result<i64> {
        let mut tx = self.write.begin().await?;
        let version: i64 = sqlx::query("SELECT COALESCE(MAX(version), 0) + 1 AS next FROM classifier_models")
            .fetch_one(&mut *tx)
            .await?
            .try_get("next")?;
        if model.in_service {
            sqlx::query("UPDATE classifier_models SET in_service = 0 WHERE in_service = 1").execute(&mut *tx).await?;
        }
        sqlx::query(
            "INSERT INTO classifier_models (version, trained_at, examples, held_out, evaluation, compared, in_service, model) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(version)
        .bind(ms(model.trained_at))
        .bind(model.examples)
        .bind(model.held_out)
        .bind(model.evaluation.clone())
        .bind(model.compared.clone())
        .bind(i64::from(model.in_service))
        .bind(model.bytes.clone())
        .execute(&mut *tx)
        .await?;
        // Retrained daily, a model's weights would grow the store by megabytes a day: beyond the
        // latest versions only the one in service keeps them; every version keeps its figures.
        sqlx::query("UPDATE classifier_models SET model = $1 WHERE in_service = 0 AND version <= $2")
            .bind(Vec::<u8>::new())
            .bind(version - crate::models::WEIGHTS_KEPT)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(version)
    }

    async fn models(&self) -> Result<Vec<ModelInfo>> {
        let rows = sqlx::query(
            "SELECT version, trained_at, examples, held_out, evaluation, compared, in_service, LENGTH(model) AS size_bytes \
             FROM classifier_models ORDER BY version DESC",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ModelInfo {
                    version: r.try_get("version")?,
                    trained_at: from_ms(r.try_get("trained_at")?),
                    examples: r.try_get("examples")?,
                    held_out: r.try_get("held_out")?,
                    evaluation: r.try_get("evaluation")?,
                    compared: r.try_get("compared")?,
                    in_service: r.try_get::<i64, _>("in_service")? != 0,
                    size_bytes: r.try_get::<i64, _>("size_bytes")?,
                })
            })
            .collect()
    }

    async fn model_in_service(&self) -> Result<Option<(i64, Vec<u8>)>> {
        let row = sqlx::query("SELECT version, model FROM classifier_models WHERE in_service = 1")
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| Ok((r.try_get("version")?, r.try_get("model")?))).transpose()
    }

    async fn version_in_service(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT version FROM classifier_models WHERE in_service = 1")
            .fetch_optional(&self.read)
            .await?;
        row.map(|r| Ok(r.try_get("version")?)).transpose()
    }

    async fn case_decisions(&self, case_id: Uuid) -> Result<Vec<DecisionOnCase>> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM machine_decisions d JOIN cases c ON c.id = d.case_id \
             WHERE d.case_id = $1 ORDER BY d.id"
        );
        let rows = sqlx::query(&sql).bind(case_id.to_string()).fetch_all(&self.read).await?;
        rows.iter().map(decision_from_row).collect()
    }

    async fn decisions_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DecisionOnCase>> {
        let sql = format!(
            "SELECT {DECISION_COLUMNS} FROM machine_decisions d JOIN cases c ON c.id = d.case_id \
             WHERE d.made_at >= $1 AND d.made_at < $2 ORDER BY d.made_at"
        );
        let rows = sqlx::query(&sql).bind(ms(from)).bind(ms(to)).fetch_all(&self.read).await?;
        rows.iter().map(decision_from_row).collect()
    }
}
