//! What goes in and out of the store.

use chrono::{DateTime, Utc};
use grassroots_domain::case::Place;
pub use grassroots_domain::reference::{Reference, Responsibility, Suggestion, Unit, COMMAND_CENTRE};
use grassroots_domain::workflow::CaseEvent;
use grassroots_domain::{CaseRecord, CaseState, Channel, Priority, RequestType, Role, Scope};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// What an import of regions changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionImport {
    /// Regions added or changed (name, level or parent).
    pub written: u64,
    /// Of those, regions whose name changed; the old name is kept in the history.
    pub renamed: u64,
}

/// A key another system uses to call the platform, as listed (the key itself is never kept).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApiKey {
    pub id: Uuid,
    pub name: String,
    /// May post requests; otherwise it only reads them in full.
    pub may_post: bool,
    /// The region (a district, street or community code) whose cases it may post and read in
    /// full; every region when `None`.
    pub region: Option<String>,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}

impl ApiKey {
    /// Whether the key's region holds a case placed at `place`.
    pub fn covers(&self, place: &grassroots_domain::case::Place) -> bool {
        use grassroots_domain::RegionCode;
        let Some(region) = &self.region else { return true };
        let Ok(region) = RegionCode::parse(region) else { return false };
        [&place.grid_code, &place.community_code, &place.street_code, &place.district_code]
            .into_iter()
            .flatten()
            .find_map(|code| RegionCode::parse(code).ok())
            .is_some_and(|deepest| region.contains(&deepest))
    }
}

/// What a new key may do (see `ApiKey`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KeyScope {
    pub read_only: bool,
    pub region: Option<String>,
}

#[derive(Debug, Clone)]
pub struct NewUser {
    pub username: String,
    pub display_name: String,
    pub password_hash: String,
    pub role: Role,
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct User {
    pub id: Uuid,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub scope: Scope,
}

impl User {
    /// The staff member as the rules see them acting.
    pub fn actor(&self) -> grassroots_domain::Actor {
        grassroots_domain::Actor::Staff {
            user_id: self.id,
            username: self.username.clone(),
            role: self.role,
            scope: self.scope.clone(),
        }
    }
}

/// A staff account as administrators list them.
#[derive(Debug, Clone, PartialEq)]
pub struct StaffAccount {
    pub user: User,
    /// Disabled accounts cannot log in.
    pub disabled: bool,
    /// Their mobile for warnings on duty, masked; `None` when they gave none.
    pub phone_masked: Option<String>,
}

#[derive(Debug, Clone)]
pub struct UserWithHash {
    pub user: User,
    pub password_hash: String,
    /// A disabled account keeps its password for when it is enabled again, and cannot log in.
    pub disabled: bool,
}

/// A validated request, ready to become a case.
#[derive(Debug, Clone)]
pub struct NewCase {
    pub category_code: String,
    pub request_type: RequestType,
    pub priority: Priority,
    pub channel: Channel,
    pub description: String,
    pub place: Place,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub anonymous: bool,
    /// The reporter asked for text messages as the case moves on (needs a phone).
    pub notify_reporter: bool,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
    pub received_at: DateTime<Utc>,
    /// Photos: their files are written first, their rows in the case's transaction.
    pub attachments: Vec<NewAttachment>,
    /// What the machine decided about it at intake (a category, an automatic dispatch), kept
    /// with it in the same transaction.
    pub decisions: Vec<grassroots_domain::decisions::Decision>,
    /// The platform's own moves on it once received (auto-dispatch), in the same transaction.
    pub then: Option<FollowUp>,
    /// The client's idempotency key: kept with the case in its transaction, so that the same
    /// report sent again is answered with this case.
    pub key: Option<IntakeKey>,
}

/// A report's idempotency key (幂等键) as the store keeps it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntakeKey {
    /// Whose key it is (a resident, a staff member, an API key): clients' keys never meet.
    pub client: String,
    pub key: String,
    /// A digest of the report as given: the key sent again with another report is refused.
    pub fingerprint: String,
}

