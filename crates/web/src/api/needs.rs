//! Needs matched to helpers (需求清单 → 资源清单) over JSON: staff record needs of their places
//! and read the helpers suggested for each; a resident asks for help and follows their
//! requests; each party — staff of the place, the helper, the resident who asked — makes the
//! moves that are theirs (a helper's report may carry photos as `multipart/form-data`).

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::response::IntoResponse;
use axum::Json;
use grassroots_app::needs::{self, MoveForm, NeedForm};
use grassroots_domain::helpers::MatchReasons;
use grassroots_domain::needs::NeedMove;
use grassroots_store::helpers::Helper;
use grassroots_store::needs::{NeedContact, NeedRecord};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, JsonWithPhotos};
use crate::session::{need, Can, SignedIn, StaffOrResident};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, record))
        .routes(routes!(show))
        .routes(routes!(suggestions))
        .merge(OpenApiRouter::new().routes(routes!(act)).layer(DefaultBodyLimit::max(crate::PHOTO_FORM_LIMIT)))
        .routes(routes!(photo))
        .routes(routes!(my_needs, ask))
}

/// A need: by staff, its source (`case` with the case's number, `visit` with the grid and
/// household, `survey` with the survey and community); by a resident, their own.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedBody {
    /// `case`, `visit` or `survey`; ignored for a resident's own request.
    #[serde(default)]
    pub source: String,
    /// The case's tracking number.
    pub case: Option<String>,
    pub survey_id: Option<String>,
    /// The community (12 digits), where no case or household says it.
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub household_label: Option<String>,
    /// A skill code (`meals`, `escort`, …).
    pub skill: String,
    /// What help is needed; no phone or ID numbers.
    pub what: String,
    /// `YYYY-MM-DD`, today to 90 days on.
    pub on: String,
    /// `morning`, `afternoon` or `evening`.
    pub part: String,
    /// `urgent`, `soon` or `routine`.
    pub urgency: String,
    /// Where to go; sealed, shown to the helper once they accept.
    pub address: String,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
}

