//! 议事: the published topics of every place; a resident of a place raises one (it waits for a
//! moderator), proposes, supports a proposal and comments, on a phone; staff raise topics,
//! moderate those waiting, hide with a reason and reply. Nothing personal is shown: authors
//! only as 居民 or 工作人员.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::deliberation::{self, Commenter, TopicForm};
use grassroots_app::{households, AppError};
use grassroots_domain::deliberation::TopicState;
use grassroots_domain::Capability;
use grassroots_store::deliberation::Topic;
use serde::Deserialize;
use uuid::Uuid;

use super::votes::places_held;
use super::{beijing_minutes, place_name, runs_participation, see_other, Chrome, Filled, Lang};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, MaybeResident, MaybeStaff, SignedIn, Staff};
use crate::AppState;

pub struct TopicLine {
    pub href: String,
    pub title: String,
    pub place: String,
    pub origin: String,
    pub state_code: &'static str,
    pub state: String,
    pub proposals: u64,
    pub comments: u64,
    pub created: String,
}

pub(crate) fn topic_line(state: &AppState, lang: &Lang, t: &Topic) -> TopicLine {
    TopicLine {
        href: format!("/topics/{}", t.id),
        title: t.title.clone(),
        place: place_name(state, lang, &t.region_code),
        origin: lang.t(t.origin.label_zh(), t.origin.label_en()).to_string(),
        state_code: t.state.as_str(),
        state: lang.t(t.state.label_zh(), t.state.label_en()).to_string(),
        proposals: t.proposals,
        comments: t.comments,
        created: beijing_minutes(t.created_at),
    }
}

/// Who raises a topic from the page, and where they may.
pub struct RaiseForm {
    pub places: Vec<(String, String)>,
    pub by_resident: bool,
    pub filled: Filled,
}

#[derive(Template)]
#[template(path = "topics.html")]
struct TopicsPage {
    lang: Lang,
    chrome: Chrome,
    topics: Vec<TopicLine>,
    /// Residents' topics waiting for this moderator.
    waiting: Vec<TopicLine>,
    form: Option<RaiseForm>,
    signed_in: bool,
    raised: bool,
}

