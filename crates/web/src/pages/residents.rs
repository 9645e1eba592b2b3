//! 我的: a resident signs in with their mobile and a texted code (two small forms, for a phone)
//! and sees the cases reported from their number, each opening its tracking page; their
//! household (asked for here, confirmed by the grid worker) and the votes of their places.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::votes::{self, Standing};
use grassroots_app::{deliberation, households, residents, surveys};
use grassroots_domain::personal::mask_phone;
use grassroots_store::residents::Resident;
use serde::Deserialize;

use super::surveys::{survey_line, SurveyLine};
use super::topics::{topic_line, TopicLine};
use super::votes::{vote_line, VoteLine};
use super::{beijing_minutes, form_error, see_other, Chrome, Filled, Lang};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::ratelimit::Client;
use crate::session::{cleared_resident_cookie, resident_cookie, MaybeResident, SignedIn};
use crate::AppState;

/// Which of the page's steps is shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Step {
    /// The number is asked for.
    Phone,
    /// A code was sent: it is asked for.
    Code,
    /// Signed in: the resident's own.
    Mine,
}

#[derive(Template)]
#[template(path = "me.html")]
struct MePage {
    lang: Lang,
    chrome: Chrome,
    step: Step,
    /// The number as typed (the forms carry it to the next step).
    phone: String,
    phone_masked: String,
    error: Option<String>,
    /// Said at the top: the account was closed.
    closed: bool,
    reports: Vec<ListedReport>,
    household: Option<HouseholdLine>,
    /// The communities a household may be asked in, by street: (street, [(code, name)]).
    streets: Vec<(String, Vec<(String, String)>)>,
    household_form: Filled,
    votes: Vec<MyVote>,
    topics: Vec<TopicLine>,
    /// Their proposals: (link, title, supports).
    proposals: Vec<(String, String, u32)>,
    /// The open surveys that ask them, and whether they answered.
    surveys: Vec<(SurveyLine, bool)>,
    /// Texted the emergency notices of their household's area (应急通知).
    alerts: bool,
}

/// The resident's household link as they read it.
struct HouseholdLine {
    state_code: &'static str,
    state: String,
    community: String,
    label: String,
    reason: Option<String>,
}

/// A vote of the resident's places.
struct MyVote {
    line: VoteLine,
    voted: bool,
}

struct ListedReport {
    tracking_no: String,
    category: String,
    state: String,
    received: String,
    link: String,
}

impl MePage {
    fn new(lang: Lang, uri: &Uri, step: Step) -> Self {
        Self {
            lang,
            chrome: Chrome::new(lang, None, uri),
            step,
            phone: String::new(),
            phone_masked: String::new(),
            error: None,
            closed: false,
            reports: Vec::new(),
            household: None,
            streets: Vec::new(),
            household_form: Filled::default(),
            votes: Vec::new(),
            topics: Vec::new(),
            proposals: Vec::new(),
            surveys: Vec::new(),
            alerts: false,
        }
    }

    fn refused(mut self, error: &ApiError, phone: String) -> Result<Response, ApiError> {
        self.error = Some(self.lang.t(&error.text.zh, &error.text.en).to_string());
        self.phone = phone;
        Ok((error.status, Html(self.render()?)).into_response())
    }
}

#[derive(Deserialize)]
pub struct MeParams {
    closed: Option<u8>,
}

/// The resident's page, or the first step of signing in.
pub async fn show(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    MaybeResident(signed_in): MaybeResident,
    ApiQuery(params): ApiQuery<MeParams>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else {
        let mut page = MePage::new(lang, &uri, Step::Phone);
        page.closed = params.closed.is_some();
        return Ok(Html(page.render()?).into_response());
    };
    Ok(Html(mine(&state, lang, &uri, resident).await?.render()?).into_response())
}

/// The signed-in resident's own page: their reports, each opening its tracking page.
async fn mine(state: &AppState, lang: Lang, uri: &Uri, resident: Resident) -> Result<MePage, ApiError> {
    let page = residents::my_page(state, resident).await?;
    let reference = state.reference();
    let mut me = MePage::new(lang, uri, Step::Mine);
    me.phone_masked = page.resident.phone_masked.clone();
    me.reports = page
        .reports
        .iter()
        .map(|mine| {
            let r = &mine.report;
            let category = reference.taxonomy.get(&r.category_code);
            ListedReport {
                tracking_no: r.tracking_no.clone(),
                category: category
                    .map_or_else(|| r.category_code.clone(), |c| lang.t(&c.name_zh, &c.name_en).to_string()),
                state: lang.t(r.state.label_zh(), r.state.label_en()).to_string(),
                received: beijing_minutes(r.received_at),
                link: format!("/track?t={}", mine.link_token),
            }
        })
        .collect();
    let atlas = state.atlas();
    let name = |code: &str| atlas.outline(code).map_or_else(|| code.to_string(), |o| lang.place(&o.name));
    me.household = households::mine(state, &page.resident).await?.map(|l| HouseholdLine {
        state_code: l.state.as_str(),
        state: lang.t(l.state.label_zh(), l.state.label_en()).to_string(),
        community: name(&l.community_code),
        label: l.household.map_or(l.label, |h| h.label),
        reason: l.reason,
    });
    me.streets = communities_by_street(state, &lang);
    me.votes = votes::for_resident(state, &page.resident)
        .await?
        .into_iter()
        .map(|(vote, standing)| MyVote { line: vote_line(state, &lang, &vote), voted: standing == Standing::Voted })
        .collect();
    let (topics, proposals) = deliberation::mine(state, &page.resident).await?;
    me.topics = topics.iter().map(|t| topic_line(state, &lang, t)).collect();
    me.proposals =
        proposals.into_iter().map(|p| (format!("/topics/{}#p-{}", p.topic_id, p.id), p.title, p.supports)).collect();
    me.surveys = surveys::for_resident(state, &page.resident)
        .await?
        .iter()
        .map(|(s, standing)| (survey_line(state, &lang, s), *standing == grassroots_app::surveys::Standing::Answered))
        .collect();
    me.alerts = grassroots_app::emergencies::subscribed(state, &page.resident).await?;
    Ok(me)
}

