//! History loaded as it happened: the demo's cases and visits, and imports from other hotline systems.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use crate::{HistoricCase, HistoricVisit, ImportBatch, ImportedCase, Result};

#[async_trait]
pub trait HistoryStore: Send + Sync {
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
    /// After a bulk load, brings the planner's statistics and the visibility map of the
    /// tables it filled up to date (PostgreSQL's `VACUUM (ANALYZE)`: until the rows loaded are
    /// marked all-visible, every count reads the table as well as the index; SQLite plans
    /// without statistics, see DEVELOPERS.md).
    async fn gather_statistics(&self) -> Result<()>;
    /// Loads households (grid, label) and past visits in one transaction (demo data, imports).
    async fn insert_visit_history(&self, households: &[(String, String)], visits: &[HistoricVisit]) -> Result<()>;
}
