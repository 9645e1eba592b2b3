//! The map (地图): a region with its streets, communities or grids shaded by case volume,
//! overdue share or visit coverage, the grids drawn inside, cases as points, and the figures
//! behind the shading in a table. Clicking a region zooms into it; a grid opens its page.

use std::collections::HashMap;
use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::Uri;
use axum::response::Html;
use chrono::Utc;
use grassroots_domain::access::Scope;
use grassroots_domain::{Capability, RegionCode, RegionLevel};
use grassroots_geo::atlas::{Atlas, Outline};
use grassroots_store::{CasePoint, RateFilter, RegionCount};
use serde::Deserialize;

use super::{encode, percent, Chrome, Lang};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::session::Staff;
use crate::svg::{Area, Classes, Dot, DotKind, Frame, Map, Palette, NO_DATA};
use crate::AppState;
use grassroots_domain::warnings::WarningState;
use grassroots_store::warnings::Warning;

/// The newest cases drawn as points; more would hide the shading.
const MAX_POINTS: i64 = 2000;
const PERIODS: [u32; 4] = [7, 30, 90, 365];

/// What the shading shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shade {
    Volume,
    Overdue,
    Coverage,
    /// 党员联户: households linked to a party member, of those on the register.
    Party,
}

impl Shade {
    const ALL: [Shade; 4] = [Shade::Volume, Shade::Overdue, Shade::Coverage, Shade::Party];

    fn parse(s: Option<&str>) -> Result<Self, ApiError> {
        match s.unwrap_or("volume") {
            "volume" => Ok(Self::Volume),
            "overdue" => Ok(Self::Overdue),
            "coverage" => Ok(Self::Coverage),
            "party" => Ok(Self::Party),
            _ => Err(ApiError::field(
                "shade",
                "可选：volume, overdue, coverage, party",
                "one of: volume, overdue, coverage, party",
            )),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Volume => "volume",
            Self::Overdue => "overdue",
            Self::Coverage => "coverage",
            Self::Party => "party",
        }
    }

    pub fn label(&self, lang: &Lang) -> &'static str {
        match self {
            Self::Volume => lang.t("案件量", "case volume"),
            Self::Overdue => lang.t("超期占比", "overdue share"),
            Self::Coverage => lang.t("走访覆盖率", "visit coverage"),
            Self::Party => lang.t("党员联户率", "households linked to a party member"),
        }
    }

    fn palette(self) -> Palette {
        match self {
            Self::Volume => Palette::Blues,
            Self::Overdue => Palette::Reds,
            Self::Coverage | Self::Party => Palette::Greens,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MapParams {
    region: Option<String>,
    shade: Option<String>,
    days: Option<u32>,
}

/// One region of the map, with the figures behind its shading.
pub struct RegionRow {
    pub name: String,
    pub code: String,
    pub href: String,
    pub total: i64,
    pub pending: i64,
    pub overdue: i64,
    pub overdue_share: String,
    pub households: i64,
    pub coverage: String,
    /// Households linked to a party member, of those on the register.
    pub linked: String,
    /// Grids with a party branch or group, of the part's grids.
    pub organised: String,
}

pub struct LegendEntry {
    pub colour: &'static str,
    pub range: String,
}

pub struct Crumb {
    pub name: String,
    pub href: String,
}

pub struct Choice {
    pub label: String,
    pub href: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "map.html")]
struct MapPage {
    lang: Lang,
    chrome: Chrome,
    title: String,
    crumbs: Vec<Crumb>,
    shade_label: &'static str,
    shades: Vec<Choice>,
    periods: Vec<Choice>,
    days: u32,
    coverage_days: u32,
    svg: String,
    legend: Vec<LegendEntry>,
    rows: Vec<RegionRow>,
    /// What the table's rows are: streets, communities or grids.
    rows_are: &'static str,
    points: usize,
    points_capped: bool,
    individual_cases: bool,
}

/// Where a staff member's map opens: their own region, else the first district served.
pub(crate) fn home_region(scope: &Scope, atlas: &Atlas, districts: &[grassroots_geo::Boundary]) -> Option<RegionCode> {
    let own = match scope {
        Scope::Regions { codes } => codes.first().cloned(),
        Scope::Grids { codes } => codes.first().and_then(|g| RegionCode::parse(g).ok()).and_then(|g| g.parent()),
        Scope::All | Scope::Unit { .. } => None,
    };
    own.filter(|c| atlas.outline(c.as_str()).is_some())
        .or_else(|| districts.iter().find_map(|d| RegionCode::parse(&d.code).ok()))
}

fn map_href(region: &str, shade: Shade, days: u32) -> String {
    format!("/map?{}", encode(&[("region", region), ("shade", shade.as_str()), ("days", &days.to_string())]))
}

fn level_rows_label(level: RegionLevel) -> &'static str {
    match level {
        RegionLevel::County => "街道 / streets",
        RegionLevel::Township => "社区 / communities",
        _ => "网格 / grids",
    }
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    lang: Lang,
    uri: Uri,
    ApiQuery(p): ApiQuery<MapParams>,
) -> Result<Html<String>, ApiError> {
    let shade = Shade::parse(p.shade.as_deref())?;
    let days = p.days.unwrap_or(30);
    if !PERIODS.contains(&days) {
        return Err(ApiError::field("days", "可选：7, 30, 90, 365", "one of: 7, 30, 90, 365"));
    }
    let atlas = state.atlas();
    let region = match p.region.as_deref() {
        Some(code) => RegionCode::parse(code)?,
        None => home_region(&staff.user.scope, &atlas, state.placer().districts()).ok_or_else(ApiError::not_found)?,
    };
    let here = atlas.outline(region.as_str()).ok_or_else(ApiError::not_found)?;
    // The regions shaded: one level down, or the region alone when nothing lies below it.
    let mut children = atlas.children(&region);
    if children.is_empty() {
        children.push(here);
    }
    // Leaders work with aggregates (DESIGN §2): no individual cases, not even as points.
    let individual_cases = staff.may(Capability::WorkOnCases);
    let view = View { region: &region, shade, days, children, lang };
    let figures = view.figures(&state, &staff.user.scope, individual_cases).await?;
    let rows = view.rows(&figures);
    let (svg, legend) = view.drawn(&state, &atlas, here, &rows, &figures);
    let page = MapPage {
        title: here.name.clone(),
        crumbs: crumbs(&atlas, &region, shade, days),
        shade_label: shade.label(&lang),
        shades: view.shade_choices(),
        periods: view.period_choices(),
        days,
        coverage_days: figures.coverage_days,
        svg,
        legend,
        rows,
        rows_are: level_rows_label(region.level()),
        points: figures.points.len(),
        points_capped: figures.points.len() as i64 == MAX_POINTS,
        individual_cases,
        chrome: Chrome::new(lang, Some(&staff), &uri),
        lang,
    };
    Ok(Html(page.render()?))
}

