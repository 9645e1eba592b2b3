//! 政府购买服务 over JSON: anyone reads the projects with their plan against what was delivered
//! (public information of what the government buys); staff who match help open projects in the
//! places they hold, report progress, mark milestones reached and record the evaluation.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use grassroots_app::projects::{self, ProjectForm};
use grassroots_store::projects::Project;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::ApiJson;
use crate::ratelimit::limit_public;
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(list))
                .routes(routes!(show))
                .route_layer(from_fn_with_state(state.clone(), limit_public)),
        )
        .routes(routes!(create))
        .routes(routes!(report))
        .routes(routes!(reach))
        .routes(routes!(evaluate))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Projects {
    /// Newest first, without their reports.
    pub projects: Vec<Project>,
}

/// Every service project with its indicators, milestones and payments.
#[utoipa::path(get, path = "/v1/projects", tag = "services",
    responses((status = 200, body = Projects), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Projects>, ApiError> {
    Ok(Json(Projects { projects: projects::list(&state).await? }))
}

/// A project with its reports and evaluation.
#[utoipa::path(get, path = "/v1/projects/{id}", tag = "services", params(("id" = Uuid, Path)),
    responses((status = 200, body = Project), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<Project>, ApiError> {
    Ok(Json(projects::get(&state, id_in_path(&id)?).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectBody {
    /// The unit that buys it (a street office's or a department's id).
    pub purchaser_unit: String,
    /// The verified social organisation that provides it (a helper's id).
    pub provider_id: String,
    pub name: String,
    /// Yuan.
    pub budget: String,
    pub starts_on: String,
    pub ends_on: String,
    /// One a line: `name|unit|target` (`服务人次|人次|1200`).
    pub indicators: String,
    /// One a line: `name|YYYY-MM-DD|yuan`, optionally `|indicator>=N`.
    #[serde(default)]
    pub milestones: String,
}

/// Opens a project of a unit whose place the caller holds; milestones paying beyond the
/// budget, or outside the contract, are refused on `milestones`.
#[utoipa::path(post, path = "/v1/projects", tag = "services", request_body = ProjectBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Project), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    ApiJson(b): ApiJson<ProjectBody>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    let form = ProjectForm {
        purchaser_unit: b.purchaser_unit,
        provider_id: b.provider_id,
        name: b.name,
        budget: b.budget,
        starts_on: b.starts_on,
        ends_on: b.ends_on,
        indicators: b.indicators,
        milestones: b.milestones,
    };
    Ok((StatusCode::CREATED, Json(projects::create(&state, &staff.user, form).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReportBody {
    /// What was delivered of each indicator, in the plan's order.
    pub amounts: Vec<String>,
    pub note: String,
}

/// Reports what was delivered; the indicators' actuals follow.
#[utoipa::path(post, path = "/v1/projects/{id}/reports", tag = "services", params(("id" = Uuid, Path)), request_body = ReportBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Project), (status = "default", description = "A field refused (422), outside the caller's places (404), …", body = ErrorBody)))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ReportBody>,
) -> Result<(StatusCode, Json<Project>), ApiError> {
    Ok((StatusCode::CREATED, Json(projects::report(&state, &staff.user, id_in_path(&id)?, &b.amounts, &b.note).await?)))
}

/// Marks a milestone (its place in the plan, from 0) reached and its payment made; refused on
/// `milestone` before its indicator is delivered, or twice.
#[utoipa::path(post, path = "/v1/projects/{id}/milestones/{n}", tag = "services", params(("id" = Uuid, Path), ("n" = usize, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Project), (status = "default", description = "A field refused (422), outside the caller's places (404), …", body = ErrorBody)))]
pub async fn reach(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path((id, n)): Path<(String, String)>,
) -> Result<Json<Project>, ApiError> {
    let n = n.parse::<usize>().map_err(|_| ApiError::not_found())?;
    Ok(Json(projects::reach(&state, &staff.user, id_in_path(&id)?, n).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EvaluationBody {
    /// The third party that evaluated.
    pub evaluator: String,
    /// 0 to 100: 90 excellent, 80 good, 60 pass.
    pub score: String,
    pub summary: String,
}

/// Records the third party's evaluation, once the contract has ended; once.
#[utoipa::path(post, path = "/v1/projects/{id}/evaluation", tag = "services", params(("id" = Uuid, Path)), request_body = EvaluationBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Project), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EvaluationBody>,
) -> Result<Json<Project>, ApiError> {
    Ok(Json(projects::evaluate(&state, &staff.user, id_in_path(&id)?, &b.evaluator, &b.score, &b.summary).await?))
}
