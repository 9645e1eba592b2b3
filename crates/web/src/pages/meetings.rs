//! 议事会 and 决议落实 on the pages: meetings (a notice, then minutes, each printable), and the
//! decisions carried out, followed in public with their history and photos; for staff, a form
//! to announce a meeting, one to record it as held with its decisions, and progress reports.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use grassroots_app::accountability::{self, DecisionForm};
use grassroots_app::meetings::{self, MeetingForm, MinutesForm};
use grassroots_app::surveys;
use grassroots_app::AppError;
use grassroots_domain::accountability::{progress, OwnerKind};
use grassroots_domain::deliberation::TopicState;
use grassroots_domain::meetings::{MeetingState, ParticipantKind, MOST_DECISIONS};
use grassroots_store::accountability::Task;
use grassroots_store::meetings::Meeting;
use grassroots_store::PlaceFilter;
use serde::Deserialize;
use uuid::Uuid;

use super::surveys::{survey_line, SurveyLine};
use super::votes::places_held;
use super::{beijing_minutes, place_name, runs_participation, see_other, Chrome, Filled, Lang};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery, PageForm};
use crate::session::{need, Can, MaybeStaff, Staff};
use crate::AppState;

/// Decision rows the minutes form offers at first (blank ones are left out).
const DECISION_ROWS: usize = 3;

pub struct MeetingLine {
    pub href: String,
    pub title: String,
    pub place: String,
    pub when: String,
    pub state_code: &'static str,
    pub state: String,
}

fn meeting_line(state: &AppState, lang: &Lang, m: &Meeting) -> MeetingLine {
    MeetingLine {
        href: format!("/meetings/{}", m.id),
        title: m.title.clone(),
        place: place_name(state, lang, &m.region_code),
        when: beijing_minutes(m.starts_at),
        state_code: m.state.as_str(),
        state: lang.t(m.state.label_zh(), m.state.label_en()).to_string(),
    }
}

