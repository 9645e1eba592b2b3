//! 为民服务中心, 网上办、掌上办: the catalogue of service items (事项) a street's service centre
//! handles, with who may apply, the materials, the time limit in working days, where to go and
//! the fee; an application's moves from received to done, who makes each, and the limits it is
//! held to (a decision on acceptance within five working days, as the Administrative Licensing
//! Law asks of incomplete applications; the item's own limit from acceptance); appointments at
//! the centre by half-hour slot, each with its capacity.

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::text::trimmed;
use crate::{free_text, FieldError};

coded_enum! {
    /// Where an application stands.
    ApplicationState {
        Received = "received" / "已提交，待受理" / "received, awaiting acceptance",
        MoreMaterials = "more_materials" / "需补正材料" / "more materials asked for",
        Accepted = "accepted" / "已受理，办理中" / "accepted, in hand",
        Approved = "approved" / "准予办理，待办结" / "approved, to be completed",
        Refused = "refused" / "不予办理" / "refused",
        Done = "done" / "已办结" / "done",
        Withdrawn = "withdrawn" / "已撤回" / "withdrawn",
    }
}

impl ApplicationState {
    /// Still with the centre or the applicant: not refused, done or withdrawn.
    pub fn is_open(self) -> bool {
        match self {
            Self::Received | Self::MoreMaterials | Self::Accepted | Self::Approved => true,
            Self::Refused | Self::Done | Self::Withdrawn => false,
        }
    }
}

coded_enum! {
    /// A move of an application.
    ApplicationMove {
        Accept = "accept" / "受理" / "accept",
        AskForMore = "ask_for_more" / "一次性告知需补正的材料" / "ask once for every missing material",
        Resubmit = "resubmit" / "补正材料" / "supply the materials",
        Approve = "approve" / "准予办理" / "approve",
        Refuse = "refuse" / "不予办理" / "refuse",
        Complete = "complete" / "办结" / "complete",
        Withdraw = "withdraw" / "撤回申请" / "withdraw",
    }
}

/// Who makes a move on an application.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Applicant {
    /// Staff of the service centre.
    Centre,
    /// The resident who applied.
    Resident,
}

impl ApplicationMove {
    /// The states a move is made from, and the state it leaves.
    pub fn rule(self) -> (&'static [ApplicationState], ApplicationState) {
        use ApplicationState::*;
        match self {
            Self::Accept => (&[Received], Accepted),
            Self::AskForMore => (&[Received], MoreMaterials),
            Self::Resubmit => (&[MoreMaterials], Received),
            Self::Approve => (&[Accepted], Approved),
            Self::Refuse => (&[Received, Accepted], Refused),
            Self::Complete => (&[Approved], Done),
            Self::Withdraw => (&[Received, MoreMaterials, Accepted], Withdrawn),
        }
    }

    pub fn made_by(self) -> Applicant {
        match self {
            Self::Accept | Self::AskForMore | Self::Approve | Self::Refuse | Self::Complete => Applicant::Centre,
            Self::Resubmit | Self::Withdraw => Applicant::Resident,
        }
    }

    /// Whether the move must say why (what is missing, why refused) — for the applicant to read.
    pub fn needs_note(self) -> bool {
        matches!(self, Self::AskForMore | Self::Refuse)
    }

    /// The state the move leaves from `from`, or why it cannot be made.
    pub fn from(self, from: ApplicationState) -> Result<ApplicationState, FieldError> {
        let (allowed, to) = self.rule();
        match allowed.contains(&from) {
            true => Ok(to),
            false => Err(FieldError::new(
                "move",
                format!("办件当前为“{}”，不能{}", from.label_zh(), self.label_zh()),
                format!("the application is {}: it cannot be {}", from.label_en(), self.label_en()),
            )),
        }
    }

    /// Which limit the application is held to after the move: accepting within five working
    /// days of (re)submission, the item's own limit from acceptance, none once decided.
    pub fn clock_after(self) -> Clock {
        match self {
            Self::Resubmit => Clock::Acceptance,
            Self::Accept => Clock::Item,
            Self::AskForMore | Self::Approve | Self::Refuse | Self::Complete | Self::Withdraw => Clock::Stopped,
        }
    }
}

