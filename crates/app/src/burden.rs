//! 减负: the district keeps its 准入清单 of what upper levels may impose on communities;
//! community staff register each task, meeting, inspection or form imposed on them with who
//! imposed it and the time it took, matched to an entry or not; what is not on the list is
//! flagged, and what asks for data the platform holds is shown as a duplicate with where the
//! platform shows it. Leaders read the totals. The rules are `grassroots_domain::burden`.

use chrono::{Duration, NaiveDate, Utc};
use grassroots_domain::burden::{BurdenKind, BurdenTotals, PlatformData, MAX_HOURS};
use grassroots_domain::{Capability, RegionCode, RegionLevel};
use grassroots_store::burden::{CommunityBurden, Imposition, ListEntry, NewImposition, NewListEntry};
use grassroots_store::{StoreError, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::{require, AppError, Platform, Result};

const LISTED: i64 = 500;

/// An entry of the list as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct EntryForm {
    pub district_code: String,
    pub kind: String,
    pub title: String,
    pub issuer: String,
    pub basis: String,
}

/// An imposition as a community's form registers it.
#[derive(Debug, Clone, Default)]
pub struct ImpositionForm {
    pub community_code: String,
    pub kind: String,
    pub title: String,
    pub issuer: String,
    /// `YYYY-MM-DD`; today when absent.
    pub imposed_on: Option<String>,
    pub hours: String,
    /// The entry of the list it falls under; empty when none does.
    pub entry_id: Option<String>,
    /// Codes of what it asks for that the platform holds.
    pub asks: Vec<String>,
    pub note: Option<String>,
}

/// What was imposed on the caller's communities over a period.
#[derive(Debug, Clone)]
pub struct BurdenView {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub impositions: Vec<Imposition>,
    pub by_community: Vec<CommunityBurden>,
    pub totals: BurdenTotals,
}

fn may_reduce(staff: &User) -> Result<()> {
    require(staff, Capability::ReduceBurden)
}

fn district(raw: &str) -> Result<String> {
    RegionCode::parse(raw)
        .ok()
        .filter(|c| c.level() == RegionLevel::County)
        .map(|c| c.as_str().to_string())
        .ok_or_else(|| AppError::invalid("district_code", "请选择区", "choose a district"))
}

/// The list of a district: anyone who keeps it or registers against it reads it.
pub async fn list(platform: &Platform, staff: &User, district_code: &str) -> Result<Vec<ListEntry>> {
    may_reduce(staff)?;
    let district = district(district_code)?;
    if !staff.scope.reaches(&district) && !staff.scope.covers_place(&district) {
        return Err(AppError::NotFound);
    }
    Ok(platform.store.list_entries(&district).await?)
}

/// Adds an entry to the list of a district the caller holds.
pub async fn add_entry(platform: &Platform, staff: &User, form: EntryForm) -> Result<ListEntry> {
    may_reduce(staff)?;
    let new = NewListEntry {
        district_code: district(&form.district_code)?,
        kind: BurdenKind::parse_field("kind", &form.kind)?,
        title: short_text("title", &form.title, 100)?,
        issuer: short_text("issuer", &form.issuer, 60)?,
        basis: short_text("basis", &form.basis, 200)?,
    };
    match platform.store.add_list_entry(&staff.actor(), &new, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("district_code", "只有区级可以维护准入清单", "the district keeps its list"))
        }
        added => Ok(added?),
    }
}

/// Withdraws an entry of a district the caller holds.
pub async fn withdraw_entry(platform: &Platform, staff: &User, id: Uuid) -> Result<ListEntry> {
    may_reduce(staff)?;
    Ok(platform.store.withdraw_list_entry(&staff.actor(), id, Utc::now()).await?)
}

/// Hours in half hours, from a quarter day to a fortnight of days.
fn half_hours(raw: &str) -> Result<u32> {
    let error =
        || AppError::invalid("hours", format!("时长应为0.5到{MAX_HOURS}小时"), format!("0.5 to {MAX_HOURS} hours"));
    let hours: f64 = raw.trim().parse().map_err(|_| error())?;
    if !(0.5..=MAX_HOURS).contains(&hours) {
        return Err(error());
    }
    Ok((hours * 2.0).round() as u32)
}

/// Registers what was imposed on a community the caller reaches.
pub async fn register(platform: &Platform, staff: &User, form: ImpositionForm) -> Result<Imposition> {
    may_reduce(staff)?;
    let community = RegionCode::parse(&form.community_code)
        .ok()
        .filter(|c| c.level() == RegionLevel::Community)
        .ok_or_else(|| AppError::invalid("community_code", "请选择社区", "choose a community"))?;
    let today = crate::care::today();
    let imposed_on = match form.imposed_on.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
        None => today,
        Some(d) => NaiveDate::parse_from_str(d, "%Y-%m-%d")
            .ok()
            .filter(|d| *d <= today && *d > today - Duration::days(366))
            .ok_or_else(|| {
                AppError::invalid("imposed_on", "日期应在一年之内且不晚于今天", "a day within the last year")
            })?,
    };
    let entry_id = match form.entry_id.as_deref().map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => {
            Some(Uuid::parse_str(raw).map_err(|_| AppError::invalid("entry_id", "事项无效", "no such entry"))?)
        }
    };
    let mut asks = form
        .asks
        .iter()
        .filter(|a| !a.trim().is_empty())
        .map(|a| PlatformData::parse_field("asks", a))
        .collect::<std::result::Result<Vec<_>, _>>()?;
    asks.sort();
    asks.dedup();
    let note = form.note.as_deref().map(str::trim).filter(|n| !n.is_empty()).map(|n| short_text("note", n, 500));
    let new = NewImposition {
        community_code: community.as_str().to_string(),
        kind: BurdenKind::parse_field("kind", &form.kind)?,
        title: short_text("title", &form.title, 100)?,
        issuer: short_text("issuer", &form.issuer, 60)?,
        imposed_on,
        half_hours: half_hours(&form.hours)?,
        entry_id,
        asks,
        note: note.transpose()?,
    };
    match platform.store.register_imposition(&staff.actor(), &new, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("community_code", "只能登记您负责社区的事项", "register for your own communities"))
        }
        done => Ok(done?),
    }
}

/// What was imposed on the caller's communities between two days (the last 90 by default).
/// Leaders read it too: counts and titles, no person.
pub async fn view(
    platform: &Platform,
    staff: &User,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
) -> Result<BurdenView> {
    if !staff.role.may(Capability::ReduceBurden) {
        require(staff, Capability::ViewStatistics)?;
    }
    let to = to.unwrap_or_else(crate::care::today);
    let from = from.unwrap_or(to - Duration::days(89));
    if from > to {
        return Err(AppError::invalid("to", "结束日期应不早于开始日期", "the end falls on or after the start"));
    }
    let places = crate::staff_places(staff);
    let (impositions, by_community) = tokio::try_join!(
        platform.store.impositions(&places, from, to, LISTED),
        platform.store.burden_by_community(&places, from, to),
    )?;
    let mut totals = BurdenTotals::default();
    by_community.iter().for_each(|c| totals.add(&c.totals));
    Ok(BurdenView { from, to, impositions, by_community, totals })
}
