//! Votes (表决): held by staff in their places, cast by residents linked to a household of the
//! place, paper ballots marked and counted by two staff members, results published, and the
//! tally reproduced from the stored ballots. Called alike by the JSON API, the pages and the
//! command line.

use chrono::Utc;
use grassroots_domain::deliberation::public_text;
use grassroots_domain::households::LinkState;
use grassroots_domain::residents::Mobile;
use grassroots_domain::votes::{
    agreed_paper_count, check_options, check_times, tally, Eligibility, PaperCount, Tally, VoteKind, Voter,
    WITHDRAWAL_CHARS,
};
use grassroots_domain::RegionLevel;
use grassroots_store::residents::Resident;
use grassroots_store::votes::{Cast, NewVote, PaperEntry, Vote};
use grassroots_store::User;
use grassroots_store::{Household, PlaceFilter};
use uuid::Uuid;

use crate::fields::{moment, short_text};
use crate::{deliberation, households, AppError, Platform, Result, Text};

const TITLE_CHARS: usize = 80;
const BODY_CHARS: usize = 2000;
const LISTED: i64 = 100;

/// A vote as staff set it up; times as RFC 3339 or Beijing time (`2026-12-03T09:00`).
#[derive(Debug, Clone, Default)]
pub struct VoteForm {
    /// The street, community or grid whose households or residents vote.
    pub region: String,
    pub title: String,
    pub body: String,
    /// `single` or `approval`.
    pub kind: String,
    /// `households` or `persons`.
    pub eligibility: String,
    pub options: Vec<String>,
    pub opens_at: String,
    pub closes_at: String,
}

use crate::may_run_participation as may_run;

/// Holds a vote in one of the staff member's places.
#[tracing::instrument(skip_all, fields(region = %form.region))]
pub async fn create(platform: &Platform, staff: &User, form: VoteForm) -> Result<Vote> {
    may_run(staff)?;
    let now = Utc::now();
    let region = deliberation::space(platform, &form.region)?;
    if !staff.scope.covers_place(&region) {
        return Err(AppError::invalid("region", "该地不在您的范围内", "this place is outside your scope"));
    }
    let vote = NewVote {
        region_code: region,
        title: short_text("title", &form.title, TITLE_CHARS)?,
        body: short_text("body", &form.body, BODY_CHARS)?,
        kind: VoteKind::parse(form.kind.trim())
            .ok_or_else(|| AppError::invalid("kind", "应为 single 或 approval", "expected single or approval"))?,
        eligibility: Eligibility::parse(form.eligibility.trim()).ok_or_else(|| {
            AppError::invalid("eligibility", "应为 households 或 persons", "expected households or persons")
        })?,
        options: check_options(&form.options)?,
        opens_at: moment("opens_at", form.opens_at.trim())?,
        closes_at: moment("closes_at", form.closes_at.trim())?,
    };
    check_times(vote.opens_at, vote.closes_at, now)?;
    Ok(platform.store.create_vote(&staff.actor(), &vote, now).await?)
}

/// The votes anyone may read: every vote, newest first. Results show only once published.
pub async fn public(platform: &Platform) -> Result<Vec<Vote>> {
    Ok(platform.store.votes(&PlaceFilter::Everywhere, LISTED).await?)
}

/// The votes of the places the staff member works in.
pub async fn for_staff(platform: &Platform, staff: &User) -> Result<Vec<Vote>> {
    may_run(staff)?;
    let filter = staff.scope.place_prefixes().map_or(PlaceFilter::Everywhere, PlaceFilter::Within);
    Ok(platform.store.votes(&filter, LISTED).await?)
}

/// A vote anyone may read.
pub async fn get(platform: &Platform, id: Uuid) -> Result<Vote> {
    platform.store.vote(id).await?.ok_or(AppError::NotFound)
}

/// A vote the staff member runs (in their places), for marking, counting and publishing.
pub async fn run(platform: &Platform, staff: &User, id: Uuid) -> Result<Vote> {
    may_run(staff)?;
    let vote = get(platform, id).await?;
    match staff.scope.reaches(&vote.region_code) {
        true => Ok(vote),
        false => Err(AppError::NotFound),
    }
}

