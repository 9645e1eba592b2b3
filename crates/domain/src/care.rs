//! Care for those who need it most (关爱服务): the members of a household whose situation calls
//! for regular visits (elderly living alone, disabled, 低保, 特困, left-behind children), the
//! consent that must be recorded before anything about them is kept, and when each must next
//! be visited. Who may see them is `access::Capability::CareForResidents`; their names and
//! phones are sealed by the store.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::personal::{mask_name, normalize_phone};
use crate::text::trimmed;
use crate::{free_text, FieldError};

coded_enum! {
    /// Why a person needs care, each with the visits it calls for (`standard_visit_days`).
    CareFlag {
        ElderlyAlone = "elderly_alone" / "独居老人" / "elderly, living alone",
        EmptyNest = "empty_nest" / "空巢老人" / "elderly, no children at home",
        Disabled = "disabled" / "残疾人" / "disabled",
        Dibao = "dibao" / "低保对象" / "on the minimum living allowance (低保)",
        Tekun = "tekun" / "特困供养人员" / "in state support for extreme poverty (特困)",
        LeftBehindChild = "left_behind_child" / "留守儿童" / "a child whose parents work away",
    }
}

impl CareFlag {
    /// At most how many days may pass between two visits: weekly for the elderly living alone,
    /// fortnightly for others at risk, monthly for households whose need is steady.
    pub fn standard_visit_days(self) -> u32 {
        match self {
            Self::ElderlyAlone => 7,
            Self::EmptyNest | Self::Tekun | Self::LeftBehindChild => 14,
            Self::Disabled | Self::Dibao => 30,
        }
    }

    /// Whether the person may consent for themselves: a child's consent is their guardian's.
    fn guardian_consents(self) -> bool {
        matches!(self, Self::LeftBehindChild)
    }
}

coded_enum! {
    /// Who gave consent to keep a person's care flag.
    ConsentBy {
        Person = "person" / "本人" / "the person",
        Guardian = "guardian" / "监护人" / "their guardian",
        Relative = "relative" / "近亲属（本人无法表达时）" / "a close relative (the person cannot say)",
    }
}

coded_enum! {
    /// How consent was given.
    ConsentForm {
        Signed = "signed" / "书面签字" / "a signed form",
        Spoken = "spoken" / "口头同意，有见证人" / "spoken, before a witness",
    }
}

coded_enum! {
    /// Why a care flag ends. Withdrawn consent also erases what is sealed about the person.
    CareEnd {
        NoLongerApplies = "no_longer_applies" / "情况已变化，不再需要" / "no longer applies",
        MovedOut = "moved_out" / "已迁出" / "moved out",
        Died = "died" / "已去世" / "died",
        ConsentWithdrawn = "consent_withdrawn" / "本人或监护人撤回同意" / "consent withdrawn",
    }
}

/// The longest name kept for a member.
pub const NAME_CHARS: usize = 30;
/// The longest note about a member's situation (sealed).
pub const NOTE_CHARS: usize = 500;
/// The longest reference of a consent (the number of the signed form, the witness).
pub const CONSENT_REFERENCE_CHARS: usize = 100;
/// How long the sealed name, phone and note of someone no longer in care are kept after their
/// last flag ended (for a return, or a question about the care given), in days.
pub const KEPT_AFTER_CARE_DAYS: i64 = 365;
/// How long someone recorded without any flag (no consent given yet) is kept, in days.
pub const KEPT_UNFLAGGED_DAYS: i64 = 30;
/// How many days before a visit is due it shows as coming.
pub const DUE_SOON_DAYS: i64 = 2;

/// A household member as staff record them: the name and phone are sealed, the rest is
/// plain (a masked name, the year of birth for the age).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    pub name: String,
    pub phone: Option<String>,
    pub birth_year: Option<i32>,
    /// The situation in the worker's words (health, who to call): sealed with the name.
    pub note: Option<String>,
}

impl Member {
    /// Checks what a worker typed; `this_year` bounds the year of birth.
    pub fn check(
        name: &str,
        phone: Option<&str>,
        birth_year: Option<i32>,
        note: Option<&str>,
        this_year: i32,
    ) -> Result<Self, FieldError> {
        let name = trimmed(name);
        if name.is_empty() || name.chars().count() > NAME_CHARS || name.chars().any(char::is_control) {
            return Err(FieldError::new(
                "name",
                format!("请填写姓名（最多{NAME_CHARS}个字符）"),
                format!("give the name (at most {NAME_CHARS} characters)"),
            ));
        }
        let phone = match phone.map(trimmed).filter(|p| !p.is_empty()) {
            None => None,
            Some(p) => Some(normalize_phone(p).map_err(|e| FieldError { field: "phone", ..e })?),
        };
        if let Some(year) = birth_year {
            if !(this_year - 120..=this_year).contains(&year) {
                return Err(FieldError::new(
                    "birth_year",
                    format!("出生年份应在{}到{this_year}之间", this_year - 120),
                    format!("the year of birth lies between {} and {this_year}", this_year - 120),
                ));
            }
        }
        let note = match note.map(trimmed).filter(|n| !n.is_empty()) {
            None => None,
            Some(n) if n.chars().count() > NOTE_CHARS || n.chars().any(|c| c.is_control() && c != '\n') => {
                return Err(FieldError::new(
                    "note",
                    format!("情况说明最多{NOTE_CHARS}个字符"),
                    format!("the note has at most {NOTE_CHARS} characters"),
                ))
            }
            Some(n) => Some(n.to_string()),
        };
        Ok(Self { name: name.to_string(), phone, birth_year, note })
    }

