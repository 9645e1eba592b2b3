//! 政府购买服务 as pages: every project with its budget, paid and progress, in public; staff who
//! match help open one for a unit of their places. A project's page shows the plan against
//! what was delivered — each indicator's target, actual and what the calendar expects by today
//! — the milestones and their payments, the reports, the residents' satisfaction with the
//! provider's help, and the evaluation; staff of the place report, mark milestones and evaluate.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::projects::{self, ProjectForm};
use grassroots_domain::charity::yuan;
use grassroots_domain::helpers::{HelperKind, HelperState};
use grassroots_domain::projects::{expected_by, phase};
use grassroots_store::projects::Project;
use uuid::Uuid;

use super::{beijing_minutes, place_name, see_other, Chrome, Filled, Lang};
use crate::api::id_in_path;
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::session::{need, Can, MaybeStaff, Staff};
use crate::AppState;

/// A project as a line of the list.
struct ProjectLine {
    href: String,
    name: String,
    provider: String,
    place: String,
    phase: String,
    phase_code: &'static str,
    budget: String,
    paid: String,
    period: String,
}

fn project_line(state: &AppState, lang: &Lang, p: &Project) -> ProjectLine {
    let now = phase(p.starts_on, p.ends_on, p.evaluation.is_some(), grassroots_app::care::today());
    ProjectLine {
        href: format!("/projects/{}", p.id),
        name: p.name.clone(),
        provider: p.provider_name.clone(),
        place: place_name(state, lang, &p.region_code),
        phase: lang.t(now.label_zh(), now.label_en()).to_string(),
        phase_code: now.as_str(),
        budget: yuan(p.budget_fen),
        paid: yuan(p.paid_fen),
        period: format!("{} — {}", p.starts_on, p.ends_on),
    }
}

#[derive(Template)]
#[template(path = "projects.html")]
struct ProjectsPage {
    lang: Lang,
    chrome: Chrome,
    projects: Vec<ProjectLine>,
    /// For staff who may open one: (id, name) of the units of their places, and of the
    /// verified organisations.
    units: Vec<(String, String)>,
    providers: Vec<(String, String)>,
    form: Filled,
}

