//! Needs (需求清单) as pages: staff read the needs of their places and record one found by a
//! case, a visit or a survey; one page per need serves everyone who may read it — staff of the
//! place see the helpers suggested and offer it, the helper accepts and reports with photos on
//! their phone, the resident who asked confirms and rates — each seeing only their own moves.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::needs::{self, MoveForm, NeedView};
use grassroots_app::Reader;
use grassroots_domain::needs::{NeedState, Party};
use grassroots_domain::RegionLevel;
use uuid::Uuid;

use super::help::{hours, need_form, need_line, HelpChoices, NeedLine};
use super::votes::places_held;
use super::{beijing_minutes, communities_reached, local_path, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery, PageForm};
use crate::session::{need, reader_of, Can, MaybeResident, MaybeStaff, Staff};
use crate::AppState;

#[derive(Template)]
#[template(path = "needs.html")]
struct NeedsPage {
    lang: Lang,
    chrome: Chrome,
    all: bool,
    needs: Vec<NeedLine>,
    choices: HelpChoices,
    /// (code, name): the communities the staff member reaches, and their grids.
    communities: Vec<(String, String)>,
    grids: Vec<(String, String)>,
    form: Filled,
}

async fn needs_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    all: bool,
    form: Filled,
) -> Result<NeedsPage, ApiError> {
    let listed = needs::list(state, &staff.user, !all).await?;
    Ok(NeedsPage {
        all,
        needs: listed.iter().map(|n| need_line(state, &lang, n)).collect(),
        choices: HelpChoices::new(&lang),
        communities: communities_reached(state, staff, &lang),
        grids: places_held(state, staff, &lang)
            .into_iter()
            .filter(|(code, _)| code.len() == RegionLevel::Grid.digits())
            .collect(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

#[derive(serde::Deserialize)]
pub struct ListParams {
    show: Option<String>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Html<String>, ApiError> {
    let all = p.show.as_deref() == Some("all");
    Ok(Html(needs_page(&state, &staff, lang, &uri, all, Filled::default()).await?.render()?))
}

pub async fn record(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let source = typed.value("source").to_string();
    match needs::record(&state, &staff.user, need_form(&typed, &source)).await {
        Ok(need) => Ok(see_other(&format!("/needs/{}", need.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(needs_page(&state, &staff, lang, &uri, false, form).await?.render()?)).into_response())
        }
    }
}

/// A helper suggested, as a row of the need's page.
struct SuggestionLine {
    id: String,
    name: String,
    kind: String,
    free: bool,
    near: String,
    km: String,
    open_tasks: u32,
    hours: String,
}

#[derive(Template)]
#[template(path = "need.html")]
struct NeedPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    line: NeedLine,
    source: String,
    urgency: String,
    helper: Option<String>,
    hours: Option<String>,
    report_note: Option<String>,
    rating: Option<u8>,
    rating_note: Option<String>,
    photos: Vec<String>,
    /// (address, name, phone) for those who may see them.
    contact: Option<(String, String, String)>,
    is_coordinator: bool,
    moves: Vec<&'static str>,
    suggestions: Vec<SuggestionLine>,
    /// (when, move, by, note)
    history: Vec<(String, String, String, String)>,
    form: Filled,
}

impl NeedPage {
    fn may(&self, code: &str) -> bool {
        self.moves.contains(&code)
    }
}

fn by_label(lang: &Lang, by: &str) -> String {
    match by {
        "resident" => lang.t("居民", "resident").to_string(),
        "helper" => lang.t("服务者", "helper").to_string(),
        role => super::role_label(lang, role),
    }
}

async fn need_page(
    state: &AppState,
    viewer: Reader<'_>,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    form: Filled,
) -> Result<NeedPage, ApiError> {
    let NeedView { need: n, party, contact, moves } = needs::view(state, viewer, id).await?;
    let is_coordinator = party == Party::Coordinator;
    let suggestions = match (viewer, n.state) {
        (Reader::Staff(user), NeedState::Open) if is_coordinator => needs::suggest(state, user, id).await?,
        _ => Vec::new(),
    };
    Ok(NeedPage {
        id: id.to_string(),
        line: need_line(state, &lang, &n),
        source: lang.t(n.source.label_zh(), n.source.label_en()).to_string(),
        urgency: lang.t(n.urgency.label_zh(), n.urgency.label_en()).to_string(),
        helper: n.helper_name.clone(),
        hours: n.minutes.map(hours),
        report_note: n.report_note.clone(),
        rating: n.rating,
        rating_note: n.rating_note.clone(),
        photos: n.photos.iter().map(|p| format!("/api/v1/needs/{id}/photos/{}", p.digest)).collect(),
        contact: contact.map(|c| (c.address, c.name.unwrap_or_default(), c.phone.unwrap_or_default())),
        is_coordinator,
        moves: moves.iter().map(|m| m.as_str()).collect(),
        suggestions: suggestions
            .into_iter()
            .map(|s| {
                let (zh, en) = s.reasons.nearness.label();
                SuggestionLine {
                    id: s.helper.id.to_string(),
                    name: s.helper.shown_name,
                    kind: lang.t(s.helper.kind.label_zh(), s.helper.kind.label_en()).to_string(),
                    free: s.reasons.free_then,
                    near: lang.t(zh, en).to_string(),
                    km: s.reasons.km.map_or_else(|| "—".to_string(), |k| format!("{k:.1}")),
                    open_tasks: s.reasons.open_tasks,
                    hours: hours(s.reasons.confirmed_minutes),
                }
            })
            .collect(),
        history: n
            .moves
            .iter()
            .map(|m| {
                (
                    beijing_minutes(m.at),
                    lang.t(m.kind.label_zh(), m.kind.label_en()).to_string(),
                    by_label(&lang, &m.by),
                    m.note.clone().unwrap_or_default(),
                )
            })
            .collect(),
        form,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

/// A need's page for whoever may read it; signed out, the resident's sign-in.
pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: MaybeStaff,
    resident: MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let Some(viewer) = reader_of(&staff, &resident) else { return Ok(see_other("/help", None)) };
    let page = need_page(&state, viewer, staff.0.as_ref(), lang, &uri, id_in_path(&id)?, Filled::default()).await?;
    Ok(Html(page.render()?).into_response())
}

/// A move from the need's page (or a helper's list): back where it was made, or the page with
/// the error.
pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: MaybeStaff,
    resident: MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    form: PageForm,
) -> Result<Response, ApiError> {
    let Some(viewer) = reader_of(&staff, &resident) else { return Ok(see_other("/help", None)) };
    let id = id_in_path(&id)?;
    let typed = Filled::new(form.fields);
    let mv = MoveForm {
        action: typed.value("move").to_string(),
        helper_id: typed.given("helper_id"),
        hours: typed.given("hours"),
        rating: typed.given("rating"),
        note: typed.given("note"),
        photos: form.photos,
    };
    match needs::act(&state, viewer, id, mv).await {
        Ok(_) => Ok(see_other(&local_path(typed.given("back").as_deref(), &format!("/needs/{id}")), None)),
        Err(e) => {
            let (status, filled) = typed.refused(e, &lang)?;
            let page = need_page(&state, viewer, staff.0.as_ref(), lang, &uri, id, filled).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}
