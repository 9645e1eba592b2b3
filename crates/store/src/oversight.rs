//! 防治微腐败 in the store: the 小微权力清单 of districts and communities; disclosures (居务、财务公开)
//! kept as versions, a correction superseding the version before without erasing it; reports
//! of misconduct with what they say and who sent them sealed, routed to one discipline unit,
//! found by their tracking number and query code (kept as a keyed digest), each move made only
//! from the state it was decided on and logged.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::oversight::{
    DisclosureKind, FinanceLine, Finding, MisconductKind, MisconductMove, MisconductState, PowerArea, PowerHolder,
};
use grassroots_domain::Actor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// A small power: what it is, who may exercise it, and the steps it must follow.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SmallPower {
    pub id: Uuid,
    /// The district whose list applies to all its communities, or one community's own.
    pub region_code: String,
    pub area: PowerArea,
    pub title: String,
    pub holder: PowerHolder,
    pub procedure: Vec<String>,
    pub basis: String,
}

/// A small power to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSmallPower {
    pub region_code: String,
    pub area: PowerArea,
    pub title: String,
    pub holder: PowerHolder,
    pub procedure: Vec<String>,
    pub basis: String,
}

/// A disclosure as published (the latest version unless asked for the history).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Disclosure {
    pub id: Uuid,
    pub community_code: String,
    pub kind: DisclosureKind,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub period_label: String,
    /// From 1; a correction is the next.
    pub version: i64,
    pub title: String,
    pub body: String,
    /// A finance disclosure's lines.
    pub lines: Vec<FinanceLine>,
    pub published_at: DateTime<Utc>,
    /// When a later version replaced it.
    pub superseded_at: Option<DateTime<Utc>>,
}

/// A disclosure to publish, or to correct (the same community, kind and period).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDisclosure {
    pub community_code: String,
    pub kind: DisclosureKind,
    pub period_from: NaiveDate,
    pub period_to: NaiveDate,
    pub period_label: String,
    pub title: String,
    pub body: String,
    pub lines: Vec<FinanceLine>,
}

/// What a report of misconduct says, sealed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MisconductAccount {
    /// Who is reported: a name or a post, as the resident gives it.
    pub reported: String,
    pub what: String,
    /// The reporter, unless anonymous.
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
}

/// A report as the discipline unit reads it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MisconductReport {
    pub id: Uuid,
    pub tracking_no: String,
    /// Where the reported staff work (a grid, community, street or district code).
    pub place_code: String,
    pub kind: MisconductKind,
    /// The discipline unit it was routed to.
    pub unit_id: String,
    pub state: MisconductState,
    pub finding: Option<Finding>,
    /// What the reporter is told when it ends.
    pub reply: Option<String>,
    pub received_at: DateTime<Utc>,
    pub accept_due: DateTime<Utc>,
    pub conclude_due: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    /// The moves, oldest first (empty in lists).
    pub moves: Vec<MisconductMoveRecord>,
}

/// A move as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MisconductMoveRecord {
    pub seq: i64,
    #[serde(rename = "move")]
    pub kind: MisconductMove,
    pub note: String,
    pub at: DateTime<Utc>,
}

/// A report to receive.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMisconduct {
    pub place_code: String,
    pub kind: MisconductKind,
    pub unit_id: String,
    pub account: MisconductAccount,
    pub accept_due: DateTime<Utc>,
}

/// A report received: its tracking number and the query code, given once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MisconductReceipt {
    pub tracking_no: String,
    pub query_code: String,
    pub accept_due: DateTime<Utc>,
}

#[async_trait]
pub trait OversightStore: Send + Sync {
    /// Adds a small power to the list of a district or community the actor holds; audited.
    async fn add_small_power(&self, actor: &Actor, new: &NewSmallPower, now: DateTime<Utc>) -> Result<SmallPower>;
    /// The powers that apply to a community: its district's and its own.
    async fn small_powers(&self, community_code: &str) -> Result<Vec<SmallPower>>;
    /// Publishes a disclosure of a community the actor reaches: a correction supersedes the
    /// latest of its community, kind and period in the same transaction; audited.
    async fn publish_disclosure(&self, actor: &Actor, new: &NewDisclosure, now: DateTime<Utc>) -> Result<Disclosure>;
    /// The latest version of each disclosure of the places, the latest period first.
    async fn disclosures(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Disclosure>>;
    /// Every version of a disclosure's community, kind and period, the latest first.
    async fn disclosure_history(&self, id: Uuid) -> Result<Vec<Disclosure>>;
    /// The communities of the places (those with grids) lacking a disclosure of this kind for
    /// the period starting `from`.
    async fn missing_disclosures(
        &self,
        places: &PlaceFilter,
        kind: DisclosureKind,
        from: NaiveDate,
    ) -> Result<Vec<String>>;
    /// Receives a report: sealed, numbered, its query code kept as a keyed digest.
    async fn receive_misconduct(&self, new: &NewMisconduct, now: DateTime<Utc>) -> Result<MisconductReceipt>;
    /// The reports routed to a unit, the oldest open first.
    async fn misconduct_reports(&self, unit_id: &str, limit: i64) -> Result<Vec<MisconductReport>>;
    async fn misconduct_report(&self, id: Uuid) -> Result<Option<MisconductReport>>;
    /// A report found by its tracking number and query code, as its reporter follows it.
    async fn track_misconduct(&self, tracking_no: &str, query_code: &str) -> Result<Option<MisconductReport>>;
    /// What a report says, for its discipline unit; audited.
    async fn open_misconduct(&self, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<MisconductAccount>;
    /// Makes a move decided in the state it leaves (refused on `move` if it moved since).
    #[allow(clippy::too_many_arguments)]
    async fn move_misconduct(
        &self,
        actor: &Actor,
        id: Uuid,
        kind: MisconductMove,
        note: &str,
        finding: Option<Finding>,
        conclude_due: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<MisconductReport>;
}