async fn projects_page(
    state: &AppState,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    form: Filled,
) -> Result<ProjectsPage, ApiError> {
    let listed = projects::list(state).await?;
    let coordinator = staff.filter(|s| s.may(grassroots_domain::Capability::CoordinateHelp));
    let (units, providers) = match coordinator {
        None => (Vec::new(), Vec::new()),
        Some(s) => {
            let reference = state.reference();
            let units = reference
                .units
                .iter()
                .filter(|u| s.user.scope.covers_place(&u.region_code))
                .map(|u| (u.id.clone(), lang.t(&u.name_zh, &u.name_en).to_string()))
                .collect();
            let providers = grassroots_app::helpers::list(state, &s.user, Some(HelperState::Verified.as_str()))
                .await?
                .into_iter()
                .filter(|h| matches!(h.kind, HelperKind::Organisation | HelperKind::SelfOrganisation))
                .map(|h| (h.id.to_string(), h.shown_name))
                .collect();
            (units, providers)
        }
    };
    Ok(ProjectsPage {
        projects: listed.iter().map(|p| project_line(state, &lang, p)).collect(),
        units,
        providers,
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
    Ok(Html(projects_page(&state, staff.as_ref(), lang, &uri, Filled::default()).await?.render()?))
}

pub async fn create(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let typed = Filled::new(fields);
    let form = ProjectForm {
        purchaser_unit: typed.value("purchaser_unit").to_string(),
        provider_id: typed.value("provider_id").to_string(),
        name: typed.value("name").to_string(),
        budget: typed.value("budget").to_string(),
        starts_on: typed.value("starts_on").to_string(),
        ends_on: typed.value("ends_on").to_string(),
        indicators: typed.value("indicators").to_string(),
        milestones: typed.value("milestones").to_string(),
    };
    match projects::create(&state, &staff.user, form).await {
        Ok(p) => Ok(see_other(&format!("/projects/{}", p.id), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            Ok((status, Html(projects_page(&state, Some(&staff), lang, &uri, form).await?.render()?)).into_response())
        }
    }
}

/// An indicator as the page shows it: planned, delivered, expected by today.
struct IndicatorLine {
    name: String,
    unit: String,
    target: i64,
    actual: i64,
    expected: i64,
    percent: i64,
    behind: bool,
}

/// A milestone as the page shows it.
struct MilestoneLine {
    seq: usize,
    name: String,
    due: String,
    payment: String,
    requires: String,
    reached: Option<String>,
}

#[derive(Template)]
#[template(path = "project.html")]
struct ProjectPage {
    lang: Lang,
    chrome: Chrome,
    id: String,
    line: ProjectLine,
    purchaser: String,
    indicators: Vec<IndicatorLine>,
    milestones: Vec<MilestoneLine>,
    /// (when, note, amounts as "服务人次 +120、…")
    reports: Vec<(String, String, String)>,
    needs_confirmed: i64,
    mean_rating: Option<String>,
    /// (evaluator, score, grade, summary)
    evaluation: Option<(String, u8, String, String)>,
    keeps: bool,
    form: Filled,
}

fn project_page(
    state: &AppState,
    staff: Option<&Staff>,
    lang: Lang,
    uri: &Uri,
    p: Project,
    form: Filled,
) -> ProjectPage {
    let today = grassroots_app::care::today();
    let reference = state.reference();
    let names: Vec<String> = p.indicators.iter().map(|i| i.indicator.name.clone()).collect();
    ProjectPage {
        id: p.id.to_string(),
        line: project_line(state, &lang, &p),
        purchaser: reference
            .unit(&p.purchaser_unit)
            .map_or_else(|| p.purchaser_unit.clone(), |u| lang.t(&u.name_zh, &u.name_en).to_string()),
        indicators: p
            .indicators
            .iter()
            .map(|i| {
                let expected = expected_by(i.indicator.target, p.starts_on, p.ends_on, today);
                IndicatorLine {
                    name: i.indicator.name.clone(),
                    unit: i.indicator.unit.clone(),
                    target: i.indicator.target,
                    actual: i.actual,
                    expected,
                    percent: i.actual * 100 / i.indicator.target.max(1),
                    behind: i.actual < expected,
                }
            })
            .collect(),
        milestones: p
            .milestones
            .iter()
            .enumerate()
            .map(|(seq, m)| MilestoneLine {
                seq,
                name: m.milestone.name.clone(),
                due: m.milestone.due_on.to_string(),
                payment: yuan(m.milestone.payment_fen),
                requires: m
                    .milestone
                    .requires
                    .map(|(at, least)| format!("{} ≥ {least}", names.get(at).cloned().unwrap_or_default()))
                    .unwrap_or_default(),
                reached: m.reached_at.map(beijing_minutes),
            })
            .collect(),
        reports: p
            .reports
            .iter()
            .rev()
            .map(|r| {
                let amounts =
                    names.iter().zip(&r.amounts).map(|(n, a)| format!("{n} +{a}")).collect::<Vec<_>>().join("、");
                (beijing_minutes(r.at), r.note.clone(), amounts)
            })
            .collect(),
        needs_confirmed: p.needs_confirmed,
        mean_rating: p.mean_rating.map(|m| format!("{m:.1}")),
        evaluation: p.evaluation.as_ref().map(|e| {
            (
                e.evaluator.clone(),
                e.score,
                lang.t(e.grade.label_zh(), e.grade.label_en()).to_string(),
                e.summary.clone(),
            )
        }),
        keeps: projects::keeps(staff.map(|s| &s.user), &p),
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
    let p = projects::get(&state, id_in_path(&id)?).await?;
    Ok(Html(project_page(&state, staff.as_ref(), lang, &uri, p, Filled::default()).render()?))
}

/// After a staff member's move on a project: its page, or it again with the error.
async fn after(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    id: Uuid,
    typed: Filled,
    done: grassroots_app::Result<Project>,
) -> Result<Response, ApiError> {
    match done {
        Ok(_) => Ok(see_other(&format!("/projects/{id}"), None)),
        Err(e) => {
            let (status, form) = typed.refused(e, &lang)?;
            let p = projects::get(state, id).await?;
            Ok((status, Html(project_page(state, Some(staff), lang, uri, p, form).render()?)).into_response())
        }
    }
}

pub async fn report(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let amounts: Vec<String> = typed.typed.all("amounts").into_iter().map(str::to_string).collect();
    let done = projects::report(&state, &staff.user, id, &amounts, typed.value("note")).await;
    after(&state, &staff, lang, &uri, id, typed, done).await
}

pub async fn reach(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    Path((id, n)): Path<(String, usize)>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let done = projects::reach(&state, &staff.user, id, n).await;
    after(&state, &staff, lang, &uri, id, Filled::default(), done).await
}

pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    staff: Can<need::CoordinateHelp>,
    lang: Lang,
    uri: Uri,
    Path(id): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let id = id_in_path(&id)?;
    let typed = Filled::new(fields);
    let done = projects::evaluate(
        &state,
        &staff.user,
        id,
        typed.value("evaluator"),
        typed.value("score"),
        typed.value("summary"),
    )
    .await;
    after(&state, &staff, lang, &uri, id, typed, done).await
}
