//! 五社联动, who helps: a person registers on their phone as a volunteer or social worker from
//! their resident account; staff register organisations of their places, verify registrations,
//! deactivate and reactivate them, and redeem points; rankings by hours confirmed. Called alike
//! by the JSON API and the pages; the rules are `grassroots_domain::helpers`.

use chrono::{Datelike, Duration, TimeZone, Utc};
use grassroots_domain::calendar::{beijing, beijing_day};
use grassroots_domain::helpers::{
    check_delivery, check_reason, weekday_numbered, Availability, Commitment, DayPart, HelperKind, HelperState,
    Qualification, Registration, RegistrationForm, Skill,
};
use grassroots_domain::needs::check_redemption;
use grassroots_domain::personal::normalize_phone;
use grassroots_domain::{Capability, FieldError};
use grassroots_store::helpers::{CommitmentRecord, Helper, HelperContact, PointsEntry, RankedHelper, Registrant};
use grassroots_store::needs::NeedRecord;
use grassroots_store::residents::Resident;
use grassroots_store::User;
use uuid::Uuid;

use crate::fields::short_text;
use crate::{staff_places, AppError, Platform, Result};

/// How many rows a list shows at most.
const LISTED: i64 = 500;

/// A registration as a form sends it.
#[derive(Debug, Clone, Default)]
pub struct HelperForm {
    pub kind: String,
    pub name: String,
    pub region_code: String,
    pub skills: Vec<String>,
    /// Days of the week free, 1 (Monday) to 7.
    pub days: Vec<String>,
    pub parts: Vec<String>,
    pub about: String,
    pub credit_code: Option<String>,
    pub qualification: Option<String>,
    pub certificate_no: Option<String>,
    /// An organisation's person to contact, and their phone.
    pub contact: Option<String>,
    pub phone: Option<String>,
    /// Where a party member works (双报到).
    pub affiliation: Option<String>,
}

/// A helper as staff of the place read them: with their name and contact, and their points.
#[derive(Debug, Clone)]
pub struct HelperFile {
    pub helper: Helper,
    pub contact: HelperContact,
    pub points: Vec<PointsEntry>,
    pub tasks: Vec<NeedRecord>,
    /// What they committed to provide, by year, and delivered.
    pub commitments: Vec<CommitmentRecord>,
}

/// What a helper sees of themselves on their phone.
#[derive(Debug, Clone)]
pub struct HelperDesk {
    pub helper: Helper,
    /// Offered first, then accepted, then done, then the rest.
    pub tasks: Vec<NeedRecord>,
    pub points: Vec<PointsEntry>,
    /// Their place among the helpers of their street this year, if they have hours in it.
    pub rank: Option<usize>,
    pub commitments: Vec<CommitmentRecord>,
}

pub(crate) fn may_coordinate(staff: &User) -> Result<()> {
    crate::require(staff, Capability::CoordinateHelp)
}

fn skills(raw: &[String]) -> Result<Vec<Skill>> {
    Ok(raw
        .iter()
        .filter(|s| !s.trim().is_empty())
        .map(|s| Skill::parse_field("skills", s))
        .collect::<Result<_, _>>()?)
}

fn availability(days: &[String], parts: &[String]) -> Result<Availability> {
    let days = days.iter().map(|d| weekday_numbered("days", d)).collect::<Result<Vec<_>, _>>()?;
    let parts = parts.iter().map(|p| DayPart::parse_field("parts", p)).collect::<Result<Vec<_>, _>>()?;
    Ok(Availability::of(&days, &parts))
}

fn check(kind: HelperKind, form: &HelperForm) -> Result<Registration> {
    let qualification = match form.qualification.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        None => None,
        Some(q) => Some(Qualification::parse_field("qualification", q)?),
    };
    Ok(Registration::check(
        kind,
        RegistrationForm {
            name: &form.name,
            region_code: &form.region_code,
            skills: skills(&form.skills)?,
            availability: availability(&form.days, &form.parts)?,
            about: &form.about,
            credit_code: form.credit_code.as_deref(),
            qualification,
            certificate_no: form.certificate_no.as_deref(),
            affiliation: form.affiliation.as_deref(),
        },
    )?)
}

