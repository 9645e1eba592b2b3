//! Where things are, as the store holds them: the placement index reports are placed by, and
//! the outlines maps are drawn from; rebuilt when grids, boundaries or regions change.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use grassroots_geo::atlas::Atlas;
use grassroots_geo::placement::Placer;
use grassroots_geo::sites::dongcheng_landmarks;
use grassroots_geo::{parse_geometry, Boundary, GridShape};
use grassroots_store::{Store, StoreError};

/// The placement index and the maps' outlines, as loaded from the store at `stamp`.
pub(crate) struct Places {
    pub placer: Arc<Placer>,
    pub atlas: Arc<Atlas>,
    pub stamp: String,
}

/// The places as the store holds them now: the served districts (those with regions,
/// bounded by stored boundaries or, where none were imported, the shipped Beijing ones), the
/// grids, and the region names.
pub(crate) async fn load(store: &dyn Store) -> Result<Places, StoreError> {
    let stamp = store.grids_stamp().await?;
    let regions = store.regions().await?;
    let served: Vec<&str> =
        regions.iter().filter(|r| r.level == grassroots_domain::RegionLevel::County).map(|r| r.code.as_str()).collect();
    let stored = store.boundaries().await?;
    let boundaries: Vec<Boundary> = if stored.is_empty() {
        grassroots_geo::beijing_districts()
    } else {
        stored
            .into_iter()
            .map(|b| Ok(Boundary::new(b.code, b.name, parse_geometry(&b.geometry, 0).map_err(corrupt)?)))
            .collect::<Result<_, StoreError>>()?
    };
    let districts: Vec<Boundary> = boundaries.into_iter().filter(|b| served.contains(&b.code.as_str())).collect();
    let rows = store.grids().await?;
    let grids = rows
        .iter()
        .map(|g| Ok(GridShape { polygons: parse_geometry(&g.geometry, 0).map_err(corrupt)?, code: g.code.clone() }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    // Names for the outlines only: the regions table may hold the whole country.
    let grid_names: HashMap<&str, &str> = rows.iter().map(|g| (g.code.as_str(), g.name.as_str())).collect();
    let drawn: HashSet<&str> = rows.iter().flat_map(|g| [g.code.get(..9), g.code.get(..12)]).flatten().collect();
    let region_names: HashMap<&str, &str> = regions
        .iter()
        .filter(|r| drawn.contains(r.code.as_str()))
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let atlas = Atlas::new(&districts, &grids, |code| {
        grid_names.get(code).or_else(|| region_names.get(code)).map(|n| n.to_string())
    })
    .with_landmarks(dongcheng_landmarks())
    .approximate(rows.iter().any(|g| g.synthetic));
    let placer = Placer::new(districts, grids, regions).with_landmarks(atlas.landmarks().to_vec());
    Ok(Places { placer: Arc::new(placer), atlas: Arc::new(atlas), stamp })
}

fn corrupt(e: grassroots_geo::GeoError) -> StoreError {
    StoreError::Corrupt(format!("stored geometry: {e}"))
}
