//! Votes (表决) in the store: the vote and its options, the roll of who voted (never how),
//! ballots without voter or time, paper counts entered by two staff members, and the results
//! as published. The rules are `grassroots_domain::votes`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::votes::{phase, Eligibility, PaperCount, Phase, VoteKind, Voter};
use grassroots_domain::Actor;
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// A vote as staff set it up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewVote {
    /// A street, community or grid code: whose households or residents vote.
    pub region_code: String,
    pub title: String,
    pub body: String,
    pub kind: VoteKind,
    pub eligibility: Eligibility,
    pub options: Vec<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
}

/// A vote or survey withdrawn before it opened: when, and why (published).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Withdrawal {
    pub at: DateTime<Utc>,
    pub reason: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Vote {
    pub id: Uuid,
    pub region_code: String,
    pub title: String,
    pub body: String,
    pub kind: VoteKind,
    pub eligibility: Eligibility,
    pub options: Vec<String>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub withdrawn: Option<Withdrawal>,
    /// The roll's size when the results were published.
    pub eligible: Option<u64>,
    /// Marks per option as published; empty before.
    pub results: Vec<u64>,
    /// Voters on the roll so far, online and on paper.
    pub voters: u64,
    pub paper_voters: u64,
}

impl Vote {
    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        phase(self.opens_at, self.closes_at, self.published_at.is_some(), self.withdrawn.is_some(), now)
    }
}

/// What became of a ballot or of a paper voter's mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Cast {
    Counted,
    /// The voter (or their household) is already on the roll.
    AlreadyVoted,
    /// The vote is not open (for a paper voter: not open, or its results are out).
    NotOpen,
}

/// One staff member's entry of the paper count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperEntry {
    pub entered_by: String,
    pub count: PaperCount,
    pub entered_at: DateTime<Utc>,
}

#[async_trait]
pub trait VoteStore: Send + Sync {
    /// Keeps a vote checked by the domain's rules; audited.
    async fn create_vote(&self, actor: &Actor, vote: &NewVote, now: DateTime<Utc>) -> Result<Vote>;
    async fn vote(&self, id: Uuid) -> Result<Option<Vote>>;
    /// Newest opening first.
    async fn votes(&self, filter: &PlaceFilter, limit: i64) -> Result<Vec<Vote>>;
    /// Casts a ballot while the vote is open: the voter goes on the roll and the ballot, with
    /// no voter and no time, into the box, in one transaction; a voter already on the roll
    /// (under any concurrency) casts nothing. Eligibility is the caller's to check.
    async fn cast_ballot(&self, vote: Uuid, voter: Voter, choices: &[u32], now: DateTime<Utc>) -> Result<Cast>;
    /// Marks a voter as having voted on paper (a ballot handed over at a meeting); audited.
    async fn mark_paper_voter(&self, actor: &Actor, vote: Uuid, voter: Voter, now: DateTime<Utc>) -> Result<Cast>;
    /// Keeps a staff member's entry of the paper count (replacing their earlier one), checked
    /// against the roll; refused once two entries agree or the results are out; audited.
    async fn enter_paper_count(
        &self,
        actor: &Actor,
        vote: Uuid,
        count: &PaperCount,
        now: DateTime<Utc>,
    ) -> Result<Vec<PaperEntry>>;
    async fn paper_entries(&self, vote: Uuid) -> Result<Vec<PaperEntry>>;
    /// The ballots cast online, each its option positions.
    async fn ballots(&self, vote: Uuid) -> Result<Vec<Vec<u32>>>;
    /// Whether this voter is on the vote's roll.
    async fn has_voted(&self, vote: Uuid, voter: Voter) -> Result<bool>;
    /// The households, or linked residents, of the vote's region: the roll's size.
    async fn roll_size(&self, region_code: &str, eligibility: Eligibility) -> Result<u64>;
    /// Withdraws a vote before it opens, with a reason; audited. Refused on `phase` once open.
    async fn withdraw_vote(&self, actor: &Actor, vote: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Vote>;
    /// Tallies the ballots and the agreed paper count and publishes the result with the roll's
    /// size, once the vote has closed; in one transaction, once; audited.
    async fn publish_results(&self, actor: &Actor, vote: Uuid, now: DateTime<Utc>) -> Result<Vote>;
}
