//! Disputes (矛盾纠纷调处) as pages: staff who mediate read the disputes of their places (open,
//! the high-risk queue, being followed up, all) and register one; a dispute's page shows its
//! grade with the rules that gave it and every change, the parties masked (revealed with a
//! reason), the mediators, and the forms of the moves the reader may make at its level; the
//! rosters of mediators; the figures for anyone who reads statistics.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use chrono::{Duration, Utc};
use grassroots_app::disputes::{self, DisputeForm, DisputeMoveForm, DisputeView, FactorsForm, PartyForm};
use grassroots_domain::disputes::{DisputeKind, DisputeMove, MediatorKind, PartySide, ReferredTo, RiskGrade};
use grassroots_domain::RegionLevel;
use grassroots_store::disputes::{DisputeRecord, DisputeSelection};
use uuid::Uuid;

use super::votes::places_held;
use super::{
    beijing_minutes, choices, communities_reached, percent, place_name, role_label, see_other, Chrome, Filled, Lang,
};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

/// Rows of parties the registration form offers.
const PARTY_ROWS: usize = 4;

/// A dispute as a line of a list.
pub(crate) struct DisputeLine {
    pub href: String,
    pub kind: String,
    pub grade: String,
    pub grade_code: &'static str,
    pub state: String,
    pub state_code: &'static str,
    pub level: String,
    pub place: String,
    pub summary: String,
    pub registered: String,
    /// The day the agreement is to be followed up, and whether that day has passed.
    pub follow_up: Option<(String, bool)>,
}

pub(crate) fn dispute_line(state: &AppState, lang: &Lang, d: &DisputeRecord) -> DisputeLine {
    DisputeLine {
        href: format!("/disputes/{}", d.id),
        kind: lang.t(d.kind.label_zh(), d.kind.label_en()).to_string(),
        grade: lang.t(d.grade.label_zh(), d.grade.label_en()).to_string(),
        grade_code: d.grade.as_str(),
        state: lang.t(d.state.label_zh(), d.state.label_en()).to_string(),
        state_code: d.state.as_str(),
        level: lang.t(d.level.label_zh(), d.level.label_en()).to_string(),
        place: format!("{} · {}", place_name(state, lang, &d.community_code), d.place),
        summary: d.summary.clone(),
        registered: beijing_minutes(d.created_at),
        follow_up: d
            .follow_up_on
            .map(|day| (day.to_string(), day < grassroots_domain::calendar::beijing_day(Utc::now()))),
    }
}

/// A row of the registration form's parties, as typed.
struct PartyRow {
    index: usize,
    name: String,
    phone: String,
    side: String,
    vulnerable: bool,
}

