//! 物业管理: staff who run participation add the compounds of their communities with the company
//! that manages each; a resident of a confirmed household in the community rates a compound,
//! once a year; anyone reads the compounds with this year's mean rating and the count of
//! property cases that name them; staff who work on cases list those cases. The rules are
//! `grassroots_domain::property`.

use chrono::{Datelike, Utc};
use grassroots_domain::needs::{check_note, check_rating};
use grassroots_domain::property::Compound;
use grassroots_domain::{Capability, RegionCode, RegionLevel};
use grassroots_store::compounds::{CompoundCase, CompoundRecord};
use grassroots_store::residents::Resident;
use grassroots_store::{PlaceFilter, User};
use uuid::Uuid;

use crate::{may_run_participation, AppError, Platform, Result};

fn year() -> i32 {
    crate::care::today().year()
}

/// A compound as staff add it.
#[derive(Debug, Clone, Default)]
pub struct CompoundForm {
    pub community_code: String,
    pub name: String,
    pub company: String,
    pub company_code: Option<String>,
}

pub async fn add(platform: &Platform, staff: &User, form: CompoundForm) -> Result<CompoundRecord> {
    may_run_participation(staff)?;
    let community = RegionCode::parse(form.community_code.trim())
        .ok()
        .filter(|c| c.level() == RegionLevel::Community)
        .ok_or_else(|| AppError::invalid("community_code", "请选择社区", "choose a community"))?;
    let compound = Compound::check(&form.name, &form.company, form.company_code.as_deref())?;
    match platform.store.add_compound(&staff.actor(), community.as_str(), &compound, Utc::now()).await {
        Err(grassroots_store::StoreError::NotFound) => Err(AppError::invalid(
            "community_code",
            "只能为您负责的社区登记小区",
            "add compounds of your own communities",
        )),
        added => Ok(added?),
    }
}

/// Every compound with this year's ratings and its cases' counts.
pub async fn list(platform: &Platform) -> Result<Vec<CompoundRecord>> {
    Ok(platform.store.compounds(&PlaceFilter::Everywhere, year()).await?)
}

pub async fn get(platform: &Platform, id: Uuid) -> Result<CompoundRecord> {
    platform.store.compound(id, year()).await?.ok_or(AppError::NotFound)
}

/// A resident rates a compound of the community of their confirmed household, 1 to 5, once a
/// year (a later rating replaces it).
pub async fn rate(
    platform: &Platform,
    resident: &Resident,
    id: Uuid,
    score: &str,
    comment: Option<&str>,
) -> Result<CompoundRecord> {
    let compound = get(platform, id).await?;
    let household = crate::households::confirmed(platform, resident).await?;
    if !household.is_some_and(|h| h.grid_code.starts_with(&compound.community_code)) {
        return Err(AppError::invalid(
            "compound",
            "只有本社区已确认住户的居民可以评价",
            "only residents of a confirmed household in the community rate it",
        ));
    }
    let score = check_rating(score)?;
    let comment = check_note("comment", comment.unwrap_or_default(), false)?;
    Ok(platform.store.rate_compound(resident.id, id, year(), score, comment.as_deref(), Utc::now()).await?)
}

/// The cases about a compound, for staff who work on cases in its community.
pub async fn cases(platform: &Platform, staff: &User, id: Uuid) -> Result<Vec<CompoundCase>> {
    if !staff.role.may(Capability::WorkOnCases) {
        return Err(AppError::lacks(Capability::WorkOnCases));
    }
    let compound = get(platform, id).await?;
    if !staff.scope.reaches(&compound.community_code) {
        return Err(AppError::NotFound);
    }
    Ok(platform.store.compound_cases(id, 200).await?)
}
