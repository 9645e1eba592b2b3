//! 物业管理 as pages: every compound with its company, this year's mean rating and the property
//! cases that name it; a compound's page where a resident of the community rates it and staff
//! who work on cases see those cases; staff who run participation add compounds.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::property::{self, CompoundForm};
use grassroots_store::compounds::CompoundRecord;
use uuid::Uuid;

use super::{beijing_minutes, communities_reached, place_name, runs_participation, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{need, Can, MaybeResident, MaybeStaff, SignedIn, Staff};
use crate::AppState;

struct CompoundLine {
    href: String,
    name: String,
    company: String,
    place: String,
    mean: String,
    ratings: i64,
    cases: i64,
    open_cases: i64,
}

fn compound_line(state: &AppState, lang: &Lang, c: &CompoundRecord) -> CompoundLine {
    CompoundLine {
        href: format!("/compounds/{}", c.id),
        name: c.name.clone(),
        company: c.company.clone(),
        place: place_name(state, lang, &c.community_code),
        mean: c.mean_score.map_or_else(|| "—".to_string(), |m| format!("{m:.1}")),
        ratings: c.ratings,
        cases: c.cases,
        open_cases: c.open_cases,
    }
}

#[derive(Template)]
#[template(path = "compounds.html")]
struct CompoundsPage {
    lang: Lang,
    chrome: Chrome,
    compounds: Vec<CompoundLine>,
    /// For staff who run participation: (code, name) of the communities they work in.
    communities: Vec<(String, String)>,
    form: Filled,
}

async fn compounds_page(
    state: &AppState,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    form: Filled,
) -> Result<CompoundsPage, ApiError> {
    let listed = property::list(state).await?;
    Ok(CompoundsPage {
        compounds: listed.iter().map(|c| compound_line(state, &lang, c)).collect(),
        communities: runs_participation(staff).map(|s| communities_reached(state, s, &lang)).unwrap_or_default(),
        form,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(compounds_page(&state, staff.as_ref(), lang, &uri, Filled::default()).await?.render()?))
}

pub async fn add(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let form = CompoundForm {
        community_code: typed.value("community_code").to_string(),
        name: typed.value("name").to_string(),
        company: typed.value("company").to_string(),
        company_code: typed.given("company_code"),
    };
    match property::add(&state, &staff.user, form).await {
        Ok(c) => Ok(see_other(&format!("/compounds/{}", c.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(compounds_page(&state, Some(&staff), lang, &uri, form).await?.render()?)).into_response())
        }
    }
}

/// A case about the compound: (link, tracking number, category, state, received).
type CaseLine = (String, String, String, String, String);

#[derive(Template)]
#[template(path = "compound.html")]
struct CompoundPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    line: CompoundLine,
    year: i32,
    company_code: Option<String>,
    signed_in: bool,
    /// For staff who work on cases.
    cases: Option<Vec<CaseLine>>,
    form: Filled,
}

async fn compound_page(
    state: &AppState,
    staff: Option<&Staff>,
    signed_in: bool,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    form: Filled,
) -> Result<CompoundPage, ApiError> {
    let c = property::get(state, id).await?;
    let reference = state.reference();
    let cases = match staff.filter(|s| s.may(grassroots_domain::Capability::WorkOnCases)) {
        None => None,
        Some(s) => match property::cases(state, &s.user, id).await {
            Ok(found) => Some(
                found
                    .iter()
                    .map(|k| {
                        let category = reference
                            .taxonomy
                            .get(&k.category_code)
                            .map_or_else(|| k.category_code.clone(), |c| lang.t(&c.name_zh, &c.name_en).to_string());
                        (
                            format!("/cases/{}", k.id),
                            k.tracking_no.clone(),
                            category,
                            lang.t(k.state.label_zh(), k.state.label_en()).to_string(),
                            beijing_minutes(k.received_at),
                        )
                    })
                    .collect(),
            ),
            // Outside the staff member's places: the public summary only.
            Err(grassroots_app::AppError::NotFound) => None,
            Err(e) => return Err(e.into()),
        },
    };
    Ok(CompoundPage {
        id: id.to_string(),
        line: compound_line(state, &lang, &c),
        year: c.year,
        company_code: c.company_code.clone(),
        signed_in,
        cases,
        form,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let page =
        compound_page(&state, staff.as_ref(), resident.is_some(), lang, &uri, id_in_path(&id)?, Filled::default())
            .await?;
    Ok(Html(page.render()?))
}

/// A resident rates the compound; back to its page, or it with the error.
pub async fn rate(
    State(state): State<Arc<AppState>>,
    MaybeResident(signed_in): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/me", None)) };
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let comment = typed.given("comment");
    match property::rate(&state, &resident, id, typed.value("score"), comment.as_deref()).await {
        Ok(_) => Ok(see_other(&format!("/compounds/{id}#rated"), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(compound_page(&state, None, true, lang, &uri, id, form).await?.render()?)).into_response())
        }
    }
}