fn party_rows(form: &Filled) -> Vec<PartyRow> {
    (0..PARTY_ROWS)
        .map(|i| PartyRow {
            index: i,
            name: form.value(&format!("party_name_{i}")).to_string(),
            phone: form.value(&format!("party_phone_{i}")).to_string(),
            side: Some(form.value(&format!("party_side_{i}")).to_string())
                .filter(|s| !s.is_empty())
                .unwrap_or_else(|| if i == 0 { "applicant" } else { "respondent" }.to_string()),
            vulnerable: form.typed.has("party_vulnerable", &i.to_string()),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "disputes.html")]
struct DisputesPage {
    lang: Lang,
    chrome: Chrome,
    show: String,
    disputes: Vec<DisputeLine>,
    kinds: Vec<(String, String)>,
    sides: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    grids: Vec<(String, String)>,
    parties: Vec<PartyRow>,
    form: Filled,
}

fn selection(show: &str) -> DisputeSelection {
    match show {
        "high" => DisputeSelection::HighRisk,
        "follow_up" => DisputeSelection::FollowingUp,
        "all" => DisputeSelection::All,
        _ => DisputeSelection::Open,
    }
}

async fn disputes_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    show: &str,
    form: Filled,
) -> Result<DisputesPage, ApiError> {
    let listed = disputes::list(state, &staff.user, selection(show)).await?;
    Ok(DisputesPage {
        show: show.to_string(),
        disputes: listed.iter().map(|d| dispute_line(state, &lang, d)).collect(),
        kinds: choices!(lang, DisputeKind),
        sides: choices!(lang, PartySide),
        communities: communities_reached(state, staff, &lang),
        grids: places_held(state, staff, &lang)
            .into_iter()
            .filter(|(code, _)| code.len() == RegionLevel::Grid.digits())
            .collect(),
        parties: party_rows(&form),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

#[derive(serde::Deserialize)]
pub struct ListParams {
    show: Option<String>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Html<String>, ApiError> {
    let show = p.show.unwrap_or_else(|| "open".to_string());
    Ok(Html(disputes_page(&state, &staff, lang, &uri, &show, Filled::default()).await?.render()?))
}

fn factors_form(typed: &Filled) -> FactorsForm {
    FactorsForm {
        parties: typed.given("party_count"),
        threat_of_violence: typed.given("threat_of_violence").is_some(),
        threat_of_self_harm: typed.given("threat_of_self_harm").is_some(),
        earlier_reports: typed.given("earlier_reports"),
        petitioned_higher: typed.given("petitioned_higher").is_some(),
    }
}

fn dispute_form(typed: &Filled) -> DisputeForm {
    DisputeForm {
        origin: typed.value("origin").to_string(),
        community_code: typed.value("community_code").to_string(),
        grid_code: typed.given("grid_code"),
        kind: typed.value("kind").to_string(),
        summary: typed.value("summary").to_string(),
        place: typed.value("place").to_string(),
        parties: party_rows(typed)
            .into_iter()
            .map(|r| PartyForm { name: r.name, phone: Some(r.phone), side: r.side, vulnerable: r.vulnerable })
            .collect(),
        factors: factors_form(typed),
    }
}

pub async fn register(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    match disputes::register(&state, &staff.user, dispute_form(&typed)).await {
        Ok(d) => Ok(see_other(&format!("/disputes/{}", d.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(disputes_page(&state, &staff, lang, &uri, "open", form).await?.render()?)).into_response())
        }
    }
}

/// A case converted from its page: the dispute's page, or the case's with the error.
pub async fn convert(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let respondent = typed.given("respondent").map(|name| PartyForm {
        name,
        phone: None,
        side: PartySide::Respondent.as_str().to_string(),
        vulnerable: false,
    });
    let form = DisputeForm {
        kind: typed.value("kind").to_string(),
        parties: respondent.into_iter().collect(),
        factors: factors_form(&typed),
        ..DisputeForm::default()
    };
    let d = disputes::convert(&state, &staff.user, id_in_path(&id)?, form).await?;
    Ok(see_other(&format!("/disputes/{}", d.id), None))
}

/// (when, what, by, detail) of a dispute's history.
type HistoryLine = (String, String, String, String);

#[derive(Template)]
#[template(path = "dispute.html")]
struct DisputePage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    line: DisputeLine,
    origin: String,
    case_href: Option<String>,
    /// (masked name or the full one, side, vulnerable, phone once revealed)
    parties: Vec<(String, String, bool, String)>,
    revealed: bool,
    /// (the rule, the grade it sets)
    reasons: Vec<(String, String)>,
    grades: Vec<HistoryLine>,
    mediators: Vec<String>,
    /// (id, name and kind, assigned)
    roster: Vec<(String, String, bool)>,
    moves: Vec<&'static str>,
    may_regrade: bool,
    factors: grassroots_domain::disputes::RiskFactors,
    referral_choices: Vec<(String, String)>,
    today: String,
    history: Vec<HistoryLine>,
    agreement: Option<(String, String)>,
    recurrences: i64,
    form: Filled,
}

impl DisputePage {
    fn may(&self, code: &str) -> bool {
        self.moves.contains(&code)
    }
}

fn history(lang: &Lang, d: &DisputeRecord) -> Vec<HistoryLine> {
    d.moves
        .iter()
        .map(|m| {
            let mut detail: Vec<String> = Vec::new();
            if let Some(on) = m.on {
                detail.push(on.to_string());
            }
            if !m.present.is_empty() {
                let names: Vec<String> = m
                    .present
                    .iter()
                    .filter_map(|i| d.parties.get(*i as usize))
                    .map(|p| p.name_masked.clone())
                    .collect();
                detail.push(format!("{}{}", lang.t("到场：", "present: "), names.join("、")));
            }
            if let Some(kept) = m.kept {
                detail.push(
                    lang.t(if kept { "协议已履行" } else { "协议未履行" }, if kept { "kept" } else { "broken" })
                        .to_string(),
                );
            }
            if let Some(to) = m.referred_to {
                detail.push(lang.t(to.label_zh(), to.label_en()).to_string());
            }
            detail.extend(m.terms.clone());
            detail.extend(m.note.clone());
            let level = lang.t(m.level_after.label_zh(), m.level_after.label_en());
            (
                beijing_minutes(m.at),
                format!("{} · {level}", lang.t(m.kind.label_zh(), m.kind.label_en())),
                role_label(lang, &m.by),
                detail.join(" · "),
            )
        })
        .collect()
}

fn dispute_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    view: DisputeView,
    form: Filled,
) -> DisputePage {
    let DisputeView { dispute: d, moves, roster, may_regrade } = view;
    let assigned: Vec<Uuid> = d.mediators.iter().map(|m| m.id).collect();
    let agreement = d
        .moves
        .iter()
        .rev()
        .find(|m| m.kind == DisputeMove::Agree)
        .map(|m| (m.terms.clone().unwrap_or_default(), m.follow_up_on.map(|f| f.to_string()).unwrap_or_default()));
    DisputePage {
        id: d.id.to_string(),
        line: dispute_line(state, &lang, &d),
        origin: lang.t(d.origin.label_zh(), d.origin.label_en()).to_string(),
        case_href: d.case_id.map(|c| format!("/cases/{c}")),
        parties: d
            .parties
            .iter()
            .map(|p| {
                (
                    p.name_masked.clone(),
                    lang.t(p.side.label_zh(), p.side.label_en()).to_string(),
                    p.vulnerable,
                    String::new(),
                )
            })
            .collect(),
        revealed: false,
        reasons: d.grades.last().map_or_else(Vec::new, |g| {
            g.reasons
                .iter()
                .map(|r| (lang.t(&r.zh, &r.en).to_string(), lang.t(r.grade.label_zh(), r.grade.label_en()).to_string()))
                .collect()
        }),
        grades: d
            .grades
            .iter()
            .map(|g| {
                (
                    beijing_minutes(g.at),
                    lang.t(g.grade.label_zh(), g.grade.label_en()).to_string(),
                    role_label(&lang, &g.by),
                    g.note.clone().unwrap_or_default(),
                )
            })
            .collect(),
        mediators: d
            .mediators
            .iter()
            .map(|m| format!("{}（{}）", m.name, lang.t(m.kind.label_zh(), m.kind.label_en())))
            .collect(),
        roster: roster
            .iter()
            .map(|m| {
                let label = format!(
                    "{}（{} · {}）",
                    m.name,
                    lang.t(m.kind.label_zh(), m.kind.label_en()),
                    place_name(state, &lang, &m.region_code)
                );
                (m.id.to_string(), label, assigned.contains(&m.id))
            })
            .collect(),
        moves: moves.iter().map(|m| m.as_str()).collect(),
        may_regrade,
        factors: d.factors,
        referral_choices: choices!(lang, ReferredTo),
        today: grassroots_domain::calendar::beijing_day(Utc::now()).to_string(),
        history: history(&lang, &d),
        agreement,
        recurrences: d.recurrences,
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Html<String>, ApiError> {
    let view = disputes::view(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Html(dispute_page(&state, &staff, lang, &uri, view, Filled::default()).render()?))
}

fn move_form(typed: &Filled) -> DisputeMoveForm {
    DisputeMoveForm {
        action: typed.value("move").to_string(),
        mediators: typed.typed.all("mediators").into_iter().map(str::to_string).collect(),
        on: typed.given("on"),
        present: typed.typed.all("present").into_iter().map(str::to_string).collect(),
        terms: typed.given("terms"),
        follow_up_on: typed.given("follow_up_on"),
        outcome: typed.given("outcome"),
        referred_to: typed.given("referred_to"),
        note: typed.given("note"),
    }
}

/// A move, a regrading or a reveal from the dispute's page: the page again, with the error if
/// refused.
pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let done = match typed.value("move") {
        "regrade" => {
            let vulnerable = typed.given("vulnerable_party").is_some();
            disputes::regrade(&state, &staff.user, id, factors_form(&typed), vulnerable, typed.value("note"))
                .await
                .map(|_| None)
        }
        "reveal" => disputes::reveal(&state, &staff.user, id, typed.given("reason").as_deref()).await.map(Some),
        _ => disputes::act(&state, &staff.user, id, move_form(&typed)).await.map(|_| None),
    };
    match done {
        Ok(None) => Ok(see_other(&format!("/disputes/{id}"), None)),
        Ok(Some(parties)) => {
            let view = disputes::view(&state, &staff.user, id).await?;
            let mut page = dispute_page(&state, &staff, lang, &uri, view, Filled::default());
            page.parties = parties
                .into_iter()
                .map(|p| {
                    (
                        p.name,
                        lang.t(p.side.label_zh(), p.side.label_en()).to_string(),
                        p.vulnerable,
                        p.phone.unwrap_or_default(),
                    )
                })
                .collect();
            page.revealed = true;
            Ok(Html(page.render()?).into_response())
        }
        Err(e) => {
            let (status, filled) = typed.refused(e, &lang)?;
            let view = disputes::view(&state, &staff.user, id).await?;
            Ok((status, Html(dispute_page(&state, &staff, lang, &uri, view, filled).render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "mediators.html")]
struct MediatorsPage {
    lang: Lang,
    chrome: Chrome,
    /// (place, name, kind)
    mediators: Vec<(String, String, String)>,
    regions: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    form: Filled,
}

async fn mediators_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    form: Filled,
) -> Result<MediatorsPage, ApiError> {
    let roster = disputes::roster(state, &staff.user).await?;
    let atlas = state.atlas();
    let mut regions: Vec<(String, String)> = atlas
        .served_districts()
        .filter(|d| staff.user.scope.covers_place(d.code.as_str()))
        .map(|d| (d.code.as_str().to_string(), lang.place(&d.name)))
        .collect();
    regions.extend(
        places_held(state, staff, &lang).into_iter().filter(|(code, _)| code.len() != RegionLevel::Grid.digits()),
    );
    if regions.is_empty() {
        regions = communities_reached(state, staff, &lang);
    }
    Ok(MediatorsPage {
        mediators: roster
            .iter()
            .map(|m| {
                (
                    place_name(state, &lang, &m.region_code),
                    m.name.clone(),
                    lang.t(m.kind.label_zh(), m.kind.label_en()).to_string(),
                )
            })
            .collect(),
        regions,
        kinds: choices!(lang, MediatorKind),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn mediators(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(mediators_page(&state, &staff, lang, &uri, Filled::default()).await?.render()?))
}

pub async fn add_mediator(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    match disputes::add_mediator(
        &state,
        &staff.user,
        typed.value("region_code"),
        typed.value("kind"),
        typed.value("name"),
    )
    .await
    {
        Ok(_) => Ok(see_other("/mediators", None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(mediators_page(&state, &staff, lang, &uri, form).await?.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "dispute_figures.html")]
struct FiguresPage {
    lang: Lang,
    chrome: Chrome,
    from: String,
    to: String,
    grades: Vec<String>,
    /// (kind, counts in the order of `grades`, total)
    rows: Vec<(String, Vec<i64>, i64)>,
    figures: grassroots_app::disputes::DisputeFigures,
    success: String,
    mean_days: String,
    mediates: bool,
}

#[derive(serde::Deserialize)]
pub struct FiguresParams {
    from: Option<String>,
    to: Option<String>,
}

pub async fn figures(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<FiguresParams>,
) -> Result<Html<String>, ApiError> {
    let figures = disputes::figures(&state, &staff.user, p.from.as_deref(), p.to.as_deref()).await?;
    let order: Vec<RiskGrade> = RiskGrade::ALL.iter().rev().copied().collect();
    let rows = DisputeKind::ALL
        .iter()
        .filter_map(|k| {
            let counts: Vec<i64> = order
                .iter()
                .map(|g| {
                    figures
                        .tally
                        .by_kind_and_grade
                        .iter()
                        .filter(|c| c.kind == *k && c.grade == *g)
                        .map(|c| c.count)
                        .sum()
                })
                .collect();
            let total: i64 = counts.iter().sum();
            (total > 0).then(|| (lang.t(k.label_zh(), k.label_en()).to_string(), counts, total))
        })
        .collect();
    let page = FiguresPage {
        from: grassroots_domain::calendar::beijing_day(figures.from).to_string(),
        to: grassroots_domain::calendar::beijing_day(figures.to - Duration::seconds(1)).to_string(),
        grades: order.iter().map(|g| lang.t(g.label_zh(), g.label_en()).to_string()).collect(),
        rows,
        success: percent(figures.success_rate),
        mean_days: figures.mean_days_to_agreement.map_or_else(|| "—".to_string(), |d| format!("{d:.1}")),
        figures,
        mediates: staff.may(grassroots_domain::Capability::MediateDisputes),
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}
