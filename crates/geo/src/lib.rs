//! Region boundaries and point-in-polygon placement.
//!
//! Boundaries come from GeoJSON (EPSG:4490, within a metre of WGS-84). Points are
//! (longitude, latitude) as GeoJSON orders them.

pub mod atlas;
pub mod grids;
mod index;
pub mod placement;
pub mod sites;

pub use index::{GridIndex, GridShape};
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum GeoError {
    #[error("GeoJSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("feature {feature}: {reason}")]
    Feature { feature: usize, reason: String },
}

/// A polygon: an outer ring and holes, each a closed list of (lng, lat).
#[derive(Debug, Clone, PartialEq)]
pub struct Polygon {
    pub rings: Vec<Vec<(f64, f64)>>,
}

impl Polygon {
    /// The rectangle with its south-west corner at (`x`, `y`), `w` wide and `h` high.
    pub fn rectangle(x: f64, y: f64, (w, h): (f64, f64)) -> Self {
        Self { rings: vec![vec![(x, y), (x + w, y), (x + w, y + h), (x, y + h), (x, y)]] }
    }

    /// (min lng, min lat, max lng, max lat) of the outer ring; `None` for an empty polygon.
    pub fn bbox(&self) -> Option<(f64, f64, f64, f64)> {
        let outer = self.rings.first().filter(|r| !r.is_empty())?;
        Some(outer.iter().fold((f64::MAX, f64::MAX, f64::MIN, f64::MIN), |(x0, y0, x1, y1), &(x, y)| {
            (x0.min(x), y0.min(y), x1.max(x), y1.max(y))
        }))
    }

    pub fn to_geo(&self) -> geo::Polygon {
        let line = |ring: &Vec<(f64, f64)>| geo::LineString::from(ring.clone());
        let mut rings = self.rings.iter();
        let outer = rings.next().map(line).unwrap_or_else(|| geo::LineString::new(vec![]));
        geo::Polygon::new(outer, rings.map(line).collect())
    }

    pub fn from_geo(p: &geo::Polygon) -> Self {
        let ring = |l: &geo::LineString| l.coords().map(|c| (c.x, c.y)).collect();
        Self { rings: std::iter::once(p.exterior()).chain(p.interiors()).map(ring).collect() }
    }

    /// Even-odd rule over all rings, so holes are excluded.
    pub fn contains(&self, lng: f64, lat: f64) -> bool {
        let mut inside = false;
        for ring in self.rings.iter().filter(|r| !r.is_empty()) {
            let mut j = ring.len() - 1;
            for i in 0..ring.len() {
                let (xi, yi) = ring[i];
                let (xj, yj) = ring[j];
                if (yi > lat) != (yj > lat) && lng < (xj - xi) * (lat - yi) / (yj - yi) + xi {
                    inside = !inside;
                }
                j = i;
            }
        }
        inside
    }
}

/// A region's boundary: its code, name and polygons.
#[derive(Debug, Clone, PartialEq)]
pub struct Boundary {
    pub code: String,
    pub name: String,
    pub polygons: Vec<Polygon>,
    /// (min lng, min lat, max lng, max lat)
    pub bbox: (f64, f64, f64, f64),
}

impl Boundary {
    pub fn contains(&self, lng: f64, lat: f64) -> bool {
        let (x0, y0, x1, y1) = self.bbox;
        (x0..=x1).contains(&lng) && (y0..=y1).contains(&lat) && self.polygons.iter().any(|p| p.contains(lng, lat))
    }
}

fn ring(v: &Value, feature: usize) -> Result<Vec<(f64, f64)>, GeoError> {
    let bad = |reason: &str| GeoError::Feature { feature, reason: reason.to_string() };
    let points = v.as_array().ok_or_else(|| bad("a ring must be an array of positions"))?;
    let ring = points
        .iter()
        .map(|p| match p.as_array().map(|a| (a.first().and_then(Value::as_f64), a.get(1).and_then(Value::as_f64))) {
            Some((Some(x), Some(y))) => Ok((x, y)),
            _ => Err(bad("a position must be [longitude, latitude]")),
        })
        .collect::<Result<Vec<_>, _>>()?;
    if ring.len() < 4 || ring.first() != ring.last() {
        return Err(bad("a ring needs at least 4 positions and must be closed"));
    }
    Ok(ring)
}

