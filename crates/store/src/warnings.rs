//! 风险预警 in the store: warnings raised once for their key, read within a scope, moved by
//! people (with an audit entry); the counts a surge is judged on; the repeated callers and the
//! reopened cases; and the words of danger.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::case::Place;
use grassroots_domain::warnings::{DangerWord, WarningKind, WarningState};
use grassroots_domain::{Actor, Scope};
use uuid::Uuid;

use crate::Result;

/// What a warning of danger's key starts with, before its case's id: one per case.
pub const DANGER_KEY: &str = "danger:";

/// A warning as the platform raises it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewWarning {
    pub kind: WarningKind,
    /// One warning per key, ever: a surge's is its place, category and day.
    pub key: String,
    pub district_code: Option<String>,
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub category_code: Option<String>,
    pub case_id: Option<Uuid>,
    pub count: Option<i64>,
    pub baseline: Option<f64>,
    /// The danger words found, or the tracking numbers of the repeated caller's cases.
    pub words: Vec<String>,
    pub raised_at: DateTime<Utc>,
    /// Staff to text about the warning's case (the dispatchers on duty), with the warning.
    pub tell: Vec<Uuid>,
}

/// A warning and what people did with it.
#[derive(Debug, Clone, PartialEq)]
pub struct Warning {
    pub id: Uuid,
    pub kind: WarningKind,
    pub state: WarningState,
    pub district_code: Option<String>,
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub category_code: Option<String>,
    pub case_id: Option<Uuid>,
    pub count: Option<i64>,
    pub baseline: Option<f64>,
    pub words: Vec<String>,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub reason: Option<String>,
}

/// Cases received in a window, per place and category.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WindowCount {
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub category_code: String,
    pub count: i64,
}

/// A case as a warning about it needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarnedCase {
    pub id: Uuid,
    pub tracking_no: String,
    pub district_code: Option<String>,
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub category_code: String,
    /// The caller's digest, for a repeated caller.
    pub caller: Option<String>,
}

impl WarnedCase {
    /// Where it is, as far as a warning needs: its regions and grid.
    pub fn place(&self) -> Place {
        Place {
            district_code: self.district_code.clone(),
            street_code: self.street_code.clone(),
            community_code: self.community_code.clone(),
            grid_code: self.grid_code.clone(),
            ..Place::default()
        }
    }
}

/// An urgent case with no warning of danger: what the scan reads again for words of danger, in
/// case the warning was not kept at intake.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnwarnedCase {
    pub case: WarnedCase,
    pub description: String,
    pub received_at: DateTime<Utc>,
}

/// Warnings of each kind, and how many people dismissed: the rules' override rates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WarningTally {
    pub kind: WarningKind,
    pub raised: i64,
    pub acted: i64,
    pub dismissed: i64,
}

/// A case's receipt, where and of what: what a replay of the surge rule reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Receipt {
    pub received_at: DateTime<Utc>,
    pub community_code: String,
    pub category_code: String,
}

#[async_trait]
pub trait WarningStore: Send + Sync {
    /// The receipts of cases of these districts in [from, to) placed in a community, by time.
    async fn receipts(&self, districts: &[String], from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Receipt>>;
    /// Raises each warning unless one with its key was raised before, all in one commit;
    /// returns, for each, whether it was raised now.
    async fn raise_warnings(&self, warnings: &[NewWarning]) -> Result<Vec<bool>>;
    /// Raises a warning unless one with its key was raised before; returns whether it was.
    async fn raise_warning(&self, warning: &NewWarning) -> Result<bool> {
        Ok(self.raise_warnings(std::slice::from_ref(warning)).await?.contains(&true))
    }
    /// Whether a warning with this key was raised (a read: no writer waits for it).
    async fn warning_raised(&self, key: &str) -> Result<bool>;
    /// Warnings within `scope` in these states (none: every state), newest first.
    async fn warnings(&self, scope: &Scope, states: &[WarningState], limit: i64) -> Result<Vec<Warning>>;
    async fn warning(&self, scope: &Scope, id: Uuid) -> Result<Option<Warning>>;
    /// Moves a warning within `scope` from an open state, with an audit entry.
    async fn set_warning_state(
        &self,
        scope: &Scope,
        id: Uuid,
        state: WarningState,
        actor: &Actor,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Warning>;
    /// Cases of these districts received in [from, to), per grid and category.
    async fn window_counts(
        &self,
        districts: &[String],
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<Vec<WindowCount>>;
    /// Cases since `since` of the callers who made at least `at_least` of them.
    async fn repeated_callers(&self, since: DateTime<Utc>, at_least: i64) -> Result<Vec<WarnedCase>>;
    /// Cases reopened (after an evaluation that found them unresolved) updated since `since`.
    async fn reopened_since(&self, since: DateTime<Utc>) -> Result<Vec<WarnedCase>>;
    /// Urgent cases received since `since` without a warning of danger.
    async fn unwarned_urgent(&self, since: DateTime<Utc>) -> Result<Vec<UnwarnedCase>>;
    /// Warnings raised and what became of them, per kind.
    async fn warning_tallies(&self) -> Result<Vec<WarningTally>>;
    async fn danger_words(&self) -> Result<Vec<DangerWord>>;
    /// Replaces the words of danger, with an audit entry.
    async fn set_danger_words(&self, words: &[DangerWord], actor: &Actor, now: DateTime<Utc>) -> Result<()>;
}