    /// The name as lists show it: 张*.
    pub fn masked_name(&self) -> String {
        mask_name(&self.name)
    }
}

/// The age a year of birth gives in a year.
pub fn age(birth_year: i32, today: NaiveDate) -> i32 {
    today.year() - birth_year
}

/// Consent to keep a flag: who, how, when, and the form's number or the witness.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Consent {
    pub by: ConsentBy,
    pub form: ConsentForm,
    pub given_on: NaiveDate,
    pub reference: String,
}

/// A care flag as recorded: the flag, how often to visit and the consent it rests on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CarePlan {
    pub flag: CareFlag,
    pub visit_every_days: u32,
    pub consent: Consent,
}

/// Checks a flag before it is kept: consent given by someone who may give it, not in the
/// future, with its reference; visits at least as often as the flag's standard asks (a plan
/// may ask for more, never fewer).
pub fn check_plan(
    flag: CareFlag,
    visit_every_days: Option<u32>,
    consent: Consent,
    today: NaiveDate,
) -> Result<CarePlan, FieldError> {
    if flag.guardian_consents() && consent.by != ConsentBy::Guardian {
        return Err(FieldError::new(
            "consent_by",
            format!("{}须由监护人同意", flag.label_zh()),
            format!("consent for {} is given by a guardian", flag.label_en()),
        ));
    }
    if consent.given_on > today {
        return Err(FieldError::new("consent_on", "同意日期不能晚于今天", "consent cannot be dated after today"));
    }
    let reference = trimmed(&consent.reference);
    if reference.is_empty()
        || reference.chars().count() > CONSENT_REFERENCE_CHARS
        || !free_text::find(reference).is_empty()
    {
        return Err(FieldError::new(
            "consent_reference",
            format!("请填写同意书编号或见证人（最多{CONSENT_REFERENCE_CHARS}个字符，不写电话或证件号）"),
            format!(
                "give the consent form's number or the witness (at most {CONSENT_REFERENCE_CHARS} characters, \
                 no phone or ID numbers)"
            ),
        ));
    }
    let standard = flag.standard_visit_days();
    let every = visit_every_days.unwrap_or(standard);
    if every == 0 || every > standard {
        return Err(FieldError::new(
            "visit_every_days",
            format!("{}至少每{standard}天走访一次（可更频繁）", flag.label_zh()),
            format!("{} is visited at least every {standard} days (more often if need be)", flag.label_en()),
        ));
    }
    Ok(CarePlan { flag, visit_every_days: every, consent: Consent { reference: reference.to_string(), ..consent } })
}

/// When a flag's next visit is due: its interval after the last visit to the household since
/// the flag began, or after the day it began.
pub fn next_visit_due(began_on: NaiveDate, last_visited_on: Option<NaiveDate>, every_days: u32) -> NaiveDate {
    let from = last_visited_on.filter(|v| *v >= began_on).unwrap_or(began_on);
    from + Duration::days(i64::from(every_days))
}

/// Where a flag's visits stand on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum VisitStatus {
    /// Due in more than `DUE_SOON_DAYS` days.
    InTime { in_days: i64 },
    /// Due within `DUE_SOON_DAYS` days, or today (0).
    DueSoon { in_days: i64 },
    /// The day passed without a visit.
    Missed { by_days: i64 },
}

impl VisitStatus {
    pub fn of(due_on: NaiveDate, today: NaiveDate) -> Self {
        let days = (due_on - today).num_days();
        match days {
            d if d < 0 => Self::Missed { by_days: -d },
            d if d <= DUE_SOON_DAYS => Self::DueSoon { in_days: d },
            d => Self::InTime { in_days: d },
        }
    }

    /// "逾期3天" / "3 days overdue", "今天应走访", "2天内应走访", "还有9天".
    pub fn describe(self) -> (String, String) {
        match self {
            Self::Missed { by_days } => (format!("逾期{by_days}天未走访"), format!("visit {by_days} days overdue")),
            Self::DueSoon { in_days: 0 } => ("今天应走访".into(), "visit due today".into()),
            Self::DueSoon { in_days } => (format!("{in_days}天内应走访"), format!("visit due in {in_days} days")),
            Self::InTime { in_days } => (format!("{in_days}天后走访"), format!("next visit in {in_days} days")),
        }
    }
}

