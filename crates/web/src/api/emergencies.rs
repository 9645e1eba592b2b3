//! 应急管理 over JSON: those who command open incidents with their plan, follow the
//! house-by-house check by grid and community, send notices to the area (their texts counted),
//! keep shelters, supplies and the log, and close with a summary; grid workers read their
//! grids' households and set each one's status; a resident chooses to receive the notices.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use grassroots_app::emergencies::{self, IncidentForm};
use grassroots_domain::emergencies::Progress;
use grassroots_store::emergencies::{
    GridProgress, HouseholdCheck, IncidentRecord, IncidentTask, LogEntry, NoticeRecord, Shelter, Supply,
};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can, SignedIn, Staff};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, open))
        .routes(routes!(show))
        .routes(routes!(progress))
        .routes(routes!(households, add_household))
        .routes(routes!(check))
        .routes(routes!(complete_task))
        .routes(routes!(notify))
        .routes(routes!(add_shelter))
        .routes(routes!(set_occupancy))
        .routes(routes!(add_supply))
        .routes(routes!(change_supply))
        .routes(routes!(add_log))
        .routes(routes!(close))
        .routes(routes!(my_alerts, set_my_alerts))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IncidentBody {
    /// `flood`, `fire`, `gas`, `public_health`, `power_cut` or `extreme_weather`.
    #[serde(default)]
    pub kind: String,
    /// The response level: `i` (the highest) to `iv`.
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub title: String,
    /// A drill: the same flow, no resident texted.
    #[serde(default)]
    pub drill: bool,
    /// Streets, communities or grids whose grids are the area.
    #[serde(default)]
    pub places: Vec<String>,
    /// Or the area drawn: corners `lng,lat` separated by `;`.
    pub polygon: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Incidents {
    /// The active first, then the latest.
    pub incidents: Vec<IncidentRecord>,
}

/// Incidents of the caller's places.
#[utoipa::path(get, path = "/v1/incidents", tag = "emergencies", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Incidents), (status = "default", description = "Not signed in (401), a role that neither commands nor checks (403), …", body = ErrorBody)))]
pub async fn list(State(state): State<Arc<AppState>>, staff: Staff) -> Result<Json<Incidents>, ApiError> {
    Ok(Json(Incidents { incidents: emergencies::list(&state, &staff.user).await? }))
}

/// Opens an incident over an area the caller holds, with the plan of its kind.
#[utoipa::path(post, path = "/v1/incidents", tag = "emergencies", request_body = IncidentBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = IncidentRecord), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn open(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    ApiJson(b): ApiJson<IncidentBody>,
) -> Result<(StatusCode, Json<IncidentRecord>), ApiError> {
    let form = IncidentForm {
        kind: b.kind,
        severity: b.severity,
        title: b.title,
        drill: b.drill,
        places: b.places,
        polygon: b.polygon,
    };
    Ok((StatusCode::CREATED, Json(emergencies::open(&state, &staff.user, form).await?)))
}

/// A community's progress in the check.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommunityProgress {
    pub community_code: String,
    pub progress: Progress,
}

/// The check's progress, by grid and community, and in all.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CheckProgress {
    pub grids: Vec<GridProgress>,
    pub communities: Vec<CommunityProgress>,
    pub total: Progress,
}

fn check_progress(grids: Vec<GridProgress>, communities: Vec<(String, Progress)>, total: Progress) -> CheckProgress {
    let communities = communities
        .into_iter()
        .map(|(community_code, progress)| CommunityProgress { community_code, progress })
        .collect();
    CheckProgress { grids, communities, total }
}

/// An incident as its command page shows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct IncidentBodyView {
    pub incident: IncidentRecord,
    pub progress: CheckProgress,
    pub tasks: Vec<IncidentTask>,
    pub notices: Vec<NoticeRecord>,
    pub shelters: Vec<Shelter>,
    pub supplies: Vec<Supply>,
    pub log: Vec<LogEntry>,
}

/// An incident of the caller's places with everything its command follows.
#[utoipa::path(get, path = "/v1/incidents/{id}", tag = "emergencies", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = IncidentBodyView), (status = "default", description = "Outside the caller's places (404), …", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path(id): Path<String>,
) -> Result<Json<IncidentBodyView>, ApiError> {
    let v = emergencies::view(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Json(IncidentBodyView {
        incident: v.incident,
        progress: check_progress(v.grids, v.communities, v.total),
        tasks: v.tasks,
        notices: v.notices,
        shelters: v.shelters,
        supplies: v.supplies,
        log: v.log,
    }))
}

