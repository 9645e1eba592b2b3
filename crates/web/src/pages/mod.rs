//! Server-rendered pages (askama templates in `crates/web/templates`). They work without
//! JavaScript and load nothing from elsewhere. Text is Chinese by default, English when the
//! `lang` cookie says so; every label is written in both, next to each other, in the templates.
//!
//! Staff pages share the API's session cookie. Forms post only from this site (`guard.rs`
//! checks every form post), and the cookie is `SameSite`.

pub mod admin;
pub mod bulletins;
pub mod burden;
pub mod care;
pub mod classify;
pub mod compounds;
pub mod dashboard;
pub mod disputes;
pub mod duty;
pub mod emergencies;
pub mod funds;
pub mod grid;
pub mod help;
pub mod helpers;
pub mod households;
pub mod intake;
pub mod map;
pub mod meetings;
pub mod needs;
pub mod oversight;
pub mod party;
pub mod portal;
pub mod projects;
pub mod residents;
pub mod search;
pub mod services;
pub mod support;
pub mod surveys;
pub mod topics;
pub mod track;
pub mod votes;
pub mod warnings;
pub mod work;
pub mod workforce;

use std::sync::Arc;

use askama::Template;
use axum::extract::Request;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE, LOCATION, RETRY_AFTER, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use grassroots_domain::Role;
use serde::Deserialize;

use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::ratelimit::Client;
use crate::session::{close_session, cookie, open_session, Staff};
use crate::AppState;

const LANG_COOKIE: &str = "lang";

/// The language pages are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The text in this language, from the pair every label is written as.
    pub fn t<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Self::Zh => zh,
            Self::En => en,
        }
    }

    /// A place name as this language's readers read it: in Chinese, and on English pages with
    /// its pinyin beside it (东华门街道 (Donghuamen Subdistrict)).
    pub fn place(&self, name: &str) -> String {
        match self {
            Self::Zh => name.to_string(),
            Self::En => match grassroots_domain::region::romanised(name) {
                romanised if romanised != name => format!("{name} ({romanised})"),
                _ => name.to_string(),
            },
        }
    }

    /// For `<html lang>`.
    pub fn tag(&self) -> &'static str {
        match self {
            Self::Zh => "zh-CN",
            Self::En => "en",
        }
    }
}

impl Lang {
    /// The language the reader chose (the `lang` cookie), Chinese by default.
    pub fn of(headers: &HeaderMap) -> Self {
        match cookie(headers, LANG_COOKIE).as_deref() {
            Some("en") => Self::En,
            _ => Self::Zh,
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self::of(&parts.headers))
    }
}

/// What the frame around every page needs: who is logged in and where the page is, for the
/// language switch to come back to.
pub struct Chrome {
    pub lang: Lang,
    pub user: Option<String>,
    role: Option<grassroots_domain::Role>,
    pub here: String,
}

impl Chrome {
    pub fn new(lang: Lang, staff: Option<&Staff>, parts_uri: &axum::http::Uri) -> Self {
        Self {
            lang,
            user: staff.map(|s| s.user.display_name.clone()),
            role: staff.map(|s| s.user.role),
            here: parts_uri.path_and_query().map_or("/", |p| p.as_str()).to_string(),
        }
    }

    /// Whether the page's user may do this: the header shows only what they may use.
    pub fn may(&self, capability: grassroots_domain::Capability) -> bool {
        self.role.is_some_and(|r| r.may(capability))
    }

    pub fn has_workbench(&self) -> bool {
        self.may(grassroots_domain::Capability::WorkOnCases)
    }

    pub fn is_admin(&self) -> bool {
        self.may(grassroots_domain::Capability::Administer)
    }

    /// 关爱服务: the people in care of one's places.
    pub fn cares(&self) -> bool {
        self.may(grassroots_domain::Capability::CareForResidents)
    }

    /// Residents' participation: their households, votes.
    pub fn runs_participation(&self) -> bool {
        self.may(grassroots_domain::Capability::RunParticipation)
    }

    /// 为民服务中心: residents' applications and the centre's bookings.
    pub fn handles_applications(&self) -> bool {
        self.may(grassroots_domain::Capability::HandleApplications)
    }

    /// 应急管理: those who command, and grid workers who check households.
    pub fn follows_emergencies(&self) -> bool {
        self.may(grassroots_domain::Capability::CommandEmergencies)
            || self.may(grassroots_domain::Capability::RecordVisits)
    }

    /// 防治微腐败: the list of small powers and disclosures to keep, or reports of misconduct to
    /// handle.
    pub fn oversees(&self) -> bool {
        self.may(grassroots_domain::Capability::RunParticipation)
            || self.may(grassroots_domain::Capability::InvestigateMisconduct)
    }

    /// 队伍建设: the community staff of one's places.
    pub fn manages_workforce(&self) -> bool {
        self.may(grassroots_domain::Capability::ManageWorkforce)
    }