/// Reads a GeoJSON Polygon or MultiPolygon geometry; `feature` numbers errors.
pub fn parse_geometry(geometry: &Value, feature: usize) -> Result<Vec<Polygon>, GeoError> {
    let bad = |reason: &str| GeoError::Feature { feature, reason: reason.to_string() };
    let coords = &geometry["coordinates"];
    let polygon_values: Vec<&Value> = match geometry["type"].as_str() {
        Some("Polygon") => vec![coords],
        Some("MultiPolygon") => coords.as_array().ok_or_else(|| bad("coordinates must be an array"))?.iter().collect(),
        _ => return Err(bad("geometry must be a Polygon or MultiPolygon")),
    };
    if polygon_values.is_empty() {
        return Err(bad("the geometry has no polygon"));
    }
    polygon_values
        .into_iter()
        .map(|p| {
            let rings =
                p.as_array().filter(|r| !r.is_empty()).ok_or_else(|| bad("a polygon must be an array of rings"))?;
            Ok(Polygon { rings: rings.iter().map(|r| ring(r, feature)).collect::<Result<_, _>>()? })
        })
        .collect()
}

/// The GeoJSON MultiPolygon geometry of `polygons`, as stored.
pub fn geometry_json(polygons: &[Polygon]) -> Value {
    let coords: Vec<Vec<Vec<[f64; 2]>>> =
        polygons.iter().map(|p| p.rings.iter().map(|r| r.iter().map(|&(x, y)| [x, y]).collect()).collect()).collect();
    serde_json::json!({ "type": "MultiPolygon", "coordinates": coords })
}

impl Boundary {
    pub fn new(code: String, name: String, polygons: Vec<Polygon>) -> Self {
        Self { code, name, bbox: bbox_of(&polygons), polygons }
    }
}

/// (min lng, min lat, max lng, max lat) over all the polygons' points.
pub fn bbox_of(polygons: &[Polygon]) -> (f64, f64, f64, f64) {
    polygons
        .iter()
        .flat_map(|p| p.rings.iter().flatten())
        .fold((f64::MAX, f64::MAX, f64::MIN, f64::MIN), |(x0, y0, x1, y1), &(x, y)| {
            (x0.min(x), y0.min(y), x1.max(x), y1.max(y))
        })
}

/// Reads a FeatureCollection of Polygon / MultiPolygon features with `code` and `name` properties.
/// Polygons must be valid (closed rings, no self-intersection).
pub fn parse_boundaries(geojson: &str) -> Result<Vec<Boundary>, GeoError> {
    use geo::Validation;
    let doc: Value = serde_json::from_str(geojson)?;
    let features =
        doc["features"].as_array().ok_or(GeoError::Feature { feature: 0, reason: "no features array".into() })?;
    features
        .iter()
        .enumerate()
        .map(|(i, f)| {
            let n = i + 1;
            let bad = |reason: String| GeoError::Feature { feature: n, reason };
            let code = match &f["properties"]["code"] {
                Value::String(s) => s.clone(),
                Value::Number(x) => x.to_string(),
                _ => return Err(bad("properties.code is missing".into())),
            };
            let name = f["properties"]["name"].as_str().unwrap_or_default().to_string();
            let polygons = parse_geometry(&f["geometry"], n)?;
            if let Err(e) = grids::to_multi(&polygons).check_validation() {
                return Err(bad(format!("the boundary is not valid: {e}")));
            }
            Ok(Boundary::new(code, name, polygons))
        })
        .collect()
}

/// The district boundaries of Beijing shipped with the platform.
pub fn beijing_districts() -> Vec<Boundary> {
    parse_boundaries(include_str!("../../../data/beijing-districts.geojson")).expect("shipped boundaries parse")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn places_points_in_real_districts() {
        let districts = beijing_districts();
        assert_eq!(districts.len(), 16);
        let at = |lng, lat| districts.iter().find(|d| d.contains(lng, lat)).map(|d| d.code.as_str());
        // 天安门 is in 东城区; 西单 in 西城区; the open sea is nowhere.
        assert_eq!(at(116.3975, 39.9087), Some("110101"));
        assert_eq!(at(116.3740, 39.9130), Some("110102"));
        assert_eq!(at(120.0, 38.0), None);
    }

    #[test]
    fn holes_are_outside() {
        let square = |s: f64| vec![(0.0, 0.0), (s, 0.0), (s, s), (0.0, s), (0.0, 0.0)];
        let p = Polygon { rings: vec![square(10.0), square(2.0)] };
        assert!(p.contains(5.0, 5.0));
        assert!(!p.contains(1.0, 1.0));
    }

    #[test]
    fn open_rings_are_refused_with_the_feature_number() {
        let doc = r#"{"type":"FeatureCollection","features":[{"type":"Feature","properties":{"code":"1"},
            "geometry":{"type":"Polygon","coordinates":[[[0,0],[1,0],[1,1],[0,1]]]}}]}"#;
        let err = parse_boundaries(doc).unwrap_err().to_string();
        assert!(err.contains("feature 1") && err.contains("closed"), "{err}");
    }
}
