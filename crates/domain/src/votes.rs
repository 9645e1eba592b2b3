//! Votes (表决) of a street, community or grid: what a vote may ask, who may vote, when, what a
//! ballot may say, how paper ballots entered by two staff members are reconciled, and the
//! tally. A ballot never names its voter: the store keeps who voted apart from how.

use chrono::{DateTime, Duration, Utc};
use uuid::Uuid;

use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::text::trimmed;
use crate::FieldError;

/// Choices a vote offers.
pub const MIN_OPTIONS: usize = 2;
pub const MAX_OPTIONS: usize = 20;
pub const OPTION_CHARS: usize = 60;
/// The longest a vote stays open.
pub const LONGEST_OPEN_DAYS: i64 = 90;
/// The shortest: residents need time to hear of it.
pub const SHORTEST_OPEN_HOURS: i64 = 1;
/// How far in the past an opening time may lie (a form filled in a minute ago).
const OPENS_GRACE_MINUTES: i64 = 10;

coded_enum! {
    /// How a ballot chooses.
    VoteKind {
        Single = "single" / "单选" / "single choice",
        Approval = "approval" / "可多选" / "approval (any number of options)",
    }
}

coded_enum! {
    /// Who is on the roll: one ballot per household of the region (户代表), cast by any
    /// resident linked to it, or one per resident linked to a household of the region.
    Eligibility {
        Households = "households" / "每户一票" / "one ballot per household",
        Persons = "persons" / "每人一票" / "one ballot per person",
    }
}

coded_enum! {
    /// Where a vote stands, from its times and whether its results are out.
    Phase {
        Scheduled = "scheduled" / "未开始" / "not yet open",
        Open = "open" / "投票中" / "open",
        Closed = "closed" / "已截止，待公布" / "closed, results to come",
        Published = "published" / "结果已公布" / "results published",
        Withdrawn = "withdrawn" / "已撤销" / "withdrawn",
    }
}

pub fn phase(
    opens_at: DateTime<Utc>,
    closes_at: DateTime<Utc>,
    published: bool,
    withdrawn: bool,
    now: DateTime<Utc>,
) -> Phase {
    match () {
        _ if withdrawn => Phase::Withdrawn,
        _ if published => Phase::Published,
        _ if now < opens_at => Phase::Scheduled,
        _ if now < closes_at => Phase::Open,
        _ => Phase::Closed,
    }
}

/// How long the published reason for a withdrawal may be.
pub const WITHDRAWAL_CHARS: usize = 200;

/// A vote or survey announced by mistake is withdrawn before it opens, with a reason: once
/// anyone may have answered, it runs its course.
pub fn may_withdraw(phase: Phase) -> Result<(), FieldError> {
    match phase {
        Phase::Scheduled => Ok(()),
        Phase::Withdrawn => Err(FieldError::new("phase", "已撤销", "already withdrawn")),
        Phase::Open | Phase::Closed | Phase::Published => {
            Err(FieldError::new("phase", "开始后不能撤销", "only what has not opened yet is withdrawn"))
        }
    }
}

/// The options of a new vote, trimmed: two to twenty, each named once.
pub fn check_options(options: &[String]) -> Result<Vec<String>, FieldError> {
    let options: Vec<String> = options.iter().map(|o| trimmed(o).to_string()).filter(|o| !o.is_empty()).collect();
    let bad = |zh: String, en: String| Err(FieldError::new("options", zh, en));
    if !(MIN_OPTIONS..=MAX_OPTIONS).contains(&options.len()) {
        return bad(
            format!("选项应为{MIN_OPTIONS}至{MAX_OPTIONS}个"),
            format!("give {MIN_OPTIONS} to {MAX_OPTIONS} options"),
        );
    }
    if let Some(long) = options.iter().find(|o| o.chars().count() > OPTION_CHARS) {
        return bad(
            format!("选项“{long}”超过{OPTION_CHARS}个字符"),
            format!("an option is over {OPTION_CHARS} characters"),
        );
    }
    for (i, o) in options.iter().enumerate() {
        if options[..i].contains(o) {
            return bad(format!("选项“{o}”重复"), "an option is given twice".to_string());
        }
    }
    Ok(options)
}

