//! 附议 for apps: the open reports of a category near a place, and joining one instead of
//! reporting the same problem again. Both public, each within the address's rate limit.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::middleware::from_fn_with_state;
use axum::Json;
use chrono::NaiveDate;
use grassroots_app::support::{self, Joining};
use grassroots_domain::CaseState;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::{ApiJson, ApiQuery};
use crate::ratelimit::{limit_intake, limit_public};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    let look =
        OpenApiRouter::new().routes(routes!(nearby)).route_layer(from_fn_with_state(state.clone(), limit_public));
    let join = OpenApiRouter::new().routes(routes!(join)).route_layer(from_fn_with_state(state.clone(), limit_intake));
    OpenApiRouter::new().merge(look).merge(join)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NearbyParams {
    /// The category of the problem about to be reported.
    category_code: String,
    lat: f64,
    lng: f64,
}

/// An open report nearby, without anything of its reporter.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearbyReport {
    pub tracking_no: String,
    pub category_code: String,
    pub state: CaseState,
    /// Received on this day (Beijing).
    pub received_on: NaiveDate,
    /// From the place asked about, to 10 m.
    pub distance_m: f64,
    /// Residents who joined it.
    pub supporters: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NearbyReports {
    pub reports: Vec<NearbyReport>,
}

/// Open reports of the category within 300 m, nearest first (at most five): offered before a
/// new report, so that a resident can join one instead. None for sensitive categories.
#[utoipa::path(get, path = "/v1/reports/nearby", tag = "intake", params(NearbyParams),
    responses((status = 200, body = NearbyReports), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn nearby(
    State(state): State<Arc<AppState>>,
    ApiQuery(p): ApiQuery<NearbyParams>,
) -> Result<Json<NearbyReports>, ApiError> {
    if !(-90.0..=90.0).contains(&p.lat) || !(-180.0..=180.0).contains(&p.lng) {
        return Err(ApiError::field("lat", "坐标超出范围", "the point is out of range"));
    }
    let near = support::nearby(&state, p.category_code.trim(), (p.lat, p.lng)).await?;
    let reports = near
        .into_iter()
        .map(|n| NearbyReport {
            received_on: grassroots_domain::public::day(n.record.received_at),
            distance_m: n.distance_m,
            tracking_no: n.record.tracking_no,
            category_code: n.record.category_code,
            state: n.record.state,
            supporters: n.supporters,
        })
        .collect();
    Ok(Json(NearbyReports { reports }))
}

/// A resident joining a report: a mobile to be texted at, if they want texts.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JoinRequest {
    pub reporter_phone: Option<String>,
    /// Texts when the case is dispatched, handled and closed (needs `reporter_phone`).
    #[serde(default)]
    pub notify: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct JoinAnswer {
    pub tracking_no: String,
    /// Residents who joined it, this one included.
    pub supporters: i64,
}

/// Joins an open report (附议) instead of opening another case: counted, and texted if asked.
/// A finished case answers 409; one the public may not see, 404.
#[utoipa::path(post, path = "/v1/reports/{tracking_no}/supporters", tag = "intake",
    params(("tracking_no" = String, Path, description = "受理编号, 14 digits")), request_body = JoinRequest,
    responses((status = 200, body = JoinAnswer), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn join(
    State(state): State<Arc<AppState>>,
    Path(tracking_no): Path<String>,
    ApiJson(req): ApiJson<JoinRequest>,
) -> Result<Json<JoinAnswer>, ApiError> {
    let joined = support::join(&state, &tracking_no, Joining { phone: req.reporter_phone, notify: req.notify }).await?;
    Ok(Json(JoinAnswer { tracking_no: joined.tracking_no, supporters: joined.supporters }))
}
