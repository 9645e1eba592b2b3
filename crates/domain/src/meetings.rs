//! 议事会: a meeting of a street, community or grid with its agenda (topics, or items of its
//! own), its participants by role, then its attendance, minutes and decisions. What a decision
//! becomes is `accountability`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::FieldError;

pub const PLACE_CHARS: usize = 100;
pub const MINUTES_CHARS: usize = 20_000;
pub const MOST_ITEMS: usize = 20;
pub const MOST_PARTICIPANTS: usize = 60;
pub const MOST_DECISIONS: usize = 20;
/// How far from now a meeting may be set: a year either way (recording one already held).
const SET_WITHIN_DAYS: i64 = 366;

coded_enum! {
    /// Who takes part in a residents' council (居民议事会), by role: names are not kept.
    ParticipantKind {
        Representative = "representative" / "居民代表" / "residents' representative",
        Committee = "committee" / "居委会" / "residents' committee",
        Property = "property" / "物业公司" / "property company",
        Unit = "unit" / "驻区单位、职能部门" / "unit or department",
        Organisation = "organisation" / "社会组织" / "social organisation",
        Other = "other" / "其他" / "other",
    }
}

coded_enum! {
    /// A meeting announced (a notice to print), or held (its minutes recorded).
    MeetingState {
        Planned = "planned" / "已通知" / "announced",
        Held = "held" / "已召开" / "held",
    }
}

/// When a meeting is set: within a year of now.
pub fn check_start(starts_at: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), FieldError> {
    if (starts_at - now).num_days().abs() > SET_WITHIN_DAYS {
        return Err(FieldError::new("starts_at", "会议时间应在一年之内", "a meeting is set within a year of now"));
    }
    Ok(())
}

/// An agenda and participants of a size a meeting can hold.
pub fn check_sizes(items: usize, participants: usize) -> Result<(), FieldError> {
    if items == 0 || items > MOST_ITEMS {
        return Err(FieldError::new(
            "items",
            format!("议程应为1至{MOST_ITEMS}项"),
            format!("1 to {MOST_ITEMS} agenda items"),
        ));
    }
    if participants == 0 || participants > MOST_PARTICIPANTS {
        return Err(FieldError::new(
            "participants",
            format!("参会方应为1至{MOST_PARTICIPANTS}个"),
            format!("1 to {MOST_PARTICIPANTS} participants"),
        ));
    }
    Ok(())
}

/// A meeting decides no more than its minutes can follow up.
pub fn check_decisions(decisions: usize) -> Result<(), FieldError> {
    match decisions <= MOST_DECISIONS {
        true => Ok(()),
        false => Err(FieldError::new(
            "decisions",
            format!("决议最多{MOST_DECISIONS}项"),
            format!("at most {MOST_DECISIONS} decisions"),
        )),
    }
}

/// Minutes are recorded once, for a meeting announced.
pub fn may_record_minutes(state: MeetingState) -> Result<(), FieldError> {
    match state {
        MeetingState::Planned => Ok(()),
        MeetingState::Held => Err(FieldError::new("meeting", "会议纪要已录入", "the minutes are already recorded")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{Duration, TimeZone};

    #[test]
    fn meetings_are_set_within_a_year_and_minuted_once() {
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 8, 0, 0).unwrap();
        assert!(check_start(now + Duration::days(7), now).is_ok());
        assert!(check_start(now - Duration::days(2), now).is_ok(), "a meeting already held is recorded");
        assert_eq!(check_start(now + Duration::days(400), now).unwrap_err().field, "starts_at");
        assert!(may_record_minutes(MeetingState::Planned).is_ok());
        assert_eq!(may_record_minutes(MeetingState::Held).unwrap_err().field, "meeting");
        assert_eq!(check_sizes(0, 3).unwrap_err().field, "items");
        assert_eq!(check_sizes(2, 0).unwrap_err().field, "participants");
        assert!(check_sizes(2, 3).is_ok());
        assert!(check_decisions(MOST_DECISIONS).is_ok());
        assert_eq!(check_decisions(MOST_DECISIONS + 1).unwrap_err().field, "decisions");
    }
}
