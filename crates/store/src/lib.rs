//! Storage for grassroots: the [`Store`] trait, one method per use case, each owning its
//! transaction; and its implementation over SQLite (embedded default) and PostgreSQL.
//!
//! A move writes the case row, its event, an audit entry and an outbox row in one
//! transaction. Scope is applied in the queries: a case outside the caller's scope is
//! reported as not found.

pub mod auth;
pub mod crypto;
mod error;
pub mod export;
mod sql;
pub mod types;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::workflow::{CaseEvent, Move, MoveContext};
use grassroots_domain::{Actor, CaseRecord, Scope};
use uuid::Uuid;

pub use error::StoreError;
pub use sql::{Backend, SqlStore, StoreOptions};
pub use types::*;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[async_trait]
pub trait Store: Send + Sync + 'static {
    fn backend(&self) -> Backend;

    // Reference data -------------------------------------------------------------------

    /// Adds or updates regions in one transaction; a renamed region's old name is kept.
    async fn upsert_regions(&self, regions: &[grassroots_domain::region::Region]) -> Result<RegionImport>;
    /// A region's former names, oldest first, with when each was replaced.
    async fn region_names(&self, code: &str) -> Result<Vec<(String, DateTime<Utc>)>>;
    async fn upsert_categories(&self, categories: &[grassroots_domain::Category]) -> Result<u64>;
    async fn upsert_units(&self, units: &[Unit]) -> Result<u64>;
    async fn upsert_responsibilities(&self, rows: &[Responsibility]) -> Result<u64>;
    /// Removes the matrix line for this category and region; `NotFound` if there is none.
    async fn delete_responsibility(&self, category_code: &str, region_code: &str) -> Result<()>;
    async fn regions(&self) -> Result<Vec<grassroots_domain::region::Region>>;
    async fn replace_calendar(&self, days: &[grassroots_domain::calendar::CalendarDay]) -> Result<()>;
    /// Taxonomy, calendar, units and responsibility matrix, as the rules need them.
    async fn reference(&self) -> Result<Reference>;

    // Grid management -----------------------------------------------------------------

    /// Adds or replaces region boundaries (GeoJSON geometries) in one transaction.
    async fn upsert_boundaries(&self, rows: &[BoundaryRow]) -> Result<u64>;
    async fn boundaries(&self) -> Result<Vec<BoundaryRow>>;
    /// In one transaction, makes the grids of `communities` exactly `grids` (all or nothing).
    async fn replace_grids(&self, communities: &[String], grids: &[GridRow]) -> Result<GridImport>;
    async fn grids(&self) -> Result<Vec<GridRow>>;
    async fn grid(&self, code: &str) -> Result<Option<GridRow>>;
    /// A value that changes whenever grids, boundaries or the set of regions change, so the
    /// in-memory placement index knows when to rebuild.
    async fn grids_stamp(&self) -> Result<String>;
    /// The grid workers assigned to a grid (through their accounts' scope).
    async fn grid_workers(&self, grid_code: &str) -> Result<Vec<User>>;
    async fn households(&self, grid_code: &str) -> Result<Vec<Household>>;
    /// Registers households of a grid by label; existing labels are left alone. Returns how many were new.
    async fn add_households(&self, grid_code: &str, labels: &[String]) -> Result<u64>;
    /// Loads households (grid, label) and past visits in one transaction (demo data, imports).
    async fn insert_visit_history(&self, households: &[(String, String)], visits: &[HistoricVisit]) -> Result<()>;
    /// Logs a household visit by a grid worker within their grids.
    async fn record_visit(&self, actor: &Actor, visit: &NewVisit, at: DateTime<Utc>) -> Result<Visit>;
    /// A grid's visits, newest first; `NotFound` outside the scope.
    async fn visits(&self, scope: &Scope, grid_code: &str, limit: i64) -> Result<Vec<Visit>>;
    /// Visit coverage of the grids whose code starts with `within` (a region code).
    async fn coverage(&self, within: &str, now: DateTime<Utc>) -> Result<Vec<GridCoverage>>;
    async fn attachments(&self, scope: &Scope, case_id: Uuid) -> Result<Vec<AttachmentInfo>>;
    /// An attachment's media type and bytes; `NotFound` outside the scope.
    async fn attachment(&self, scope: &Scope, case_id: Uuid, id: Uuid) -> Result<(String, Vec<u8>)>;
    /// Cases received in the filter's period, per region of `level`, within the scope.
    async fn region_counts(
        &self,
        scope: &Scope,
        level: grassroots_domain::RegionLevel,
        filter: &RateFilter,
    ) -> Result<Vec<RegionCount>>;
    /// Patrol reports received in the filter's period, and how many were resolved on the spot.
    async fn patrol_counts(&self, scope: &Scope, filter: &RateFilter) -> Result<PatrolCounts>;
    /// The newest located cases in the filter's period, as map points.
    async fn case_points(&self, scope: &Scope, filter: &RateFilter, limit: i64) -> Result<Vec<CasePoint>>;

    // Staff and sessions ------------------------------------------------------------------

    /// Creates or (when the username exists) updates a staff account, ending its sessions.
    async fn upsert_user(&self, user: &NewUser) -> Result<User>;
    async fn user_by_username(&self, username: &str) -> Result<Option<UserWithHash>>;
    /// Every staff account, by username.
    async fn users(&self) -> Result<Vec<StaffAccount>>;
    /// Disables an account (ending its sessions; it can no longer log in) or enables it again.
    async fn set_user_disabled(&self, username: &str, disabled: bool, now: DateTime<Utc>) -> Result<()>;

    // Keys of other systems -----------------------------------------------------------------

    /// Records a new key by the digest of its secret.
    async fn create_api_key(&self, name: &str, key_hash: &str, scope: &KeyScope, now: DateTime<Utc>) -> Result<ApiKey>;
    /// The key with this digest, unless it was revoked.
    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>>;
    async fn api_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes a key; `NotFound` if there is none with this id.
    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<()>;
    /// Opens a session and writes a `login` audit entry, in one transaction.
    async fn create_session(&self, user_id: Uuid, token_hash: &str, expires_at: DateTime<Utc>) -> Result<()>;
    /// Writes a `login_failed` audit entry naming the username that was tried.
    async fn record_failed_login(&self, username: &str, at: DateTime<Utc>) -> Result<()>;
    /// The newest audit entries of every kind, newest first.
    async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>>;
    /// The user of a live session.
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;

    // Cases -------------------------------------------------------------------------------

    /// Takes in a new request. Returns once the case is durable.
    async fn create_case(&self, new: NewCase, actor: &Actor) -> Result<CreatedCase>;
    /// A case within `scope`, with its events; `None` when absent or out of scope.
    async fn case_detail(&self, scope: &Scope, id: Uuid) -> Result<Option<CaseDetail>>;
    async fn list_cases(&self, scope: &Scope, filter: &CaseFilter) -> Result<CasePage>;
    /// How many cases each of the role's workbench queues holds, within the scope.
    async fn queue_counts(
        &self,
        scope: &Scope,
        role: grassroots_domain::Role,
    ) -> Result<Vec<(grassroots_domain::queue::Queue, i64)>>;
    /// Applies a move by a staff member within their scope.
    async fn apply_move(&self, actor: &Actor, id: Uuid, mv: &Move, ctx: &MoveContext<'_>) -> Result<CaseRecord>;
    /// The resident's view, found by tracking number and query code.
    async fn track(&self, tracking_no: &str, query_code: &str) -> Result<Option<CaseDetail>>;
    /// A resident's evaluation of their closed case.
    async fn resident_evaluate(
        &self,
        tracking_no: &str,
        query_code: &str,
        mv: &Move,
        ctx: &MoveContext<'_>,
    ) -> Result<CaseRecord>;
    /// Decrypts the reporter's personal data for a permitted actor, writing an audit entry.
    async fn reveal(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<RevealedPersonalData>;
    async fn case_events(&self, id: Uuid) -> Result<Vec<CaseEvent>>;
    async fn audit_entries(&self, case_id: Uuid) -> Result<Vec<AuditEntry>>;
    async fn outbox_count(&self, case_id: Uuid) -> Result<i64>;
    /// The row of a case as stored, without scope (for replay checks and workers).
    async fn case_record(&self, id: Uuid) -> Result<Option<CaseRecord>>;

    // Statistics ------------------------------------------------------------------------

    async fn rate_counts(&self, scope: &Scope, filter: &RateFilter) -> Result<grassroots_domain::rates::RateCounts>;
    /// The same counts per group, in one query; groups without dispatched cases are absent.
    async fn rate_counts_by(
        &self,
        scope: &Scope,
        filter: &RateFilter,
        grouping: Grouping,
    ) -> Result<Vec<(String, grassroots_domain::rates::RateCounts)>>;
    /// Cases received in the period per group: total, still pending, pending and overdue.
    async fn case_counts_by(&self, scope: &Scope, filter: &RateFilter, grouping: Grouping) -> Result<Vec<RegionCount>>;

    // Background work -------------------------------------------------------------------

    /// Takes or renews the named lease for `holder`; false when another holder has it.
    async fn claim_lease(&self, name: &str, holder: &str, now: DateTime<Utc>, ttl: chrono::Duration) -> Result<bool>;
    /// Marks pending cases that fell due soon or overdue, one event each. Returns how many.
    async fn tick_deadlines(&self, now: DateTime<Utc>, limit: i64) -> Result<usize>;

    /// Loads cases exactly as given, bypassing intake (demo data and imports of history).
    async fn insert_history(&self, cases: &[HistoricCase]) -> Result<()>;
    /// Cases from another system (`source`), in one transaction: those whose external id was
    /// imported from `source` before are skipped, so importing a file again creates nothing
    /// twice. A tracking number already taken is drawn again.
    async fn import_cases(&self, source: &str, cases: Vec<ImportedCase>, now: DateTime<Utc>) -> Result<ImportBatch>;
    async fn count_cases(&self) -> Result<i64>;
    /// How many cases were imported from `source`.
    async fn count_imported(&self, source: &str) -> Result<i64>;
    /// For a bulk import by `holder`: drops the cases table's secondary indexes, which are
    /// faster to build again at the end than to keep up to date case by case, and takes the
    /// lease `BULK_IMPORT_LEASE` (renew it with `claim_lease` and `bulk_import_ttl`). Their
    /// definitions are kept in the same transaction, so if the import stops before
    /// `restore_case_indexes`, `migrate` or a server builds them again once the lease has run
    /// out. Returns how many were set aside: none while another import holds the lease.
    /// Queries stay correct meanwhile, only slower.
    async fn set_aside_case_indexes(&self, holder: &str, now: DateTime<Utc>) -> Result<usize>;
    /// Builds again the indexes set aside, unless another holder has the lease; returns how
    /// many it built.
    async fn restore_case_indexes(&self, holder: &str, now: DateTime<Utc>) -> Result<usize>;

    // Event delivery: webhooks and NATS (sql/relay.rs).
    /// Checks the URL (http or https) and topics (`case.EVENT`); the secret is kept sealed.
    async fn create_webhook(
        &self,
        name: &str,
        url: &str,
        topics: &[String],
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Webhook>;
    async fn webhooks(&self) -> Result<Vec<Webhook>>;
    async fn webhook_secret(&self, id: Uuid) -> Result<Option<String>>;
    /// Stops deliveries to the webhook; those waiting are left undelivered.
    async fn disable_webhook(&self, id: Uuid, now: DateTime<Utc>) -> Result<()>;
    /// Turns up to `limit` new outbox rows into deliveries: one for each enabled webhook that
    /// existed when the event happened and wants its topic, and one for `nats` if `nats`.
    /// Returns the rows handled.
    async fn fan_out(&self, nats: bool, limit: i64, now: DateTime<Utc>) -> Result<usize>;
    /// Deliveries to `target` whose time has come, each the earliest undelivered event of its
    /// case for that target, so each case's events arrive in order; none of a case with events
    /// not yet fanned out, which may come before.
    async fn due_deliveries(&self, target: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Delivery>>;
    async fn record_attempt(
        &self,
        delivery: &Delivery,
        outcome: &AttemptOutcome,
        duration_ms: i64,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The latest attempts for `target`, newest first.
    async fn delivery_attempts(&self, target: &str, limit: i64) -> Result<Vec<DeliveryAttempt>>;
    /// Deliveries to `target` not yet taken.
    async fn undelivered(&self, target: &str) -> Result<i64>;
}
