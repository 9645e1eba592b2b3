//! The dashboard (数据看板) for leaders and supervisors: the three rates for a region over a
//! chosen period with their formulas and counts, per street and per unit; a weekly trend;
//! categories by volume; overdue cases by unit. Charts are SVG drawn by the server.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;
use chrono::{Datelike, Duration, NaiveDate, Utc};
use grassroots_domain::calendar::beijing;
use grassroots_domain::rates::{RateCounts, Rates};
use grassroots_domain::{RegionCode, RegionLevel};
use grassroots_store::{Grouping, RateFilter};
use serde::Deserialize;

use super::map::home_region;
use super::{category_name, encode, percent, unit_name, Chrome, Lang};
use crate::api::stats::parse_time;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::session::{need, Can};
use crate::svg::{bar_chart, line_chart, Area, Classes, Frame, Map, Palette, NO_DATA};
use crate::AppState;

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

pub struct Headline {
    pub name: String,
    pub value: String,
    pub numerator: i64,
    pub denominator: i64,
    pub formula: String,
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
    headlines: Vec<Headline>,
    dispatched: i64,
    patrol_reports: i64,
    patrol_on_spot: i64,
    rate_names: Vec<String>,
    streets: Vec<RateRow>,
    units: Vec<RateRow>,
    trend: String,
    categories: String,
    overdue: String,
    map_href: String,
    map: String,
    shade_overdue: bool,
    shade_hrefs: (String, String),
    legend: Vec<(&'static str, String)>,
}

fn cells(counts: RateCounts) -> Vec<RateCell> {
    let rates = Rates::from_counts(counts);
    [rates.response, rates.resolution, rates.satisfaction]
        .into_iter()
        .map(|r| RateCell { value: percent(r.value), count: format!("{}/{}", r.numerator, r.denominator) })
        .collect()
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<DashboardParams>,
) -> Result<Html<String>, ApiError> {
    let atlas = state.atlas();
    let placer = state.placer();
    let region = match p.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        Some(code) => RegionCode::parse(code)?,
        None => home_region(&staff.user.scope, &atlas, placer.districts()).ok_or(ApiError::not_found())?,
    };
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
    let filter = RateFilter {
        region: Some(region.clone()),
        from: Some(parse_time("from", &from_day.to_string(), false)?),
        to: Some(parse_time("to", &to_day.to_string(), true)?),
        ..Default::default()
    };
    let scope = &staff.user.scope;
    let reference = state.reference();
    let counts = state.store.rate_counts(scope, &filter).await?;
    let rates = Rates::from_counts(counts);
    let patrol = state.store.patrol_counts(scope, &filter).await?;
    let rate_names: Vec<String> = [&rates.response, &rates.resolution, &rates.satisfaction]
        .iter()
        .map(|r| lang.t(r.name_zh, r.name_en).to_string())
        .collect();
    let headlines = [&rates.response, &rates.resolution, &rates.satisfaction]
        .into_iter()
        .map(|r| Headline {
            name: lang.t(r.name_zh, r.name_en).to_string(),
            value: percent(r.value),
            numerator: r.numerator,
            denominator: r.denominator,
            formula: lang.t(r.formula_zh, r.formula_en).to_string(),
        })
        .collect();
    let period = [("from", from_day.to_string()), ("to", to_day.to_string())];
    // A dashboard link for a region, with this period and, when given, a shading.
    let link = |region: &str, shade: Option<&str>| {
        let mut pairs = vec![("region", region)];
        pairs.extend(shade.map(|s| ("shade", s)));
        pairs.extend(period.iter().map(|(k, v)| (*k, v.as_str())));
        format!("/dashboard?{}", encode(&pairs))
    };
    let href = |region: &str| link(region, None);

    // Per street, in a district's dashboard.
    let streets = if region.level() == RegionLevel::County {
        state
            .store
            .rate_counts_by(scope, &filter, Grouping::Street)
            .await?
            .into_iter()
            .map(|(code, c)| RateRow {
                name: atlas.outline(&code).map_or(code.clone(), |o| o.name.clone()),
                href: Some(href(&code)),
                dispatched: c.dispatched,
                cells: cells(c),
            })
            .collect()
    } else {
        Vec::new()
    };
    let unit_name = |id: &str| unit_name(&reference, id, &lang);
    let mut units: Vec<RateRow> = state
        .store
        .rate_counts_by(scope, &filter, Grouping::Unit)
        .await?
        .into_iter()
        .map(|(id, c)| RateRow { name: unit_name(&id), href: None, dispatched: c.dispatched, cells: cells(c) })
        .collect();
    units.sort_by_key(|u| std::cmp::Reverse(u.dispatched));

    // Weekly trend from the first day of the period.
    let weeks = ((to_day - from_day).num_days() / 7 + 1) as usize;
    let by_week = state.store.rate_counts_by(scope, &filter, Grouping::Week).await?;
    let mut per_week = vec![RateCounts::default(); weeks];
    for (key, c) in by_week {
        if let Some(slot) = key.parse::<usize>().ok().and_then(|i| per_week.get_mut(i)) {
            *slot = c;
        }
    }
    let labels: Vec<String> =
        (0..weeks).map(|i| (from_day + Duration::days(7 * i as i64)).format("%m-%d").to_string()).collect();
    let series = |pick: fn(&Rates) -> Option<f64>| per_week.iter().map(|c| pick(&Rates::from_counts(*c))).collect();
    let trend = line_chart(
        lang.t("三率周趋势", "The three rates by week"),
        &labels,
        &[
            (rate_names[0].clone(), "#08519c", series(|r| r.response.value)),
            (rate_names[1].clone(), "#31a354", series(|r| r.resolution.value)),
            (rate_names[2].clone(), "#de7b00", series(|r| r.satisfaction.value)),
        ],
    );

