//! The outlines the maps draw, for every region level down to the grid. Districts have
//! surveyed boundaries; streets and communities have none in the open data, so their outlines
//! are the union of their grids: exactly the ground the grid layer gives them.

use std::collections::BTreeMap;

use grassroots_domain::{RegionCode, RegionLevel};

use crate::sites::Landmark;
use crate::{bbox_of, Boundary, GridShape, Polygon};

/// A region's drawn outline.
#[derive(Debug, Clone, PartialEq)]
pub struct Outline {
    pub code: RegionCode,
    pub name: String,
    pub polygons: Vec<Polygon>,
    /// (min lng, min lat, max lng, max lat)
    pub bbox: (f64, f64, f64, f64),
    /// Where its name is written: a point inside the largest piece.
    pub label_at: (f64, f64),
}

impl Outline {
    fn new(code: RegionCode, name: String, polygons: Vec<Polygon>) -> Self {
        use geo::{Area, InteriorPoint};
        let bbox = bbox_of(&polygons);
        let label_at = polygons
            .iter()
            .map(Polygon::to_geo)
            .max_by(|a, b| a.unsigned_area().total_cmp(&b.unsigned_area()))
            .and_then(|p| p.interior_point())
            .map_or(((bbox.0 + bbox.2) / 2.0, (bbox.1 + bbox.3) / 2.0), |p| (p.x(), p.y()));
        Self { code, name, polygons, bbox, label_at }
    }
}

/// Outlines by region code, and the landmarks that orient a reader.
#[derive(Debug, Default)]
pub struct Atlas {
    outlines: BTreeMap<String, Outline>,
    landmarks: Vec<Landmark>,
    /// Street and community lines come from synthetic grids: right in place, not surveyed.
    approximate: bool,
}

impl Atlas {
    /// `districts`: the served districts' boundaries; `grids`: every grid; `name_of` names
    /// streets, communities and grids by code.
    pub fn new(districts: &[Boundary], grids: &[GridShape], name_of: impl Fn(&str) -> Option<String>) -> Self {
        let name = |code: &RegionCode| name_of(code.as_str()).unwrap_or_else(|| code.as_str().to_string());
        let mut outlines = BTreeMap::new();
        for d in districts {
            if let Ok(code) = RegionCode::parse(&d.code) {
                outlines.insert(d.code.clone(), Outline::new(code, d.name.clone(), d.polygons.clone()));
            }
        }
        let mut members: BTreeMap<RegionCode, Vec<geo::Polygon>> = BTreeMap::new();
        for g in grids {
            let Ok(code) = RegionCode::parse(&g.code) else { continue };
            if code.level() != RegionLevel::Grid {
                continue;
            }
            outlines.insert(g.code.clone(), Outline::new(code.clone(), name(&code), g.polygons.clone()));
            if let Some(community) = code.parent() {
                members.entry(community).or_default().extend(g.polygons.iter().map(Polygon::to_geo));
            }
        }
        // Communities from their grids, then streets from their communities.
        for _ in [RegionLevel::Community, RegionLevel::Township] {
            let mut above: BTreeMap<RegionCode, Vec<geo::Polygon>> = BTreeMap::new();
            for (code, polygons) in std::mem::take(&mut members) {
                let union = geo::unary_union(&polygons);
                if let Some(parent) = code.parent().filter(|p| p.level() == RegionLevel::Township) {
                    above.entry(parent).or_default().extend(union.0.iter().cloned());
                }
                let drawn = union.0.iter().map(Polygon::from_geo).collect();
                outlines.insert(code.as_str().to_string(), Outline::new(code.clone(), name(&code), drawn));
            }
            members = above;
        }
        Self { outlines, ..Self::default() }
    }

    /// The districts outlined (those served), by code.
    pub fn served_districts(&self) -> impl Iterator<Item = &Outline> {
        self.outlines.values().filter(|o| o.code.level() == RegionLevel::County)
    }

    /// The landmarks inside the outlined districts.
    pub fn with_landmarks(mut self, landmarks: Vec<Landmark>) -> Self {
        let districts: Vec<&Outline> = self.served_districts().collect();
        self.landmarks = landmarks
            .into_iter()
            .filter(|l| districts.iter().any(|d| d.polygons.iter().any(|p| p.contains(l.at.0, l.at.1))))
            .collect();
        self
    }

