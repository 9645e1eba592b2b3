//! `grassroots import …`: reference data and grid layers from files. Every file is read and
//! checked whole before anything is written, and each write is one transaction (regions: a few
//! thousand per transaction, each region written at most once, so a rerun completes the job).

pub mod cases;

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use grassroots_app::reference::{self, MatrixError};
use grassroots_app::{AppError, Platform};
use grassroots_domain::region::{parse_region_csv, spoken_name, Region};
use grassroots_domain::RegionLevel;
use grassroots_geo::grids::{parse_grids, plan_grids, GridPlan, PlannedGrid};
use grassroots_geo::{geometry_json, parse_boundaries, parse_geometry, Boundary};
use grassroots_store::{BoundaryRow, GridRow, RegionImport, Store};

fn read(file: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))
}

/// Regions from CSV files, with a progress bar.
pub async fn regions(store: &dyn Store, files: &[PathBuf]) -> anyhow::Result<()> {
    let mut regions = Vec::new();
    for file in files {
        regions.extend(parse_region_csv(&read(file)?).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?);
    }
    let bar = indicatif::ProgressBar::new(regions.len() as u64).with_style(
        indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} regions  {per_sec}  eta {eta}")
            .expect("a valid template"),
    );
    let mut total = RegionImport::default();
    for chunk in regions.chunks(5000) {
        let done = store.upsert_regions(chunk).await?;
        total.written += done.written;
        total.renamed += done.renamed;
        bar.inc(chunk.len() as u64);
    }
    bar.finish_and_clear();
    println!(
        "{} regions read: {} added or changed ({} renamed, former names kept), {} unchanged",
        regions.len(),
        total.written,
        total.renamed,
        regions.len() as u64 - total.written
    );
    Ok(())
}

/// Region boundaries; each feature's code must be a known region.
pub async fn boundaries(store: &dyn Store, file: &Path) -> anyhow::Result<()> {
    let parsed = parse_boundaries(&read(file)?).map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let known: BTreeSet<String> = store.regions().await?.into_iter().map(|r| r.code.to_string()).collect();
    for (i, b) in parsed.iter().enumerate() {
        if !known.contains(&b.code) {
            bail!("{}: feature {}: region {} is not known; import regions first", file.display(), i + 1, b.code);
        }
    }
    let rows: Vec<BoundaryRow> = parsed
        .into_iter()
        .map(|b| BoundaryRow { geometry: geometry_json(&b.polygons), code: b.code, name: b.name })
        .collect();
    let written = store.upsert_boundaries(&rows).await?;
    println!("{written} boundaries loaded; running servers use them within a minute");
    Ok(())
}

