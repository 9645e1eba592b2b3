//! Counters of cases per Beijing day and place (汇总), kept in the same transaction as every
//! change of a case, so that the three rates, dashboards, maps and rankings read a few rows a
//! day instead of every case. What a case adds to them is a function of its current row
//! alone ([`contribution`]); a change of the row adds the difference ([`delta`]).
//!
//! Beside the counters per day, the open cases are counted by place and by what the workbench
//! queues tell apart ([`OpenKey`]), so that a queue's size is a sum of a few rows: counting a
//! district's 200,000 dispatched cases walked 200,000 index entries.
//!
//! The counters are kept in several cuts, from coarse to fine: a reader takes the smallest cut
//! that holds every place, category and unit it filters or groups by ([`Cut::cheapest`]), and
//! reads the cases themselves when none does (a sub-category, a unit within a community).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use crate::calendar::BEIJING_OFFSET_SECS;
use crate::case::{CaseRecord, Channel, DueStatus};
use crate::queue::QueueFacets;
use crate::RegionLevel;

/// A day in milliseconds, and Beijing time's offset in milliseconds: a stored time `t` falls
/// on day `(t + BEIJING_MS) / DAY_MS`, which the store's SQL computes too.
pub const DAY_MS: i64 = 24 * 3600 * 1000;
pub const BEIJING_MS: i64 = BEIJING_OFFSET_SECS as i64 * 1000;

/// The Beijing calendar day of a moment, counted from 1970-01-01.
pub fn day_of(t: DateTime<Utc>) -> i64 {
    (t.timestamp_millis() + BEIJING_MS).div_euclid(DAY_MS)
}

/// The first moment of a Beijing day.
pub fn day_start(day: i64) -> DateTime<Utc> {
    Utc.timestamp_millis_opt(day * DAY_MS - BEIJING_MS).single().unwrap_or_default()
}

/// Whether a moment is the start of a Beijing day.
pub fn is_day_start(t: DateTime<Utc>) -> bool {
    day_start(day_of(t)) == t
}

/// Moments `from..to`, either end open.
pub type Window = (Option<DateTime<Utc>>, Option<DateTime<Utc>>);

/// A period as the whole Beijing days it holds, if any, and the parts of days at its ends,
/// which the counters cannot tell apart from the rest of their day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// Days `from..to`, either end open.
    pub days: Option<(Option<i64>, Option<i64>)>,
    /// The moments `from..to` outside those days.
    pub edges: Vec<Window>,
}

impl Period {
    pub fn of(from: Option<DateTime<Utc>>, to: Option<DateTime<Utc>>) -> Self {
        let first = from.map(|f| if is_day_start(f) { day_of(f) } else { day_of(f) + 1 });
        let end = to.map(day_of);
        if let (Some(a), Some(b)) = (first, end) {
            if a >= b {
                return Self { days: None, edges: vec![(from, to)] };
            }
        }
        let mut edges = Vec::new();
        if let (Some(f), Some(a)) = (from, first) {
            if !is_day_start(f) {
                edges.push((Some(f), Some(day_start(a))));
            }
        }
        if let (Some(t), Some(b)) = (to, end) {
            if !is_day_start(t) {
                edges.push((Some(day_start(b)), Some(t)));
            }
        }
        Self { days: Some((first, end)), edges }
    }
}

/// What is counted. Those up to `PatrolsOnSpot` count cases on the day they were received;
/// the rest count cases on the day they were first dispatched, as the rates do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Counter {
    Received,
    /// Received and still pending (received, registered, dispatched or in progress).
    Pending,
    /// Pending and past a deadline.
    Overdue,
    /// Reports of grid workers' patrols.
    Patrols,
    /// Patrol reports closed on the spot by the worker who found the problem.
    PatrolsOnSpot,
    Dispatched,
    /// First contact with the resident before the response deadline.
    RespondedOnTime,
    Evaluated,
    /// Evaluated as resolved.
    Resolved,
    /// Rated satisfied or basically satisfied.
    Satisfied,
}

