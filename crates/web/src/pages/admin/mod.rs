//! Administration (系统管理), for administrators: one section per thing administered — staff
//! accounts with their roles and scopes, units, the deadlines of categories, the
//! responsibility matrix, the working-day calendar, the keys of other systems and their
//! webhooks, the texts sent to residents and staff on duty, the classifier and how often people
//! overrode it, the words of danger;
//! and the audit log (`audit`), read-only. Each section is a module that lays out its table and form and saves its form
//! through the use cases, which check it whole before anything is written.

mod apikeys;
pub mod audit;
mod calendar;
mod categories;
mod classifier;
mod danger_words;
mod matrix;
mod messages;
pub mod privacy;
mod units;
mod users;
mod webhooks;

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::AppError;
use grassroots_geo::atlas::Atlas;
use grassroots_store::Reference;

use super::{encode, form_error, see_other, Chrome, FormError, Lang, Typed};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

/// The sections of administration, in the order of their tabs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Users,
    Units,
    Categories,
    Matrix,
    Calendar,
    ApiKeys,
    Webhooks,
    Messages,
    Classifier,
    DangerWords,
}

impl Section {
    pub const ALL: [Section; 10] = [
        Self::Users,
        Self::Units,
        Self::Categories,
        Self::Matrix,
        Self::Calendar,
        Self::ApiKeys,
        Self::Webhooks,
        Self::Messages,
        Self::Classifier,
        Self::DangerWords,
    ];

    /// Its path under `/admin/`.
    pub fn slug(self) -> &'static str {
        match self {
            Self::Users => "users",
            Self::Units => "units",
            Self::Categories => "categories",
            Self::Matrix => "matrix",
            Self::Calendar => "calendar",
            Self::ApiKeys => "apikeys",
            Self::Webhooks => "webhooks",
            Self::Messages => "messages",
            Self::Classifier => "classifier",
            Self::DangerWords => "danger-words",
        }
    }

    /// Its tab, in Chinese and English.
    fn tab(self) -> (&'static str, &'static str) {
        match self {
            Self::Users => ("人员与权限", "Staff"),
            Self::Units => ("承办单位", "Units"),
            Self::Categories => ("类别与时限", "Categories"),
            Self::Matrix => ("派单目录", "Responsibility matrix"),
            Self::Calendar => ("工作日历", "Calendar"),
            Self::ApiKeys => ("接口密钥", "API keys"),
            Self::Webhooks => ("事件推送", "Webhooks"),
            Self::Messages => ("短信", "Text messages"),
            Self::Classifier => ("智能分类", "Classifier"),
            Self::DangerWords => ("预警词", "Words of danger"),
        }
    }

    fn parse(slug: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.slug() == slug)
    }

    /// Its heading, the columns of its table and the fields of its form.
    fn layout(self, reference: &Reference, atlas: &Atlas, lang: Lang) -> Layout {
        match self {
            Self::Users => users::layout(reference, atlas, lang),
            Self::Units => units::layout(lang),
            Self::Categories => categories::layout(reference, lang),
            Self::Matrix => matrix::layout(reference, lang),
            Self::Calendar => calendar::layout(lang),
            Self::ApiKeys => apikeys::layout(lang),
            Self::Webhooks => webhooks::layout(lang),
            Self::Messages => messages::layout(lang),
            Self::Classifier => classifier::layout(lang),
            Self::DangerWords => danger_words::layout(lang),
        }
    }

    /// The lines of its table.
    async fn lines(self, state: &AppState, lang: Lang) -> Result<Vec<Line>, ApiError> {
        let reference = state.reference();
        Ok(match self {
            Self::Users => users::lines(state, &reference, lang).await?,
            Self::Units => units::lines(&reference),
            Self::Categories => categories::lines(&reference, lang),
            Self::Matrix => matrix::lines(&reference, &state.atlas(), lang),
            Self::Calendar => calendar::lines(&reference, lang),
            Self::ApiKeys => apikeys::lines(state, lang).await?,
            Self::Webhooks => webhooks::lines(state, lang).await?,
            Self::Messages => messages::lines(state, lang).await?,
            Self::Classifier => classifier::lines(state, lang).await?,
            Self::DangerWords => danger_words::lines(state, lang),
        })
    }

    /// A second table under the form, where the section has one.
    async fn log(self, state: &AppState, lang: Lang) -> Result<Option<Log>, ApiError> {
        match self {
            Self::Webhooks => Ok(Some(webhooks::log(state, lang).await?)),
            Self::Classifier => Ok(Some(classifier::log(state, lang).await?)),
            Self::Messages => Ok(Some(messages::sink_log(state, lang))),
            Self::Users
            | Self::Units
            | Self::Categories
            | Self::Matrix
            | Self::Calendar
            | Self::ApiKeys
            | Self::DangerWords => Ok(None),
        }
    }

    /// Saves its form through the use cases.
    async fn save(self, state: &AppState, staff: &Staff, typed: &Typed, lang: Lang) -> Result<Saved, AppError> {
        match self {
            Self::Users => users::save(state, staff, typed).await,
            Self::Units => units::save(state, typed).await,
            Self::Categories => categories::save(state, typed).await,
            Self::Matrix => matrix::save(state, typed).await,
            Self::Calendar => calendar::save(state, typed).await,
            Self::ApiKeys => apikeys::save(state, typed, lang).await,
            Self::Webhooks => webhooks::save(state, typed, lang).await,
            Self::Messages => messages::save(),
            Self::Classifier => classifier::save(state, typed).await,
            Self::DangerWords => danger_words::save(state, staff, typed).await,
        }
    }
}

