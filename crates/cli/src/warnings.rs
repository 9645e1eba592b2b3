//! `grassroots warnings`: the early-warning rules run now, or replayed over the store's
//! history to measure how early they warn.

use chrono::{Duration, Utc};
use clap::Subcommand;
use grassroots_app::{warnings, Platform};

#[derive(Subcommand)]
pub enum WarningsCommand {
    /// Look for surges, repeated callers and reopened cases now (servers do so every 10
    /// minutes) and print what was raised.
    Scan,
    /// Replay the surge rule over the cases of the last DAYS days: how many clusters (ten
    /// reports of one community and category within 24 hours) it warned of before their tenth
    /// report, how many hours before, and how many warnings had no cluster after them.
    Backtest {
        #[arg(long, default_value_t = 365)]
        days: i64,
    },
}

pub async fn run(platform: &Platform, command: WarningsCommand) -> anyhow::Result<()> {
    match command {
        WarningsCommand::Scan => {
            let s = warnings::scan(platform, Utc::now()).await.map_err(crate::refused)?;
            println!(
                "raised: {} surges, {} repeated callers, {} reopened cases, {} dangers not warned of at intake, \
                 {} grids with care visits missed",
                s.surges, s.callers, s.reopened, s.dangers, s.care
            );
        }
        WarningsCommand::Backtest { days } => {
            if !(1..=3650).contains(&days) {
                anyhow::bail!("--days: 1 to 3650");
            }
            let now = Utc::now();
            let found =
                warnings::lead_times(platform, now - Duration::days(days), now).await.map_err(crate::refused)?;
            println!("clusters (10 reports of one community and category within 24 hours): {}", found.clusters);
            println!("warned of before their tenth report: {}", found.warned);
            if let Some(median) = found.median_hours() {
                let (first, last) = (found.lead_hours[0], found.lead_hours[found.lead_hours.len() - 1]);
                println!("hours ahead: median {median:.1}, shortest {first:.1}, longest {last:.1} (the scan runs every 10 minutes: up to 0.2 h less)");
            }
            println!("warnings with no cluster in the 48 hours after: {}", found.false_alarms);
        }
    }
    Ok(())
}
