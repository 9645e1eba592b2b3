//! Grid layers (网格): reading grid polygons from GeoJSON, checking them, numbering the
//! grids that come without a code, and measuring overlaps and gaps. Exact polygon
//! operations and validity checks come from the `geo` crate; areas are geodesic (m²).

use std::collections::{BTreeMap, BTreeSet};

use geo::{Area, BooleanOps, Centroid, Validation};
use rstar::{RTree, RTreeObject, AABB};
use serde_json::Value;

use crate::{parse_geometry, Boundary, GeoError, Polygon};

/// One grid as read from a GeoJSON feature.
#[derive(Debug, Clone, PartialEq)]
pub struct GridFeature {
    /// 1-based position in the file, for messages.
    pub feature: usize,
    /// The 15-digit grid code, when the file gives one.
    pub code: Option<String>,
    /// The 12-digit community the grid belongs to.
    pub community: String,
    pub name: Option<String>,
    pub polygons: Vec<Polygon>,
}

/// A grid ready to store: coded, measured, inside its district.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedGrid {
    pub code: String,
    pub community: String,
    pub name: Option<String>,
    pub polygons: Vec<Polygon>,
    pub area_m2: f64,
    /// (lng, lat) of the centroid.
    pub centroid: (f64, f64),
}

/// Two grids covering the same ground.
#[derive(Debug, Clone, PartialEq)]
pub struct Overlap {
    pub a: String,
    pub b: String,
    pub area_m2: f64,
}

/// Ground of a district that no grid covers.
#[derive(Debug, Clone, PartialEq)]
pub struct Gap {
    pub district: String,
    pub area_m2: f64,
    /// (lng, lat) of a point in it, to find it on a map.
    pub at: (f64, f64),
}

/// What a grid layer will load, with what is wrong with it short of refusal.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct GridPlan {
    pub grids: Vec<PlannedGrid>,
    pub overlaps: Vec<Overlap>,
    /// Largest first.
    pub gaps: Vec<Gap>,
    /// Grids whose edge runs slightly outside their district (less than the refusal limit).
    pub outside: Vec<(String, f64)>,
}

/// Below this, an overlap or gap is drawing noise, not a finding.
const NOISE_M2: f64 = 1.0;
/// A grid with more than this share of its area outside its district is refused.
const MAX_OUTSIDE_SHARE: f64 = 0.01;

fn bad(feature: usize, reason: impl Into<String>) -> GeoError {
    GeoError::Feature { feature, reason: reason.into() }
}

/// Reads a FeatureCollection of grid polygons. Each feature needs `properties.community`
/// (12 digits) or `properties.code` (15 digits: community + serial); `name` is optional. Rings must be closed and polygons valid (no self-intersection, holes inside).
pub fn parse_grids(geojson: &str) -> Result<Vec<GridFeature>, GeoError> {
    let doc: Value = serde_json::from_str(geojson)?;
    let features = doc["features"].as_array().ok_or_else(|| bad(0, "the document has no features array"))?;
    let mut codes = BTreeSet::new();
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let n = i + 1;
            let props = &f["properties"];
            let text = |key: &str| match &props[key] {
                Value::String(s) => Some(s.trim().to_string()),
                Value::Number(x) => Some(x.to_string()),
                _ => None,
            };
            let digits = |s: &str, len: usize| s.len() == len && s.bytes().all(|b| b.is_ascii_digit());
            let code = text("code");
            if let Some(c) = &code {
                if !digits(c, 15) {
                    return Err(bad(n, format!("properties.code '{c}' must be 15 digits (community + serial)")));
                }
                if !codes.insert(c.clone()) {
                    return Err(bad(n, format!("grid code {c} appears twice")));
                }
            }
            let community = match (text("community"), &code) {
                (Some(c), _) if !digits(&c, 12) => {
                    return Err(bad(n, format!("properties.community '{c}' must be a 12-digit community code")))
                }
                (Some(c), Some(code)) if !code.starts_with(&c) => {
                    return Err(bad(n, format!("grid code {code} is not in community {c}")))
                }
                (Some(c), _) => c,
                (None, Some(code)) => code[..12].to_string(),
                (None, None) => return Err(bad(n, "properties.community (or properties.code) is missing")),
            };
            let polygons = parse_geometry(&f["geometry"], n)?;
            for (p, polygon) in polygons.iter().enumerate() {
                if let Some((x0, y0, x1, y1)) = polygon.bbox() {
                    if x0 < -180.0 || x1 > 180.0 || y0 < -90.0 || y1 > 90.0 {
                        return Err(bad(n, "positions must be [longitude, latitude] in degrees"));
                    }
                }
                if let Err(e) = polygon.to_geo().check_validation() {
                    return Err(bad(n, format!("polygon {} is not valid: {e}", p + 1)));
                }
            }
            Ok(GridFeature { feature: n, code, community, name: text("name"), polygons })
        })
        .collect()
}

