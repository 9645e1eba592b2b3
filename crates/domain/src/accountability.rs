//! 决议落实: a meeting's decision or a vote's result becomes a task with an owner, a deadline
//! and milestones; progress is reported with a share done, and a task is done, on time or late,
//! or overdue.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::{Actor, Capability, FieldError, Scope};

pub const MOST_MILESTONES: usize = 12;

coded_enum! {
    /// What a task carries out.
    Source {
        Meeting = "meeting" / "议事会决议" / "a council's decision",
        Vote = "vote" / "表决结果" / "a vote's result",
    }
}

coded_enum! {
    /// Who carries it out.
    OwnerKind {
        Unit = "unit" / "职能部门、单位" / "a unit or department",
        Committee = "committee" / "居委会" / "the residents' committee",
        Organisation = "organisation" / "社会组织、物业" / "an organisation or property company",
    }
}

coded_enum! {
    /// Where a task stands, as the public reads it.
    Progress {
        Underway = "underway" / "推进中" / "under way",
        Overdue = "overdue" / "已逾期" / "overdue",
        DoneOnTime = "done_on_time" / "按期完成" / "done on time",
        DoneLate = "done_late" / "逾期完成" / "done late",
    }
}

pub fn progress(deadline: DateTime<Utc>, done_at: Option<DateTime<Utc>>, now: DateTime<Utc>) -> Progress {
    match done_at {
        Some(done) if done <= deadline => Progress::DoneOnTime,
        Some(_) => Progress::DoneLate,
        None if now > deadline => Progress::Overdue,
        None => Progress::Underway,
    }
}

/// Who reports a task's progress and completes its milestones: staff who run participation in
/// the place, or those who work on the cases of the unit that owns it (its handlers).
pub fn may_report(actor: &Actor, region: &str, owner_unit: Option<&str>) -> bool {
    match actor {
        Actor::Staff { role, scope, .. } => {
            let of_place = role.may(Capability::RunParticipation) && scope.reaches(region);
            let of_owner = match (scope, owner_unit) {
                (Scope::Unit { unit }, Some(owner)) => unit == owner && role.may(Capability::WorkOnCases),
                _ => false,
            };
            of_place || of_owner
        }
        Actor::Resident | Actor::System | Actor::ApiKey { .. } => false,
    }
}

/// A progress report's share done: 0 to 100, never below what was reported before (work done
/// is not undone by a report; a setback is said in words).
pub fn check_percent(percent: i64, before: u8) -> Result<u8, FieldError> {
    match u8::try_from(percent) {
        Ok(p) if p <= 100 && p >= before => Ok(p),
        _ => Err(FieldError::new(
            "percent",
            format!("完成比例应为{before}至100"),
            format!("the share done is {before} to 100"),
        )),
    }
}

/// A deadline not already past when the task is set.
pub fn check_deadline(deadline: DateTime<Utc>, now: DateTime<Utc>) -> Result<(), FieldError> {
    if deadline < now {
        return Err(FieldError::new("deadline", "完成期限不能早于现在", "the deadline has passed"));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Role;
    use chrono::{Duration, TimeZone};

    #[test]
    fn a_task_is_under_way_overdue_or_done_on_time_or_late() {
        let deadline = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).unwrap();
        let before = deadline - Duration::days(1);
        let after = deadline + Duration::days(1);
        assert_eq!(progress(deadline, None, before), Progress::Underway);
        assert_eq!(progress(deadline, None, after), Progress::Overdue);
        assert_eq!(progress(deadline, Some(before), after), Progress::DoneOnTime);
        assert_eq!(progress(deadline, Some(after), after), Progress::DoneLate);
    }

    #[test]
    fn progress_is_reported_by_staff_of_the_place_or_the_owning_units_handlers() {
        let staff = |role, scope: &str| Actor::Staff {
            user_id: uuid::Uuid::nil(),
            username: "u".into(),
            role,
            scope: Scope::parse(scope).unwrap(),
        };
        let community = "110101001001";
        assert!(may_report(&staff(Role::Supervisor, "region:110101001"), community, None));
        assert!(!may_report(&staff(Role::Supervisor, "region:110101002"), community, None));
        assert!(may_report(&staff(Role::Handler, "unit:city"), community, Some("city")));
        assert!(!may_report(&staff(Role::Handler, "unit:water"), community, Some("city")));
        assert!(!may_report(&staff(Role::Handler, "unit:city"), community, None));
        // A leader reads; a unit scope without the handler's work does not report.
        assert!(!may_report(&staff(Role::Leader, "unit:city"), community, Some("city")));
        assert!(!may_report(&Actor::Resident, community, Some("city")));
    }

    #[test]
    fn reported_progress_never_goes_back() {
        assert_eq!(check_percent(60, 40).unwrap(), 60);
        assert_eq!(check_percent(30, 40).unwrap_err().field, "percent");
        assert_eq!(check_percent(101, 0).unwrap_err().field, "percent");
        assert_eq!(check_percent(-1, 0).unwrap_err().field, "percent");
        let now = Utc.with_ymd_and_hms(2026, 12, 5, 0, 0, 0).unwrap();
        assert!(check_deadline(now - Duration::hours(1), now).is_err());
    }
}
