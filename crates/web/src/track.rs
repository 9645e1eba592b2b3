//! The resident's side: follow a case by tracking number and query code, and evaluate it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use grassroots_app::track::{self, Evaluation};
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::views::{resident_case, ResidentCase};
use crate::AppState;

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

/// The case with this tracking number and query code, as its resident sees it (for the API
/// and the tracking page alike).
pub(crate) async fn find_case(state: &AppState, tracking_no: &str, code: &str) -> Result<ResidentCase, ApiError> {
    let tracked = track::find(state, tracking_no, code).await?;
    let d = &tracked.detail;
    Ok(resident_case(&d.record, &d.events, tracked.merged_into.as_ref(), &state.reference()))
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
    let evaluation = Evaluation { resolved: req.resolved, satisfaction: req.satisfaction, comment: req.comment };
    track::evaluate(&state, &tracking_no, &req.code, evaluation).await?;
    Ok(Json(find_case(&state, &tracking_no, &req.code).await?))
}