/// Checks a parsed layer against the district boundaries, numbers the grids without a code
/// (per community, west→east in rows from north to south) and measures overlaps and gaps.
/// Refuses a grid outside every known district boundary or mostly outside its own.
pub fn plan_grids(features: Vec<GridFeature>, districts: &[Boundary]) -> Result<GridPlan, GeoError> {
    let mut plan = GridPlan::default();
    let mut by_community: BTreeMap<String, Vec<Measured>> = BTreeMap::new();
    for f in features {
        let district_code = &f.community[..6];
        let district = districts
            .iter()
            .find(|d| d.code == district_code)
            .ok_or_else(|| bad(f.feature, format!("no boundary is loaded for district {district_code}")))?;
        let shape = to_multi(&f.polygons);
        let area = shape.area_m2();
        if area < NOISE_M2 {
            return Err(bad(f.feature, "the grid has no area"));
        }
        let outside = shape.difference(&to_multi(&district.polygons)).area_m2();
        if outside > MAX_OUTSIDE_SHARE * area {
            return Err(bad(
                f.feature,
                format!(
                    "{:.0} m² of the grid ({:.0}%) lies outside its district {district_code} ({})",
                    outside,
                    100.0 * outside / area,
                    district.name
                ),
            ));
        }
        let centroid = shape.centroid().map_or((0.0, 0.0), |c| (c.x(), c.y()));
        let label = f.code.clone().unwrap_or_else(|| format!("feature {}", f.feature));
        if outside >= NOISE_M2 {
            plan.outside.push((label, outside));
        }
        by_community.entry(f.community.clone()).or_default().push((f, area, centroid));
    }

    for (community, mut grids) in by_community {
        let taken: BTreeSet<String> = grids.iter().filter_map(|(f, _, _)| f.code.clone()).collect();
        reading_order(&mut grids);
        let mut serials = (1..=999).map(|s| format!("{community}{s:03}")).filter(|c| !taken.contains(c));
        for (f, area_m2, centroid) in grids {
            let code = match f.code {
                Some(c) => c,
                None => {
                    serials.next().ok_or_else(|| bad(f.feature, format!("community {community} has over 999 grids")))?
                }
            };
            plan.grids.push(PlannedGrid {
                code,
                community: community.clone(),
                name: f.name,
                polygons: f.polygons,
                area_m2,
                centroid,
            });
        }
    }
    plan.grids.sort_by(|a, b| a.code.cmp(&b.code));
    plan.overlaps = overlaps(&plan.grids);
    plan.gaps = gaps(&plan.grids, districts);
    Ok(plan)
}

/// A grid feature with its area (m²) and centroid (lng, lat).
type Measured = (GridFeature, f64, (f64, f64));

/// Sorts a community's grids into reading order: rows from north to south (a row is as tall
/// as the community's typical grid), west to east within a row.
fn reading_order(grids: &mut [Measured]) {
    let mut heights: Vec<f64> = grids
        .iter()
        .filter_map(|(f, _, _)| {
            let boxes = f.polygons.iter().filter_map(Polygon::bbox);
            boxes.fold(None, |acc: Option<(f64, f64)>, (_, y0, _, y1)| {
                Some(acc.map_or((y0, y1), |(a, b)| (a.min(y0), b.max(y1))))
            })
        })
        .map(|(y0, y1)| y1 - y0)
        .collect();
    heights.sort_by(f64::total_cmp);
    let row_height = heights.get(heights.len() / 2).copied().filter(|h| *h > 0.0).unwrap_or(1.0);
    let north = grids.iter().map(|(_, _, c)| c.1).fold(f64::MIN, f64::max);
    grids.sort_by(|(_, _, a), (_, _, b)| {
        let row = |c: &(f64, f64)| ((north - c.1) / row_height + 0.5).floor() as i64;
        row(a).cmp(&row(b)).then(a.0.total_cmp(&b.0))
    });
}

