//! 值班: the roster of the streets within the reader's scope for the coming two weeks, who is on
//! duty now (texted at once about a report holding words of danger), and for supervisors and
//! administrators a form to plan a shift and buttons to take one off.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, Utc};
use serde::Deserialize;

use grassroots_app::duty::{self, ShiftForm};
use grassroots_domain::Capability;
use grassroots_store::duty::Shift;

use super::work::local_time;
use super::{see_other, Chrome, Lang};
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{need, Can, Staff};
use crate::AppState;

/// How far ahead the page shows the roster.
const AHEAD_DAYS: i64 = 14;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ShiftFields {
    street: String,
    username: String,
    starts_at: String,
    ends_at: String,
}

pub struct ShiftLine {
    pub id: String,
    pub street: String,
    pub who: String,
    pub phone: Option<String>,
    pub from: String,
    pub to: String,
    pub now: bool,
}

/// A street within the reader's scope and who answers for it now.
pub struct StreetNow {
    pub code: String,
    pub name: String,
    /// Names of those on duty now; empty: the street's own dispatchers are texted.
    pub on_duty: Vec<String>,
}

#[derive(Template)]
#[template(path = "duty.html")]
struct DutyPage {
    lang: Lang,
    chrome: Chrome,
    may_plan: bool,
    streets: Vec<StreetNow>,
    lines: Vec<ShiftLine>,
    /// (username, label) of those who may be put on duty.
    people: Vec<(String, String)>,
    error: Option<String>,
}

fn line(s: &Shift, state: &AppState, lang: &Lang, now: chrono::DateTime<Utc>) -> ShiftLine {
    let atlas = state.atlas();
    ShiftLine {
        id: s.id.to_string(),
        street: atlas.outline(&s.street_code).map_or_else(|| s.street_code.clone(), |o| lang.place(&o.name)),
        who: format!("{}（{}）", s.display_name, s.username),
        phone: s.phone_masked.clone(),
        from: local_time(s.starts_at),
        to: local_time(s.ends_at),
        now: s.starts_at <= now && now < s.ends_at,
    }
}

async fn render(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    error: Option<String>,
) -> Result<Html<String>, ApiError> {
    let now = Utc::now();
    let shifts = duty::roster(state, &staff.user, now, now + Duration::days(AHEAD_DAYS)).await?;
    let may_plan = staff.user.role.may(Capability::PlanDuty);
    let people = if may_plan {
        let accounts = duty::candidates(state, &staff.user).await?;
        let none = lang.t("无手机号，不能短信告知", "no mobile: cannot be texted");
        accounts
            .into_iter()
            .map(|a| {
                let phone = a.phone_masked.as_deref().unwrap_or(none).to_string();
                (a.user.username.clone(), format!("{}（{}）· {phone}", a.user.display_name, a.user.username))
            })
            .collect()
    } else {
        Vec::new()
    };
    let atlas = state.atlas();
    let streets = atlas
        .served_districts()
        .flat_map(|d| atlas.children(&d.code))
        .filter(|street| staff.user.scope.covers_region(&street.code))
        .map(|street| StreetNow {
            code: street.code.as_str().to_string(),
            name: lang.place(&street.name),
            on_duty: shifts
                .iter()
                .filter(|s| s.street_code == street.code.as_str() && s.starts_at <= now && now < s.ends_at)
                .map(|s| s.display_name.clone())
                .collect(),
        })
        .collect();
    let page = DutyPage {
        lines: shifts.iter().map(|s| line(s, state, &lang, now)).collect(),
        streets,
        people,
        may_plan,
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
) -> Result<Html<String>, ApiError> {
    render(&state, &staff, lang, &uri, None).await
}

/// A refusal that names a field is shown on the page with the roster as it stands.
async fn answer(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    done: Result<Shift, grassroots_app::AppError>,
) -> Result<Response, ApiError> {
    match done.map_err(ApiError::from) {
        Ok(_) => Ok(see_other("/duty", None)),
        Err(e) if e.field.is_some() => {
            let message = lang.t(&e.text.zh, &e.text.en).to_string();
            let page = render(state, staff, lang, uri, Some(message)).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e),
    }
}

pub async fn plan(
    State(state): State<Arc<AppState>>,
    staff: Can<need::PlanDuty>,
    lang: Lang,
    uri: Uri,
    ApiForm(form): ApiForm<ShiftFields>,
) -> Result<Response, ApiError> {
    let form =
        ShiftForm { street: form.street, username: form.username, starts_at: form.starts_at, ends_at: form.ends_at };
    let done = duty::plan(&state, &staff.user, form).await;
    answer(&state, &staff, lang, &uri, done).await
}

pub async fn remove(
    State(state): State<Arc<AppState>>,
    staff: Can<need::PlanDuty>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let done = duty::cancel(&state, &staff.user, id).await;
    answer(&state, &staff, lang, &uri, done).await
}
