//! 慈善资源 pages: every fund with its totals, in public; a fund's ledger (donors who asked not to
//! be named left out, except for the staff who keep it); for staff who run participation a form
//! to open a fund in their street or community and, on a fund of their place, to record a
//! donation or a payment.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::charity::{self, EntryForm, FundForm, Ledger};
use grassroots_domain::charity::{yuan, EntryKind, ANONYMOUS_DONOR};
use grassroots_domain::RegionLevel;
use grassroots_store::charity::Fund;

use super::votes::places_held;
use super::{beijing_minutes, place_names, runs_participation, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{need, Can, MaybeStaff, Staff};
use crate::AppState;

/// A fund as a line of the list.
pub struct FundLine {
    pub href: String,
    pub name: String,
    pub place: String,
    pub balance: String,
    pub goods: String,
}

fn fund_line(state: &AppState, f: &Fund, lang: &Lang) -> FundLine {
    let region = Some(f.region_code.clone());
    FundLine {
        href: format!("/funds/{}", f.id),
        name: f.name.clone(),
        place: place_names(&state.atlas(), &[&region], lang),
        balance: yuan(f.totals.balance()),
        goods: yuan(f.totals.goods_in - f.totals.goods_out),
    }
}

#[derive(Template)]
#[template(path = "funds.html")]
struct FundsPage {
    lang: Lang,
    chrome: Chrome,
    funds: Vec<FundLine>,
    /// (code, name) of the streets and communities a fund may be opened in, for staff.
    places: Option<Vec<(String, String)>>,
    form: Filled,
}

async fn funds_page(
    state: &AppState,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    form: Filled,
) -> Result<FundsPage, ApiError> {
    let funds = charity::list(state).await?;
    let places = runs_participation(staff).map(|s| {
        places_held(state, s, &lang).into_iter().filter(|(code, _)| code.len() < RegionLevel::Grid.digits()).collect()
    });
    Ok(FundsPage {
        funds: funds.iter().map(|f| fund_line(state, f, &lang)).collect(),
        places,
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
    Ok(Html(funds_page(&state, staff.as_ref(), lang, &uri, Filled::default()).await?.render()?))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let form = FundForm {
        region: typed.value("region").to_string(),
        name: typed.value("name").to_string(),
        purpose: typed.value("purpose").to_string(),
    };
    match charity::create(&state, &staff.user, form).await {
        Ok(fund) => Ok(see_other(&format!("/funds/{}", fund.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(funds_page(&state, Some(&staff), lang, &uri, form).await?.render()?)).into_response())
        }
    }
}

/// An entry as a row of the ledger.
pub struct EntryLine {
    pub when: String,
    pub kind: String,
    pub incoming: bool,
    pub amount: String,
    pub description: String,
    pub donor: String,
    pub balance: String,
}

#[derive(Template)]
#[template(path = "fund.html")]
struct FundPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    name: String,
    purpose: String,
    place: String,
    money_in: String,
    money_out: String,
    balance: String,
    goods_in: String,
    goods_out: String,
    entries: Vec<EntryLine>,
    keeps: bool,
    kinds: Vec<(String, String)>,
    form: Filled,
}

fn fund_page(state: &AppState, staff: Option<&Staff>, lang: Lang, uri: &Uri, ledger: Ledger, form: Filled) -> FundPage {
    let Ledger { fund, entries, keeps } = ledger;
    let place = place_names(&state.atlas(), &[&Some(fund.region_code.clone())], &lang);
    let t = fund.totals;
    FundPage {
        id: fund.id.to_string(),
        name: fund.name,
        purpose: fund.purpose,
        place,
        money_in: yuan(t.money_in),
        money_out: yuan(t.money_out),
        balance: yuan(t.balance()),
        goods_in: yuan(t.goods_in),
        goods_out: yuan(t.goods_out),
        entries: entries
            .into_iter()
            .map(|e| EntryLine {
                when: beijing_minutes(e.recorded_at),
                kind: lang.t(e.kind.label_zh(), e.kind.label_en()).to_string(),
                incoming: e.kind.is_in(),
                amount: yuan(e.fen),
                description: e.description,
                donor: match (e.kind.is_in(), e.donor) {
                    (false, _) => String::new(),
                    (true, Some(d)) if e.donor_public || keeps => d,
                    (true, _) => lang.t(ANONYMOUS_DONOR.0, ANONYMOUS_DONOR.1).to_string(),
                },
                balance: yuan(e.balance_after),
            })
            .collect(),
        keeps,
        kinds: EntryKind::ALL
            .iter()
            .map(|k| (k.as_str().to_string(), lang.t(k.label_zh(), k.label_en()).to_string()))
            .collect(),
        form,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let ledger = charity::ledger(&state, staff.as_ref().map(|s| &s.user), id_in_path(&id)?).await?;
    Ok(Html(fund_page(&state, staff.as_ref(), lang, &uri, ledger, Filled::default()).render()?))
}

pub async fn record(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let form = EntryForm {
        kind: typed.value("kind").to_string(),
        amount: typed.value("amount").to_string(),
        description: typed.value("description").to_string(),
        donor: typed.given("donor"),
        donor_public: typed.value("donor_public") == "yes",
    };
    match charity::record(&state, &staff.user, id, form).await {
        Ok(_) => Ok(see_other(&format!("/funds/{id}"), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            let ledger = charity::ledger(&state, Some(&staff.user), id).await?;
            Ok((status, Html(fund_page(&state, Some(&staff), lang, &uri, ledger, form).render()?)).into_response())
        }
    }
}
