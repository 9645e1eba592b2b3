//! Point-to-grid routing over 10,000 grid polygons: index build time and lookups per second
//! on one core; and the maps' atlas over the same grids (street and community outlines as
//! unions of their grids). `cargo bench -p grassroots-geo --bench grid_index`
//!
//! The grids tile 东城区's bounding box in a 100 × 100 lattice; each is an irregular octagon
//! (corners and edge midpoints, jittered) so the exact test does real work.

use std::hint::black_box;
use std::time::Instant;

use grassroots_geo::atlas::Atlas;
use grassroots_geo::{GridIndex, GridShape, Polygon};
use rand::{Rng, SeedableRng};

const SIDE: usize = 100;

fn grids(rng: &mut impl Rng) -> Vec<GridShape> {
    let (x0, y0, x1, y1) = (116.38, 39.86, 116.45, 39.97);
    let (w, h) = ((x1 - x0) / SIDE as f64, (y1 - y0) / SIDE as f64);
    let mut out = Vec::with_capacity(SIDE * SIDE);
    for row in 0..SIDE {
        for col in 0..SIDE {
            let (x, y) = (x0 + col as f64 * w, y0 + row as f64 * h);
            let mut jitter = |v: f64, d: f64| v + rng.gen_range(-0.05..0.05) * d;
            let mut ring: Vec<(f64, f64)> =
                [(0.0, 0.0), (0.5, 0.0), (1.0, 0.0), (1.0, 0.5), (1.0, 1.0), (0.5, 1.0), (0.0, 1.0), (0.0, 0.5)]
                    .iter()
                    .map(|&(fx, fy)| (jitter(x + fx * w, w), jitter(y + fy * h, h)))
                    .collect();
            ring.push(ring[0]);
            out.push(GridShape {
                code: format!("110101{row:03}{col:03}001"),
                polygons: vec![Polygon { rings: vec![ring] }],
            });
        }
    }
    out
}

fn main() {
    let mut rng = rand::rngs::StdRng::seed_from_u64(42);
    let shapes = grids(&mut rng);
    let mut builds = Vec::new();
    let mut index = None;
    for _ in 0..5 {
        let t = Instant::now();
        let built = GridIndex::build(shapes.clone());
        builds.push(t.elapsed().as_secs_f64() * 1000.0);
        index = Some(built);
    }
    let index = index.expect("built");
    builds.sort_by(f64::total_cmp);
    println!("build, {} grids: median {:.1} ms, worst {:.1} ms", index.len(), builds[2], builds[4]);

    let points: Vec<(f64, f64)> =
        (0..1_000_000).map(|_| (rng.gen_range(116.37..116.46), rng.gen_range(39.85..39.98))).collect();
    for round in 0..3 {
        let t = Instant::now();
        let mut found = 0usize;
        for &(lng, lat) in &points {
            found += usize::from(black_box(index.locate(black_box(lng), black_box(lat))).is_some());
        }
        let secs = t.elapsed().as_secs_f64();
        println!(
            "round {round}: {:.2} million lookups/s on one core ({} of {} points in a grid)",
            points.len() as f64 / secs / 1e6,
            found,
            points.len()
        );
    }

    // 100 streets of 100 communities of one grid each: every outline a union.
    let t = Instant::now();
    let atlas = Atlas::new(&[], &shapes, |_| None);
    println!(
        "atlas, {} grids in 100 streets: {:.0} ms (street 110101050 has {} piece(s))",
        shapes.len(),
        t.elapsed().as_secs_f64() * 1000.0,
        atlas.outline("110101050").map_or(0, |o| o.polygons.len())
    );
}