impl From<NeedBody> for NeedForm {
    fn from(b: NeedBody) -> Self {
        Self {
            source: b.source,
            case: b.case,
            survey_id: b.survey_id,
            community_code: b.community_code,
            grid_code: b.grid_code,
            household_label: b.household_label,
            skill: b.skill,
            what: b.what,
            on: b.on,
            part: b.part,
            urgency: b.urgency,
            address: b.address,
            contact_name: b.contact_name,
            contact_phone: b.contact_phone,
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct NeedsParams {
    /// `all` for every need; the open ones when absent.
    show: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Needs {
    /// Waiting for a helper first, then done and to be confirmed, then with a helper; the most
    /// urgent and soonest first within each.
    pub needs: Vec<NeedRecord>,
}

/// The needs of the caller's places.
#[utoipa::path(get, path = "/v1/needs", tag = "services", params(NeedsParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Needs), (status = "default", description = "Not signed in (401), a role that does not match help (403), …", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    ApiQuery(p): ApiQuery<NeedsParams>,
) -> Result<Json<Needs>, ApiError> {
    let open_only = p.show.as_deref() != Some("all");
    Ok(Json(Needs { needs: needs::list(&state, &staff.user, open_only).await? }))
}

/// Records a need found by a case asking for help, a visit or a survey.
#[utoipa::path(post, path = "/v1/needs", tag = "services", request_body = NeedBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = NeedRecord), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn record(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    ApiJson(b): ApiJson<NeedBody>,
) -> Result<(StatusCode, Json<NeedRecord>), ApiError> {
    Ok((StatusCode::CREATED, Json(needs::record(&state, &staff.user, b.into()).await?)))
}

/// A need as its reader may see it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct NeedBodyView {
    pub need: NeedRecord,
    /// Staff of the place, and the helper once they accepted.
    pub contact: Option<NeedContact>,
    /// The moves the reader may make now.
    pub moves: Vec<NeedMove>,
}

/// A need, for staff of its place, its helper, or the resident who asked (404 for anyone else).
#[utoipa::path(get, path = "/v1/needs/{id}", tag = "services", params(("id" = Uuid, Path)),
    security(("bearer" = []), ("cookie" = []), ("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = NeedBodyView), (status = "default", description = "Not signed in (401), not the reader's (404), …", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    someone: StaffOrResident,
    Path(id): Path<String>,
) -> Result<Json<NeedBodyView>, ApiError> {
    let view = needs::view(&state, someone.reader(), id_in_path(&id)?).await?;
    Ok(Json(NeedBodyView { need: view.need, contact: view.contact, moves: view.moves }))
}

/// A helper suggested, with why they stand where they do.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SuggestionBody {
    pub helper: Helper,
    pub reasons: MatchReasons,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestions {
    /// Free at the time first, then nearer, less busy, more experienced.
    pub suggestions: Vec<SuggestionBody>,
}

/// The verified helpers with the skill a need asks for, best first.
#[utoipa::path(get, path = "/v1/needs/{id}/suggestions", tag = "services", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Suggestions), (status = "default", description = "Outside the caller's places (404), …", body = ErrorBody)))]
pub async fn suggestions(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    Path(id): Path<String>,
) -> Result<Json<Suggestions>, ApiError> {
    let suggested = needs::suggest(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Json(Suggestions {
        suggestions: suggested.into_iter().map(|s| SuggestionBody { helper: s.helper, reasons: s.reasons }).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NeedMoveBody {
    /// `offer`, `accept`, `decline`, `withdraw`, `report`, `send_back`, `confirm` or `cancel`.
    #[serde(rename = "move", default)]
    pub kind: String,
    /// For an offer.
    pub helper_id: Option<String>,
    /// For a report: 0.5 to 8, in half hours.
    pub hours: Option<String>,
    /// For a confirmation: 1 to 5.
    pub rating: Option<String>,
    /// Required to withdraw, send back or cancel.
    pub note: Option<String>,
}

/// Makes a move on a need: staff of its place offer, withdraw, cancel (and answer for an
/// organisation); the helper accepts, declines and reports (photos as `multipart/form-data`,
/// the JSON in the part `json`); the resident who asked, or staff, confirm and rate or send it
/// back.
#[utoipa::path(post, path = "/v1/needs/{id}/moves", tag = "services", params(("id" = Uuid, Path)), request_body = NeedMoveBody,
    security(("bearer" = []), ("cookie" = []), ("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = NeedRecord), (status = "default", description = "A move not the caller's (403), a field refused or the need moved meanwhile (422), …", body = ErrorBody)))]
pub async fn act(
    State(state): State<Arc<AppState>>,
    someone: StaffOrResident,
    Path(id): Path<String>,
    body: JsonWithPhotos<NeedMoveBody>,
) -> Result<Json<NeedRecord>, ApiError> {
    let b = body.value;
    let form = MoveForm {
        action: b.kind,
        helper_id: b.helper_id,
        hours: b.hours,
        rating: b.rating,
        note: b.note,
        photos: body.photos,
    };
    Ok(Json(needs::act(&state, someone.reader(), id_in_path(&id)?, form).await?))
}

/// A photo of a helper's report, for whoever may read the need.
#[utoipa::path(get, path = "/v1/needs/{id}/photos/{digest}", tag = "services", params(("id" = Uuid, Path), ("digest" = String, Path)),
    security(("bearer" = []), ("cookie" = []), ("resident_bearer" = []), ("resident_cookie" = [])),
    responses(
        (status = 200, description = "The photo",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
        (status = "default", body = ErrorBody),
    ))]
pub async fn photo(
    State(state): State<Arc<AppState>>,
    someone: StaffOrResident,
    Path((id, digest)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (media_type, bytes) = needs::photo(&state, someone.reader(), id_in_path(&id)?, &digest).await?;
    Ok(([(header::CONTENT_TYPE, media_type), (header::CACHE_CONTROL, "private, max-age=86400".to_string())], bytes))
}

/// The signed-in resident's own requests, newest first.
#[utoipa::path(get, path = "/v1/residents/me/needs", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = Needs), (status = "default", description = "Not signed in (401), …", body = ErrorBody)))]
pub async fn my_needs(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Result<Json<Needs>, ApiError> {
    Ok(Json(Needs { needs: needs::mine(&state, &signed_in.resident).await? }))
}

/// The signed-in resident asks for help, in their confirmed household's community (or the
/// community named).
#[utoipa::path(post, path = "/v1/residents/me/needs", tag = "residents", request_body = NeedBody,
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = NeedRecord), (status = "default", description = "Not signed in (401), a field refused (422), …", body = ErrorBody)))]
pub async fn ask(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    ApiJson(b): ApiJson<NeedBody>,
) -> Result<(StatusCode, Json<NeedRecord>), ApiError> {
    Ok((StatusCode::CREATED, Json(needs::ask(&state, &signed_in.resident, b.into()).await?)))
}
