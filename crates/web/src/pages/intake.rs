//! Staff taking problems in: the hotline operator's form for phone calls (登记来电), built for
//! the keyboard, and the grid worker's patrol report (巡查上报) for a phone.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use grassroots_domain::{Priority, RequestType, Scope};

use super::portal::{bbox_param, category_groups, clicked_point, picker, CategoryGroup};
use super::{form_error, place_names, Chrome, FormError, Lang, Typed};
use crate::api::intake::{patrol_report, read_form, IntakeRequest};
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{need, Can, Staff};
use crate::AppState;
use grassroots_app::intake::{self, Reporter};
use grassroots_app::patrol;

fn choices<T: Copy>(all: &[T], code: impl Fn(T) -> &'static str, label: impl Fn(T) -> String) -> Vec<(String, String)> {
    all.iter().map(|v| (code(*v).to_string(), label(*v))).collect()
}

#[derive(Template)]
#[template(path = "intake.html")]
struct IntakePage {
    lang: Lang,
    chrome: Chrome,
    groups: Vec<CategoryGroup>,
    priorities: Vec<(String, String)>,
    types: Vec<(String, String)>,
    typed: Typed,
    error: Option<FormError>,
    /// The categories the description suggests.
    proposals: Vec<super::classify::ProposalLine>,
    /// The idempotency key of this call's form: sent twice, it makes one case.
    key: String,
}

impl IntakePage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }
}

fn intake_page(state: &AppState, staff: &Staff, lang: Lang, uri: &Uri, typed: Typed) -> IntakePage {
    IntakePage {
        groups: category_groups(&state.reference(), &lang),
        priorities: choices(Priority::ALL, Priority::as_str, |p| lang.t(p.label_zh(), p.label_en()).to_string()),
        types: choices(RequestType::ALL, RequestType::as_str, |t| lang.t(t.label_zh(), t.label_en()).to_string()),
        proposals: super::classify::proposal_lines(state, typed.get("description"), &lang),
        key: Some(typed.get("idempotency_key"))
            .filter(|k| !k.is_empty())
            .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string),
        typed,
        error: None,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    }
}

pub async fn intake_form(
    State(state): State<Arc<AppState>>,
    staff: Can<need::AnswerCalls>,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(intake_page(&state, &staff, lang, &uri, Typed::default()).render()?))
}

#[derive(Template)]
#[template(path = "taken.html")]
struct TakenPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    tracking_no: String,
    query_code: String,
    status: String,
    again_href: &'static str,
    again_label: String,
    photos: usize,
}

