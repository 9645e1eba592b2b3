//! The resident's side: follow a case by tracking number and query code, and evaluate it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;
use grassroots_domain::workflow::Move;
use grassroots_domain::Satisfaction;
use serde::Deserialize;

use grassroots_store::CaseDetail;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::views::{resident_case, ResidentCase};
use crate::AppState;

/// Tracking numbers are 14 digits; anything else names no case. Each attempt at a number's
/// query code takes a token of that number's bucket, so codes cannot be guessed from many
/// addresses at once.
fn check_tracking_no(state: &AppState, raw: &str) -> Result<(), ApiError> {
    let t = raw.trim();
    if !grassroots_domain::case::is_tracking_no(t) {
        return Err(ApiError::NotFound);
    }
    state
        .code_attempts
        .check(t.to_string(), std::time::Instant::now())
        .map_err(|retry_after_secs| ApiError::TooManyRequests { retry_after_secs })
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackParams {
    code: String,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    Path(tracking_no): Path<String>,
    ApiQuery(p): ApiQuery<TrackParams>,
) -> Result<Json<ResidentCase>, ApiError> {
    Ok(Json(find_case(&state, &tracking_no, &p.code).await?))
}

/// The case with this tracking number and query code, as its resident sees it. Attempts are
/// limited per number; a wrong pair is not found.
pub(crate) async fn find_case(state: &AppState, tracking_no: &str, code: &str) -> Result<ResidentCase, ApiError> {
    check_tracking_no(state, tracking_no)?;
    let detail = state.store.track(tracking_no.trim(), code.trim()).await?.ok_or(ApiError::NotFound)?;
    resident_view(state, detail).await
}

/// Records the resident's evaluation of their case.
pub(crate) async fn evaluate_case(state: &AppState, tracking_no: &str, code: &str, mv: &Move) -> Result<(), ApiError> {
    check_tracking_no(state, tracking_no)?;
    let reference = state.reference();
    state
        .store
        .resident_evaluate(tracking_no.trim(), code.trim(), mv, &state.move_context(&reference, Utc::now()))
        .await?;
    Ok(())
}

/// The resident's view; a merged request follows the case it was merged into.
async fn resident_view(state: &AppState, detail: CaseDetail) -> Result<ResidentCase, ApiError> {
    let merged_into = match detail.record.merged_into {
        Some(target) => state.store.case_record(target).await?,
        None => None,
    };
    Ok(resident_case(&detail.record, &detail.events, merged_into.as_ref(), &state.reference()))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    code: String,
    resolved: bool,
    satisfaction: String,
    comment: Option<String>,
}

pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    Path(tracking_no): Path<String>,
    ApiJson(req): ApiJson<EvaluationRequest>,
) -> Result<Json<ResidentCase>, ApiError> {
    let satisfaction = Satisfaction::parse_field("satisfaction", &req.satisfaction)?;
    let mv = Move::Evaluate { resolved: req.resolved, satisfaction, comment: req.comment };
    evaluate_case(&state, &tracking_no, &req.code, &mv).await?;
    Ok(Json(find_case(&state, &tracking_no, &req.code).await?))
}
