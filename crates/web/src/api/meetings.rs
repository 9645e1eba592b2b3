//! 议事会 and 决议落实 over JSON: anyone reads meetings (notice, then minutes) and the tasks
//! that carry out their decisions and votes' results, with their history; staff announce
//! meetings, record them as held with their decisions, set tasks from votes, report progress
//! (with photos) and see what is overdue.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_app::accountability::{self, DecisionForm};
use grassroots_app::meetings::{self, MeetingForm, MinutesForm};
use grassroots_domain::accountability::progress;
use grassroots_store::accountability::Task;
use grassroots_store::meetings::Meeting;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::id_in_path as parse_id;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::{ApiJson, JsonWithPhotos};
use crate::ratelimit::limit_public;
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(list))
                .routes(routes!(show))
                .routes(routes!(decisions))
                .routes(routes!(decision))
                .route_layer(from_fn_with_state(state.clone(), limit_public)),
        )
        .routes(routes!(plan))
        .routes(routes!(record_minutes))
        .routes(routes!(vote_decision))
        .routes(routes!(overdue))
        .routes(routes!(owned))
        .routes(routes!(report))
        .routes(routes!(complete_milestone))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ItemView {
    pub title: String,
    /// The topic it takes up, if any.
    pub topic_id: Option<Uuid>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ParticipantView {
    /// `representative`, `committee`, `property`, `unit`, `organisation` or `other`.
    pub kind: String,
    pub kind_zh: String,
    pub label: String,
    pub attended: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    pub id: Uuid,
    pub region_code: String,
    pub region_name: Option<String>,
    pub title: String,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    /// `planned` or `held`.
    pub state: String,
    pub items: Vec<ItemView>,
    pub participants: Vec<ParticipantView>,
    pub minutes: Option<String>,
    pub held_at: Option<DateTime<Utc>>,
}

fn meeting_view(state: &AppState, m: Meeting) -> MeetingView {
    MeetingView {
        id: m.id,
        region_name: state.atlas().outline(&m.region_code).map(|o| o.name.clone()),
        region_code: m.region_code,
        title: m.title,
        place: m.place,
        starts_at: m.starts_at,
        state: m.state.as_str().to_string(),
        items: m.items.into_iter().map(|i| ItemView { title: i.title, topic_id: i.topic_id }).collect(),
        participants: m
            .participants
            .into_iter()
            .map(|p| ParticipantView {
                kind: p.kind.as_str().to_string(),
                kind_zh: p.kind.label_zh().to_string(),
                label: p.label,
                attended: p.attended,
            })
            .collect(),
        minutes: m.minutes,
        held_at: m.held_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MilestoneView {
    pub position: usize,
    pub title: String,
    pub due: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct UpdateView {
    pub at: DateTime<Utc>,
    pub note: String,
    pub percent: u8,
    /// The photo's address, if one was taken.
    pub photo: Option<String>,
}

/// A task carrying out a decision, as the public follows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TaskView {
    pub id: Uuid,
    pub region_code: String,
    pub title: String,
    /// `meeting` or `vote`, and which.
    pub source: String,
    pub source_id: Uuid,
    /// `unit`, `committee` or `organisation`, and its name.
    pub owner_kind: String,
    pub owner: String,
    /// The platform's unit that carries it out (whose handlers report progress), if a unit.
    pub owner_unit: Option<String>,
    pub deadline: DateTime<Utc>,
    pub percent: u8,
    /// `underway`, `overdue`, `done_on_time` or `done_late`.
    pub progress: String,
    pub progress_zh: String,
    pub done_at: Option<DateTime<Utc>>,
    pub milestones: Vec<MilestoneView>,
    /// Oldest first; empty in lists.
    pub updates: Vec<UpdateView>,
}

pub(crate) fn task_view(t: Task) -> TaskView {
    let p = progress(t.deadline, t.done_at, Utc::now());
    TaskView {
        id: t.id,
        region_code: t.region_code,
        title: t.title,
        source: t.source.as_str().to_string(),
        source_id: t.source_id,
        owner_kind: t.owner_kind.as_str().to_string(),
        owner: t.owner,
        owner_unit: t.owner_unit,
        deadline: t.deadline,
        percent: t.percent,
        progress: p.as_str().to_string(),
        progress_zh: p.label_zh().to_string(),
        done_at: t.done_at,
        milestones: t
            .milestones
            .into_iter()
            .map(|m| MilestoneView { position: m.position, title: m.title, due: m.due, done_at: m.done_at })
            .collect(),
        updates: t
            .updates
            .into_iter()
            .map(|u| UpdateView {
                at: u.at,
                note: u.note,
                percent: u.percent,
                photo: u.photo.map(|(digest, _)| format!("/decisions/photos/{digest}")),
            })
            .collect(),
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Meetings {
    pub meetings: Vec<MeetingView>,
}

/// Every meeting, newest first: notices and, once held, minutes.
#[utoipa::path(get, path = "/v1/meetings", tag = "participation",
    responses((status = 200, body = Meetings), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Meetings>, ApiError> {
    let meetings = meetings::public(&state).await?;
    Ok(Json(Meetings { meetings: meetings.into_iter().map(|m| meeting_view(&state, m)).collect() }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MeetingDetail {
    pub meeting: MeetingView,
    /// Its decisions, each a task.
    pub decisions: Vec<TaskView>,
}

#[utoipa::path(get, path = "/v1/meetings/{id}", tag = "participation", params(("id" = Uuid, Path)),
    responses((status = 200, body = MeetingDetail), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<MeetingDetail>, ApiError> {
    let id = parse_id(&id)?;
    let meeting = meetings::get(&state, id).await?;
    let decisions = accountability::of(&state, id).await?;
    Ok(Json(MeetingDetail {
        meeting: meeting_view(&state, meeting),
        decisions: decisions.into_iter().map(task_view).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ParticipantBody {
    pub kind: String,
    /// A role's label (3号楼居民代表), never a person's name.
    pub label: String,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingBody {
    pub region: String,
    pub title: String,
    pub place: String,
    /// RFC 3339 or Beijing time (`2026-12-10T19:00`), within a year.
    pub starts_at: String,
    /// Published topics of the place on the agenda.
    #[serde(default)]
    pub topics: Vec<Uuid>,
    /// Agenda items of the meeting's own.
    #[serde(default)]
    pub other_items: Vec<String>,
    pub participants: Vec<ParticipantBody>,
}

/// Announces a meeting of one of the caller's places.
#[utoipa::path(post, path = "/v1/meetings", tag = "participation", request_body = MeetingBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = MeetingView), (status = "default", body = ErrorBody)))]
pub async fn plan(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<MeetingBody>,
) -> Result<(StatusCode, Json<MeetingView>), ApiError> {
    let form = MeetingForm {
        region: b.region,
        title: b.title,
        place: b.place,
        starts_at: b.starts_at,
        topics: b.topics,
        other_items: b.other_items,
        participants: b.participants.into_iter().map(|p| (p.kind, p.label)).collect(),
    };
    let meeting = meetings::plan(&state, &staff.user, form).await?;
    Ok((StatusCode::CREATED, Json(meeting_view(&state, meeting))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DecisionBody {
    pub title: String,
    /// `unit`, `committee` or `organisation`.
    pub owner_kind: String,
    /// The name; for a unit, one of the platform's units by id or name.
    pub owner: String,
    /// A day (`2026-12-31`) or an RFC 3339 time; not past.
    pub deadline: String,
    /// Lines `2026-12-15 选址`.
    #[serde(default)]
    pub milestones: Vec<String>,
}

fn decision_form(d: DecisionBody) -> DecisionForm {
    DecisionForm {
        title: d.title,
        owner_kind: d.owner_kind,
        owner: d.owner,
        deadline: d.deadline,
        milestones: d.milestones,
    }
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MinutesBody {
    /// Positions (from 0) of the participants who came.
    pub attended: Vec<usize>,
    pub minutes: String,
    pub decisions: Vec<DecisionBody>,
}

/// Records the meeting as held: attendance, minutes, and its decisions as tasks; once.
#[utoipa::path(post, path = "/v1/meetings/{id}/minutes", tag = "participation", request_body = MinutesBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MeetingDetail), (status = "default", body = ErrorBody)))]
pub async fn record_minutes(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MinutesBody>,
) -> Result<Json<MeetingDetail>, ApiError> {
    let id = parse_id(&id)?;
    let form = MinutesForm {
        attended: b.attended,
        minutes: b.minutes,
        decisions: b.decisions.into_iter().map(decision_form).collect(),
    };
    let meeting = meetings::record(&state, &staff.user, id, form).await?;
    let decisions = accountability::of(&state, id).await?;
    Ok(Json(MeetingDetail {
        meeting: meeting_view(&state, meeting),
        decisions: decisions.into_iter().map(task_view).collect(),
    }))
}

/// Sets a task carrying out a published vote's result.
#[utoipa::path(post, path = "/v1/votes/{id}/decision", tag = "participation", request_body = DecisionBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = TaskView), (status = "default", body = ErrorBody)))]
pub async fn vote_decision(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DecisionBody>,
) -> Result<(StatusCode, Json<TaskView>), ApiError> {
    let task = accountability::from_vote(&state, &staff.user, parse_id(&id)?, &decision_form(b)).await?;
    Ok((StatusCode::CREATED, Json(task_view(task))))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Tasks {
    pub tasks: Vec<TaskView>,
}

/// Every decision being carried out (公示), nearest deadline first.
#[utoipa::path(get, path = "/v1/decisions", tag = "participation",
    responses((status = 200, body = Tasks), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn decisions(State(state): State<Arc<AppState>>) -> Result<Json<Tasks>, ApiError> {
    Ok(Json(Tasks { tasks: accountability::public(&state).await?.into_iter().map(task_view).collect() }))
}

/// One decision with its milestones and its history.
#[utoipa::path(get, path = "/v1/decisions/{id}", tag = "participation", params(("id" = Uuid, Path)),
    responses((status = 200, body = TaskView), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn decision(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(task_view(accountability::get(&state, parse_id(&id)?).await?)))
}

/// The decisions of the caller's places past their deadline and not done.
#[utoipa::path(get, path = "/v1/overdue-decisions", tag = "participation",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Tasks), (status = "default", body = ErrorBody)))]
pub async fn overdue(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
) -> Result<Json<Tasks>, ApiError> {
    Ok(Json(Tasks { tasks: accountability::overdue(&state, &staff.user).await?.into_iter().map(task_view).collect() }))
}

/// The decisions the caller's unit carries out and has not done, nearest deadline first (a
/// handler's list; empty for staff of places).
#[utoipa::path(get, path = "/v1/owned-decisions", tag = "participation",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Tasks), (status = "default", body = ErrorBody)))]
pub async fn owned(State(state): State<Arc<AppState>>, staff: Can<need::WorkOnCases>) -> Result<Json<Tasks>, ApiError> {
    Ok(Json(Tasks { tasks: accountability::owned(&state, &staff.user).await?.into_iter().map(task_view).collect() }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProgressBody {
    /// What was done (published).
    pub note: String,
    /// The share done now, 0 to 100, no less than before; 100 finishes the task.
    pub percent: i64,
}

/// A progress report as a multipart body: the report as JSON in the part `json`, and a photo
/// (JPEG, PNG or WebP, 5 MB) in the part `photo`.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the multipart form for the document; the form is read part by part.
pub struct ProgressWithPhoto {
    json: ProgressBody,
    #[schema(value_type = String, format = Binary)]
    photo: Vec<u8>,
}

/// Reports progress on a decision, as JSON or with a photo: staff of its place, or handlers of
/// the unit that carries it out.
#[utoipa::path(post, path = "/v1/decisions/{id}/progress", tag = "participation",
    request_body(content((ProgressBody = "application/json"), (ProgressWithPhoto = "multipart/form-data"))),
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TaskView), (status = "default", body = ErrorBody)))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
    body: JsonWithPhotos<ProgressBody>,
) -> Result<Json<TaskView>, ApiError> {
    let photo = body.photos.into_iter().next();
    let task = accountability::report(&state, &staff.user, parse_id(&id)?, &body.value.note, body.value.percent, photo)
        .await?;
    Ok(Json(task_view(task)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MilestoneBody {
    /// The milestone's position, from 0.
    pub position: usize,
}

/// Marks a milestone of a decision done (who may: as for progress).
#[utoipa::path(post, path = "/v1/decisions/{id}/milestones", tag = "participation", request_body = MilestoneBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TaskView), (status = "default", body = ErrorBody)))]
pub async fn complete_milestone(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MilestoneBody>,
) -> Result<Json<TaskView>, ApiError> {
    Ok(Json(task_view(accountability::complete_milestone(&state, &staff.user, parse_id(&id)?, b.position).await?)))
}
