//! The notification gateway: sends the messages queued for residents and staff on duty (see
//! `grassroots_store::messages`) and the texts of emergency notices (see
//! `grassroots_store::emergencies`) through a configured HTTP SMS provider, or, for development
//! and the demo, into a sink whose messages administrators read on a page.
//!
//! A provider receives `POST` JSON `{"id", "to", "text"}` with `X-Grassroots-Message-Id` (the
//! same at every attempt, for de-duplication), `X-Grassroots-Timestamp` and
//! `X-Grassroots-Signature: sha256=HEX` (HMAC-SHA256 of `TIMESTAMP.BODY` under the provider's
//! secret, as for webhooks). A 2xx answer means taken. Failures are retried with the relay's
//! backoff for a day; a message about a case's progress is no use after that, and is given up.

use std::sync::Arc;
use std::time::Instant;

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::notices::CaseNotice;
use grassroots_store::messages::{MessageOutcome, Recipient};
use grassroots_store::Store;
use http_body_util::Full;

use crate::{backoff, run_leased, signature, HttpClient, RelayError, TIMEOUT};

/// Messages sent per round.
const BATCH: i64 = 100;
/// A message not sent within this long after its event is given up.
const GIVE_UP_AFTER: Duration = Duration::hours(24);

/// Posts one text to the provider: its status when taken (2xx), else the status if any and
/// why not.
async fn post(
    http: &HttpClient,
    url: &str,
    secret: &str,
    id: uuid::Uuid,
    to: &str,
    text: &str,
) -> Result<u16, (Option<u16>, String)> {
    let payload = serde_json::json!({ "id": id, "to": to, "text": text }).to_string();
    let timestamp = Utc::now().timestamp();
    let request = hyper::Request::post(url)
        .header("content-type", "application/json")
        .header("user-agent", "grassroots-notify")
        .header("x-grassroots-message-id", id.to_string())
        .header("x-grassroots-timestamp", timestamp.to_string())
        .header("x-grassroots-signature", signature(secret, timestamp, payload.as_bytes()))
        .body(Full::new(Bytes::from(payload)))
        .map_err(|e| (None, format!("bad request: {e}")))?;
    match tokio::time::timeout(TIMEOUT, http.request(request)).await {
        Err(_) => Err((None, format!("no answer within {} s", TIMEOUT.as_secs()))),
        Ok(Err(e)) => Err((None, e.to_string())),
        Ok(Ok(answer)) if answer.status().is_success() => Ok(answer.status().as_u16()),
        Ok(Ok(answer)) => Err((Some(answer.status().as_u16()), format!("answered {}", answer.status()))),
    }
}

/// Sends a text at once through an HTTP provider, for what is not queued (a resident's sign-in
/// code, kept only as a digest): the asker learns whether it was taken.
pub struct DirectTexts {
    url: String,
    secret: String,
    http: HttpClient,
}

impl DirectTexts {
    pub fn new(url: String, secret: String) -> Self {
        Self { url, secret, http: crate::http_client() }
    }

    /// Posts `text` to `to` under a fresh message id; why not, when the provider did not take it.
    pub async fn send(&self, to: &str, text: &str) -> Result<(), String> {
        post(&self.http, &self.url, &self.secret, uuid::Uuid::now_v7(), to, text)
            .await
            .map(drop)
            .map_err(|(_, why)| why)
    }
}

/// Where messages go.
pub enum Provider {
    /// Kept in the store only, for development and the demo: marked sent, read on the
    /// administrators' page of messages.
    Sink,
    /// An HTTP SMS provider (or a bridge to one).
    Http { url: String, secret: String },
}

impl Provider {
    /// The name kept with each attempt.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Sink => "sink",
            Self::Http { .. } => "http",
        }
    }
}

/// A text being sent: its id (the provider's key against duplicates), the attempts made, and
/// when it was queued (it is given up a day later).
struct Sending {
    id: uuid::Uuid,
    attempts: i64,
    created_at: DateTime<Utc>,
}

pub struct Notifier {
    store: Arc<dyn Store>,
    provider: Provider,
    /// The platform's address as residents reach it, without a trailing slash.
    public_url: String,
    http: HttpClient,
}

