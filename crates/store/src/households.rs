//! Residents linked to their households (居民-户): asked by the resident, confirmed or refused
//! by a grid worker of the community, or made by one directly. The rules are
//! `grassroots_domain::households`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::households::LinkState;
use grassroots_domain::residents::Mobile;
use grassroots_domain::{Actor, Scope};
use uuid::Uuid;

use crate::{Household, Result};

/// A resident's link to a household, as asked and as decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HouseholdLink {
    pub resident_id: Uuid,
    pub phone_masked: String,
    pub community_code: String,
    /// The household as the resident wrote it.
    pub label: String,
    pub state: LinkState,
    /// The household confirmed, in its grid.
    pub household: Option<Household>,
    pub asked_at: DateTime<Utc>,
    pub decided_at: Option<DateTime<Utc>>,
    /// Why a link was refused or ended, for the resident to read.
    pub reason: Option<String>,
}

/// What a grid worker decides about a link.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkDecision {
    /// The household of that label in that grid (added to the grid if new).
    Confirm { grid_code: String, label: String },
    /// Refused, or ended (moved out), with a reason.
    Refuse { reason: String },
}

#[async_trait]
pub trait HouseholdLinkStore: Send + Sync {
    /// The resident asks to be linked to a household of a community; a link asked or made
    /// before is replaced. `NotFound` for a community without grids.
    async fn ask_household(
        &self,
        resident: Uuid,
        community_code: &str,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<HouseholdLink>;
    async fn household_link(&self, resident: Uuid) -> Result<Option<HouseholdLink>>;
    /// The links of the communities within `scope` (a grid worker's: the communities of their
    /// grids) in `state`, oldest asked first.
    async fn household_links(&self, scope: &Scope, state: LinkState, limit: i64) -> Result<Vec<HouseholdLink>>;
    /// A grid worker decides a link of their community, choosing a grid of their own to
    /// confirm it in; audited. `NotFound` outside their scope.
    async fn decide_household_link(
        &self,
        actor: &Actor,
        resident: Uuid,
        decision: &LinkDecision,
        now: DateTime<Utc>,
    ) -> Result<HouseholdLink>;
    /// A grid worker links the resident of this number to a household of one of their grids,
    /// confirmed at once; audited. `NotFound` when no resident has this number.
    async fn link_resident(
        &self,
        actor: &Actor,
        mobile: &Mobile,
        grid_code: &str,
        label: &str,
        now: DateTime<Utc>,
    ) -> Result<HouseholdLink>;
}
