//! Grid work over JSON: grids and their workers, household visits (走访) and their coverage,
//! patrol statistics, and case photos.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use grassroots_app::visits::{self, RaisedCase, VisitLog};
use grassroots_domain::rates::{RateCounts, Rates};
use grassroots_domain::{CaseState, RegionCode};
use grassroots_store::{AttachmentInfo, GridCoverage, GridRow, Household, PatrolCounts, RateFilter, Visit};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::api::cases::parse_case_id;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(show))
        .routes(routes!(visits, record_visit))
        .routes(routes!(coverage))
        .routes(routes!(attachments))
        .routes(routes!(attachment))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// A region code: the grids inside it.
    #[param(pattern = "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})$")]
    within: Option<String>,
}

/// The grids the caller may see, without their outlines (the maps draw those).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridList {
    pub grids: Vec<GridSummary>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridSummary {
    /// Community code and a 3-digit serial: 15 digits.
    pub code: String,
    pub name: String,
    pub community_code: String,
    pub area_m2: f64,
    /// (lng, lat)
    pub centroid: [f64; 2],
    /// Generated for a demo, not surveyed.
    pub synthetic: bool,
}

#[utoipa::path(get, path = "/v1/grids", tag = "grids", params(ListParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = GridList), (status = "default", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<GridList>, ApiError> {
    let within = p
        .within
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .map_err(|e| ApiError::field("within", e.reason_zh, e.reason_en))?;
    let grids = state
        .store
        .grids()
        .await?
        .into_iter()
        .filter(|g| staff.user.scope.covers_place(&g.code))
        .filter(|g| within.as_ref().is_none_or(|w| g.code.starts_with(w.as_str())))
        .map(|g| GridSummary {
            area_m2: g.area_m2.round(),
            centroid: [g.centroid.0, g.centroid.1],
            code: g.code,
            name: g.name,
            community_code: g.community_code,
            synthetic: g.synthetic,
        })
        .collect();
    Ok(Json(GridList { grids }))
}

/// A grid: its outline, workers, visit coverage, and the rates of its cases over 90 days.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridAnswer {
    pub grid: GridRow,
    pub workers: Vec<Worker>,
    pub coverage: Option<GridCoverage>,
    pub last_90_days: GridFigures,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Worker {
    pub username: String,
    pub display_name: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridFigures {
    pub counts: RateCounts,
    pub rates: Rates,
    pub patrol: PatrolCounts,
}

#[utoipa::path(get, path = "/v1/grids/{code}", tag = "grids", params(("code" = String, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = GridAnswer), (status = "default", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(code): Path<String>,
) -> Result<Json<GridAnswer>, ApiError> {
    let grid = visits::grid_in_scope(&state, &staff.user, &code).await?;
    let workers = state
        .store
        .grid_workers(&code)
        .await?
        .into_iter()
        .map(|u| Worker { username: u.username, display_name: u.display_name })
        .collect();
    let now = Utc::now();
    let coverage = state.store.coverage(&code, now).await?.into_iter().next();
    let last_90_days = RateFilter {
        region: Some(RegionCode::parse(&code)?),
        from: Some(now - chrono::Duration::days(90)),
        ..RateFilter::default()
    };
    let counts = state.store.rate_counts(&staff.user.scope, &last_90_days).await?;
    let patrol = state.store.patrol_counts(&staff.user.scope, &last_90_days).await?;
    let last_90_days = GridFigures { counts, rates: Rates::from_counts(counts), patrol };
    Ok(Json(GridAnswer { grid, workers, coverage, last_90_days }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VisitRequest {
    /// A household on record…
    household_id: Option<String>,
    /// …or one named for the first time (building, unit, flat; no personal names).
    household_label: Option<String>,
    /// Beijing date (YYYY-MM-DD); today when absent.
    visited_on: Option<String>,
    topic: String,
    follow_up: Option<String>,
    /// A problem the visit raised, taken in as a case of this grid.
    raise_case: Option<RaisedCaseRequest>,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RaisedCaseRequest {
    description: String,
    category_code: Option<String>,
}

/// A visit logged, and the case it raised.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VisitAnswer {
    pub visit: Visit,
    pub case: Option<RaisedCaseAnswer>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RaisedCaseAnswer {
    pub id: Uuid,
    pub tracking_no: String,
    pub status: CaseState,
}

/// 走访: a grid worker logs a household visit in one of their grids, and may raise a case.
#[utoipa::path(post, path = "/v1/grids/{code}/visits", tag = "grids", params(("code" = String, Path)),
    request_body = VisitRequest, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = VisitAnswer), (status = "default", body = ErrorBody)))]