/// A call taken in; the number and code to read to the caller, and on to the next call.
pub async fn take_call(
    State(state): State<Arc<AppState>>,
    staff: Can<need::AnswerCalls>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Typed(fields.clone());
    let taken = async {
        let mut req = IntakeRequest::default();
        for (name, value) in fields {
            req.set_form_field(&name, value)?;
        }
        Ok::<_, ApiError>(intake::submit(&state, Reporter::Staff(&staff.user), req.into_report(Vec::new())).await?)
    }
    .await;
    match taken {
        Ok(created) => {
            let page = TakenPage {
                id: created.id.to_string(),
                tracking_no: created.tracking_no,
                query_code: created.query_code,
                status: lang.t(created.status.label_zh(), created.status.label_en()).to_string(),
                again_href: "/intake",
                again_label: lang.t("下一个来电", "Next call").to_string(),
                photos: 0,
                chrome: Chrome::new(lang, Some(&staff), &uri),
                lang,
            };
            Ok((StatusCode::CREATED, Html(page.render()?)).into_response())
        }
        Err(e) => {
            let mut page = intake_page(&state, &staff, lang, &uri, typed);
            page.error = Some(form_error(e, &lang)?);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

// Patrol --------------------------------------------------------------------------------

#[derive(Template)]
#[template(path = "patrol.html")]
struct PatrolPage {
    lang: Lang,
    chrome: Chrome,
    grids: Vec<(String, String)>,
    groups: Vec<CategoryGroup>,
    typed: Typed,
    error: Option<FormError>,
    /// The map to click the place on: the worker's grids, the place marked.
    frame: String,
    picker_src: String,
    picker_height: u32,
    /// The names of the place chosen (by a click or the device), if any.
    place: Option<String>,
    /// A place was just clicked: photos chosen before must be chosen again.
    photos_again: bool,
}

impl PatrolPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }
}

fn patrol_page(state: &AppState, staff: &Staff, lang: Lang, uri: &Uri, typed: Typed) -> PatrolPage {
    let atlas = state.atlas();
    let codes: &[String] = match &staff.user.scope {
        Scope::Grids { codes } => codes,
        _ => &[],
    };
    let grids = codes.iter().map(|c| (c.clone(), atlas.outline(c).map_or(c.clone(), |o| o.name.clone()))).collect();
    // The worker's grids and a margin around them.
    let frame = codes
        .iter()
        .filter_map(|c| atlas.outline(c).map(|o| o.bbox))
        .reduce(|a, b| (a.0.min(b.0), a.1.min(b.1), a.2.max(b.2), a.3.max(b.3)))
        .map(|(w, s, e, n)| {
            let pad = ((e - w).max(n - s) * 0.15).max(0.002);
            (w - pad, s - pad, e + pad, n + pad)
        });
    let point = typed.get("lng").parse::<f64>().ok().zip(typed.get("lat").parse::<f64>().ok());
    let place = point
        .and_then(|p| state.placer().place(Some(p), None).ok())
        .map(|p| place_names(&atlas, &[&p.street_code, &p.community_code, &p.grid_code], &lang));
    let (picker_src, picker_height) = frame.map(|f| picker(state, f, point)).unwrap_or_default();
    PatrolPage {
        grids,
        groups: category_groups(&state.reference(), &lang),
        typed,
        error: None,
        frame: frame.map(bbox_param).unwrap_or_default(),
        picker_src,
        picker_height,
        place,
        photos_again: false,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    }
}

pub async fn patrol_form(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReportOnPatrol>,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(patrol_page(&state, &staff, lang, &uri, Typed::default()).render()?))
}

pub async fn report_patrol(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReportOnPatrol>,
    lang: Lang,
    uri: Uri,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut form = read_form(form).await;
    // A click on the map chooses the place: the form comes back with it, nothing is sent.
    if let Ok(read) = form.as_mut() {
        let take = |fields: &mut Vec<(String, String)>, name: &str| {
            fields.iter().position(|(k, _)| k == name).map(|i| fields.remove(i).1)
        };
        let frame = take(&mut read.fields, "frame").unwrap_or_default();
        let spot = take(&mut read.fields, "spot.x").zip(take(&mut read.fields, "spot.y"));
        if let Some((x, y)) = spot.and_then(|(x, y)| x.trim().parse::<f64>().ok().zip(y.trim().parse::<f64>().ok())) {
            let (lng, lat) = clicked_point(&state, &frame, (x, y))?;
            read.fields.retain(|(k, _)| k != "lng" && k != "lat");
            read.fields.push(("lng".into(), format!("{lng:.6}")));
            read.fields.push(("lat".into(), format!("{lat:.6}")));
            let mut page = patrol_page(&state, &staff, lang, &uri, Typed(read.fields.clone()));
            page.photos_again = !read.photos.is_empty();
            return Ok(Html(page.render()?).into_response());
        }
    }
    let typed = Typed(form.as_ref().map(|f| f.fields.clone()).unwrap_or_default());
    let outcome = match form {
        Ok(form) => match patrol_report(form) {
            Ok(report) => patrol::report(&state, &staff.user, report).await.map_err(ApiError::from),
            Err(e) => Err(e),
        },
        Err(e) => Err(e),
    };
    match outcome {
        Ok(done) => {
            let status = done.closed.as_ref().map_or(done.created.status, |r| r.state);
            let page = TakenPage {
                id: done.created.id.to_string(),
                tracking_no: done.created.tracking_no,
                query_code: done.created.query_code,
                status: lang.t(status.label_zh(), status.label_en()).to_string(),
                again_href: "/patrol",
                again_label: lang.t("继续上报", "Report another").to_string(),
                photos: done.photos,
                chrome: Chrome::new(lang, Some(&staff), &uri),
                lang,
            };
            Ok((StatusCode::CREATED, Html(page.render()?)).into_response())
        }
        Err(e) => {
            let mut page = patrol_page(&state, &staff, lang, &uri, typed);
            page.error = Some(form_error(e, &lang)?);
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}
