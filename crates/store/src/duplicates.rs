//! 重复件: the reports a case may repeat — open cases of its street received lately, and the
//! same caller's cases — for the rules in `grassroots_domain::duplicates` to judge.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::{CaseRecord, Scope};
use uuid::Uuid;

use crate::Result;

/// A case another may repeat, with its caller's phone digest.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    pub record: CaseRecord,
    pub caller: Option<String>,
}

#[async_trait]
pub trait DuplicateStore: Send + Sync {
    /// Cases within `scope` other than `case_id`, received since `since` and not finished
    /// (rejected, merged or closed): those of the street (or, unplaced, the district) and those
    /// of the caller `caller`, newest first, at most `limit`.
    async fn duplicate_candidates(
        &self,
        scope: &Scope,
        case_id: Uuid,
        region: &str,
        caller: Option<&str>,
        since: DateTime<Utc>,
        limit: usize,
    ) -> Result<Vec<Candidate>>;
    /// A case's caller's phone digest, if it has one.
    async fn caller_of(&self, case_id: Uuid) -> Result<Option<String>>;
    /// The digest the store keeps of a phone number, to find the same caller's cases.
    fn caller_tag(&self, phone: &str) -> String;
}
