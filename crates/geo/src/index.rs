//! Which grid a point is in: an R-tree over the grids' bounding boxes narrows the search to
//! a few candidates, and exact point-in-polygon decides among them. The index is a
//! projection of the grids in the database and is rebuilt whenever they change.

use rstar::{RTree, RTreeObject, AABB};

use crate::Polygon;

struct Entry {
    envelope: AABB<[f64; 2]>,
    grid: usize,
}

impl RTreeObject for Entry {
    type Envelope = AABB<[f64; 2]>;

    fn envelope(&self) -> Self::Envelope {
        self.envelope
    }
}

/// A grid: its code and its area (one or more polygons).
#[derive(Debug, Clone, PartialEq)]
pub struct GridShape {
    pub code: String,
    pub polygons: Vec<Polygon>,
}

pub struct GridIndex {
    tree: RTree<Entry>,
    grids: Vec<GridShape>,
}

impl GridIndex {
    /// Builds the index in one bulk load.
    pub fn build(grids: Vec<GridShape>) -> Self {
        let entries = grids
            .iter()
            .enumerate()
            .flat_map(|(grid, shape)| shape.polygons.iter().map(move |p| (grid, p)))
            .filter_map(|(grid, polygon)| {
                polygon.bbox().map(|(x0, y0, x1, y1)| Entry { envelope: AABB::from_corners([x0, y0], [x1, y1]), grid })
            })
            .collect();
        Self { tree: RTree::bulk_load(entries), grids }
    }

    /// The grid containing the point (longitude, latitude), if any. Where grids overlap, the
    /// first one given to `build` wins, so the answer never depends on the tree's layout.
    pub fn locate(&self, lng: f64, lat: f64) -> Option<&GridShape> {
        self.tree
            .locate_in_envelope_intersecting(&AABB::from_point([lng, lat]))
            .map(|e| e.grid)
            .filter(|&g| self.grids[g].polygons.iter().any(|p| p.contains(lng, lat)))
            .min()
            .map(|g| &self.grids[g])
    }

    pub fn len(&self) -> usize {
        self.grids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.grids.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn square(x: f64, y: f64, side: f64) -> Polygon {
        Polygon::rectangle(x, y, (side, side))
    }

    #[test]
    fn agrees_with_a_search_of_every_grid() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(3);
        let grids: Vec<GridShape> = (0..400)
            .map(|i| GridShape {
                code: format!("{i:03}"),
                polygons: vec![square(rng.gen_range(0.0..10.0), rng.gen_range(0.0..10.0), rng.gen_range(0.05..1.5))],
            })
            .collect();
        let index = GridIndex::build(grids.clone());
        for _ in 0..20_000 {
            let (x, y) = (rng.gen_range(-1.0..12.0), rng.gen_range(-1.0..12.0));
            let brute = grids.iter().find(|g| g.polygons.iter().any(|p| p.contains(x, y)));
            assert_eq!(index.locate(x, y).map(|g| &g.code), brute.map(|g| &g.code), "at ({x}, {y})");
        }
    }

    #[test]
    fn a_point_in_a_hole_belongs_to_the_grid_inside_it() {
        let ring =
            Polygon { rings: vec![square(0.0, 0.0, 10.0).rings[0].clone(), square(4.0, 4.0, 2.0).rings[0].clone()] };
        let index = GridIndex::build(vec![
            GridShape { code: "ring".into(), polygons: vec![ring] },
            GridShape { code: "core".into(), polygons: vec![square(4.0, 4.0, 2.0)] },
        ]);
        assert_eq!(index.locate(5.0, 5.0).map(|g| g.code.as_str()), Some("core"));
        assert_eq!(index.locate(1.0, 1.0).map(|g| g.code.as_str()), Some("ring"));
        assert!(index.locate(11.0, 1.0).is_none());
    }
}
