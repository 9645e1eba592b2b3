//! 防治微腐败 as pages. In public: a community's small powers and disclosures with their
//! history (`/public/oversight`), and the form to report misconduct of staff and follow it
//! (`/integrity`). For staff: the forms to keep the list and publish, the communities late with
//! their disclosures, and, for a discipline unit's handlers, the reports routed to them with a
//! page each to read and handle one.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::oversight::{self, DisclosureForm, MisconductForm, PowerForm};
use grassroots_domain::charity::yuan;
use grassroots_domain::oversight::{totals, DisclosureKind, Finding, MisconductKind, PowerArea, PowerHolder};
use grassroots_domain::Capability;
use grassroots_store::oversight::{Disclosure, MisconductReport, SmallPower};
use serde::Deserialize;

use super::party::org_places;
use super::{beijing_minutes, choices, communities_reached, place_name, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, MaybeStaff, Staff};
use crate::AppState;

/// A disclosure as the notice board shows it.
pub struct DisclosureLine {
    pub href: String,
    pub kind: String,
    pub period: String,
    pub title: String,
    pub body: String,
    /// (income or spending, item, yuan)
    pub lines: Vec<(String, String, String)>,
    pub income: String,
    pub spending: String,
    pub version: i64,
    pub published: String,
    pub superseded: bool,
}

fn disclosure_line(lang: &Lang, d: &Disclosure) -> DisclosureLine {
    let (income, spending) = totals(&d.lines);
    DisclosureLine {
        href: format!("/public/disclosures/{}", d.id),
        kind: lang.t(d.kind.label_zh(), d.kind.label_en()).to_string(),
        period: d.period_label.clone(),
        title: d.title.clone(),
        body: d.body.clone(),
        lines: d
            .lines
            .iter()
            .map(|l| {
                (
                    lang.t(if l.income { "收入" } else { "支出" }, if l.income { "income" } else { "spending" })
                        .to_string(),
                    l.item.clone(),
                    yuan(l.fen),
                )
            })
            .collect(),
        income: yuan(income),
        spending: yuan(spending),
        version: d.version,
        published: beijing_minutes(d.published_at),
        superseded: d.superseded_at.is_some(),
    }
}

fn power_lines(lang: &Lang, powers: &[SmallPower]) -> Vec<(String, String, String, Vec<String>, String)> {
    powers
        .iter()
        .map(|p| {
            (
                lang.t(p.area.label_zh(), p.area.label_en()).to_string(),
                p.title.clone(),
                lang.t(p.holder.label_zh(), p.holder.label_en()).to_string(),
                p.procedure.clone(),
                p.basis.clone(),
            )
        })
        .collect()
}