/// A person registers themselves, as a volunteer or a social worker; staff verify it.
pub async fn register_self(platform: &Platform, resident: &Resident, form: HelperForm) -> Result<Helper> {
    let kind = HelperKind::parse_field("kind", &form.kind)?;
    if !kind.is_person() {
        return Err(AppError::invalid("kind", "组织由社区工作人员登记", "organisations are registered by staff"));
    }
    let registration = check(kind, &form)?;
    let contact = HelperContact { name: registration.name.clone(), contact: None, phone: None };
    Ok(platform.store.register_helper(Registrant::Resident(resident.id), &registration, &contact, Utc::now()).await?)
}

/// Staff register a social organisation or a community self-organisation of their places,
/// with the person to contact.
pub async fn register_organisation(platform: &Platform, staff: &User, form: HelperForm) -> Result<Helper> {
    may_coordinate(staff)?;
    let kind = HelperKind::parse_field("kind", &form.kind)?;
    if kind.is_person() {
        return Err(AppError::invalid(
            "kind",
            "志愿者和社工在手机上自行登记",
            "people register themselves on their phone",
        ));
    }
    let registration = check(kind, &form)?;
    let contact = short_text("contact", form.contact.as_deref().unwrap_or_default(), 30)?;
    let phone =
        normalize_phone(form.phone.as_deref().unwrap_or_default()).map_err(|e| FieldError { field: "phone", ..e })?;
    let contact = HelperContact { name: registration.name.clone(), contact: Some(contact), phone: Some(phone) };
    match platform.store.register_helper(Registrant::Staff(&staff.actor()), &registration, &contact, Utc::now()).await {
        Err(grassroots_store::StoreError::NotFound) => Err(AppError::invalid(
            "region_code",
            "只能登记您负责的街道或社区的组织",
            "register organisations of your own places",
        )),
        registered => Ok(registered?),
    }
}

/// The helpers of the staff member's places, pending first.
pub async fn list(platform: &Platform, staff: &User, state: Option<&str>) -> Result<Vec<Helper>> {
    may_coordinate(staff)?;
    let state = match state.map(str::trim).filter(|s| !s.is_empty()) {
        None => None,
        Some(s) => Some(HelperState::parse_field("state", s)?),
    };
    Ok(platform.store.helpers(&staff_places(staff), state, LISTED).await?)
}

/// A helper of the staff member's places; `NotFound` outside them.
async fn of_mine(platform: &Platform, staff: &User, id: Uuid) -> Result<Helper> {
    may_coordinate(staff)?;
    let helper = platform.store.helper(id).await?.ok_or(AppError::NotFound)?;
    match staff.scope.reaches(&helper.region_code) {
        true => Ok(helper),
        false => Err(AppError::NotFound),
    }
}

/// A helper with their contact, points and tasks, for staff of their place.
pub async fn file(platform: &Platform, staff: &User, id: Uuid) -> Result<HelperFile> {
    let helper = of_mine(platform, staff, id).await?;
    Ok(HelperFile {
        contact: platform.store.helper_contact(id).await?,
        points: platform.store.points_entries(id, LISTED).await?,
        tasks: platform.store.needs_of_helper(id, LISTED).await?,
        commitments: platform.store.commitments(id).await?,
        helper,
    })
}

/// A commitment for a year (驻区单位、双报到), by staff of the helper's place.
pub async fn commit(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    year: &str,
    what: &str,
    unit: &str,
    target: &str,
) -> Result<()> {
    of_mine(platform, staff, id).await?;
    let commitment = Commitment::check(year, what, unit, target, beijing_day(Utc::now()).year())?;
    Ok(platform.store.commit_helper(&staff.actor(), id, &commitment, Utc::now()).await?)
}

