//! 问需、问效 on the pages: the surveys; a resident answers one that asks them, on a phone; its
//! results as charts once it closes (staff of its place see them at any time, with the text
//! answers); for staff, a form to hold one.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use grassroots_app::accountability;
use grassroots_app::surveys::{self, Standing, SurveyForm};
use grassroots_domain::surveys::{Answer, QuestionKind, QuestionResult, SCALE_MAX};
use grassroots_domain::votes::Phase;
use grassroots_store::surveys::Survey;
use serde::Deserialize;
use uuid::Uuid;

use super::votes::places_held;
use super::{
    beijing_minutes, percent, place_name, runs_participation, see_other, withdrawn_line, Chrome, Filled, Lang,
};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, MaybeResident, MaybeStaff, SignedIn, Staff};
use crate::svg::bar_chart;
use crate::AppState;

pub struct SurveyLine {
    pub href: String,
    pub title: String,
    pub place: String,
    pub purpose: String,
    pub phase_code: &'static str,
    pub phase: String,
    pub closes: String,
    pub responses: u64,
}

pub(crate) fn survey_line(state: &AppState, lang: &Lang, s: &Survey) -> SurveyLine {
    let phase = s.phase(Utc::now());
    SurveyLine {
        href: format!("/surveys/{}", s.id),
        title: s.title.clone(),
        place: place_name(state, lang, &s.region_code),
        purpose: lang.t(s.purpose.label_zh(), s.purpose.label_en()).to_string(),
        phase_code: phase.as_str(),
        phase: match phase {
            Phase::Closed | Phase::Published => lang.t("已截止", "closed"),
            Phase::Scheduled | Phase::Open | Phase::Withdrawn => lang.t(phase.label_zh(), phase.label_en()),
        }
        .to_string(),
        closes: beijing_minutes(s.closes_at),
        responses: s.responses,
    }
}