/// When a new vote opens and closes: not in the past, open at least an hour and at most
/// ninety days.
pub fn check_times(opens_at: DateTime<Utc>, closes_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), FieldError> {
    if opens_at < now - Duration::minutes(OPENS_GRACE_MINUTES) {
        return Err(FieldError::new("opens_at", "开始时间不能早于现在", "the opening time has passed"));
    }
    if closes_at < opens_at + Duration::hours(SHORTEST_OPEN_HOURS) {
        return Err(FieldError::new(
            "closes_at",
            format!("截止时间应在开始后至少{SHORTEST_OPEN_HOURS}小时"),
            format!("close at least {SHORTEST_OPEN_HOURS} hour after opening"),
        ));
    }
    if closes_at > opens_at + Duration::days(LONGEST_OPEN_DAYS) {
        return Err(FieldError::new(
            "closes_at",
            format!("投票期最长{LONGEST_OPEN_DAYS}天"),
            format!("a vote stays open at most {LONGEST_OPEN_DAYS} days"),
        ));
    }
    Ok(())
}

/// What a ballot chooses, as option positions (from 0), ascending: one for a single choice,
/// one or more, each once, for approval.
pub fn check_choices(kind: VoteKind, options: usize, chosen: &[u32]) -> Result<Vec<u32>, FieldError> {
    let mut chosen = chosen.to_vec();
    chosen.sort_unstable();
    let bad = |zh: &str, en: &str| Err(FieldError::new("choices", zh, en));
    if chosen.iter().any(|&c| c as usize >= options) {
        return bad("选项不存在", "no such option");
    }
    if chosen.windows(2).any(|w| w[0] == w[1]) {
        return bad("同一选项只能选一次", "an option is chosen once");
    }
    match (kind, chosen.len()) {
        (_, 0) => bad("请选择", "choose an option"),
        (VoteKind::Single, 1) | (VoteKind::Approval, _) => Ok(chosen),
        (VoteKind::Single, _) => bad("本表决只能选一项", "this vote takes one choice"),
    }
}

/// A ballot's choices as the store keeps them.
pub fn encode_choices(chosen: &[u32]) -> String {
    chosen.iter().map(u32::to_string).collect::<Vec<_>>().join(",")
}

pub fn decode_choices(kept: &str) -> Option<Vec<u32>> {
    kept.split(',').map(|c| c.parse().ok()).collect()
}

/// Who casts a ballot: a household (whichever of its residents votes first) or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Voter {
    Household(Uuid),
    Person(Uuid),
}

impl Voter {
    /// The voter a resident is, for a vote of this eligibility.
    pub fn for_vote(eligibility: Eligibility, resident: Uuid, household: Uuid) -> Self {
        match eligibility {
            Eligibility::Households => Self::Household(household),
            Eligibility::Persons => Self::Person(resident),
        }
    }

    /// The key of the roll, one per voter and vote.
    pub fn key(self) -> String {
        match self {
            Self::Household(id) => format!("household:{id}"),
            Self::Person(id) => format!("resident:{id}"),
        }
    }
}

/// Paper ballots as counted aloud (唱票) and entered by one staff member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaperCount {
    /// Ballots in the box, valid and invalid.
    pub ballots: u32,
    /// Blank or spoilt ballots (废票).
    pub invalid: u32,
    /// Marks per option, in the options' order.
    pub counts: Vec<u32>,
}

impl PaperCount {
    /// Whether the count adds up: one mark per valid ballot for a single choice, no option
    /// marked on more ballots than were valid for approval; no more ballots than voters the roll
    /// marks as having voted on paper.
    pub fn check(&self, kind: VoteKind, options: usize, paper_voters: u64) -> Result<(), FieldError> {
        if self.counts.len() != options {
            return Err(FieldError::new(
                "counts",
                format!("应填写{options}个选项的票数"),
                format!("give a count for each of the {options} options"),
            ));
        }
        if u64::from(self.ballots) > paper_voters {
            return Err(FieldError::new(
                "ballots",
                format!("纸质票数多于登记的纸质投票人数（{paper_voters}）"),
                format!("more ballots than voters marked as voting on paper ({paper_voters})"),
            ));
        }
        if self.invalid > self.ballots {
            return Err(FieldError::new("invalid", "废票多于总票数", "more invalid ballots than ballots"));
        }
        let valid = u64::from(self.ballots - self.invalid);
        let marks: u64 = self.counts.iter().map(|&c| u64::from(c)).sum();
        let adds_up = match kind {
            VoteKind::Single => marks == valid,
            VoteKind::Approval => self.counts.iter().all(|&c| u64::from(c) <= valid) && (valid == 0) == (marks == 0),
        };
        if !adds_up {
            return Err(FieldError::new(
                "counts",
                match kind {
                    VoteKind::Single => "各选项票数之和应等于有效票数",
                    VoteKind::Approval => "每个选项的票数不能多于有效票数",
                },
                match kind {
                    VoteKind::Single => "the options' counts add up to the valid ballots",
                    VoteKind::Approval => "no option has more marks than there were valid ballots",
                },
            ));
        }
        Ok(())
    }
}