impl Notifier {
    pub fn new(store: Arc<dyn Store>, provider: Provider, public_url: &str) -> Self {
        Self { store, provider, public_url: public_url.trim_end_matches('/').to_string(), http: crate::http_client() }
    }

    /// The link a message carries: the resident's page of the case, opened by a signed token.
    pub fn link(&self, tracking_no: &str, now: DateTime<Utc>) -> String {
        let token = self
            .store
            .resident_link_token(tracking_no, now + Duration::days(grassroots_domain::notices::LINK_VALID_DAYS));
        format!("{}/track?t={token}", self.public_url)
    }

    /// Sends what is due at `now`, emergency notices first; returns how many attempts were made.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<usize, RelayError> {
        let alerts = self.send_alerts(now).await?;
        let due = self.store.due_messages(now, BATCH).await?;
        for message in &due {
            let started = Instant::now();
            let unit = message.lead_unit_name.as_deref();
            let outcome = match &message.phone {
                None => MessageOutcome::Failed {
                    provider: self.provider.name().to_string(),
                    status: None,
                    error: "no phone number: the reporter's was erased".to_string(),
                    body: None,
                    retry_at: None,
                },
                Some(phone) => {
                    let link = match (message.notice, message.recipient) {
                        // The survey asks them to sign in on 我的 with this number to answer.
                        (CaseNotice::SurveyInvite, _) => format!("{}/surveys/{}", self.public_url, message.about),
                        (_, Recipient::Reporter) => self.link(&message.tracking_no, now),
                        // One who joined the case (附议) follows it as the public sees it.
                        (_, Recipient::Supporter) => {
                            format!("{}/public/cases/{}", self.public_url, message.tracking_no)
                        }
                        (_, Recipient::Staff) => format!("{}/cases/{}", self.public_url, message.case_id),
                    };
                    let body = message.notice.text(&message.tracking_no, unit, &link);
                    let sending =
                        Sending { id: message.id, attempts: message.attempts, created_at: message.created_at };
                    self.send(sending, phone, body, now).await
                }
            };
            let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
            self.store.record_message_attempt(message, &outcome, elapsed, now).await?;
        }
        Ok(alerts + due.len())
    }

    /// The texts of emergency notices: to the area's grid workers and subscribed residents.
    async fn send_alerts(&self, now: DateTime<Utc>) -> Result<usize, RelayError> {
        let due = self.store.due_alerts(now, BATCH).await?;
        for alert in &due {
            let outcome = match &alert.phone {
                None => MessageOutcome::Failed {
                    provider: self.provider.name().to_string(),
                    status: None,
                    error: "no phone number on the account".to_string(),
                    body: None,
                    retry_at: None,
                },
                Some(phone) => {
                    let body = grassroots_domain::emergencies::notice_text(&alert.text, alert.drill);
                    self.send(
                        Sending { id: alert.id, attempts: alert.attempts, created_at: alert.created_at },
                        phone,
                        body,
                        now,
                    )
                    .await
                }
            };
            self.store.record_alert_attempt(alert, &outcome, now).await?;
        }
        Ok(due.len())
    }

    async fn send(&self, sending: Sending, phone: &str, body: String, now: DateTime<Utc>) -> MessageOutcome {
        let provider = self.provider.name().to_string();
        let (url, secret) = match &self.provider {
            Provider::Sink => return MessageOutcome::Sent { provider, status: None, body },
            Provider::Http { url, secret } => (url, secret),
        };
        let (status, error) = match post(&self.http, url, secret, sending.id, phone, &body).await {
            Ok(status) => return MessageOutcome::Sent { provider, status: Some(status), body },
            Err(refused) => refused,
        };
        let retry_at = now.max(Utc::now()) + backoff(sending.attempts);
        let retry_at = (retry_at < sending.created_at + GIVE_UP_AFTER).then_some(retry_at);
        MessageOutcome::Failed { provider, status, error, body: Some(body), retry_at }
    }

    /// Runs rounds for ever, one process at a time across servers (a lease), resting a second
    /// when there is nothing to send.
    pub async fn run(self, holder: String) {
        run_leased(&*self.store.clone(), "notifier", &holder, |now| self.run_once(now)).await
    }
}
