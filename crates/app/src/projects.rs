//! 政府购买服务: staff who hold a street or district open a project their street office or a
//! department buys from a verified social organisation; staff of the place report what was
//! delivered, mark milestones reached (their payments made) and record the third party's
//! evaluation at the end; anyone reads the projects, their plan against what was delivered,
//! and the residents' satisfaction with the provider's help. Called alike by the JSON API and
//! the pages; the rules are `grassroots_domain::projects`.

use chrono::Utc;
use grassroots_domain::projects::{check_evaluation, Plan};
use grassroots_store::projects::Project;
use grassroots_store::{PlaceFilter, User};
use uuid::Uuid;

use crate::helpers::may_coordinate;
use crate::{AppError, Platform, Result};

const LISTED: i64 = 200;

/// A project as staff open it.
#[derive(Debug, Clone, Default)]
pub struct ProjectForm {
    /// The unit that buys it: a street office or a district department.
    pub purchaser_unit: String,
    pub provider_id: String,
    pub name: String,
    /// Yuan.
    pub budget: String,
    pub starts_on: String,
    pub ends_on: String,
    /// One a line: `name|unit|target`.
    pub indicators: String,
    /// One a line: `name|YYYY-MM-DD|yuan|indicator>=N` (the last part optional).
    pub milestones: String,
}

pub async fn create(platform: &Platform, staff: &User, form: ProjectForm) -> Result<Project> {
    may_coordinate(staff)?;
    let reference = platform.reference();
    let unit = reference
        .unit(form.purchaser_unit.trim())
        .ok_or_else(|| AppError::invalid("purchaser_unit", "请选择购买服务的单位", "choose the unit that buys it"))?;
    let provider = Uuid::parse_str(form.provider_id.trim()).map_err(|_| {
        AppError::invalid("provider", "请选择承接的社会组织", "choose the organisation that provides it")
    })?;
    let plan =
        Plan::check(&form.name, &form.budget, &form.starts_on, &form.ends_on, &form.indicators, &form.milestones)?;
    match platform.store.create_project(&staff.actor(), &unit.id, &unit.region_code, provider, &plan, Utc::now()).await
    {
        Err(grassroots_store::StoreError::NotFound) => Err(AppError::invalid(
            "purchaser_unit",
            "只能为您负责的街道或区的单位立项",
            "open projects for units of the places you hold",
        )),
        created => Ok(created?),
    }
}

/// Every project, newest first.
pub async fn list(platform: &Platform) -> Result<Vec<Project>> {
    Ok(platform.store.projects(&PlaceFilter::Everywhere, LISTED).await?)
}

pub async fn get(platform: &Platform, id: Uuid) -> Result<Project> {
    platform.store.project(id).await?.ok_or(AppError::NotFound)
}

/// Whether a staff member keeps this project: they match help and reach its place.
pub fn keeps(staff: Option<&User>, project: &Project) -> bool {
    staff.is_some_and(|s| may_coordinate(s).is_ok() && s.scope.reaches(&project.region_code))
}

/// Reports what was delivered of each indicator (one amount each, in order).
pub async fn report(platform: &Platform, staff: &User, id: Uuid, amounts: &[String], note: &str) -> Result<Project> {
    may_coordinate(staff)?;
    let amounts = amounts
        .iter()
        .map(|a| match a.trim() {
            "" => Ok(0),
            a => a
                .parse::<i64>()
                .map_err(|_| AppError::invalid("amounts", "完成数应为整数", "amounts are whole numbers")),
        })
        .collect::<Result<Vec<_>>>()?;
    let note = crate::fields::short_text("note", note, 1000)?;
    Ok(platform.store.report_project_progress(&staff.actor(), id, &amounts, &note, Utc::now()).await?)
}

/// Marks a milestone (by its place in the plan, from 0) reached and its payment made.
pub async fn reach(platform: &Platform, staff: &User, id: Uuid, milestone: usize) -> Result<Project> {
    may_coordinate(staff)?;
    Ok(platform.store.reach_milestone(&staff.actor(), id, milestone, Utc::now()).await?)
}

/// Records the third party's evaluation, once the contract has ended.
pub async fn evaluate(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    evaluator: &str,
    score: &str,
    summary: &str,
) -> Result<Project> {
    may_coordinate(staff)?;
    let project = get(platform, id).await?;
    let today = crate::care::today();
    let (evaluator, score, summary) = check_evaluation(evaluator, score, summary, project.ends_on, today)?;
    Ok(platform.store.evaluate_project(&staff.actor(), id, (&evaluator, score, &summary), Utc::now()).await?)
}