/// The reason for ending a flag, from a form.
pub fn check_end(end: &str) -> Result<CareEnd, FieldError> {
    CareEnd::parse_field("end", end)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn consent(by: ConsentBy, on: &str) -> Consent {
        Consent { by, form: ConsentForm::Signed, given_on: day(on), reference: " 同意书2026-017 ".into() }
    }

    #[test]
    fn a_plan_needs_consent_from_who_may_give_it() {
        let today = day("2026-12-05");
        let plan = check_plan(CareFlag::ElderlyAlone, None, consent(ConsentBy::Person, "2026-12-01"), today).unwrap();
        assert_eq!(plan.visit_every_days, 7);
        assert_eq!(plan.consent.reference, "同意书2026-017");
        let child = check_plan(CareFlag::LeftBehindChild, None, consent(ConsentBy::Person, "2026-12-01"), today);
        assert_eq!(child.unwrap_err().field, "consent_by");
        assert!(check_plan(CareFlag::LeftBehindChild, None, consent(ConsentBy::Guardian, "2026-12-01"), today).is_ok());
        let future = check_plan(CareFlag::Dibao, None, consent(ConsentBy::Person, "2026-12-06"), today);
        assert_eq!(future.unwrap_err().field, "consent_on");
        for reference in ["", "  ", "见证人 13912345678", &"号".repeat(CONSENT_REFERENCE_CHARS + 1)] {
            let mut c = consent(ConsentBy::Person, "2026-12-01");
            c.reference = reference.to_string();
            assert_eq!(
                check_plan(CareFlag::Dibao, None, c, today).unwrap_err().field,
                "consent_reference",
                "{reference:?}"
            );
        }
    }

    #[test]
    fn a_plan_may_ask_for_more_visits_never_fewer() {
        let today = day("2026-12-05");
        let c = || consent(ConsentBy::Person, "2026-12-01");
        assert_eq!(check_plan(CareFlag::Disabled, Some(10), c(), today).unwrap().visit_every_days, 10);
        for every in [0, 31, 365] {
            assert_eq!(
                check_plan(CareFlag::Disabled, Some(every), c(), today).unwrap_err().field,
                "visit_every_days",
                "{every}"
            );
        }
        assert!(CareFlag::ALL.iter().all(|f| (7..=30).contains(&f.standard_visit_days())));
    }

    #[test]
    fn the_next_visit_counts_from_the_last_visit_since_the_flag_began() {
        let began = day("2026-11-01");
        assert_eq!(next_visit_due(began, None, 7), day("2026-11-08"));
        assert_eq!(next_visit_due(began, Some(day("2026-11-20")), 7), day("2026-11-27"));
        // A visit before the flag began does not count for it.
        assert_eq!(next_visit_due(began, Some(day("2026-10-30")), 7), day("2026-11-08"));
    }

    #[test]
    fn visits_are_in_time_due_soon_or_missed() {
        let today = day("2026-12-05");
        assert_eq!(VisitStatus::of(day("2026-12-03"), today), VisitStatus::Missed { by_days: 2 });
        assert_eq!(VisitStatus::of(today, today), VisitStatus::DueSoon { in_days: 0 });
        assert_eq!(VisitStatus::of(day("2026-12-07"), today), VisitStatus::DueSoon { in_days: 2 });
        assert_eq!(VisitStatus::of(day("2026-12-08"), today), VisitStatus::InTime { in_days: 3 });
        assert_eq!(VisitStatus::Missed { by_days: 3 }.describe().0, "逾期3天未走访");
    }

    #[test]
    fn members_are_checked_and_masked() {
        let m = Member::check(" 王秀英 ", Some("139 1234 5678"), Some(1941), Some("腿脚不便"), 2026).unwrap();
        assert_eq!((m.name.as_str(), m.phone.as_deref()), ("王秀英", Some("13912345678")));
        assert_eq!(m.masked_name(), "王**");
        assert_eq!(age(1941, day("2026-12-05")), 85);
        assert_eq!(Member::check("", None, None, None, 2026).unwrap_err().field, "name");
        assert_eq!(Member::check("王", Some("12345"), None, None, 2026).unwrap_err().field, "phone");
        assert_eq!(Member::check("王", None, Some(1890), None, 2026).unwrap_err().field, "birth_year");
        assert_eq!(Member::check("王", None, Some(2027), None, 2026).unwrap_err().field, "birth_year");
        let long = "情".repeat(NOTE_CHARS + 1);
        assert_eq!(Member::check("王", None, None, Some(&long), 2026).unwrap_err().field, "note");
        assert_eq!(check_end("moved_out").unwrap(), CareEnd::MovedOut);
        assert_eq!(check_end("gone").unwrap_err().field, "end");
    }
}
