//! 问需、问效: staff ask the residents of a place what they need, or how a decision carried out
//! or a unit's handling of their cases went; residents answer once; the counts show once the
//! survey closes (to staff of the place at any time, with the text answers). Called alike by
//! the JSON API and the pages.

use chrono::Utc;
use grassroots_domain::deliberation::{public_text, BODY_CHARS, TITLE_CHARS};
use grassroots_domain::surveys::{parse_questions, results, Anonymity, Answer, Purpose, QuestionResult};
use grassroots_domain::votes::{check_times, Phase, WITHDRAWAL_CHARS};
use grassroots_domain::Capability;
use grassroots_store::residents::Resident;
use grassroots_store::surveys::{NewSurvey, Responded, Survey, UnitCases};
use grassroots_store::{Household, PlaceFilter, User};
use uuid::Uuid;

use crate::fields::{moment, time};
use crate::{deliberation, households, AppError, Platform, Result, Text};

const LISTED: i64 = 100;
/// The longest period of a unit's closed cases one 问效 survey asks about.
const MOST_CASE_DAYS: i64 = 92;

use crate::may_run_participation as may_run;

/// A survey as staff set it up.
#[derive(Debug, Clone, Default)]
pub struct SurveyForm {
    pub region: String,
    pub title: String,
    pub intro: String,
    /// `needs` or `effect`.
    pub purpose: String,
    /// `anonymous` or `identified`.
    pub anonymity: String,
    /// One a line: `单选|题目|选项一/选项二`, `多选|…`, `评分|题目`, `文字|题目`.
    pub questions: String,
    pub opens_at: String,
    pub closes_at: String,
    /// 问效 of a decision carried out: its id.
    pub task: Option<String>,
    /// 问效 of a unit's cases closed between two days: the unit's id and the days.
    pub unit: Option<String>,
    pub cases_from: Option<String>,
    pub cases_to: Option<String>,
}

fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

pub async fn create(platform: &Platform, staff: &User, form: SurveyForm) -> Result<Survey> {
    may_run(staff)?;
    let now = Utc::now();
    let region = deliberation::space(platform, &form.region)?;
    if !staff.scope.covers_place(&region) {
        return Err(AppError::invalid("region", "该地不在您的范围内", "this place is outside your scope"));
    }
    let purpose = Purpose::parse_field("purpose", &form.purpose)?;
    let task_id = match given(&form.task) {
        Some(t) => {
            let id = Uuid::parse_str(t).map_err(|_| AppError::invalid("task", "没有这项决议", "no such decision"))?;
            let task = platform
                .store
                .task(id)
                .await?
                .ok_or_else(|| AppError::invalid("task", "没有这项决议", "no such decision"))?;
            // Its residents are asked about a decision of their own place.
            if !(region.starts_with(&task.region_code) || task.region_code.starts_with(&region)) {
                return Err(AppError::invalid(
                    "task",
                    "问卷范围应与该决议所在地一致",
                    "the survey's place is the decision's, or within it",
                ));
            }
            Some(id)
        }
        None => None,
    };
    let unit_cases = match given(&form.unit) {
        Some(unit) => {
            if !platform.reference().units.iter().any(|u| u.id == unit) {
                return Err(AppError::invalid("unit", "没有这个单位", "no such unit"));
            }
            let from = time("cases_from", given(&form.cases_from).unwrap_or_default(), false)?;
            let to = time("cases_to", given(&form.cases_to).unwrap_or_default(), true)?;
            if to <= from {
                return Err(AppError::invalid("cases_to", "结束应晚于开始", "the period ends after it starts"));
            }
            if to - from > chrono::Duration::days(MOST_CASE_DAYS) {
                return Err(AppError::invalid(
                    "cases_to",
                    format!("办结时段最长{MOST_CASE_DAYS}天"),
                    format!("the period is at most {MOST_CASE_DAYS} days"),
                ));
            }
            Some(UnitCases { unit: unit.to_string(), from, to })
        }
        None => None,
    };
    if purpose == Purpose::Needs && (task_id.is_some() || unit_cases.is_some()) {
        return Err(AppError::invalid(
            "purpose",
            "关联决议或单位的问卷应为问效",
            "a survey about a decision or a unit asks how it went (effect)",
        ));
    }
    let survey = NewSurvey {
        region_code: region,
        title: public_text("title", &form.title, TITLE_CHARS)?,
        intro: public_text("intro", &form.intro, BODY_CHARS)?,
        purpose,
        anonymity: Anonymity::parse_field("anonymity", &form.anonymity)?,
        questions: parse_questions(&form.questions)?,
        opens_at: moment("opens_at", form.opens_at.trim())?,
        closes_at: moment("closes_at", form.closes_at.trim())?,
        task_id,
        unit_cases,
    };
    check_times(survey.opens_at, survey.closes_at, now)?;
    Ok(platform.store.create_survey(&staff.actor(), &survey, now).await?)
}

