//! The resident's side: a case found by its tracking number and query code, and the
//! resident's evaluation of it. Attempts at a number's code are limited per number and client
//! (one client's mistakes or guesses do not lock out the resident elsewhere), and per number
//! more loosely, so that codes cannot be guessed from many addresses at once either.

use std::net::IpAddr;

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
/// query code takes a token of the client's bucket for that number and one of the number's.
fn check_attempt(platform: &Platform, tracking_no: &str, client: IpAddr) -> Result<()> {
    if !grassroots_domain::case::is_tracking_no(tracking_no) {
        return Err(AppError::NotFound);
    }
    let now = std::time::Instant::now();
    platform
        .code_attempts
        .check((tracking_no.to_string(), client), now)
        .and_then(|()| platform.code_attempts_per_number.check(tracking_no.to_string(), now))
        .map_err(|retry_after_secs| AppError::TooManyAttempts { retry_after_secs })
}

/// The case with this tracking number and query code; a wrong pair is not found. `client` is
/// the address (or network) asking.
pub async fn find(platform: &Platform, tracking_no: &str, code: &str, client: IpAddr) -> Result<Tracked> {
    let tracking_no = tracking_no.trim();
    check_attempt(platform, tracking_no, client)?;
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
pub async fn evaluate(
    platform: &Platform,
    tracking_no: &str,
    code: &str,
    client: IpAddr,
    evaluation: Evaluation,
) -> Result<()> {
    let satisfaction = Satisfaction::parse_field("satisfaction", &evaluation.satisfaction)?;
    let mv = Move::Evaluate { resolved: evaluation.resolved, satisfaction, comment: evaluation.comment };
    let tracking_no = tracking_no.trim();
    check_attempt(platform, tracking_no, client)?;
    let reference = platform.reference();
    let ctx = platform.move_context(&reference, Utc::now());
    platform.store.resident_evaluate(tracking_no, code.trim(), &mv, &ctx).await?;
    Ok(())
}
