//! 互助, a resident's page on their phone: asking for help and following their requests; and,
//! for a volunteer or social worker, registering, the tasks offered to them (accepted or
//! declined here, done and reported on the need's page), their hours, points and place in
//! their street's ranking.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use chrono::Duration;
use grassroots_app::helpers::{self, HelperDesk, HelperForm};
use grassroots_app::needs::{self, NeedForm};
use grassroots_domain::helpers::{weekday_label, DayPart, HelperKind, Qualification, Skill, WEEK};
use grassroots_domain::needs::{NeedState, Urgency};
use grassroots_store::helpers::{CommitmentRecord, PointsEntry};
use grassroots_store::needs::NeedRecord;
use grassroots_store::residents::Resident;

use super::residents::communities_by_street;
use super::{beijing_minutes, choices, place_name, see_other, Chrome, Filled, Lang};
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{MaybeResident, SignedIn};
use crate::AppState;

/// A need as a line of a resident's or helper's list.
pub struct NeedLine {
    pub href: String,
    pub id: String,
    pub skill: String,
    pub what: String,
    pub when: String,
    pub place: String,
    pub state: String,
    pub state_code: &'static str,
    pub urgent: bool,
}

pub(super) fn need_line(state: &AppState, lang: &Lang, n: &NeedRecord) -> NeedLine {
    NeedLine {
        href: format!("/needs/{}", n.id),
        id: n.id.to_string(),
        skill: lang.t(n.skill.label_zh(), n.skill.label_en()).to_string(),
        what: n.what.clone(),
        when: format!("{} {}", n.on, lang.t(n.part.label_zh(), n.part.label_en())),
        place: place_name(state, lang, &n.community_code),
        state: lang.t(n.state.label_zh(), n.state.label_en()).to_string(),
        state_code: n.state.as_str(),
        urgent: n.urgency == Urgency::Urgent,
    }
}

/// The choices of the forms on the help pages.
pub struct HelpChoices {
    pub skills: Vec<(String, String)>,
    pub parts: Vec<(String, String)>,
    pub urgencies: Vec<(String, String)>,
    pub days: Vec<(String, String)>,
    pub qualifications: Vec<(String, String)>,
    /// The earliest and latest day a need may be asked for.
    pub first_day: String,
    pub last_day: String,
}

impl HelpChoices {
    pub fn new(lang: &Lang) -> Self {
        let today = grassroots_app::care::today();
        Self {
            skills: choices!(lang, Skill),
            parts: choices!(lang, DayPart),
            urgencies: choices!(lang, Urgency),
            days: WEEK
                .iter()
                .enumerate()
                .map(|(i, d)| {
                    let (zh, en) = weekday_label(*d);
                    ((i + 1).to_string(), lang.t(zh, en).to_string())
                })
                .collect(),
            qualifications: choices!(lang, Qualification),
            first_day: today.to_string(),
            last_day: (today + Duration::days(90)).to_string(),
        }
    }
}

/// A helper's own standing.
struct DeskView {
    kind: String,
    name: String,
    state: String,
    state_code: &'static str,
    reason: Option<String>,
    hours: String,
    balance: i64,
    rank: Option<usize>,
    /// (year, what, delivered, target, unit)
    commitments: Vec<(i32, String, i64, i64, String)>,
    offered: Vec<NeedLine>,
    in_hand: Vec<NeedLine>,
    finished: Vec<NeedLine>,
    /// (when, what, points with sign, balance)
    points: Vec<(String, String, String, i64)>,
}

fn desk_view(state: &AppState, lang: &Lang, desk: HelperDesk) -> DeskView {
    let h = &desk.helper;
    let lines = |states: &[NeedState]| {
        desk.tasks.iter().filter(|t| states.contains(&t.state)).map(|t| need_line(state, lang, t)).collect()
    };
    DeskView {
        kind: lang.t(h.kind.label_zh(), h.kind.label_en()).to_string(),
        name: h.shown_name.clone(),
        state: lang.t(h.state.label_zh(), h.state.label_en()).to_string(),
        state_code: h.state.as_str(),
        reason: h.state_reason.clone(),
        hours: hours(h.points.minutes_confirmed),
        balance: h.points.balance(),
        rank: desk.rank,
        commitments: commitment_lines(&desk.commitments),
        offered: lines(&[NeedState::Offered]),
        in_hand: lines(&[NeedState::Accepted, NeedState::Done]),
        finished: lines(&[NeedState::Confirmed]),
        points: points_lines(lang, &desk.points),
    }
}

/// Commitments as (year, what, delivered, target, unit).
pub(super) fn commitment_lines(commitments: &[CommitmentRecord]) -> Vec<(i32, String, i64, i64, String)> {
    commitments
        .iter()
        .map(|c| {
            (c.commitment.year, c.commitment.what.clone(), c.delivered, c.commitment.target, c.commitment.unit.clone())
        })
        .collect()
}

