//! 关爱服务 over JSON: the members of households who need regular visits, their flags with the
//! consent each rests on, the visits due and missed within the caller's places, and the
//! audited reveal of a member's name, phone and note. Grid workers, supervisors and
//! administrators only; never leaders.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use grassroots_app::care::{self, EndForm, FlagForm, MemberForm};
use grassroots_store::care::{CareDue, CareMember, GridCare, RevealedMember};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(due))
        .routes(routes!(grids))
        .routes(routes!(add_member))
        .routes(routes!(member))
        .routes(routes!(household))
        .routes(routes!(flag))
        .routes(routes!(end))
        .routes(routes!(reveal))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DueParams {
    /// One of the caller's grids (15 digits).
    grid: Option<String>,
}

/// The visits due within two days or missed, the longest overdue first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CareDueList {
    /// Today in Beijing, the day the list was read for.
    pub today: NaiveDate,
    pub due: Vec<CareDue>,
}

/// People in care whose visit is due within two days or was missed, within the caller's
/// places (a grid worker's grids, a supervisor's regions), one row a person.
#[utoipa::path(get, path = "/v1/care/due", tag = "care", params(DueParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CareDueList), (status = "default", description = "Not signed in (401), a role without care (403), …", body = ErrorBody)))]
pub async fn due(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    ApiQuery(p): ApiQuery<DueParams>,
) -> Result<Json<CareDueList>, ApiError> {
    let due = care::due(&state, &staff.user, p.grid.as_deref()).await?;
    Ok(Json(CareDueList { today: care::today(), due }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CareGrids {
    pub grids: Vec<GridCare>,
}

/// Per grid within the caller's places: how many people receive care, how many wait for a
/// visit overdue.
#[utoipa::path(get, path = "/v1/care/grids", tag = "care", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CareGrids), (status = "default", body = ErrorBody)))]
pub async fn grids(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
) -> Result<Json<CareGrids>, ApiError> {
    Ok(Json(CareGrids { grids: care::grids(&state, &staff.user, None).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MemberBody {
    /// One of the caller's grids.
    pub grid_code: String,
    /// The household's door (3号楼2单元401); added to the grid if new.
    pub household_label: String,
    /// Sealed; lists show it masked.
    pub name: String,
    /// Sealed.
    pub phone: Option<String>,
    pub birth_year: Option<i32>,
    /// The situation (health, who to call); sealed.
    pub note: Option<String>,
}

/// Records a member of a household in one of the caller's grids; flags follow with consent.
#[utoipa::path(post, path = "/v1/care/members", tag = "care", request_body = MemberBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = CareMember), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn add_member(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    ApiJson(b): ApiJson<MemberBody>,
) -> Result<(StatusCode, Json<CareMember>), ApiError> {
    let form = MemberForm {
        grid_code: b.grid_code,
        household_label: b.household_label,
        name: b.name,
        phone: b.phone,
        birth_year: b.birth_year.map(|y| y.to_string()),
        note: b.note,
    };
    Ok((StatusCode::CREATED, Json(care::add_member(&state, &staff.user, form).await?)))
}

/// A member with their flags (masked).
#[utoipa::path(get, path = "/v1/care/members/{id}", tag = "care", params(("id" = Uuid, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CareMember), (status = "default", description = "Outside the caller's places (404), …", body = ErrorBody)))]
pub async fn member(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    Path(id): Path<String>,
) -> Result<Json<CareMember>, ApiError> {
    Ok(Json(care::member(&state, &staff.user, id_in_path(&id)?).await?))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct HouseholdCare {
    pub members: Vec<CareMember>,
}

/// The people in care of a household (masked), within the caller's places: none outside them.
#[utoipa::path(get, path = "/v1/care/households/{id}", tag = "care", params(("id" = Uuid, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = HouseholdCare), (status = "default", body = ErrorBody)))]
pub async fn household(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    Path(id): Path<String>,
) -> Result<Json<HouseholdCare>, ApiError> {
    Ok(Json(HouseholdCare { members: care::household(&state, &staff.user, id_in_path(&id)?).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FlagBody {
    /// `elderly_alone`, `empty_nest`, `disabled`, `dibao`, `tekun` or `left_behind_child`.
    pub flag: String,
    /// Days between visits, at most the flag's standard (7 for the elderly living alone, …).
    pub visit_every_days: Option<u32>,
    /// `person`, `guardian` (required for a child) or `relative`.
    pub consent_by: String,
    /// `signed` or `spoken`.
    pub consent_form: String,
    pub consent_on: NaiveDate,
    /// The signed form's number, or the witness.
    pub consent_reference: String,
}

/// Flags a member from today, with the consent it rests on; the first visit is due a
/// visiting interval later, and every visit to the household moves it on.
#[utoipa::path(post, path = "/v1/care/members/{id}/flags", tag = "care", params(("id" = Uuid, Path)), request_body = FlagBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CareMember), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn flag(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<FlagBody>,
) -> Result<Json<CareMember>, ApiError> {
    let form = FlagForm {
        flag: b.flag,
        visit_every_days: b.visit_every_days.map(|d| d.to_string()),
        consent_by: b.consent_by,
        consent_form: b.consent_form,
        consent_on: b.consent_on.to_string(),
        consent_reference: b.consent_reference,
    };
    Ok(Json(care::flag(&state, &staff.user, id_in_path(&id)?, form).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EndBody {
    /// The flag that ends; not needed when consent is withdrawn (every flag ends).
    pub flag: Option<String>,
    /// `no_longer_applies`, `moved_out`, `died` or `consent_withdrawn` (which also erases the
    /// member's name, phone and note).
    pub end: String,
}

/// Ends a member's flag, or every flag and their sealed data when consent is withdrawn.
#[utoipa::path(post, path = "/v1/care/members/{id}/end", tag = "care", params(("id" = Uuid, Path)), request_body = EndBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CareMember), (status = "default", body = ErrorBody)))]
pub async fn end(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EndBody>,
) -> Result<Json<CareMember>, ApiError> {
    let form = EndForm { flag: b.flag, end: b.end };
    Ok(Json(care::end(&state, &staff.user, id_in_path(&id)?, form).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealBody {
    /// Why the name and phone are needed (2 to 500 characters); kept in the audit log.
    pub reason: String,
}

/// A member's name, phone and note, for a stated reason; audited.
#[utoipa::path(post, path = "/v1/care/members/{id}/reveal", tag = "care", params(("id" = Uuid, Path)), request_body = RevealBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = RevealedMember), (status = "default", body = ErrorBody)))]
pub async fn reveal(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CareForResidents>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RevealBody>,
) -> Result<Json<RevealedMember>, ApiError> {
    Ok(Json(care::reveal(&state, &staff.user, id_in_path(&id)?, Some(&b.reason)).await?))
}