    /// 减负: what is imposed on one's communities, and the district's list.
    pub fn reduces_burden(&self) -> bool {
        self.may(grassroots_domain::Capability::ReduceBurden)
    }

    /// 党建引领: the party organisations of one's places.
    pub fn organises_party(&self) -> bool {
        self.may(grassroots_domain::Capability::OrganiseParty)
    }

    /// 矛盾纠纷调处: the disputes of one's places.
    pub fn mediates(&self) -> bool {
        self.may(grassroots_domain::Capability::MediateDisputes)
    }

    /// 五社联动: helpers and the needs matched to them.
    pub fn coordinates_help(&self) -> bool {
        self.may(grassroots_domain::Capability::CoordinateHelp)
    }

    pub fn has_dashboard(&self) -> bool {
        self.may(grassroots_domain::Capability::ViewStatistics)
    }

    /// The link that switches to the other language and comes back here.
    pub fn switch_href(&self) -> String {
        let to = match self.lang {
            Lang::Zh => "en",
            Lang::En => "zh",
        };
        format!("/lang/{to}?{}", encode(&[("back", &self.here)]))
    }
}

fn encode(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(pairs).unwrap_or_default()
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    lang: Lang,
    status: u16,
    message: String,
}

/// Shows the errors of the pages as pages: any error a page handler, an extractor or the rate
/// limiter answered (kept with the answer by `ApiError`) is drawn in the reader's language with
/// its own status and words; without a session the browser is sent to log in and come back.
pub async fn errors_as_pages(request: Request, next: Next) -> Response {
    let lang = Lang::of(request.headers());
    let here = request.uri().path_and_query().map_or("/", |p| p.as_str()).to_string();
    let response = next.run(request).await;
    let Some(error) = response.extensions().get::<ApiError>().cloned() else { return response };
    if error.status == StatusCode::UNAUTHORIZED {
        return see_other(&format!("/login?{}", encode(&[("next", &here)])), None);
    }
    let mut page = error_page(lang, &error);
    if let Some(retry) = response.headers().get(RETRY_AFTER) {
        page.headers_mut().insert(RETRY_AFTER, retry.clone());
    }
    page
}

/// An error as a page, in the reader's language.
pub(crate) fn error_page(lang: Lang, error: &ApiError) -> Response {
    let message = lang.t(&error.text.zh, &error.text.en).to_string();
    match (ErrorPage { lang, status: error.status.as_u16(), message }).render() {
        Ok(html) => (error.status, Html(html)).into_response(),
        Err(_) => error.status.into_response(),
    }
}

/// A person's browser going to an address (typed, or a link followed), not a program calling:
/// the browser says so with `Sec-Fetch-Mode: navigate`, older ones by asking for HTML first.
pub(crate) fn is_navigation(headers: &HeaderMap) -> bool {
    headers.get("sec-fetch-mode").is_some_and(|m| m == "navigate")
        || headers
            .get(axum::http::header::ACCEPT)
            .and_then(|a| a.to_str().ok())
            .is_some_and(|a| a.starts_with("text/html"))
}

/// 303 to a path on this site, optionally setting a cookie.
pub(crate) fn see_other(to: &str, cookie: Option<String>) -> Response {
    let mut response = (StatusCode::SEE_OTHER, [(LOCATION, to.to_string())]).into_response();
    if let Some(c) = cookie.and_then(|c| c.parse().ok()) {
        response.headers_mut().insert(SET_COOKIE, c);
    }
    response
}

/// Only paths on this site: `//host` and `/\host` would leave it.
pub(crate) fn local_path(raw: Option<&str>, fallback: &str) -> String {
    // Browsers drop tabs and newlines from URLs and read `\` as `/`, so `/\t/host` would
    // become `//host`: any of those, or whitespace, and the path is not followed.
    let suspicious = |p: &str| p.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\');
    match raw {
        Some(p) if p.starts_with('/') && !p.starts_with("//") && !suspicious(p) => p.to_string(),
        _ => fallback.to_string(),
    }
}

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    lang: Lang,
    chrome: Chrome,
    next: String,
    username: String,
    error: Option<&'static str>,
}

#[derive(Deserialize)]
pub struct LoginParams {
    next: Option<String>,
}

pub async fn login_form(
    lang: Lang,
    uri: axum::http::Uri,
    ApiQuery(p): ApiQuery<LoginParams>,
) -> Result<Html<String>, ApiError> {
    let page = LoginPage {
        lang,
        chrome: Chrome::new(lang, None, &uri),
        next: local_path(p.next.as_deref(), ""),
        username: String::new(),
        error: None,
    };
    Ok(Html(page.render()?))
}