impl Counter {
    pub const ALL: [Counter; 10] = [
        Self::Received,
        Self::Pending,
        Self::Overdue,
        Self::Patrols,
        Self::PatrolsOnSpot,
        Self::Dispatched,
        Self::RespondedOnTime,
        Self::Evaluated,
        Self::Resolved,
        Self::Satisfied,
    ];

    /// The column that holds it.
    pub fn column(self) -> &'static str {
        match self {
            Self::Received => "received",
            Self::Pending => "pending",
            Self::Overdue => "overdue",
            Self::Patrols => "patrols",
            Self::PatrolsOnSpot => "patrols_on_spot",
            Self::Dispatched => "dispatched",
            Self::RespondedOnTime => "responded_on_time",
            Self::Evaluated => "evaluated",
            Self::Resolved => "resolved",
            Self::Satisfied => "satisfied",
        }
    }

    /// Whether it counts cases by the day of their first dispatch (else of their receipt).
    pub fn by_dispatch(self) -> bool {
        match self {
            Self::Received | Self::Pending | Self::Overdue | Self::Patrols | Self::PatrolsOnSpot => false,
            Self::Dispatched | Self::RespondedOnTime | Self::Evaluated | Self::Resolved | Self::Satisfied => true,
        }
    }
}

/// One value per [`Counter`], in the order of `Counter::ALL`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Tally(pub [i64; 10]);

impl Tally {
    pub fn get(&self, c: Counter) -> i64 {
        self.0[c as usize]
    }

    fn count(&mut self, c: Counter, yes: bool) {
        self.0[c as usize] += i64::from(yes);
    }

    pub fn is_zero(&self) -> bool {
        self.0.iter().all(|v| *v == 0)
    }

    pub fn add(&mut self, other: &Tally, sign: i64) {
        for (a, b) in self.0.iter_mut().zip(other.0) {
            *a += sign * b;
        }
    }
}

/// How finely a cut tells categories apart.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum CategoryDepth {
    None,
    /// The two-character top-level code.
    Top,
    /// The category as the case has it.
    Leaf,
}

/// A set of counters, each row one day of one combination of its dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Cut {
    DistrictCategory,
    Street,
    DistrictUnit,
    StreetCategory,
    StreetUnit,
    Community,
    CommunityCategory,
    CommunityUnit,
    Grid,
}

impl Cut {
    /// Smallest first (rows a day at most, in 东城区: 15 top categories, 17 streets, the units
    /// and co-handlers, 17 × 15, 17 × the units, 169 communities, 169 × 15, 169 × the units,
    /// 668 grids).
    pub const ALL: [Cut; 9] = [
        Self::DistrictCategory,
        Self::Street,
        Self::DistrictUnit,
        Self::StreetCategory,
        Self::StreetUnit,
        Self::Community,
        Self::CommunityCategory,
        Self::CommunityUnit,
        Self::Grid,
    ];

