//! 关爱服务: household members who need regular visits, flagged with their consent, the visits
//! due and missed in a worker's grids, and the audited reveal of who they are. Called alike by
//! the JSON API and the pages; the rules are `grassroots_domain::care`.

use chrono::{Datelike, Duration, NaiveDate, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::care::{
    check_end, check_plan, CareFlag, Consent, ConsentBy, ConsentForm, Member, DUE_SOON_DAYS,
};
use grassroots_domain::households::check_label;
use grassroots_domain::{Capability, FieldError};
use grassroots_store::care::{CareDue, CareMember, GridCare, RevealedMember};
use grassroots_store::User;
use uuid::Uuid;

use crate::{AppError, Platform, Result};

/// How many rows the queue of visits due shows at most.
const LISTED: i64 = 500;

/// A member as a worker records them.
#[derive(Debug, Clone, Default)]
pub struct MemberForm {
    pub grid_code: String,
    /// The household's door (3号楼2单元401), added to the grid if new.
    pub household_label: String,
    pub name: String,
    pub phone: Option<String>,
    pub birth_year: Option<String>,
    pub note: Option<String>,
}

/// A care flag with the consent it rests on.
#[derive(Debug, Clone, Default)]
pub struct FlagForm {
    pub flag: String,
    /// Days between visits; the flag's standard when absent.
    pub visit_every_days: Option<String>,
    pub consent_by: String,
    pub consent_form: String,
    /// `YYYY-MM-DD`.
    pub consent_on: String,
    /// The signed form's number, or the witness.
    pub consent_reference: String,
}

/// Which flag ends and why; every flag when consent is withdrawn.
#[derive(Debug, Clone, Default)]
pub struct EndForm {
    pub flag: Option<String>,
    pub end: String,
}

fn may_care(staff: &User) -> Result<()> {
    crate::require(staff, Capability::CareForResidents)
}

/// Today in Beijing: the day visits are counted in.
pub fn today() -> NaiveDate {
    beijing_day(Utc::now())
}

fn number<T: std::str::FromStr>(field: &'static str, raw: Option<&str>) -> Result<Option<T>> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(r) => r.parse().map(Some).map_err(|_| AppError::invalid(field, "应为整数", "expected a whole number")),
    }
}

/// Records a member of a household in one of the worker's grids.
pub async fn add_member(platform: &Platform, staff: &User, form: MemberForm) -> Result<CareMember> {
    may_care(staff)?;
    let grid = form.grid_code.trim();
    let not_mine = || AppError::invalid("grid_code", "请选择您负责的网格", "choose one of your grids");
    if !staff.scope.covers_place(grid) {
        return Err(not_mine());
    }
    let label = check_label(&form.household_label).map_err(|e| FieldError { field: "household_label", ..e })?;
    let member = Member::check(
        &form.name,
        form.phone.as_deref(),
        number("birth_year", form.birth_year.as_deref())?,
        form.note.as_deref(),
        today().year(),
    )?;
    match platform.store.add_care_member(&staff.actor(), grid, &label, &member, Utc::now()).await {
        // A grid the platform does not have.
        Err(grassroots_store::StoreError::NotFound) => Err(not_mine()),
        added => Ok(added?),
    }
}

/// A member within the staff member's places.
pub async fn member(platform: &Platform, staff: &User, id: Uuid) -> Result<CareMember> {
    may_care(staff)?;
    Ok(platform.store.care_member(&staff.scope, id).await?)
}

/// The people in care of a household within the staff member's places (none outside them).
pub async fn household(platform: &Platform, staff: &User, household: Uuid) -> Result<Vec<CareMember>> {
    may_care(staff)?;
    Ok(platform.store.care_members_of(&staff.scope, household).await?)
}

/// Flags a member, from today, with the consent given.
pub async fn flag(platform: &Platform, staff: &User, member: Uuid, form: FlagForm) -> Result<CareMember> {
    may_care(staff)?;
    let flag = CareFlag::parse_field("flag", &form.flag)?;
    let consent = Consent {
        by: ConsentBy::parse_field("consent_by", &form.consent_by)?,
        form: ConsentForm::parse_field("consent_form", &form.consent_form)?,
        given_on: NaiveDate::parse_from_str(form.consent_on.trim(), "%Y-%m-%d")
            .map_err(|_| AppError::invalid("consent_on", "日期格式应为YYYY-MM-DD", "expected a date YYYY-MM-DD"))?,
        reference: form.consent_reference,
    };
    let today = today();
    let plan = check_plan(flag, number("visit_every_days", form.visit_every_days.as_deref())?, consent, today)?;
    Ok(platform.store.flag_care(&staff.actor(), member, &plan, today, Utc::now()).await?)
}

/// Ends a member's flag, or all of them with their data when consent is withdrawn.
pub async fn end(platform: &Platform, staff: &User, member: Uuid, form: EndForm) -> Result<CareMember> {
    may_care(staff)?;
    let end = check_end(&form.end)?;
    let flag = match form.flag.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
        None => None,
        Some(f) => Some(CareFlag::parse_field("flag", f)?),
    };
    Ok(platform.store.end_care(&staff.actor(), member, flag, end, Utc::now()).await?)
}

/// The members within the staff member's places whose visit is due within the coming days or
/// missed, the longest overdue first; `grid` narrows to one of them.
pub async fn due(platform: &Platform, staff: &User, grid: Option<&str>) -> Result<Vec<CareDue>> {
    may_care(staff)?;
    let until = today() + Duration::days(DUE_SOON_DAYS);
    Ok(platform.store.care_due(&staff.scope, grid.map(str::trim).filter(|g| !g.is_empty()), until, LISTED).await?)
}

/// Per grid within the staff member's places (`grid` narrows to one): people in care, and
/// those overdue for a visit.
pub async fn grids(platform: &Platform, staff: &User, grid: Option<&str>) -> Result<Vec<GridCare>> {
    may_care(staff)?;
    Ok(platform.store.grid_care(&staff.scope, grid, today()).await?)
}

/// A member's name, phone and note, for a stated reason; audited.
pub async fn reveal(platform: &Platform, staff: &User, member: Uuid, reason: Option<&str>) -> Result<RevealedMember> {
    may_care(staff)?;
    if !staff.role.may(Capability::RevealPersonalData) {
        return Err(AppError::lacks(Capability::RevealPersonalData));
    }
    let reason = crate::cases::reveal_reason(reason)?;
    Ok(platform.store.reveal_care_member(&staff.actor(), member, &reason, Utc::now()).await?)
}