pub async fn record_visit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RecordVisits>,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<VisitRequest>,
) -> Result<(StatusCode, Json<VisitAnswer>), ApiError> {
    let log = VisitLog {
        household_id: req.household_id,
        household_label: req.household_label,
        visited_on: req.visited_on,
        topic: req.topic,
        follow_up: req.follow_up,
        raise_case: req.raise_case.map(|r| RaisedCase { description: r.description, category_code: r.category_code }),
    };
    let (visit, created) = visits::record(&state, &staff.user, &code, log).await?;
    let case = created.map(|c| RaisedCaseAnswer { id: c.id, tracking_no: c.tracking_no, status: c.status });
    Ok((StatusCode::CREATED, Json(VisitAnswer { visit, case })))
}

/// A grid's visits, newest first, and its households.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct VisitList {
    pub visits: Vec<Visit>,
    pub households: Vec<Household>,
}

/// A grid's visits and households: individual records, for staff who work on cases (not
/// leaders, who see the grid's coverage).
#[utoipa::path(get, path = "/v1/grids/{code}/visits", tag = "grids", params(("code" = String, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = VisitList), (status = "default", description = "A leader (403), a grid outside the scope (404), …", body = ErrorBody)))]
pub async fn visits(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(code): Path<String>,
) -> Result<Json<VisitList>, ApiError> {
    let listed = visits::of_grid(&state, &staff.user, &code, 200).await?;
    Ok(Json(VisitList { visits: listed.visits, households: listed.households }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CoverageParams {
    /// A region code: the grids inside it.
    #[param(pattern = "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})$")]
    region: Option<String>,
}

/// 走访覆盖率 per grid, with the formula.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CoverageAnswer {
    pub formula_zh: &'static str,
    pub formula_en: &'static str,
    pub grids: Vec<GridVisitCoverage>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct GridVisitCoverage {
    pub grid_code: String,
    pub households: i64,
    pub visited_30_days: i64,
    /// Share of households visited; absent for a grid without households.
    pub coverage_30_days: Option<f64>,
    pub visited_90_days: i64,
    pub coverage_90_days: Option<f64>,
}

/// The share of each grid's households visited in the last 30 and 90 days, for the grids the
/// caller may see.
#[utoipa::path(get, path = "/v1/stats/coverage", tag = "grids", params(CoverageParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CoverageAnswer), (status = "default", body = ErrorBody)))]
pub async fn coverage(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    ApiQuery(p): ApiQuery<CoverageParams>,
) -> Result<Json<CoverageAnswer>, ApiError> {
    let region = p.region.as_deref().map(RegionCode::parse).transpose()?;
    let within = region.as_ref().map_or("", RegionCode::as_str);
    let grids = state
        .store
        .coverage(within, Utc::now())
        .await?
        .into_iter()
        .filter(|c| staff.user.scope.covers_place(&c.grid_code))
        .map(|c: GridCoverage| {
            let share = |n: i64| (c.households > 0).then(|| n as f64 / c.households as f64);
            GridVisitCoverage {
                coverage_30_days: share(c.visited_30_days),
                coverage_90_days: share(c.visited_90_days),
                grid_code: c.grid_code,
                households: c.households,
                visited_30_days: c.visited_30_days,
                visited_90_days: c.visited_90_days,
            }
        })
        .collect();
    Ok(Json(CoverageAnswer {
        formula_zh: "走访覆盖率 = 期内走访过的住户数 ÷ 网格登记住户数",
        formula_en: "coverage = households visited in the period ÷ households registered in the grid",
        grids,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AttachmentList {
    pub attachments: Vec<AttachmentInfo>,
}

/// The photos of a case, within the caller's scope.
#[utoipa::path(get, path = "/v1/cases/{id}/attachments", tag = "cases", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AttachmentList), (status = "default", body = ErrorBody)))]
pub async fn attachments(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
) -> Result<Json<AttachmentList>, ApiError> {
    let id = parse_case_id(&id)?;
    let attachments = state.store.attachments(&staff.user.scope, id).await?;
    Ok(Json(AttachmentList { attachments }))
}

/// A photo's bytes, with its media type.
#[utoipa::path(get, path = "/v1/cases/{id}/attachments/{attachment}", tag = "cases",
    params(("id" = Uuid, Path), ("attachment" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "The photo",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
        (status = "default", body = ErrorBody),
    ))]
pub async fn attachment(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path((id, attachment)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let id = parse_case_id(&id)?;
    let attachment = uuid::Uuid::parse_str(&attachment).map_err(|_| ApiError::not_found())?;
    let (media_type, bytes) = state.store.attachment(&staff.user.scope, id, attachment).await?;
    Ok(([(header::CONTENT_TYPE, media_type), (header::CACHE_CONTROL, "private, max-age=3600".to_string())], bytes))
}
