//! Grid work over JSON: grids and their workers, household visits (走访) and their coverage,
//! patrol statistics, and case photos.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use chrono::Utc;
use grassroots_app::visits::{self, RaisedCase, VisitLog};
use grassroots_domain::RegionCode;
use grassroots_store::RateFilter;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{need, Can, Staff};
use crate::cases::parse_case_id;
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// A region code: the grids inside it.
    within: Option<String>,
}

/// The grids the caller may see, without their outlines (the maps draw those).
pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let within = p
        .within
        .as_deref()
        .map(RegionCode::parse)
        .transpose()
        .map_err(|e| ApiError::field("within", e.reason_zh, e.reason_en))?;
    let grids: Vec<Value> = state
        .store
        .grids()
        .await?
        .into_iter()
        .filter(|g| staff.user.scope.covers_grid(&g.code))
        .filter(|g| within.as_ref().is_none_or(|w| g.code.starts_with(w.as_str())))
        .map(|g| {
            json!({
                "code": g.code, "name": g.name, "community_code": g.community_code,
                "area_m2": g.area_m2.round(), "centroid": [g.centroid.0, g.centroid.1], "synthetic": g.synthetic,
            })
        })
        .collect();
    Ok(Json(json!({ "grids": grids })))
}

/// A grid: its outline, workers, households and visit coverage, and the rates of its cases.
pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let grid = visits::grid_in_scope(&state, &staff.user, &code).await?;
    let workers: Vec<Value> = state
        .store
        .grid_workers(&code)
        .await?
        .into_iter()
        .map(|u| json!({ "username": u.username, "display_name": u.display_name }))
        .collect();
    let now = Utc::now();
    let coverage = state.store.coverage(&code, now).await?.into_iter().next();
    let region = Some(RegionCode::parse(&code)?);
    let last_90_days =
        RateFilter { region: region.clone(), from: Some(now - chrono::Duration::days(90)), ..RateFilter::default() };
    let counts = state.store.rate_counts(&staff.user.scope, &last_90_days).await?;
    let patrol = state.store.patrol_counts(&staff.user.scope, &last_90_days).await?;
    Ok(Json(json!({
        "grid": grid,
        "workers": workers,
        "coverage": coverage,
        "last_90_days": {
            "counts": counts,
            "rates": grassroots_domain::rates::Rates::from_counts(counts),
            "patrol": patrol,
        },
    })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VisitRequest {
    /// A household on record…
    household_id: Option<String>,
    /// …or one named for the first time (building, unit, flat; no personal names).
    household_label: Option<String>,
    /// Beijing date; today when absent.
    visited_on: Option<String>,
    topic: String,
    follow_up: Option<String>,
    /// A problem the visit raised, taken in as a case of this grid.
    raise_case: Option<RaisedCaseRequest>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RaisedCaseRequest {
    description: String,
    category_code: Option<String>,
}

/// 走访: a grid worker logs a household visit in one of their grids, and may raise a case.
pub async fn record_visit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RecordVisits>,
    Path(code): Path<String>,
    ApiJson(req): ApiJson<VisitRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let log = VisitLog {
        household_id: req.household_id,
        household_label: req.household_label,
        visited_on: req.visited_on,
        topic: req.topic,
        follow_up: req.follow_up,
        raise_case: req.raise_case.map(|r| RaisedCase { description: r.description, category_code: r.category_code }),
    };
    let (visit, created) = visits::record(&state, &staff.user, &code, log).await?;
    let case = created.map(|c| json!({ "id": c.id, "tracking_no": c.tracking_no, "status": c.status }));
    Ok((StatusCode::CREATED, Json(json!({ "visit": visit, "case": case }))))
}

pub async fn visits(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(code): Path<String>,
) -> Result<Json<Value>, ApiError> {
    visits::grid_in_scope(&state, &staff.user, &code).await?;
    let visits = state.store.visits(&staff.user.scope, &code, 200).await?;
    let households = state.store.households(&code).await?;
    Ok(Json(json!({ "visits": visits, "households": households })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CoverageParams {
    region: Option<String>,
}

/// 走访覆盖率 per grid: the share of each grid's households visited in the last 30 and 90 days.
pub async fn coverage(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    ApiQuery(p): ApiQuery<CoverageParams>,
) -> Result<Json<Value>, ApiError> {
    let region = p.region.as_deref().map(RegionCode::parse).transpose()?;
    let within = region.as_ref().map_or("", RegionCode::as_str);
    let grids: Vec<Value> = state
        .store
        .coverage(within, Utc::now())
        .await?
        .into_iter()
        .filter(|c| staff.user.scope.covers_grid(&c.grid_code))
        .map(|c| {
            let share = |n: i64| (c.households > 0).then(|| n as f64 / c.households as f64);
            json!({
                "grid_code": c.grid_code, "households": c.households,
                "visited_30_days": c.visited_30_days, "coverage_30_days": share(c.visited_30_days),
                "visited_90_days": c.visited_90_days, "coverage_90_days": share(c.visited_90_days),
            })
        })
        .collect();
    Ok(Json(json!({
        "formula_zh": "走访覆盖率 = 期内走访过的住户数 ÷ 网格登记住户数",
        "formula_en": "coverage = households visited in the period ÷ households registered in the grid",
        "grids": grids,
    })))
}

/// The photos of a case, within the caller's scope.
pub async fn attachments(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_case_id(&id)?;
    let list = state.store.attachments(&staff.user.scope, id).await?;
    Ok(Json(json!({ "attachments": list })))
}

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
