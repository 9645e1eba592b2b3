//! A grid's page (网格): its worker, its cases, its visits and its rates, with a map of the
//! grid among its neighbours.

use std::sync::Arc;

use askama::Template;
use axum::extract::{Path, State};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use grassroots_domain::rates::{Rate, Rates};
use grassroots_domain::{Capability, RegionCode, RegionLevel};
use grassroots_store::{CaseFilter, RateFilter};

use super::map::case_dot;
use super::{beijing_minutes, category_name, encode, form_error, percent, see_other, Chrome, FormError, Lang};
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::svg::{square_around, Area, Frame, Map, Palette};
use crate::AppState;
use grassroots_app::visits::{grid_in_scope, RaisedCase, VisitLog};
use grassroots_domain::visits::{purpose_in_english, COMMON_PURPOSES};
use serde::Deserialize;

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
    pub href: String,
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
    /// The visit form, for those who record visits here.
    visit_form: Option<VisitForm>,
    /// People in care of the grid, and those whose visit is overdue, for those who care.
    care: Option<(i64, i64)>,
    /// A visit was just recorded (with the case it raised, if any).
    visited: Option<String>,
}

/// Recording a household visit from the grid page.
pub struct VisitForm {
    /// The grid's households, suggested as the visit's household.
    pub households: Vec<String>,
    /// Common purposes, suggested.
    pub purposes: Vec<String>,
    pub typed: Vec<(String, String)>,
    pub error: Option<FormError>,
}

impl VisitForm {
    pub fn value(&self, name: &str) -> &str {
        self.typed.iter().find(|(k, _)| k == name).map_or("", |(_, v)| v.as_str())
    }

    pub fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }
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

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GridParams {
    /// The tracking number of the case a just-recorded visit raised, or "yes".
    visited: Option<String>,
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
    Path(code): Path<String>,
    ApiQuery(p): ApiQuery<GridParams>,
) -> Result<Html<String>, ApiError> {
    let mut page = grid_page(&state, &staff, lang, &uri, &code, Vec::new()).await?;
    page.visited = p.visited.map(|v| match v.as_str() {
        "yes" => lang.t("走访已记录", "The visit is recorded").to_string(),
        no => format!("{} {no}", lang.t("走访已记录，所反映问题已转为案件", "The visit is recorded and raised case")),
    });
    Ok(Html(page.render()?))
}

/// Records a household visit from the grid page's form; back to the page, or the page again
/// with the error beside its field and what was typed.
pub async fn record_visit(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RecordVisits>,
    lang: Lang,
    uri: Uri,
    Path(code): Path<String>,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, ApiError> {
    let given = |name: &str| {
        fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim().to_string()).filter(|v| !v.is_empty())
    };
    let log = VisitLog {
        household_id: None,
        household_label: Some(given("household_label").unwrap_or_default()),
        visited_on: given("visited_on"),
        topic: given("topic").unwrap_or_default(),
        follow_up: given("follow_up"),
        raise_case: given("problem").map(|description| RaisedCase { description, category_code: None }),
    };
    match grassroots_app::visits::record(&state, &staff.user, &code, log).await {
        Ok((_, raised)) => {
            let visited = raised.map_or_else(|| "yes".to_string(), |c| c.tracking_no);
            Ok(see_other(&format!("/grids/{code}?{}", encode(&[("visited", visited.as_str())])), None))
        }
        Err(e) => {
            let error = form_error(e.into(), &lang)?;
            let mut page = grid_page(&state, &staff, lang, &uri, &code, fields).await?;
            if let Some(form) = page.visit_form.as_mut() {
                form.error = Some(error);
            }
            Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
        }
    }
}

async fn care_of(state: &AppState, staff: &Staff, code: &str) -> Result<Option<(i64, i64)>, ApiError> {
    if !staff.may(Capability::CareForResidents) {
        return Ok(None);
    }
    let grid = grassroots_app::care::grids(state, &staff.user, Some(code)).await?;
    Ok(Some(grid.first().map_or((0, 0), |g| (g.members, g.missed))))
}

async fn grid_page(
    state: &AppState,
    staff: &Staff,
    lang: Lang,
    uri: &Uri,
    code: &str,
    typed: Vec<(String, String)>,
) -> Result<GridPage, ApiError> {
    let grid = grid_in_scope(state, &staff.user, code).await?;
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
    let listed = listed(state, &staff.user, &grid.code, &last_90_days, individual_cases).await?;
    let care = care_of(state, staff, &grid.code).await?;
    let visit_form = match staff.may(Capability::RecordVisits) {
        true => Some(VisitForm {
            households: store.households(&grid.code).await?.into_iter().map(|h| h.label).collect(),
            purposes: COMMON_PURPOSES.iter().map(|(zh, en)| lang.t(zh, en).to_string()).collect(),
            typed,
            error: None,
        }),
        false => None,
    };
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
    Ok(GridPage {
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
        visits: listed.visits.into_iter().map(|v| visit_line(v, &lang)).collect(),
        individual_cases,
        visit_form,
        care,
        visited: None,
        chrome: Chrome::new(lang, Some(staff), uri),
        lang,
    })
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
        href: format!("/cases/{}", r.id),
        tracking_no: r.tracking_no.clone(),
        category: category_name(reference, &r.category_code, lang),
        state: lang.t(r.state.label_zh(), r.state.label_en()).to_string(),
        overdue: r.due_status == grassroots_domain::DueStatus::Overdue && r.state.is_pending(),
        received: beijing_minutes(r.received_at),
        on_spot: r.resolved_on_spot,
        description: clip(&r.description, 60),
    }
}

fn visit_line(v: grassroots_store::Visit, lang: &Lang) -> VisitLine {
    VisitLine {
        date: v.visited_on.to_string(),
        household: v.household_label,
        // A common purpose reads in the page's language.
        topic: purpose_in_english(&v.topic).map_or(v.topic.clone(), |en| lang.t(&v.topic, en).to_string()),
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