#[derive(Template)]
#[template(path = "public_oversight.html")]
struct PublicPage {
    lang: Lang,
    chrome: Chrome,
    community: String,
    communities: Vec<(String, String)>,
    name: String,
    /// (area, title, who, steps, basis)
    powers: Vec<(String, String, String, Vec<String>, String)>,
    disclosures: Vec<DisclosureLine>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CommunityParams {
    community: Option<String>,
}

/// Every community the platform serves, by street.
fn all_communities(state: &AppState, lang: &Lang) -> Vec<(String, String)> {
    let atlas = state.atlas();
    atlas
        .served_districts()
        .flat_map(|d| atlas.children(&d.code))
        .flat_map(|street| atlas.children(&street.code).into_iter().map(move |c| (street, c)))
        .map(|(street, c)| {
            (c.code.as_str().to_string(), format!("{} · {}", lang.place(&street.name), lang.place(&c.name)))
        })
        .collect()
}

pub async fn public(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<CommunityParams>,
) -> Result<Html<String>, ApiError> {
    let communities = all_communities(&state, &lang);
    let community = p.community.or_else(|| communities.first().map(|c| c.0.clone())).unwrap_or_default();
    let (powers, disclosures) = match community.is_empty() {
        true => (Vec::new(), Vec::new()),
        false => tokio::try_join!(oversight::powers(&state, &community), oversight::disclosures(&state, &community))?,
    };
    let page = PublicPage {
        name: place_name(&state, &lang, &community),
        powers: power_lines(&lang, &powers),
        disclosures: disclosures.iter().map(|d| disclosure_line(&lang, d)).collect(),
        community,
        communities,
        chrome: Chrome::new(lang, staff.as_ref(), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "disclosure_history.html")]
struct HistoryPage {
    lang: Lang,
    chrome: Chrome,
    community: String,
    name: String,
    versions: Vec<DisclosureLine>,
}

pub async fn history(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let versions = oversight::history(&state, id_in_path(&id)?).await?;
    let community = versions.first().map(|d| d.community_code.clone()).unwrap_or_default();
    let page = HistoryPage {
        name: place_name(&state, &lang, &community),
        versions: versions.iter().map(|d| disclosure_line(&lang, d)).collect(),
        community,
        chrome: Chrome::new(lang, staff.as_ref(), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}

#[derive(Template)]
#[template(path = "integrity.html")]
struct IntegrityPage {
    lang: Lang,
    chrome: Chrome,
    communities: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    /// (tracking number, query code) once received.
    receipt: Option<(String, String)>,
    /// (state, finding, reply) of a report followed.
    followed: Option<(String, String, String)>,
    form: Filled,
}

fn integrity_page(state: &AppState, staff: Option<&Staff>, lang: Lang, uri: &Uri, form: Filled) -> IntegrityPage {
    IntegrityPage {
        communities: all_communities(state, &lang),
        kinds: choices!(lang, MisconductKind),
        receipt: None,
        followed: None,
        form,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    }
}

pub async fn integrity(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(integrity_page(&state, staff.as_ref(), lang, &uri, Filled::default()).render()?))
}

/// A report received (its tracking number and code shown once), or followed.
pub async fn integrity_submit(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let done = match typed.value("form") {
        "track" => oversight::track(&state, typed.value("tracking_no"), typed.value("query_code")).await.map(|r| {
            let finding = r.finding.map(|f| lang.t(f.label_zh(), f.label_en()).to_string()).unwrap_or_default();
            (
                None,
                Some((
                    lang.t(r.state.label_zh(), r.state.label_en()).to_string(),
                    finding,
                    r.reply.unwrap_or_default(),
                )),
            )
        }),
        _ => {
            let form = MisconductForm {
                place_code: typed.value("place_code").to_string(),
                kind: typed.value("kind").to_string(),
                reported: typed.value("reported").to_string(),
                what: typed.value("what").to_string(),
                name: typed.given("name"),
                phone: typed.given("phone"),
            };
            oversight::report(&state, form).await.map(|r| (Some((r.tracking_no, r.query_code)), None))
        }
    };
    match done {
        Ok((receipt, followed)) => {
            let mut page = integrity_page(&state, staff.as_ref(), lang, &uri, Filled::default());
            page.receipt = receipt;
            page.followed = followed;
            Ok(Html(page.render()?).into_response())
        }
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(integrity_page(&state, staff.as_ref(), lang, &uri, form).render()?)).into_response())
        }
    }
}

/// A report in the discipline unit's queue.
struct ReportLine {
    href: String,
    tracking_no: String,
    kind: String,
    place: String,
    state: String,
    received: String,
    due: String,
    /// Open past its deadline.
    late: bool,
}

fn report_line(state: &AppState, lang: &Lang, r: &MisconductReport) -> ReportLine {
    ReportLine {
        href: format!("/oversight/reports/{}", r.id),
        tracking_no: r.tracking_no.clone(),
        kind: lang.t(r.kind.label_zh(), r.kind.label_en()).to_string(),
        place: place_name(state, lang, &r.place_code),
        state: lang.t(r.state.label_zh(), r.state.label_en()).to_string(),
        received: beijing_minutes(r.received_at),
        due: beijing_minutes(r.conclude_due.unwrap_or(r.accept_due)),
        late: r.ended_at.is_none() && chrono::Utc::now() > r.conclude_due.unwrap_or(r.accept_due),
    }
}

#[derive(Template)]
#[template(path = "oversight.html")]
struct StaffPage {
    lang: Lang,
    chrome: Chrome,
    publishes: bool,
    investigates: bool,
    /// (kind, communities late)
    overdue: Vec<(String, Vec<String>)>,
    reports: Vec<ReportLine>,
    places: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    areas: Vec<(String, String)>,
    holders: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    which: String,
    form: Filled,
}

