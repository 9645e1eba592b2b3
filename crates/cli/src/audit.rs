//! `grassroots audit`: the audit log searched from the command line (JSON lines, newest
//! first, every page), and its hash chain checked.

use clap::Subcommand;
use grassroots_app::audit::{self, AuditQuery};
use grassroots_app::Platform;

#[derive(Subcommand)]
pub enum AuditCommand {
    /// Entries as JSON lines, newest first.
    List {
        /// A staff member's username.
        #[arg(long)]
        actor: Option<String>,
        /// A case's tracking number or id.
        #[arg(long)]
        case: Option<String>,
        /// The kind of entry: reveal, login, login_failed, login_burst, a move's name, …
        #[arg(long)]
        action: Option<String>,
        /// From this day (YYYY-MM-DD, Beijing).
        #[arg(long)]
        from: Option<String>,
        /// To this day, inclusive.
        #[arg(long)]
        to: Option<String>,
        /// At most this many entries (all when absent).
        #[arg(long)]
        limit: Option<usize>,
    },
    /// Seals what is pending into the hash chain and checks every entry against its hash and
    /// its predecessor's; exits with 1 if the chain is broken.
    Verify,
}

pub async fn run(platform: &Platform, command: AuditCommand) -> anyhow::Result<()> {
    match command {
        AuditCommand::List { actor, case, action, from, to, limit } => {
            let query = AuditQuery { actor, case, action, from, to, before: None, limit: Some(1000) };
            let mut search = audit::prepare(platform, None, &query).await.map_err(crate::refused)?;
            let mut left = limit.unwrap_or(usize::MAX);
            while left > 0 {
                let page = search.page(platform).await.map_err(crate::refused)?;
                for line in page.lines.iter().take(left) {
                    let mut entry = serde_json::to_value(&line.entry)?;
                    entry["actor_username"] = line.actor_username.clone().into();
                    println!("{entry}");
                }
                left = left.saturating_sub(page.lines.len());
                match page.next_before {
                    Some(before) => search.continue_before(before),
                    None => break,
                }
            }
            Ok(())
        }
        AuditCommand::Verify => {
            let report = audit::verify(platform, None).await.map_err(crate::refused)?;
            let head = report.head.as_deref().unwrap_or("-");
            match report.broken {
                None => {
                    println!("audit chain intact: {} entries sealed, head {head}", report.sealed);
                    Ok(())
                }
                Some(broken) => {
                    let entry = broken.entry.map_or_else(|| "-".to_string(), |id| id.to_string());
                    anyhow::bail!(
                        "audit chain broken at place {} (entry {entry}): {}; {} entries before it hold",
                        broken.chain_seq,
                        broken.reason,
                        report.sealed
                    )
                }
            }
        }
    }
}
