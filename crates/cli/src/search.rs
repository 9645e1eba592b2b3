//! `grassroots search`: the side index of what was written about cases (全文检索), rebuilt
//! from the store or looked at. A running server keeps it in step by itself.

use clap::Subcommand;
use grassroots_app::Platform;

use crate::Common;

#[derive(Subcommand)]
pub enum SearchCommand {
    /// Build the index again from every case in the store (the server must be stopped: it
    /// holds the index while it runs, and rebuilds a missing index by itself when it starts).
    Rebuild,
    /// Cases in the index, and the time of the latest change it has taken up.
    Status,
}

pub async fn run(common: &Common, platform: &Platform, command: SearchCommand) -> anyhow::Result<()> {
    let dir = common.search_dir();
    let index = grassroots_app::search::open(platform, &dir).await.map_err(crate::refused)?;
    match command {
        SearchCommand::Rebuild => {
            if !index.writes() {
                anyhow::bail!(
                    "another process (a running server) holds the search index in {}: stop it first",
                    dir.display()
                );
            }
            let started = std::time::Instant::now();
            let cases = grassroots_app::search::rebuild(platform, &index).await.map_err(crate::refused)?;
            println!("indexed {cases} cases in {:.1} s", started.elapsed().as_secs_f64());
        }
        SearchCommand::Status => {
            let position = index.position();
            println!("{} cases in the index at {}", index.len(), dir.display());
            match position.and_then(|p| chrono::DateTime::from_timestamp_millis(p.at_ms)) {
                Some(at) => println!("current to {}", at.to_rfc3339()),
                None => {
                    println!("never built: the server builds it when it starts, or run `grassroots search rebuild`")
                }
            }
        }
    }
    Ok(())
}