/// Where a resident stands in a vote.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Standing {
    /// No confirmed household: they cannot vote yet.
    NoHousehold,
    /// Their household lies outside the vote's place.
    Elsewhere,
    /// On the roll may go `voter`, who has not voted.
    MayVote(Voter),
    /// They (or their household) have voted.
    Voted,
}

/// Whether the resident may vote in this vote, and as whom.
pub async fn standing(platform: &Platform, resident: &Resident, vote: &Vote) -> Result<Standing> {
    let household = households::confirmed(platform, resident).await?;
    standing_in(platform, resident, household.as_ref(), vote).await
}

/// Where a resident of this confirmed household (if any) stands in a vote.
async fn standing_in(
    platform: &Platform,
    resident: &Resident,
    household: Option<&Household>,
    vote: &Vote,
) -> Result<Standing> {
    let Some(household) = household else { return Ok(Standing::NoHousehold) };
    if !household.grid_code.starts_with(&vote.region_code) {
        return Ok(Standing::Elsewhere);
    }
    let voter = Voter::for_vote(vote.eligibility, resident.id, household.id);
    Ok(match platform.store.has_voted(vote.id, voter).await? {
        true => Standing::Voted,
        false => Standing::MayVote(voter),
    })
}

/// The votes of the resident's street, community and grid, each with where they stand.
pub async fn for_resident(platform: &Platform, resident: &Resident) -> Result<Vec<(Vote, Standing)>> {
    let Some(household) = households::confirmed(platform, resident).await? else { return Ok(Vec::new()) };
    let mut votes = Vec::new();
    for vote in platform.store.votes(&PlaceFilter::Of(households::places_of(&household)), LISTED).await? {
        let standing = standing_in(platform, resident, Some(&household), &vote).await?;
        votes.push((vote, standing));
    }
    Ok(votes)
}

/// The resident casts a ballot: option positions (from 0).
pub async fn cast(platform: &Platform, resident: &Resident, id: Uuid, choices: &[u32]) -> Result<()> {
    let vote = get(platform, id).await?;
    let voter = match standing(platform, resident, &vote).await? {
        Standing::MayVote(voter) => voter,
        Standing::Voted => return Err(already_voted(vote.eligibility)),
        Standing::NoHousehold => {
            return Err(AppError::Forbidden(Text::new(
                "请先绑定您的住户，经网格员确认后才能投票",
                "link your household first: you vote once a grid worker confirms it",
            )))
        }
        Standing::Elsewhere => {
            return Err(AppError::Forbidden(Text::new(
                "您的住户不在本次表决的范围内",
                "your household is outside this vote's place",
            )))
        }
    };
    counted(platform.store.cast_ballot(id, voter, choices, Utc::now()).await?, vote.eligibility)
}

fn already_voted(eligibility: Eligibility) -> AppError {
    AppError::Conflict(match eligibility {
        Eligibility::Households => {
            Text::new("您家已投票（每户一票）", "your household has voted (one ballot a household)")
        }
        Eligibility::Persons => Text::new("您已投票", "you have voted"),
    })
}

fn counted(cast: Cast, eligibility: Eligibility) -> Result<()> {
    match cast {
        Cast::Counted => Ok(()),
        Cast::AlreadyVoted => Err(already_voted(eligibility)),
        Cast::NotOpen => Err(AppError::Conflict(Text::new("表决不在投票期内", "the vote is not open"))),
    }
}

/// Who voted on paper, as staff name them: a household by grid and label, or a person by
/// their number.
#[derive(Debug, Clone, Default)]
pub struct PaperVoterForm {
    pub grid_code: Option<String>,
    pub label: Option<String>,
    pub phone: Option<String>,
}

