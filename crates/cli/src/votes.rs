//! `grassroots vote`: a vote counted again from its stored ballots, beside what was published.

use clap::Subcommand;
use grassroots_app::Platform;
use grassroots_domain::votes::Phase;
use uuid::Uuid;

#[derive(Subcommand)]
pub enum VoteCommand {
    /// Count a vote again from the ballots the store holds and the paper count two staff
    /// members agreed on, and compare with the published result (exits non-zero if they differ).
    Tally {
        /// The vote's id.
        id: Uuid,
    },
}

pub async fn run(platform: &Platform, command: VoteCommand) -> anyhow::Result<()> {
    let VoteCommand::Tally { id } = command;
    let recount = grassroots_app::votes::recount(platform, id).await.map_err(crate::refused)?;
    let (vote, tally) = (&recount.vote, &recount.tally);
    let phase = vote.phase(chrono::Utc::now());
    println!("{} ({}, {})", vote.title, vote.region_code, phase.label_en());
    match phase {
        Phase::Scheduled | Phase::Open => {
            println!("the vote has not closed: its ballots are not counted before it does");
            return Ok(());
        }
        Phase::Withdrawn => {
            println!("the vote was withdrawn before it opened: it has no ballots");
            return Ok(());
        }
        Phase::Closed | Phase::Published => {}
    }
    let valid = tally.ballots() - tally.invalid;
    for (i, (option, count)) in vote.options.iter().zip(&tally.counts).enumerate() {
        let published = vote.results.get(i).map_or(String::new(), |p| format!(" (published {p})"));
        println!("{:>3}. {option}: {count}{published}", i + 1);
    }
    println!(
        "ballots {} (online {}, paper {}), invalid {}, valid {valid}; voters on the roll {}{}",
        tally.ballots(),
        tally.online_ballots,
        tally.paper_ballots,
        tally.invalid,
        vote.voters,
        vote.eligible.map_or(String::new(), |e| format!(" of {e}")),
    );
    match recount.matches {
        Some(true) => println!("the published result is what the stored ballots add up to"),
        Some(false) => anyhow::bail!("the published result differs from the stored ballots"),
        None => println!("not yet published"),
    }
    Ok(())
}
