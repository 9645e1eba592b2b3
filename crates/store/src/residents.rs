//! Residents' accounts in the store: the codes sent to their mobiles (kept as keyed digests),
//! counted against the limits, tried and used once; the residents (their number sealed, masked
//! and tagged); their sessions (kept as the SHA-256 of the token). The rules are
//! `grassroots_domain::residents`.

use std::net::IpAddr;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::residents::{CodeRefusal, CodeTry, Mobile};
use grassroots_domain::{Actor, CaseState};
use uuid::Uuid;

use crate::Result;

/// A resident with an account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resident {
    pub id: Uuid,
    pub phone_masked: String,
    pub created_at: DateTime<Utc>,
    pub signed_in_at: DateTime<Utc>,
}

/// How trying a code went: signed in, or why not.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignIn {
    SignedIn(Resident),
    Refused(CodeTry),
}

/// Whether a code was kept (then it may be sent), or refused by a limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CodeKept {
    Kept,
    Refused(CodeRefusal),
}

/// A case the resident reported (found by their number), as they may see it in their list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentReport {
    pub id: Uuid,
    pub tracking_no: String,
    pub state: CaseState,
    pub category_code: String,
    pub received_at: DateTime<Utc>,
}

#[async_trait]
pub trait ResidentStore: Send + Sync {
    /// Keeps a code sent now (its digest only), valid until `expires_at`, unless the domain's
    /// limits on the sends to `mobile` and from `address` refuse it. The count and the keeping
    /// are one step: of concurrent asks, no more pass than the limits allow.
    async fn keep_code(
        &self,
        mobile: &Mobile,
        address: IpAddr,
        code: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<CodeKept>;
    /// Tries `code` against the newest code sent to `mobile`. A wrong try is counted; the right
    /// one is used up, the resident made if new, and a session opened under `token_hash` until
    /// `session_expires`, in one transaction. Concurrent tries of one code sign in at most once.
    async fn sign_in_resident(
        &self,
        mobile: &Mobile,
        code: &str,
        token_hash: &str,
        now: DateTime<Utc>,
        session_expires: DateTime<Utc>,
    ) -> Result<SignIn>;
    /// The resident who signs in with this number, if any has.
    async fn resident_by_phone(&self, mobile: &Mobile) -> Result<Option<Resident>>;
    /// The resident of a live session.
    async fn resident_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Resident>>;
    async fn end_resident_session(&self, token_hash: &str) -> Result<()>;
    /// The cases reported from the resident's number, newest first.
    async fn resident_reports(&self, resident: Uuid, limit: i64) -> Result<Vec<ResidentReport>>;
    /// Closes the resident's account (注销), at their asking (`actor` the resident) or an
    /// administrator's carrying out their request to erase (with its `reference`): the account
    /// with its sealed number, its sessions, its household link and the codes sent to it go,
    /// in one audited transaction. The cases they reported stay, with the reporter's data a
    /// privacy request or retention erases; the rolls of votes keep that the account voted.
    async fn close_resident_account(
        &self,
        actor: &Actor,
        resident: Uuid,
        reference: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Forgets the codes sent before `before` (past the day they are counted in); how many.
    async fn forget_codes_before(&self, before: DateTime<Utc>) -> Result<u64>;
}
