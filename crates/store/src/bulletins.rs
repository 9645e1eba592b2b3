//! 通报 in the store: each bulletin kept as generated (its numbers, once), one per subject,
//! period and start, so the schedule makes each once and a regeneration replaces it; and the
//! repeated complaints of a period, which the rates' counters do not hold.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::bulletins::{Bulletin, BulletinPeriod, Repeats, SubjectKind};
use serde::Serialize;
use uuid::Uuid;

use crate::{RateFilter, Result};

/// A bulletin as kept.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct KeptBulletin {
    pub id: Uuid,
    pub bulletin: Bulletin,
    pub generated_at: DateTime<Utc>,
    /// `schedule`, or the staff member's role who asked for it.
    pub generated_by: String,
}

/// A bulletin in a list: what it is of, without its numbers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulletinEntry {
    pub id: Uuid,
    pub subject_kind: SubjectKind,
    pub subject_code: String,
    pub subject_name: String,
    pub period: BulletinPeriod,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub generated_at: DateTime<Utc>,
}

#[async_trait]
pub trait BulletinStore: Send + Sync {
    /// Keeps a bulletin, replacing the one of the same subject, period and start.
    async fn keep_bulletin(&self, bulletin: &Bulletin, by: &str, now: DateTime<Utc>) -> Result<KeptBulletin>;
    async fn bulletin(&self, id: Uuid) -> Result<Option<KeptBulletin>>;
    /// Whether the bulletin of a subject's period was made.
    async fn bulletin_exists(
        &self,
        kind: SubjectKind,
        code: &str,
        period: BulletinPeriod,
        from: NaiveDate,
    ) -> Result<bool>;
    /// Bulletins of these subjects (region codes begin with one of `regions`, or the units
    /// named), the latest period first.
    async fn bulletins(&self, regions: &[String], units: &[String], limit: i64) -> Result<Vec<BulletinEntry>>;
    /// The repeated complaints of cases received in the filter's period and region or unit.
    async fn repeats(&self, filter: &RateFilter) -> Result<Repeats>;
}
