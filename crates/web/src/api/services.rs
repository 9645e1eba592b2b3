//! 为民服务中心 over JSON: anyone reads and searches the catalogue and a centre's open slots; a
//! resident applies online with photos of their materials (`multipart/form-data`, the JSON in
//! the part `json`), follows their applications, supplies what is asked or withdraws, and
//! books a slot; the centre's staff read their queue and the day's bookings and move
//! applications.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::response::IntoResponse;
use axum::Json;
use chrono::{NaiveDate, NaiveTime, Utc};
use grassroots_app::services::{self, ApplicationForm, BookingForm, MoveForm};
use grassroots_domain::services::{ApplicationMove, ServiceItem};
use grassroots_store::services::{ApplicantData, Application, Appointment};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::{ApiJson, ApiQuery, JsonWithPhotos};
use crate::ratelimit::limit_public;
use crate::session::{need, Can, SignedIn, StaffOrResident};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(catalogue))
                .routes(routes!(item))
                .routes(routes!(slots))
                .route_layer(from_fn_with_state(state.clone(), limit_public)),
        )
        .routes(routes!(queue))
        .routes(routes!(show))
        .merge(
            OpenApiRouter::new()
                .routes(routes!(act))
                .routes(routes!(apply))
                .layer(DefaultBodyLimit::max(crate::PHOTO_FORM_LIMIT)),
        )
        .routes(routes!(file))
        .routes(routes!(day))
        .routes(routes!(mine))
        .routes(routes!(book))
        .routes(routes!(cancel))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CatalogueParams {
    /// Words every item found holds (in its name, department, who may apply, materials).
    q: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Catalogue {
    pub items: Vec<ServiceItem>,
}

/// The service items (事项) of the streets' centres, or those a search finds.
#[utoipa::path(get, path = "/v1/services", tag = "services", params(CatalogueParams),
    responses((status = 200, body = Catalogue), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn catalogue(
    State(state): State<Arc<AppState>>,
    ApiQuery(p): ApiQuery<CatalogueParams>,
) -> Result<Json<Catalogue>, ApiError> {
    Ok(Json(Catalogue { items: services::catalogue(&state, p.q.as_deref()).await? }))
}

/// A service item.
#[utoipa::path(get, path = "/v1/services/{code}", tag = "services", params(("code" = String, Path)),
    responses((status = 200, body = ServiceItem), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn item(State(state): State<Arc<AppState>>, Path(code): Path<String>) -> Result<Json<ServiceItem>, ApiError> {
    Ok(Json(services::item(&state, &code).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SlotsParams {
    /// The street (9 digits) whose centre.
    street: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OpenSlotBody {
    pub day: NaiveDate,
    pub slot: NaiveTime,
    /// Seats left.
    pub left: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Slots {
    pub slots: Vec<OpenSlotBody>,
}

/// A centre's half-hour slots of the coming working days with the seats left.
#[utoipa::path(get, path = "/v1/service-slots", tag = "services", params(SlotsParams),
    responses((status = 200, body = Slots), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn slots(
    State(state): State<Arc<AppState>>,
    ApiQuery(p): ApiQuery<SlotsParams>,
) -> Result<Json<Slots>, ApiError> {
    let open = services::open_slots(&state, &p.street).await?;
    Ok(Json(Slots {
        slots: open.into_iter().map(|s| OpenSlotBody { day: s.day, slot: s.slot, left: s.left }).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct QueueParams {
    /// `all` for every application; the open ones when absent.
    show: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Applications {
    /// The soonest due first; those waiting for their applicant after them.
    pub applications: Vec<Application>,
}

/// The applications of the caller's centres.
#[utoipa::path(get, path = "/v1/applications", tag = "services", params(QueueParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Applications), (status = "default", description = "Not signed in (401), a role without the window (403), …", body = ErrorBody)))]
pub async fn queue(
    State(state): State<Arc<AppState>>,
    staff: Can<need::HandleApplications>,
    ApiQuery(p): ApiQuery<QueueParams>,
) -> Result<Json<Applications>, ApiError> {
    let open_only = p.show.as_deref() != Some("all");
    Ok(Json(Applications { applications: services::queue(&state, &staff.user, open_only).await? }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ApplicationBody {
    pub application: Application,
    pub item: ServiceItem,
    /// For the centre's staff.
    pub applicant: Option<ApplicantData>,
    /// The moves the reader may make now.
    pub moves: Vec<ApplicationMove>,
    pub overdue: bool,
}

/// An application, for its applicant or the centre's staff (404 for anyone else).
#[utoipa::path(get, path = "/v1/applications/{id}", tag = "services", params(("id" = Uuid, Path)),
    security(("bearer" = []), ("cookie" = []), ("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = ApplicationBody), (status = "default", description = "Not signed in (401), not the reader's (404), …", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    someone: StaffOrResident,
    Path(id): Path<String>,
) -> Result<Json<ApplicationBody>, ApiError> {
    let v = services::view(&state, someone.reader(), id_in_path(&id)?).await?;
    Ok(Json(ApplicationBody {
        application: v.application,
        item: v.item,
        applicant: v.applicant,
        moves: v.moves,
        overdue: v.overdue,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationMoveBody {
    /// `accept`, `ask_for_more`, `approve`, `refuse`, `complete` (the centre); `resubmit`,
    /// `withdraw` (the applicant).
    #[serde(rename = "move", default)]
    pub kind: String,
    /// Required to ask for materials (all of them, once) and to refuse.
    pub note: Option<String>,
}

/// Moves an application; materials supplied go as photos in `multipart/form-data`.
#[utoipa::path(post, path = "/v1/applications/{id}/moves", tag = "services", params(("id" = Uuid, Path)), request_body = ApplicationMoveBody,
    security(("bearer" = []), ("cookie" = []), ("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = Application), (status = "default", description = "A move not the caller's (403), a field refused or the application moved meanwhile (422), …", body = ErrorBody)))]
pub async fn act(
    State(state): State<Arc<AppState>>,
    someone: StaffOrResident,
    Path(id): Path<String>,
    body: JsonWithPhotos<ApplicationMoveBody>,
) -> Result<Json<Application>, ApiError> {
    let form = MoveForm { action: body.value.kind, note: body.value.note, files: body.photos };
    Ok(Json(services::act(&state, someone.reader(), id_in_path(&id)?, form).await?))
}

/// A material's photo, for the applicant or the centre's staff.
#[utoipa::path(get, path = "/v1/applications/{id}/files/{digest}", tag = "services", params(("id" = Uuid, Path), ("digest" = String, Path)),
    security(("bearer" = []), ("cookie" = []), ("resident_bearer" = []), ("resident_cookie" = [])),
    responses(
        (status = 200, description = "The photo",
            content((Vec<u8> = "image/jpeg"), (Vec<u8> = "image/png"), (Vec<u8> = "image/webp"))),
        (status = "default", body = ErrorBody),
    ))]
pub async fn file(
    State(state): State<Arc<AppState>>,
    someone: StaffOrResident,
    Path((id, digest)): Path<(String, String)>,
) -> Result<impl IntoResponse, ApiError> {
    let (media_type, bytes) = services::file(&state, someone.reader(), id_in_path(&id)?, &digest).await?;
    Ok(([(header::CONTENT_TYPE, media_type), (header::CACHE_CONTROL, "private, max-age=86400".to_string())], bytes))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DayParams {
    /// `YYYY-MM-DD`; today when absent.
    day: Option<NaiveDate>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Appointments {
    pub appointments: Vec<Appointment>,
}

/// The bookings of the caller's centres on a day, by slot.
#[utoipa::path(get, path = "/v1/appointments", tag = "services", params(DayParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Appointments), (status = "default", body = ErrorBody)))]
pub async fn day(
    State(state): State<Arc<AppState>>,
    staff: Can<need::HandleApplications>,
    ApiQuery(p): ApiQuery<DayParams>,
) -> Result<Json<Appointments>, ApiError> {
    let day = p.day.unwrap_or_else(|| grassroots_domain::calendar::beijing_day(Utc::now()));
    Ok(Json(Appointments { appointments: services::appointments(&state, &staff.user, day).await? }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyServices {
    /// Newest first.
    pub applications: Vec<Application>,
    /// From today, soonest first.
    pub appointments: Vec<Appointment>,
}

/// The signed-in resident's applications and bookings.
#[utoipa::path(get, path = "/v1/residents/me/applications", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = MyServices), (status = "default", description = "Not signed in (401), …", body = ErrorBody)))]
pub async fn mine(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Result<Json<MyServices>, ApiError> {
    let (applications, appointments) = services::mine(&state, &signed_in.resident).await?;
    Ok(Json(MyServices { applications, appointments }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ApplicationBodyIn {
    /// The item's code.
    #[serde(default)]
    pub item: String,
    /// The street (9 digits) whose centre handles it.
    #[serde(default)]
    pub street_code: String,
    #[serde(default)]
    pub name: String,
    pub phone: Option<String>,
    pub note: Option<String>,
}

/// The signed-in resident applies online: the JSON in the part `json`, photos of the materials
/// in `photo` parts (at least one).
#[utoipa::path(post, path = "/v1/residents/me/applications", tag = "residents", request_body = ApplicationBodyIn,
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = Application), (status = "default", description = "Not signed in (401), a field refused (422), …", body = ErrorBody)))]
pub async fn apply(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    body: JsonWithPhotos<ApplicationBodyIn>,
) -> Result<(StatusCode, Json<Application>), ApiError> {
    let b = body.value;
    let form =
        ApplicationForm { street_code: b.street_code, name: b.name, phone: b.phone, note: b.note, files: body.photos };
    Ok((StatusCode::CREATED, Json(services::apply(&state, &signed_in.resident, &b.item, form).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BookingBody {
    pub street_code: String,
    /// `YYYY-MM-DD`: a working day from tomorrow to 14 days on.
    pub day: String,
    /// `HH:MM`: a half-hour slot of the centre's day.
    pub slot: String,
    pub item_code: Option<String>,
}

/// The signed-in resident books a seat at a centre; a full slot is refused on `slot`.
#[utoipa::path(post, path = "/v1/residents/me/appointments", tag = "residents", request_body = BookingBody,
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = Appointment), (status = "default", description = "Not signed in (401), a field refused (422), …", body = ErrorBody)))]
pub async fn book(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    ApiJson(b): ApiJson<BookingBody>,
) -> Result<(StatusCode, Json<Appointment>), ApiError> {
    let form = BookingForm { street_code: b.street_code, day: b.day, slot: b.slot, item_code: b.item_code };
    Ok((StatusCode::CREATED, Json(services::book(&state, &signed_in.resident, form).await?)))
}

/// The signed-in resident cancels their booking.
#[utoipa::path(delete, path = "/v1/residents/me/appointments/{id}", tag = "residents", params(("id" = Uuid, Path)),
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 204, description = "Cancelled"), (status = "default", description = "Not signed in (401), not theirs (404), …", body = ErrorBody)))]
pub async fn cancel(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    services::cancel_booking(&state, &signed_in.resident, id_in_path(&id)?).await?;
    Ok(StatusCode::NO_CONTENT)
}