/// The map asked for: a region, what shades it, over how many days, and its parts.
struct View<'a> {
    region: &'a RegionCode,
    shade: Shade,
    days: u32,
    children: Vec<&'a Outline>,
    lang: Lang,
}

/// What the map shows of its parts: cases counted, households visited, cases as points.
struct Figures {
    counts: HashMap<String, RegionCount>,
    /// (households, visited) per part.
    visited: HashMap<String, (i64, i64)>,
    /// (households, linked to a party member, grids organised, grids) per part.
    party: HashMap<String, [i64; 4]>,
    /// Coverage over 30 days for periods up to a month, else 90.
    coverage_days: u32,
    points: Vec<CasePoint>,
    /// Open warnings within the region, each at its grid's or community's label point.
    warnings: Vec<Dot>,
}

impl View<'_> {
    /// The three reads the map needs, made at the same time.
    async fn figures(&self, state: &AppState, scope: &Scope, individual_cases: bool) -> Result<Figures, ApiError> {
        let now = Utc::now();
        let filter = RateFilter {
            region: Some(self.region.clone()),
            from: Some(now - chrono::Duration::days(self.days.into())),
            ..Default::default()
        };
        let child_level = self.children.first().map_or(self.region.level(), |c| c.code.level());
        let points = async {
            match individual_cases {
                true => state.store.case_points(scope, &filter, MAX_POINTS).await,
                false => Ok(Vec::new()),
            }
        };
        let today = grassroots_domain::calendar::beijing_day(now);
        let (counts, coverage, party_grids, points, warnings) = tokio::try_join!(
            state.store.region_counts(scope, child_level, &filter),
            state.store.coverage(self.region.as_str(), now),
            state.store.party_grids(self.region.as_str(), today),
            points,
            state.store.warnings(scope, &WarningState::OPEN, MAX_POINTS),
        )?;
        let mut party: HashMap<String, [i64; 4]> = HashMap::new();
        for g in party_grids.iter().filter(|g| scope.covers_place(&g.grid_code)) {
            if let Some(child) = self.children.iter().find(|o| g.grid_code.starts_with(o.code.as_str())) {
                let entry = party.entry(child.code.as_str().to_string()).or_default();
                entry[0] += g.coverage.households;
                entry[1] += g.coverage.linked;
                entry[2] += i64::from(g.organised);
                entry[3] += 1;
            }
        }
        let warnings = self.warning_dots(state, &warnings, individual_cases);
        let coverage_days = if self.days <= 30 { 30 } else { 90 };
        let mut visited: HashMap<String, (i64, i64)> = HashMap::new();
        for c in coverage.iter().filter(|c| scope.covers_place(&c.grid_code)) {
            if let Some(child) = self.children.iter().find(|o| c.grid_code.starts_with(o.code.as_str())) {
                let entry = visited.entry(child.code.as_str().to_string()).or_default();
                entry.0 += c.households;
                entry.1 += if coverage_days == 30 { c.visited_30_days } else { c.visited_90_days };
            }
        }
        let counts = counts.into_iter().map(|c| (c.code.clone(), c)).collect();
        Ok(Figures { counts, visited, party, coverage_days, points, warnings })
    }

    /// Warnings as marks at the most precise place each names, within the region. Those who
    /// work on cases follow one to the queue; leaders see where, not which case.
    fn warning_dots(&self, state: &AppState, warnings: &[Warning], linked: bool) -> Vec<Dot> {
        let atlas = state.atlas();
        warnings
            .iter()
            .filter_map(|w| {
                let code = [&w.grid_code, &w.community_code, &w.street_code].into_iter().flatten().next()?;
                let outline = atlas.outline(code)?;
                self.region.contains(&outline.code).then(|| Dot {
                    lng: outline.label_at.0,
                    lat: outline.label_at.1,
                    kind: DotKind::Warning,
                    title: format!("{}：{}", self.lang.t(w.kind.label_zh(), w.kind.label_en()), outline.name),
                    href: linked.then(|| "/warnings".to_string()),
                })
            })
            .collect()
    }

    /// A row of the table per part, with the figures behind its shading.
    fn rows(&self, figures: &Figures) -> Vec<RegionRow> {
        let row = |o: &&Outline| {
            let c = figures.counts.get(o.code.as_str());
            let (total, pending, overdue) = c.map_or((0, 0, 0), |c| (c.total, c.pending, c.overdue));
            let (households, seen) = figures.visited.get(o.code.as_str()).copied().unwrap_or_default();
            let [registered, linked, organised, grids] =
                figures.party.get(o.code.as_str()).copied().unwrap_or_default();
            RegionRow {
                name: o.name.clone(),
                code: o.code.as_str().to_string(),
                href: if o.code.level() == RegionLevel::Grid {
                    format!("/grids/{}", o.code.as_str())
                } else {
                    map_href(o.code.as_str(), self.shade, self.days)
                },
                total,
                pending,
                overdue,
                overdue_share: percent((total > 0).then(|| overdue as f64 / total as f64)),
                households,
                coverage: percent((households > 0).then(|| seen as f64 / households as f64)),
                linked: percent((registered > 0).then(|| linked as f64 / registered as f64)),
                organised: format!("{organised}/{grids}"),
            }
        };
        self.children.iter().map(row).collect()
    }

    /// The value a part is shaded by.
    fn value_of(&self, row: &RegionRow, figures: &Figures) -> Option<f64> {
        match self.shade {
            Shade::Volume => Some(row.total as f64),
            Shade::Overdue => (row.total > 0).then(|| row.overdue as f64 / row.total as f64),
            Shade::Coverage => {
                let (households, seen) = figures.visited.get(row.code.as_str()).copied().unwrap_or_default();
                (households > 0).then(|| seen as f64 / households as f64)
            }
            Shade::Party => {
                let [households, linked, _, _] = figures.party.get(row.code.as_str()).copied().unwrap_or_default();
                (households > 0).then(|| linked as f64 / households as f64)
            }
        }
    }

    /// The map as SVG, and its legend.
    fn drawn(
        &self,
        state: &AppState,
        atlas: &Atlas,
        here: &Outline,
        rows: &[RegionRow],
        figures: &Figures,
    ) -> (String, Vec<LegendEntry>) {
        let (shade, lang) = (self.shade, self.lang);
        let classes = match shade {
            Shade::Volume => Classes::counts(rows.iter().map(|r| r.total).max().unwrap_or(0) as f64),
            Shade::Overdue | Shade::Coverage | Shade::Party => Classes::shares(),
        };
        let colours = shade.palette().colours();
        let figure = |v: Option<f64>| match (shade, v) {
            (_, None) => lang.t("无数据", "no data").to_string(),
            (Shade::Volume, Some(v)) => format!("{v:.0} {}", lang.t("件", "cases")),
            (_, Some(v)) => percent(Some(v)),
        };
        let label_names = self.children.len() <= 40;
        let areas = self
            .children
            .iter()
            .zip(rows)
            .map(|(o, row)| {
                let value = self.value_of(row, figures);
                Area {
                    polygons: &o.polygons,
                    fill: value.map_or(NO_DATA, |v| colours[classes.class_of(v)]),
                    href: (o.code != *self.region).then(|| row.href.clone()),
                    title: format!("{}：{} {}", o.name, shade.label(&lang), figure(value)),
                    label: label_names.then(|| (short_name(&o.name).to_string(), o.label_at)),
                }
            })
            .collect();
        // Inside a district or a street the grids are drawn too, thin, over the shading.
        let lines = match self.region.level() {
            RegionLevel::County | RegionLevel::Township => {
                atlas.grids_within(self.region).into_iter().map(|g| g.polygons.as_slice()).collect()
            }
            _ => Vec::new(),
        };
        let reference = state.reference();
        let dots = figures
            .points
            .iter()
            .map(|p| case_dot(p, &reference, &lang))
            .chain(figures.warnings.iter().cloned())
            .collect();
        let label = format!("{} — {}", here.name, shade.label(&lang));
        let svg = Map {
            frame: Frame::fit(here.bbox, 800.0),
            label,
            areas,
            lines,
            dots,
            landmarks: atlas.landmarks(),
            approximate: atlas.is_approximate(),
        }
        .to_svg();
        let legend = (0..5)
            .map(|i| {
                let (lo, hi) = (classes.bounds[i], classes.bounds[i + 1]);
                let range = match shade {
                    Shade::Volume => format!("{lo:.0}–{hi:.0}"),
                    _ => format!("{}–{}", percent(Some(lo)), percent(Some(hi))),
                };
                LegendEntry { colour: colours[i], range }
            })
            .collect();
        (svg, legend)
    }

    fn shade_choices(&self) -> Vec<Choice> {
        let choice = |s: Shade| Choice {
            label: s.label(&self.lang).to_string(),
            href: map_href(self.region.as_str(), s, self.days),
            current: s == self.shade,
        };
        Shade::ALL.into_iter().map(choice).collect()
    }

    fn period_choices(&self) -> Vec<Choice> {
        let choice = |d: u32| Choice {
            label: format!("{d}{}", self.lang.t("天", " days")),
            href: map_href(self.region.as_str(), self.shade, d),
            current: d == self.days,
        };
        PERIODS.into_iter().map(choice).collect()
    }
}

