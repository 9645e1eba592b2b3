//! 议事 over JSON: anyone reads the published topics with their proposals and comments; a
//! resident of the place raises a topic (it waits for a moderator), proposes, supports a
//! proposal once and comments; staff raise topics (from cases too), moderate, hide with a
//! reason, reply, and set a space's support threshold.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_app::deliberation::{self, Commenter, TopicForm};
use grassroots_store::deliberation::{Comment, Proposal, Topic};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::id_in_path as parse_id;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::{ApiJson, ApiQuery};
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
        .routes(routes!(raise))
        .routes(routes!(raise_from_cases))
        .routes(routes!(waiting))
        .routes(routes!(moderate))
        .routes(routes!(hide_proposal))
        .routes(routes!(hide_comment))
        .routes(routes!(set_threshold))
        .routes(routes!(raise_as_resident))
        .routes(routes!(propose))
        .routes(routes!(comment))
        .routes(routes!(reply))
        .routes(routes!(support))
        .routes(routes!(my_participation))
}

/// A topic as anyone reads it: who raised it only by kind.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicView {
    pub id: Uuid,
    /// The street, community or grid it concerns.
    pub region_code: String,
    pub region_name: Option<String>,
    pub title: String,
    pub body: String,
    /// `resident`, `staff` or `cases`.
    pub origin: String,
    pub origin_zh: String,
    /// `pending`, `published` or `hidden`.
    pub state: String,
    pub state_zh: String,
    /// How many reported cases it was raised from.
    pub cases: usize,
    pub proposals: u64,
    pub comments: u64,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