/// A grid layer, checked against the stored district boundaries and regions.
pub async fn grids(store: &dyn Store, file: &Path, synthetic: bool) -> anyhow::Result<()> {
    let at = |e: grassroots_geo::GeoError| anyhow::anyhow!("{}: {e}", file.display());
    let features = parse_grids(&read(file)?).map_err(at)?;
    let regions = store.regions().await?;
    for f in &features {
        let known = regions.iter().any(|r| r.level == RegionLevel::Community && r.code.as_str() == f.community);
        if !known {
            bail!("{}: feature {}: community {} is not a known region", file.display(), f.feature, f.community);
        }
    }
    let districts = store
        .boundaries()
        .await?
        .into_iter()
        .map(|b| Ok(Boundary::new(b.code, b.name, parse_geometry(&b.geometry, 0)?)))
        .collect::<Result<Vec<_>, grassroots_geo::GeoError>>()
        .context("stored boundaries")?;
    if districts.is_empty() {
        bail!("no district boundaries are loaded: run `grassroots import boundaries FILE` first");
    }
    let plan = plan_grids(features, &districts).map_err(at)?;
    print!("{}", report(&plan));
    let communities: Vec<String> =
        plan.grids.iter().map(|g| g.community.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let rows: Vec<GridRow> = plan
        .grids
        .into_iter()
        .map(|g| {
            let community =
                regions.iter().find(|r| r.code.as_str() == g.community).map_or("", |r| spoken_name(&r.name));
            GridRow {
                name: g.name.unwrap_or_else(|| format!("{community}第{}网格", g.code[12..].trim_start_matches('0'))),
                geometry: geometry_json(&g.polygons),
                code: g.code,
                community_code: g.community,
                area_m2: g.area_m2,
                centroid: g.centroid,
                synthetic,
            }
        })
        .collect();
    let done = store.replace_grids(&communities, &rows).await?;
    println!(
        "{} grids in {} communities: {} added, {} updated, {} removed; running servers use them within a minute",
        rows.len(),
        communities.len(),
        done.added,
        done.updated,
        done.removed
    );
    Ok(())
}

/// Grids as stored; a grid without a name is called after its community: 多福巷社区第1网格.
pub fn grid_rows(grids: Vec<PlannedGrid>, regions: &[Region], synthetic: bool) -> Vec<GridRow> {
    grids
        .into_iter()
        .map(|g| {
            let community =
                regions.iter().find(|r| r.code.as_str() == g.community).map_or("", |r| spoken_name(&r.name));
            GridRow {
                name: g.name.unwrap_or_else(|| format!("{community}第{}网格", g.code[12..].trim_start_matches('0'))),
                geometry: geometry_json(&g.polygons),
                code: g.code,
                community_code: g.community,
                area_m2: g.area_m2,
                centroid: g.centroid,
                synthetic,
            }
        })
        .collect()
}

/// What the checks found short of refusing the layer: overlaps, gaps, edges outside.
fn report(plan: &GridPlan) -> String {
    const SHOWN: usize = 10;
    let mut out = String::new();
    let total = |areas: &mut dyn Iterator<Item = f64>| areas.sum::<f64>();
    if !plan.overlaps.is_empty() {
        let sum = total(&mut plan.overlaps.iter().map(|o| o.area_m2));
        let _ = writeln!(out, "网格重叠 overlaps: {} overlapping pair(s), {sum:.0} m² in all", plan.overlaps.len());
        for o in plan.overlaps.iter().take(SHOWN) {
            let _ = writeln!(out, "  {} × {}: {:.0} m²", o.a, o.b, o.area_m2);
        }
    }
    if !plan.gaps.is_empty() {
        let sum = total(&mut plan.gaps.iter().map(|g| g.area_m2));
        let _ = writeln!(
            out,
            "网格空隙 gaps (district ground no grid covers): {} piece(s), {sum:.0} m² in all",
            plan.gaps.len()
        );
        for g in plan.gaps.iter().take(SHOWN) {
            let _ = writeln!(out, "  district {}: {:.0} m² near ({:.5}, {:.5})", g.district, g.area_m2, g.at.0, g.at.1);
        }
    }
    for (grid, area) in plan.outside.iter().take(SHOWN) {
        let _ = writeln!(out, "  {grid}: {area:.0} m² lies just outside its district (under 1% of the grid)");
    }
    out
}

/// The responsibility matrix (派单目录) from CSV: `category_code,region_code,unit_id` and
/// optionally `auto_dispatch` (yes/no). Every line is checked as the administration page
/// checks one (a known category, region or grid, and unit) before any is written, in one
/// transaction.
pub async fn services(platform: &Platform, file: &Path) -> anyhow::Result<()> {
    let items = grassroots_domain::services::parse_catalogue_csv(&read(file)?)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))?;
    let written = grassroots_app::services::load_catalogue(platform, items).await?;
    println!("{written} service items loaded");
    Ok(())
}

pub async fn responsibilities(platform: &Platform, file: &Path) -> anyhow::Result<()> {
    let text = read(file)?;
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().with_context(|| format!("{}: the header line", file.display()))?.clone();
    let column = |name: &str| headers.iter().position(|h| h == name);
    let (Some(category), Some(region), Some(unit)) =
        (column("category_code"), column("region_code"), column("unit_id"))
    else {
        bail!("{}: the header must name category_code, region_code and unit_id", file.display());
    };
    let auto = column("auto_dispatch");
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.with_context(|| format!("{}: line {line}", file.display()))?;
        let field = |at: usize| record.get(at).unwrap_or_default().to_string();
        rows.push(grassroots_store::Responsibility {
            category_code: field(category),
            region_code: field(region),
            unit_id: field(unit),
            auto_dispatch: match auto.map(field).as_deref().map(str::to_ascii_lowercase).as_deref() {
                None | Some("" | "no" | "false" | "0") => false,
                Some("yes" | "true" | "1") => true,
                Some(other) => bail!("{}: line {line}: auto_dispatch: '{other}' is not yes or no", file.display()),
            },
        });
    }
    let automatic = rows.iter().filter(|r| r.auto_dispatch).count();
    let written = reference::save_matrix_lines(platform, rows).await.map_err(|e| match e {
        MatrixError::Line(i, AppError::Invalid { field, reason }) => {
            anyhow::anyhow!("{}: line {}: {field}: {reason}", file.display(), i + 2)
        }
        MatrixError::Line(i, other) => anyhow::anyhow!("{}: line {}: {}", file.display(), i + 2, other.text()),
        MatrixError::Store(other) => anyhow::anyhow!("{}: {}", file.display(), other.text()),
    })?;
    println!(
        "{written} matrix lines loaded ({automatic} dispatch automatically); running servers use them within a minute"
    );
    Ok(())
}