struct Envelope {
    envelope: AABB<[f64; 2]>,
    grid: usize,
}

impl RTreeObject for Envelope {
    type Envelope = AABB<[f64; 2]>;
    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

fn overlaps(grids: &[PlannedGrid]) -> Vec<Overlap> {
    let shapes: Vec<geo::MultiPolygon> = grids.iter().map(|g| to_multi(&g.polygons)).collect();
    let tree = RTree::bulk_load(
        grids
            .iter()
            .enumerate()
            .flat_map(|(i, g)| g.polygons.iter().filter_map(Polygon::bbox).map(move |b| (i, b)))
            .map(|(grid, (x0, y0, x1, y1))| Envelope { envelope: AABB::from_corners([x0, y0], [x1, y1]), grid })
            .collect(),
    );
    let mut pairs = BTreeSet::new();
    for a in tree.iter() {
        for b in tree.locate_in_envelope_intersecting(&a.envelope) {
            if a.grid < b.grid {
                pairs.insert((a.grid, b.grid));
            }
        }
    }
    pairs
        .into_iter()
        .filter_map(|(a, b)| {
            let area = shapes[a].intersection(&shapes[b]).area_m2();
            (area >= NOISE_M2).then(|| Overlap { a: grids[a].code.clone(), b: grids[b].code.clone(), area_m2: area })
        })
        .collect()
}

/// The parts of each gridded district that no grid covers.
fn gaps(grids: &[PlannedGrid], districts: &[Boundary]) -> Vec<Gap> {
    let mut by_district: BTreeMap<&str, Vec<geo::MultiPolygon>> = BTreeMap::new();
    for g in grids {
        by_district.entry(&g.community[..6]).or_default().push(to_multi(&g.polygons));
    }
    let mut gaps = Vec::new();
    for (code, shapes) in by_district {
        let Some(district) = districts.iter().find(|d| d.code == code) else { continue };
        let covered = geo::unary_union(shapes.iter());
        for piece in to_multi(&district.polygons).difference(&covered) {
            let area_m2 = piece.area_m2();
            if area_m2 >= NOISE_M2 {
                let at = geo::InteriorPoint::interior_point(&piece).map_or((0.0, 0.0), |p| (p.x(), p.y()));
                gaps.push(Gap { district: code.to_string(), area_m2, at });
            }
        }
    }
    gaps.sort_by(|a, b| b.area_m2.total_cmp(&a.area_m2));
    gaps
}

/// Area in m²: planar area in degrees² scaled by the length of a degree at the polygon's
/// latitude (within 0.1% of the geodesic area for anything the size of a district), and
/// indifferent to the rings' winding, which polygon operations do not promise.
pub(crate) trait AreaM2 {
    fn area_m2(&self) -> f64;
}

impl AreaM2 for geo::Polygon {
    fn area_m2(&self) -> f64 {
        let Some(c) = self.centroid() else { return 0.0 };
        let phi = c.y().to_radians();
        let lat_m = 111_132.92 - 559.82 * (2.0 * phi).cos() + 1.175 * (4.0 * phi).cos();
        let lng_m = 111_412.84 * phi.cos() - 93.5 * (3.0 * phi).cos();
        self.unsigned_area() * lat_m * lng_m
    }
}

impl AreaM2 for geo::MultiPolygon {
    fn area_m2(&self) -> f64 {
        self.0.iter().map(AreaM2::area_m2).sum()
    }
}

pub(crate) fn to_multi(polygons: &[Polygon]) -> geo::MultiPolygon {
    geo::MultiPolygon(polygons.iter().map(Polygon::to_geo).collect())
}

/// Synthetic grids for a demo: a lattice of cells of `cell` = (width, height) degrees laid
/// over the boundary and cut to it, so the cells cover the district exactly, without gaps
/// or overlaps. A cut-off sliver smaller than a quarter cell joins the cell to its west (or
/// north). Returned in reading order (rows north to south, west to east).
pub fn lattice_cells(boundary: &Boundary, cell: (f64, f64)) -> Vec<Vec<Polygon>> {
    let (x0, y0, x1, y1) = boundary.bbox;
    let area = to_multi(&boundary.polygons);
    let full = |x: f64, y: f64| Polygon::rectangle(x, y, cell).to_geo().area_m2();
    let columns = ((x1 - x0) / cell.0).ceil() as usize;
    let rows = ((y1 - y0) / cell.1).ceil() as usize;
    // cells[row][column], north row first.
    let mut cells: Vec<Vec<Option<geo::MultiPolygon>>> = (0..rows)
        .map(|r| {
            (0..columns)
                .map(|c| {
                    let (x, y) = (x0 + c as f64 * cell.0, y1 - (r + 1) as f64 * cell.1);
                    let cut = area.intersection(&Polygon::rectangle(x, y, cell).to_geo());
                    (cut.area_m2() >= NOISE_M2).then_some(cut)
                })
                .collect()
        })
        .collect();
    for r in 0..rows {
        for c in 0..columns {
            let (x, y) = (x0 + c as f64 * cell.0, y1 - (r + 1) as f64 * cell.1);
            let Some(piece) = cells[r][c].clone() else { continue };
            if piece.area_m2() >= 0.25 * full(x, y) {
                continue;
            }
            let neighbour = [(r, c.wrapping_sub(1)), (r.wrapping_sub(1), c), (r, c + 1), (r + 1, c)]
                .into_iter()
                .find(|&(nr, nc)| cells.get(nr).and_then(|row| row.get(nc)).is_some_and(Option::is_some));
            if let Some((nr, nc)) = neighbour {
                let joined = cells[nr][nc].as_ref().map(|n| n.union(&piece));
                cells[nr][nc] = joined;
                cells[r][c] = None;
            }
        }
    }
    cells.into_iter().flatten().flatten().map(|m| m.0.iter().map(Polygon::from_geo).collect()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn square(x: f64, y: f64, s: f64) -> String {
        format!("[[[{x},{y}],[{},{y}],[{},{}],[{x},{}],[{x},{y}]]]", x + s, x + s, y + s, y + s)
    }

    fn layer(features: &[(&str, String)]) -> String {
        let fs: Vec<String> = features
            .iter()
            .map(|(props, coords)| {
                format!(r#"{{"type":"Feature","properties":{{{props}}},"geometry":{{"type":"Polygon","coordinates":{coords}}}}}"#)
            })
            .collect();
        format!(r#"{{"type":"FeatureCollection","features":[{}]}}"#, fs.join(","))
    }

    /// A made-up district: a 0.01° square (about 1 km) near Beijing.
    fn district() -> Vec<Boundary> {
        crate::parse_boundaries(&format!(
            r#"{{"type":"FeatureCollection","features":[{{"type":"Feature","properties":{{"code":"110101","name":"东城区"}},
            "geometry":{{"type":"Polygon","coordinates":{}}}}}]}}"#,
            square(116.40, 39.90, 0.01)
        ))
        .unwrap()
    }

    const C: &str = r#""community":"110101001001""#;

    #[test]
    fn four_quarters_are_numbered_in_reading_order_and_cover_the_district() {
        // Given in a scrambled order: south-east, north-west, south-west, north-east.
        let doc = layer(&[
            (C, square(116.405, 39.90, 0.005)),
            (C, square(116.40, 39.905, 0.005)),
            (C, square(116.40, 39.90, 0.005)),
            (C, square(116.405, 39.905, 0.005)),
        ]);
        let plan = plan_grids(parse_grids(&doc).unwrap(), &district()).unwrap();
        let at = |code: &str| plan.grids.iter().find(|g| g.code == code).unwrap().centroid;
        assert!(at("110101001001001").0 < at("110101001001002").0, "001 is west of 002");
        assert!(at("110101001001002").1 > at("110101001001003").1, "the first row is north");
        assert!(at("110101001001003").0 < at("110101001001004").0);
        assert!(plan.overlaps.is_empty() && plan.gaps.is_empty(), "{:?} {:?}", plan.overlaps, plan.gaps);
        let quarter = plan.grids[0].area_m2;
        assert!((200_000.0..250_000.0).contains(&quarter), "a 0.005° square near Beijing is ~0.23 km²: {quarter}");
    }

    #[test]
    fn overlaps_and_gaps_are_measured() {
        let doc = layer(&[(C, square(116.40, 39.90, 0.006)), (C, square(116.405, 39.905, 0.005))]);
        let plan = plan_grids(parse_grids(&doc).unwrap(), &district()).unwrap();
        assert_eq!(plan.overlaps.len(), 1);
        let o = &plan.overlaps[0];
        // 0.001° × 0.001° ≈ 85 m × 111 m.
        assert!((8_000.0..11_000.0).contains(&o.area_m2), "{o:?}");
        assert_eq!(plan.gaps.len(), 2, "the two uncovered corners: {:?}", plan.gaps);
        assert!(plan.gaps.iter().all(|g| g.district == "110101" && g.area_m2 > 10_000.0));
    }

    #[test]
    fn given_codes_are_kept_and_skipped_when_numbering() {
        let doc = layer(&[
            (r#""code":"110101001001001""#, square(116.405, 39.905, 0.005)),
            (C, square(116.40, 39.905, 0.005)),
        ]);
        let plan = plan_grids(parse_grids(&doc).unwrap(), &district()).unwrap();
        let codes: Vec<&str> = plan.grids.iter().map(|g| g.code.as_str()).collect();
        assert_eq!(codes, ["110101001001001", "110101001001002"]);
        assert!(plan.grids[1].centroid.0 < plan.grids[0].centroid.0, "the given code stays on its grid");
    }

    #[test]
    fn invalid_input_is_refused_with_the_feature_number() {
        let bowtie = "[[[116.40,39.90],[116.41,39.91],[116.41,39.90],[116.40,39.91],[116.40,39.90]]]".to_string();
        let open = "[[[116.40,39.90],[116.41,39.90],[116.41,39.91],[116.40,39.91]]]".to_string();
        let cases = [
            (layer(&[(C, square(116.40, 39.90, 0.005)), (C, bowtie)]), "feature 2", "self-intersection"),
            (layer(&[(C, open)]), "feature 1", "closed"),
            (layer(&[(r#""name":"x""#, square(116.40, 39.90, 0.005))]), "feature 1", "community"),
            (layer(&[(r#""community":"11010100100""#, square(116.40, 39.90, 0.005))]), "feature 1", "12-digit"),
            (
                layer(&[(r#""code":"110101001002001","community":"110101001001""#, square(116.40, 39.90, 0.005))]),
                "feature 1",
                "not in community",
            ),
        ];
        for (doc, feature, reason) in cases {
            let err = parse_grids(&doc).unwrap_err().to_string();
            assert!(err.contains(feature) && err.contains(reason), "{err}");
        }
        let outside = layer(&[(C, square(116.40, 39.90, 0.005)), (C, square(116.408, 39.90, 0.005))]);
        let err = plan_grids(parse_grids(&outside).unwrap(), &district()).unwrap_err().to_string();
        assert!(err.contains("feature 2") && err.contains("outside its district"), "{err}");
        let elsewhere = layer(&[(r#""community":"110102001001""#, square(116.40, 39.90, 0.005))]);
        let err = plan_grids(parse_grids(&elsewhere).unwrap(), &district()).unwrap_err().to_string();
        assert!(err.contains("no boundary") && err.contains("110102"), "{err}");
    }

    #[test]
    fn lattice_cells_cover_a_real_district_exactly() {
        let dongcheng = crate::beijing_districts().into_iter().find(|d| d.code == "110101").unwrap();
        let cells = lattice_cells(&dongcheng, (0.006, 0.005));
        assert!(cells.len() > 50, "{}", cells.len());
        let features: Vec<GridFeature> = cells
            .into_iter()
            .enumerate()
            .map(|(i, polygons)| GridFeature {
                feature: i + 1,
                code: None,
                community: "110101001001".into(),
                name: None,
                polygons,
            })
            .collect();
        let plan = plan_grids(features, &[dongcheng]).unwrap();
        assert!(plan.overlaps.is_empty(), "{:?}", &plan.overlaps[..plan.overlaps.len().min(3)]);
        assert!(plan.gaps.iter().all(|g| g.area_m2 < 100.0), "{:?}", &plan.gaps[..plan.gaps.len().min(3)]);
    }
}
