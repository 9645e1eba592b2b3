//! The resident's side: follow a case by tracking number and query code, and evaluate it.

use std::net::IpAddr;
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::middleware::from_fn_with_state;
use axum::Json;
use grassroots_app::track::{self, Evaluation, Pass};
use serde::Deserialize;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::{ApiJson, ApiQuery};
use crate::ratelimit::limit_public;
use crate::ratelimit::Client;
use crate::views::{resident_case, ResidentCase};
use crate::AppState;

/// Both count against the address's public rate limit, and every attempt at a tracking
/// number's query code against that number's own limit.
pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(show))
        .routes(routes!(evaluate))
        .route_layer(from_fn_with_state(state.clone(), limit_public))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TrackParams {
    /// The query code (查询码) given with the tracking number.
    code: String,
}

/// A case as its resident follows it: state, timeline in plain words, result; nothing
/// personal. A wrong number or code is not found.
#[utoipa::path(get, path = "/v1/track/{tracking_no}", tag = "residents",
    params(("tracking_no" = String, Path, description = "受理编号, 14 digits"), TrackParams),
    responses((status = 200, body = ResidentCase), RateLimited,
        (status = "default", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    Path(tracking_no): Path<String>,
    Client(client): Client,
    ApiQuery(p): ApiQuery<TrackParams>,
) -> Result<Json<ResidentCase>, ApiError> {
    let pass = Pass::Code { tracking_no, code: p.code };
    Ok(Json(find_case(&state, &pass, client).await?))
}

/// The case a pass opens, as its resident sees it (for the API and the tracking page alike).
pub(crate) async fn find_case(state: &AppState, pass: &Pass, client: IpAddr) -> Result<ResidentCase, ApiError> {
    let tracked = track::find(state, pass, client).await?;
    Ok(resident_case(&tracked, &state.reference()))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationRequest {
    code: String,
    resolved: bool,
    /// `satisfied`, `basic` or `dissatisfied`.
    satisfaction: String,
    comment: Option<String>,
}

/// The resident's evaluation of their closed case (once per round of handling).
#[utoipa::path(post, path = "/v1/track/{tracking_no}/evaluation", tag = "residents",
    params(("tracking_no" = String, Path, description = "受理编号, 14 digits")), request_body = EvaluationRequest,
    responses((status = 200, body = ResidentCase), RateLimited,
        (status = "default", body = ErrorBody)))]
pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    Path(tracking_no): Path<String>,
    Client(client): Client,
    ApiJson(req): ApiJson<EvaluationRequest>,
) -> Result<Json<ResidentCase>, ApiError> {
    let evaluation = Evaluation { resolved: req.resolved, satisfaction: req.satisfaction, comment: req.comment };
    let pass = Pass::Code { tracking_no, code: req.code };
    track::evaluate(&state, &pass, client, evaluation).await?;
    Ok(Json(find_case(&state, &pass, client).await?))
}
