//! `grassroots keys`: the data key's rotation while servers run, and where it stands.

use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use grassroots_app::rotation::{self, RotationOptions, RotationProgress};
use grassroots_store::crypto::{Keyring, RotationPhase};
use grassroots_store::KeyStore;

use crate::Common;

#[derive(Subcommand)]
pub enum KeysCommand {
    /// Put a new data key in service: stage it, seal with it once every running process holds
    /// it, re-seal every sealed value in batches, and retire the old key. Servers keep
    /// running. Cut off, it takes up where it stopped when run again.
    Rotate {
        /// Rows of sealed values per transaction (each followed by a pause as long, so that
        /// servers' writes go on).
        #[arg(long, default_value_t = 200)]
        batch: i64,
        /// How long (seconds) to wait for every process to take up a step before giving up.
        #[arg(long, default_value_t = 600)]
        wait_secs: u64,
    },
    /// The keys in the key file, the rotation under way if any, and the keys each running
    /// process holds.
    Status,
}

pub async fn run(common: &Common, command: KeysCommand) -> anyhow::Result<()> {
    let store = common.open_store().await?;
    let watcher = common.key_watcher().context("the store was opened without a key watcher")?;
    match command {
        KeysCommand::Rotate { batch, wait_secs } => {
            if !(1..=5_000).contains(&batch) {
                anyhow::bail!("--batch: must be between 1 and 5000 / 每批行数须在 1 到 5000 之间");
            }
            let options = RotationOptions { batch, wait: Duration::from_secs(wait_secs), ..RotationOptions::default() };
            let mut last_wait = None;
            let report = rotation::rotate(&*store, &watcher, &options, |step| match step {
                RotationProgress::Staged { key } => {
                    println!("staged key {key}: it opens only, until every process holds it")
                }
                RotationProgress::Waiting { waiting_for, lagging } => {
                    let names: Vec<&str> = lagging.iter().map(|h| h.instance.as_str()).collect();
                    if last_wait.as_ref() != Some(&names.join(",")) {
                        println!("waiting for {waiting_for}: {}", names.join(", "));
                        last_wait = Some(names.join(","));
                    }
                }
                RotationProgress::Switched { sealing, retiring } => {
                    println!("key {sealing} seals; key {retiring} opens only until every value is re-sealed")
                }
                RotationProgress::Resealed { pass, examined, resealed } if resealed > 0 => {
                    println!("pass {pass}: {resealed} of {examined} values re-sealed")
                }
                RotationProgress::Resealed { .. } => {}
            })
            .await?;
            println!(
                "rotated: key {} seals every value ({} re-sealed in {} passes over {} values); key {} retired. \
                 Backups taken before now need the retired key to open their personal data: take a new backup.",
                report.sealing, report.resealed, report.passes, report.examined, report.retired
            );
        }
        KeysCommand::Status => {
            match watcher.key_file() {
                Some(path) => {
                    let ring = Keyring::read(path)?;
                    println!("key file {}", path.display());
                    println!("sealing key {}", ring.sealing_id());
                    match ring.phase() {
                        RotationPhase::Settled => println!("no rotation under way"),
                        RotationPhase::Staged => println!(
                            "rotation under way: key {} staged (opens only); run `grassroots keys rotate` to go on",
                            ring.incoming_id().map(|k| k.to_string()).unwrap_or_default()
                        ),
                        RotationPhase::Resealing => println!(
                            "rotation under way: key {} being retired; run `grassroots keys rotate` to go on",
                            ring.outgoing_id().map(|k| k.to_string()).unwrap_or_default()
                        ),
                    }
                }
                None => println!("the key comes from GRASSROOTS_SECRET_KEY (key {})", store.key_holding().sealing),
            }
            for holder in store.key_holders(chrono::Utc::now()).await? {
                if holder.instance == watcher.instance {
                    continue;
                }
                let opening: Vec<String> = holder.holding.opening.iter().map(|k| k.to_string()).collect();
                println!(
                    "{}: seals with {}, opens {} (reported {})",
                    holder.instance,
                    holder.holding.sealing,
                    opening.join(" "),
                    holder.seen_at.format("%Y-%m-%d %H:%M:%S UTC")
                );
            }
        }
    }
    Ok(())
}