async fn staff_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    which: &str,
    form: Filled,
) -> Result<StaffPage, ApiError> {
    let publishes = staff.may(Capability::RunParticipation);
    let investigates = staff.may(Capability::InvestigateMisconduct);
    if !publishes && !investigates {
        return Err(grassroots_app::AppError::lacks(Capability::RunParticipation).into());
    }
    let overdue = match publishes {
        true => oversight::overdue(state, &staff.user).await?,
        false => Vec::new(),
    };
    let reports = match investigates {
        true => oversight::queue(state, &staff.user).await?,
        false => Vec::new(),
    };
    // A list is a district's or a community's.
    let places = org_places(state, staff, &lang).into_iter().filter(|(c, _)| matches!(c.len(), 6 | 12)).collect();
    Ok(StaffPage {
        publishes,
        investigates,
        overdue: overdue
            .into_iter()
            .map(|(k, cs)| {
                (
                    lang.t(k.label_zh(), k.label_en()).to_string(),
                    cs.iter().map(|c| place_name(state, &lang, c)).collect(),
                )
            })
            .collect(),
        reports: reports.iter().map(|r| report_line(state, &lang, r)).collect(),
        places,
        communities: communities_reached(state, staff, &lang),
        areas: choices!(lang, PowerArea),
        holders: choices!(lang, PowerHolder),
        kinds: choices!(lang, DisclosureKind),
        which: which.to_string(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn staff(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(staff_page(&state, &staff, lang, &uri, "", Filled::default()).await?.render()?))
}

/// A small power added or a disclosure published, by the `form` field.
pub async fn staff_submit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let which = typed.value("form").to_string();
    let done = match which.as_str() {
        "power" => {
            let form = PowerForm {
                region_code: typed.value("region_code").to_string(),
                area: typed.value("area").to_string(),
                title: typed.value("title").to_string(),
                holder: typed.value("holder").to_string(),
                procedure: typed.value("procedure").to_string(),
                basis: typed.value("basis").to_string(),
            };
            oversight::add_power(&state, &staff.user, form)
                .await
                .map(|p| format!("/public/oversight?community={}", p.region_code))
        }
        _ => {
            let form = DisclosureForm {
                community_code: typed.value("community_code").to_string(),
                kind: typed.value("kind").to_string(),
                of: typed.given("of"),
                title: typed.value("title").to_string(),
                body: typed.value("body").to_string(),
                lines: typed.given("lines"),
            };
            oversight::publish(&state, &staff.user, form).await.map(|d| format!("/public/disclosures/{}", d.id))
        }
    };
    match done {
        Ok(to) => Ok(see_other(&to, None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(staff_page(&state, &staff, lang, &uri, &which, form).await?.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "misconduct.html")]
struct ReportPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    line: ReportLine,
    reported: String,
    what: String,
    reporter: String,
    finding: String,
    reply: String,
    /// (when, move, note)
    moves: Vec<(String, String, String)>,
    may_accept: bool,
    may_conclude: bool,
    findings: Vec<(String, String)>,
    form: Filled,
}

async fn report_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: uuid::Uuid,
    form: Filled,
) -> Result<ReportPage, ApiError> {
    let (r, account) = oversight::open(state, &staff.user, id).await?;
    let reporter = match (&account.reporter_name, &account.reporter_phone) {
        (None, None) => lang.t("匿名", "anonymous").to_string(),
        (name, phone) => [name.clone(), phone.clone()].into_iter().flatten().collect::<Vec<_>>().join(" · "),
    };
    Ok(ReportPage {
        id: r.id.to_string(),
        line: report_line(state, &lang, &r),
        reported: account.reported,
        what: account.what,
        reporter,
        finding: r.finding.map(|f| lang.t(f.label_zh(), f.label_en()).to_string()).unwrap_or_default(),
        reply: r.reply.clone().unwrap_or_default(),
        moves: r
            .moves
            .iter()
            .map(|m| (beijing_minutes(m.at), lang.t(m.kind.label_zh(), m.kind.label_en()).to_string(), m.note.clone()))
            .collect(),
        may_accept: r.state == grassroots_domain::oversight::MisconductState::Received,
        may_conclude: r.state == grassroots_domain::oversight::MisconductState::Investigating,
        findings: choices!(lang, Finding),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn report(
    State(state): State<Arc<AppState>>,
    staff: Can<need::InvestigateMisconduct>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    Ok(Html(report_page(&state, &staff, lang, &uri, id_in_path(&id)?, Filled::default()).await?.render()?))
}

pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Can<need::InvestigateMisconduct>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let finding = typed.given("finding");
    match oversight::act(&state, &staff.user, id, typed.value("move"), typed.value("note"), finding.as_deref()).await {
        Ok(_) => Ok(see_other(&format!("/oversight/reports/{id}"), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(report_page(&state, &staff, lang, &uri, id, form).await?.render()?)).into_response())
        }
    }
}
