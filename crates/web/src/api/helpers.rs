//! Who helps (五社联动) over JSON: a person registers as a volunteer or social worker from their
//! resident account and reads their tasks and points; staff register organisations, verify,
//! deactivate and reactivate helpers of their places and redeem their points; anyone reads a
//! place's ranking by hours (names masked).

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use grassroots_app::helpers::{self, HelperForm};
use grassroots_store::helpers::{CommitmentRecord, Helper, HelperContact, PointsEntry, RankedHelper};
use grassroots_store::needs::NeedRecord;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::{ApiJson, ApiQuery};
use crate::ratelimit::limit_public;
use crate::session::{need, Can, SignedIn};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new().routes(routes!(ranking)).route_layer(from_fn_with_state(state.clone(), limit_public)),
        )
        .routes(routes!(list, register))
        .routes(routes!(show))
        .routes(routes!(set_state))
        .routes(routes!(redeem))
        .routes(routes!(commit))
        .routes(routes!(deliver))
        .routes(routes!(my_desk, register_self))
}

/// A registration. People give `days` and `parts` they are free; organisations their code
/// and contact.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HelperBody {
    /// `volunteer` or `social_worker` for oneself; `organisation` or `self_organisation` by staff.
    pub kind: String,
    pub name: String,
    /// A community (12 digits); an organisation may serve a street (9).
    pub region_code: String,
    /// Skill codes (`meals`, `companionship`, …).
    pub skills: Vec<String>,
    /// Days free, 1 (Monday) to 7 (Sunday).
    pub days: Vec<String>,
    /// `morning`, `afternoon`, `evening`.
    pub parts: Vec<String>,
    #[serde(default)]
    pub about: String,
    /// An organisation's unified social credit code (统一社会信用代码).
    pub credit_code: Option<String>,
    /// A social worker's `assistant`, `intermediate` or `senior`.
    pub qualification: Option<String>,
    pub certificate_no: Option<String>,
    /// An organisation's person to contact and their phone.
    pub contact: Option<String>,
    pub phone: Option<String>,
    /// A party member's work unit (双报到).
    pub affiliation: Option<String>,
}

