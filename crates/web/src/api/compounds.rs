//! 物业管理 over JSON: anyone reads the compounds with the company managing each, this year's
//! mean rating and the count of property cases that name them; staff who run participation add
//! compounds; a resident of the community rates one; staff who work on cases list its cases.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use grassroots_app::property::{self, CompoundForm};
use grassroots_store::compounds::{CompoundCase, CompoundRecord};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::ApiJson;
use crate::ratelimit::limit_public;
use crate::session::{need, Can, SignedIn};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(list))
                .routes(routes!(show))
                .route_layer(from_fn_with_state(state.clone(), limit_public)),
        )
        .routes(routes!(add))
        .routes(routes!(rate))
        .routes(routes!(cases))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Compounds {
    pub compounds: Vec<CompoundRecord>,
}

/// Every compound, by community and name.
#[utoipa::path(get, path = "/v1/compounds", tag = "services",
    responses((status = 200, body = Compounds), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Compounds>, ApiError> {
    Ok(Json(Compounds { compounds: property::list(&state).await? }))
}

/// A compound with this year's ratings and its cases' counts.
#[utoipa::path(get, path = "/v1/compounds/{id}", tag = "services", params(("id" = Uuid, Path)),
    responses((status = 200, body = CompoundRecord), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<CompoundRecord>, ApiError> {
    Ok(Json(property::get(&state, id_in_path(&id)?).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CompoundBody {
    pub community_code: String,
    /// As residents say it (和平里小区).
    pub name: String,
    /// The property management company.
    pub company: String,
    pub company_code: Option<String>,
}

/// Adds a compound of a community the caller works in.
#[utoipa::path(post, path = "/v1/compounds", tag = "services", request_body = CompoundBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = CompoundRecord), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn add(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<CompoundBody>,
) -> Result<(StatusCode, Json<CompoundRecord>), ApiError> {
    let form = CompoundForm {
        community_code: b.community_code,
        name: b.name,
        company: b.company,
        company_code: b.company_code,
    };
    Ok((StatusCode::CREATED, Json(property::add(&state, &staff.user, form).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RatingBody {
    /// 1 to 5.
    pub score: String,
    pub comment: Option<String>,
}

/// The signed-in resident rates a compound of their confirmed household's community; once a
/// year, a later rating replacing it.
#[utoipa::path(post, path = "/v1/compounds/{id}/ratings", tag = "residents", params(("id" = Uuid, Path)), request_body = RatingBody,
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = CompoundRecord), (status = "default", description = "Not signed in (401), not a resident of the community (422), …", body = ErrorBody)))]
pub async fn rate(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RatingBody>,
) -> Result<Json<CompoundRecord>, ApiError> {
    Ok(Json(property::rate(&state, &signed_in.resident, id_in_path(&id)?, &b.score, b.comment.as_deref()).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CompoundCases {
    /// Newest first.
    pub cases: Vec<CompoundCase>,
}

/// The property cases of the community that name the compound.
#[utoipa::path(get, path = "/v1/compounds/{id}/cases", tag = "services", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CompoundCases), (status = "default", description = "Outside the caller's places (404), …", body = ErrorBody)))]
pub async fn cases(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
) -> Result<Json<CompoundCases>, ApiError> {
    Ok(Json(CompoundCases { cases: property::cases(&state, &staff.user, id_in_path(&id)?).await? }))
}
