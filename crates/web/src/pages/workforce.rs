//! 队伍建设 as pages: the supervisor's team with each person's work as the platform recorded it
//! over a period, with forms for profiles, training, cadres sent down and the district's
//! standard; a person's page with their training, appraisals and the appraisal form (the
//! indicators stated, the figures beside); the staffing of the reader's places for anyone who
//! reads statistics.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::workforce::{self, PersonWork, ProfileForm, SecondmentForm};
use grassroots_domain::workforce::{Post, SecondmentKind, WorkerQualification, INDICATORS};
use serde::Deserialize;

use super::{choices, communities_reached, percent, place_name, see_other, Chrome, Filled, Lang};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

/// A person's line of the team table.
pub struct PersonLine {
    pub href: String,
    pub name: String,
    pub post: String,
    pub community: String,
    pub age_band: String,
    pub tenure: f64,
    pub moves: i64,
    pub handled: i64,
    pub on_time: String,
    pub satisfied: String,
    pub visits: i64,
    pub patrols: i64,
    pub after_hours: i64,
}

fn share(part: i64, whole: i64) -> String {
    percent((whole > 0).then(|| part as f64 / whole as f64))
}

fn person_line(state: &AppState, lang: &Lang, p: &PersonWork) -> PersonLine {
    let w = &p.work;
    PersonLine {
        href: format!("/workforce/staff/{}", p.profile.username),
        name: p.profile.display_name.clone(),
        post: lang.t(p.profile.post.label_zh(), p.profile.post.label_en()).to_string(),
        community: place_name(state, lang, &p.profile.community_code),
        age_band: lang.t(p.age_band.label_zh(), p.age_band.label_en()).to_string(),
        tenure: p.tenure_years,
        moves: w.moves,
        handled: w.handled,
        on_time: share(w.handled_on_time, w.handled),
        satisfied: share(w.satisfied, w.evaluated),
        visits: w.visits,
        patrols: w.patrol_reports,
        after_hours: p.after_hours,
    }
}

/// A cadre as the team page lists them.
pub struct SecondmentLine {
    pub id: String,
    pub community: String,
    pub name: String,
    pub home_unit: String,
    pub kind: String,
    pub period: String,
    pub work: Vec<String>,
}