/// Marks a voter as having voted on paper; one who voted online (or their household) is
/// refused, so no one votes twice.
pub async fn mark_paper_voter(platform: &Platform, staff: &User, id: Uuid, form: PaperVoterForm) -> Result<()> {
    let vote = run(platform, staff, id).await?;
    let voter = match vote.eligibility {
        Eligibility::Households => {
            let grid = form.grid_code.as_deref().map(str::trim).unwrap_or_default();
            let label = form.label.as_deref().map(str::trim).unwrap_or_default();
            if !grid.starts_with(&vote.region_code) || grid.len() != RegionLevel::Grid.digits() {
                return Err(AppError::invalid(
                    "grid_code",
                    "请选择本次表决范围内的网格",
                    "choose a grid of this vote's place",
                ));
            }
            let household = platform.store.households(grid).await?.into_iter().find(|h| h.label == label);
            let household = household.ok_or_else(|| {
                AppError::invalid("label", "该网格没有这一户，请先登记住户", "no household of that label in the grid")
            })?;
            Voter::Household(household.id)
        }
        Eligibility::Persons => {
            let mobile = Mobile::parse(form.phone.as_deref().unwrap_or_default())?;
            let resident = platform.store.resident_by_phone(&mobile).await?;
            let link = match resident {
                Some(r) => platform.store.household_link(r.id).await?.map(|l| (r, l)),
                None => None,
            };
            match link {
                Some((r, l))
                    if l.state == LinkState::Confirmed
                        && l.household.as_ref().is_some_and(|h| h.grid_code.starts_with(&vote.region_code)) =>
                {
                    Voter::Person(r.id)
                }
                _ => {
                    return Err(AppError::invalid(
                        "phone",
                        "该号码的居民未绑定本次表决范围内的住户",
                        "no resident of this number is linked to a household of this vote's place",
                    ))
                }
            }
        }
    };
    match platform.store.mark_paper_voter(&staff.actor(), id, voter, Utc::now()).await? {
        Cast::Counted => Ok(()),
        Cast::AlreadyVoted => Err(AppError::Conflict(Text::new("该投票人已投票", "this voter has already voted"))),
        Cast::NotOpen => Err(AppError::Conflict(Text::new(
            "只能在投票期内、纸质票录入前登记",
            "paper voters are marked while the vote is open, or after it closes until the paper count begins",
        ))),
    }
}

/// A staff member's entry of the paper count; the count stands once two staff agree.
pub async fn enter_paper_count(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    count: PaperCount,
) -> Result<Vec<PaperEntry>> {
    run(platform, staff, id).await?;
    Ok(platform.store.enter_paper_count(&staff.actor(), id, &count, Utc::now()).await?)
}

pub async fn paper_entries(platform: &Platform, staff: &User, id: Uuid) -> Result<Vec<PaperEntry>> {
    run(platform, staff, id).await?;
    Ok(platform.store.paper_entries(id).await?)
}

/// Withdraws a vote announced by mistake, before it opens, with a reason its page shows.
pub async fn withdraw(platform: &Platform, staff: &User, id: Uuid, reason: &str) -> Result<Vote> {
    run(platform, staff, id).await?;
    let reason = public_text("reason", reason, WITHDRAWAL_CHARS)?;
    Ok(platform.store.withdraw_vote(&staff.actor(), id, &reason, Utc::now()).await?)
}

/// Publishes the results of a closed vote, tallied in the store's transaction.
pub async fn publish(platform: &Platform, staff: &User, id: Uuid) -> Result<Vote> {
    let vote = run(platform, staff, id).await?;
    if !staff.scope.covers_place(&vote.region_code) {
        return Err(AppError::Forbidden(Text::new(
            "只有负责整个表决范围的工作人员可以公布结果",
            "results are published by staff whose scope holds the whole place of the vote",
        )));
    }
    Ok(platform.store.publish_results(&staff.actor(), id, Utc::now()).await?)
}

/// A vote counted again from its stored ballots and agreed paper count, beside what was
/// published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recount {
    pub vote: Vote,
    pub tally: Tally,
    /// Whether the published result (if any) is what the ballots add up to.
    pub matches: Option<bool>,
}

/// Counts a vote again from what the store holds (`grassroots vote tally ID`).
pub async fn recount(platform: &Platform, id: Uuid) -> Result<Recount> {
    let vote = get(platform, id).await?;
    let ballots = platform.store.ballots(id).await?;
    let counts: Vec<PaperCount> = platform.store.paper_entries(id).await?.into_iter().map(|e| e.count).collect();
    let tally = tally(vote.options.len(), ballots.iter().map(Vec::as_slice), agreed_paper_count(&counts));
    let matches = vote.published_at.map(|_| vote.results == tally.counts);
    Ok(Recount { vote, tally, matches })
}
