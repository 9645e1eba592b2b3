//! Residents' households over JSON (居民-户): a resident asks to be linked to their household;
//! grid workers and community staff list the requests of their communities, confirm or refuse
//! them, or link a resident by number.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_app::households::{self, DecisionForm};
use grassroots_domain::households::LinkState;
use grassroots_store::households::HouseholdLink;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can, SignedIn};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(my_household, ask)).routes(routes!(links, link)).routes(routes!(decide))
}

/// A resident's link to a household.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdLinkView {
    pub resident_id: Uuid,
    /// The resident's number, masked.
    pub phone_masked: String,
    /// The community asked for (12 digits).
    pub community_code: String,
    /// The household as the resident wrote it.
    pub label: String,
    /// `requested`, `confirmed` or `refused`.
    pub state: String,
    pub state_zh: String,
    /// The confirmed household's id, grid and label as the grid keeps it.
    pub household_id: Option<Uuid>,
    pub grid_code: Option<String>,
    pub household_label: Option<String>,
    pub asked_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why it was refused or ended.
    pub reason: Option<String>,
}

impl From<HouseholdLink> for HouseholdLinkView {
    fn from(l: HouseholdLink) -> Self {
        Self {
            resident_id: l.resident_id,
            phone_masked: l.phone_masked,
            community_code: l.community_code,
            label: l.label,
            state: l.state.as_str().to_string(),
            state_zh: l.state.label_zh().to_string(),
            household_id: l.household.as_ref().map(|h| h.id),
            grid_code: l.household.as_ref().map(|h| h.grid_code.clone()),
            household_label: l.household.map(|h| h.label),
            asked_at: l.asked_at,
            decided_at: l.decided_at,
            reason: l.reason,
        }
    }
}

/// The resident's household, if they asked for one.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyHousehold {
    pub link: Option<HouseholdLinkView>,
}

/// The signed-in resident's household link: asked, confirmed or refused.
#[utoipa::path(get, path = "/v1/residents/me/household", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = MyHousehold), (status = "default", description = "Not signed in (401), …", body = ErrorBody)))]
pub async fn my_household(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
) -> Result<Json<MyHousehold>, ApiError> {
    let link = households::mine(&state, &signed_in.resident).await?;
    Ok(Json(MyHousehold { link: link.map(Into::into) }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HouseholdRequest {
    /// The community's 12-digit code.
    pub community: String,
    /// The household: building, unit and door (3号楼2单元401); no names or numbers of people.
    pub label: String,
}

/// The resident asks to be linked to their household; a grid worker of the community confirms
/// it. Asking again replaces an earlier request or link.
#[utoipa::path(put, path = "/v1/residents/me/household", tag = "residents", request_body = HouseholdRequest,
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = HouseholdLinkView),
        (status = "default", description = "Not signed in (401), no such community or a bad label (422), …", body = ErrorBody)))]
pub async fn ask(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    ApiJson(req): ApiJson<HouseholdRequest>,
) -> Result<Json<HouseholdLinkView>, ApiError> {
    Ok(Json(households::ask(&state, &signed_in.resident, &req.community, &req.label).await?.into()))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct LinksParams {
    /// `requested` (the default), `confirmed` or `refused`.
    state: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdLinks {
    /// Oldest asked first.
    pub links: Vec<HouseholdLinkView>,
}

/// The household links of the communities the caller works in (a grid worker's: their grids'
/// communities), by state.
#[utoipa::path(get, path = "/v1/households/links", tag = "grids", params(LinksParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = HouseholdLinks), (status = "default", body = ErrorBody)))]
pub async fn links(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiQuery(p): ApiQuery<LinksParams>,
) -> Result<Json<HouseholdLinks>, ApiError> {
    let wanted = p.state.as_deref().unwrap_or("requested");
    let link_state = LinkState::parse(wanted).ok_or_else(|| {
        grassroots_app::AppError::invalid(
            "state",
            "应为 requested、confirmed 或 refused",
            "expected requested, confirmed or refused",
        )
    })?;
    let links = households::links(&state, &staff.user, link_state).await?;
    Ok(Json(HouseholdLinks { links: links.into_iter().map(Into::into).collect() }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkByNumber {
    /// The resident's mobile; they must have signed in once.
    pub phone: String,
    /// One of the caller's grids.
    pub grid_code: String,
    /// The household's label in the grid (added if new).
    pub label: String,
}

/// Links the resident of a number to a household of one of the caller's grids, confirmed at
/// once (a grid worker who knows the household).
#[utoipa::path(post, path = "/v1/households/links", tag = "grids", request_body = LinkByNumber,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = HouseholdLinkView),
        (status = "default", description = "No resident of that number (422, field `phone`), a grid not the caller's (422), …", body = ErrorBody)))]
pub async fn link(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(req): ApiJson<LinkByNumber>,
) -> Result<(StatusCode, Json<HouseholdLinkView>), ApiError> {
    let linked = households::link(&state, &staff.user, &req.phone, &req.grid_code, &req.label).await?;
    Ok((StatusCode::CREATED, Json(linked.into())))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LinkDecisionBody {
    /// `confirm` or `refuse` (a refusal also ends a confirmed link: moved out).
    pub decision: String,
    /// To confirm: one of the caller's grids in the resident's community.
    pub grid_code: Option<String>,
    /// To confirm: the household's label as the grid keeps it.
    pub label: Option<String>,
    /// To refuse: why, for the resident.
    pub reason: Option<String>,
}

/// Confirms a resident's household in one of the caller's grids, or refuses it with a reason.
#[utoipa::path(post, path = "/v1/households/links/{id}", tag = "grids", request_body = LinkDecisionBody,
    params(("id" = Uuid, Path, description = "The resident's id")), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = HouseholdLinkView), (status = "default", body = ErrorBody)))]
pub async fn decide(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<LinkDecisionBody>,
) -> Result<Json<HouseholdLinkView>, ApiError> {
    let resident = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let form = DecisionForm { decision: req.decision, grid_code: req.grid_code, label: req.label, reason: req.reason };
    Ok(Json(households::decide(&state, &staff.user, resident, form).await?.into()))
}
