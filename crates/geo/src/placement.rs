//! Where a report is (定位): by its coordinates, exactly, in a grid of the in-memory index;
//! else by the region names in its address. The result fills the case's place and says how it
//! was found, so a case outside every grid can be sent to the district command centre.

use grassroots_domain::case::{LocatedBy, Place};
use grassroots_domain::region::{Gazetteer, Region};
use grassroots_domain::{RegionCode, RegionLevel};

use crate::sites::Landmark;
use crate::{Boundary, GridIndex, GridShape};

/// Why a report could not be placed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Unplaced {
    /// The coordinates lie in no district this platform serves.
    OutsideServiceArea,
    /// No coordinates, and the address names no region the platform can be sure of.
    Unknown,
}

/// Grids, served districts, region names and landmarks, rebuilt whenever they change.
pub struct Placer {
    grids: GridIndex,
    districts: Vec<Boundary>,
    gazetteer: Gazetteer,
    landmarks: Vec<Landmark>,
}

impl Placer {
    /// `districts`: the boundaries of the districts served.
    pub fn new(districts: Vec<Boundary>, grids: Vec<GridShape>, regions: Vec<Region>) -> Self {
        Self { grids: GridIndex::build(grids), districts, gazetteer: Gazetteer::new(regions), landmarks: Vec::new() }
    }

    /// Landmarks an address may name instead of a street or community (王府井, 北京站).
    pub fn with_landmarks(mut self, landmarks: Vec<Landmark>) -> Self {
        self.landmarks = landmarks;
        self
    }

    /// The landmark an address names, if it names one.
    fn landmark_in(&self, address: &str) -> Option<&Landmark> {
        self.landmarks.iter().find(|l| address.contains(l.name.as_str()))
    }

    pub fn grid_count(&self) -> usize {
        self.grids.len()
    }

    pub fn districts(&self) -> &[Boundary] {
        &self.districts
    }

    /// Places a report by its point (lng, lat) and/or address.
    pub fn place(&self, point: Option<(f64, f64)>, address: Option<&str>) -> Result<Place, Unplaced> {
        let named = address.and_then(|a| self.gazetteer.locate_in_text(a));
        let address = address.map(str::to_string);
        let Some((lng, lat)) = point else {
            // An address naming no street or community but a landmark: the landmark's point.
            let vague = named.as_ref().is_none_or(|n| n.level() == RegionLevel::County);
            if let Some(landmark) = address.as_deref().and_then(|a| self.landmark_in(a)).filter(|_| vague) {
                let (lng, lat) = landmark.at;
                let at_point = self.place(Some((lng, lat)), None).ok().filter(|p| p.grid_code.is_some());
                // Outside every grid, the landmark's street still says where.
                let in_street = || {
                    let street = RegionCode::parse(&landmark.street_code).ok().filter(|s| self.serves(s))?;
                    Some(Place { lng: Some(lng), lat: Some(lat), ..place_in(&street) })
                };
                if let Some(place) = at_point.or_else(in_street) {
                    return Ok(Place { address, located_by: Some(LocatedBy::Address), ..place });
                }
            }
            // An address only: as deep as its region names are sure, in a served district;
            // where the platform serves one district, an address naming nothing lands there.
            let region = match (named, self.districts.as_slice()) {
                (Some(r), _) if self.serves(&r) => r,
                (None, [only]) => RegionCode::parse(&only.code).map_err(|_| Unplaced::Unknown)?,
                _ => return Err(Unplaced::Unknown),
            };
            return Ok(Place { located_by: Some(LocatedBy::Address), address, ..place_in(&region) });
        };
        let district = self.districts.iter().find(|d| d.contains(lng, lat)).ok_or(Unplaced::OutsideServiceArea)?;
        let district = RegionCode::parse(&district.code).map_err(|_| Unplaced::OutsideServiceArea)?;
        let (region, located_by) = match self.grids.locate(lng, lat).and_then(|g| RegionCode::parse(&g.code).ok()) {
            Some(grid) => (grid, LocatedBy::Point),
            // Outside every grid: the district, or a region the address names inside it.
            None => (named.filter(|n| district.contains(n)).unwrap_or(district), LocatedBy::OutsideGrids),
        };
        Ok(Place { lat: Some(lat), lng: Some(lng), address, located_by: Some(located_by), ..place_in(&region) })
    }

    fn serves(&self, region: &RegionCode) -> bool {
        self.districts.iter().any(|d| RegionCode::parse(&d.code).is_ok_and(|c| c.contains(region)))
    }
}

