//! 附议 on the resident portal: the open reports of the same kind near the place a resident is
//! reporting, offered before a new case is opened; joining one; and a case's public page, where
//! those who joined follow it (it shows what the public list shows, and how many joined).

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::support::{self, Joining};
use grassroots_domain::workflow::EventKind;
use serde::Deserialize;

use super::portal::{public_case, PublicCase, ReportInput};
use super::{category_name, form_error, Chrome, Lang};
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::AppState;

/// An open report nearby, as the resident about to report is shown it: nothing of its reporter.
pub struct NearbyLine {
    pub tracking_no: String,
    pub category: String,
    /// "约120米".
    pub distance: String,
    pub received: String,
    pub state: String,
    pub supporters: i64,
}

/// The open reports of the form's category near its place (the point chosen, or the landmark
/// its address names); none when either is missing.
pub async fn nearby_lines(state: &AppState, input: &ReportInput, lang: &Lang) -> Result<Vec<NearbyLine>, ApiError> {
    let chosen = input.lat.parse::<f64>().ok().zip(input.lng.parse::<f64>().ok());
    let point = chosen.or_else(|| {
        let place = grassroots_app::intake::locate(state, None, None, Some(&input.address)).ok()?;
        place.lat.zip(place.lng)
    });
    let Some(point) = point else { return Ok(Vec::new()) };
    // Not chosen: the kind the description most likely is.
    let category = match input.category_code.trim() {
        "" => match likely_category(state, &input.description) {
            Some(category) => category,
            None => return Ok(Vec::new()),
        },
        chosen => chosen.to_string(),
    };
    let reference = state.reference();
    let near = support::nearby(state, &category, point).await?;
    Ok(near
        .into_iter()
        .map(|n| NearbyLine {
            category: category_name(&reference, &n.record.category_code, lang),
            distance: format!("{}{:.0}{}", lang.t("约", "about "), n.distance_m, lang.t("米", " m")),
            received: grassroots_domain::public::day(n.record.received_at).to_string(),
            state: lang.t(n.record.state.label_zh(), n.record.state.label_en()).to_string(),
            tracking_no: n.record.tracking_no,
            supporters: n.supporters,
        })
        .collect())
}

/// How likely the description's first proposal must be to look for its kind nearby.
const LIKELY: f64 = 0.5;

fn likely_category(state: &AppState, description: &str) -> Option<String> {
    let best = grassroots_app::classify::propose(state, description, None).ok()?.into_iter().next()?;
    (best.confidence >= LIKELY).then_some(best.category_code)
}

#[derive(Deserialize)]
pub struct JoinForm {
    tracking_no: String,
    reporter_phone: Option<String>,
    notify: Option<String>,
}

#[derive(Template)]
#[template(path = "joined.html")]
struct JoinedPage {
    lang: Lang,
    chrome: Chrome,
    tracking_no: String,
    supporters: i64,
    texted: bool,
    error: Option<String>,
}

/// The resident joins an open report instead of opening another case.
pub async fn join(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    ApiForm(form): ApiForm<JoinForm>,
) -> Result<Response, ApiError> {
    let notify = form.notify.as_deref().is_some_and(|v| matches!(v.trim(), "on" | "true" | "1"));
    let joining = Joining { phone: form.reporter_phone, notify };
    let mut page = JoinedPage {
        tracking_no: form.tracking_no.trim().to_string(),
        supporters: 0,
        texted: notify,
        error: None,
        chrome: Chrome::new(lang, None, &uri),
        lang,
    };
    match support::join(&state, &form.tracking_no, joining).await.map_err(ApiError::from) {
        Ok(joined) => {
            page.supporters = joined.supporters;
            Ok(Html(page.render()?).into_response())
        }
        Err(e) if e.field.is_some() || e.status == StatusCode::CONFLICT => {
            let status = e.status;
            page.error = Some(form_error(e, &lang)?.message);
            Ok((status, Html(page.render()?)).into_response())
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "public_case.html")]
struct PublicCasePage {
    lang: Lang,
    chrome: Chrome,
    tracking_no: String,
    case: PublicCase,
    due: String,
    supporters: i64,
    /// (day, what happened), without any text typed by anyone.
    timeline: Vec<(String, String)>,
}

/// A case as the public sees it, for those who joined it and anyone with its number.
pub async fn show(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    Path(tracking_no): Path<String>,
) -> Result<Html<String>, ApiError> {
    let record = support::public_record(&state, &tracking_no).await?;
    let groups = grassroots_app::public::groups(&state).await?;
    let view = grassroots_app::public::view(&state, &groups, &record).ok_or_else(ApiError::not_found)?;
    let events = state.store.case_events(record.id).await?;
    let timeline = events
        .iter()
        .filter(|e| e.kind.public_summary().is_some() && !matches!(e.kind, EventKind::Supplemented { .. }))
        .map(|e| {
            let (zh, en) = e.kind.label();
            (grassroots_domain::public::day(e.at).to_string(), lang.t(zh, en).to_string())
        })
        .collect();
    let page = PublicCasePage {
        tracking_no: record.tracking_no.clone(),
        case: public_case(&view, &state.reference(), &state.atlas(), &lang),
        due: grassroots_domain::public::day(record.resolve_due).to_string(),
        supporters: state.store.supporters(record.id).await?,
        timeline,
        chrome: Chrome::new(lang, None, &uri),
        lang,
    };
    Ok(Html(page.render()?))
}