/// The communities a resident may choose, by street: (street, [(code, name)]).
pub(super) fn communities_by_street(state: &AppState, lang: &Lang) -> Vec<(String, Vec<(String, String)>)> {
    let atlas = state.atlas();
    atlas
        .served_districts()
        .flat_map(|d| atlas.children(&d.code))
        .map(|street| {
            let communities = atlas
                .children(&street.code)
                .into_iter()
                .map(|c| (c.code.as_str().to_string(), lang.place(&c.name)))
                .collect();
            (lang.place(&street.name), communities)
        })
        .collect()
}

#[derive(Deserialize)]
pub struct CodeForm {
    phone: String,
}

/// Texts a code, then asks for it; a bad number or haste is said on the first step.
pub async fn send_code(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    Client(client): Client,
    ApiForm(form): ApiForm<CodeForm>,
) -> Result<Response, ApiError> {
    match residents::send_code(&state, &form.phone, client).await {
        Ok(sent) => {
            let mut page = MePage::new(lang, &uri, Step::Code);
            (page.phone, page.phone_masked) = (form.phone, sent.phone_masked);
            Ok(Html(page.render()?).into_response())
        }
        Err(e) => MePage::new(lang, &uri, Step::Phone).refused(&e.into(), form.phone),
    }
}

#[derive(Deserialize)]
pub struct SignInForm {
    phone: String,
    code: String,
}

/// Signs in with the code, then shows the resident's page; a wrong code is said on the code step.
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    ApiForm(form): ApiForm<SignInForm>,
) -> Result<Response, ApiError> {
    match residents::sign_in(&state, &form.phone, &form.code).await {
        Ok(session) => {
            let cookie = resident_cookie(&state, &session);
            Ok(see_other("/me", Some(cookie)))
        }
        Err(e) => {
            let mut page = MePage::new(lang, &uri, Step::Code);
            page.phone_masked = grassroots_domain::residents::Mobile::parse(&form.phone)
                .map(|m| mask_phone(m.as_str()))
                .unwrap_or_default();
            page.refused(&e.into(), form.phone)
        }
    }
}

/// Signs out on this device.
pub async fn sign_out(
    State(state): State<Arc<AppState>>,
    MaybeResident(signed_in): MaybeResident,
) -> Result<Response, ApiError> {
    if let Some(SignedIn { token, .. }) = signed_in {
        residents::sign_out(&state, &token).await?;
    }
    let cleared = cleared_resident_cookie();
    Ok(see_other("/me", Some(cleared)))
}

#[derive(Deserialize)]
pub struct CloseForm {
    confirm: Option<String>,
}

/// Closes the resident's account once they ticked that they mean it.
pub async fn close_account(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    MaybeResident(signed_in): MaybeResident,
    ApiForm(form): ApiForm<CloseForm>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/me", None)) };
    if form.confirm.is_none() {
        let refused: ApiError =
            grassroots_app::AppError::invalid("confirm", "请勾选确认后再注销", "tick the box to confirm first").into();
        return mine(&state, lang, &uri, resident).await?.refused(&refused, String::new());
    }
    residents::close_account(&state, &resident).await?;
    Ok(see_other("/me?closed=1", Some(cleared_resident_cookie())))
}

/// The resident asks for their household; back to their page, or the page with the error
/// beside the field.
/// The resident's choice to be texted the emergency notices of their household's area.
pub async fn set_alerts(
    State(state): State<Arc<AppState>>,
    MaybeResident(signed_in): MaybeResident,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/me", None)) };
    let on = Filled::new(fields).value("alerts") == "on";
    grassroots_app::emergencies::subscribe(&state, &resident, on).await?;
    Ok(see_other("/me#alerts", None))
}

pub async fn ask_household(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    MaybeResident(signed_in): MaybeResident,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/me", None)) };
    let form = Filled::new(fields);
    match households::ask(&state, &resident, form.value("community"), form.value("label")).await {
        Ok(_) => Ok(see_other("/me#household", None)),
        Err(e) => {
            let e = ApiError::from(e);
            let status = e.status;
            let error = form_error(e, &lang)?;
            let mut page = mine(&state, lang, &uri, resident).await?;
            page.household_form = Filled { error: Some(error), ..form };
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}
