//! 应急管理 in the store: incidents with their area (grids, and the polygon drawn if any) and the
//! tasks of their plan; each household's status in the house-by-house check, one row per
//! household so concurrent grid workers never collide, a household needing help turned into a
//! task in the same transaction; notices queued as texts to the area's grid workers and its
//! subscribed residents (never residents in a drill) in the notice's transaction, sent by the
//! notification gateway and counted; shelters never past capacity and supplies never below
//! nothing, each checked in the statement that changes it; the log; and the close with its
//! summary. The rules are `grassroots_domain::emergencies`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::emergencies::{
    Assignee, HouseholdStatus, IncidentKind, PlannedTask, Progress, Severity, SummaryLine,
};
use grassroots_domain::Actor;
use serde::Serialize;
use uuid::Uuid;

use crate::messages::MessageOutcome;
use crate::{PlaceFilter, Result};

/// An incident as kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentRecord {
    pub id: Uuid,
    pub district_code: String,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub title: String,
    /// A drill: the same flow, no resident texted.
    pub drill: bool,
    /// The grids of its area.
    pub grids: Vec<String>,
    /// The corners (lng, lat) of the area drawn on the map, if it was drawn.
    pub polygon: Option<Vec<[f64; 2]>>,
    pub active: bool,
    pub started_at: DateTime<Utc>,
    pub closed_at: Option<DateTime<Utc>>,
    /// The after-action summary, once closed.
    pub summary: Vec<SummaryLine>,
}

/// An incident to open: its area resolved to grids, its plan's tasks.
#[derive(Debug, Clone, PartialEq)]
pub struct NewIncident {
    pub district_code: String,
    pub kind: IncidentKind,
    pub severity: Severity,
    pub title: String,
    pub drill: bool,
    pub grids: Vec<String>,
    pub polygon: Option<Vec<[f64; 2]>>,
    pub tasks: Vec<PlannedTask>,
}

/// A task of an incident: from its plan, or a household found needing help.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct IncidentTask {
    pub id: Uuid,
    pub title: String,
    pub assignee: Assignee,
    /// The unit it falls to, where the plan names one by its kind (a street office).
    pub unit_id: Option<String>,
    /// The household it helps, for a task from the check.
    pub household_id: Option<Uuid>,
    pub grid_code: Option<String>,
    pub done: bool,
    pub note: Option<String>,
    pub created_at: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

/// A household of the area with what the check found, if it was checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct HouseholdCheck {
    pub household_id: Uuid,
    pub grid_code: String,
    /// The door (3号楼2单元401): no personal data.
    pub label: String,
    pub status: Option<HouseholdStatus>,
    pub note: Option<String>,
    pub checked_at: Option<DateTime<Utc>>,
}

/// A grid's progress in the check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridProgress {
    pub grid_code: String,
    pub community_code: String,
    pub progress: Progress,
}

/// A notice and how its texts fared.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NoticeRecord {
    pub id: Uuid,
    pub text: String,
    /// Texts to grid workers, and to residents (none in a drill).
    pub to_staff: i64,
    pub to_residents: i64,
    pub pending: i64,
    pub sent: i64,
    pub failed: i64,
    pub created_at: DateTime<Utc>,
}

/// A shelter opened for an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Shelter {
    pub id: Uuid,
    pub name: String,
    pub address: String,
    pub capacity: i64,
    pub occupancy: i64,
    /// The most it held at once.
    pub peak: i64,
}

/// Supplies of an item kept for an incident.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Supply {
    pub id: Uuid,
    pub item: String,
    pub unit: String,
    pub stock: i64,
    /// Taken out of stock so far.
    pub handed_out: i64,
}

/// An entry of an incident's log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct LogEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// The staff role's code.
    pub by: String,
    pub text: String,
}

/// A text of a notice whose time has come, with the phone opened for this send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueAlert {
    pub id: Uuid,
    pub incident_id: Uuid,
    pub drill: bool,
    pub text: String,
    pub phone: Option<String>,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
}