/// What a commitment delivered on a day.
pub async fn deliver(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    seq: i64,
    amount: &str,
    on: &str,
    note: Option<&str>,
) -> Result<()> {
    of_mine(platform, staff, id).await?;
    let (amount, on) = check_delivery(amount, on, beijing_day(Utc::now()))?;
    let note = note.map(str::trim).filter(|n| !n.is_empty()).map(|n| short_text("note", n, 200)).transpose()?;
    match platform.store.record_delivery(&staff.actor(), id, seq, on, amount, note.as_deref(), Utc::now()).await {
        Err(grassroots_store::StoreError::NotFound) => {
            Err(AppError::invalid("commitment", "无此承诺事项", "no such commitment"))
        }
        done => Ok(done?),
    }
}

/// Verifies, deactivates (a reason is given) or reactivates a helper.
pub async fn set_state(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    state: &str,
    reason: Option<&str>,
) -> Result<Helper> {
    let before = of_mine(platform, staff, id).await?;
    let state = HelperState::parse_field("state", state)?;
    let reason = match state {
        HelperState::Deactivated => Some(check_reason(reason.unwrap_or_default())?),
        HelperState::Verified | HelperState::Pending => None,
    };
    if state == before.state {
        return Err(AppError::invalid("state", "状态未改变", "the helper is in that state already"));
    }
    if state == HelperState::Pending {
        return Err(AppError::invalid("state", "只能核验、停用或恢复", "verify, deactivate or reactivate"));
    }
    Ok(platform.store.set_helper_state(&staff.actor(), id, state, reason.as_deref(), Utc::now()).await?)
}

/// Redeems a helper's points for something named.
pub async fn redeem(platform: &Platform, staff: &User, id: Uuid, points: &str, item: &str) -> Result<PointsEntry> {
    let helper = of_mine(platform, staff, id).await?;
    let (points, item) = check_redemption(points, item, helper.points.balance())?;
    Ok(platform.store.redeem_points(&staff.actor(), id, points, &item, Utc::now()).await?)
}

/// The beginning of this year in Beijing, from which rankings count.
fn year_start() -> chrono::DateTime<Utc> {
    let today = beijing_day(Utc::now());
    let start = today.with_ordinal(1).unwrap_or(today).and_time(chrono::NaiveTime::MIN);
    beijing().from_local_datetime(&start).single().map_or_else(|| Utc::now() - Duration::days(365), |t| t.to_utc())
}

/// The helpers of a place (a street or community) by hours confirmed this year, most first;
/// names masked, so anyone may read it.
pub async fn ranking(platform: &Platform, region: &str, limit: i64) -> Result<Vec<RankedHelper>> {
    let region = grassroots_domain::RegionCode::parse(region.trim())
        .map_err(|_| AppError::invalid("region", "请选择街道或社区", "choose a street or community"))?;
    Ok(platform.store.helper_ranking(region.as_str(), year_start(), limit.clamp(1, 100)).await?)
}

/// The resident's own registration, their tasks, points and place in their street's ranking.
pub async fn desk(platform: &Platform, resident: &Resident) -> Result<Option<HelperDesk>> {
    let Some(helper) = platform.store.helper_of_resident(resident.id).await? else { return Ok(None) };
    let street = helper.region_code.get(..9).unwrap_or(&helper.region_code).to_string();
    let ranking = platform.store.helper_ranking(&street, year_start(), LISTED).await?;
    Ok(Some(HelperDesk {
        rank: ranking.iter().position(|r| r.helper_id == helper.id).map(|p| p + 1),
        tasks: platform.store.needs_of_helper(helper.id, LISTED).await?,
        points: platform.store.points_entries(helper.id, LISTED).await?,
        commitments: platform.store.commitments(helper.id).await?,
        helper,
    }))
}