async fn topics_page(
    state: &AppState,
    staff: Option<&Staff>,
    resident: Option<&SignedIn>,
    lang: Lang,
    uri: &Uri,
    filled: Filled,
) -> Result<TopicsPage, ApiError> {
    let topics = deliberation::published(state, None).await?;
    let waiting = match runs_participation(staff) {
        Some(s) => deliberation::waiting(state, &s.user).await?,
        None => Vec::new(),
    };
    let form = match (runs_participation(staff), resident) {
        (Some(s), _) => Some(RaiseForm { places: places_held(state, s, &lang), by_resident: false, filled }),
        (None, Some(r)) => households::confirmed(state, &r.resident).await?.map(|h| RaiseForm {
            places: households::places_of(&h).iter().map(|c| (c.clone(), place_name(state, &lang, c))).collect(),
            by_resident: true,
            filled,
        }),
        (None, None) => None,
    };
    Ok(TopicsPage {
        topics: topics.iter().map(|t| topic_line(state, &lang, t)).collect(),
        waiting: waiting.iter().map(|t| topic_line(state, &lang, t)).collect(),
        form,
        signed_in: resident.is_some(),
        raised: false,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicsParams {
    raised: Option<u8>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<TopicsParams>,
) -> Result<Html<String>, ApiError> {
    let mut page = topics_page(&state, staff.as_ref(), resident.as_ref(), lang, &uri, Filled::default()).await?;
    page.raised = p.raised.is_some();
    Ok(Html(page.render()?))
}

/// Raises a topic from the page: staff's is published, a resident's waits for a moderator.
pub async fn raise(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let filled = Filled::new(fields);
    let form = TopicForm {
        region: filled.value("region").to_string(),
        title: filled.value("title").to_string(),
        body: filled.value("body").to_string(),
    };
    let done = match (runs_participation(staff.as_ref()), resident.as_ref()) {
        (Some(s), _) => deliberation::raise_by_staff(&state, &s.user, form).await,
        (None, Some(r)) => deliberation::raise_by_resident(&state, &r.resident, form).await,
        (None, None) => return Ok(see_other("/me", None)),
    };
    match done {
        Ok(t) if t.state == TopicState::Published => Ok(see_other(&format!("/topics/{}", t.id), None)),
        Ok(_) => Ok(see_other("/topics?raised=1", None)),
        Err(e) => {
            let (status, filled) = filled.refused(e, &lang)?;
            let page = topics_page(&state, staff.as_ref(), resident.as_ref(), lang, &uri, filled).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

pub struct ProposalLine {
    pub id: String,
    pub title: String,
    pub body: String,
    pub author: String,
    pub supports: u32,
    pub on_agenda: Option<String>,
    pub supported: bool,
    pub hidden_reason: Option<String>,
}

pub struct CommentLine {
    pub id: String,
    pub body: String,
    pub author: String,
    pub at: String,
    /// The proposal it answers.
    pub on: Option<String>,
    pub hidden_reason: Option<String>,
}

/// What the viewer may do on a topic's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Viewer {
    Public,
    /// A signed-in resident: of the topic's place, or not.
    Resident {
        takes_part: bool,
    },
    Moderator,
}

#[derive(Template)]
#[template(path = "topic.html")]
struct TopicPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    title: String,
    body: String,
    place: String,
    origin: String,
    state_code: &'static str,
    state: String,
    hidden_reason: Option<String>,
    /// The cases it came from, for moderators: (link, tracking number).
    cases: Vec<(String, String)>,
    threshold: u32,
    proposals: Vec<ProposalLine>,
    comments: Vec<CommentLine>,
    viewer: Viewer,
    filled: Filled,
    /// Which form the error belongs to.
    form: String,
}

async fn topic_page(
    state: &AppState,
    id: Uuid,
    staff: Option<&Staff>,
    resident: Option<&SignedIn>,
    lang: Lang,
    uri: &Uri,
) -> Result<TopicPage, ApiError> {
    let view = deliberation::view(state, id, runs_participation(staff).map(|s| &s.user)).await?;
    let topic = &view.topic;
    let viewer = match (view.moderates, resident) {
        (true, _) => Viewer::Moderator,
        (false, Some(r)) => {
            let places = match households::confirmed(state, &r.resident).await? {
                Some(h) => households::places_of(&h),
                None => Vec::new(),
            };
            Viewer::Resident { takes_part: places.iter().any(|p| p.starts_with(&topic.region_code)) }
        }
        (false, None) => Viewer::Public,
    };
    let ids: Vec<Uuid> = view.proposals.iter().map(|p| p.id).collect();
    let supported = match resident {
        Some(r) => state.store.supported_by(r.resident.id, &ids).await?,
        None => Vec::new(),
    };
    let mut cases = Vec::new();
    if let Some(s) = runs_participation(staff).filter(|s| s.may(Capability::WorkOnCases)) {
        for case in &topic.case_ids {
            if let Some(d) = state.store.case_detail(&s.user.scope, *case).await? {
                cases.push((format!("/cases/{case}"), d.record.tracking_no));
            }
        }
    }
    let title_of = |p: Uuid| view.proposals.iter().find(|x| x.id == p).map(|x| x.title.clone());
    let author = |k: grassroots_domain::deliberation::AuthorKind| lang.t(k.label_zh(), k.label_en()).to_string();
    Ok(TopicPage {
        id: topic.id.to_string(),
        title: topic.title.clone(),
        body: topic.body.clone(),
        place: place_name(state, &lang, &topic.region_code),
        origin: lang.t(topic.origin.label_zh(), topic.origin.label_en()).to_string(),
        state_code: topic.state.as_str(),
        state: lang.t(topic.state.label_zh(), topic.state.label_en()).to_string(),
        hidden_reason: topic.hidden_reason.clone(),
        cases,
        threshold: view.threshold,
        comments: view
            .comments
            .iter()
            .map(|c| CommentLine {
                id: c.id.to_string(),
                body: c.body.clone(),
                author: author(c.author_kind),
                at: beijing_minutes(c.created_at),
                on: c.proposal_id.and_then(title_of),
                hidden_reason: c.hidden_reason.clone(),
            })
            .collect(),
        proposals: view
            .proposals
            .iter()
            .map(|p| ProposalLine {
                id: p.id.to_string(),
                title: p.title.clone(),
                body: p.body.clone(),
                author: author(p.author_kind),
                supports: p.supports,
                on_agenda: p.on_agenda_at.map(beijing_minutes),
                supported: supported.contains(&p.id),
                hidden_reason: p.hidden_reason.clone(),
            })
            .collect(),
        viewer,
        filled: Filled::default(),
        form: String::new(),
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    Ok(Html(topic_page(&state, id, staff.as_ref(), resident.as_ref(), lang, &uri).await?.render()?))
}

/// After a form of a topic's page: back to the topic (at `anchor`), or the page again with
/// the error beside the form it came from.
#[allow(clippy::too_many_arguments)]
async fn after(
    state: &AppState,
    topic: Uuid,
    staff: Option<&Staff>,
    resident: Option<&SignedIn>,
    lang: Lang,
    uri: &Uri,
    form: &str,
    filled: Filled,
    done: Result<String, AppError>,
) -> Result<Response, ApiError> {
    match done {
        Ok(anchor) => Ok(see_other(&format!("/topics/{topic}{anchor}"), None)),
        Err(e) => {
            let (status, filled) = filled.refused(e, &lang)?;
            let mut page = topic_page(state, topic, staff, resident, lang, uri).await?;
            (page.filled, page.form) = (filled, form.to_string());
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

fn parse(id: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(id).map_err(|_| ApiError::not_found())
}

fn signed_in(resident: Option<&SignedIn>) -> Result<&SignedIn, AppError> {
    resident
        .ok_or_else(|| AppError::Forbidden(grassroots_app::Text::new("请先在“我的”页面登录", "sign in on 我的 first")))
}

pub async fn propose(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let topic = parse(&id)?;
    let filled = Filled::new(fields);
    let done = match signed_in(resident.as_ref()) {
        Ok(r) => deliberation::propose(&state, &r.resident, topic, filled.value("title"), filled.value("body"))
            .await
            .map(|p| format!("#p-{}", p.id)),
        Err(e) => Err(e),
    };
    after(&state, topic, staff.as_ref(), resident.as_ref(), lang, &uri, "propose", filled, done).await
}

pub async fn comment(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let topic = parse(&id)?;
    let filled = Filled::new(fields);
    let proposal = Uuid::parse_str(filled.value("proposal_id")).ok();
    let who = match (runs_participation(staff.as_ref()), resident.as_ref()) {
        (Some(s), _) => Ok(Commenter::Staff(&s.user)),
        (None, r) => signed_in(r).map(|r| Commenter::Resident(&r.resident)),
    };
    let done = match who {
        Ok(who) => deliberation::comment(&state, who, topic, proposal, filled.value("body"))
            .await
            .map(|c| format!("#c-{}", c.id)),
        Err(e) => Err(e),
    };
    after(&state, topic, staff.as_ref(), resident.as_ref(), lang, &uri, "comment", filled, done).await
}

pub async fn support(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let proposal = parse(&id)?;
    let p = state.store.proposal(proposal).await?.ok_or_else(ApiError::not_found)?;
    let done = match signed_in(resident.as_ref()) {
        Ok(r) => deliberation::support(&state, &r.resident, proposal).await.map(|_| format!("#p-{proposal}")),
        Err(e) => Err(e),
    };
    after(&state, p.topic_id, staff.as_ref(), resident.as_ref(), lang, &uri, "support", Filled::default(), done).await
}

pub async fn moderate(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let topic = parse(&id)?;
    let staff = staff.ok_or_else(ApiError::unauthorized)?;
    let filled = Filled::new(fields);
    let done = deliberation::moderate(&state, &staff.user, topic, filled.value("action"), Some(filled.value("reason")))
        .await
        .map(|_| String::new());
    after(&state, topic, Some(&staff), resident.as_ref(), lang, &uri, "moderate", filled, done).await
}

/// Hides a proposal or a comment (`what`), with the reason.
pub async fn hide(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    Path((what, id)): Path<(String, String)>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = parse(&id)?;
    let staff = staff.ok_or_else(ApiError::unauthorized)?;
    let filled = Filled::new(fields);
    let reason = filled.value("reason").to_string();
    let (topic, done) = match what.as_str() {
        "proposals" => {
            let p = state.store.proposal(id).await?.ok_or_else(ApiError::not_found)?;
            (
                p.topic_id,
                deliberation::hide_proposal(&state, &staff.user, id, &reason).await.map(|_| format!("#p-{id}")),
            )
        }
        "comments" => {
            let topic = Uuid::parse_str(filled.value("topic")).map_err(|_| ApiError::not_found())?;
            (topic, deliberation::hide_comment(&state, &staff.user, id, &reason).await.map(|_| "#comments".to_string()))
        }
        _ => return Err(ApiError::not_found()),
    };
    after(&state, topic, Some(&staff), None, lang, &uri, &format!("hide-{id}"), filled, done).await
}

/// Raises a topic from a case (and the possible duplicates ticked with it); to the topic, or
/// back to the case saying why not.
pub async fn from_case(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let case = parse(&id)?;
    let filled = Filled::new(fields);
    let mut cases: Vec<Uuid> = filled.typed.all("case").into_iter().filter_map(|c| Uuid::parse_str(c).ok()).collect();
    cases.push(case);
    let topic =
        deliberation::raise_from_cases(&state, &staff.user, &cases, filled.value("title"), filled.value("body"))
            .await?;
    Ok(see_other(&format!("/topics/{}", topic.id), None))
}
