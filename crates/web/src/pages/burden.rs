//! 减负 as a page: the district's 准入清单 (with the forms to add and withdraw entries for staff
//! who hold the district), what was imposed on the reader's communities with each flag and,
//! for a duplicate, where the platform already shows it, the totals per community, and the
//! form to register an imposition.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::burden::{self, EntryForm, ImpositionForm};
use grassroots_domain::burden::{BurdenFlag, BurdenKind, PlatformData};
use grassroots_domain::{Capability, RegionLevel};

use super::map::home_region;
use super::{choices, communities_reached, place_name, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{need, Can, Staff};
use crate::AppState;

struct ImpositionLine {
    on: String,
    community: String,
    kind: String,
    title: String,
    issuer: String,
    hours: f64,
    not_listed: bool,
    /// (what it asks, where the platform shows it)
    duplicates: Vec<(String, &'static str)>,
}

#[derive(Template)]
#[template(path = "burden.html")]
struct BurdenPage {
    lang: Lang,
    chrome: Chrome,
    district: String,
    district_name: String,
    /// (id, kind, title, issuer, basis, withdrawn)
    entries: Vec<(String, String, String, String, String, bool)>,
    keeps_list: bool,
    registers: bool,
    from: String,
    to: String,
    impositions: Vec<ImpositionLine>,
    /// (community, impositions, hours, not listed, hours not listed, duplicates)
    by_community: Vec<(String, i64, f64, i64, f64, i64)>,
    totals: grassroots_domain::burden::BurdenTotals,
    kinds: Vec<(String, String)>,
    asks: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    which: String,
    form: Filled,
}

async fn burden_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    which: &str,
    form: Filled,
) -> Result<BurdenPage, ApiError> {
    let scope = &staff.user.scope;
    let district = home_region(scope, &state.atlas(), state.placer().districts())
        .and_then(|r| r.ancestor(RegionLevel::County))
        .ok_or_else(ApiError::not_found)?;
    let registers = staff.may(Capability::ReduceBurden);
    let entries = match registers {
        true => burden::list(state, &staff.user, district.as_str()).await?,
        false => Vec::new(),
    };
    let view = burden::view(state, &staff.user, None, None).await?;
    let hours = |halves: i64| halves as f64 / 2.0;
    Ok(BurdenPage {
        district: district.as_str().to_string(),
        district_name: place_name(state, &lang, district.as_str()),
        entries: entries
            .iter()
            .map(|e| {
                (
                    e.id.to_string(),
                    lang.t(e.kind.label_zh(), e.kind.label_en()).to_string(),
                    e.title.clone(),
                    e.issuer.clone(),
                    e.basis.clone(),
                    e.withdrawn_at.is_some(),
                )
            })
            .collect(),
        keeps_list: registers && scope.covers_place(district.as_str()),
        registers,
        from: view.from.to_string(),
        to: view.to.to_string(),
        impositions: view
            .impositions
            .iter()
            .map(|i| ImpositionLine {
                on: i.imposed_on.to_string(),
                community: place_name(state, &lang, &i.community_code),
                kind: lang.t(i.kind.label_zh(), i.kind.label_en()).to_string(),
                title: i.title.clone(),
                issuer: i.issuer.clone(),
                hours: f64::from(i.half_hours) / 2.0,
                not_listed: i.flags.contains(&BurdenFlag::NotListed),
                duplicates: i.asks.iter().map(|a| (lang.t(a.label_zh(), a.label_en()).to_string(), a.page())).collect(),
            })
            .collect(),
        by_community: view
            .by_community
            .iter()
            .map(|c| {
                let t = &c.totals;
                (
                    place_name(state, &lang, &c.community_code),
                    t.impositions,
                    hours(t.half_hours),
                    t.not_listed,
                    hours(t.not_listed_half_hours),
                    t.duplicates,
                )
            })
            .collect(),
        totals: view.totals,
        kinds: choices!(lang, BurdenKind),
        asks: choices!(lang, PlatformData),
        communities: communities_reached(state, staff, &lang),
        which: which.to_string(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    if !staff.may(Capability::ReduceBurden) && !staff.may(Capability::ViewStatistics) {
        return Err(grassroots_app::AppError::lacks(Capability::ReduceBurden).into());
    }
    Ok(Html(burden_page(&state, &staff, lang, &uri, "", Filled::default()).await?.render()?))
}

/// An imposition registered, or an entry added to the list, by the `form` field.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReduceBurden>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let which = typed.value("form").to_string();
    let done = match which.as_str() {
        "entry" => {
            let form = EntryForm {
                district_code: typed.value("district_code").to_string(),
                kind: typed.value("kind").to_string(),
                title: typed.value("title").to_string(),
                issuer: typed.value("issuer").to_string(),
                basis: typed.value("basis").to_string(),
            };
            burden::add_entry(&state, &staff.user, form).await.map(|_| ())
        }
        _ => {
            let form = ImpositionForm {
                community_code: typed.value("community_code").to_string(),
                kind: typed.value("kind").to_string(),
                title: typed.value("title").to_string(),
                issuer: typed.value("issuer").to_string(),
                imposed_on: typed.given("imposed_on"),
                hours: typed.value("hours").to_string(),
                entry_id: typed.given("entry_id"),
                asks: typed.typed.all("asks").into_iter().map(str::to_string).collect(),
                note: typed.given("note"),
            };
            burden::register(&state, &staff.user, form).await.map(|_| ())
        }
    };
    match done {
        Ok(()) => Ok(see_other("/burden", None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(burden_page(&state, &staff, lang, &uri, &which, form).await?.render()?)).into_response())
        }
    }
}

pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReduceBurden>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    burden::withdraw_entry(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(see_other("/burden", None))
}
