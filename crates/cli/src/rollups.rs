//! `grassroots rollups`: the counters of cases per day and place, recomputed from the cases.

use clap::Subcommand;
use grassroots_store::Store;

#[derive(Subcommand)]
pub enum RollupsCommand {
    /// Recompute the counters from the cases and replace those that differ, saying what was
    /// corrected. Changes of cases wait meanwhile (seconds per million cases).
    Rebuild {
        /// Only compare and say what differs; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
}

pub async fn run(store: &dyn Store, command: RollupsCommand) -> anyhow::Result<()> {
    let RollupsCommand::Rebuild { dry_run } = command;
    let started = std::time::Instant::now();
    let checks = store.rebuild_rollups(!dry_run).await?;
    for check in &checks {
        let verdict = if check.agrees() {
            "agrees with the cases".to_string()
        } else {
            let done = if dry_run { "left as they are" } else { "corrected" };
            format!("{} rows missing or wrong, {} stale rows: {done}", check.wrong, check.stale)
        };
        println!("{:<28} {:>9} rows  {verdict}", check.counters.label(), check.rows);
    }
    let differ = checks.iter().filter(|c| !c.agrees()).count();
    println!(
        "{} sets of counters checked in {:.1} s, {differ} differed",
        checks.len(),
        started.elapsed().as_secs_f64()
    );
    Ok(())
}
