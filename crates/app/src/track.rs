//! The resident's side: a case found by its tracking number and query code, and the
//! resident's evaluation of it. Attempts at a number's code are limited wherever they come
//! from, so codes cannot be guessed from many addresses at once.

use chrono::Utc;
use grassroots_domain::{CaseRecord, Move, Satisfaction};
use grassroots_store::CaseDetail;

use crate::{AppError, Platform, Result};

/// A case as its resident follows it, and the case it was merged into, if it was.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub detail: CaseDetail,
    pub merged_into: Option<CaseRecord>,
}

/// Tracking numbers are 14 digits; anything else names no case. Each attempt at a number's
/// query code takes a token of that number's bucket.
fn check_attempt(platform: &Platform, tracking_no: &str) -> Result<()> {
    if !grassroots_domain::case::is_tracking_no(tracking_no) {
        return Err(AppError::NotFound);
    }
    platform
        .code_attempts
        .check(tracking_no.to_string(), std::time::Instant::now())
        .map_err(|retry_after_secs| AppError::TooManyAttempts { retry_after_secs })
}

/// The case with this tracking number and query code; a wrong pair is not found.
pub async fn find(platform: &Platform, tracking_no: &str, code: &str) -> Result<Tracked> {
    let tracking_no = tracking_no.trim();
    check_attempt(platform, tracking_no)?;
    let detail = platform.store.track(tracking_no, code.trim()).await?.ok_or(AppError::NotFound)?;
    let merged_into = match detail.record.merged_into {
        Some(target) => platform.store.case_record(target).await?,
        None => None,
    };
    Ok(Tracked { detail, merged_into })
}

/// A resident's evaluation of their closed case.
#[derive(Debug, Clone)]
pub struct Evaluation {
    pub resolved: bool,
    /// `satisfied`, `basic` or `dissatisfied`.
    pub satisfaction: String,
    pub comment: Option<String>,
}

#[tracing::instrument(skip_all)]
pub async fn evaluate(platform: &Platform, tracking_no: &str, code: &str, evaluation: Evaluation) -> Result<()> {
    let satisfaction = Satisfaction::parse_field("satisfaction", &evaluation.satisfaction)?;
    let mv = Move::Evaluate { resolved: evaluation.resolved, satisfaction, comment: evaluation.comment };
    let tracking_no = tracking_no.trim();
    check_attempt(platform, tracking_no)?;
    let reference = platform.reference();
    let ctx = platform.move_context(&reference, Utc::now());
    platform.store.resident_evaluate(tracking_no, code.trim(), &mv, &ctx).await?;
    Ok(())
}