/// The case an idempotency key made, answered again as it was answered first.
#[derive(Debug, Clone)]
pub struct KeyedCase {
    pub fingerprint: String,
    pub created: CreatedCase,
}

impl KeyedCase {
    /// The first answer, for the report sent again under its key with this `fingerprint`; a
    /// refusal naming the header when the key came with another report.
    pub fn answer(&self, fingerprint: &str) -> crate::Result<CreatedCase> {
        if self.fingerprint == fingerprint {
            return Ok(CreatedCase { replayed: true, ..self.created.clone() });
        }
        Err(crate::StoreError::Invalid(grassroots_domain::FieldError::new(
            "Idempotency-Key",
            "该幂等键已用于另一份诉求，请换一个新的键",
            "this key was used for a different report; send a new key",
        )))
    }
}

/// Moves the platform makes on a new case (registering and dispatching it), decided by the
/// rules on the case as written and committed with it: one commit per report, shared with the
/// others of its batch. A move the rules refuse is left out with those after it, and the case
/// waits for a person.
#[derive(Debug, Clone)]
pub struct FollowUp {
    pub moves: Vec<grassroots_domain::workflow::Move>,
    /// What deciding them needs (see `MoveContext`).
    pub reference: std::sync::Arc<grassroots_domain::reference::Reference>,
    pub return_window: chrono::Duration,
    pub max_extension_days: u32,
}

/// How a resident shows that a case is theirs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ResidentPass<'a> {
    /// The tracking number and the query code given at reporting.
    Code { tracking_no: &'a str, code: &'a str },
    /// The signed token of a link sent to the reporter's phone, good until it expires.
    Link { token: &'a str, now: DateTime<Utc> },
}

impl<'a> ResidentPass<'a> {
    pub fn code(tracking_no: &'a str, code: &'a str) -> Self {
        Self::Code { tracking_no, code }
    }
}

#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CreatedCase {
    pub id: Uuid,
    pub tracking_no: String,
    /// Shown once to the reporter; stored only as a hash.
    pub query_code: String,
    pub status: CaseState,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
    /// The answer given before to the same report under its idempotency key: no case was made.
    #[serde(skip)]
    pub replayed: bool,
}

