//! 智能分类: the cases people labelled, the models trained from them (versioned, one in
//! service), and the decisions the machine made about cases.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::decisions::Decision;
use grassroots_domain::CaseState;
use uuid::Uuid;

use crate::Result;

/// A case whose category a person confirmed (by closing it) or corrected (by reclassifying it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LabelledCase {
    pub id: Uuid,
    pub category_code: String,
    pub description: String,
}

/// A trained model to keep.
#[derive(Debug, Clone, PartialEq)]
pub struct NewModel {
    pub trained_at: DateTime<Utc>,
    /// Labelled cases it learned from, besides the corpus.
    pub examples: i64,
    /// Cases held out to evaluate it.
    pub held_out: i64,
    /// Its evaluation, and that of the model in service on the same cases, as JSON.
    pub evaluation: String,
    pub compared: String,
    /// Put into service as it is kept.
    pub in_service: bool,
    pub bytes: Vec<u8>,
}

/// How many of the latest versions keep their weights, besides the one in service.
pub const WEIGHTS_KEPT: i64 = 10;

/// A kept model, without its bytes (`size_bytes` 0 once its weights were dropped).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelInfo {
    pub version: i64,
    pub trained_at: DateTime<Utc>,
    pub examples: i64,
    pub held_out: i64,
    pub evaluation: String,
    pub compared: String,
    pub in_service: bool,
    pub size_bytes: i64,
}

/// A decision the machine made, with the case as it is now.
#[derive(Debug, Clone, PartialEq)]
pub struct DecisionOnCase {
    pub case_id: Uuid,
    pub tracking_no: String,
    pub made_at: DateTime<Utc>,
    pub decision: Decision,
    pub state: CaseState,
    pub category_code: String,
    pub lead_unit: Option<String>,
    pub return_count: i64,
    pub merged_into: Option<Uuid>,
}

#[async_trait]
pub trait ModelStore: Send + Sync {
    /// Labelled cases in id order after `after`, at most `limit`; cases whose description was
    /// erased are left out.
    async fn labelled_cases(&self, after: Option<Uuid>, limit: usize) -> Result<Vec<LabelledCase>>;
    /// Keeps a model under the next version number, and if it goes into service, takes the
    /// one before out of it, in one transaction. Returns its version.
    async fn add_model(&self, model: &NewModel) -> Result<i64>;
    /// Every kept model, newest first.
    async fn models(&self) -> Result<Vec<ModelInfo>>;
    /// The model in service: its version and bytes.
    async fn model_in_service(&self) -> Result<Option<(i64, Vec<u8>)>>;
    /// The version in service, read cheaply by every process to follow a change.
    async fn version_in_service(&self) -> Result<Option<i64>>;
    /// The decisions made about one case, oldest first.
    async fn case_decisions(&self, case_id: Uuid) -> Result<Vec<DecisionOnCase>>;
    /// The decisions made in a period, with their cases as they are now.
    async fn decisions_between(&self, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<DecisionOnCase>>;
}