/// The limit an application runs against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// `ACCEPT_WITHIN_DAYS` working days to accept, refuse or ask once for what is missing.
    Acceptance,
    /// The item's time limit, in working days, from acceptance.
    Item,
    /// No clock runs: waiting for the applicant, or decided.
    Stopped,
}

/// Working days the centre has to accept an application, refuse it, or ask once for every
/// material missing (《行政许可法》第三十二条: 当场或者在五日内一次告知).
pub const ACCEPT_WITHIN_DAYS: u32 = 5;
/// How many people the centre receives in one half-hour slot.
pub const SLOT_CAPACITY: i64 = 3;
/// How many days ahead an appointment may be booked.
pub const BOOK_AHEAD_DAYS: i64 = 14;
/// The longest note of a move or an application.
pub const NOTE_CHARS: usize = 500;

/// A service item (事项) of the catalogue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ServiceItem {
    /// The catalogue's code (`JD-001`).
    pub code: String,
    pub name: String,
    /// The department the centre handles it for.
    pub department: String,
    pub who_may_apply: String,
    /// One material a line.
    pub materials: Vec<String>,
    /// Working days from acceptance.
    pub time_limit_days: u32,
    pub fee: String,
    /// Where to go: the centre's window.
    pub place: String,
    /// Whether it may be applied for online (some need the person at the window).
    pub online: bool,
    /// Words it is also searched by.
    pub keywords: String,
}

impl ServiceItem {
    /// Whether the item matches every word of a search, in its name, department, who may
    /// apply, materials or keywords.
    pub fn matches(&self, query: &str) -> bool {
        let haystack = format!(
            "{} {} {} {} {}",
            self.name,
            self.department,
            self.who_may_apply,
            self.materials.join(" "),
            self.keywords
        )
        .to_lowercase();
        query.split_whitespace().all(|word| haystack.contains(&word.to_lowercase()))
    }

    /// Checks an item before it goes into the catalogue.
    pub fn check(self) -> Result<Self, FieldError> {
        let bad = |field: &'static str, zh: &str, en: &str| Err(FieldError::new(field, zh.to_string(), en.to_string()));
        if self.code.is_empty()
            || self.code.len() > 20
            || !self.code.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
        {
            return bad(
                "code",
                "事项编码为字母、数字和连字符，最多20位",
                "a code is letters, digits and hyphens, at most 20",
            );
        }
        if self.name.trim().is_empty() || self.department.trim().is_empty() {
            return bad("name", "请填写事项名称和承办部门", "give the item's name and department");
        }
        if self.materials.is_empty() {
            return bad("materials", "请列出所需材料", "list the materials");
        }
        if !(1..=60).contains(&self.time_limit_days) {
            return bad("time_limit_days", "办理时限应为1到60个工作日", "the time limit is 1 to 60 working days");
        }
        Ok(self)
    }
}

/// The catalogue shipped with the platform: 26 items of a Beijing street's service centre
/// (data/service-items.csv, with its sources in data/README.md).
pub fn builtin_catalogue() -> Vec<ServiceItem> {
    parse_catalogue_csv(include_str!("../../../data/service-items.csv")).unwrap_or_default()
}

/// Reads a catalogue from CSV: `code,name,department,who_may_apply,materials,time_limit_days,
/// fee,place,online,keywords`, materials separated by `；`, online `yes` or `no`. Every item is
/// checked; the first bad line is named with its field.
pub fn parse_catalogue_csv(text: &str) -> Result<Vec<ServiceItem>, String> {
    let mut reader = csv::ReaderBuilder::new().trim(csv::Trim::All).from_reader(text.as_bytes());
    let headers = reader.headers().map_err(|e| format!("the header line: {e}"))?.clone();
    const COLUMNS: [&str; 10] = [
        "code",
        "name",
        "department",
        "who_may_apply",
        "materials",
        "time_limit_days",
        "fee",
        "place",
        "online",
        "keywords",
    ];
    let at: Vec<usize> = COLUMNS
        .iter()
        .map(|c| headers.iter().position(|h| h == *c).ok_or_else(|| format!("the header must name {c}")))
        .collect::<Result<_, _>>()?;
    let mut items = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 2;
        let record = record.map_err(|e| format!("line {line}: {e}"))?;
        let field = |n: usize| record.get(at[n]).unwrap_or_default().to_string();
        let item = ServiceItem {
            code: field(0),
            name: field(1),
            department: field(2),
            who_may_apply: field(3),
            materials: field(4).split('；').map(str::trim).filter(|m| !m.is_empty()).map(str::to_string).collect(),
            time_limit_days: field(5)
                .parse()
                .map_err(|_| format!("line {line}: time_limit_days: '{}' is not a number of days", field(5)))?,
            fee: field(6),
            place: field(7),
            online: match field(8).to_ascii_lowercase().as_str() {
                "yes" => true,
                "no" => false,
                other => return Err(format!("line {line}: online: '{other}' is not yes or no")),
            },
            keywords: field(9),
        };
        items.push(item.check().map_err(|e| format!("line {line}: {}", e.message()))?);
    }
    Ok(items)
}