/// The paper count that stands: one that two entries (by different staff members) agree on.
pub fn agreed_paper_count(entries: &[PaperCount]) -> Option<&PaperCount> {
    entries.iter().enumerate().find(|(i, e)| entries[i + 1..].contains(e)).map(|(_, e)| e)
}

/// A vote's count: marks per option from the ballots cast online and the agreed paper count.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Tally {
    pub counts: Vec<u64>,
    pub online_ballots: u64,
    pub paper_ballots: u64,
    pub invalid: u64,
}

impl Tally {
    pub fn ballots(&self) -> u64 {
        self.online_ballots + self.paper_ballots
    }
}

/// Counts the ballots: each online ballot marks its choices; the paper count adds its marks.
/// A stored ballot naming no option of the vote is counted invalid, never dropped.
pub fn tally<'a>(options: usize, online: impl IntoIterator<Item = &'a [u32]>, paper: Option<&PaperCount>) -> Tally {
    let mut t = Tally { counts: vec![0; options], ..Tally::default() };
    for ballot in online {
        t.online_ballots += 1;
        if ballot.is_empty() || ballot.iter().any(|&c| c as usize >= options) {
            t.invalid += 1;
            continue;
        }
        for &c in ballot {
            t.counts[c as usize] += 1;
        }
    }
    if let Some(p) = paper {
        t.paper_ballots = u64::from(p.ballots);
        t.invalid += u64::from(p.invalid);
        for (sum, &c) in t.counts.iter_mut().zip(&p.counts) {
            *sum += u64::from(c);
        }
    }
    t
}