impl From<HelperBody> for HelperForm {
    fn from(b: HelperBody) -> Self {
        Self {
            kind: b.kind,
            name: b.name,
            region_code: b.region_code,
            skills: b.skills,
            days: b.days,
            parts: b.parts,
            about: b.about,
            credit_code: b.credit_code,
            qualification: b.qualification,
            certificate_no: b.certificate_no,
            contact: b.contact,
            phone: b.phone,
            affiliation: b.affiliation,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HelpersParams {
    /// `pending`, `verified` or `deactivated`; all when absent.
    state: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Helpers {
    /// Pending first, then verified, then deactivated.
    pub helpers: Vec<Helper>,
}

/// The helpers of the caller's places.
#[utoipa::path(get, path = "/v1/helpers", tag = "services", params(HelpersParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Helpers), (status = "default", description = "Not signed in (401), a role that does not match help (403), …", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    ApiQuery(p): ApiQuery<HelpersParams>,
) -> Result<Json<Helpers>, ApiError> {
    Ok(Json(Helpers { helpers: helpers::list(&state, &staff.user, p.state.as_deref()).await? }))
}

/// Registers a social organisation or community self-organisation of the caller's places,
/// awaiting verification.
#[utoipa::path(post, path = "/v1/helpers", tag = "services", request_body = HelperBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Helper), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn register(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    ApiJson(b): ApiJson<HelperBody>,
) -> Result<(StatusCode, Json<Helper>), ApiError> {
    Ok((StatusCode::CREATED, Json(helpers::register_organisation(&state, &staff.user, b.into()).await?)))
}

/// A helper as staff of their place read them.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HelperFileBody {
    pub helper: Helper,
    pub contact: HelperContact,
    /// Newest first.
    pub points: Vec<PointsEntry>,
    pub tasks: Vec<NeedRecord>,
    /// By year, with what each delivered.
    pub commitments: Vec<CommitmentRecord>,
}

/// A helper of the caller's places, with their name and contact, points and tasks.
#[utoipa::path(get, path = "/v1/helpers/{id}", tag = "services", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = HelperFileBody), (status = "default", description = "Outside the caller's places (404), …", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path(id): Path<String>,
) -> Result<Json<HelperFileBody>, ApiError> {
    let f = helpers::file(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Json(HelperFileBody {
        helper: f.helper,
        contact: f.contact,
        points: f.points,
        tasks: f.tasks,
        commitments: f.commitments,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StateBody {
    /// `verified` (also to reactivate) or `deactivated`.
    pub state: String,
    /// Why, for a deactivation.
    pub reason: Option<String>,
}

/// Verifies, deactivates or reactivates a helper; audited.
#[utoipa::path(post, path = "/v1/helpers/{id}/state", tag = "services", params(("id" = Uuid, Path)), request_body = StateBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Helper), (status = "default", description = "A field refused (422), outside the caller's places (404), …", body = ErrorBody)))]
pub async fn set_state(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<StateBody>,
) -> Result<Json<Helper>, ApiError> {
    Ok(Json(helpers::set_state(&state, &staff.user, id_in_path(&id)?, &b.state, b.reason.as_deref()).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedemptionBody {
    /// Whole points, no more than the balance.
    pub points: String,
    /// What they are redeemed for (理发服务一次, 米面油一份, …).
    pub item: String,
}

/// Redeems a helper's points; more than the balance is refused on `points`.
#[utoipa::path(post, path = "/v1/helpers/{id}/redemptions", tag = "services", params(("id" = Uuid, Path)), request_body = RedemptionBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = PointsEntry), (status = "default", description = "A field refused (422), outside the caller's places (404), …", body = ErrorBody)))]
pub async fn redeem(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RedemptionBody>,
) -> Result<(StatusCode, Json<PointsEntry>), ApiError> {
    Ok((StatusCode::CREATED, Json(helpers::redeem(&state, &staff.user, id_in_path(&id)?, &b.points, &b.item).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommitmentBody {
    /// This year or the next.
    pub year: String,
    /// What is committed (开放停车位, 义诊, 志愿服务).
    pub what: String,
    /// What it is counted in (个, 次, 小时).
    pub unit: String,
    pub target: String,
}

/// A commitment of a unit based in the community or a party member reporting to it (or any
/// helper) for a year; audited.
#[utoipa::path(post, path = "/v1/helpers/{id}/commitments", tag = "services", params(("id" = Uuid, Path)), request_body = CommitmentBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Recorded"), (status = "default", description = "A field refused (422), outside the caller's places (404), …", body = ErrorBody)))]
pub async fn commit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CommitmentBody>,
) -> Result<StatusCode, ApiError> {
    helpers::commit(&state, &staff.user, id_in_path(&id)?, &b.year, &b.what, &b.unit, &b.target).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeliveryBody {
    pub amount: String,
    /// `YYYY-MM-DD`, not after today.
    pub on: String,
    pub note: Option<String>,
}

/// What a commitment (its number, from 1) delivered on a day; audited.
#[utoipa::path(post, path = "/v1/helpers/{id}/commitments/{n}/deliveries", tag = "services", params(("id" = Uuid, Path), ("n" = i64, Path)),
    request_body = DeliveryBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, description = "Recorded"), (status = "default", description = "A field refused (422), outside the caller's places (404), …", body = ErrorBody)))]
pub async fn deliver(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path((id, n)): Path<(String, String)>,
    ApiJson(b): ApiJson<DeliveryBody>,
) -> Result<StatusCode, ApiError> {
    let n = n.parse::<i64>().map_err(|_| ApiError::not_found())?;
    helpers::deliver(&state, &staff.user, id_in_path(&id)?, n, &b.amount, &b.on, b.note.as_deref()).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RankingParams {
    /// A street (9 digits) or community (12).
    region: String,
    /// At most 100; 20 when absent.
    limit: Option<i64>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Ranking {
    /// By hours confirmed this year, most first; names masked.
    pub helpers: Vec<RankedHelper>,
}

/// A place's helpers by hours confirmed this year.
#[utoipa::path(get, path = "/v1/helpers/ranking", tag = "services", params(RankingParams),
    responses((status = 200, body = Ranking), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn ranking(
    State(state): State<Arc<AppState>>,
    ApiQuery(p): ApiQuery<RankingParams>,
) -> Result<Json<Ranking>, ApiError> {
    Ok(Json(Ranking { helpers: helpers::ranking(&state, &p.region, p.limit.unwrap_or(20)).await? }))
}

/// What a helper reads of themselves.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HelperDeskBody {
    /// Absent until the resident registers.
    pub helper: Option<Helper>,
    /// Offered first, then accepted, then done, then the rest.
    pub tasks: Vec<NeedRecord>,
    pub points: Vec<PointsEntry>,
    /// Their place among the helpers of their street this year.
    pub rank: Option<usize>,
    pub commitments: Vec<CommitmentRecord>,
}

/// The signed-in resident's registration as a helper, their tasks and points.
#[utoipa::path(get, path = "/v1/residents/me/helper", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = HelperDeskBody), (status = "default", description = "Not signed in (401), …", body = ErrorBody)))]
pub async fn my_desk(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
) -> Result<Json<HelperDeskBody>, ApiError> {
    Ok(Json(match helpers::desk(&state, &signed_in.resident).await? {
        Some(d) => HelperDeskBody {
            helper: Some(d.helper),
            tasks: d.tasks,
            points: d.points,
            rank: d.rank,
            commitments: d.commitments,
        },
        None => {
            HelperDeskBody { helper: None, tasks: Vec::new(), points: Vec::new(), rank: None, commitments: Vec::new() }
        }
    }))
}

/// The signed-in resident registers as a volunteer or social worker, once; staff of their
/// community verify it.
#[utoipa::path(post, path = "/v1/residents/me/helper", tag = "residents", request_body = HelperBody,
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = Helper), (status = "default", description = "Not signed in (401), a field refused (422), …", body = ErrorBody)))]
pub async fn register_self(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    ApiJson(b): ApiJson<HelperBody>,
) -> Result<(StatusCode, Json<Helper>), ApiError> {
    Ok((StatusCode::CREATED, Json(helpers::register_self(&state, &signed_in.resident, b.into()).await?)))
}