pub(crate) fn topic_view(state: &AppState, t: Topic) -> TopicView {
    TopicView {
        id: t.id,
        region_name: state.atlas().outline(&t.region_code).map(|o| o.name.clone()),
        region_code: t.region_code,
        title: t.title,
        body: t.body,
        origin: t.origin.as_str().to_string(),
        origin_zh: t.origin.label_zh().to_string(),
        state: t.state.as_str().to_string(),
        state_zh: t.state.label_zh().to_string(),
        cases: t.case_ids.len(),
        proposals: t.proposals,
        comments: t.comments,
        created_at: t.created_at,
        published_at: t.published_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProposalView {
    pub id: Uuid,
    pub topic_id: Uuid,
    pub title: String,
    pub body: String,
    /// 居民 or 工作人员: never a name.
    pub author_zh: String,
    pub supports: u32,
    /// When its supports reached the space's threshold (上会).
    pub on_agenda_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

fn proposal_view(p: Proposal) -> ProposalView {
    ProposalView {
        id: p.id,
        topic_id: p.topic_id,
        title: p.title,
        body: p.body,
        author_zh: p.author_kind.label_zh().to_string(),
        supports: p.supports,
        on_agenda_at: p.on_agenda_at,
        created_at: p.created_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CommentView {
    pub id: Uuid,
    pub proposal_id: Option<Uuid>,
    pub author_zh: String,
    pub body: String,
    pub created_at: DateTime<Utc>,
}

fn comment_view(c: Comment) -> CommentView {
    CommentView {
        id: c.id,
        proposal_id: c.proposal_id,
        author_zh: c.author_kind.label_zh().to_string(),
        body: c.body,
        created_at: c.created_at,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Topics {
    /// Newest first.
    pub topics: Vec<TopicView>,
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct TopicsParams {
    /// A street, community or grid: its topics and those of the places within it.
    region: Option<String>,
}

/// The published topics (议题), newest first.
#[utoipa::path(get, path = "/v1/topics", tag = "participation", params(TopicsParams),
    responses((status = 200, body = Topics), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    ApiQuery(p): ApiQuery<TopicsParams>,
) -> Result<Json<Topics>, ApiError> {
    let topics = deliberation::published(&state, p.region.as_deref()).await?;
    Ok(Json(Topics { topics: topics.into_iter().map(|t| topic_view(&state, t)).collect() }))
}

/// A published topic with its proposals and comments, none hidden.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TopicDetail {
    pub topic: TopicView,
    /// Oldest first.
    pub proposals: Vec<ProposalView>,
    pub comments: Vec<CommentView>,
    /// The supports that put a proposal of this space on its agenda.
    pub support_threshold: u32,
}

#[utoipa::path(get, path = "/v1/topics/{id}", tag = "participation", params(("id" = Uuid, Path)),
    responses((status = 200, body = TopicDetail), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<TopicDetail>, ApiError> {
    let view = deliberation::view(&state, parse_id(&id)?, None).await?;
    Ok(Json(TopicDetail {
        topic: topic_view(&state, view.topic),
        proposals: view.proposals.into_iter().map(proposal_view).collect(),
        comments: view.comments.into_iter().map(comment_view).collect(),
        support_threshold: view.threshold,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicBody {
    /// A street, community or grid code.
    pub region: String,
    pub title: String,
    /// Published as written: no phone, ID or card numbers.
    pub body: String,
}

/// Staff raise a topic in one of their places, published at once.
#[utoipa::path(post, path = "/v1/topics", tag = "participation", request_body = TopicBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = TopicView), (status = "default", body = ErrorBody)))]
pub async fn raise(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<TopicBody>,
) -> Result<(StatusCode, Json<TopicView>), ApiError> {
    let topic =
        deliberation::raise_by_staff(&state, &staff.user, TopicForm { region: b.region, title: b.title, body: b.body })
            .await?;
    Ok((StatusCode::CREATED, Json(topic_view(&state, topic))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FromCasesBody {
    /// Cases of one community, within the caller's scope (1 to 50).
    pub case_ids: Vec<Uuid>,
    pub title: String,
    pub body: String,
}

/// Raises a topic from cases (诉求转议题): in their community, linked both ways, published.
#[utoipa::path(post, path = "/v1/topics/from-cases", tag = "participation", request_body = FromCasesBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = TopicView), (status = "default", body = ErrorBody)))]
pub async fn raise_from_cases(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<FromCasesBody>,
) -> Result<(StatusCode, Json<TopicView>), ApiError> {
    let topic = deliberation::raise_from_cases(&state, &staff.user, &b.case_ids, &b.title, &b.body).await?;
    Ok((StatusCode::CREATED, Json(topic_view(&state, topic))))
}

/// Residents' topics waiting for a moderator in the caller's places, oldest first.
#[utoipa::path(get, path = "/v1/moderation/topics", tag = "participation",
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Topics), (status = "default", body = ErrorBody)))]
pub async fn waiting(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
) -> Result<Json<Topics>, ApiError> {
    let topics = deliberation::waiting(&state, &staff.user).await?;
    Ok(Json(Topics { topics: topics.into_iter().map(|t| topic_view(&state, t)).collect() }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ModerationBody {
    /// `publish` or `hide`.
    pub action: String,
    /// Why it is hidden (required to hide).
    pub reason: Option<String>,
}

/// Publishes or hides a topic of the caller's places; audited.
#[utoipa::path(post, path = "/v1/topics/{id}/moderation", tag = "participation", request_body = ModerationBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TopicView), (status = "default", body = ErrorBody)))]
pub async fn moderate(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ModerationBody>,
) -> Result<Json<TopicView>, ApiError> {
    let topic = deliberation::moderate(&state, &staff.user, parse_id(&id)?, &b.action, b.reason.as_deref()).await?;
    Ok(Json(topic_view(&state, topic)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct HidingBody {
    pub reason: String,
}

/// Hides a proposal, with the reason; audited.
#[utoipa::path(post, path = "/v1/proposals/{id}/hiding", tag = "participation", request_body = HidingBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ProposalView), (status = "default", body = ErrorBody)))]
pub async fn hide_proposal(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<HidingBody>,
) -> Result<Json<ProposalView>, ApiError> {
    Ok(Json(proposal_view(deliberation::hide_proposal(&state, &staff.user, parse_id(&id)?, &b.reason).await?)))
}

/// Hides a comment, with the reason; audited.
#[utoipa::path(post, path = "/v1/comments/{id}/hiding", tag = "participation", request_body = HidingBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CommentView), (status = "default", body = ErrorBody)))]
pub async fn hide_comment(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<HidingBody>,
) -> Result<Json<CommentView>, ApiError> {
    Ok(Json(comment_view(deliberation::hide_comment(&state, &staff.user, parse_id(&id)?, &b.reason).await?)))
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ThresholdBody {
    /// Supports that put a proposal on the agenda, 1 to 5000.
    pub support_threshold: i64,
}

/// Sets the support threshold of a street, community or grid the caller holds.
#[utoipa::path(put, path = "/v1/spaces/{code}/threshold", tag = "participation", request_body = ThresholdBody,
    params(("code" = String, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ThresholdBody), (status = "default", body = ErrorBody)))]
pub async fn set_threshold(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(code): Path<String>,
    ApiJson(b): ApiJson<ThresholdBody>,
) -> Result<Json<ThresholdBody>, ApiError> {
    let set = deliberation::set_threshold(&state, &staff.user, &code, b.support_threshold).await?;
    Ok(Json(ThresholdBody { support_threshold: i64::from(set) }))
}

/// A resident raises a topic of their household's street, community or grid; it waits for a
/// moderator.
#[utoipa::path(post, path = "/v1/residents/me/topics", tag = "residents", request_body = TopicBody,
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = TopicView),
        (status = "default", description = "Not signed in (401), no confirmed household (403), a field wrong (422), …", body = ErrorBody)))]
pub async fn raise_as_resident(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    ApiJson(b): ApiJson<TopicBody>,
) -> Result<(StatusCode, Json<TopicView>), ApiError> {
    let form = TopicForm { region: b.region, title: b.title, body: b.body };
    let topic = deliberation::raise_by_resident(&state, &signed_in.resident, form).await?;
    Ok((StatusCode::CREATED, Json(topic_view(&state, topic))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProposalBody {
    pub title: String,
    pub body: String,
}

/// A resident of the topic's place proposes what to do.
#[utoipa::path(post, path = "/v1/topics/{id}/proposals", tag = "participation", request_body = ProposalBody,
    params(("id" = Uuid, Path)), security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = ProposalView), (status = "default", body = ErrorBody)))]
pub async fn propose(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ProposalBody>,
) -> Result<(StatusCode, Json<ProposalView>), ApiError> {
    let proposal = deliberation::propose(&state, &signed_in.resident, parse_id(&id)?, &b.title, &b.body).await?;
    Ok((StatusCode::CREATED, Json(proposal_view(proposal))))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentBody {
    pub body: String,
    /// The proposal it answers, if any.
    pub proposal_id: Option<Uuid>,
}

/// A resident of the topic's place comments on it or on one of its proposals.
#[utoipa::path(post, path = "/v1/topics/{id}/comments", tag = "participation", request_body = CommentBody,
    params(("id" = Uuid, Path)), security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = CommentView), (status = "default", body = ErrorBody)))]
pub async fn comment(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let who = Commenter::Resident(&signed_in.resident);
    let c = deliberation::comment(&state, who, parse_id(&id)?, b.proposal_id, &b.body).await?;
    Ok((StatusCode::CREATED, Json(comment_view(c))))
}

/// Staff of the topic's place reply (居委会答复).
#[utoipa::path(post, path = "/v1/topics/{id}/replies", tag = "participation", request_body = CommentBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = CommentView), (status = "default", body = ErrorBody)))]
pub async fn reply(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<CommentBody>,
) -> Result<(StatusCode, Json<CommentView>), ApiError> {
    let c =
        deliberation::comment(&state, Commenter::Staff(&staff.user), parse_id(&id)?, b.proposal_id, &b.body).await?;
    Ok((StatusCode::CREATED, Json(comment_view(c))))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Supported {
    pub supports: u32,
    /// Whether the proposal is on its space's agenda now.
    pub on_agenda: bool,
}

/// A resident of the place supports a proposal, once (a second answers 409).
#[utoipa::path(post, path = "/v1/proposals/{id}/supporters", tag = "participation",
    params(("id" = Uuid, Path)), security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, body = Supported), (status = "default", body = ErrorBody)))]
pub async fn support(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Supported>), ApiError> {
    let (supports, on_agenda) = deliberation::support(&state, &signed_in.resident, parse_id(&id)?).await?;
    Ok((StatusCode::CREATED, Json(Supported { supports, on_agenda })))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MyParticipation {
    /// Topics they raised, in any state (a refused one with its state).
    pub topics: Vec<TopicView>,
    pub proposals: Vec<ProposalView>,
}

/// The signed-in resident's topics and proposals.
#[utoipa::path(get, path = "/v1/residents/me/participation", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = MyParticipation), (status = "default", body = ErrorBody)))]
pub async fn my_participation(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
) -> Result<Json<MyParticipation>, ApiError> {
    let (topics, proposals) = deliberation::mine(&state, &signed_in.resident).await?;
    Ok(Json(MyParticipation {
        topics: topics.into_iter().map(|t| topic_view(&state, t)).collect(),
        proposals: proposals.into_iter().map(proposal_view).collect(),
    }))
}
