//! Who helps (资源清单) as staff pages: the helpers of their places, pending verification
//! first, with the form to register an organisation and the ranking by hours; a helper's page
//! with their contact, verification or deactivation, points and their redemption, and tasks.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::helpers::{self, HelperFile, HelperForm};
use grassroots_domain::helpers::{weekday_label, HelperKind, HelperState};
use grassroots_store::helpers::Helper;
use uuid::Uuid;

use super::help::{hours, need_line, points_lines, HelpChoices, NeedLine};
use super::votes::places_held;
use super::{choices, place_name, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

/// A helper as a line of the list.
struct HelperLine {
    href: String,
    name: String,
    kind: String,
    place: String,
    skills: String,
    state: String,
    state_code: &'static str,
    hours: String,
}

fn helper_line(state: &AppState, lang: &Lang, h: &Helper) -> HelperLine {
    HelperLine {
        href: format!("/helpers/{}", h.id),
        name: h.shown_name.clone(),
        kind: lang.t(h.kind.label_zh(), h.kind.label_en()).to_string(),
        place: place_name(state, lang, &h.region_code),
        skills: h.skills.iter().map(|s| lang.t(s.label_zh(), s.label_en())).collect::<Vec<_>>().join("、"),
        state: lang.t(h.state.label_zh(), h.state.label_en()).to_string(),
        state_code: h.state.as_str(),
        hours: hours(h.points.minutes_confirmed),
    }
}

#[derive(Template)]
#[template(path = "helpers.html")]
struct HelpersPage {
    lang: Lang,
    chrome: Chrome,
    helpers: Vec<HelperLine>,
    states: Vec<(String, String)>,
    shown_state: String,
    /// (rank, name, place, hours) of the first place the staff member holds.
    ranking: Vec<(usize, String, String, String)>,
    ranking_place: String,
    choices: HelpChoices,
    kinds: Vec<(String, String)>,
    places: Vec<(String, String)>,
    form: Filled,
}

async fn helpers_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    shown_state: Option<&str>,
    form: Filled,
) -> Result<HelpersPage, ApiError> {
    let listed = helpers::list(state, &staff.user, shown_state).await?;
    let places: Vec<(String, String)> = places_held(state, staff, &lang)
        .into_iter()
        .filter(|(code, _)| code.len() < grassroots_domain::RegionLevel::Grid.digits())
        .collect();
    // A grid worker holds only grids: their community's ranking.
    let ranking_code = staff.user.scope.place_prefixes().and_then(|p| p.into_iter().next()).unwrap_or_default();
    let ranking = match ranking_code.is_empty() {
        true => Vec::new(),
        false => helpers::ranking(state, &ranking_code, 10).await?,
    };
    Ok(HelpersPage {
        helpers: listed.iter().map(|h| helper_line(state, &lang, h)).collect(),
        states: choices!(lang, HelperState),
        shown_state: shown_state.unwrap_or_default().to_string(),
        ranking: ranking
            .iter()
            .enumerate()
            .map(|(i, r)| (i + 1, r.shown_name.clone(), place_name(state, &lang, &r.region_code), hours(r.minutes)))
            .collect(),
        ranking_place: match ranking_code.is_empty() {
            true => String::new(),
            false => place_name(state, &lang, &ranking_code),
        },
        choices: HelpChoices::new(&lang),
        kinds: HelperKind::ALL
            .iter()
            .filter(|k| !k.is_person())
            .map(|k| (k.as_str().to_string(), lang.t(k.label_zh(), k.label_en()).to_string()))
            .collect(),
        places,
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

#[derive(serde::Deserialize)]
pub struct ListParams {
    state: Option<String>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Response, ApiError> {
    Ok(Html(helpers_page(&state, &staff, lang, &uri, p.state.as_deref(), Filled::default()).await?.render()?)
        .into_response())
}

/// Staff register an organisation of their places.
pub async fn register(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let all = |name: &str| typed.typed.all(name).into_iter().map(str::to_string).collect();
    let form = HelperForm {
        kind: typed.value("kind").to_string(),
        name: typed.value("name").to_string(),
        region_code: typed.value("region_code").to_string(),
        skills: all("skills"),
        days: all("days"),
        parts: all("parts"),
        about: typed.value("about").to_string(),
        credit_code: typed.given("credit_code"),
        contact: typed.given("contact"),
        phone: typed.given("phone"),
        ..HelperForm::default()
    };
    match helpers::register_organisation(&state, &staff.user, form).await {
        Ok(helper) => Ok(see_other(&format!("/helpers/{}", helper.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(helpers_page(&state, &staff, lang, &uri, None, form).await?.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "helper.html")]
struct HelperPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    line: HelperLine,
    name: String,
    contact: String,
    phone: String,
    credit_code: Option<String>,
    qualification: Option<String>,
    certificate_no: Option<String>,
    free: String,
    about: String,
    reason: Option<String>,
    balance: i64,
    /// (when, what, points with sign, balance)
    points: Vec<(String, String, String, i64)>,
    tasks: Vec<NeedLine>,
    /// (seq, year, what, delivered, target, unit, deliveries as "12-01 +5（note）")
    commitments: Vec<(i64, i32, String, i64, i64, String, String)>,
    affiliation: Option<String>,
    form: Filled,
}

fn helper_page(state: &AppState, staff: &Staff, lang: Lang, uri: &Uri, file: HelperFile, form: Filled) -> HelperPage {
    let HelperFile { helper: h, contact, points, tasks, commitments } = file;
    let (days, parts) = h.availability.days_and_parts();
    let free = format!(
        "{} · {}",
        days.iter().map(|d| lang.t(weekday_label(*d).0, weekday_label(*d).1)).collect::<Vec<_>>().join("、"),
        parts.iter().map(|p| lang.t(p.label_zh(), p.label_en())).collect::<Vec<_>>().join("、")
    );
    HelperPage {
        id: h.id.to_string(),
        line: helper_line(state, &lang, &h),
        name: contact.name,
        contact: contact.contact.unwrap_or_default(),
        phone: contact.phone.unwrap_or_default(),
        credit_code: h.credit_code.clone(),
        qualification: h.qualification.map(|q| lang.t(q.label_zh(), q.label_en()).to_string()),
        certificate_no: h.certificate_no.clone(),
        free,
        about: h.about.clone(),
        reason: h.state_reason.clone(),
        balance: h.points.balance(),
        points: points_lines(&lang, &points),
        tasks: tasks.iter().map(|t| need_line(state, &lang, t)).collect(),
        commitments: commitments
            .iter()
            .map(|c| {
                let deliveries = c
                    .deliveries
                    .iter()
                    .map(|d| match &d.note {
                        Some(n) => format!("{} +{}（{n}）", d.on, d.amount),
                        None => format!("{} +{}", d.on, d.amount),
                    })
                    .collect::<Vec<_>>()
                    .join("；");
                let k = &c.commitment;
                (c.seq, k.year, k.what.clone(), c.delivered, k.target, k.unit.clone(), deliveries)
            })
            .collect(),
        affiliation: h.affiliation.clone(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    }
}

/// After a staff member's move on a helper: their page (at `anchor`), or it again with the error.
#[allow(clippy::too_many_arguments)]
async fn after(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    anchor: &str,
    typed: Filled,
    done: grassroots_app::Result<()>,
) -> Result<Response, ApiError> {
    match done {
        Ok(()) => Ok(see_other(&format!("/helpers/{id}{anchor}"), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(show_file(state, staff, lang, uri, id, form).await?.render()?)).into_response())
        }
    }
}

async fn show_file(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    form: Filled,
) -> Result<HelperPage, ApiError> {
    let file = helpers::file(state, &staff.user, id).await?;
    Ok(helper_page(state, staff, lang, uri, file, form))
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    Ok(Html(show_file(&state, &staff, lang, &uri, id_in_path(&id)?, Filled::default()).await?.render()?))
}

/// Verify, deactivate or reactivate; back to the helper's page.
pub async fn set_state(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let reason = typed.given("reason");
    let done = helpers::set_state(&state, &staff.user, id, typed.value("state"), reason.as_deref()).await.map(drop);
    after(&state, &staff, lang, &uri, id, "", typed, done).await
}

/// Redeem points; back to the helper's page.
pub async fn redeem(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let done = helpers::redeem(&state, &staff.user, id, typed.value("points"), typed.value("item")).await.map(drop);
    after(&state, &staff, lang, &uri, id, "#points", typed, done).await
}

/// A commitment for a year; back to the helper's page.
pub async fn commit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let v = |name: &str| typed.value(name).to_string();
    let done = helpers::commit(&state, &staff.user, id, &v("year"), &v("what"), &v("unit"), &v("target")).await;
    after(&state, &staff, lang, &uri, id, "#commitments", typed, done).await
}

/// What a commitment delivered; back to the helper's page.
pub async fn deliver(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    Path((id, n)): Path<(String, i64)>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let note = typed.given("note");
    let done =
        helpers::deliver(&state, &staff.user, id, n, typed.value("amount"), typed.value("on"), note.as_deref()).await;
    after(&state, &staff, lang, &uri, id, "#commitments", typed, done).await
}