    /// What its rows tell apart, for people.
    pub fn label(self) -> &'static str {
        match self {
            Self::DistrictCategory => "district × top category",
            Self::Street => "street",
            Self::DistrictUnit => "district × unit",
            Self::StreetCategory => "street × top category",
            Self::StreetUnit => "street × unit",
            Self::Community => "community",
            Self::CommunityCategory => "community × top category",
            Self::CommunityUnit => "community × unit",
            Self::Grid => "grid",
        }
    }

    /// The stored number of the cut.
    pub fn code(self) -> i64 {
        match self {
            Self::Street => 1,
            Self::StreetCategory => 2,
            Self::StreetUnit => 3,
            Self::Community => 4,
            Self::CommunityCategory => 5,
            Self::Grid => 6,
            Self::DistrictCategory => 7,
            Self::DistrictUnit => 8,
            Self::CommunityUnit => 9,
        }
    }

    /// The finest place the cut tells apart: its rows hold that level's code and those above.
    pub fn places(self) -> RegionLevel {
        match self {
            Self::DistrictCategory | Self::DistrictUnit => RegionLevel::County,
            Self::Street | Self::StreetCategory | Self::StreetUnit => RegionLevel::Township,
            Self::Community | Self::CommunityCategory | Self::CommunityUnit => RegionLevel::Community,
            Self::Grid => RegionLevel::Grid,
        }
    }

    pub fn categories(self) -> CategoryDepth {
        match self {
            Self::DistrictCategory | Self::StreetCategory | Self::CommunityCategory => CategoryDepth::Top,
            Self::Street
            | Self::DistrictUnit
            | Self::StreetUnit
            | Self::Community
            | Self::CommunityUnit
            | Self::Grid => CategoryDepth::None,
        }
    }

    /// Whether the cut tells units apart: the lead unit, and apart from it each co-handler.
    pub fn units(self) -> bool {
        match self {
            Self::DistrictUnit | Self::StreetUnit | Self::CommunityUnit => true,
            Self::DistrictCategory
            | Self::Street
            | Self::StreetCategory
            | Self::Community
            | Self::CommunityCategory
            | Self::Grid => false,
        }
    }

    pub fn covers(self, need: &Need) -> bool {
        self.places() >= need.places && self.categories() >= need.categories && (self.units() || !need.units)
    }

    /// The smallest cut that answers what `need` asks, if any does.
    pub fn cheapest(need: &Need) -> Option<Cut> {
        Self::ALL.into_iter().find(|c| c.covers(need))
    }
}

/// What a reading filters or groups by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Need {
    /// The finest level of place named.
    pub places: RegionLevel,
    pub categories: CategoryDepth,
    pub units: bool,
}

impl Need {
    pub fn new() -> Self {
        Self { places: RegionLevel::County, categories: CategoryDepth::None, units: false }
    }

    pub fn place(mut self, level: RegionLevel) -> Self {
        self.places = self.places.max(level);
        self
    }

    /// A category named by its code: two characters are a top-level category.
    pub fn category(mut self, code: &str) -> Self {
        let depth = if code.len() == 2 { CategoryDepth::Top } else { CategoryDepth::Leaf };
        self.categories = self.categories.max(depth);
        self
    }

    pub fn top_categories(mut self) -> Self {
        self.categories = self.categories.max(CategoryDepth::Top);
        self
    }

    pub fn unit(mut self) -> Self {
        self.units = true;
        self
    }
}

impl Default for Need {
    fn default() -> Self {
        Self::new()
    }
}

/// One row of a cut. Absent places and units are empty strings; `place` is the code of the
/// cut's own level, repeated apart so that one index serves every level.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RollupKey {
    pub cut: Cut,
    pub day: i64,
    pub place: String,
    pub district: String,
    pub street: String,
    pub community: String,
    pub grid: String,
    pub category: String,
    pub lead_unit: String,
    /// A co-handling unit: the row counts the case again for that unit alone. Empty on the
    /// rows that count each case once.
    pub co_unit: String,
}

