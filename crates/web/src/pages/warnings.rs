//! 风险预警 for staff: the warnings within their scope, newest first, each saying why it was
//! raised, with buttons to mark it seen or acted on, or to dismiss it with a reason.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use serde::Deserialize;

use grassroots_app::warnings;
use grassroots_domain::warnings::{WarningKind, WarningState};
use grassroots_store::warnings::Warning;

use super::work::local_time;
use super::{category_name, place_names, see_other, Chrome, Lang};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can};
use crate::AppState;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningsQuery {
    state: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WarningForm {
    state: String,
    reason: Option<String>,
}

/// A warning as a line of the queue.
pub struct WarningLine {
    pub id: String,
    pub kind: String,
    pub danger: bool,
    pub state: String,
    pub open: bool,
    pub new: bool,
    pub place: String,
    pub category: String,
    pub why: String,
    /// Where to act on it, and the link's words: the case, or the grid's people in care.
    pub link: Option<(String, String)>,
    pub raised: String,
    pub reason: String,
}

#[derive(Template)]
#[template(path = "warnings.html")]
struct WarningsPage {
    lang: Lang,
    chrome: Chrome,
    all: bool,
    lines: Vec<WarningLine>,
    error: Option<String>,
}

fn why(w: &Warning, lang: &Lang) -> String {
    match w.kind {
        WarningKind::Surge => format!(
            "{} {} {}，{} {:.1}",
            lang.t("近24小时", "last 24 hours:"),
            w.count.unwrap_or_default(),
            lang.t("件", "reports"),
            lang.t("前四周同日同时段平均", "same hours of the four weeks before, mean"),
            w.baseline.unwrap_or_default()
        ),
        WarningKind::Danger => format!("{}{}", lang.t("危险词：", "words of danger: "), w.words.join("、")),
        WarningKind::RepeatedCaller => format!(
            "{} {} {}：{}",
            lang.t("同一来电人30天内反映", "one caller, in 30 days,"),
            w.count.unwrap_or_default(),
            lang.t("次", "times"),
            w.words.join("、")
        ),
        WarningKind::Group => format!(
            "{} {} {}：{}",
            lang.t("疑为同一事项的反映", "reports that look like one matter:"),
            w.count.unwrap_or_default(),
            lang.t("份", ""),
            w.words.join("、")
        ),
        WarningKind::Reopened => {
            lang.t("居民评价未解决，案件重办", "the resident found it unresolved: reopened").into()
        }
        WarningKind::CareMissed => format!(
            "{} {} {}",
            lang.t("本网格关爱对象", "people in care in this grid:"),
            w.count.unwrap_or_default(),
            lang.t("人逾期未走访", "wait for a visit overdue")
        ),
    }
}

fn line(w: &Warning, state: &AppState, lang: &Lang) -> WarningLine {
    let atlas = state.atlas();
    WarningLine {
        id: w.id.to_string(),
        kind: lang.t(w.kind.label_zh(), w.kind.label_en()).into(),
        danger: w.kind == WarningKind::Danger,
        state: lang.t(w.state.label_zh(), w.state.label_en()).into(),
        open: w.state.is_open(),
        new: w.state == WarningState::New,
        place: place_names(&atlas, &[&w.street_code, &w.community_code, &w.grid_code], lang),
        category: w.category_code.as_deref().map(|c| category_name(&state.reference(), c, lang)).unwrap_or_default(),
        why: why(w, lang),
        link: match (w.kind, &w.grid_code) {
            (WarningKind::CareMissed, Some(grid)) => {
                Some((format!("/care?grid={grid}"), lang.t("查看关爱对象", "the people in care").into()))
            }
            _ => w.case_id.map(|id| (format!("/cases/{id}"), lang.t("查看案件", "the case").into())),
        },
        raised: local_time(w.raised_at),
        reason: w.reason.clone().unwrap_or_default(),
    }
}

async fn render(
    state: &AppState,
    staff: &Can<need::WorkOnCases>,
    lang: Lang,
    uri: &Uri,
    all: bool,
    error: Option<String>,
) -> Result<Html<String>, ApiError> {
    // None: every state.
    let states: &[WarningState] = if all { &[] } else { &WarningState::OPEN };
    let found = warnings::list(state, &staff.user, states).await?;
    let page = WarningsPage {
        lines: found.iter().map(|w| line(w, state, &lang)).collect(),
        all,
        error,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    };
    Ok(Html(page.render()?))
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    lang: Lang,
    uri: Uri,
    ApiQuery(q): ApiQuery<WarningsQuery>,
) -> Result<Html<String>, ApiError> {
    render(&state, &staff, lang, &uri, q.state.as_deref() == Some("all"), None).await
}

pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(form): ApiForm<WarningForm>,
) -> Result<Response, ApiError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let moved = match WarningState::parse_field("state", &form.state) {
        Ok(to) => {
            warnings::move_warning(&state, &staff.user, id, to, form.reason.as_deref()).await.map_err(ApiError::from)
        }
        Err(e) => Err(ApiError::from(grassroots_app::AppError::from(e))),
    };
    match moved {
        Ok(_) => Ok(see_other("/warnings", None)),
        Err(e) if e.field.is_some() || e.status == StatusCode::CONFLICT => {
            let message = lang.t(&e.text.zh, &e.text.en).to_string();
            let page = render(&state, &staff, lang, &uri, false, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}