/// A community's line of the staffing table.
pub struct StaffingRow {
    pub name: String,
    pub households: i64,
    pub grids: i64,
    pub needed_workers: i64,
    pub workers: i64,
    pub needed_grid_workers: i64,
    pub grid_workers: i64,
    pub vacancies: i64,
    pub left: i64,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PeriodParams {
    from: Option<String>,
    to: Option<String>,
}

#[derive(Template)]
#[template(path = "workforce.html")]
struct TeamPage {
    lang: Lang,
    chrome: Chrome,
    from: String,
    to: String,
    people: Vec<PersonLine>,
    total: PersonLine,
    /// (id, title, day, hours, attendees)
    trainings: Vec<(String, String, String, f64, i64)>,
    secondments: Vec<SecondmentLine>,
    communities: Vec<(String, String)>,
    posts: Vec<(String, String)>,
    qualifications: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    district: String,
    which: String,
    form: Filled,
}

async fn team_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    p: PeriodParams,
    which: &str,
    form: Filled,
) -> Result<TeamPage, ApiError> {
    let (from, to) = workforce::period(p.from.as_deref(), p.to.as_deref())?;
    let (team, trainings, secondments) = tokio::try_join!(
        workforce::team(state, &staff.user, from, to),
        workforce::trainings(state, &staff.user),
        workforce::secondments(state, &staff.user),
    )?;
    let t = &team.total;
    let total = PersonLine {
        href: String::new(),
        name: lang.t("合计", "In all").to_string(),
        post: String::new(),
        community: String::new(),
        age_band: String::new(),
        tenure: 0.0,
        moves: t.moves,
        handled: t.handled,
        on_time: share(t.handled_on_time, t.handled),
        satisfied: share(t.satisfied, t.evaluated),
        visits: t.visits,
        patrols: t.patrol_reports,
        after_hours: team.after_hours,
    };
    let district = communities_reached(state, staff, &lang).first().map(|c| c.0[..6].to_string()).unwrap_or_default();
    Ok(TeamPage {
        from: grassroots_domain::calendar::beijing_day(from).to_string(),
        to: grassroots_domain::calendar::beijing_day(to - chrono::Duration::seconds(1)).to_string(),
        people: team.people.iter().map(|p| person_line(state, &lang, p)).collect(),
        total,
        trainings: trainings
            .iter()
            .map(|t| {
                (t.id.to_string(), t.title.clone(), t.held_on.to_string(), f64::from(t.half_hours) / 2.0, t.attendees)
            })
            .collect(),
        secondments: secondments
            .iter()
            .map(|s| SecondmentLine {
                id: s.id.to_string(),
                community: place_name(state, &lang, &s.community_code),
                name: s.name.clone(),
                home_unit: s.home_unit.clone(),
                kind: lang.t(s.kind.label_zh(), s.kind.label_en()).to_string(),
                period: format!("{} – {}", s.from_on, s.to_on),
                work: s
                    .work
                    .iter()
                    .map(|(on, what, halves)| format!("{on} · {what} · {}h", f64::from(*halves) / 2.0))
                    .collect(),
            })
            .collect(),
        communities: communities_reached(state, staff, &lang),
        posts: choices!(lang, Post),
        qualifications: choices!(lang, WorkerQualification),
        kinds: choices!(lang, SecondmentKind),
        district,
        which: which.to_string(),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn team(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> Result<Html<String>, ApiError> {
    Ok(Html(team_page(&state, &staff, lang, &uri, p, "", Filled::default()).await?.render()?))
}

/// One of the team page's forms, by the `form` field.
pub async fn submit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let which = typed.value("form").to_string();
    let v = |name: &str| typed.value(name).to_string();
    let user = &staff.user;
    let done = match which.as_str() {
        "profile" => {
            let form = ProfileForm {
                community_code: v("community_code"),
                post: v("post"),
                started_on: v("started_on"),
                birth_year: v("birth_year"),
                qualification: v("qualification"),
            };
            workforce::set_profile(&state, user, typed.value("username"), form).await.map(|_| ())
        }
        "training" => workforce::add_training(
            &state,
            user,
            typed.value("region_code"),
            typed.value("title"),
            typed.value("held_on"),
            typed.value("hours"),
        )
        .await
        .map(|_| ()),
        "attendance" => match uuid::Uuid::parse_str(typed.value("training_id")) {
            Ok(id) => {
                workforce::attend(&state, user, id, typed.value("username"), typed.given("certificate").as_deref())
                    .await
            }
            Err(_) => Err(grassroots_app::AppError::invalid("training_id", "请选择培训", "choose a training")),
        },
        "standard" => workforce::set_standard(
            &state,
            user,
            typed.value("district_code"),
            typed.value("households_per_worker"),
            typed.value("workers_per_grid"),
        )
        .await
        .map(|_| ()),
        "work" => match uuid::Uuid::parse_str(typed.value("secondment_id")) {
            Ok(id) => workforce::record_work(
                &state,
                user,
                id,
                typed.value("done_on"),
                typed.value("what"),
                typed.value("hours"),
            )
            .await
            .map(|_| ()),
            Err(_) => Err(grassroots_app::AppError::invalid("secondment_id", "请选择下沉干部", "choose a cadre")),
        },
        _ => {
            let form = SecondmentForm {
                community_code: v("community_code"),
                name: v("name"),
                home_unit: v("home_unit"),
                kind: v("kind"),
                from_on: v("from_on"),
                to_on: v("to_on"),
            };
            workforce::add_secondment(&state, user, form).await.map(|_| ())
        }
    };
    match done {
        Ok(()) => Ok(see_other("/workforce", None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            let page = team_page(&state, &staff, lang, &uri, PeriodParams::default(), &which, form).await?;
            Ok((status, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "workforce_person.html")]
struct PersonPage {
    lang: Lang,
    chrome: Chrome,
    username: String,
    line: PersonLine,
    qualification: String,
    started_on: String,
    left: Option<String>,
    evaluated: i64,
    households_visited: i64,
    /// (title, day, certificate)
    trainings: Vec<(String, String, String)>,
    /// (year, total, grade, scores, comment)
    appraisals: Vec<(i32, f64, String, String, String)>,
    /// (indicator, weight)
    indicators: Vec<(String, u32)>,
    year: i32,
    form: Filled,
}

async fn person_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    username: &str,
    form: Filled,
) -> Result<PersonPage, ApiError> {
    let (from, to) = workforce::period(None, None)?;
    let v = workforce::person(state, &staff.user, username, from, to).await?;
    let profile = &v.work.profile;
    Ok(PersonPage {
        username: profile.username.clone(),
        qualification: lang.t(profile.qualification.label_zh(), profile.qualification.label_en()).to_string(),
        started_on: profile.started_on.to_string(),
        left: profile.left_on.map(|d| format!("{d} · {}", profile.left_reason.clone().unwrap_or_default())),
        evaluated: v.work.work.evaluated,
        households_visited: v.work.work.households_visited,
        line: person_line(state, &lang, &v.work),
        trainings: v
            .trainings
            .iter()
            .map(|t| {
                (t.training.title.clone(), t.training.held_on.to_string(), t.certificate.clone().unwrap_or_default())
            })
            .collect(),
        appraisals: v
            .appraisals
            .iter()
            .map(|a| {
                let scores = a.scores.iter().map(u32::to_string).collect::<Vec<_>>().join(" / ");
                (
                    a.year,
                    f64::from(a.total_tenths) / 10.0,
                    lang.t(a.grade.label_zh(), a.grade.label_en()).to_string(),
                    scores,
                    a.comment.clone(),
                )
            })
            .collect(),
        indicators: INDICATORS.iter().map(|(_, zh, en, w)| (lang.t(zh, en).to_string(), *w)).collect(),
        year: chrono::Datelike::year(&grassroots_app::care::today()),
        form,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
}

pub async fn person(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    lang: Lang,
    uri: Uri,
    Path(username): Path<String>,
) -> Result<Html<String>, ApiError> {
    Ok(Html(person_page(&state, &staff, lang, &uri, &username, Filled::default()).await?.render()?))
}

/// The appraisal, or the record of leaving, by the `form` field.
pub async fn person_submit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    lang: Lang,
    uri: Uri,
    Path(username): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let done = match typed.value("form") {
        "leave" => {
            workforce::leave(&state, &staff.user, &username, typed.value("left_on"), typed.value("reason")).await
        }
        _ => {
            let scores: Vec<String> = typed.typed.all("scores").into_iter().map(str::to_string).collect();
            workforce::appraise_person(
                &state,
                &staff.user,
                &username,
                typed.value("year"),
                &scores,
                typed.value("comment"),
            )
            .await
            .map(|_| ())
        }
    };
    match done {
        Ok(()) => Ok(see_other(&format!("/workforce/staff/{username}"), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(person_page(&state, &staff, lang, &uri, &username, form).await?.render()?))
                .into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "staffing.html")]
struct StaffingPage {
    lang: Lang,
    chrome: Chrome,
    households_per_worker: i64,
    workers_per_grid: i64,
    lines: Vec<StaffingRow>,
    vacancies: i64,
    turnover: String,
    tenure: String,
}

pub async fn staffing(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    let v = workforce::staffing(&state, &staff.user).await?;
    let page = StaffingPage {
        households_per_worker: v.standard.households_per_worker,
        workers_per_grid: v.standard.workers_per_grid,
        vacancies: v.lines.iter().map(|l| l.vacancies).sum(),
        lines: v
            .lines
            .iter()
            .map(|l| {
                let c = &l.counts;
                StaffingRow {
                    name: place_name(&state, &lang, &c.community_code),
                    households: c.households,
                    grids: c.grids,
                    needed_workers: l.needed_workers,
                    workers: c.workers,
                    needed_grid_workers: l.needed_grid_workers,
                    grid_workers: c.grid_workers,
                    vacancies: l.vacancies,
                    left: c.left_last_year,
                }
            })
            .collect(),
        turnover: percent(v.turnover),
        tenure: v.mean_tenure_years.map_or_else(|| "—".to_string(), |y| format!("{y:.1}")),
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}
