//! Grid management: boundaries, grids and their workers, households and visits.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::Actor;
use grassroots_domain::Scope;

use crate::{BoundaryRow, GridCoverage, GridImport, GridRow, Household, NewVisit, Result, User, Visit};

#[async_trait]
pub trait GridStore: Send + Sync {
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
    /// Logs a household visit by a grid worker within their grids.
    async fn record_visit(&self, actor: &Actor, visit: &NewVisit, at: DateTime<Utc>) -> Result<Visit>;
    /// A grid's visits, newest first; `NotFound` outside the scope.
    async fn visits(&self, scope: &Scope, grid_code: &str, limit: i64) -> Result<Vec<Visit>>;
    /// Visit coverage of the grids whose code starts with `within` (a region code).
    async fn coverage(&self, within: &str, now: DateTime<Utc>) -> Result<Vec<GridCoverage>>;
}
