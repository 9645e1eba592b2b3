//! 居民住户: for grid workers and community staff, the residents who asked to be linked to a
//! household of their communities (each confirmed in one of their grids, or refused with a
//! reason), a form to link a resident by number, and the links already confirmed.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::households::{self, DecisionForm};
use grassroots_domain::households::LinkState;
use grassroots_domain::RegionCode;
use grassroots_store::households::HouseholdLink;
use serde::Deserialize;
use uuid::Uuid;

use super::{beijing_minutes, see_other, Chrome, Filled, Lang};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

/// A resident's link as a line, with the grids it may be confirmed in.
pub struct LinkLine {
    pub resident: String,
    pub phone: String,
    pub community: String,
    pub label: String,
    pub asked: String,
    /// (code, name) of the staff member's grids in the community.
    pub grids: Vec<(String, String)>,
    /// Where a confirmed link lies.
    pub household: String,
}

#[derive(Template)]
#[template(path = "households.html")]
struct HouseholdsPage {
    lang: Lang,
    chrome: Chrome,
    waiting: Vec<LinkLine>,
    confirmed: Vec<LinkLine>,
    /// (code, name) of every grid the staff member holds, for linking by number.
    grids: Vec<(String, String)>,
    form: Filled,
    /// The resident whose decision came back with an error.
    refused_for: Option<String>,
    done: Option<String>,
}

fn grids_of(state: &AppState, staff: &Staff, lang: &Lang, within: &str) -> Vec<(String, String)> {
    let atlas = state.atlas();
    RegionCode::parse(within)
        .map(|code| atlas.grids_within(&code))
        .unwrap_or_default()
        .into_iter()
        .filter(|g| staff.user.scope.covers_place(g.code.as_str()))
        .map(|g| (g.code.as_str().to_string(), lang.place(&g.name)))
        .collect()
}

fn line(state: &AppState, staff: &Staff, lang: &Lang, l: HouseholdLink) -> LinkLine {
    let atlas = state.atlas();
    let name = |code: &str| atlas.outline(code).map_or_else(|| code.to_string(), |o| lang.place(&o.name));
    LinkLine {
        resident: l.resident_id.to_string(),
        phone: l.phone_masked,
        community: name(&l.community_code),
        grids: grids_of(state, staff, lang, &l.community_code),
        household: l.household.map(|h| format!("{} · {}", name(&h.grid_code), h.label)).unwrap_or_default(),
        label: l.label,
        asked: beijing_minutes(l.asked_at),
    }
}

async fn page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    form: Filled,
    refused_for: Option<String>,
) -> Result<HouseholdsPage, ApiError> {
    let waiting = households::links(state, &staff.user, LinkState::Requested).await?;
    let confirmed = households::links(state, &staff.user, LinkState::Confirmed).await?;
    let district = staff.user.scope.place_prefixes();
    let grids = match district {
        None => state.atlas().served_districts().flat_map(|d| grids_of(state, staff, &lang, d.code.as_str())).collect(),
        Some(prefixes) => prefixes.iter().flat_map(|p| grids_of(state, staff, &lang, p)).collect(),
    };
    Ok(HouseholdsPage {
        waiting: waiting.into_iter().map(|l| line(state, staff, &lang, l)).collect(),
        confirmed: confirmed.into_iter().map(|l| line(state, staff, &lang, l)).collect(),
        grids,
        form,
        refused_for,
        done: None,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HouseholdsParams {
    done: Option<String>,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<HouseholdsParams>,
) -> Result<Html<String>, ApiError> {
    let mut shown = page(&state, &staff, lang, &uri, Filled::default(), None).await?;
    shown.done = p.done.as_deref().map(|done| {
        match done {
            "confirmed" => lang.t("已确认住户", "The household is confirmed"),
            "refused" => lang.t("已退回申请", "The request is refused"),
            "linked" => lang.t("已绑定住户", "The resident is linked"),
            _ => "",
        }
        .to_string()
    });
    Ok(Html(shown.render()?))
}

/// Back to the page saying what was done, or the page again with the error beside its field.
async fn after(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    values: Vec<(String, String)>,
    refused_for: Option<String>,
    done: Result<&'static str, grassroots_app::AppError>,
) -> Result<Response, ApiError> {
    match done {
        Ok(what) => Ok(see_other(&format!("/households?done={what}"), None)),
        Err(e) => {
            let (status, form) = Filled::new(values).refused(e, &lang)?;
            let shown = page(state, staff, lang, uri, form, refused_for).await?;
            Ok((status, Html(shown.render()?)).into_response())
        }
    }
}

pub async fn decide(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(resident): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&resident).map_err(|_| ApiError::not_found())?;
    let form = Filled::new(fields);
    let decision = DecisionForm {
        decision: form.value("decision").to_string(),
        grid_code: form.given("grid_code"),
        label: form.given("label"),
        reason: form.given("reason"),
    };
    let done = households::decide(&state, &staff.user, id, decision).await.map(|l| match l.state {
        LinkState::Confirmed => "confirmed",
        LinkState::Refused | LinkState::Requested => "refused",
    });
    after(&state, &staff, lang, &uri, form.typed.0, Some(resident), done).await
}

pub async fn link(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let form = Filled::new(fields);
    let done = households::link(&state, &staff.user, form.value("phone"), form.value("grid_code"), form.value("label"))
        .await
        .map(|_| "linked");
    after(&state, &staff, lang, &uri, form.typed.0, None, done).await
}