/// What one case adds to every cut, as it is now.
pub fn contribution(case: &CaseRecord) -> Vec<(RollupKey, Tally)> {
    let mut received = Tally::default();
    let pending = case.state.is_pending();
    let patrol = case.channel == Channel::GridPatrol;
    received.count(Counter::Received, true);
    received.count(Counter::Pending, pending);
    received.count(Counter::Overdue, pending && case.due_status == DueStatus::Overdue);
    received.count(Counter::Patrols, patrol);
    received.count(Counter::PatrolsOnSpot, patrol && case.resolved_on_spot);
    let mut days = vec![(day_of(case.received_at), received)];
    if let Some(first) = case.first_dispatched_at {
        let mut dispatched = Tally::default();
        dispatched.count(Counter::Dispatched, true);
        dispatched.count(Counter::RespondedOnTime, case.responded_on_time == Some(true));
        if let Some(e) = &case.evaluation {
            dispatched.count(Counter::Evaluated, true);
            dispatched.count(Counter::Resolved, e.resolved);
            dispatched.count(Counter::Satisfied, e.satisfaction.counts_as_satisfied());
        }
        days.push((day_of(first), dispatched));
    }
    let p = &case.place;
    let code = |c: &Option<String>| c.clone().unwrap_or_default();
    let lead = code(&case.lead_unit);
    let mut out = Vec::new();
    for cut in Cut::ALL {
        let level = cut.places();
        let upto = |l: RegionLevel, c: &Option<String>| if level >= l { code(c) } else { String::new() };
        let category = match cut.categories() {
            CategoryDepth::None => String::new(),
            CategoryDepth::Top => case.category_code.chars().take(2).collect(),
            CategoryDepth::Leaf => case.category_code.clone(),
        };
        let base = RollupKey {
            cut,
            day: 0,
            place: match level {
                RegionLevel::Grid => code(&p.grid_code),
                RegionLevel::Community => code(&p.community_code),
                RegionLevel::Township => code(&p.street_code),
                _ => code(&p.district_code),
            },
            district: code(&p.district_code),
            street: upto(RegionLevel::Township, &p.street_code),
            community: upto(RegionLevel::Community, &p.community_code),
            grid: upto(RegionLevel::Grid, &p.grid_code),
            category,
            lead_unit: if cut.units() { lead.clone() } else { String::new() },
            co_unit: String::new(),
        };
        let co_units: Vec<&String> = if cut.units() {
            let mut co: Vec<&String> = case.co_units.iter().filter(|u| **u != lead).collect();
            co.sort();
            co.dedup();
            co
        } else {
            Vec::new()
        };
        for (day, tally) in &days {
            out.push((RollupKey { day: *day, ..base.clone() }, *tally));
            for unit in &co_units {
                out.push((RollupKey { day: *day, co_unit: (*unit).clone(), ..base.clone() }, *tally));
            }
        }
    }
    out
}

/// A row of the open cases' counts: a place (absent levels empty) and the queues' facets.
/// Only cases not at rest are counted ([`CaseState::is_terminal`](crate::CaseState::is_terminal)).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct OpenKey {
    pub district: String,
    pub street: String,
    pub community: String,
    pub grid: String,
    pub facets: QueueFacets,
}

/// The row of the open cases' counts that counts `case`, if it is open.
pub fn open_key(case: &CaseRecord) -> Option<OpenKey> {
    if case.state.is_terminal() {
        return None;
    }
    let code = |c: &Option<String>| c.clone().unwrap_or_default();
    let p = &case.place;
    Some(OpenKey {
        district: code(&p.district_code),
        street: code(&p.street_code),
        community: code(&p.community_code),
        grid: code(&p.grid_code),
        facets: QueueFacets::of(case),
    })
}

/// What changes in the counters, each key once and in key order (so concurrent writers lock
/// rows in the same order), without the keys that did not change.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Changes {
    pub days: Vec<(RollupKey, Tally)>,
    pub open: Vec<(OpenKey, i64)>,
}

/// What a change of a case changes in the counters: `after`'s contribution less `before`'s.
pub fn delta(before: Option<&CaseRecord>, after: &CaseRecord) -> Changes {
    let mut sum = Sums::default();
    if let Some(before) = before {
        sum.add(before, -1);
    }
    sum.add(after, 1);
    sum.into_changes()
}

/// Contributions summed over many changes of many cases (an import's batch), each key once.
#[derive(Debug, Default)]
pub struct Sums {
    days: BTreeMap<RollupKey, Tally>,
    open: BTreeMap<OpenKey, i64>,
}