/// What a section shows above its lines.
pub struct Layout {
    pub heading: String,
    pub columns: Vec<String>,
    pub form: Vec<Input>,
}

/// A second table: its heading, columns and lines.
pub struct Log {
    pub heading: String,
    pub columns: Vec<String>,
    pub lines: Vec<Line>,
}

/// A form saved: back to the section, or a secret to show this once.
pub enum Saved {
    Done,
    ShowOnce { what: String, secret: String },
}

/// A row of one of the administration tables.
pub struct Line {
    pub cells: Vec<String>,
    /// A button on the line (revoke a key, remove a matrix line).
    pub action: Option<LineAction>,
}

impl Line {
    pub fn new(cells: Vec<String>) -> Self {
        Self { cells, action: None }
    }

    pub fn with_action(self, label: String, fields: Vec<(&'static str, String)>) -> Self {
        Self { action: Some(LineAction { label, fields }), ..self }
    }
}

/// A button that posts the section's form with these fields.
pub struct LineAction {
    pub label: String,
    pub fields: Vec<(&'static str, String)>,
}

/// A field of a section's form.
pub struct Input {
    pub name: &'static str,
    pub label: String,
    /// Choices for a select; free text when empty (and `groups` too).
    pub options: Vec<(String, String)>,
    /// Choices under headings, for a long list (regions, units, grids).
    pub groups: Vec<OptionGroup>,
    /// Several may be chosen.
    pub multiple: bool,
    pub secret: bool,
}

/// Choices under a heading.
pub struct OptionGroup {
    pub label: String,
    pub options: Vec<(String, String)>,
}

fn input(name: &'static str, label: String) -> Input {
    Input { name, label, options: Vec::new(), groups: Vec::new(), multiple: false, secret: false }
}

fn choice(name: &'static str, label: String, options: Vec<(String, String)>) -> Input {
    Input { options, ..input(name, label) }
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage {
    lang: Lang,
    chrome: Chrome,
    section: &'static str,
    tabs: Vec<(String, String, bool)>,
    heading: String,
    columns: Vec<String>,
    lines: Vec<Line>,
    form: Vec<Input>,
    typed: Typed,
    error: Option<FormError>,
    saved: bool,
    /// Shown once: a key or secret just issued, with what it is.
    new_key: Option<(String, String)>,
    /// A second table under the form: its heading, columns and lines (the delivery log).
    log: Option<(String, Vec<String>, Vec<Line>)>,
    /// Some line has a button: the table has a column for them.
    line_actions: bool,
    /// The search the lines were narrowed by.
    query: String,
    /// Lines matching the search, of which `lines` is one page.
    matching: usize,
    /// "41–80" of `matching`.
    shown: String,
    previous_href: Option<String>,
    next_href: Option<String>,
}

/// Lines of a section per page.
const LINES_PER_PAGE: usize = 50;

/// Which lines of a section to show: those containing the search, a page of them.
#[derive(Debug, Default, Clone)]
pub struct Listing {
    q: Option<String>,
    /// From 1.
    page: Option<usize>,
}

impl AdminPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }

    /// The heading of column `i`, to label a cell when a phone shows lines as cards.
    fn column(&self, i: &usize) -> &str {
        self.columns.get(*i).map_or("", String::as_str)
    }

    fn general_error(&self) -> Option<&str> {
        self.error.as_ref().filter(|e| !self.form.iter().any(|i| i.name == e.field)).map(|e| e.message.as_str())
    }

