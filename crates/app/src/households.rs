//! A resident's household (居民-户): the resident asks, a grid worker of the community confirms
//! or refuses, or links a resident by number. Called alike by the JSON API and the pages.

use chrono::Utc;
use grassroots_domain::households::{check_label, LinkState};
use grassroots_domain::residents::Mobile;
use grassroots_domain::{RegionCode, RegionLevel};
use grassroots_store::households::{HouseholdLink, LinkDecision};
use grassroots_store::residents::Resident;
use grassroots_store::{Household, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::{AppError, Platform, Result};

/// The longest reason a refusal gives.
const REASON_CHARS: usize = 200;
/// How many waiting requests a worker's list shows.
const LISTED: i64 = 200;

/// The resident asks to be linked to a household of a community (its 12-digit code).
pub async fn ask(platform: &Platform, resident: &Resident, community: &str, label: &str) -> Result<HouseholdLink> {
    let bad_community =
        || AppError::invalid("community", "请选择所在社区", "choose your community (its 12-digit code)");
    let code = RegionCode::parse(community.trim()).map_err(|_| bad_community())?;
    if code.level() != RegionLevel::Community {
        return Err(bad_community());
    }
    let label = check_label(label)?;
    match platform.store.ask_household(resident.id, code.as_str(), &label, Utc::now()).await {
        Err(grassroots_store::StoreError::NotFound) => Err(AppError::invalid(
            "community",
            "该社区尚未划分网格，暂不能绑定",
            "this community has no grids yet, so no household can be linked",
        )),
        asked => Ok(asked?),
    }
}

/// The resident's household link, if they asked for one or were linked.
pub async fn mine(platform: &Platform, resident: &Resident) -> Result<Option<HouseholdLink>> {
    Ok(platform.store.household_link(resident.id).await?)
}

/// The resident's confirmed household, if a grid worker confirmed one: what makes them a voter
/// and a participant of its grid, community and street.
pub async fn confirmed(platform: &Platform, resident: &Resident) -> Result<Option<Household>> {
    let link = platform.store.household_link(resident.id).await?;
    Ok(link.filter(|l| l.state == LinkState::Confirmed).and_then(|l| l.household))
}

/// The street, community and grid a household lies in: the places it takes part in.
pub fn places_of(household: &Household) -> Vec<String> {
    [RegionLevel::Township, RegionLevel::Community, RegionLevel::Grid]
        .into_iter()
        .filter_map(|level| household.grid_code.get(..level.digits()).map(str::to_string))
        .collect()
}

use crate::may_run_participation as may_run;

/// The links in `state` of the communities the staff member works in, oldest asked first.
pub async fn links(platform: &Platform, staff: &User, state: LinkState) -> Result<Vec<HouseholdLink>> {
    may_run(staff)?;
    Ok(platform.store.household_links(&staff.scope, state, LISTED).await?)
}

/// What a grid worker decides about a resident's link.
#[derive(Debug, Clone, Default)]
pub struct DecisionForm {
    /// `confirm` or `refuse`.
    pub decision: String,
    /// For a confirmation: the grid and the household's label as it is to be kept.
    pub grid_code: Option<String>,
    pub label: Option<String>,
    /// For a refusal (or a link ended): why, for the resident.
    pub reason: Option<String>,
}

/// Confirms a link in one of the worker's grids (the household added if new) or refuses it.
pub async fn decide(platform: &Platform, staff: &User, resident: Uuid, form: DecisionForm) -> Result<HouseholdLink> {
    may_run(staff)?;
    let decision = match form.decision.as_str() {
        "confirm" => LinkDecision::Confirm {
            grid_code: grid_in_scope(staff, form.grid_code.as_deref().unwrap_or_default())?,
            label: check_label(form.label.as_deref().unwrap_or_default())?,
        },
        "refuse" => LinkDecision::Refuse {
            reason: short_text("reason", form.reason.as_deref().unwrap_or_default(), REASON_CHARS)?,
        },
        _ => return Err(AppError::invalid("decision", "应为 confirm 或 refuse", "expected confirm or refuse")),
    };
    Ok(platform.store.decide_household_link(&staff.actor(), resident, &decision, Utc::now()).await?)
}

/// Links the resident of this number to a household of one of the worker's grids.
pub async fn link(
    platform: &Platform,
    staff: &User,
    phone: &str,
    grid_code: &str,
    label: &str,
) -> Result<HouseholdLink> {
    may_run(staff)?;
    let mobile = Mobile::parse(phone)?;
    let grid = grid_in_scope(staff, grid_code)?;
    let label = check_label(label)?;
    Ok(platform.store.link_resident(&staff.actor(), &mobile, &grid, &label, Utc::now()).await?)
}

fn grid_in_scope(staff: &User, grid_code: &str) -> Result<String> {
    let grid = grid_code.trim();
    match RegionCode::parse(grid) {
        Ok(code) if code.level() == RegionLevel::Grid && staff.scope.covers_place(grid) => Ok(grid.to_string()),
        _ => Err(AppError::invalid("grid_code", "请选择您负责的网格", "choose one of your grids")),
    }
}
