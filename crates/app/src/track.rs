//! The resident's side: a case found by its tracking number and query code (or a signed link),
//! and the resident's evaluation of it. Attempts at a number's code are limited per number and client
//! (one client's mistakes or guesses do not lock out the resident elsewhere), and per number
//! more loosely, so that codes cannot be guessed from many addresses at once either.

use std::net::IpAddr;

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::{CaseRecord, EventKind, Move, Satisfaction, Scope};
use grassroots_store::{AttachmentInfo, CaseDetail, NewAttachment, ResidentPass};
use uuid::Uuid;

use crate::{AppError, Platform, Result};

/// A case as its resident follows it, and the case it was merged into, if it was.
#[derive(Debug, Clone)]
pub struct Tracked {
    pub detail: CaseDetail,
    pub merged_into: Option<CaseRecord>,
    /// The photos the resident sent: with the report, and with their additions.
    pub photos: Vec<AttachmentInfo>,
}

/// How a resident opens their case: the number and code given at reporting, or the signed
/// token of a link (a message's, or the one the tracking page gives after the code).
#[derive(Debug, Clone)]
pub enum Pass {
    Code { tracking_no: String, code: String },
    Link { token: String },
}

impl Pass {
    /// The tracking number the pass names (a token's begins with it), for the attempt limits.
    fn tracking_no(&self) -> &str {
        match self {
            Self::Code { tracking_no, .. } => tracking_no.trim(),
            Self::Link { token } => token.trim().split('.').next().unwrap_or_default(),
        }
    }

    fn as_store_pass(&self, now: DateTime<Utc>) -> ResidentPass<'_> {
        match self {
            Self::Code { tracking_no, code } => ResidentPass::code(tracking_no.trim(), code.trim()),
            Self::Link { token } => ResidentPass::Link { token: token.trim(), now },
        }
    }
}

/// Tracking numbers are 14 digits; anything else names no case. Each attempt at a number's
/// query code takes a token of the client's bucket for that number and one of the number's.
/// A link is not counted: its 128-bit signature cannot be guessed, and a page opened by one
/// fetches its photos through it.
fn check_attempt(platform: &Platform, pass: &Pass, client: IpAddr) -> Result<()> {
    let tracking_no = pass.tracking_no();
    if !grassroots_domain::case::is_tracking_no(tracking_no) {
        return Err(AppError::NotFound);
    }
    if matches!(pass, Pass::Link { .. }) {
        return Ok(());
    }
    let now = std::time::Instant::now();
    platform
        .code_attempts
        .check((tracking_no.to_string(), client), now)
        .and_then(|()| platform.code_attempts_per_number.check(tracking_no.to_string(), now))
        .map_err(|retry_after_secs| AppError::TooManyAttempts { retry_after_secs })
}

/// The case a pass opens; a wrong pass finds nothing. `client` is the address (or network)
/// asking.
pub async fn find(platform: &Platform, pass: &Pass, client: IpAddr) -> Result<Tracked> {
    check_attempt(platform, pass, client)?;
    let detail = platform.store.track(&pass.as_store_pass(Utc::now())).await?.ok_or(AppError::NotFound)?;
    let merged_into = match detail.record.merged_into {
        Some(target) => platform.store.case_record(target).await?,
        None => None,
    };
    // The resident's own photos: those of the report and of their additions.
    let theirs = |seq: i64| {
        detail
            .events
            .iter()
            .any(|e| e.seq == seq && matches!(e.kind, EventKind::Received { .. } | EventKind::Supplemented { .. }))
    };
    let photos = platform.store.attachments(&Scope::All, detail.record.id).await?;
    let photos = photos.into_iter().filter(|p| theirs(p.event_seq)).collect();
    Ok(Tracked { detail, merged_into, photos })
}

/// A token that opens the case for its resident, without the code, for the next 90 days
/// (what a message's link carries too).
pub fn link_token(platform: &Platform, tracking_no: &str) -> String {
    platform
        .store
        .resident_link_token(tracking_no, Utc::now() + Duration::days(grassroots_domain::notices::LINK_VALID_DAYS))
}

/// One of the resident's photos of the case the pass opens.
pub async fn photo(platform: &Platform, pass: &Pass, client: IpAddr, photo: Uuid) -> Result<(String, Vec<u8>)> {
    let tracked = find(platform, pass, client).await?;
    if !tracked.photos.iter().any(|p| p.id == photo) {
        return Err(AppError::NotFound);
    }
    Ok(platform.store.attachment(&Scope::All, tracked.detail.record.id, photo).await?)
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
pub async fn evaluate(platform: &Platform, pass: &Pass, client: IpAddr, evaluation: Evaluation) -> Result<()> {
    let satisfaction = Satisfaction::parse_field("satisfaction", &evaluation.satisfaction)?;
    let mv = Move::Evaluate { resolved: evaluation.resolved, satisfaction, comment: evaluation.comment };
    check_attempt(platform, pass, client)?;
    let reference = platform.reference();
    let now = Utc::now();
    let ctx = platform.move_context(&reference, now);
    platform.store.resident_move(&pass.as_store_pass(now), &mv, &ctx, &[]).await?;
    Ok(())
}

/// What a resident adds to their open case (补充情况): words, photos or both, recorded on the
/// case's timeline for the unit handling it.
#[tracing::instrument(skip_all)]
pub async fn add(
    platform: &Platform,
    pass: &Pass,
    client: IpAddr,
    text: Option<String>,
    photos: Vec<NewAttachment>,
) -> Result<()> {
    let count = u32::try_from(photos.len()).unwrap_or(u32::MAX);
    let mv = Move::Supplement { text, photos: count };
    check_attempt(platform, pass, client)?;
    let reference = platform.reference();
    let now = Utc::now();
    let ctx = platform.move_context(&reference, now);
    platform.store.resident_move(&pass.as_store_pass(now), &mv, &ctx, &photos).await?;
    Ok(())
}
