//! Working days and deadlines.
//!
//! Response deadlines run in clock hours (a burst pipe does not wait for Monday); resolution
//! deadlines run in working days by a calendar of weekends, public holidays and make-up
//! working days (调休). All calendar arithmetic happens in Beijing time (UTC+8, no DST).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use serde::{Deserialize, Serialize};

use crate::case::Priority;
use crate::category::Category;

/// Beijing time's offset from UTC (UTC+8, no DST).
pub const BEIJING_OFFSET_SECS: i32 = 8 * 3600;

pub fn beijing() -> FixedOffset {
    FixedOffset::east_opt(BEIJING_OFFSET_SECS).expect("valid offset")
}

/// The Beijing calendar day a moment falls on: the day visits, deadlines' days and reports'
/// dates are counted in.
pub fn beijing_day(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&beijing()).date_naive()
}

/// A moment as people and systems give it: RFC 3339 (`2026-12-03T09:00:00+08:00`), or Beijing
/// wall-clock time to the minute or second (`2026-12-03T09:00`, what a form's date-and-time
/// field sends; a space may stand for the `T`).
pub fn parse_moment(s: &str) -> Option<DateTime<Utc>> {
    let s = s.trim();
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.with_timezone(&Utc));
    }
    let local = s.replacen(' ', "T", 1);
    ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(&local, f).ok())
        .and_then(|t| t.and_local_timezone(beijing()).single())
        .map(|t| t.with_timezone(&Utc))
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum DayKind {
    /// A weekday on which nobody works.
    Holiday,
    /// A weekend day that is worked (调休).
    Workday,
}

impl DayKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Holiday => "holiday",
            Self::Workday => "workday",
        }
    }
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "holiday" => Some(Self::Holiday),
            "workday" => Some(Self::Workday),
            _ => None,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CalendarDay {
    pub date: NaiveDate,
    pub kind: DayKind,
    pub name: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct WorkCalendar {
    exceptions: BTreeMap<NaiveDate, DayKind>,
}

/// When a resolution clock starts on a day off, it starts at this time on the next working day.
const WORKDAY_START: NaiveTime = match NaiveTime::from_hms_opt(9, 0, 0) {
    Some(t) => t,
    None => panic!("valid time"),
};

impl WorkCalendar {
    pub fn new(days: impl IntoIterator<Item = CalendarDay>) -> Self {
        Self { exceptions: days.into_iter().map(|d| (d.date, d.kind)).collect() }
    }

    /// The calendar shipped with the platform (`data/calendar-cn.csv`).
    pub fn builtin_days() -> Vec<CalendarDay> {
        parse_calendar_csv(include_str!("../../../data/calendar-cn.csv")).expect("shipped calendar parses")
    }

    /// True when no holiday or make-up day is configured.
    pub fn is_empty(&self) -> bool {
        self.exceptions.is_empty()
    }

    pub fn is_working_day(&self, date: NaiveDate) -> bool {
        match self.exceptions.get(&date) {
            Some(DayKind::Holiday) => false,
            Some(DayKind::Workday) => true,
            None => !matches!(date.weekday(), Weekday::Sat | Weekday::Sun),
        }
    }

    fn next_working_day(&self, mut date: NaiveDate) -> NaiveDate {
        loop {
            date = date.succ_opt().expect("date in range");
            if self.is_working_day(date) {
                return date;
            }
        }
    }

    /// `start` plus `days` working days, at the same time of day. A start on a day off counts
    /// from 09:00 of the next working day.
    pub fn add_working_days(&self, start: DateTime<Utc>, days: u32) -> DateTime<Utc> {
        let local = start.with_timezone(&beijing());
        let (mut date, time) = if self.is_working_day(local.date_naive()) {
            (local.date_naive(), local.time())
        } else {
            (self.next_working_day(local.date_naive()), WORKDAY_START)
        };
        for _ in 0..days {
            date = self.next_working_day(date);
        }
        beijing()
            .from_local_datetime(&date.and_time(time))
            .single()
            .expect("fixed offsets are unambiguous")
            .with_timezone(&Utc)
    }
}

/// Parses `date,kind,name` lines; `#` starts a comment line.
pub fn parse_calendar_csv(text: &str) -> Result<Vec<CalendarDay>, String> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with("date,") {
            continue;
        }
        let c: Vec<&str> = line.splitn(3, ',').collect();
        let date = NaiveDate::parse_from_str(c[0], "%Y-%m-%d").map_err(|e| format!("line {}: date: {e}", i + 1))?;
        let kind = c
            .get(1)
            .and_then(|k| DayKind::parse(k))
            .ok_or_else(|| format!("line {}: kind must be holiday or workday", i + 1))?;
        out.push(CalendarDay { date, kind, name: c.get(2).unwrap_or(&"").to_string() });
    }
    Ok(out)
}

/// The two deadlines of a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Deadlines {
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
}

/// Deadlines for a case of `category` and `priority` whose clock starts at `start`.
///
/// - normal: the category's response hours and resolution working days;
/// - urgent: response within 2 hours at most, half the working days (at least one);
/// - emergency: response within 2 hours, resolution within 24 clock hours.
pub fn deadlines(calendar: &WorkCalendar, category: &Category, priority: Priority, start: DateTime<Utc>) -> Deadlines {
    let hours = |h: u32| start + Duration::hours(i64::from(h));
    match priority {
        Priority::Normal => Deadlines {
            response_due: hours(category.response_hours),
            resolve_due: calendar.add_working_days(start, category.resolve_days),
        },
        Priority::Urgent => Deadlines {
            response_due: hours(category.response_hours.min(2)),
            resolve_due: calendar.add_working_days(start, category.resolve_days.div_ceil(2).max(1)),
        },
        Priority::Emergency => Deadlines { response_due: hours(2), resolve_due: hours(24) },
    }
}