/// Why results may not be published yet.
pub fn may_publish(phase: Phase, paper_voters: u64, paper_agreed: bool) -> Result<(), FieldError> {
    match phase {
        Phase::Scheduled | Phase::Open => {
            Err(FieldError::new("vote", "投票截止后才能公布结果", "results are published after the vote closes"))
        }
        Phase::Published => Err(FieldError::new("vote", "结果已公布", "the results are already published")),
        Phase::Withdrawn => Err(FieldError::new("vote", "表决已撤销", "the vote was withdrawn")),
        Phase::Closed if paper_voters > 0 && !paper_agreed => Err(FieldError::new(
            "vote",
            "纸质票须由两名工作人员分别录入且一致后才能公布",
            "paper ballots must be entered by two staff members, agreeing, before publication",
        )),
        Phase::Closed => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn at(h: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 5, h, 0, 0).unwrap()
    }

    #[test]
    fn phases_follow_the_clock_and_publication() {
        let (opens, closes) = (at(8), at(20));
        assert_eq!(phase(opens, closes, false, false, at(7)), Phase::Scheduled);
        assert_eq!(phase(opens, closes, false, false, at(8)), Phase::Open);
        assert_eq!(phase(opens, closes, false, false, at(20)), Phase::Closed);
        assert_eq!(phase(opens, closes, true, false, at(21)), Phase::Published);
        assert_eq!(phase(opens, closes, false, true, at(8)), Phase::Withdrawn);
        assert!(may_withdraw(Phase::Scheduled).is_ok());
        for later in [Phase::Open, Phase::Closed, Phase::Published, Phase::Withdrawn] {
            assert_eq!(may_withdraw(later).unwrap_err().field, "phase");
        }
        for p in Phase::ALL {
            assert_eq!(Phase::parse(p.as_str()), Some(*p));
        }
    }

    #[test]
    fn options_are_two_to_twenty_and_distinct() {
        let o = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(check_options(&o(&[" 同意 ", "不同意", " "])).unwrap(), o(&["同意", "不同意"]));
        for bad in [o(&["同意"]), o(&["同意", "同意"]), o(&["同意", &"长".repeat(61)]), vec!["x".into(); 21]] {
            assert_eq!(check_options(&bad).unwrap_err().field, "options", "{bad:?}");
        }
    }

    #[test]
    fn times_are_ahead_and_bounded() {
        let now = at(8);
        assert!(check_times(now, at(9), now).is_ok());
        assert_eq!(check_times(at(6), at(12), now).unwrap_err().field, "opens_at");
        assert_eq!(check_times(now, now + Duration::minutes(59), now).unwrap_err().field, "closes_at");
        assert_eq!(check_times(now, now + Duration::days(91), now).unwrap_err().field, "closes_at");
    }

    #[test]
    fn a_ballot_chooses_what_its_vote_allows() {
        assert_eq!(check_choices(VoteKind::Single, 3, &[2]).unwrap(), vec![2]);
        assert_eq!(check_choices(VoteKind::Approval, 3, &[2, 0]).unwrap(), vec![0, 2]);
        for (kind, chosen) in [
            (VoteKind::Single, vec![0, 1]),
            (VoteKind::Single, vec![]),
            (VoteKind::Approval, vec![]),
            (VoteKind::Approval, vec![1, 1]),
            (VoteKind::Single, vec![3]),
        ] {
            assert_eq!(check_choices(kind, 3, &chosen).unwrap_err().field, "choices", "{kind:?} {chosen:?}");
        }
        assert_eq!(decode_choices(&encode_choices(&[0, 2])), Some(vec![0, 2]));
        assert_eq!(decode_choices("x"), None);
    }

    #[test]
    fn households_vote_once_whoever_of_them_votes() {
        let (household, a, b) = (Uuid::from_u128(1), Uuid::from_u128(2), Uuid::from_u128(3));
        let key = |eligibility, resident| Voter::for_vote(eligibility, resident, household).key();
        assert_eq!(key(Eligibility::Households, a), key(Eligibility::Households, b));
        assert_ne!(key(Eligibility::Persons, a), key(Eligibility::Persons, b));
    }

    #[test]
    fn paper_counts_add_up_and_stay_within_the_roll() {
        let count = |ballots, invalid, counts: &[u32]| PaperCount { ballots, invalid, counts: counts.to_vec() };
        assert!(count(10, 1, &[6, 3]).check(VoteKind::Single, 2, 10).is_ok());
        assert_eq!(count(10, 1, &[6, 2]).check(VoteKind::Single, 2, 10).unwrap_err().field, "counts");
        assert_eq!(count(11, 1, &[7, 3]).check(VoteKind::Single, 2, 10).unwrap_err().field, "ballots");
        assert_eq!(count(10, 11, &[0, 0]).check(VoteKind::Single, 2, 10).unwrap_err().field, "invalid");
        assert_eq!(count(10, 0, &[6, 3, 1]).check(VoteKind::Single, 2, 10).unwrap_err().field, "counts");
        assert!(count(10, 0, &[9, 10]).check(VoteKind::Approval, 2, 10).is_ok());
        assert_eq!(count(10, 2, &[9, 1]).check(VoteKind::Approval, 2, 10).unwrap_err().field, "counts");
    }

    #[test]
    fn a_paper_count_stands_when_two_entries_agree() {
        let a = PaperCount { ballots: 5, invalid: 0, counts: vec![3, 2] };
        let b = PaperCount { ballots: 5, invalid: 0, counts: vec![2, 3] };
        assert_eq!(agreed_paper_count(std::slice::from_ref(&a)), None);
        assert_eq!(agreed_paper_count(&[a.clone(), b.clone()]), None);
        assert_eq!(agreed_paper_count(&[b.clone(), a.clone(), b.clone()]), Some(&b));
    }

    #[test]
    fn the_tally_adds_online_and_paper_ballots() {
        let online: Vec<Vec<u32>> = vec![vec![0], vec![1], vec![0], vec![5]];
        let paper = PaperCount { ballots: 4, invalid: 1, counts: vec![2, 1] };
        let t = tally(2, online.iter().map(Vec::as_slice), Some(&paper));
        assert_eq!(t, Tally { counts: vec![4, 2], online_ballots: 4, paper_ballots: 4, invalid: 2 });
        assert_eq!(t.ballots(), 8);
    }

    #[test]
    fn results_wait_for_the_close_and_for_agreed_paper() {
        assert!(may_publish(Phase::Open, 0, false).is_err());
        assert!(may_publish(Phase::Closed, 3, false).is_err());
        assert!(may_publish(Phase::Closed, 3, true).is_ok());
        assert!(may_publish(Phase::Closed, 0, false).is_ok());
        assert!(may_publish(Phase::Published, 0, false).is_err());
    }
}
