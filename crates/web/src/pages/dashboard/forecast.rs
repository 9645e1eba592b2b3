//! 预见性: a region's (and, if chosen, a category's) cases of the last weeks beside the coming
//! four weeks' forecast, with the error the same forecasts made on the past eight weeks and
//! that of repeating last week's count. A page of its own, so the dashboard does not read two
//! years of cases each time it opens.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use grassroots_domain::calendar::beijing;
use grassroots_domain::forecast::{backtest, forecast, Backtest};
use grassroots_domain::RegionCode;
use grassroots_store::{Grouping, RateFilter};
use serde::Deserialize;

use super::super::map::home_region;
use super::super::work::{category_choices, FilterGroup};
use super::super::{category_name, Chrome, Lang};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::session::{need, Can};
use crate::AppState;
use grassroots_app::fields::time as parse_time;

/// Weeks of history read: two years, so that last year's season is known.
const HISTORY_WEEKS: i64 = 104;
/// Weeks shown before the forecast, and weeks forecast.
const SHOWN_WEEKS: usize = 8;
const HORIZON: usize = 4;
/// Past weeks the forecasts are checked on.
const CHECKED_WEEKS: usize = 8;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ForecastParams {
    region: Option<String>,
    category: Option<String>,
}

/// A week of the table: its first day, and the count received or forecast.
pub struct WeekLine {
    pub week: String,
    pub count: String,
    pub forecast: bool,
}

#[derive(Template)]
#[template(path = "forecast.html")]
struct ForecastPage {
    lang: Lang,
    chrome: Chrome,
    title: String,
    region: String,
    categories: Vec<FilterGroup>,
    lines: Vec<WeekLine>,
    checked: Option<Backtest>,
    weeks_known: usize,
}

/// The Monday (Beijing time) of the week holding `day`.
fn monday(day: NaiveDate) -> NaiveDate {
    day - Duration::days(i64::from(day.weekday().num_days_from_monday()))
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<ForecastParams>,
) -> Result<Html<String>, ApiError> {
    let (atlas, reference) = (state.atlas(), state.reference());
    let region = match p.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(code) => RegionCode::parse(code)?,
        None => home_region(&staff.user.scope, &atlas, state.placer().districts()).ok_or_else(ApiError::not_found)?,
    };
    let category = p.category.as_deref().map(str::trim).filter(|c| !c.is_empty()).map(str::to_string);
    if let Some(code) = &category {
        if reference.taxonomy.get(code).is_none() {
            return Err(ApiError::field(
                "category",
                format!("未知的类别代码“{code}”"),
                format!("unknown category code '{code}'"),
            ));
        }
    }
    // Whole weeks, the current one left out: it is not over.
    let this_week = monday(Utc::now().with_timezone(&beijing()).date_naive());
    let first = this_week - Duration::weeks(HISTORY_WEEKS);
    let filter = RateFilter {
        region: Some(region.clone()),
        category: category.clone(),
        from: Some(parse_time("from", &first.to_string(), false)?),
        to: Some(parse_time("to", &this_week.to_string(), false)?),
        ..Default::default()
    };
    let counted = state.store.case_counts_by(&staff.user.scope, &filter, Grouping::Week).await?;
    let mut weeks = vec![0.0; HISTORY_WEEKS as usize];
    for c in counted {
        if let Some(slot) = c.code.parse::<usize>().ok().and_then(|i| weeks.get_mut(i)) {
            *slot = c.total as f64;
        }
    }
    // Weeks before the first case are weeks the platform did not serve, not quiet ones.
    let known = weeks.iter().position(|c| *c > 0.0).map_or(&weeks[..0], |i| &weeks[i..]);
    let ahead = forecast(known, HORIZON);
    let week_of = |i: i64| (this_week + Duration::weeks(i)).format("%m-%d").to_string();
    let mut lines: Vec<WeekLine> = known
        .iter()
        .enumerate()
        .skip(known.len().saturating_sub(SHOWN_WEEKS))
        .map(|(i, c)| WeekLine {
            week: week_of(i as i64 - known.len() as i64),
            count: format!("{c:.0}"),
            forecast: false,
        })
        .collect();
    lines.extend(ahead.iter().enumerate().map(|(h, f)| WeekLine {
        week: week_of(h as i64),
        count: format!("{f:.1}"),
        forecast: true,
    }));
    let name = atlas.outline(region.as_str()).map_or(region.as_str().to_string(), |o| lang.place(&o.name));
    let title = match &category {
        Some(code) => format!("{name} · {}", category_name(&reference, code, &lang)),
        None => name,
    };
    let page = ForecastPage {
        title,
        region: region.as_str().to_string(),
        categories: category_choices(&reference, &lang, category.as_deref()),
        lines,
        checked: backtest(known, CHECKED_WEEKS),
        weeks_known: known.len(),
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}