/// The public holidays of the State Council's notices, in English.
const HOLIDAYS: [(&str, &str); 7] = [
    ("元旦", "New Year's Day"),
    ("春节", "Spring Festival"),
    ("清明节", "Qingming Festival"),
    ("劳动节", "Labour Day"),
    ("端午节", "Dragon Boat Festival"),
    ("中秋节", "Mid-Autumn Festival"),
    ("国庆节", "National Day"),
];

/// A calendar day's name in English, where it names the holidays it is made of
/// (国庆节、中秋节 → "National Day and Mid-Autumn Festival"; 春节调休 → "Spring Festival
/// (make-up working day)"); `None` for a name it does not know.
pub fn day_name_in_english(name: &str) -> Option<String> {
    let (holidays, make_up) = match name.strip_suffix("调休") {
        Some(rest) => (rest, true),
        None => (name, false),
    };
    let parts: Option<Vec<&str>> = holidays
        .split(['、', ',', '，'])
        .map(|part| HOLIDAYS.iter().find(|(zh, _)| *zh == part.trim()).map(|(_, en)| *en))
        .collect();
    let english = parts?.join(" and ");
    Some(if make_up { format!("{english} (make-up working day)") } else { english })
}

#[cfg(test)]
mod tests {

    #[test]
    fn moments_read_as_given_or_as_beijing_time() {
        let nine_beijing = Utc.with_ymd_and_hms(2026, 12, 3, 1, 0, 0).unwrap();
        assert_eq!(parse_moment("2026-12-03T09:00"), Some(nine_beijing));
        assert_eq!(parse_moment(" 2026-12-03 09:00:00 "), Some(nine_beijing));
        assert_eq!(parse_moment("2026-12-03T09:00:00+08:00"), Some(nine_beijing));
        assert_eq!(parse_moment("2026-12-03T01:00:00Z"), Some(nine_beijing));
        assert_eq!(parse_moment("2026-12-03"), None);
        assert_eq!(parse_moment("明天九点"), None);
    }

    #[test]
    fn holiday_names_read_in_english() {
        assert_eq!(day_name_in_english("春节").as_deref(), Some("Spring Festival"));
        assert_eq!(day_name_in_english("国庆节、中秋节").as_deref(), Some("National Day and Mid-Autumn Festival"));
        assert_eq!(day_name_in_english("劳动节调休").as_deref(), Some("Labour Day (make-up working day)"));
        assert_eq!(day_name_in_english("区庆"), None);
    }

    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc)
    }

    fn cal() -> WorkCalendar {
        WorkCalendar::new(WorkCalendar::builtin_days())
    }

    #[test]
    fn weekends_are_skipped() {
        // Friday 2026-11-20 10:00 Beijing + 1 working day = Monday 2026-11-23 10:00.
        let due = cal().add_working_days(at("2026-11-20T10:00:00+08:00"), 1);
        assert_eq!(due, at("2026-11-23T10:00:00+08:00"));
    }

    #[test]
    fn holidays_are_skipped_and_make_up_days_count() {
        let c = cal();
        // National Day: 2026-09-30 (Wed) + 1 working day skips Oct 1–7 and lands on Thu Oct 8.
        assert_eq!(c.add_working_days(at("2026-09-30T15:00:00+08:00"), 1), at("2026-10-08T15:00:00+08:00"));
        // Saturday 2026-10-10 is a make-up working day.
        assert!(c.is_working_day(NaiveDate::from_ymd_opt(2026, 10, 10).unwrap()));
        assert_eq!(c.add_working_days(at("2026-10-09T15:00:00+08:00"), 1), at("2026-10-10T15:00:00+08:00"));
    }

    #[test]
    fn a_clock_starting_on_a_day_off_starts_next_working_morning() {
        // Sunday 2026-11-22 22:00 + 0 days = Monday 09:00; + 2 days = Wednesday 09:00.
        assert_eq!(cal().add_working_days(at("2026-11-22T22:00:00+08:00"), 0), at("2026-11-23T09:00:00+08:00"));
        assert_eq!(cal().add_working_days(at("2026-11-22T22:00:00+08:00"), 2), at("2026-11-25T09:00:00+08:00"));
    }

    #[test]
    fn a_custom_calendar_changes_deadlines() {
        let day = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap();
        let c = WorkCalendar::new([CalendarDay { date: day, kind: DayKind::Holiday, name: "test".into() }]);
        assert_eq!(c.add_working_days(at("2026-11-20T10:00:00+08:00"), 1), at("2026-11-24T10:00:00+08:00"));
    }

    #[test]
    fn priority_shapes_deadlines() {
        let tax = crate::Taxonomy::builtin();
        let general = tax.get("0303").unwrap(); // 24 h, 7 days
        let start = at("2026-11-23T10:00:00+08:00");
        let n = deadlines(&cal(), general, Priority::Normal, start);
        assert_eq!(n.response_due, at("2026-11-24T10:00:00+08:00"));
        assert_eq!(n.resolve_due, at("2026-12-02T10:00:00+08:00"));
        let u = deadlines(&cal(), general, Priority::Urgent, start);
        assert_eq!(u.response_due, at("2026-11-23T12:00:00+08:00"));
        assert_eq!(u.resolve_due, at("2026-11-27T10:00:00+08:00"));
        let e = deadlines(&cal(), general, Priority::Emergency, start);
        assert_eq!(e.resolve_due, at("2026-11-24T10:00:00+08:00"));
    }
}
