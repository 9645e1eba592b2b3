//! `grassroots export cases`: cases for other systems, as CSV or JSON lines.

use std::io::Write;
use std::path::PathBuf;

use anyhow::{bail, Context};
use chrono::{NaiveDate, TimeZone};
use grassroots_domain::calendar::beijing;
use grassroots_domain::{CaseState, RegionCode, Scope};
use grassroots_store::export::{header, rows, ExportFormat, Reporters, Walk};
use grassroots_store::{CaseFilter, Store};

pub struct Options {
    pub format: String,
    pub state: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub output: Option<PathBuf>,
}

fn start_of(day: NaiveDate) -> chrono::DateTime<chrono::Utc> {
    beijing().from_local_datetime(&day.and_hms_opt(0, 0, 0).expect("midnight")).unwrap().with_timezone(&chrono::Utc)
}

pub async fn cases(store: &dyn Store, o: Options) -> anyhow::Result<()> {
    let Some(format) = ExportFormat::parse(&o.format) else { bail!("--format: csv or jsonl") };
    let reference = store.reference().await?;
    let states = match o.state.as_deref() {
        Some(list) => list
            .split(',')
            .map(|s| CaseState::parse(s.trim()).with_context(|| format!("--state: unknown state '{s}'")))
            .collect::<anyhow::Result<Vec<_>>>()?,
        None => Vec::new(),
    };
    if let Some(c) = &o.category {
        if reference.taxonomy.get(c).is_none() {
            bail!("--category: unknown category '{c}'");
        }
    }
    let region = o.region.as_deref().map(RegionCode::parse).transpose().map_err(|e| anyhow::anyhow!(e.message()))?;
    let filter = CaseFilter {
        states,
        category: o.category,
        region,
        received_from: o.from.map(start_of),
        received_to: o.to.and_then(|d| d.succ_opt()).map(start_of),
        ..CaseFilter::default()
    };
    let mut out: Box<dyn Write> = match &o.output {
        Some(path) => Box::new(std::io::BufWriter::new(
            std::fs::File::create(path).with_context(|| format!("creating {}", path.display()))?,
        )),
        None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
    };
    out.write_all(&header(format, Reporters::Masked))?;
    let mut walk = Walk::new(filter);
    let mut n = 0usize;
    while let Some(page) = walk.next(store, &Scope::All).await? {
        n += page.len();
        out.write_all(&rows(format, Reporters::Masked, &page, &reference))?;
    }
    out.flush()?;
    eprintln!("{n} cases exported");
    Ok(())
}