/// Withdraws a survey announced by mistake, before it opens, with a reason its page shows;
/// the invitations it queued are not sent.
pub async fn withdraw(platform: &Platform, staff: &User, id: Uuid, reason: &str) -> Result<Survey> {
    may_run(staff)?;
    let reason = public_text("reason", reason, WITHDRAWAL_CHARS)?;
    Ok(platform.store.withdraw_survey(&staff.actor(), id, &reason, Utc::now()).await?)
}

/// Every survey, newest first.
pub async fn public(platform: &Platform) -> Result<Vec<Survey>> {
    Ok(platform.store.surveys(&PlaceFilter::Everywhere, LISTED).await?)
}

/// The surveys asking how a decision carried out went.
pub async fn about_task(platform: &Platform, task: Uuid) -> Result<Vec<Survey>> {
    Ok(platform.store.surveys_about_task(task).await?)
}

pub async fn get(platform: &Platform, id: Uuid) -> Result<Survey> {
    platform.store.survey(id).await?.ok_or(AppError::NotFound)
}

/// Where a resident stands in a survey.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// Asked, and has not answered.
    Asked,
    Answered,
    /// Not among those it asks.
    NotAsked,
}

/// Whether the survey asks this resident: those who reported the unit's cases, or the
/// residents of its place.
pub async fn standing(platform: &Platform, resident: &Resident, survey: &Survey) -> Result<Standing> {
    let household = households::confirmed(platform, resident).await?;
    standing_in(platform, resident, household.as_ref(), survey).await
}

/// Where a resident of this confirmed household (if any) stands in a survey.
async fn standing_in(
    platform: &Platform,
    resident: &Resident,
    household: Option<&Household>,
    survey: &Survey,
) -> Result<Standing> {
    let asked = match &survey.unit_cases {
        Some(cases) => platform.store.reported_to_unit(resident.id, &survey.region_code, cases).await?,
        None => household.is_some_and(|h| h.grid_code.starts_with(&survey.region_code)),
    };
    Ok(match (asked, platform.store.has_responded(survey.id, resident.id).await?) {
        (_, true) => Standing::Answered,
        (true, false) => Standing::Asked,
        (false, false) => Standing::NotAsked,
    })
}

/// The open surveys that ask this resident, with where they stand.
pub async fn for_resident(platform: &Platform, resident: &Resident) -> Result<Vec<(Survey, Standing)>> {
    let now = Utc::now();
    let household = households::confirmed(platform, resident).await?;
    let mut mine = Vec::new();
    for survey in public(platform).await?.into_iter().filter(|s| s.phase(now) == Phase::Open) {
        match standing_in(platform, resident, household.as_ref(), &survey).await? {
            Standing::NotAsked => {}
            standing => mine.push((survey, standing)),
        }
    }
    Ok(mine)
}

/// The resident answers, once.
pub async fn respond(platform: &Platform, resident: &Resident, id: Uuid, answers: &[Answer]) -> Result<()> {
    let survey = get(platform, id).await?;
    match standing(platform, resident, &survey).await? {
        Standing::Asked => {}
        Standing::Answered => {
            return Err(AppError::Conflict(Text::new("您已填写过这份问卷", "you have answered this survey")))
        }
        Standing::NotAsked => {
            return Err(AppError::Forbidden(Text::new("这份问卷不面向您", "this survey does not ask you")))
        }
    }
    match platform.store.respond(id, resident.id, answers, Utc::now()).await? {
        Responded::Counted => Ok(()),
        Responded::Already => Err(AppError::Conflict(Text::new("您已填写过这份问卷", "you have answered this survey"))),
        Responded::NotOpen => Err(AppError::Conflict(Text::new("问卷不在填写期内", "the survey is not open"))),
    }
}

/// A survey's results: counts per question, and the text answers for staff of its place.
pub struct Results {
    pub survey: Survey,
    pub questions: Vec<QuestionResult>,
    /// Whether the viewer reads the text answers.
    pub with_texts: bool,
}

/// The results as the viewer may read them: anyone once the survey closes; staff of its place
/// at any time, with the text answers.
pub async fn results_for(platform: &Platform, id: Uuid, staff: Option<&User>) -> Result<Option<Results>> {
    let survey = get(platform, id).await?;
    let staff_of_place =
        staff.is_some_and(|s| s.role.may(Capability::RunParticipation) && s.scope.reaches(&survey.region_code));
    if !staff_of_place && survey.phase(Utc::now()) != Phase::Closed {
        return Ok(None);
    }
    let responses = platform.store.responses(id).await?;
    let mut questions = results(&survey.questions, responses.iter().map(|r| r.answers.as_slice()));
    if !staff_of_place {
        questions.iter_mut().for_each(|q| q.texts.clear());
    }
    Ok(Some(Results { survey, questions, with_texts: staff_of_place }))
}