/// The reporter as staff see them by default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct MaskedReporter {
    pub anonymous: bool,
    pub name: Option<String>,
    pub phone: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseDetail {
    pub record: CaseRecord,
    pub reporter: MaskedReporter,
    pub events: Vec<CaseEvent>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseSummary {
    pub record: CaseRecord,
    pub reporter: MaskedReporter,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct CaseFilter {
    pub states: Vec<CaseState>,
    /// A top-level code matches its sub-categories too.
    pub category: Option<String>,
    /// Categories left out (exact codes): the sensitive ones, where the public reads.
    #[serde(skip)]
    pub excluded_categories: Vec<String>,
    pub unit: Option<String>,
    pub region: Option<grassroots_domain::RegionCode>,
    pub overdue: Option<bool>,
    /// A workbench queue, as it stands for this role.
    #[serde(skip)]
    pub queue: Option<(grassroots_domain::queue::Queue, grassroots_domain::Role)>,
    pub text: Option<String>,
    /// Received in [from, to).
    pub received_from: Option<DateTime<Utc>>,
    pub received_to: Option<DateTime<Utc>>,
    /// Keyset cursor: the id of the last case of the previous page.
    pub after: Option<Uuid>,
    pub limit: u32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CasePage {
    pub cases: Vec<CaseSummary>,
    pub next_cursor: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedPersonalData {
    pub name: Option<String>,
    pub phone: Option<String>,
    /// Free text as it was typed, where personal data in it was masked: the event (1 is the
    /// report itself), the field, and the original.
    pub texts: Vec<RevealedText>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AuditEntry {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub action: String,
    /// What the entry is about: an aggregate's type (`case`, …) and id.
    pub subject_type: Option<String>,
    pub subject_id: Option<Uuid>,
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RevealedText {
    pub seq: i64,
    pub field: String,
    pub text: String,
}

/// Many failed log-ins in a short while, at one account or from one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LoginBurst {
    /// The account tried, when the burst is at one account.
    pub username: Option<String>,
    /// The address tried from, when the burst is from one address.
    pub address: Option<String>,
    /// Failures within the last quarter of an hour.
    pub failures: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
pub struct RateFilter {
    pub region: Option<grassroots_domain::RegionCode>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
    /// The moment whose view is counted (when response deadlines are judged); now if absent.
    pub as_of: Option<DateTime<Utc>>,
}

/// A case with its whole history, as loaded by the demo and by imports.
#[derive(Debug, Clone)]
pub struct HistoricCase {
    pub record: CaseRecord,
    pub events: Vec<CaseEvent>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub anonymous: bool,
    pub query_code: String,
    /// The machine's decisions about it (an imported case's proposed category), kept as made at
    /// its receipt.
    pub decisions: Vec<grassroots_domain::decisions::Decision>,
}

/// A case from another hotline system, known there by `external_id`.
#[derive(Debug, Clone)]
pub struct ImportedCase {
    pub external_id: String,
    pub case: HistoricCase,
}

/// What one batch of an import wrote.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ImportBatch {
    pub added: u64,
    /// Imported before from the same source: left as they are.
    pub already_imported: u64,
}

/// Another system's subscription to case events, delivered to `url` signed with its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Webhook {
    pub id: Uuid,
    pub name: String,
    pub url: String,
    /// Topics (`case.dispatched`, …); empty: every event.
    pub topics: Vec<String>,
    pub created_at: DateTime<Utc>,
    pub disabled_at: Option<DateTime<Utc>>,
}

/// The delivery target NATS JetStream stands for, beside the webhooks' ids.
pub const NATS_TARGET: &str = "nats";

/// Held by an import while the cases table's indexes are set aside; renewed with each batch.
pub const BULK_IMPORT_LEASE: &str = "bulk-import";

/// How long the bulk-import lease lasts unrenewed: a stopped import's indexes are built again
/// by the next `migrate` (or a running server) once it has passed.
pub fn bulk_import_ttl() -> chrono::Duration {
    chrono::Duration::minutes(2)
}

/// One event on its way to one target (a webhook's id, or `nats`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Delivery {
    pub id: Uuid,
    pub target: String,
    /// The case event's id: the same at every attempt and for every target.
    pub event_id: Uuid,
    /// The aggregate (a case, …) whose events go out in order.
    pub aggregate_id: Uuid,
    pub seq: i64,
    pub topic: String,
    /// The event as JSON.
    pub payload: String,
    /// Attempts made so far.
    pub attempts: i64,
}

/// How one attempt to deliver went.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AttemptOutcome {
    Delivered { status: Option<u16> },
    Failed { status: Option<u16>, error: String, retry_at: DateTime<Utc> },
}

/// An attempt as the delivery log shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DeliveryAttempt {
    pub at: DateTime<Utc>,
    pub event_id: Uuid,
    pub topic: String,
    pub status: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A region's boundary as stored: a GeoJSON MultiPolygon geometry.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BoundaryRow {
    pub code: String,
    pub name: String,
    pub geometry: serde_json::Value,
}

/// A grid (网格) as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridRow {
    /// Community code + 3-digit serial.
    pub code: String,
    pub community_code: String,
    pub name: String,
    /// GeoJSON MultiPolygon.
    pub geometry: serde_json::Value,
    pub area_m2: f64,
    /// (lng, lat)
    pub centroid: (f64, f64),
    /// Generated for a demo, not surveyed.
    pub synthetic: bool,
}

/// What a grid import changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridImport {
    pub added: u64,
    pub updated: u64,
    /// Grids of the imported communities that the new layer no longer has.
    pub removed: u64,
}

/// A household (户) a grid worker visits; the label is an address within the grid, not a name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Household {
    pub id: Uuid,
    pub grid_code: String,
    pub label: String,
}

/// Which household a visit was to: one on record, or one named for the first time.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HouseholdRef {
    Id(Uuid),
    Label(String),
}