/// A case as a dot: category and state in its title, nothing personal.
pub fn case_dot(p: &grassroots_store::CasePoint, reference: &grassroots_store::Reference, lang: &Lang) -> Dot {
    let category =
        reference.taxonomy.get(&p.category_code).map_or(p.category_code.as_str(), |c| lang.t(&c.name_zh, &c.name_en));
    let state = lang.t(p.state.label_zh(), p.state.label_en());
    let (kind, due) = if p.overdue {
        (DotKind::Overdue, lang.t("（超期）", " (overdue)"))
    } else if p.state.is_pending() {
        (DotKind::Pending, "")
    } else {
        (DotKind::Finished, "")
    };
    Dot {
        lng: p.lng,
        lat: p.lat,
        kind,
        title: format!("{category} · {state}{due}"),
        href: Some(format!("/cases/{}", p.id)),
    }
}

/// 「东华门街道」 is written 「东华门」 on the map, where space is short.
fn short_name(name: &str) -> &str {
    ["街道办事处", "街道", "社区居委会", "社区", "地区"]
        .iter()
        .find_map(|suffix| name.strip_suffix(suffix).filter(|s| !s.is_empty()))
        .unwrap_or(name)
}

/// District › street › community links above the map.
fn crumbs(atlas: &Atlas, region: &RegionCode, shade: Shade, days: u32) -> Vec<Crumb> {
    [RegionLevel::County, RegionLevel::Township, RegionLevel::Community]
        .into_iter()
        .filter_map(|l| region.ancestor(l))
        .filter_map(|code| atlas.outline(code.as_str()).map(|o: &Outline| (code, o)))
        .map(|(code, o)| Crumb { name: o.name.clone(), href: map_href(code.as_str(), shade, days) })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn map_names_drop_the_kind_of_region() {
        assert_eq!(short_name("东华门街道"), "东华门");
        assert_eq!(short_name("多福巷社区"), "多福巷");
        assert_eq!(short_name("街道"), "街道");
        assert_eq!(short_name("多福巷社区第1网格"), "多福巷社区第1网格");
    }
}
