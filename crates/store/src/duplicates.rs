//! 重复件: the open cases a report may repeat — of its category near its point or in its
//! community, and of its caller — read through indexes, for the rules in
//! `grassroots_domain::duplicates` to judge.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::case::Place;
use grassroots_domain::{CaseState, Scope};
use uuid::Uuid;

use crate::Result;

/// The reports suggested as repeats of one case.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SuspectedRepeats {
    pub count: i64,
    /// The first ones by receipt, as many as asked for.
    pub tracking_nos: Vec<String>,
}

/// What a report is looked up by.
#[derive(Debug, Clone, PartialEq)]
pub struct Probe<'a> {
    pub category_code: &'a str,
    pub place: &'a Place,
    /// The caller's phone digest.
    pub caller: Option<&'a str>,
    /// Received since.
    pub since: DateTime<Utc>,
    /// How far from its point to look.
    pub radius_m: f64,
}

/// An open case a report may repeat: what the comparison and a list of suggestions need.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub id: Uuid,
    pub tracking_no: String,
    pub state: CaseState,
    pub category_code: String,
    pub description: String,
    pub place: Place,
    pub received_at: DateTime<Utc>,
    pub caller: Option<String>,
}

#[async_trait]
pub trait DuplicateStore: Send + Sync {
    /// Open cases within `scope` other than `case_id`, received since the probe's time: of its
    /// category within its radius of its point, and those placed by address alone in its
    /// community (or street, placed no finer); and any of its caller's. At most `limit` of each, in no order.
    async fn duplicate_candidates(
        &self,
        scope: &Scope,
        case_id: Uuid,
        probe: &Probe<'_>,
        limit: usize,
    ) -> Result<Vec<Candidate>>;
    /// The reports the machine suggested merging into `target` (open, merged or finished
    /// since): with it, the reports of one matter. How many, and the tracking numbers of the
    /// first `limit` by receipt (a flood must not make each report read all the others).
    async fn suspected_repeats(&self, target: Uuid, limit: usize) -> Result<SuspectedRepeats>;
    /// A case's caller's phone digest, if it has one.
    async fn caller_of(&self, case_id: Uuid) -> Result<Option<String>>;
    /// The digest the store keeps of a phone number, to find the same caller's cases.
    fn caller_tag(&self, phone: &str) -> String;
}