impl Sums {
    /// Adds `sign` times what `case` contributes.
    pub fn add(&mut self, case: &CaseRecord, sign: i64) {
        for (key, tally) in contribution(case) {
            self.days.entry(key).or_default().add(&tally, sign);
        }
        if let Some(key) = open_key(case) {
            *self.open.entry(key).or_default() += sign;
        }
    }

    /// The keys whose counters changed, in key order.
    pub fn into_changes(self) -> Changes {
        Changes {
            days: self.days.into_iter().filter(|(_, t)| !t.is_zero()).collect(),
            open: self.open.into_iter().filter(|(_, n)| *n != 0).collect(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseState, Evaluation, Place, Priority, RequestType, Satisfaction};
    use crate::workflow::{evolve, CaseEvent, EventKind};

    /// A case received a minute before 2026-12-02's Beijing midnight in 东城区's 东华门街道.
    fn sample_record() -> CaseRecord {
        let now = Utc.with_ymd_and_hms(2026, 12, 2, 15, 59, 0).unwrap();
        let place = Place {
            district_code: Some("110101".into()),
            street_code: Some("110101001".into()),
            community_code: Some("110101001001".into()),
            ..Place::default()
        };
        let received = CaseEvent {
            id: uuid::Uuid::nil(),
            case_id: uuid::Uuid::from_u128(1),
            seq: 1,
            at: now,
            actor_kind: "resident".into(),
            actor_id: None,
            kind: EventKind::Received {
                tracking_no: "26120200000001".into(),
                category_code: "0301".into(),
                request_type: RequestType::Complaint,
                priority: Priority::Normal,
                channel: Channel::Web,
                description: "路灯不亮".into(),
                place,
                response_due: now + chrono::Duration::hours(24),
                resolve_due: now + chrono::Duration::days(3),
            },
        };
        evolve(None, &received).expect("a received case")
    }

    #[test]
    fn days_are_beijing_days() {
        let t = Utc.with_ymd_and_hms(2026, 12, 2, 15, 59, 59).unwrap();
        assert_eq!(day_of(t) + 1, day_of(t + chrono::Duration::seconds(1)));
        assert_eq!(day_start(day_of(t + chrono::Duration::seconds(1))), t + chrono::Duration::seconds(1));
    }

    #[test]
    fn a_period_is_whole_days_and_the_parts_of_days_at_its_ends() {
        let midnight = day_start(20_000);
        let hour = chrono::Duration::hours(1);
        let whole = Period::of(Some(midnight), Some(day_start(20_003)));
        assert_eq!(whole, Period { days: Some((Some(20_000), Some(20_003))), edges: vec![] });
        assert!(is_day_start(midnight));
        let ragged = Period::of(Some(midnight + hour), Some(day_start(20_003) + hour));
        assert_eq!(ragged.days, Some((Some(20_001), Some(20_003))));
        assert_eq!(
            ragged.edges,
            vec![
                (Some(midnight + hour), Some(day_start(20_001))),
                (Some(day_start(20_003)), Some(day_start(20_003) + hour))
            ]
        );
        assert!(!is_day_start(midnight + hour));
        let within = Period::of(Some(midnight + hour), Some(midnight + hour * 2));
        assert_eq!(within, Period { days: None, edges: vec![(Some(midnight + hour), Some(midnight + hour * 2))] });
        assert_eq!(Period::of(None, None), Period { days: Some((None, None)), edges: vec![] });
    }

    #[test]
    fn the_cheapest_cut_holds_everything_asked() {
        assert_eq!(Cut::cheapest(&Need::new()), Some(Cut::DistrictCategory));
        assert_eq!(Cut::cheapest(&Need::new().place(RegionLevel::Township)), Some(Cut::Street));
        assert_eq!(Cut::cheapest(&Need::new().top_categories()), Some(Cut::DistrictCategory));
        assert_eq!(Cut::cheapest(&Need::new().unit()), Some(Cut::DistrictUnit));
        assert_eq!(Cut::cheapest(&Need::new().unit().place(RegionLevel::Township)), Some(Cut::StreetUnit));
        assert_eq!(Cut::cheapest(&Need::new().place(RegionLevel::Community)), Some(Cut::Community));
        assert_eq!(
            Cut::cheapest(&Need::new().place(RegionLevel::Community).category("01")),
            Some(Cut::CommunityCategory)
        );
        assert_eq!(Cut::cheapest(&Need::new().place(RegionLevel::Grid)), Some(Cut::Grid));
        assert_eq!(Cut::cheapest(&Need::new().category("0101")), None);
        assert_eq!(Cut::cheapest(&Need::new().unit().place(RegionLevel::Community)), Some(Cut::CommunityUnit));
        assert_eq!(Cut::cheapest(&Need::new().unit().place(RegionLevel::Grid)), None);
        assert_eq!(Cut::cheapest(&Need::new().unit().place(RegionLevel::Community).top_categories()), None);
    }

    #[test]
    fn a_dispatched_case_counts_on_the_days_of_receipt_and_dispatch() {
        let mut case = sample_record();
        case.co_units = vec!["u2".into(), "u1".into()];
        case.lead_unit = Some("u1".into());
        case.state = CaseState::Closed;
        case.first_dispatched_at = Some(case.received_at + chrono::Duration::days(1));
        case.responded_on_time = Some(true);
        case.evaluation = Some(Evaluation {
            resolved: true,
            satisfaction: Satisfaction::Basic,
            comment: None,
            at: case.received_at,
            round: 0,
        });
        let rows = contribution(&case);
        let received_day = day_of(case.received_at);
        let street: Vec<&(RollupKey, Tally)> = rows.iter().filter(|(k, _)| k.cut == Cut::Street).collect();
        assert_eq!(street.len(), 2);
        assert_eq!(street[0].0.day, received_day);
        assert_eq!(street[0].1.get(Counter::Received), 1);
        assert_eq!(street[0].1.get(Counter::Pending), 0);
        assert_eq!(street[1].0.day, received_day + 1);
        assert_eq!(street[1].1.get(Counter::Satisfied), 1);
        assert_eq!(street[1].1.get(Counter::Received), 0);
        // The unit cut counts the case for its lead, and again for its other co-handler only.
        let units: Vec<(&str, &str)> = rows
            .iter()
            .filter(|(k, _)| k.cut == Cut::StreetUnit && k.day == received_day)
            .map(|(k, _)| (k.lead_unit.as_str(), k.co_unit.as_str()))
            .collect();
        assert_eq!(units, vec![("u1", ""), ("u1", "u2")]);
    }

    #[test]
    fn a_change_touches_only_the_counters_it_moves() {
        let before = sample_record();
        let mut after = before.clone();
        after.due_status = DueStatus::Overdue;
        let changes = delta(Some(&before), &after);
        assert_eq!(changes.days.len(), Cut::ALL.len());
        assert!(changes.days.iter().all(|(_, t)| t.get(Counter::Overdue) == 1 && t.0.iter().sum::<i64>() == 1));
        // The open case moves from one row of the open counts to another.
        let open: Vec<(DueStatus, i64)> = changes.open.iter().map(|(k, n)| (k.facets.due_status, *n)).collect();
        assert_eq!(open, vec![(DueStatus::OnTime, -1), (DueStatus::Overdue, 1)]);
        assert_eq!(delta(Some(&after), &after), Changes::default());
    }

    #[test]
    fn only_open_cases_are_counted_open() {
        let open = sample_record();
        let key = open_key(&open).expect("a received case is open");
        assert_eq!((key.community.as_str(), key.grid.as_str()), ("110101001001", ""));
        let mut closed = open.clone();
        closed.state = CaseState::Closed;
        assert_eq!(open_key(&closed), None);
        let changes = delta(Some(&open), &closed);
        assert_eq!(changes.open, vec![(key, -1)]);
    }
}
