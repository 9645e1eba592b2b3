//! 表决: the votes anyone reads (公示) with their results once published; a resident's ballot,
//! on a phone; for staff, holding a vote in their places and running it: paper voters marked,
//! the paper count entered by two of them, the results published.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use grassroots_app::accountability;
use grassroots_app::votes::{self, PaperVoterForm, Standing, VoteForm};
use grassroots_app::AppError;
use grassroots_domain::votes::{agreed_paper_count, Eligibility, PaperCount, Phase, VoteKind};
use grassroots_domain::{Capability, RegionLevel};
use grassroots_store::votes::Vote;
use serde::Deserialize;
use uuid::Uuid;

use super::meetings::{owner_choices, task_line, OwnerChoices, TaskLine};
use super::{
    beijing_minutes, form_error, percent, place_name, runs_participation, see_other, withdrawn_line, Chrome, Filled,
    Lang,
};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, MaybeResident, MaybeStaff, SignedIn, Staff};
use crate::svg::bar_chart;
use crate::AppState;

/// A vote as a line of a list.
pub struct VoteLine {
    pub href: String,
    pub title: String,
    pub place: String,
    pub phase: String,
    pub phase_code: &'static str,
    pub opens: String,
    pub closes: String,
    pub voters: u64,
}

pub(crate) fn vote_line(state: &AppState, lang: &Lang, v: &Vote) -> VoteLine {
    let phase = v.phase(Utc::now());
    VoteLine {
        href: format!("/votes/{}", v.id),
        title: v.title.clone(),
        place: place_name(state, lang, &v.region_code),
        phase: lang.t(phase.label_zh(), phase.label_en()).to_string(),
        phase_code: phase.as_str(),
        opens: beijing_minutes(v.opens_at),
        closes: beijing_minutes(v.closes_at),
        voters: v.voters,
    }
}

/// The form to hold a vote, for staff who run participation.
pub struct HoldForm {
    /// (code, name) of the streets, communities and (for grid workers) grids they hold.
    pub places: Vec<(String, String)>,
    pub typed: Filled,
}

#[derive(Template)]
#[template(path = "votes.html")]
struct VotesPage {
    lang: Lang,
    chrome: Chrome,
    votes: Vec<VoteLine>,
    form: Option<HoldForm>,
}

/// The places a staff member may hold votes in.
pub(crate) fn places_held(state: &AppState, staff: &Staff, lang: &Lang) -> Vec<(String, String)> {
    let atlas = state.atlas();
    let scope = &staff.user.scope;
    let mut places = Vec::new();
    for district in atlas.served_districts() {
        for street in atlas.children(&district.code) {
            if scope.covers_place(street.code.as_str()) {
                places.push((street.code.as_str().to_string(), lang.place(&street.name)));
            }
            for community in atlas.children(&street.code) {
                let name = format!("{} · {}", lang.place(&street.name), lang.place(&community.name));
                if scope.covers_place(community.code.as_str()) {
                    places.push((community.code.as_str().to_string(), name.clone()));
                }
                if let grassroots_domain::Scope::Grids { codes } = scope {
                    for grid in atlas
                        .children(&community.code)
                        .into_iter()
                        .filter(|g| codes.contains(&g.code.as_str().to_string()))
                    {
                        places.push((grid.code.as_str().to_string(), format!("{name} · {}", lang.place(&grid.name))));
                    }
                }
            }
        }
    }
    places
}