/// Where a role's work is, for staff who log in without asking for a page.
fn landing(role: Role) -> &'static str {
    match role {
        Role::Operator => "/intake",
        Role::Dispatcher | Role::Handler | Role::GridWorker | Role::Supervisor => "/work",
        Role::Leader => "/dashboard",
        Role::Admin => "/admin",
    }
}

#[derive(Deserialize)]
pub struct LoginForm {
    username: String,
    password: String,
    next: Option<String>,
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: axum::http::Uri,
    Client(client): Client,
    ApiForm(form): ApiForm<LoginForm>,
) -> Result<Response, ApiError> {
    // A page asked for, if it is one of this site's; else the role's own.
    let next = local_path(form.next.as_deref(), "");
    if let Some(session) = open_session(&state, &form.username, &form.password, client).await? {
        let to = if next.is_empty() { landing(session.user.role).to_string() } else { next };
        return Ok(see_other(&to, Some(session.cookie)));
    }
    let page = LoginPage {
        lang,
        chrome: Chrome::new(lang, None, &uri),
        next,
        username: form.username,
        error: Some(lang.t("用户名或密码不正确", "wrong username or password")),
    };
    Ok((StatusCode::UNAUTHORIZED, Html(page.render()?)).into_response())
}

pub async fn logout(State(state): State<Arc<AppState>>, staff: Staff) -> Result<Response, ApiError> {
    let cleared = close_session(&state, &staff).await?;
    Ok(see_other("/login", Some(cleared)))
}

#[derive(Deserialize)]
pub struct LangParams {
    back: Option<String>,
}

/// Switches the language for a year and goes back to the page.
pub async fn switch_lang(Path(to): Path<String>, ApiQuery(p): ApiQuery<LangParams>) -> Response {
    let value = if to == "en" { "en" } else { "zh" };
    let cookie = format!("{LANG_COOKIE}={value}; Path=/; Max-Age=31536000; SameSite=Lax");
    see_other(&local_path(p.back.as_deref(), "/"), Some(cookie))
}

pub async fn script() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/javascript; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/app.js"),
    )
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "text/css; charset=utf-8"), (CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../assets/app.css"),
    )
}

/// What was typed into a staff form, kept when it comes back with an error.
#[derive(Default)]
pub struct Typed(Vec<(String, String)>);

impl Typed {
    pub fn get(&self, name: &str) -> &str {
        self.0.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        self.get(name) == value
    }

    /// Whether `value` was among the values sent for `name` (a multiple choice).
    pub fn has(&self, name: &str, value: &str) -> bool {
        self.0.iter().any(|(k, v)| k == name && v == value)
    }

    /// Every value sent for `name`.
    pub fn all(&self, name: &str) -> Vec<&str> {
        self.0.iter().filter(|(k, _)| k == name).map(|(_, v)| v.as_str()).collect()
    }
}

/// A form's error: the field it is about and what to say.
/// The staff member, if they run residents' participation (the pages that also serve
/// residents and the public show them more).
pub fn runs_participation(staff: Option<&Staff>) -> Option<&Staff> {
    staff.filter(|s| s.may(grassroots_domain::Capability::RunParticipation))
}

/// The communities a staff member works in (a grid worker's: their grids'), as (code,
/// "street · community") for a form's select.
pub fn communities_reached(
    state: &crate::AppState,
    staff: &crate::session::Staff,
    lang: &Lang,
) -> Vec<(String, String)> {
    let atlas = state.atlas();
    atlas
        .served_districts()
        .flat_map(|d| atlas.children(&d.code))
        .flat_map(|street| atlas.children(&street.code).into_iter().map(move |c| (street, c)))
        .filter(|(_, c)| staff.user.scope.reaches(c.code.as_str()))
        .map(|(street, c)| {
            (c.code.as_str().to_string(), format!("{} · {}", lang.place(&street.name), lang.place(&c.name)))
        })
        .collect()
}

/// A place's name as the atlas knows it (with its pinyin on English pages), or its code.
pub fn place_name(state: &crate::AppState, lang: &Lang, code: &str) -> String {
    state.atlas().outline(code).map_or_else(|| code.to_string(), |o| lang.place(&o.name))
}

/// A refusal to show on a form: beside its field when it names one, else at the top.
fn shown_error(e: ApiError, lang: &Lang) -> Result<FormError, ApiError> {
    match e.field.clone() {
        Some(_) => form_error(e, lang),
        None => Ok(FormError { field: String::new(), message: lang.t(&e.text.zh, &e.text.en).to_string() }),
    }
}

/// Who made a move or wrote a log entry, as kept (a staff role's code), in the reader's language.
pub(crate) fn role_label(lang: &Lang, code: &str) -> String {
    grassroots_domain::Role::parse(code)
        .map_or_else(|| code.to_string(), |r| lang.t(r.label_zh(), r.label_en()).to_string())
}