/// A points ledger's rows: (when, what, points with their sign, balance after).
pub(super) fn points_lines(lang: &Lang, points: &[PointsEntry]) -> Vec<(String, String, String, i64)> {
    points
        .iter()
        .map(|p| {
            let (what, sign) = match &p.item {
                Some(item) => (item.clone(), "−"),
                None => (format!("{} {}", lang.t("服务", "help for"), hours(p.minutes)), "+"),
            };
            (beijing_minutes(p.recorded_at), what, format!("{sign}{}", p.points), p.balance_after)
        })
        .collect()
}

/// Minutes as hours: "1.5".
pub fn hours(minutes: i64) -> String {
    let tenths = minutes * 10 / 60;
    match tenths % 10 {
        0 => (tenths / 10).to_string(),
        t => format!("{}.{t}", tenths / 10),
    }
}

#[derive(Template)]
#[template(path = "help.html")]
struct HelpPage {
    lang: Lang,
    chrome: Chrome,
    signed_in: bool,
    phone_masked: String,
    choices: HelpChoices,
    /// Communities by street, for a resident with no confirmed household.
    streets: Vec<(String, Vec<(String, String)>)>,
    has_household: bool,
    requests: Vec<NeedLine>,
    ask_form: Filled,
    desk: Option<DeskView>,
    kinds: Vec<(String, String)>,
    register_form: Filled,
}

async fn help_page(state: &AppState, lang: Lang, uri: &Uri, resident: Option<&Resident>) -> Result<HelpPage, ApiError> {
    let mut page = HelpPage {
        chrome: Chrome::new(lang, None, uri),
        signed_in: resident.is_some(),
        phone_masked: String::new(),
        choices: HelpChoices::new(&lang),
        streets: Vec::new(),
        has_household: false,
        requests: Vec::new(),
        ask_form: Filled::default(),
        desk: None,
        kinds: person_kinds(&lang),
        register_form: Filled::default(),
        lang,
    };
    let Some(resident) = resident else { return Ok(page) };
    page.phone_masked = resident.phone_masked.clone();
    page.has_household = grassroots_app::households::confirmed(state, resident).await?.is_some();
    page.streets = communities_by_street(state, &lang);
    page.requests = needs::mine(state, resident).await?.iter().map(|n| need_line(state, &lang, n)).collect();
    page.desk = helpers::desk(state, resident).await?.map(|d| desk_view(state, &lang, d));
    Ok(page)
}

/// The resident's help page; signed out, it asks them to sign in first.
pub async fn show(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    MaybeResident(signed_in): MaybeResident,
) -> Result<Html<String>, ApiError> {
    let resident = signed_in.map(|s| s.resident);
    Ok(Html(help_page(&state, lang, &uri, resident.as_ref()).await?.render()?))
}

/// The resident registers as a volunteer or social worker.
pub async fn register(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    MaybeResident(signed_in): MaybeResident,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/help", None)) };
    let typed = Filled::new(fields);
    let form = HelperForm {
        kind: typed.value("kind").to_string(),
        name: typed.value("name").to_string(),
        region_code: typed.value("region_code").to_string(),
        skills: typed.typed.all("skills").into_iter().map(str::to_string).collect(),
        days: typed.typed.all("days").into_iter().map(str::to_string).collect(),
        parts: typed.typed.all("parts").into_iter().map(str::to_string).collect(),
        about: typed.value("about").to_string(),
        qualification: typed.given("qualification"),
        certificate_no: typed.given("certificate_no"),
        affiliation: typed.given("affiliation"),
        ..HelperForm::default()
    };
    match helpers::register_self(&state, &resident, form).await {
        Ok(_) => Ok(see_other("/help#desk", None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            let mut page = help_page(&state, lang, &uri, Some(&resident)).await?;
            page.register_form = form;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// The needs page's form as the use case reads it.
pub(super) fn need_form(typed: &Filled, source: &str) -> NeedForm {
    NeedForm {
        source: source.to_string(),
        case: typed.given("case"),
        survey_id: typed.given("survey_id"),
        community_code: typed.given("community_code"),
        grid_code: typed.given("grid_code"),
        household_label: typed.given("household_label"),
        skill: typed.value("skill").to_string(),
        what: typed.value("what").to_string(),
        on: typed.value("on").to_string(),
        part: typed.value("part").to_string(),
        urgency: typed.value("urgency").to_string(),
        address: typed.value("address").to_string(),
        contact_name: typed.given("contact_name"),
        contact_phone: typed.given("contact_phone"),
    }
}

/// The resident asks for help; then their request's page.
pub async fn ask(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    MaybeResident(signed_in): MaybeResident,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let Some(SignedIn { resident, .. }) = signed_in else { return Ok(see_other("/help", None)) };
    let typed = Filled::new(fields);
    match needs::ask(&state, &resident, need_form(&typed, "resident")).await {
        Ok(need) => Ok(see_other(&format!("/needs/{}", need.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            let mut page = help_page(&state, lang, &uri, Some(&resident)).await?;
            page.ask_form = form;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// The kinds a resident registers as: people, not organisations.
fn person_kinds(lang: &Lang) -> Vec<(String, String)> {
    HelperKind::ALL
        .iter()
        .filter(|k| k.is_person())
        .map(|k| (k.as_str().to_string(), lang.t(k.label_zh(), k.label_en()).to_string()))
        .collect()
}
