//! Writes a hotline system's case export, as another system would give it, for trying and
//! timing `grassroots import cases` against the demo district (东城区, 110101):
//!
//! ```text
//! cargo run --release -p grassroots --example legacy_cases -- 1000000 target/tmp/legacy.csv [DAYS]
//! grassroots import cases target/tmp/legacy.csv --mapping target/tmp/legacy.mapping.json
//! ```
//!
//! The rows are received over the DAYS (default 300) before today; `support/legacy_export.rs`
//! says what they hold.

#[path = "support/legacy_export.rs"]
mod legacy_export;

use chrono::{TimeZone, Utc};
use grassroots_domain::calendar::beijing;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().collect();
    let (Some(rows), Some(path)) = (args.get(1).and_then(|n| n.parse::<usize>().ok()), args.get(2)) else {
        anyhow::bail!("usage: legacy_cases ROWS OUT.csv [DAYS]");
    };
    let days = match args.get(3) {
        Some(d) => {
            d.parse::<i64>().ok().filter(|d| *d > 0).ok_or_else(|| anyhow::anyhow!("DAYS: a whole number above 0"))?
        }
        None => 300,
    };
    let today = Utc::now().with_timezone(&beijing()).date_naive();
    let end = beijing()
        .from_local_datetime(&today.and_hms_opt(0, 0, 0).expect("midnight exists"))
        .single()
        .expect("Beijing has no daylight saving")
        .with_timezone(&Utc);
    let mapping = legacy_export::write(rows, days, end, std::path::Path::new(path))?;
    eprintln!("{rows} rows in {path}, mapping in {}", mapping.display());
    Ok(())
}