/// The header with which the page's script asks for a part of the page instead of all of it.
pub(crate) const FRAGMENT_HEADER: &str = "x-fragment";

/// The (code, label) choices of a coded enum, for a form's select or boxes.
macro_rules! choices {
    ($lang:expr, $ty:ty) => {
        <$ty>::ALL
            .iter()
            .map(|v| (v.as_str().to_string(), $lang.t(v.label_zh(), v.label_en()).to_string()))
            .collect::<Vec<(String, String)>>()
    };
}
pub(crate) use choices;

/// A page's form as it comes back: what was typed, and the error to show beside its field.
#[derive(Default)]
pub struct Filled {
    pub typed: Typed,
    pub error: Option<FormError>,
}

impl Filled {
    pub fn new(values: Vec<(String, String)>) -> Self {
        Self { typed: Typed(values), error: None }
    }

    pub fn value(&self, name: &str) -> &str {
        self.typed.get(name)
    }

    /// A field's value, unless it was left blank.
    pub fn given(&self, name: &str) -> Option<String> {
        Some(self.value(name).to_string()).filter(|v| !v.trim().is_empty())
    }

    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }

    /// The form again after a use case refused it: the status to answer with, and what was
    /// typed with the error beside its field (or the page's, without one).
    pub fn refused(self, e: grassroots_app::AppError, lang: &Lang) -> Result<(StatusCode, Self), ApiError> {
        let e = ApiError::from(e);
        let status = e.status;
        Ok((status, Self { error: Some(shown_error(e, lang)?), ..self }))
    }
}

pub struct FormError {
    pub field: String,
    pub message: String,
}

/// A refusal about a field, to show beside it in the form (without the field's name, which
/// the API's message starts with); any other error is the page's.
pub fn form_error(e: ApiError, lang: &Lang) -> Result<FormError, ApiError> {
    match &e.field {
        Some(field) => {
            let text = lang.t(&e.text.zh, &e.text.en);
            let message = text
                .strip_prefix(field.as_str())
                .and_then(|t| t.strip_prefix("：").or_else(|| t.strip_prefix(": ")))
                .unwrap_or(text);
            Ok(FormError { field: field.clone(), message: message.to_string() })
        }
        None => Err(e),
    }
}

/// A time as residents and staff read it: Beijing time to the minute.
pub fn beijing_minutes(t: chrono::DateTime<chrono::Utc>) -> String {
    t.with_timezone(&grassroots_domain::calendar::beijing()).format("%Y-%m-%d %H:%M").to_string()
}

/// The names of these regions and grids, as far as the atlas knows them, joined; on English
/// pages each with its pinyin.
pub fn place_names(atlas: &grassroots_geo::atlas::Atlas, codes: &[&Option<String>], lang: &Lang) -> String {
    codes
        .iter()
        .filter_map(|c| c.as_deref())
        .filter_map(|c| atlas.outline(c).map(|o| lang.place(&o.name)))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// A category's name in the page's language, or its code when the taxonomy lacks it.
pub fn category_name(reference: &grassroots_store::Reference, code: &str, lang: &Lang) -> String {
    reference.taxonomy.get(code).map_or(code.to_string(), |c| lang.t(&c.name_zh, &c.name_en).to_string())
}

/// A unit's name in the page's language, or its id when unknown.
pub fn unit_name(reference: &grassroots_store::Reference, id: &str, lang: &Lang) -> String {
    reference.unit(id).map_or(id.to_string(), |u| lang.t(&u.name_zh, &u.name_en).to_string())
}

/// The units a case may be sent to, as (id, name) choices: discipline units take none.
pub(crate) fn case_unit_options(reference: &grassroots_store::Reference, lang: &Lang) -> Vec<(String, String)> {
    reference
        .units
        .iter()
        .filter(|u| u.takes_cases())
        .map(|u| (u.id.clone(), lang.t(&u.name_zh, &u.name_en).to_string()))
        .collect()
}

/// A share as a whole percentage, or a dash when there is nothing to share.
pub fn percent(share: Option<f64>) -> String {
    share.map_or_else(|| "—".to_string(), |s| format!("{:.0}%", s * 100.0))
}

/// When a vote or survey was withdrawn (Beijing time) and why, as its pages show it.
pub(crate) fn withdrawn_line(withdrawal: Option<&grassroots_store::votes::Withdrawal>) -> Option<(String, String)> {
    withdrawal.map(|w| (beijing_minutes(w.at), w.reason.clone()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(local_path(Some("/grids/1?x=1"), "/map"), "/grids/1?x=1");
        for bad in
            ["//evil.example", "/\\evil.example", "https://evil.example", "", "/\t/evil.example", "/\n/evil", "/ /x"]
        {
            assert_eq!(local_path(Some(bad), "/map"), "/map", "{bad}");
        }
        assert_eq!(local_path(None, "/map"), "/map");
    }
}