    // Categories by volume, overdue cases by unit.
    let mut by_category = state.store.case_counts_by(scope, &filter, Grouping::TopCategory).await?;
    by_category.sort_by_key(|c| std::cmp::Reverse(c.total));
    let category_rows: Vec<(String, f64, String)> = by_category
        .iter()
        .take(12)
        .map(|c| (category_name(&reference, &c.code, &lang), c.total as f64, c.total.to_string()))
        .collect();
    let mut by_unit = state.store.case_counts_by(scope, &filter, Grouping::Unit).await?;
    by_unit.retain(|u| u.overdue > 0);
    by_unit.sort_by_key(|u| std::cmp::Reverse(u.overdue));
    let overdue_rows: Vec<(String, f64, String)> =
        by_unit.iter().take(12).map(|u| (unit_name(&u.code), u.overdue as f64, u.overdue.to_string())).collect();

    // The map: the streets (or whatever lies one level down) shaded by volume or overdue share.
    let shade_overdue = match p.shade.as_deref() {
        None | Some("volume") => false,
        Some("overdue") => true,
        Some(_) => return Err(ApiError::field("shade", "可选：volume, overdue", "one of: volume, overdue")),
    };
    let children = atlas.children(&region);
    // One count for the level drawn: a district's streets, a street's communities.
    let drawn = match region.level() {
        RegionLevel::County => state.store.case_counts_by(scope, &filter, Grouping::Street).await?,
        RegionLevel::Township => state.store.region_counts(scope, RegionLevel::Community, &filter).await?,
        _ => Vec::new(),
    };
    let figures = |code: &str| drawn.iter().find(|c| c.code == code);
    let (classes, colours) = if shade_overdue {
        (Classes::shares(), Palette::Reds.colours())
    } else {
        let max = children.iter().filter_map(|c| figures(c.code.as_str())).map(|c| c.total).max().unwrap_or(0);
        (Classes::counts(max as f64), Palette::Blues.colours())
    };
    let areas = children
        .iter()
        .map(|c| {
            let f = figures(c.code.as_str());
            let value = match (shade_overdue, f) {
                (false, f) => Some(f.map_or(0, |f| f.total) as f64),
                (true, Some(f)) if f.total > 0 => Some(f.overdue as f64 / f.total as f64),
                (true, _) => None,
            };
            let figure = match value {
                None => lang.t("无数据", "no data").to_string(),
                Some(v) if shade_overdue => percent(Some(v)),
                Some(v) => format!("{v:.0} {}", lang.t("件", "cases")),
            };
            Area {
                polygons: &c.polygons,
                fill: value.map_or(NO_DATA, |v| colours[classes.class_of(v)]),
                href: (c.code.level() != RegionLevel::Grid).then(|| href(c.code.as_str())),
                title: format!("{}：{figure}", c.name),
                label: Some((c.name.clone(), c.label_at)),
            }
        })
        .collect::<Vec<_>>();
    let map = match atlas.outline(region.as_str()) {
        Some(here) if !areas.is_empty() => Map {
            frame: Frame::fit(here.bbox, 560.0),
            label: here.name.clone(),
            areas,
            lines: Vec::new(),
            dots: Vec::new(),
        }
        .to_svg(),
        _ => String::new(),
    };
    let legend = (0..5)
        .map(|i| {
            let (lo, hi) = (classes.bounds[i], classes.bounds[i + 1]);
            let range = if shade_overdue {
                format!("{}–{}", percent(Some(lo)), percent(Some(hi)))
            } else {
                format!("{lo:.0}–{hi:.0}")
            };
            (colours[i], range)
        })
        .collect();
    let shade_href = |shade: &str| link(region.as_str(), Some(shade));

    let page = DashboardPage {
        map,
        shade_overdue,
        shade_hrefs: (shade_href("volume"), shade_href("overdue")),
        legend,
        title: atlas.outline(region.as_str()).map_or(region.as_str().to_string(), |o| o.name.clone()),
        region: region.as_str().to_string(),
        from: from_day.to_string(),
        to: to_day.to_string(),
        headlines,
        dispatched: counts.dispatched,
        patrol_reports: patrol.reports,
        patrol_on_spot: patrol.resolved_on_spot,
        rate_names,
        streets,
        units,
        trend,
        categories: if category_rows.is_empty() {
            String::new()
        } else {
            bar_chart(lang.t("类别案件量", "Cases by category"), &category_rows, "#6baed6")
        },
        overdue: if overdue_rows.is_empty() {
            String::new()
        } else {
            bar_chart(lang.t("各单位超期案件", "Overdue cases by unit"), &overdue_rows, "#de2d26")
        },
        map_href: format!("/map?{}", encode(&[("region", region.as_str()), ("shade", "overdue")])),
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}