/// A household visit (走访) as a grid worker logs it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewVisit {
    pub grid_code: String,
    pub household: HouseholdRef,
    pub visited_on: chrono::NaiveDate,
    pub topic: String,
    pub follow_up: Option<String>,
    /// The case the visit raised, if any.
    pub case_id: Option<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Visit {
    pub id: Uuid,
    pub household_id: Uuid,
    pub household_label: String,
    pub grid_code: String,
    pub worker: String,
    pub visited_on: chrono::NaiveDate,
    pub topic: String,
    pub follow_up: Option<String>,
    pub case_id: Option<Uuid>,
}

/// How many of a grid's households were visited recently (走访覆盖率).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GridCoverage {
    pub grid_code: String,
    pub households: i64,
    pub visited_30_days: i64,
    pub visited_90_days: i64,
}

/// A photo or other file attached to a case.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAttachment {
    pub media_type: String,
    pub bytes: Vec<u8>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct AttachmentInfo {
    pub id: Uuid,
    /// The event that brought it: 1 for the report, later ones for a resident's addition or
    /// the unit's report of the result.
    pub event_seq: i64,
    pub media_type: String,
    pub size: i64,
}

/// Cases counted per region of one level, for maps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RegionCount {
    pub code: String,
    pub total: i64,
    pub pending: i64,
    pub overdue: i64,
}

/// How statistics are split: by street, by community, by lead unit, by top-level category, or
/// by week from the period's start (key 0 is its first week).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Grouping {
    Street,
    Community,
    Unit,
    TopCategory,
    Week,
}

/// A case as a point on a map: nothing personal.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CasePoint {
    pub id: Uuid,
    pub lng: f64,
    pub lat: f64,
    pub state: CaseState,
    pub overdue: bool,
    pub category_code: String,
    pub community_code: Option<String>,
}

/// How many cases of a category a community received (the groups the public pages hide
/// small ones of).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommunityCategoryCount {
    pub community_code: String,
    pub category_code: String,
    pub cases: i64,
}

/// A past visit, as loaded by the demo and by imports.
#[derive(Debug, Clone, PartialEq)]
pub struct HistoricVisit {
    pub grid_code: String,
    pub household_label: String,
    pub worker_id: Uuid,
    pub visited_on: chrono::NaiveDate,
    pub topic: String,
    pub follow_up: Option<String>,
}

/// What grid workers found on patrol in a period, counted apart from the three rates (which
/// cover dispatched cases only).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PatrolCounts {
    /// Cases reported on grid patrol.
    pub reports: i64,
    /// Of those, closed by the grid worker on the spot (就地解决).
    pub resolved_on_spot: i64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use grassroots_domain::case::Place;

    fn key(region: Option<&str>) -> ApiKey {
        ApiKey {
            id: Uuid::nil(),
            name: "k".into(),
            may_post: true,
            region: region.map(str::to_string),
            created_at: DateTime::default(),
            revoked_at: None,
        }
    }

    #[test]
    fn a_key_covers_the_places_within_its_region_at_any_level() {
        let place = Place {
            district_code: Some("110101".into()),
            street_code: Some("110101001".into()),
            community_code: Some("110101001001".into()),
            grid_code: Some("110101001001001".into()),
            ..Place::default()
        };
        for (region, covers) in [
            (None, true),
            (Some("1101"), true),
            (Some("110101"), true),
            (Some("110101001"), true),
            (Some("110101002"), false),
            (Some("110102"), false),
        ] {
            assert_eq!(key(region).covers(&place), covers, "{region:?}");
        }
        let district_only = Place { district_code: Some("110101".into()), ..Place::default() };
        assert!(
            !key(Some("110101001")).covers(&district_only),
            "a street key does not cover a case placed only in its district"
        );
    }
}

/// Which places' votes, topics or meetings to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PlaceFilter {
    Everywhere,
    /// Of places whose code begins with one of these (a staff member's scope).
    Within(Vec<String>),
    /// Of exactly these places (a resident's street, community and grid).
    Of(Vec<String>),
}