async fn votes_page(
    state: &AppState,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    typed: Filled,
) -> Result<VotesPage, ApiError> {
    let runs = runs_participation(staff);
    let listed = match runs {
        Some(staff) => votes::for_staff(state, &staff.user).await?,
        None => votes::public(state).await?,
    };
    Ok(VotesPage {
        votes: listed.iter().map(|v| vote_line(state, &lang, v)).collect(),
        form: runs.map(|staff| HoldForm { places: places_held(state, staff, &lang), typed }),
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

/// Every vote (for staff who run participation: those of their places, and the form to hold one).
pub async fn list(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    Ok(Html(votes_page(&state, staff.as_ref(), lang, &uri, Filled::default()).await?.render()?))
}

/// Holds a vote from the form; to the vote's page to run it, or the form again with the error.
pub async fn create(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let form = VoteForm {
        region: typed.value("region").to_string(),
        title: typed.value("title").to_string(),
        body: typed.value("body").to_string(),
        kind: typed.value("kind").to_string(),
        eligibility: typed.value("eligibility").to_string(),
        options: typed.value("options").lines().map(str::to_string).collect(),
        opens_at: typed.value("opens_at").to_string(),
        closes_at: typed.value("closes_at").to_string(),
    };
    match votes::create(&state, &staff.user, form).await {
        Ok(vote) => Ok(see_other(&format!("/votes/{}/run", vote.id), None)),
        Err(e) => {
            let error = Some(form_error(e.into(), &lang)?);
            let page = votes_page(&state, Some(&staff), lang, &uri, Filled { error, ..typed }).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

/// What a resident may do on a vote's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ballot {
    /// Not signed in as a resident.
    SignIn,
    NoHousehold,
    Elsewhere,
    MayVote,
    Voted,
    /// Not open (scheduled or over).
    Closed,
}

/// An option's published result.
pub struct ResultLine {
    pub option: String,
    pub count: u64,
    pub share: String,
}

#[derive(Template)]
#[template(path = "vote.html")]
struct VotePage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    title: String,
    body: String,
    place: String,
    kind: String,
    approval: bool,
    eligibility: String,
    phase: String,
    phase_code: &'static str,
    /// When and why it was withdrawn.
    withdrawn: Option<(String, String)>,
    opens: String,
    closes: String,
    voters: u64,
    options: Vec<(usize, String)>,
    ballot: Ballot,
    /// Said at the top: the ballot was received.
    cast: bool,
    error: Option<String>,
    results: Vec<ResultLine>,
    chart: String,
    turnout: String,
    eligible: u64,
    may_run: bool,
    /// The tasks carrying out the result.
    decisions: Vec<TaskLine>,
}

fn ballot_of(standing: Standing, phase: Phase) -> Ballot {
    match (standing, phase) {
        (Standing::Voted, _) => Ballot::Voted,
        (_, Phase::Scheduled | Phase::Closed | Phase::Published | Phase::Withdrawn) => Ballot::Closed,
        (Standing::MayVote(_), Phase::Open) => Ballot::MayVote,
        (Standing::NoHousehold, Phase::Open) => Ballot::NoHousehold,
        (Standing::Elsewhere, Phase::Open) => Ballot::Elsewhere,
    }
}

async fn vote_page(
    state: &AppState,
    id: Uuid,
    resident: Option<&SignedIn>,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
) -> Result<VotePage, ApiError> {
    let vote = votes::get(state, id).await?;
    let phase = vote.phase(Utc::now());
    let ballot = match resident {
        Some(r) => ballot_of(votes::standing(state, &r.resident, &vote).await?, phase),
        None => Ballot::SignIn,
    };
    let marks: u64 = vote.results.iter().sum();
    let results: Vec<ResultLine> = vote
        .options
        .iter()
        .zip(&vote.results)
        .map(|(option, &count)| ResultLine {
            option: option.clone(),
            count,
            share: percent((marks > 0).then(|| count as f64 / marks as f64)),
        })
        .collect();
    let rows: Vec<(String, f64, String)> =
        results.iter().map(|r| (r.option.clone(), r.count as f64, format!("{} · {}", r.count, r.share))).collect();
    let eligible = vote.eligible.unwrap_or(0);
    Ok(VotePage {
        id: vote.id.to_string(),
        place: place_name(state, &lang, &vote.region_code),
        kind: lang.t(vote.kind.label_zh(), vote.kind.label_en()).to_string(),
        approval: vote.kind == VoteKind::Approval,
        eligibility: lang.t(vote.eligibility.label_zh(), vote.eligibility.label_en()).to_string(),
        phase: lang.t(phase.label_zh(), phase.label_en()).to_string(),
        phase_code: phase.as_str(),
        withdrawn: withdrawn_line(vote.withdrawn.as_ref()),
        opens: beijing_minutes(vote.opens_at),
        closes: beijing_minutes(vote.closes_at),
        voters: vote.voters,
        options: vote.options.iter().cloned().enumerate().collect(),
        ballot,
        cast: false,
        error: None,
        chart: if results.is_empty() {
            String::new()
        } else {
            bar_chart(lang.t("表决结果", "Results"), &rows, "#2f6f4f")
        },
        results,
        turnout: percent((eligible > 0).then(|| vote.voters as f64 / eligible as f64)),
        eligible,
        may_run: staff.is_some_and(|s| s.may(Capability::RunParticipation) && s.user.scope.reaches(&vote.region_code)),
        decisions: accountability::of(state, vote.id).await?.iter().map(|t| task_line(&lang, t)).collect(),
        title: vote.title,
        body: vote.body,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VoteParams {
    cast: Option<u8>,
}

/// A vote: what it asks, where it stands, the resident's ballot, and its results once published.
pub async fn show(
    State(state): State<Arc<AppState>>,
    MaybeResident(resident): MaybeResident,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<VoteParams>,
) -> Result<Html<String>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let mut page = vote_page(&state, id, resident.as_ref(), staff.as_ref(), lang, &uri).await?;
    page.cast = p.cast.is_some();
    Ok(Html(page.render()?))
}

/// The resident's ballot from the page: to the page saying it was received, or the page again
/// with why not.
pub async fn cast(
    State(state): State<Arc<AppState>>,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let Some(signed_in) = resident else { return Ok(see_other("/me", None)) };
    let choices: Result<Vec<u32>, _> =
        fields.iter().filter(|(k, _)| k == "choice").map(|(_, v)| v.trim().parse::<u32>()).collect();
    let done = match choices {
        Ok(choices) => votes::cast(&state, &signed_in.resident, id, &choices).await,
        Err(_) => Err(AppError::invalid("choices", "请选择", "choose an option")),
    };
    match done {
        Ok(()) => Ok(see_other(&format!("/votes/{id}?cast=1"), None)),
        Err(e) => {
            let e = ApiError::from(e);
            let mut page = vote_page(&state, id, Some(&signed_in), None, lang, &uri).await?;
            page.error = Some(lang.t(&e.text.zh, &e.text.en).to_string());
            Ok((e.status, Html(page.render()?)).into_response())
        }
    }
}

/// A paper count's entry as a line.
pub struct EntryLine {
    pub by: String,
    pub at: String,
    pub ballots: u32,
    pub invalid: u32,
    pub counts: String,
}

#[derive(Template)]
#[template(path = "vote_run.html")]
struct RunPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    title: String,
    place: String,
    phase: String,
    phase_code: &'static str,
    by_household: bool,
    voters: u64,
    paper_voters: u64,
    options: Vec<(usize, String)>,
    /// (code, name) of the grids of the vote's place that the staff member holds.
    grids: Vec<(String, String)>,
    entries: Vec<EntryLine>,
    agreed: bool,
    may_publish: bool,
    /// Staff whose scope holds the place withdraw it while it has not opened.
    may_withdraw: bool,
    /// When and why it was withdrawn.
    withdrawn: Option<(String, String)>,
    /// After publication: the tasks carrying the result out, and the kinds of owner for one more.
    decisions: Vec<TaskLine>,
    owners: OwnerChoices,
    typed: Filled,
    /// What the last step did.
    done: Option<String>,
}

async fn run_page(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    lang: Lang,
    uri: &Uri,
    typed: Filled,
) -> Result<RunPage, ApiError> {
    let vote = votes::run(state, &staff.user, id).await?;
    let entries = votes::paper_entries(state, &staff.user, id).await?;
    let counts: Vec<PaperCount> = entries.iter().map(|e| e.count.clone()).collect();
    let phase = vote.phase(Utc::now());
    let atlas = state.atlas();
    let grids = grassroots_domain::RegionCode::parse(&vote.region_code)
        .map(|code| match code.level() {
            RegionLevel::Grid => atlas.outline(code.as_str()).into_iter().collect(),
            _ => atlas.grids_within(&code),
        })
        .unwrap_or_default()
        .into_iter()
        .filter(|g| staff.user.scope.covers_place(g.code.as_str()))
        .map(|g| (g.code.as_str().to_string(), lang.place(&g.name)))
        .collect();
    Ok(RunPage {
        id: vote.id.to_string(),
        title: vote.title.clone(),
        place: place_name(state, &lang, &vote.region_code),
        phase: lang.t(phase.label_zh(), phase.label_en()).to_string(),
        phase_code: phase.as_str(),
        by_household: vote.eligibility == Eligibility::Households,
        voters: vote.voters,
        paper_voters: vote.paper_voters,
        options: vote.options.iter().cloned().enumerate().collect(),
        grids,
        agreed: agreed_paper_count(&counts).is_some(),
        entries: entries
            .into_iter()
            .map(|e| EntryLine {
                by: e.entered_by,
                at: beijing_minutes(e.entered_at),
                ballots: e.count.ballots,
                invalid: e.count.invalid,
                counts: e.count.counts.iter().map(u32::to_string).collect::<Vec<_>>().join(" / "),
            })
            .collect(),
        may_publish: staff.user.scope.covers_place(&vote.region_code) && phase == Phase::Closed,
        may_withdraw: staff.user.scope.covers_place(&vote.region_code) && phase == Phase::Scheduled,
        withdrawn: withdrawn_line(vote.withdrawn.as_ref()),
        decisions: accountability::of(state, vote.id).await?.iter().map(|t| task_line(&lang, t)).collect(),
        owners: owner_choices(state, &lang),
        typed,
        done: None,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RunParams {
    done: Option<String>,
}

/// Running a vote: paper voters, the paper count, publication.
pub async fn run(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<RunParams>,
) -> Result<Html<String>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let mut page = run_page(&state, &staff, id, lang, &uri, Filled::default()).await?;
    page.done = p.done.as_deref().map(|done| {
        match done {
            "marked" => lang.t("已登记纸质投票人", "The paper voter is marked"),
            "counted" => lang.t("纸质票数已录入", "The paper count is entered"),
            "published" => lang.t("结果已公布", "The results are published"),
            "withdrawn" => lang.t("表决已撤销", "The vote is withdrawn"),
            _ => "",
        }
        .to_string()
    });
    Ok(Html(page.render()?))
}

/// After a step of running a vote: back to its page saying what was done, or the page again
/// with the error (beside its field where it has one).
async fn after_step(
    state: &AppState,
    staff: &Staff,
    id: Uuid,
    lang: Lang,
    uri: &Uri,
    values: Vec<(String, String)>,
    done: Result<&'static str, AppError>,
) -> Result<Response, ApiError> {
    match done {
        Ok(what) => Ok(see_other(&format!("/votes/{id}/run?done={what}"), None)),
        Err(e) => {
            let (status, filled) = Filled::new(values).refused(e, &lang)?;
            let page = run_page(state, staff, id, lang, uri, filled).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// Withdraws the vote before it opens, with the reason typed.
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let typed = Filled::new(fields);
    let done = votes::withdraw(&state, &staff.user, id, typed.value("reason")).await.map(|_| "withdrawn");
    after_step(&state, &staff, id, lang, &uri, typed.typed.0, done).await
}

pub async fn mark_paper_voter(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let typed = Filled::new(fields);
    let form = PaperVoterForm {
        grid_code: typed.given("grid_code"),
        label: typed.given("label"),
        phone: typed.given("phone"),
    };
    let done = votes::mark_paper_voter(&state, &staff.user, id, form).await.map(|()| "marked");
    after_step(&state, &staff, id, lang, &uri, typed.typed.0, done).await
}

/// A whole number a field of the paper count holds.
fn count_in(field: &'static str, raw: &str) -> Result<u32, AppError> {
    raw.trim().parse().map_err(|_| AppError::invalid(field, "请填写非负整数", "a whole number, 0 or more"))
}

pub async fn enter_paper_count(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let typed = Filled::new(fields);
    let count = (|| {
        Ok::<_, AppError>(PaperCount {
            ballots: count_in("ballots", typed.value("ballots"))?,
            invalid: count_in("invalid", typed.value("invalid"))?,
            counts: typed.typed.all("count").into_iter().map(|c| count_in("counts", c)).collect::<Result<_, _>>()?,
        })
    })();
    let done = match count {
        Ok(count) => votes::enter_paper_count(&state, &staff.user, id, count).await.map(|_| "counted"),
        Err(e) => Err(e),
    };
    after_step(&state, &staff, id, lang, &uri, typed.typed.0, done).await
}

pub async fn publish(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let done = votes::publish(&state, &staff.user, id).await.map(|_| "published");
    after_step(&state, &staff, id, lang, &uri, Vec::new(), done).await
}