/// Checks what an applicant or staff member writes with a move or an application: required for
/// the moves that say why, no phone or ID numbers (they go in the sealed applicant's data).
pub fn check_note(raw: &str, required: bool) -> Result<Option<String>, FieldError> {
    let note = trimmed(raw);
    if (required && note.chars().count() < 2) || note.chars().count() > NOTE_CHARS || !free_text::find(note).is_empty()
    {
        return Err(FieldError::new(
            "note",
            format!("{}最多{NOTE_CHARS}个字符，不写电话或证件号", if required { "请写明原因或所缺材料，" } else { "" }),
            format!(
                "{}at most {NOTE_CHARS} characters, no phone or ID numbers",
                if required { "say why, or what is missing; " } else { "" }
            ),
        ));
    }
    Ok(Some(note.to_string()).filter(|n| !n.is_empty()))
}

/// The centre's half-hour slots of a working day: 09:00 to 11:30 and 13:30 to 17:00.
pub fn slots() -> Vec<NaiveTime> {
    const STARTS: [(u32, u32); 12] = [
        (9, 0),
        (9, 30),
        (10, 0),
        (10, 30),
        (11, 0),
        (13, 30),
        (14, 0),
        (14, 30),
        (15, 0),
        (15, 30),
        (16, 0),
        (16, 30),
    ];
    STARTS.iter().filter_map(|(h, m)| NaiveTime::from_hms_opt(*h, *m, 0)).collect()
}

