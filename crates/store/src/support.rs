//! 附议: open cases near a place, and the residents who join one instead of reporting again.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::CaseRecord;
use uuid::Uuid;

use crate::Result;

/// An open case near a place.
#[derive(Debug, Clone, PartialEq)]
pub struct NearbyCase {
    pub record: CaseRecord,
    pub distance_m: f64,
    /// Residents who joined it.
    pub supporters: i64,
}

/// A resident joining a case: their mobile, if given, and whether they want texts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSupporter {
    pub phone: Option<String>,
    pub notify: bool,
}

/// A case joined: what it is, and how many have joined it now.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Joined {
    pub case_id: Uuid,
    pub tracking_no: String,
    pub supporters: i64,
}

#[async_trait]
pub trait SupportStore: Send + Sync {
    /// Cases of `category_code` still open (`support::joinable`) within `radius_m` of
    /// (lat, lng), nearest first.
    async fn open_cases_near(
        &self,
        category_code: &str,
        point: (f64, f64),
        radius_m: f64,
        limit: usize,
    ) -> Result<Vec<NearbyCase>>;
    /// Adds a supporter to the case with this tracking number, if it is still open: `NotFound`
    /// for no such case, a conflict for one that is finished. Audited.
    async fn join_case(&self, tracking_no: &str, supporter: &NewSupporter, now: DateTime<Utc>) -> Result<Joined>;
    /// How many residents joined the case.
    async fn supporters(&self, case_id: Uuid) -> Result<i64>;
}