/// The check's progress alone, for a command screen that follows it.
#[utoipa::path(get, path = "/v1/incidents/{id}/progress", tag = "emergencies", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CheckProgress), (status = "default", body = ErrorBody)))]
pub async fn progress(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path(id): Path<String>,
) -> Result<Json<CheckProgress>, ApiError> {
    let (grids, communities, total) = emergencies::progress(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Json(check_progress(grids, communities, total)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HouseholdsParams {
    /// A grid of the area the caller holds.
    #[serde(default)]
    grid: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Households {
    /// By door, with what the check found.
    pub households: Vec<HouseholdCheck>,
}

/// The households of one of the caller's grids in the area.
#[utoipa::path(get, path = "/v1/incidents/{id}/households", tag = "emergencies", params(("id" = Uuid, Path), HouseholdsParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Households), (status = "default", description = "A grid not the caller's or outside the area (404), …", body = ErrorBody)))]
pub async fn households(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<HouseholdsParams>,
) -> Result<Json<Households>, ApiError> {
    let (_, households) = emergencies::households(&state, &staff.user, id_in_path(&id)?, p.grid.trim()).await?;
    Ok(Json(Households { households }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewHouseholdBody {
    /// A grid of the area the caller holds.
    #[serde(default)]
    pub grid: String,
    /// The door (3号楼2单元401); no personal data.
    #[serde(default)]
    pub label: String,
}

/// Adds a household found at the door that the grid's register lacks, to be checked like the
/// others (a label already registered is that household).
#[utoipa::path(post, path = "/v1/incidents/{id}/households", tag = "emergencies", params(("id" = Uuid, Path)), request_body = NewHouseholdBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = HouseholdCheck), (status = "default", description = "A grid not the caller's (404), a label refused (422), …", body = ErrorBody)))]
pub async fn add_household(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<NewHouseholdBody>,
) -> Result<(StatusCode, Json<HouseholdCheck>), ApiError> {
    emergencies::may_follow(&staff.user)?;
    let added = emergencies::add_household(&state, &staff.user, id_in_path(&id)?, b.grid.trim(), &b.label).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CheckBody {
    #[serde(default)]
    pub household_id: String,
    /// `safe`, `needs_help`, `not_reached` or `moved_out`.
    #[serde(default)]
    pub status: String,
    /// What help is needed, say; no phone or ID numbers.
    pub note: Option<String>,
}

/// Sets a household's status; one needing help becomes a task of the grid workers.
#[utoipa::path(post, path = "/v1/incidents/{id}/checks", tag = "emergencies", params(("id" = Uuid, Path)), request_body = CheckBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = HouseholdCheck), (status = "default", description = "A household outside the caller's grids (404), a closed incident or a field refused (422), …", body = ErrorBody)))]
pub async fn check(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CheckBody>,
) -> Result<Json<HouseholdCheck>, ApiError> {
    emergencies::may_follow(&staff.user)?;
    let household = id_in_path(&b.household_id)?;
    let checked =
        emergencies::check(&state, &staff.user, id_in_path(&id)?, household, &b.status, b.note.as_deref()).await?;
    Ok(Json(checked))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NoteBody {
    pub note: Option<String>,
}

/// Marks a task done.
#[utoipa::path(post, path = "/v1/incidents/{id}/tasks/{task}", tag = "emergencies", params(("id" = Uuid, Path), ("task" = Uuid, Path)),
    request_body = NoteBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = IncidentTask), (status = "default", description = "Done already (422), …", body = ErrorBody)))]
pub async fn complete_task(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path((id, task)): Path<(String, String)>,
    ApiJson(b): ApiJson<NoteBody>,
) -> Result<Json<IncidentTask>, ApiError> {
    emergencies::may_follow(&staff.user)?;
    let (id, task) = (id_in_path(&id)?, id_in_path(&task)?);
    Ok(Json(emergencies::complete_task(&state, &staff.user, id, task, b.note.as_deref()).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TextBody {
    #[serde(default)]
    pub text: String,
}

/// A notice texted to the area's grid workers and, unless a drill, its subscribed residents.
#[utoipa::path(post, path = "/v1/incidents/{id}/notices", tag = "emergencies", params(("id" = Uuid, Path)), request_body = TextBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = NoticeRecord), (status = "default", body = ErrorBody)))]
pub async fn notify(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TextBody>,
) -> Result<(StatusCode, Json<NoticeRecord>), ApiError> {
    Ok((StatusCode::CREATED, Json(emergencies::notify(&state, &staff.user, id_in_path(&id)?, &b.text).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShelterBody {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub capacity: String,
}

/// Opens a shelter for the incident.
#[utoipa::path(post, path = "/v1/incidents/{id}/shelters", tag = "emergencies", params(("id" = Uuid, Path)), request_body = ShelterBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Shelter), (status = "default", body = ErrorBody)))]
pub async fn add_shelter(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ShelterBody>,
) -> Result<(StatusCode, Json<Shelter>), ApiError> {
    let added =
        emergencies::add_shelter(&state, &staff.user, id_in_path(&id)?, &b.name, &b.address, &b.capacity).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OccupancyBody {
    /// How many it holds now: 0 to its capacity.
    #[serde(default)]
    pub occupancy: String,
}

/// Sets how many a shelter holds.
#[utoipa::path(post, path = "/v1/incidents/{id}/shelters/{shelter}", tag = "emergencies", params(("id" = Uuid, Path), ("shelter" = Uuid, Path)),
    request_body = OccupancyBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Shelter), (status = "default", description = "Past its capacity (422), …", body = ErrorBody)))]
pub async fn set_occupancy(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path((id, shelter)): Path<(String, String)>,
    ApiJson(b): ApiJson<OccupancyBody>,
) -> Result<Json<Shelter>, ApiError> {
    let (id, shelter) = (id_in_path(&id)?, id_in_path(&shelter)?);
    Ok(Json(emergencies::set_occupancy(&state, &staff.user, id, shelter, &b.occupancy).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupplyBody {
    #[serde(default)]
    pub item: String,
    /// 箱, 件, 顶, …
    #[serde(default)]
    pub unit: String,
    #[serde(default)]
    pub stock: String,
}

/// Keeps the stock of an item for the incident.
#[utoipa::path(post, path = "/v1/incidents/{id}/supplies", tag = "emergencies", params(("id" = Uuid, Path)), request_body = SupplyBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Supply), (status = "default", body = ErrorBody)))]
pub async fn add_supply(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SupplyBody>,
) -> Result<(StatusCode, Json<Supply>), ApiError> {
    let added = emergencies::add_supply(&state, &staff.user, id_in_path(&id)?, &b.item, &b.unit, &b.stock).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StockChangeBody {
    /// Added (above 0) or handed out (below 0); never below nothing.
    #[serde(default)]
    pub change: String,
}

/// Adds to or hands out of a stock.
#[utoipa::path(post, path = "/v1/incidents/{id}/supplies/{supply}", tag = "emergencies", params(("id" = Uuid, Path), ("supply" = Uuid, Path)),
    request_body = StockChangeBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Supply), (status = "default", description = "More than in stock (422), …", body = ErrorBody)))]
pub async fn change_supply(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path((id, supply)): Path<(String, String)>,
    ApiJson(b): ApiJson<StockChangeBody>,
) -> Result<Json<Supply>, ApiError> {
    let (id, supply) = (id_in_path(&id)?, id_in_path(&supply)?);
    Ok(Json(emergencies::change_supply(&state, &staff.user, id, supply, &b.change).await?))
}

/// An entry of the incident's log.
#[utoipa::path(post, path = "/v1/incidents/{id}/log", tag = "emergencies", params(("id" = Uuid, Path)), request_body = TextBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = LogEntry), (status = "default", body = ErrorBody)))]
pub async fn add_log(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<TextBody>,
) -> Result<(StatusCode, Json<LogEntry>), ApiError> {
    Ok((StatusCode::CREATED, Json(emergencies::add_log(&state, &staff.user, id_in_path(&id)?, &b.text).await?)))
}

/// Closes the incident with its after-action summary, drawn from the figures.
#[utoipa::path(post, path = "/v1/incidents/{id}/closure", tag = "emergencies", params(("id" = Uuid, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = IncidentRecord), (status = "default", description = "Closed already (422), …", body = ErrorBody)))]
pub async fn close(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CommandEmergencies>,
    Path(id): Path<String>,
) -> Result<Json<IncidentRecord>, ApiError> {
    Ok(Json(emergencies::close(&state, &staff.user, id_in_path(&id)?).await?))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AlertSubscription {
    /// Texted the emergency notices of the household's area.
    pub subscribed: bool,
}

/// Whether the signed-in resident receives the emergency notices of their household's area.
#[utoipa::path(get, path = "/v1/residents/me/alerts", tag = "residents", security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = AlertSubscription), (status = "default", body = ErrorBody)))]
pub async fn my_alerts(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
) -> Result<Json<AlertSubscription>, ApiError> {
    Ok(Json(AlertSubscription { subscribed: emergencies::subscribed(&state, &signed_in.resident).await? }))
}

/// The signed-in resident's choice to receive them.
#[utoipa::path(put, path = "/v1/residents/me/alerts", tag = "residents", request_body = AlertSubscription,
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = AlertSubscription), (status = "default", body = ErrorBody)))]
pub async fn set_my_alerts(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    ApiJson(b): ApiJson<AlertSubscription>,
) -> Result<Json<AlertSubscription>, ApiError> {
    Ok(Json(AlertSubscription { subscribed: emergencies::subscribe(&state, &signed_in.resident, b.subscribed).await? }))
}