    /// Marks the lines below the district as approximate (drawn from synthetic grids).
    pub fn approximate(mut self, approximate: bool) -> Self {
        self.approximate = approximate;
        self
    }

    pub fn landmarks(&self) -> &[Landmark] {
        &self.landmarks
    }

    pub fn is_approximate(&self) -> bool {
        self.approximate
    }

    pub fn outline(&self, code: &str) -> Option<&Outline> {
        self.outlines.get(code)
    }

    /// The outlined regions one level below `code` (a district's streets, a street's
    /// communities, a community's grids), by code.
    pub fn children(&self, code: &RegionCode) -> Vec<&Outline> {
        self.outlines
            .range(code.as_str().to_string()..)
            .take_while(|(c, _)| c.starts_with(code.as_str()))
            .map(|(_, o)| o)
            .filter(|o| o.code.parent().as_ref() == Some(code))
            .collect()
    }

    /// The grids whose box overlaps `bbox` (west, south, east, north).
    pub fn grids_overlapping(&self, bbox: (f64, f64, f64, f64)) -> Vec<&Outline> {
        self.outlines
            .values()
            .filter(|o| o.code.level() == RegionLevel::Grid)
            .filter(|o| o.bbox.0 < bbox.2 && o.bbox.2 > bbox.0 && o.bbox.1 < bbox.3 && o.bbox.3 > bbox.1)
            .collect()
    }

    /// The grids inside `code`, by code.
    pub fn grids_within(&self, code: &RegionCode) -> Vec<&Outline> {
        self.outlines
            .range(code.as_str().to_string()..)
            .take_while(|(c, _)| c.starts_with(code.as_str()))
            .map(|(_, o)| o)
            .filter(|o| o.code.level() == RegionLevel::Grid)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::grids::{to_multi, AreaM2};

    fn area_m2(polygons: &[Polygon]) -> f64 {
        to_multi(polygons).area_m2()
    }

    fn square(x: f64, y: f64, side: f64) -> Polygon {
        Polygon::rectangle(x, y, (side, side))
    }

    fn grid(code: &str, x: f64, y: f64) -> GridShape {
        GridShape { code: code.into(), polygons: vec![square(x, y, 0.01)] }
    }

    #[test]
    fn streets_and_communities_are_the_union_of_their_grids() {
        let grids = vec![
            grid("110101001001001", 116.40, 39.90),
            grid("110101001001002", 116.41, 39.90),
            grid("110101001002001", 116.40, 39.91),
            grid("110101002001001", 116.45, 39.95),
        ];
        let atlas = Atlas::new(&[], &grids, |code| (code == "110101001").then(|| "东华门街道".to_string()));
        let community = atlas.outline("110101001001").expect("community outline");
        // Two adjacent squares merge into one polygon covering both.
        assert_eq!(community.polygons.len(), 1);
        assert!((area_m2(&community.polygons) - 2.0 * area_m2(&[square(116.40, 39.90, 0.01)])).abs() < 1.0);
        let street = atlas.outline("110101001").expect("street outline");
        assert_eq!(street.polygons.len(), 1, "three touching squares are one piece");
        assert!((street.bbox.0 - 116.40).abs() < 1e-9 && (street.bbox.3 - 39.92).abs() < 1e-9);
        assert_eq!(street.name, "东华门街道");
        assert_eq!(atlas.outline("110101002").map(|o| o.name.as_str()), Some("110101002"), "unnamed: its code");
        let (x, y) = street.label_at;
        assert!(street.polygons.iter().any(|p| p.contains(x, y)), "the label sits inside the street");

        let district = RegionCode::parse("110101").unwrap();
        let streets: Vec<&str> = atlas.children(&district).iter().map(|o| o.code.as_str()).collect();
        assert_eq!(streets, ["110101001", "110101002"]);
        let communities: Vec<&str> =
            atlas.children(&RegionCode::parse("110101001").unwrap()).iter().map(|o| o.code.as_str()).collect();
        assert_eq!(communities, ["110101001001", "110101001002"]);
        assert_eq!(atlas.grids_within(&district).len(), 4);
        let near: Vec<&str> =
            atlas.grids_overlapping((116.405, 39.905, 116.415, 39.915)).iter().map(|o| o.code.as_str()).collect();
        assert_eq!(near, ["110101001001001", "110101001001002", "110101001002001"]);
        assert!(atlas.children(&RegionCode::parse("110101001001001").unwrap()).is_empty());
    }
}
