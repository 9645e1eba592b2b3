//! 值班: each street's roster of dispatchers on duty, planned by supervisors and administrators
//! within their scope and read by everyone who works on cases there; and who is texted when a
//! report holds words of danger.

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::duty::{dispatches_for_street, may_stand_duty, stands_duty, ShiftPlan};
use grassroots_domain::region::RegionCode;
use grassroots_domain::Capability;
use grassroots_store::duty::{NewShift, Shift};
use grassroots_store::{StaffAccount, User};
use uuid::Uuid;

use crate::fields::moment;
use crate::{AppError, Platform, Result};

/// A shift as a planner gives it; times as RFC 3339 or Beijing time (`2026-12-03T09:00`).
#[derive(Debug, Clone, Default)]
pub struct ShiftForm {
    pub street: String,
    /// Who stands it.
    pub username: String,
    pub starts_at: String,
    pub ends_at: String,
}

/// Puts a shift on a street's roster.
#[tracing::instrument(skip_all, fields(street = %form.street, username = %form.username))]
pub async fn plan(platform: &Platform, planner: &User, form: ShiftForm) -> Result<Shift> {
    if !planner.role.may(Capability::PlanDuty) {
        return Err(AppError::lacks(Capability::PlanDuty));
    }
    let now = Utc::now();
    let plan =
        ShiftPlan::new(&form.street, moment("starts_at", &form.starts_at)?, moment("ends_at", &form.ends_at)?, now)?;
    if !planner.scope.covers_region(&plan.street) {
        return Err(AppError::invalid("street", "该街道不在您的范围内", "this street is outside your scope"));
    }
    let account = platform
        .store
        .user_by_username(form.username.trim())
        .await?
        .filter(|a| !a.disabled)
        .ok_or_else(|| AppError::invalid("user", "没有这个在用的账号", "no active account by that name"))?;
    may_stand_duty(account.user.role, &account.user.scope, &plan.street)?;
    let shift = NewShift {
        street_code: plan.street.as_str().to_string(),
        user_id: account.user.id,
        starts_at: plan.starts_at,
        ends_at: plan.ends_at,
    };
    Ok(platform.store.add_shift(&shift, &planner.actor(), now).await?)
}

/// Takes a shift off the roster; one outside the planner's scope is not found.
pub async fn cancel(platform: &Platform, planner: &User, id: Uuid) -> Result<Shift> {
    if !planner.role.may(Capability::PlanDuty) {
        return Err(AppError::lacks(Capability::PlanDuty));
    }
    let shift = platform.store.shift(id).await?.ok_or(AppError::NotFound)?;
    if !street_in_scope(planner, &shift.street_code) {
        return Err(AppError::NotFound);
    }
    Ok(platform.store.remove_shift(id, &planner.actor(), Utc::now()).await?)
}

fn street_in_scope(user: &User, street: &str) -> bool {
    RegionCode::parse(street).is_ok_and(|code| user.scope.covers_region(&code))
}

/// The shifts of the streets within the reader's scope that overlap `[from, to)`.
pub async fn roster(platform: &Platform, reader: &User, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Shift>> {
    if !reader.role.may(Capability::WorkOnCases) {
        return Err(AppError::lacks(Capability::WorkOnCases));
    }
    if to <= from || to - from > Duration::days(62) {
        return Err(AppError::invalid(
            "to",
            "时段须在62天以内且结束晚于开始",
            "the period ends after it starts, within 62 days",
        ));
    }
    let shifts = platform.store.shifts(None, from, to).await?;
    Ok(shifts.into_iter().filter(|s| street_in_scope(reader, &s.street_code)).collect())
}

/// The accounts a planner may put on the roster of some street within their scope.
pub async fn candidates(platform: &Platform, planner: &User) -> Result<Vec<StaffAccount>> {
    if !planner.role.may(Capability::PlanDuty) {
        return Err(AppError::lacks(Capability::PlanDuty));
    }
    let accounts = platform.store.users().await?;
    Ok(accounts
        .into_iter()
        .filter(|a| !a.disabled && stands_duty(a.user.role) && a.user.scope.shares_region_with(&planner.scope))
        .collect())
}

/// Who is texted about danger in a street at `at`: those on duty there who have a mobile; when
/// none has, the street's own dispatchers who have one (a gap in the roster must not silence a
/// warning). Empty when the street is unknown or nobody can be reached.
pub(crate) async fn who_to_tell(platform: &Platform, street: Option<&str>, at: DateTime<Utc>) -> Result<Vec<Uuid>> {
    let Some(street) = street.and_then(|s| RegionCode::parse(s).ok()) else { return Ok(Vec::new()) };
    let streets = [street.as_str().to_string()];
    let on_duty: Vec<Uuid> = platform
        .store
        .shifts(Some(&streets), at, at + Duration::milliseconds(1))
        .await?
        .into_iter()
        .filter(|s| s.phone_masked.is_some())
        .map(|s| s.user_id)
        .collect();
    if !on_duty.is_empty() {
        return Ok(on_duty);
    }
    let accounts = platform.store.users().await?;
    Ok(accounts
        .into_iter()
        .filter(|a| {
            !a.disabled && a.phone_masked.is_some() && dispatches_for_street(a.user.role, &a.user.scope, &street)
        })
        .map(|a| a.user.id)
        .collect())
}
