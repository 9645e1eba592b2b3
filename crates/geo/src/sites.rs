//! Where streets and landmarks lie when no boundary is published: a street has a centre and
//! (mostly) a bounding box, a landmark a point. Enough to put a street's ground in the right
//! part of its district and to orient people on a map without tiles; not a boundary.

use crate::GeoError;

/// A street's centre and, where known, its bounding box, as in `data/dongcheng-streets.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct StreetSite {
    pub code: String,
    pub name: String,
    /// (lng, lat)
    pub centre: (f64, f64),
    /// (west, south, east, north)
    pub bbox: Option<(f64, f64, f64, f64)>,
}

/// A well-known place, as in `data/dongcheng-landmarks.csv`.
#[derive(Debug, Clone, PartialEq)]
pub struct Landmark {
    pub name: String,
    pub name_en: String,
    /// (lng, lat)
    pub at: (f64, f64),
    pub street_code: String,
}

/// Metres per degree of latitude, and of longitude at Beijing's latitude.
const M_PER_DEG_LAT: f64 = 110_540.0;
const M_PER_DEG_LNG: f64 = 85_390.0;

fn metres((x0, y0): (f64, f64), (x1, y1): (f64, f64)) -> f64 {
    ((x1 - x0) * M_PER_DEG_LNG).hypot((y1 - y0) * M_PER_DEG_LAT)
}

/// A street's reach: half its box's diagonal, in metres.
fn reach(site: &StreetSite) -> Option<f64> {
    site.bbox.map(|(w, s, e, n)| metres((w, s), (e, n)) / 2.0)
}

/// How far a point lies outside a box, in metres (0 inside).
fn outside((lng, lat): (f64, f64), (w, s, e, n): (f64, f64, f64, f64)) -> f64 {
    metres((lng, lat), (lng.clamp(w, e), lat.clamp(s, n)))
}

/// The street a point belongs to: the nearest centre, distances measured in units of each
/// street's size (a large street reaches further) and lengthened outside its box (a street
/// keeps to where it is known to be). Cells of the centres in this measure cut a district into
/// street areas. `None` only when there are no sites.
pub fn street_at(point: (f64, f64), sites: &[StreetSite]) -> Option<usize> {
    let mut reaches: Vec<f64> = sites.iter().filter_map(reach).collect();
    reaches.sort_by(f64::total_cmp);
    let usual = reaches.get(reaches.len() / 2).copied().unwrap_or(1_000.0);
    let score = |site: &StreetSite| {
        let off_box = site.bbox.map_or(0.0, |b| outside(point, b));
        (metres(point, site.centre) + 2.0 * off_box) / reach(site).unwrap_or(usual)
    };
    (0..sites.len()).min_by(|&a, &b| score(&sites[a]).total_cmp(&score(&sites[b])))
}

fn number(field: Option<&str>, what: &str, line: usize) -> Result<Option<f64>, GeoError> {
    match field.map(str::trim).filter(|f| !f.is_empty()) {
        None => Ok(None),
        Some(f) => f
            .parse()
            .map(Some)
            .map_err(|_| GeoError::Feature { feature: line, reason: format!("{what}: not a number: {f}") }),
    }
}

/// The lines of a CSV after its header, numbered from 1 as an editor shows them, blank ones
/// skipped, split at commas.
fn csv_rows(csv: &str) -> impl Iterator<Item = (usize, Vec<&str>)> {
    csv.lines()
        .enumerate()
        .skip(1)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l.split(',').map(str::trim).collect()))
}

/// `code,name,west,south,east,north,lng,lat[,source]`; the box may be empty.
pub fn parse_street_sites(csv: &str) -> Result<Vec<StreetSite>, GeoError> {
    csv_rows(csv)
        .map(|(line, f)| {
            let n = |k: usize, what: &str| number(f.get(k).copied(), what, line);
            let need = |v: Option<f64>, what: &str| {
                v.ok_or_else(|| GeoError::Feature { feature: line, reason: format!("{what} is required") })
            };
            let bbox = match (n(2, "west")?, n(3, "south")?, n(4, "east")?, n(5, "north")?) {
                (Some(w), Some(s), Some(e), Some(nn)) => Some((w, s, e, nn)),
                (None, None, None, None) => None,
                _ => return Err(GeoError::Feature { feature: line, reason: "a box needs all four sides".into() }),
            };
            Ok(StreetSite {
                code: f[0].to_string(),
                name: f.get(1).map_or("", |s| s).to_string(),
                centre: (need(n(6, "lng")?, "lng")?, need(n(7, "lat")?, "lat")?),
                bbox,
            })
        })
        .collect()
}

/// `name,name_en,lng,lat,street_code`.
pub fn parse_landmarks(csv: &str) -> Result<Vec<Landmark>, GeoError> {
    csv_rows(csv)
        .map(|(line, f)| {
            let [name, name_en, lng, lat, street_code] = f[..] else {
                return Err(GeoError::Feature { feature: line, reason: "expected 5 fields".into() });
            };
            let coordinate = |v: &str, what: &str| {
                number(Some(v), what, line)?
                    .ok_or_else(|| GeoError::Feature { feature: line, reason: format!("{what} is required") })
            };
            Ok(Landmark {
                name: name.to_string(),
                name_en: name_en.to_string(),
                at: (coordinate(lng, "lng")?, coordinate(lat, "lat")?),
                street_code: street_code.to_string(),
            })
        })
        .collect()
}

/// 东城区's 17 streets, shipped.
pub fn dongcheng_streets() -> Vec<StreetSite> {
    parse_street_sites(include_str!("../../../data/dongcheng-streets.csv")).expect("shipped street sites parse")
}

/// 东城区's landmarks, shipped.
pub fn dongcheng_landmarks() -> Vec<Landmark> {
    parse_landmarks(include_str!("../../../data/dongcheng-landmarks.csv")).expect("shipped landmarks parse")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_street_keeps_its_centre_and_its_landmarks() {
        let sites = dongcheng_streets();
        assert_eq!(sites.len(), 17);
        for (i, site) in sites.iter().enumerate() {
            assert_eq!(street_at(site.centre, &sites), Some(i), "{} keeps its centre", site.name);
        }
        for landmark in dongcheng_landmarks() {
            let at = street_at(landmark.at, &sites).map(|i| sites[i].code.as_str());
            assert_eq!(at, Some(landmark.street_code.as_str()), "{}", landmark.name);
        }
    }

    #[test]
    fn the_south_is_the_south() {
        let sites = dongcheng_streets();
        let name_at = |p| sites[street_at(p, &sites).unwrap()].name.as_str();
        assert_eq!(name_at((116.3976, 39.8994)), "前门街道");
        assert_eq!(name_at((116.4030, 39.9650)), "和平里街道");
        assert_eq!(name_at((116.3950, 39.8600)), "永定门外街道");
        assert_eq!(name_at((116.4000, 39.9130)), "东华门街道");
    }

    #[test]
    fn bad_lines_name_the_line_and_the_field() {
        let err = parse_street_sites("code,name,west,south,east,north,lng,lat\n1,a,1,2,,,3,4\n").unwrap_err();
        assert!(err.to_string().contains("feature 2") && err.to_string().contains("four sides"), "{err}");
        let err = parse_landmarks("name,name_en,lng,lat,street_code\n故宫,Palace,east,39.9,110101001\n").unwrap_err();
        assert!(err.to_string().contains("lng") && err.to_string().contains("east"), "{err}");
    }
}
