//! 慈善资源: a community's or street's fund and its public ledger. Staff who run participation
//! in the place open funds and record donations and payments; anyone reads the ledger, where
//! donors who asked not to be named are left out; staff of the place read them too. The rules
//! are `grassroots_domain::charity`.

use chrono::Utc;
use grassroots_domain::charity::{Entry, EntryKind};
use grassroots_domain::{RegionCode, RegionLevel};
use grassroots_store::charity::{Fund, FundEntry};
use grassroots_store::{PlaceFilter, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::{may_run_participation, AppError, Platform, Result};

/// How many funds and entries a list shows.
const LISTED: i64 = 500;

/// A fund as staff open it.
#[derive(Debug, Clone, Default)]
pub struct FundForm {
    /// A street or community code the staff member holds.
    pub region: String,
    pub name: String,
    pub purpose: String,
}

/// An entry as staff record it.
#[derive(Debug, Clone, Default)]
pub struct EntryForm {
    pub kind: String,
    /// Yuan, at most two decimals.
    pub amount: String,
    pub description: String,
    pub donor: Option<String>,
    pub donor_public: bool,
}

/// A fund with the ledger as its reader may see it.
#[derive(Debug, Clone)]
pub struct Ledger {
    pub fund: Fund,
    pub entries: Vec<FundEntry>,
    /// Whether the reader keeps this fund (and so reads every donor).
    pub keeps: bool,
}

pub async fn create(platform: &Platform, staff: &User, form: FundForm) -> Result<Fund> {
    may_run_participation(staff)?;
    let bad_region = || AppError::invalid("region", "请选择街道或社区", "choose a street or community");
    let region = RegionCode::parse(form.region.trim()).map_err(|_| bad_region())?;
    if !matches!(region.level(), RegionLevel::Township | RegionLevel::Community) {
        return Err(bad_region());
    }
    let name = short_text("name", &form.name, 60)?;
    let purpose = short_text("purpose", &form.purpose, 500)?;
    match platform.store.create_fund(&staff.actor(), region.as_str(), &name, &purpose, Utc::now()).await {
        Err(grassroots_store::StoreError::NotFound) => {
            Err(AppError::invalid("region", "只能为您负责的街道或社区设立基金", "a fund belongs to a place you hold"))
        }
        created => Ok(created?),
    }
}

/// Every fund, newest first.
pub async fn list(platform: &Platform) -> Result<Vec<Fund>> {
    Ok(platform.store.funds(&PlaceFilter::Everywhere, LISTED).await?)
}

/// A fund's ledger, newest first: in full for staff who keep funds in its place, without the
/// donors who asked not to be named for anyone else.
pub async fn ledger(platform: &Platform, reader: Option<&User>, id: Uuid) -> Result<Ledger> {
    let fund = platform.store.fund(id).await?.ok_or(AppError::NotFound)?;
    let keeps = reader.is_some_and(|u| may_run_participation(u).is_ok() && u.scope.reaches(&fund.region_code));
    let entries = platform.store.fund_entries(id, LISTED).await?;
    let entries = if keeps { entries } else { entries.into_iter().map(FundEntry::for_public).collect() };
    Ok(Ledger { fund, entries, keeps })
}

pub async fn record(platform: &Platform, staff: &User, fund: Uuid, form: EntryForm) -> Result<FundEntry> {
    may_run_participation(staff)?;
    let kind = EntryKind::parse_field("kind", &form.kind)?;
    let entry = Entry::check(kind, &form.amount, &form.description, form.donor.as_deref(), form.donor_public)?;
    Ok(platform.store.record_entry(&staff.actor(), fund, &entry, Utc::now()).await?)
}
