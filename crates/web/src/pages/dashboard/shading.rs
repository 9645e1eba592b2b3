//! The map: the region's parts one level down (a district's streets, a street's communities)
//! shaded by case volume or overdue share, each linking to its own dashboard.

use grassroots_domain::RegionLevel;
use grassroots_store::{Grouping, RegionCount};

use super::Board;
use crate::error::ApiError;
use crate::pages::percent;
use crate::svg::{Area, Classes, Frame, Map, Palette, NO_DATA};

pub struct Shading {
    pub map: String,
    pub overdue: bool,
    /// Links to the map shaded by volume and by overdue share.
    pub hrefs: (String, String),
    pub legend: Vec<(&'static str, String)>,
}

/// Whether the map shades the overdue share (`overdue`) rather than volume (`volume`, the default).
pub(super) fn overdue(shade: Option<&str>) -> Result<bool, ApiError> {
    match shade {
        None | Some("volume") => Ok(false),
        Some("overdue") => Ok(true),
        Some(_) => Err(ApiError::field("shade", "可选：volume, overdue", "one of: volume, overdue")),
    }
}

/// What is counted for a part: a value to shade by, and its words.
fn value_of(count: Option<&RegionCount>, overdue: bool) -> Option<f64> {
    match (overdue, count) {
        (false, f) => Some(f.map_or(0, |f| f.total) as f64),
        (true, Some(f)) if f.total > 0 => Some(f.overdue as f64 / f.total as f64),
        (true, _) => None,
    }
}

pub(super) async fn read(board: &Board<'_>, overdue: bool) -> Result<Shading, ApiError> {
    let (store, scope, filter, lang) = (&board.state.store, board.scope, &board.filter, board.lang);
    // One count for the level drawn.
    let drawn = match board.region.level() {
        RegionLevel::County => store.case_counts_by(scope, filter, Grouping::Street).await?,
        RegionLevel::Township => store.region_counts(scope, RegionLevel::Community, filter).await?,
        _ => Vec::new(),
    };
    let children = board.atlas.children(&board.region);
    let figures = |code: &str| drawn.iter().find(|c| c.code == code);
    let (classes, colours) = if overdue {
        (Classes::shares(), Palette::Reds.colours())
    } else {
        let max = children.iter().filter_map(|c| figures(c.code.as_str())).map(|c| c.total).max().unwrap_or(0);
        (Classes::counts(max as f64), Palette::Blues.colours())
    };
    let areas: Vec<Area> = children
        .iter()
        .map(|c| {
            let value = value_of(figures(c.code.as_str()), overdue);
            let figure = match value {
                None => lang.t("无数据", "no data").to_string(),
                Some(v) if overdue => percent(Some(v)),
                Some(v) => format!("{v:.0} {}", lang.t("件", "cases")),
            };
            Area {
                polygons: &c.polygons,
                fill: value.map_or(NO_DATA, |v| colours[classes.class_of(v)]),
                href: (c.code.level() != RegionLevel::Grid).then(|| board.link(c.code.as_str(), None)),
                title: format!("{}：{figure}", c.name),
                label: Some((c.name.clone(), c.label_at)),
            }
        })
        .collect();
    let map = match board.atlas.outline(board.region.as_str()) {
        Some(here) if !areas.is_empty() => Map {
            frame: Frame::fit(here.bbox, 560.0),
            label: here.name.clone(),
            areas,
            lines: Vec::new(),
            dots: Vec::new(),
            landmarks: board.atlas.landmarks(),
            approximate: board.atlas.is_approximate(),
        }
        .to_svg(),
        _ => String::new(),
    };
    let legend = (0..5)
        .map(|i| {
            let (lo, hi) = (classes.bounds[i], classes.bounds[i + 1]);
            let range = if overdue {
                format!("{}–{}", percent(Some(lo)), percent(Some(hi)))
            } else {
                format!("{lo:.0}–{hi:.0}")
            };
            (colours[i], range)
        })
        .collect();
    let region = board.region.as_str();
    let hrefs = (board.link(region, Some("volume")), board.link(region, Some("overdue")));
    Ok(Shading { map, overdue, hrefs, legend })
}