/// The form to announce a meeting: the staff member's places and the topics published there.
pub struct PlanForm {
    pub places: Vec<(String, String)>,
    /// (id, title) of published topics of the staff member's places.
    pub topics: Vec<(String, String)>,
    pub kinds: Vec<(&'static str, String)>,
    pub filled: Filled,
}

#[derive(Template)]
#[template(path = "meetings.html")]
struct MeetingsPage {
    lang: Lang,
    chrome: Chrome,
    meetings: Vec<MeetingLine>,
    form: Option<PlanForm>,
}

async fn meetings_page(
    state: &AppState,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    filled: Filled,
) -> Result<MeetingsPage, ApiError> {
    let listed = meetings::public(state).await?;
    let form = match runs_participation(staff) {
        Some(s) => {
            let places = s.user.scope.place_prefixes().map_or(PlaceFilter::Everywhere, PlaceFilter::Within);
            let topics = state.store.topics(&places, &[TopicState::Published], 100).await?;
            Some(PlanForm {
                places: places_held(state, s, &lang),
                topics: topics.into_iter().map(|t| (t.id.to_string(), t.title)).collect(),
                kinds: ParticipantKind::ALL
                    .iter()
                    .map(|k| (k.as_str(), lang.t(k.label_zh(), k.label_en()).to_string()))
                    .collect(),
                filled,
            })
        }
        None => None,
    };
    Ok(MeetingsPage {
        meetings: listed.iter().map(|m| meeting_line(state, &lang, m)).collect(),
        form,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(meetings_page(&state, staff.as_ref(), lang, &uri, Filled::default()).await?.render()?))
}

/// Announces a meeting from the form: to its page, or the form again with the error.
pub async fn plan(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let filled = Filled::new(fields);
    let participants: Vec<(String, String)> = filled
        .typed
        .all("participant_kind")
        .into_iter()
        .zip(filled.typed.all("participant_label"))
        .map(|(k, l)| (k.to_string(), l.to_string()))
        .collect();
    let form = MeetingForm {
        region: filled.value("region").to_string(),
        title: filled.value("title").to_string(),
        place: filled.value("place").to_string(),
        starts_at: filled.value("starts_at").to_string(),
        topics: filled.typed.all("topic").into_iter().filter_map(|t| Uuid::parse_str(t).ok()).collect(),
        other_items: filled.value("other_items").lines().map(str::to_string).collect(),
        participants,
    };
    match meetings::plan(&state, &staff.user, form).await {
        Ok(m) => Ok(see_other(&format!("/meetings/{}", m.id), None)),
        Err(e) => {
            let (status, filled) = filled.refused(e, &lang)?;
            let page = meetings_page(&state, Some(&staff), lang, &uri, filled).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

pub struct TaskLine {
    pub href: String,
    pub title: String,
    pub owner: String,
    pub deadline: String,
    pub percent: u8,
    pub progress_code: &'static str,
    pub progress: String,
}

pub(crate) fn task_line(lang: &Lang, t: &Task) -> TaskLine {
    let p = progress(t.deadline, t.done_at, Utc::now());
    TaskLine {
        href: format!("/decisions/{}", t.id),
        title: t.title.clone(),
        owner: format!("{} · {}", lang.t(t.owner_kind.label_zh(), t.owner_kind.label_en()), t.owner),
        deadline: beijing_minutes(t.deadline),
        percent: t.percent,
        progress_code: p.as_str(),
        progress: lang.t(p.label_zh(), p.label_en()).to_string(),
    }
}

/// Who may carry a decision out, for a decision's form: the kinds, and the platform's units by
/// name (offered as the name is typed).
pub(crate) struct OwnerChoices {
    pub kinds: Vec<(&'static str, String)>,
    pub units: Vec<String>,
}

pub(crate) fn owner_choices(state: &AppState, lang: &Lang) -> OwnerChoices {
    OwnerChoices {
        kinds: OwnerKind::ALL.iter().map(|k| (k.as_str(), lang.t(k.label_zh(), k.label_en()).to_string())).collect(),
        units: state.reference().units.iter().map(|u| u.name_zh.clone()).collect(),
    }
}

#[derive(Template)]
#[template(path = "meeting.html")]
struct MeetingPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    title: String,
    place: String,
    venue: String,
    when: String,
    held: bool,
    /// (title, link to its topic)
    items: Vec<(String, Option<String>)>,
    /// (position, kind, label, attended)
    participants: Vec<(usize, String, String, bool)>,
    minutes: String,
    decisions: Vec<TaskLine>,
    /// The minutes form, for staff of the place while it is announced.
    may_record: bool,
    owners: OwnerChoices,
    /// The decision rows of the minutes form (more on asking, up to `most`).
    rows: Vec<usize>,
    most: usize,
    filled: Filled,
    /// The page as printed: notice or minutes, without the site around it.
    print: bool,
}

async fn meeting_page(
    state: &AppState,
    id: Uuid,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    print: bool,
) -> Result<MeetingPage, ApiError> {
    let m = meetings::get(state, id).await?;
    let decisions = accountability::of(state, id).await?;
    let may_record = m.state == MeetingState::Planned
        && runs_participation(staff).is_some_and(|s| s.user.scope.reaches(&m.region_code));
    Ok(MeetingPage {
        id: m.id.to_string(),
        title: m.title.clone(),
        place: place_name(state, &lang, &m.region_code),
        venue: m.place.clone(),
        when: beijing_minutes(m.starts_at),
        held: m.state == MeetingState::Held,
        items: m.items.iter().map(|i| (i.title.clone(), i.topic_id.map(|t| format!("/topics/{t}")))).collect(),
        participants: m
            .participants
            .iter()
            .enumerate()
            .map(|(i, p)| (i, lang.t(p.kind.label_zh(), p.kind.label_en()).to_string(), p.label.clone(), p.attended))
            .collect(),
        minutes: m.minutes.clone().unwrap_or_default(),
        decisions: decisions.iter().map(|t| task_line(&lang, t)).collect(),
        may_record: may_record && !print,
        owners: owner_choices(state, &lang),
        rows: (0..DECISION_ROWS).collect(),
        most: MOST_DECISIONS,
        filled: Filled::default(),
        print,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

#[derive(Deserialize)]
pub struct MeetingParams {
    /// How many decision rows the minutes form shows (the link that adds some, without script).
    rows: Option<usize>,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<MeetingParams>,
) -> Result<Html<String>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let mut page = meeting_page(&state, id, staff.as_ref(), lang, &uri, false).await?;
    page.rows = (0..params.rows.unwrap_or(DECISION_ROWS).clamp(1, MOST_DECISIONS)).collect();
    Ok(Html(page.render()?))
}

/// The notice (before) or the minutes (after), to print and post.
pub async fn print(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    Ok(Html(meeting_page(&state, id, None, lang, &uri, true).await?.render()?))
}

/// Records the meeting as held from the minutes form.
pub async fn record(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let filled = Filled::new(fields);
    // One row past the most, so that a form with too many is refused rather than cut.
    let decisions = (0..=MOST_DECISIONS)
        .map(|row| DecisionForm {
            title: filled.value(&format!("decision_{row}")).to_string(),
            owner_kind: filled.value(&format!("owner_kind_{row}")).to_string(),
            owner: filled.value(&format!("owner_{row}")).to_string(),
            deadline: filled.value(&format!("deadline_{row}")).to_string(),
            milestones: filled.value(&format!("milestones_{row}")).lines().map(str::to_string).collect(),
        })
        .filter(|d| !d.title.trim().is_empty())
        .collect();
    let form = MinutesForm {
        attended: filled.typed.all("attended").into_iter().filter_map(|p| p.parse().ok()).collect(),
        minutes: filled.value("minutes").to_string(),
        decisions,
    };
    match meetings::record(&state, &staff.user, id, form).await {
        Ok(_) => Ok(see_other(&format!("/meetings/{id}"), None)),
        Err(e) => {
            let (status, filled) = filled.refused(e, &lang)?;
            let mut page = meeting_page(&state, id, Some(&staff), lang, &uri, false).await?;
            let filled_rows = (0..=MOST_DECISIONS).filter(|row| !filled.value(&format!("decision_{row}")).is_empty());
            page.rows = (0..filled_rows.max().map_or(DECISION_ROWS, |last| (last + 1).max(DECISION_ROWS))).collect();
            page.filled = filled;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "decisions.html")]
struct DecisionsPage {
    lang: Lang,
    chrome: Chrome,
    tasks: Vec<TaskLine>,
    /// Overdue in the staff member's places.
    overdue: Vec<TaskLine>,
    /// Owned by the handler's unit, not done yet.
    owned: Vec<TaskLine>,
}

/// Every decision being carried out (公示); for staff, those overdue in their places first.
pub async fn decisions(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    let tasks = accountability::public(&state).await?;
    let overdue = match runs_participation(staff.as_ref()) {
        Some(s) => accountability::overdue(&state, &s.user).await?,
        None => Vec::new(),
    };
    let owned = match &staff {
        Some(s) => accountability::owned(&state, &s.user).await?,
        None => Vec::new(),
    };
    let page = DecisionsPage {
        tasks: tasks.iter().map(|t| task_line(&lang, t)).collect(),
        overdue: overdue.iter().map(|t| task_line(&lang, t)).collect(),
        owned: owned.iter().map(|t| task_line(&lang, t)).collect(),
        chrome: Chrome::new(lang, staff.as_ref(), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "decision.html")]
struct DecisionPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    line: TaskLine,
    place: String,
    source: String,
    source_href: String,
    /// (position, title, due, done)
    milestones: Vec<(usize, String, String, Option<String>)>,
    /// (at, note, percent, photo link)
    updates: Vec<(String, String, u8, Option<String>)>,
    may_report: bool,
    /// The 问效 surveys asking how it went, and whether the viewer may hold one.
    surveys: Vec<SurveyLine>,
    may_ask: bool,
    filled: Filled,
}

async fn decision_page(
    state: &AppState,
    id: Uuid,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
) -> Result<DecisionPage, ApiError> {
    let t = accountability::get(state, id).await?;
    let source_href = match t.source {
        grassroots_domain::accountability::Source::Meeting => format!("/meetings/{}", t.source_id),
        grassroots_domain::accountability::Source::Vote => format!("/votes/{}", t.source_id),
    };
    Ok(DecisionPage {
        id: t.id.to_string(),
        line: task_line(&lang, &t),
        place: place_name(state, &lang, &t.region_code),
        source: lang.t(t.source.label_zh(), t.source.label_en()).to_string(),
        source_href,
        milestones: t
            .milestones
            .iter()
            .map(|m| (m.position, m.title.clone(), beijing_minutes(m.due), m.done_at.map(beijing_minutes)))
            .collect(),
        updates: t
            .updates
            .iter()
            .map(|u| {
                (
                    beijing_minutes(u.at),
                    u.note.clone(),
                    u.percent,
                    u.photo.as_ref().map(|(d, _)| format!("/decisions/photos/{d}")),
                )
            })
            .collect(),
        may_report: staff.is_some_and(|s| accountability::may_report(&s.user, &t)),
        surveys: surveys::about_task(state, t.id).await?.iter().map(|s| survey_line(state, &lang, s)).collect(),
        may_ask: runs_participation(staff).is_some_and(|s| s.user.scope.covers_place(&t.region_code)),
        filled: Filled::default(),
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

pub async fn decision(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    Ok(Html(decision_page(&state, id, staff.as_ref(), lang, &uri).await?.render()?))
}

/// A progress report from the decision's page, with a photo if one was chosen: staff of the
/// place, or handlers of the unit that owns it.
pub async fn report(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    form: PageForm,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let filled = Filled::new(form.fields);
    let done = match filled.value("milestone") {
        "" => {
            let percent = filled.value("percent").trim().parse::<i64>().unwrap_or(-1);
            let photo = form.photos.into_iter().next();
            accountability::report(&state, &staff.user, id, filled.value("note"), percent, photo).await
        }
        position => match position.parse::<usize>() {
            Ok(p) => accountability::complete_milestone(&state, &staff.user, id, p).await,
            Err(_) => Err(AppError::invalid("position", "没有这个节点", "no such milestone")),
        },
    };
    match done {
        Ok(_) => Ok(see_other(&format!("/decisions/{id}"), None)),
        Err(e) => {
            let (status, filled) = filled.refused(e, &lang)?;
            let mut page = decision_page(&state, id, Some(&staff), lang, &uri).await?;
            page.filled = filled;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// A progress photo: public, as the decision it shows.
pub async fn photo(State(state): State<Arc<AppState>>, Path(digest): Path<String>) -> Result<Response, ApiError> {
    let (media_type, bytes) = accountability::photo(&state, &digest).await?;
    Ok(([(CONTENT_TYPE, media_type), (CACHE_CONTROL, "public, max-age=86400".to_string())], bytes).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteDecisionFields {
    title: String,
    owner_kind: String,
    owner: String,
    deadline: String,
    milestones: String,
}

/// Sets a task carrying out a published vote's result, from the vote's run page.
pub async fn from_vote(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiForm(f): ApiForm<VoteDecisionFields>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let form = DecisionForm {
        title: f.title,
        owner_kind: f.owner_kind,
        owner: f.owner,
        deadline: f.deadline,
        milestones: f.milestones.lines().map(str::to_string).collect(),
    };
    let task = accountability::from_vote(&state, &staff.user, id, &form).await?;
    Ok(see_other(&format!("/decisions/{}", task.id), None))
}
