//! A grid's page (网格): its worker, its cases, its visits and its rates, with a map of the
//! grid among its neighbours.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::Uri;
use axum::response::Html;
use chrono::Utc;
use grassroots_domain::rates::{Rate, Rates};
use grassroots_domain::{Capability, RegionCode, RegionLevel};
use grassroots_store::{CaseFilter, RateFilter};

use super::map::case_dot;
use super::{beijing_minutes, category_name, percent, Chrome, Lang};
use crate::error::ApiError;
use crate::session::Staff;
use crate::svg::{square_around, Area, Frame, Map, Palette};
use crate::AppState;
use grassroots_app::visits::grid_in_scope;

/// How far around the grid its map reaches, as a share of the grid's larger side.
const SURROUNDINGS: f64 = 0.6;
const LISTED: u32 = 20;

pub struct Worker {
    pub name: String,
    pub username: String,
}

pub struct RateLine {
    pub name: String,
    pub value: String,
    pub numerator: i64,
    pub denominator: i64,
    pub formula: String,
}

pub struct CaseLine {
    pub tracking_no: String,
    pub category: String,
    pub state: String,
    pub overdue: bool,
    pub received: String,
    pub on_spot: bool,
    pub description: String,
}

pub struct VisitLine {
    pub date: String,
    pub household: String,
    pub topic: String,
    pub follow_up: String,
    pub worker: String,
    pub raised_case: bool,
}

#[derive(Template)]
#[template(path = "grid.html")]
struct GridPage {
    lang: Lang,
    chrome: Chrome,
    name: String,
    code: String,
    community: String,
    street: String,
    map_href: String,
    synthetic: bool,
    area_km2: String,
    workers: Vec<Worker>,
    svg: String,
    households: i64,
    coverage_30: String,
    coverage_90: String,
    rates: Vec<RateLine>,
    patrol_reports: i64,
    patrol_on_spot: i64,
    cases: Vec<CaseLine>,
    visits: Vec<VisitLine>,
    /// Leaders see the grid's figures, not its individual cases and visits (DESIGN §2).
    individual_cases: bool,
}

fn rate_line(rate: &Rate, lang: &Lang) -> RateLine {
    RateLine {
        name: lang.t(rate.name_zh, rate.name_en).to_string(),
        value: percent(rate.value),
        numerator: rate.numerator,
        denominator: rate.denominator,
        formula: lang.t(rate.formula_zh, rate.formula_en).to_string(),
    }
}