/// The place columns of a region or grid code: itself and every level above it.
pub fn place_in(region: &RegionCode) -> Place {
    let level = |l: RegionLevel| region.ancestor(l).map(|c| c.as_str().to_string());
    Place {
        district_code: level(RegionLevel::County),
        street_code: level(RegionLevel::Township),
        community_code: level(RegionLevel::Community),
        grid_code: level(RegionLevel::Grid),
        ..Place::default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Polygon;

    fn square(x: f64, y: f64, s: f64) -> Vec<Polygon> {
        vec![Polygon { rings: vec![vec![(x, y), (x + s, y), (x + s, y + s), (x, y + s), (x, y)]] }]
    }

    fn placer() -> Placer {
        let regions = grassroots_domain::region::parse_region_csv(
            "code,name,level,parent_code\n110101,东城区,county,1101\n110101001,东华门街道,township,110101\n\
             110101001001,多福巷社区居委会,community,110101001\n110101002,景山街道,township,110101\n",
        )
        .unwrap();
        let district = Boundary::new("110101".into(), "东城区".into(), square(116.0, 39.0, 1.0));
        let grids = vec![GridShape { code: "110101001001001".into(), polygons: square(116.1, 39.1, 0.1) }];
        Placer::new(vec![district], grids, regions)
    }

    #[test]
    fn a_point_in_a_grid_is_placed_at_every_level() {
        let place = placer().place(Some((116.15, 39.15)), Some("景山街道")).unwrap();
        assert_eq!(place.grid_code.as_deref(), Some("110101001001001"));
        assert_eq!(place.community_code.as_deref(), Some("110101001001"));
        assert_eq!(place.street_code.as_deref(), Some("110101001"), "the grid wins over the address");
        assert_eq!(place.district_code.as_deref(), Some("110101"));
        assert_eq!(place.located_by, Some(LocatedBy::Point));
    }

    #[test]
    fn a_point_outside_every_grid_is_flagged_and_kept_in_its_district() {
        let place = placer().place(Some((116.5, 39.5)), None).unwrap();
        assert_eq!((place.district_code.as_deref(), place.grid_code.as_deref()), (Some("110101"), None));
        assert_eq!(place.located_by, Some(LocatedBy::OutsideGrids));
        let named = placer().place(Some((116.5, 39.5)), Some("景山街道某胡同")).unwrap();
        assert_eq!(named.street_code.as_deref(), Some("110101002"));
        assert_eq!(named.located_by, Some(LocatedBy::OutsideGrids));
        assert_eq!(placer().place(Some((120.0, 30.0)), None), Err(Unplaced::OutsideServiceArea));
    }

    #[test]
    fn an_address_is_placed_as_deep_as_it_is_sure() {
        let place = placer().place(None, Some("东华门街道多福巷社区3号楼")).unwrap();
        assert_eq!(place.community_code.as_deref(), Some("110101001001"));
        assert_eq!((place.grid_code, place.located_by), (None, Some(LocatedBy::Address)));
        let nothing = placer().place(None, Some("一个没有地名的地址")).unwrap();
        assert_eq!((nothing.district_code.as_deref(), nothing.street_code), (Some("110101"), None));
    }

    #[test]
    fn an_address_naming_a_landmark_is_placed_at_it() {
        let landmark = Landmark {
            name: "王府井".into(),
            name_en: "Wangfujing".into(),
            at: (116.15, 39.15),
            street_code: "110101001".into(),
        };
        let with_landmark = placer().with_landmarks(vec![landmark.clone()]);
        let place = with_landmark.place(None, Some("北京市东城区王府井大街255号")).unwrap();
        assert_eq!(place.grid_code.as_deref(), Some("110101001001001"));
        assert_eq!((place.lng, place.lat), (Some(116.15), Some(39.15)));
        assert_eq!(place.located_by, Some(LocatedBy::Address));
        assert_eq!(place.address.as_deref(), Some("北京市东城区王府井大街255号"));
        // Outside every grid, the landmark's street.
        let station =
            Landmark { name: "北京站".into(), at: (116.9, 39.9), street_code: "110101002".into(), ..landmark };
        let place = placer().with_landmarks(vec![station]).place(None, Some("北京站南口")).unwrap();
        assert_eq!((place.street_code.as_deref(), place.grid_code), (Some("110101002"), None));
        assert_eq!(place.lng, Some(116.9));
        // A street or community named wins over the landmark.
        let named = with_landmark.place(None, Some("景山街道王府井")).unwrap();
        assert_eq!((named.street_code.as_deref(), named.grid_code), (Some("110101002"), None));
    }
}