/// Checks a booking: a slot of the day, a working day from tomorrow to `BOOK_AHEAD_DAYS` on.
pub fn check_booking(
    day: NaiveDate,
    slot: NaiveTime,
    today: NaiveDate,
    is_working_day: impl Fn(NaiveDate) -> bool,
) -> Result<(), FieldError> {
    if day <= today || (day - today).num_days() > BOOK_AHEAD_DAYS || !is_working_day(day) {
        return Err(FieldError::new(
            "day",
            format!("请选择明天起{BOOK_AHEAD_DAYS}天内的工作日"),
            format!("choose a working day from tomorrow to {BOOK_AHEAD_DAYS} days on"),
        ));
    }
    if !slots().contains(&slot) {
        return Err(FieldError::new("slot", "请选择中心的预约时段", "choose one of the centre's slots"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item() -> ServiceItem {
        ServiceItem {
            code: "JD-001".into(),
            name: "最低生活保障申请".into(),
            department: "区民政局".into(),
            who_may_apply: "本市户籍、家庭收入低于低保标准的家庭".into(),
            materials: vec!["户口簿".into(), "居民身份证".into()],
            time_limit_days: 20,
            fee: "免费".into(),
            place: "社会救助窗口".into(),
            online: true,
            keywords: "低保 救助".into(),
        }
    }

    #[test]
    fn an_application_is_accepted_or_asked_once_for_more_and_then_decided() {
        use ApplicationMove::*;
        let mut state = ApplicationState::Received;
        for (mv, to) in [
            (AskForMore, ApplicationState::MoreMaterials),
            (Resubmit, ApplicationState::Received),
            (Accept, ApplicationState::Accepted),
            (Approve, ApplicationState::Approved),
            (Complete, ApplicationState::Done),
        ] {
            state = mv.from(state).unwrap();
            assert_eq!(state, to, "{mv:?}");
        }
        assert_eq!(
            AskForMore.from(ApplicationState::Accepted).unwrap_err().field,
            "move",
            "asked once, before acceptance"
        );
        assert_eq!(Withdraw.from(ApplicationState::Approved).unwrap_err().field, "move");
        assert!(!ApplicationState::Done.is_open() && ApplicationState::MoreMaterials.is_open());
        assert_eq!((Resubmit.made_by(), Accept.made_by()), (Applicant::Resident, Applicant::Centre));
        assert_eq!(
            (Accept.clock_after(), Resubmit.clock_after(), AskForMore.clock_after()),
            (Clock::Item, Clock::Acceptance, Clock::Stopped)
        );
        assert!(Refuse.needs_note() && !Accept.needs_note());
    }

    #[test]
    fn the_shipped_catalogue_has_every_item_checked() {
        let catalogue = parse_catalogue_csv(include_str!("../../../data/service-items.csv")).unwrap();
        assert!(catalogue.len() >= 20, "{}", catalogue.len());
        assert_eq!(builtin_catalogue().len(), catalogue.len());
        let dibao = catalogue.iter().find(|i| i.name.contains("最低生活保障")).unwrap();
        assert!(dibao.online && dibao.materials.contains(&"户口簿".to_string()));
        assert!(catalogue.iter().any(|i| !i.online), "some are handled at the window");
        let bad = "code,name,department,who_may_apply,materials,time_limit_days,fee,place,online,keywords\n\
                   JD-1,事项,部门,居民,户口簿,十天,免费,窗口,yes,\n";
        assert!(parse_catalogue_csv(bad).unwrap_err().starts_with("line 2: time_limit_days"));
    }

    #[test]
    fn the_catalogue_is_searched_by_every_word() {
        assert!(item().matches("低保"));
        assert!(item().matches("民政 户口簿"));
        assert!(!item().matches("低保 护照"));
        assert!(item().matches(""));
    }

    #[test]
    fn an_item_has_a_code_materials_and_a_limit() {
        assert!(item().check().is_ok());
        assert_eq!(ServiceItem { code: "JD 001".into(), ..item() }.check().unwrap_err().field, "code");
        assert_eq!(ServiceItem { materials: vec![], ..item() }.check().unwrap_err().field, "materials");
        assert_eq!(ServiceItem { time_limit_days: 0, ..item() }.check().unwrap_err().field, "time_limit_days");
    }

    #[test]
    fn slots_are_the_half_hours_of_the_centre_s_day_and_bookings_a_working_day_ahead() {
        let slots = slots();
        assert_eq!(slots.len(), 12);
        assert_eq!((slots[0].to_string(), slots[4].to_string()), ("09:00:00".into(), "11:00:00".into()));
        assert_eq!((slots[5].to_string(), slots[11].to_string()), ("13:30:00".into(), "16:30:00".into()));
        let friday = NaiveDate::from_ymd_opt(2026, 12, 4).unwrap();
        let weekday =
            |d: NaiveDate| !matches!(chrono::Datelike::weekday(&d), chrono::Weekday::Sat | chrono::Weekday::Sun);
        let monday = NaiveDate::from_ymd_opt(2026, 12, 7).unwrap();
        assert!(check_booking(monday, slots[0], friday, weekday).is_ok());
        let saturday = friday.succ_opt().unwrap();
        assert_eq!(check_booking(saturday, slots[0], friday, weekday).unwrap_err().field, "day");
        assert_eq!(check_booking(friday, slots[0], friday, weekday).unwrap_err().field, "day", "not today");
        let far = friday + chrono::Duration::days(18);
        assert_eq!(check_booking(far, slots[0], friday, weekday).unwrap_err().field, "day");
        let noon = NaiveTime::from_hms_opt(12, 0, 0).unwrap();
        assert_eq!(check_booking(monday, noon, friday, weekday).unwrap_err().field, "slot");
        assert_eq!(check_note("", true).unwrap_err().field, "note");
        assert_eq!(check_note("缺少户口簿", true).unwrap().as_deref(), Some("缺少户口簿"));
    }
}