    /// The section as it stands in the store now, its lines narrowed and paged by `listing`.
    async fn of(
        state: &AppState,
        staff: &Staff,
        lang: Lang,
        uri: &Uri,
        section: Section,
        listing: &Listing,
    ) -> Result<Self, ApiError> {
        let Layout { heading, columns, form } = section.layout(&state.reference(), &state.atlas(), lang);
        let query = listing.q.as_deref().map(str::trim).unwrap_or_default().to_string();
        let needle = query.to_lowercase();
        let mut lines: Vec<Line> = section
            .lines(state, lang)
            .await?
            .into_iter()
            .filter(|l| needle.is_empty() || l.cells.iter().any(|c| c.to_lowercase().contains(&needle)))
            .collect();
        let matching = lines.len();
        let pages = matching.div_ceil(LINES_PER_PAGE).max(1);
        let page = listing.page.unwrap_or(1).clamp(1, pages);
        let first = (page - 1) * LINES_PER_PAGE;
        lines = lines.into_iter().skip(first).take(LINES_PER_PAGE).collect();
        let href = |p: usize| {
            let mut pairs = vec![("page", p.to_string())];
            if !query.is_empty() {
                pairs.insert(0, ("q", query.clone()));
            }
            let pairs: Vec<(&str, &str)> = pairs.iter().map(|(k, v)| (*k, v.as_str())).collect();
            format!("/admin/{}?{}", section.slug(), encode(&pairs))
        };
        Ok(Self {
            section: section.slug(),
            tabs: tabs(lang, section.slug()),
            heading,
            columns,
            shown: if matching == 0 { "0".into() } else { format!("{}–{}", first + 1, first + lines.len()) },
            previous_href: (page > 1).then(|| href(page - 1)),
            next_href: (page < pages).then(|| href(page + 1)),
            matching,
            query,
            line_actions: lines.iter().any(|l| l.action.is_some()),
            lines,
            form,
            typed: Typed::default(),
            error: None,
            saved: false,
            new_key: None,
            log: section.log(state, lang).await?.map(|l| (l.heading, l.columns, l.lines)),
            chrome: Chrome::new(lang, Some(staff), uri),
            lang,
        })
    }
}

/// The tabs of administration: its sections, then the audit log and residents' requests
/// about their personal data; `current` is the slug shown.
fn tabs(lang: Lang, current: &str) -> Vec<(String, String, bool)> {
    Section::ALL
        .into_iter()
        .map(|s| (s.slug(), s.tab()))
        .chain([("audit", ("审计日志", "Audit log")), ("privacy", ("个人信息请求", "Personal data requests"))])
        .map(|(slug, (zh, en))| (format!("/admin/{slug}"), lang.t(zh, en).to_string(), slug == current))
        .collect()
}

#[derive(serde::Deserialize)]
pub struct ShowParams {
    saved: Option<String>,
    q: Option<String>,
    page: Option<usize>,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::Administer>,
    lang: Lang,
    uri: Uri,
    Path(section): Path<String>,
    ApiQuery(p): ApiQuery<ShowParams>,
) -> Result<Html<String>, ApiError> {
    let section = Section::parse(&section).ok_or_else(ApiError::not_found)?;
    let listing = Listing { q: p.q, page: p.page };
    let mut page = AdminPage::of(&state, &staff, lang, &uri, section, &listing).await?;
    page.saved = p.saved.is_some();
    Ok(Html(page.render()?))
}

/// Saves a section's form: back to the section; or the page again showing a secret this
/// once, or the error beside its field with what was typed (passwords never written back).
/// Never cached.
pub async fn save(
    State(state): State<Arc<AppState>>,
    staff: Can<need::Administer>,
    lang: Lang,
    uri: Uri,
    Path(section): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let section = Section::parse(&section).ok_or_else(ApiError::not_found)?;
    let typed = Typed(fields);
    let saved = section.save(&state, &staff, &typed, lang).await;
    if let Ok(Saved::Done) = saved {
        return Ok(see_other(&format!("/admin/{}?saved=1", section.slug()), None));
    }
    let mut page = AdminPage::of(&state, &staff, lang, &uri, section, &Listing::default()).await?;
    let status = match saved {
        Ok(Saved::ShowOnce { what, secret }) => {
            page.saved = true;
            page.new_key = Some((what, secret));
            StatusCode::OK
        }
        Ok(Saved::Done) => StatusCode::OK,
        Err(e) => {
            page.error = Some(form_error(e.into(), &lang)?);
            page.typed = Typed(typed.0.into_iter().filter(|(k, _)| k != "password").collect());
            StatusCode::UNPROCESSABLE_ENTITY
        }
    };
    let mut response = (status, Html(page.render()?)).into_response();
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