pub struct HoldForm {
    pub places: Vec<(String, String)>,
    /// (id, name) of the units, for 问效 of their cases.
    pub units: Vec<(String, String)>,
    pub filled: Filled,
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct SurveysPage {
    lang: Lang,
    chrome: Chrome,
    surveys: Vec<SurveyLine>,
    form: Option<HoldForm>,
}

async fn surveys_page(
    state: &AppState,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    filled: Filled,
) -> Result<SurveysPage, ApiError> {
    let listed = surveys::public(state).await?;
    let form = runs_participation(staff).map(|s| HoldForm {
        places: places_held(state, s, &lang),
        units: state
            .reference()
            .units
            .iter()
            .map(|u| (u.id.clone(), lang.t(&u.name_zh, &u.name_en).to_string()))
            .collect(),
        filled,
    });
    Ok(SurveysPage {
        surveys: listed.iter().map(|s| survey_line(state, &lang, s)).collect(),
        form,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

#[derive(Deserialize)]
pub struct SurveysParams {
    /// A decision carried out: the form is set to ask its place how it went.
    task: Option<String>,
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    ApiQuery(params): ApiQuery<SurveysParams>,
) -> Result<Html<String>, ApiError> {
    let task = match params.task.as_deref().map(Uuid::parse_str) {
        Some(Ok(id)) => Some(accountability::get(&state, id).await?),
        Some(Err(_)) => return Err(ApiError::not_found()),
        None => None,
    };
    let filled = match task {
        Some(t) => Filled::new(vec![
            ("task".into(), t.id.to_string()),
            ("region".into(), t.region_code.clone()),
            ("purpose".into(), "effect".into()),
            ("anonymity".into(), "identified".into()),
            ("title".into(), format!("{}落实情况回访", t.title)),
        ]),
        None => Filled::default(),
    };
    Ok(Html(surveys_page(&state, staff.as_ref(), lang, &uri, filled).await?.render()?))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let filled = Filled::new(fields);
    let form = SurveyForm {
        region: filled.value("region").to_string(),
        title: filled.value("title").to_string(),
        intro: filled.value("intro").to_string(),
        purpose: filled.value("purpose").to_string(),
        anonymity: filled.value("anonymity").to_string(),
        questions: filled.value("questions").to_string(),
        opens_at: filled.value("opens_at").to_string(),
        closes_at: filled.value("closes_at").to_string(),
        task: filled.given("task"),
        unit: filled.given("unit"),
        cases_from: filled.given("cases_from"),
        cases_to: filled.given("cases_to"),
    };
    match surveys::create(&state, &staff.user, form).await {
        Ok(s) => Ok(see_other(&format!("/surveys/{}", s.id), None)),
        Err(e) => {
            let (status, filled) = filled.refused(e, &lang)?;
            let page = surveys_page(&state, Some(&staff), lang, &uri, filled).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

/// A question as the form and the results show it.
pub struct QuestionLine {
    pub name: String,
    pub prompt: String,
    pub kind: &'static str,
    /// (value, label) of the inputs: choices, or scores 1 to 5.
    pub choices: Vec<(String, String)>,
    pub chart: String,
    pub answered: u64,
    pub mean: Option<String>,
    pub texts: Vec<String>,
}

/// What a resident may do on a survey's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Respondent {
    SignIn,
    Answer,
    Answered,
    NotAsked,
    NotOpen,
}

#[derive(Template)]
#[template(path = "survey.html")]
struct SurveyPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    title: String,
    intro: String,
    place: String,
    purpose: String,
    anonymous: bool,
    opens: String,
    closes: String,
    responses: u64,
    /// When and why it was withdrawn.
    withdrawn: Option<(String, String)>,
    /// Staff whose scope holds the place withdraw it while it has not opened.
    may_withdraw: bool,
    /// The decision carried out it asks about: (link, title).
    task: Option<(String, String)>,
    /// For a survey of a unit's cases: (the unit's name, reporters texted an invitation).
    invited: Option<(String, u64)>,
    questions: Vec<QuestionLine>,
    asked: Respondent,
    /// Whether the counts (and for staff the texts) are shown.
    results: bool,
    with_texts: bool,
    answered_now: bool,
    error: Option<String>,
}

/// The survey's questions as the form asks them, with their counts and charts where shown.
fn question_lines(survey: &Survey, counted: &[QuestionResult]) -> Vec<QuestionLine> {
    survey
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| {
            let choices: Vec<(String, String)> = match q.kind {
                QuestionKind::Single | QuestionKind::Multiple => {
                    q.options.iter().enumerate().map(|(j, o)| (j.to_string(), o.clone())).collect()
                }
                QuestionKind::Scale => (1..=SCALE_MAX).map(|v| (v.to_string(), v.to_string())).collect(),
                QuestionKind::Text => Vec::new(),
            };
            let result = counted.get(i);
            let chart = match (result, q.kind) {
                (Some(r), QuestionKind::Single | QuestionKind::Multiple | QuestionKind::Scale) => {
                    let rows: Vec<(String, f64, String)> = choices
                        .iter()
                        .zip(&r.counts)
                        .map(|((_, label), &n)| {
                            let share = percent((r.answered > 0).then(|| n as f64 / r.answered as f64));
                            (label.clone(), n as f64, format!("{n} · {share}"))
                        })
                        .collect();
                    bar_chart(&q.prompt, &rows, "#2f6f4f")
                }
                _ => String::new(),
            };
            QuestionLine {
                name: format!("q{i}"),
                prompt: q.prompt.clone(),
                kind: q.kind.as_str(),
                choices,
                chart,
                answered: result.map_or(0, |r| r.answered),
                mean: result.and_then(|r| r.mean).map(|m| format!("{m:.1}")),
                texts: result.map(|r| r.texts.clone()).unwrap_or_default(),
            }
        })
        .collect()
}

async fn survey_page(
    state: &AppState,
    id: Uuid,
    resident: Option<&SignedIn>,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
) -> Result<SurveyPage, ApiError> {
    let survey = surveys::get(state, id).await?;
    let open = survey.phase(Utc::now()) == Phase::Open;
    let asked = match (resident, open) {
        (None, _) => Respondent::SignIn,
        (Some(_), false) => Respondent::NotOpen,
        (Some(r), true) => match surveys::standing(state, &r.resident, &survey).await? {
            Standing::Asked => Respondent::Answer,
            Standing::Answered => Respondent::Answered,
            Standing::NotAsked => Respondent::NotAsked,
        },
    };
    let results = surveys::results_for(state, id, runs_participation(staff).map(|s| &s.user)).await?;
    let with_texts = results.as_ref().is_some_and(|r| r.with_texts);
    let counted = results.as_ref().map(|r| r.questions.clone()).unwrap_or_default();
    let questions = question_lines(&survey, &counted);
    Ok(SurveyPage {
        id: survey.id.to_string(),
        title: survey.title.clone(),
        intro: survey.intro.clone(),
        place: place_name(state, &lang, &survey.region_code),
        purpose: lang.t(survey.purpose.label_zh(), survey.purpose.label_en()).to_string(),
        anonymous: survey.anonymity == grassroots_domain::surveys::Anonymity::Anonymous,
        opens: beijing_minutes(survey.opens_at),
        closes: beijing_minutes(survey.closes_at),
        responses: survey.responses,
        withdrawn: withdrawn_line(survey.withdrawn.as_ref()),
        may_withdraw: survey.phase(Utc::now()) == Phase::Scheduled
            && runs_participation(staff).is_some_and(|s| s.user.scope.covers_place(&survey.region_code)),
        task: match survey.task_id {
            Some(id) => Some((format!("/decisions/{id}"), accountability::get(state, id).await?.title)),
            None => None,
        },
        invited: survey.unit_cases.as_ref().map(|cases| {
            let unit = state.reference().unit(&cases.unit).map_or_else(|| cases.unit.clone(), |u| u.name_zh.clone());
            (unit, survey.invited)
        }),
        questions,
        asked,
        results: results.is_some(),
        with_texts,
        answered_now: false,
        error: None,
        chrome: Chrome::new(lang, staff, uri),
        lang,
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SurveyParams {
    answered: Option<u8>,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    MaybeResident(resident): MaybeResident,
    MaybeStaff(staff): MaybeStaff,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiQuery(p): ApiQuery<SurveyParams>,
) -> Result<Html<String>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let mut page = survey_page(&state, id, resident.as_ref(), staff.as_ref(), lang, &uri).await?;
    page.answered_now = p.answered.is_some();
    Ok(Html(page.render()?))
}

/// The answers from the form, question by question (a choice left out is an empty choice,
/// which the domain refuses by its number).
fn answers_of(survey: &Survey, fields: &[(String, String)]) -> Vec<Answer> {
    let values = |i: usize| fields.iter().filter(move |(k, _)| *k == format!("q{i}")).map(|(_, v)| v.trim());
    survey
        .questions
        .iter()
        .enumerate()
        .map(|(i, q)| match q.kind {
            QuestionKind::Single | QuestionKind::Multiple => {
                Answer::Choice { chosen: values(i).filter_map(|v| v.parse().ok()).collect() }
            }
            QuestionKind::Scale => Answer::Scale { value: values(i).next().and_then(|v| v.parse().ok()).unwrap_or(0) },
            QuestionKind::Text => Answer::Text { text: values(i).next().unwrap_or_default().to_string() },
        })
        .collect()
}

/// Withdraws the survey before it opens, with the reason typed.
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let reason = Filled::new(fields).value("reason").to_string();
    match surveys::withdraw(&state, &staff.user, id, &reason).await {
        Ok(_) => Ok(see_other(&format!("/surveys/{id}"), None)),
        Err(e) => {
            let e = ApiError::from(e);
            let mut page = survey_page(&state, id, None, Some(&staff), lang, &uri).await?;
            page.error = Some(lang.t(&e.text.zh, &e.text.en).to_string());
            Ok((e.status, Html(page.render()?)).into_response())
        }
    }
}

pub async fn answer(
    State(state): State<Arc<AppState>>,
    MaybeResident(resident): MaybeResident,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let Some(signed_in) = resident else { return Ok(see_other("/me", None)) };
    let survey = surveys::get(&state, id).await?;
    match surveys::respond(&state, &signed_in.resident, id, &answers_of(&survey, &fields)).await {
        Ok(()) => Ok(see_other(&format!("/surveys/{id}?answered=1"), None)),
        Err(e) => {
            let e = ApiError::from(e);
            let mut page = survey_page(&state, id, Some(&signed_in), None, lang, &uri).await?;
            page.error = Some(lang.t(&e.text.zh, &e.text.en).to_string());
            Ok((e.status, Html(page.render()?)).into_response())
        }
    }
}