#[async_trait]
pub trait EmergencyStore: Send + Sync {
    /// Opens an incident in a district the actor holds (`NotFound` otherwise) with its plan's
    /// tasks; logged and audited.
    async fn open_incident(&self, actor: &Actor, new: &NewIncident, now: DateTime<Utc>) -> Result<IncidentRecord>;
    async fn incident(&self, id: Uuid) -> Result<Option<IncidentRecord>>;
    /// Incidents of the places, the active first, then the latest.
    async fn incidents(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<IncidentRecord>>;
    /// Each grid of the area with its households and what the check found.
    async fn incident_progress(&self, id: Uuid) -> Result<Vec<GridProgress>>;
    /// The households of one grid of the area with their status, by door.
    async fn households_to_check(&self, id: Uuid, grid_code: &str) -> Result<Vec<HouseholdCheck>>;
    /// Sets a household's status in an active incident, by staff whose scope holds its grid
    /// (`NotFound` otherwise, or for a household outside the area). Needing help, it becomes a
    /// task of the grid workers (once) in the same transaction.
    async fn check_household(
        &self,
        actor: &Actor,
        id: Uuid,
        household: Uuid,
        status: HouseholdStatus,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<HouseholdCheck>;
    async fn incident_tasks(&self, id: Uuid) -> Result<Vec<IncidentTask>>;
    /// Marks a task done once (refused on `task` if it was).
    async fn complete_task(
        &self,
        actor: &Actor,
        id: Uuid,
        task: Uuid,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IncidentTask>;
    /// Queues the notice's texts to every grid worker of the area and, unless it is a drill,
    /// every resident of a confirmed household there who subscribed; logged.
    async fn send_notice(&self, actor: &Actor, id: Uuid, text: &str, now: DateTime<Utc>) -> Result<NoticeRecord>;
    async fn notices(&self, id: Uuid) -> Result<Vec<NoticeRecord>>;
    /// Texts of notices due at `now`, oldest first.
    async fn due_alerts(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<DueAlert>>;
    async fn record_alert_attempt(&self, alert: &DueAlert, outcome: &MessageOutcome, now: DateTime<Utc>) -> Result<()>;
    async fn add_shelter(
        &self,
        actor: &Actor,
        id: Uuid,
        name: &str,
        address: &str,
        capacity: i64,
        now: DateTime<Utc>,
    ) -> Result<Shelter>;
    /// Sets how many a shelter holds, never past its capacity (refused on `occupancy`).
    async fn set_occupancy(
        &self,
        actor: &Actor,
        id: Uuid,
        shelter: Uuid,
        occupancy: i64,
        now: DateTime<Utc>,
    ) -> Result<Shelter>;
    async fn shelters(&self, id: Uuid) -> Result<Vec<Shelter>>;
    async fn add_supply(
        &self,
        actor: &Actor,
        id: Uuid,
        item: &str,
        unit: &str,
        stock: i64,
        now: DateTime<Utc>,
    ) -> Result<Supply>;
    /// Adds to or takes from a stock, never below nothing (refused on `change`), logged.
    async fn change_supply(
        &self,
        actor: &Actor,
        id: Uuid,
        supply: Uuid,
        change: i64,
        now: DateTime<Utc>,
    ) -> Result<Supply>;
    async fn supplies(&self, id: Uuid) -> Result<Vec<Supply>>;
    async fn add_log_entry(&self, actor: &Actor, id: Uuid, text: &str, now: DateTime<Utc>) -> Result<LogEntry>;
    async fn incident_log(&self, id: Uuid) -> Result<Vec<LogEntry>>;
    /// Closes an active incident with its summary (refused on `incident` if it was closed).
    async fn close_incident(
        &self,
        actor: &Actor,
        id: Uuid,
        summary: &[SummaryLine],
        now: DateTime<Utc>,
    ) -> Result<IncidentRecord>;
    /// A resident's choice to receive the notices of their household's area.
    async fn set_alert_subscription(&self, resident: Uuid, subscribed: bool, now: DateTime<Utc>) -> Result<()>;
    async fn alert_subscribed(&self, resident: Uuid) -> Result<bool>;
}
