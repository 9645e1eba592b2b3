//! 值班: who answers for a street at a given hour. A report holding words of danger is texted
//! at once to the street's dispatchers on duty; a street with nobody on the roster falls back
//! to every dispatcher of that street, so a gap in the roster never silences a warning.

use chrono::{DateTime, Duration, Utc};

use crate::region::{RegionCode, RegionLevel};
use crate::{FieldError, Role, Scope};

/// The longest shift: a week, as rosters are planned.
pub const LONGEST_SHIFT_HOURS: i64 = 24 * 7;

/// A shift as a planner asks for it, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ShiftPlan {
    pub street: RegionCode,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl ShiftPlan {
    /// A shift for a street, starting before it ends, at most a week long, and not over before
    /// `now` (the roster plans what is to come, it is not a log).
    pub fn new(
        street: &str,
        starts_at: DateTime<Utc>,
        ends_at: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<Self, FieldError> {
        let street = RegionCode::parse(street.trim())
            .ok()
            .filter(|c| c.level() == RegionLevel::Township)
            .ok_or_else(|| FieldError::new("street", "应为9位街道代码", "a 9-digit street code"))?;
        if ends_at <= starts_at {
            return Err(FieldError::new("ends_at", "结束时间须晚于开始时间", "the shift must end after it starts"));
        }
        if ends_at - starts_at > Duration::hours(LONGEST_SHIFT_HOURS) {
            return Err(FieldError::new("ends_at", "一个班次最长7天", "a shift lasts at most 7 days"));
        }
        if ends_at <= now {
            return Err(FieldError::new("ends_at", "班次已结束，不能再排", "the shift is already over"));
        }
        Ok(Self { street, starts_at, ends_at })
    }
}

/// Whether a role stands duty: those who send cases on, dispatchers and supervisors.
pub fn stands_duty(role: Role) -> bool {
    match role {
        Role::Dispatcher | Role::Supervisor => true,
        Role::Operator | Role::Handler | Role::GridWorker | Role::Leader | Role::Admin => false,
    }
}

/// Whether a staff member may stand duty for a street: a dispatcher or supervisor whose scope
/// covers it. The roster names who is texted, so it names only those who may act on the case.
pub fn may_stand_duty(role: Role, scope: &Scope, street: &RegionCode) -> Result<(), FieldError> {
    if !stands_duty(role) {
        return Err(FieldError::new(
            "user",
            "值班人员须为派单员或督办员",
            "the person on duty is a dispatcher or supervisor",
        ));
    }
    if !scope.covers_region(street) {
        return Err(FieldError::new("user", "该人员的范围不含此街道", "this street is outside the person's scope"));
    }
    Ok(())
}

/// Whether a dispatcher is the street's own, for the fallback when nobody is on duty: their
/// scope names the street or one of its communities. A district's dispatchers are not texted
/// for every street of the district.
pub fn dispatches_for_street(role: Role, scope: &Scope, street: &RegionCode) -> bool {
    match (role, scope) {
        (Role::Dispatcher, Scope::Regions { codes }) => {
            codes.iter().any(|c| c.level() >= RegionLevel::Township && c.as_str().starts_with(street.as_str()))
        }
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use chrono::TimeZone;

    use super::*;

    fn at(hour: u32) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 12, 3, hour, 0, 0).unwrap()
    }

    #[test]
    fn a_shift_is_checked_whole() {
        let now = at(8);
        let plan = ShiftPlan::new("110101001", at(9), at(21), now).unwrap();
        assert_eq!(plan.street.as_str(), "110101001");
        assert_eq!(ShiftPlan::new("110101", at(9), at(21), now).unwrap_err().field, "street");
        assert_eq!(ShiftPlan::new("东华门", at(9), at(21), now).unwrap_err().field, "street");
        assert_eq!(ShiftPlan::new("110101001", at(21), at(9), now).unwrap_err().field, "ends_at");
        assert_eq!(ShiftPlan::new("110101001", at(9), at(9), now).unwrap_err().field, "ends_at");
        let long = at(9) + Duration::hours(LONGEST_SHIFT_HOURS + 1);
        assert_eq!(ShiftPlan::new("110101001", at(9), long, now).unwrap_err().field, "ends_at");
        assert_eq!(ShiftPlan::new("110101001", at(1), at(7), now).unwrap_err().field, "ends_at", "over already");
        assert!(ShiftPlan::new("110101001", at(1), at(9), now).is_ok(), "a shift under way may be entered");
    }

    #[test]
    fn only_dispatchers_of_the_street_stand_duty() {
        let street = RegionCode::parse("110101001").unwrap();
        let district = Scope::parse("region:110101").unwrap();
        let elsewhere = Scope::parse("region:110101002").unwrap();
        assert!(may_stand_duty(Role::Dispatcher, &district, &street).is_ok());
        assert!(may_stand_duty(Role::Supervisor, &district, &street).is_ok());
        assert!(may_stand_duty(Role::Dispatcher, &elsewhere, &street).is_err());
        assert!(may_stand_duty(Role::Leader, &district, &street).is_err());
        assert!(may_stand_duty(Role::Admin, &Scope::All, &street).is_err());
    }

    #[test]
    fn the_fallback_is_the_streets_own_dispatchers() {
        let street = RegionCode::parse("110101001").unwrap();
        assert!(dispatches_for_street(Role::Dispatcher, &Scope::parse("region:110101001").unwrap(), &street));
        assert!(dispatches_for_street(Role::Dispatcher, &Scope::parse("region:110101001002").unwrap(), &street));
        assert!(!dispatches_for_street(Role::Dispatcher, &Scope::parse("region:110101").unwrap(), &street));
        assert!(!dispatches_for_street(Role::Dispatcher, &Scope::parse("region:110101002").unwrap(), &street));
        assert!(!dispatches_for_street(Role::Supervisor, &Scope::parse("region:110101001").unwrap(), &street));
    }
}
