//! Text messages about cases: the queue the notification gateway sends from, the log of every
//! attempt, and the signed links the messages carry. A message is written in the transaction
//! of what it tells of (an event, see `sql/cases.rs`; a warning of danger, see
//! `sql/warnings.rs`), so none is lost or sent for a change that did not happen; the gateway
//! (`grassroots_relay::notify`) does the sending.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::notices::CaseNotice;
use uuid::Uuid;

use crate::Result;

/// A message whose time has come, with what its text needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DueMessage {
    pub id: Uuid,
    pub notice: CaseNotice,
    pub case_id: Uuid,
    /// What it is about: the case's event, the warning, or the survey that invites.
    pub about: Uuid,
    pub tracking_no: String,
    /// The recipient's phone, opened for this send; `None` once it was erased.
    pub phone: Option<String>,
    pub recipient: Recipient,
    pub lead_unit: Option<String>,
    /// Its name, for the message to say where the case went.
    pub lead_unit_name: Option<String>,
    /// Attempts made so far.
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
}

/// Who a message goes to; each is sent a different link.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recipient {
    /// The case's reporter: their link opens their own case.
    Reporter,
    /// A resident who joined the case (附议): their link is to the case as the public sees it.
    Supporter,
    /// A staff member (the dispatcher on duty): their link is to the case's page, behind sign-in.
    Staff,
}

impl Recipient {
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::Reporter => ("反映人", "reporter"),
            Self::Supporter => ("附议人", "supporter"),
            Self::Staff => ("值班人员", "staff on duty"),
        }
    }
}

/// How one attempt to send a message went. `body` is the text as it was sent.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MessageOutcome {
    Sent {
        provider: String,
        status: Option<u16>,
        body: String,
    },
    /// `retry_at` is `None` when the gateway gives up on the message.
    Failed {
        provider: String,
        status: Option<u16>,
        error: String,
        body: Option<String>,
        retry_at: Option<DateTime<Utc>>,
    },
}

/// Where a message stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MessageState {
    Pending,
    Sent,
    /// Given up: no phone, or no provider took it in time.
    Failed,
}

impl MessageState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Sent => "sent",
            Self::Failed => "failed",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [Self::Pending, Self::Sent, Self::Failed].into_iter().find(|m| m.as_str() == s)
    }

    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::Pending => ("待发送", "waiting"),
            Self::Sent => ("已发送", "sent"),
            Self::Failed => ("发送失败", "failed"),
        }
    }
}

/// A message as the administrators' list shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MessageLine {
    pub id: Uuid,
    pub notice: CaseNotice,
    pub case_id: Uuid,
    pub tracking_no: String,
    /// The recipient's phone, masked.
    pub phone_masked: Option<String>,
    pub recipient: Recipient,
    pub state: MessageState,
    pub attempts: i64,
    pub created_at: DateTime<Utc>,
    pub sent_at: Option<DateTime<Utc>>,
    pub provider: Option<String>,
    pub body: Option<String>,
    /// Why the last attempt failed, if it did.
    pub last_error: Option<String>,
}

#[async_trait]
pub trait MessageStore: Send + Sync {
    /// Pending messages due at `now`, oldest first.
    async fn due_messages(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<DueMessage>>;
    /// Logs an attempt and moves the message on: sent, due again, or given up.
    async fn record_message_attempt(
        &self,
        message: &DueMessage,
        outcome: &MessageOutcome,
        duration_ms: i64,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The latest messages, newest first; `case` keeps one case's.
    async fn messages(&self, case: Option<Uuid>, limit: i64) -> Result<Vec<MessageLine>>;
    /// A token that opens the case with this tracking number on the resident's page until
    /// `expires`, without its query code: what a message's link carries.
    fn resident_link_token(&self, tracking_no: &str, expires: DateTime<Utc>) -> String;
}