fn clip(text: &str, chars: usize) -> String {
    if text.chars().count() <= chars {
        text.to_string()
    } else {
        format!("{}…", text.chars().take(chars).collect::<String>())
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
    Path(code): Path<String>,
) -> Result<Html<String>, ApiError> {
    let grid = grid_in_scope(&state, &staff.user, &code).await?;
    let region = RegionCode::parse(&grid.code)?;
    let (scope, now, atlas) = (&staff.user.scope, Utc::now(), state.atlas());
    let last_90_days =
        RateFilter { region: Some(region.clone()), from: Some(now - chrono::Duration::days(90)), ..Default::default() };
    // Leaders see the grid's figures, not its individual cases and visits (DESIGN §2).
    let individual_cases = staff.may(Capability::WorkOnCases);
    let store = &state.store;
    let (workers, coverage, counts, patrol) = tokio::try_join!(
        store.grid_workers(&grid.code),
        store.coverage(&grid.code, now),
        store.rate_counts(scope, &last_90_days),
        store.patrol_counts(scope, &last_90_days),
    )?;
    let listed = listed(&state, &staff.user, &grid.code, &last_90_days, individual_cases).await?;
    let (households, coverage_30, coverage_90) = coverage.first().map_or((0, percent(None), percent(None)), |c| {
        let share = |n: i64| percent((c.households > 0).then(|| n as f64 / c.households as f64));
        (c.households, share(c.visited_30_days), share(c.visited_90_days))
    });
    let reference = state.reference();
    let rates = Rates::from_counts(counts);
    let name_of = |level: RegionLevel| {
        region.ancestor(level).and_then(|c| atlas.outline(c.as_str()).map(|o| o.name.clone())).unwrap_or_default()
    };
    let community_code = region.parent().map(|c| c.as_str().to_string()).unwrap_or_default();
    let page = GridPage {
        name: grid.name.clone(),
        code: grid.code.clone(),
        community: name_of(RegionLevel::Community),
        street: name_of(RegionLevel::Township),
        map_href: format!("/map?region={community_code}"),
        synthetic: grid.synthetic,
        area_km2: format!("{:.2}", grid.area_m2 / 1e6),
        workers: workers.into_iter().map(|u| Worker { name: u.display_name, username: u.username }).collect(),
        svg: surroundings(&atlas, &grid.name, &region, &listed.points, &reference, &lang),
        households,
        coverage_30,
        coverage_90,
        rates: [&rates.response, &rates.resolution, &rates.satisfaction]
            .into_iter()
            .map(|r| rate_line(r, &lang))
            .collect(),
        patrol_reports: patrol.reports,
        patrol_on_spot: patrol.resolved_on_spot,
        cases: listed.cases.iter().map(|c| case_line(&c.record, &reference, &lang)).collect(),
        visits: listed.visits.into_iter().map(visit_line).collect(),
        individual_cases,
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}

/// The grid's individual cases, visits and case points, for those who may see them.
struct Listed {
    cases: Vec<grassroots_store::CaseSummary>,
    visits: Vec<grassroots_store::Visit>,
    points: Vec<grassroots_store::CasePoint>,
}

async fn listed(
    state: &AppState,
    user: &grassroots_store::User,
    grid_code: &str,
    last_90_days: &RateFilter,
    individual_cases: bool,
) -> Result<Listed, ApiError> {
    if !individual_cases {
        return Ok(Listed { cases: Vec::new(), visits: Vec::new(), points: Vec::new() });
    }
    let filter = CaseFilter { region: last_90_days.region.clone(), limit: LISTED, ..Default::default() };
    let (page, points) = tokio::try_join!(
        state.store.list_cases(&user.scope, &filter),
        state.store.case_points(&user.scope, last_90_days, 500),
    )?;
    let visits = grassroots_app::visits::of_grid(state, user, grid_code, LISTED.into()).await?.visits;
    Ok(Listed { cases: page.cases, visits, points })
}

fn case_line(r: &grassroots_domain::CaseRecord, reference: &grassroots_store::Reference, lang: &Lang) -> CaseLine {
    CaseLine {
        tracking_no: r.tracking_no.clone(),
        category: category_name(reference, &r.category_code, lang),
        state: lang.t(r.state.label_zh(), r.state.label_en()).to_string(),
        overdue: r.due_status == grassroots_domain::DueStatus::Overdue && r.state.is_pending(),
        received: beijing_minutes(r.received_at),
        on_spot: r.resolved_on_spot,
        description: clip(&r.description, 60),
    }
}

fn visit_line(v: grassroots_store::Visit) -> VisitLine {
    VisitLine {
        date: v.visited_on.to_string(),
        household: v.household_label,
        topic: v.topic,
        follow_up: v.follow_up.unwrap_or_default(),
        worker: v.worker,
        raised_case: v.case_id.is_some(),
    }
}

/// The grid, highlighted, among the grids around it, with its cases as points.
fn surroundings(
    atlas: &grassroots_geo::atlas::Atlas,
    name: &str,
    region: &RegionCode,
    points: &[grassroots_store::CasePoint],
    reference: &grassroots_store::Reference,
    lang: &Lang,
) -> String {
    let Some(here) = atlas.outline(region.as_str()) else { return String::new() };
    // A square of ground around the grid, however long and thin the grid is.
    let (w, s, e, n) = here.bbox;
    let squash = ((s + n) / 2.0).to_radians().cos();
    let half = ((e - w) * squash).max(n - s) * (0.5 + SURROUNDINGS);
    let bbox = square_around(((w + e) / 2.0, (s + n) / 2.0), half);
    let areas = atlas
        .grids_overlapping(bbox)
        .into_iter()
        .map(|g| {
            let is_here = g.code == *region;
            Area {
                polygons: &g.polygons,
                fill: if is_here { Palette::Greens.colours()[1] } else { "#f7f7f7" },
                href: (!is_here).then(|| format!("/grids/{}", g.code.as_str())),
                title: g.name.clone(),
                label: None,
            }
        })
        .collect();
    Map {
        frame: Frame::fit(bbox, 640.0),
        label: name.to_string(),
        areas,
        lines: Vec::new(),
        dots: points.iter().map(|p| case_dot(p, reference, lang)).collect(),
        landmarks: atlas.landmarks(),
        approximate: atlas.is_approximate(),
    }
    .to_svg()
}
