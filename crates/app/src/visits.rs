//! 走访: a grid worker logs a household visit in one of their grids, and may raise a case
//! from it.

use chrono::{NaiveDate, Utc};
use grassroots_domain::case::{LocatedBy, Place};
use grassroots_domain::{Capability, RegionCode};
use grassroots_geo::placement::place_in;
use grassroots_store::{CreatedCase, GridRow, Household, HouseholdRef, NewVisit, User, Visit};

use crate::fields::short_text;
use crate::intake::{self, Report, Reporter};
use crate::{AppError, Platform, Result};

/// A visit as logged.
#[derive(Debug, Clone, Default)]
pub struct VisitLog {
    /// A household on record…
    pub household_id: Option<String>,
    /// …or one named for the first time (building, unit, flat; no personal names).
    pub household_label: Option<String>,
    /// Beijing date; today when absent.
    pub visited_on: Option<String>,
    pub topic: String,
    pub follow_up: Option<String>,
    /// A problem the visit raised, taken in as a case of this grid.
    pub raise_case: Option<RaisedCase>,
}

#[derive(Debug, Clone, Default)]
pub struct RaisedCase {
    pub description: String,
    pub category_code: Option<String>,
}

/// A grid's visits, newest first, and its households.
#[derive(Debug, Clone)]
pub struct GridVisits {
    pub visits: Vec<Visit>,
    pub households: Vec<Household>,
}

/// The visits and households of a grid in the staff member's scope. They are individual
/// records, like cases: leaders, who work with figures (DESIGN §2), see the grid's coverage,
/// not these. The API and the grid page both read them here.
pub async fn of_grid(platform: &Platform, user: &User, code: &str, limit: i64) -> Result<GridVisits> {
    crate::cases::require_case_work(user)?;
    grid_in_scope(platform, user, code).await?;
    let (visits, households) =
        tokio::try_join!(platform.store.visits(&user.scope, code, limit), platform.store.households(code))?;
    Ok(GridVisits { visits, households })
}

/// The grid `code`, if it is one of the worker's (any other is not found).
pub async fn grid_in_scope(platform: &Platform, user: &User, code: &str) -> Result<GridRow> {
    if !user.scope.covers_place(code) {
        return Err(AppError::NotFound);
    }
    platform.store.grid(code).await?.ok_or(AppError::NotFound)
}

/// Logs the visit; a raised case is taken in first, so a failed visit loses no report.
#[tracing::instrument(skip_all, fields(worker = %worker.username, grid = grid_code))]
pub async fn record(
    platform: &Platform,
    worker: &User,
    grid_code: &str,
    log: VisitLog,
) -> Result<(Visit, Option<CreatedCase>)> {
    if !worker.role.may(Capability::RecordVisits) {
        return Err(AppError::lacks(Capability::RecordVisits));
    }
    let grid = grid_in_scope(platform, worker, grid_code).await?;
    let household = match (log.household_id.as_deref(), log.household_label.as_deref()) {
        (Some(id), None) => HouseholdRef::Id(
            uuid::Uuid::parse_str(id.trim())
                .map_err(|_| AppError::invalid("household_id", "住户编号无效", "not a household id"))?,
        ),
        (None, Some(label)) => HouseholdRef::Label(short_text("household_label", label, 60)?),
        _ => {
            return Err(AppError::invalid(
                "household_id",
                "请选择住户（household_id）或填写门牌（household_label），二选一",
                "give either household_id or household_label",
            ))
        }
    };
    let visited_on = visit_date(log.visited_on.as_deref())?;
    let topic = short_text("topic", &log.topic, 100)?;
    let follow_up = log
        .follow_up
        .as_deref()
        .filter(|f| !f.trim().is_empty())
        .map(|f| short_text("follow_up", f, 1000))
        .transpose()?;
    let created = match log.raise_case {
        Some(raised) => Some(raise(platform, worker, &grid, raised, "走访发现").await?),
        None => None,
    };
    let visit = NewVisit {
        grid_code: grid.code,
        household,
        visited_on,
        topic,
        follow_up,
        case_id: created.as_ref().map(|c| c.id),
    };
    let visit = platform.store.record_visit(&worker.actor(), &visit, Utc::now()).await?;
    Ok((visit, created))
}

/// A visit's date: today unless given, within the past year and not in the future.
fn visit_date(given: Option<&str>) -> Result<NaiveDate> {
    let today = crate::care::today();
    match given {
        None => Ok(today),
        Some(d) => NaiveDate::parse_from_str(d.trim(), "%Y-%m-%d")
            .ok()
            .filter(|d| *d <= today && *d > today - chrono::Duration::days(366))
            .ok_or_else(|| {
                AppError::invalid(
                    "visited_on",
                    "日期应为YYYY-MM-DD，且在一年之内、不晚于今天",
                    "a date YYYY-MM-DD within the past year",
                )
            }),
    }
}

/// Takes in a problem found at a household of the grid as a case of the grid, placed by the
/// worker; `found_by` says how (走访发现, 党员联户发现) in its address.
pub(crate) async fn raise(
    platform: &Platform,
    worker: &User,
    grid: &GridRow,
    raised: RaisedCase,
    found_by: &str,
) -> Result<CreatedCase> {
    let address = format!("{}（{found_by}）", grid.name);
    let place = Place {
        located_by: Some(LocatedBy::Patrol),
        address: Some(address.clone()),
        ..place_in(&RegionCode::parse(&grid.code)?)
    };
    let report = Report {
        description: raised.description,
        category_code: raised.category_code,
        address: Some(address),
        place: Some(place),
        ..Report::default()
    };
    intake::submit(platform, Reporter::Staff(worker), report).await
}
