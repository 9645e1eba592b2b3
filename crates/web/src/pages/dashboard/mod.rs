//! The dashboard (数据看板) for leaders and supervisors: the three rates for a region over a
//! chosen period with their formulas and counts, per street and per unit; a weekly trend;
//! categories by volume; overdue cases by unit; a map of the region's parts. Each section is
//! a module that reads what it shows; the sections are read at the same time. Charts are SVG
//! drawn by the server.

mod charts;
mod disputes;
pub mod forecast;
mod headline;
mod participation;
mod party;
mod shading;
mod tables;
mod trend;
mod warnings;

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use grassroots_domain::calendar::beijing;
use grassroots_domain::rates::{RateCounts, Rates};
use grassroots_domain::{RegionCode, Scope};
use grassroots_geo::atlas::Atlas;
use grassroots_store::{RateFilter, Reference};
use serde::Deserialize;

use super::map::home_region;
use super::{encode, percent, Chrome, Lang};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::session::{need, Can};
use crate::AppState;
use grassroots_app::fields::time as parse_time;

/// The longest period the dashboard shows at once.
const MAX_DAYS: i64 = 366;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DashboardParams {
    region: Option<String>,
    from: Option<String>,
    to: Option<String>,
    /// What the map shades: `volume` (default) or `overdue`.
    shade: Option<String>,
}

/// One rate with what it is made of.
pub struct RateCell {
    pub value: String,
    pub count: String,
}

pub struct RateRow {
    pub name: String,
    pub href: Option<String>,
    pub dispatched: i64,
    pub cells: Vec<RateCell>,
}

fn cells(counts: RateCounts) -> Vec<RateCell> {
    let rates = Rates::from_counts(counts);
    [rates.response, rates.resolution, rates.satisfaction]
        .into_iter()
        .map(|r| RateCell { value: percent(r.value), count: format!("{}/{}", r.numerator, r.denominator) })
        .collect()
}

/// What every section reads and draws with: the region, the period, the caller's scope.
struct Board<'a> {
    state: &'a AppState,
    scope: &'a Scope,
    region: RegionCode,
    from_day: NaiveDate,
    to_day: NaiveDate,
    filter: RateFilter,
    lang: Lang,
    reference: Arc<Reference>,
    atlas: Arc<Atlas>,
}

impl Board<'_> {
    /// A dashboard link for a region, with this period and, when given, a shading.
    fn link(&self, region: &str, shade: Option<&str>) -> String {
        let (from, to) = (self.from_day.to_string(), self.to_day.to_string());
        let mut pairs = vec![("region", region)];
        pairs.extend(shade.map(|s| ("shade", s)));
        pairs.extend([("from", from.as_str()), ("to", to.as_str())]);
        format!("/dashboard?{}", encode(&pairs))
    }
}

/// The period asked for: the last 30 days by default, at most a year.
fn period(p: &DashboardParams) -> Result<(NaiveDate, NaiveDate), ApiError> {
    let today = Utc::now().with_timezone(&beijing()).date_naive();
    let day = |field: &'static str, raw: Option<&str>, default: NaiveDate| -> Result<NaiveDate, ApiError> {
        match raw.map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => NaiveDate::parse_from_str(r, "%Y-%m-%d")
                .ok()
                .filter(|d| (2000..=2100).contains(&d.year()))
                .ok_or_else(|| {
                    ApiError::field(
                        field,
                        "日期格式应为YYYY-MM-DD（2000至2100年）",
                        "a date YYYY-MM-DD, years 2000 to 2100",
                    )
                }),
            None => Ok(default),
        }
    };
    let to_day = day("to", p.to.as_deref(), today)?;
    let from_day = day("from", p.from.as_deref(), to_day - Duration::days(29))?;
    if from_day > to_day {
        return Err(ApiError::field("to", "结束日期应不早于开始日期", "must not be before from"));
    }
    if (to_day - from_day).num_days() >= MAX_DAYS {
        return Err(ApiError::field("from", "时段最长一年", "the period is at most a year"));
    }
    Ok((from_day, to_day))
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    lang: Lang,
    chrome: Chrome,
    title: String,
    region: String,
    from: String,
    to: String,
    headline: headline::Headlines,
    tables: tables::Tables,
    trend: String,
    charts: charts::Charts,
    map_href: String,
    forecast_href: String,
    shading: shading::Shading,
    warnings: Vec<warnings::WarningCount>,
    participation: participation::Participation,
    disputes: disputes::Disputes,
    party: party::Party,
    /// Whether the reader mediates disputes, and may open their high-risk queue.
    mediates: bool,
    /// Whether the reader works on cases, and may open the warnings' queue.
    works_on_cases: bool,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> Result<Html<String>, ApiError> {
    let atlas = state.atlas();
    let region = match p.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(code) => RegionCode::parse(code)?,
        None => home_region(&staff.user.scope, &atlas, state.placer().districts()).ok_or_else(ApiError::not_found)?,
    };
    let (from_day, to_day) = period(&p)?;
    let shade_overdue = shading::overdue(p.shade.as_deref())?;
    let filter = RateFilter {
        region: Some(region.clone()),
        from: Some(parse_time("from", &from_day.to_string(), false)?),
        to: Some(parse_time("to", &to_day.to_string(), true)?),
        ..Default::default()
    };
    let reference = state.reference();
    let board =
        Board { state: &state, scope: &staff.user.scope, region, from_day, to_day, filter, lang, reference, atlas };
    let (headline, tables, trend, charts, shading, warnings, participation, disputes, party) = tokio::try_join!(
        headline::read(&board),
        tables::read(&board),
        trend::read(&board),
        charts::read(&board),
        shading::read(&board, shade_overdue),
        warnings::read(&board),
        participation::read(&board),
        disputes::read(&board),
        party::read(&board),
    )?;
    let region = board.region.as_str();
    let page = DashboardPage {
        title: board.atlas.outline(region).map_or(region.to_string(), |o| o.name.clone()),
        region: region.to_string(),
        from: from_day.to_string(),
        to: to_day.to_string(),
        headline,
        tables,
        trend,
        charts,
        map_href: format!("/map?{}", encode(&[("region", region), ("shade", "overdue")])),
        forecast_href: format!("/dashboard/forecast?{}", encode(&[("region", region)])),
        shading,
        warnings,
        participation,
        disputes,
        party,
        mediates: staff.may(grassroots_domain::Capability::MediateDisputes),
        works_on_cases: staff.may(grassroots_domain::Capability::WorkOnCases),
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}
