//! Reference data: regions and their former names, categories, units, the responsibility matrix and the working-day calendar.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use grassroots_domain::calendar::DayKind;
use grassroots_domain::region::Region;

use crate::{Reference, RegionImport, Responsibility, Result, Unit};

#[async_trait]
pub trait ReferenceStore: Send + Sync {
    /// Adds or updates regions in one transaction; a renamed region's old name is kept.
    async fn upsert_regions(&self, regions: &[grassroots_domain::region::Region]) -> Result<RegionImport>;
    /// A region's former names, oldest first, with when each was replaced.
    async fn region_names(&self, code: &str) -> Result<Vec<(String, DateTime<Utc>)>>;
    async fn regions(&self) -> Result<Vec<grassroots_domain::region::Region>>;
    async fn upsert_categories(&self, categories: &[grassroots_domain::Category]) -> Result<u64>;
    async fn upsert_units(&self, units: &[Unit]) -> Result<u64>;
    async fn upsert_responsibilities(&self, rows: &[Responsibility]) -> Result<u64>;
    /// Removes the matrix line for this category and region; `NotFound` if there is none.
    async fn delete_responsibility(&self, category_code: &str, region_code: &str) -> Result<()>;
    /// Sets one day of the calendar (or, with `None`, makes it an ordinary day again), leaving
    /// the others as they are.
    async fn set_calendar_day(&self, date: chrono::NaiveDate, day: Option<(DayKind, String)>) -> Result<()>;
    /// The region with this code, if the store has it.
    async fn region(&self, code: &str) -> Result<Option<Region>>;
    async fn replace_calendar(&self, days: &[grassroots_domain::calendar::CalendarDay]) -> Result<()>;
    /// Taxonomy, calendar, units and responsibility matrix, as the rules need them.
    async fn reference(&self) -> Result<Reference>;
}
