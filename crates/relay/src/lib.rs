//! The outbox relay: case events, written to the outbox in the same transaction as the change,
//! delivered to other systems at least once.
//!
//! Each round fans new outbox rows out into deliveries (one per subscribed webhook, and one for
//! NATS JetStream when configured), then sends what is due, the earliest undelivered event of
//! each case first, so a receiver sees each case's events in order. A failed attempt is logged
//! and retried with exponential backoff (5 s doubling to 10 min) for as long as it takes: a
//! receiver that was down gets everything once it is back. Every message carries the event's
//! id, the same at every attempt, for de-duplication.
//!
//! Webhooks are POSTed as JSON with `X-Grassroots-Event` (topic), `X-Grassroots-Event-Id`,
//! `X-Grassroots-Timestamp` (Unix seconds) and `X-Grassroots-Signature: sha256=HEX`, the
//! HMAC-SHA256 of `TIMESTAMP.BODY` with the subscription's secret. NATS messages go to
//! `grassroots.case.EVENT` on the stream `GRASSROOTS`, with `Nats-Msg-Id` = the event id.

pub mod notify;

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use bytes::Bytes;
use chrono::{DateTime, Duration, Utc};
use grassroots_store::{AttemptOutcome, Delivery, Store, StoreError, Webhook, NATS_TARGET};
use hmac::{Hmac, Mac};
use http_body_util::Full;
use hyper_util::client::legacy::Client;
use sha2::Sha256;

/// The stream NATS events are kept in, and the subjects it holds.
pub const STREAM: &str = "GRASSROOTS";
const SUBJECTS: &str = "grassroots.>";
/// How long a receiver has to answer.
pub(crate) const TIMEOUT: StdDuration = StdDuration::from_secs(10);
/// Outbox rows fanned out, and deliveries sent per target, per round.
const BATCH: i64 = 500;
/// How long the relay and the notification gateway hold their leases, renewed every round.
const LEASE: i64 = 30;
/// A round starts no attempt after this long, so that with the last attempt's timeout it ends
/// well within the lease and no other server's relay overlaps it.
const ROUND: StdDuration = StdDuration::from_secs(15);

#[derive(Debug, thiserror::Error)]
pub enum RelayError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("NATS at {url}: {reason}")]
    Nats { url: String, reason: String },
}

/// The URL without a user or password, for logs and errors (each of a list of servers).
pub fn redacted(url: &str) -> String {
    let one =
        |url: &str| match url.split_once("://").and_then(|(scheme, rest)| Some((scheme, rest.rsplit_once('@')?.1))) {
            Some((scheme, host)) => format!("{scheme}://…@{host}"),
            None => url.to_string(),
        };
    url.split(',').map(one).collect::<Vec<_>>().join(",")
}

/// The servers of a NATS cluster to connect to, separated by commas: the client takes the
/// first that answers, learns the others from it, and moves to another when its server goes.
fn seeds(url: &str) -> Vec<&str> {
    url.split(',').map(str::trim).filter(|u| !u.is_empty()).collect()
}

/// The wait before attempt `attempts + 1`: 5 s, doubling, at most 10 minutes.
pub fn backoff(attempts: i64) -> Duration {
    Duration::seconds(5 * (1_i64 << attempts.clamp(0, 7))).min(Duration::minutes(10))
}

/// `sha256=HEX`: the HMAC-SHA256 of `TIMESTAMP.BODY` under the subscription's secret.
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    let hex: String = mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256={hex}")
}

/// How an attempt went: the HTTP status when there is one, and why it failed.
type Attempt = Result<Option<u16>, (Option<u16>, String)>;

pub(crate) type HttpClient =
    Client<hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>, Full<Bytes>>;

/// A client for http and https receivers.
pub(crate) fn http_client() -> HttpClient {
    let https = hyper_rustls::HttpsConnectorBuilder::new().with_webpki_roots().https_or_http().enable_http1().build();
    Client::builder(hyper_util::rt::TokioExecutor::new()).build(https)
}

pub struct Relay {
    store: Arc<dyn Store>,
    http: HttpClient,
    nats: Option<Nats>,
}

/// The NATS connection, made in the background and retried, and whether the stream is known to
/// exist yet: a server starts and serves while NATS is down, and its events wait.
struct Nats {
    jetstream: async_nats::jetstream::Context,
    stream_ready: tokio::sync::OnceCell<()>,
}

impl Relay {
    /// A relay for webhooks, and for NATS JetStream at `nats_url` if given (the stream is
    /// created there if it is missing). Connecting to NATS goes on in the background.
    pub async fn new(store: Arc<dyn Store>, nats_url: Option<&str>) -> Result<Self, RelayError> {
        let http = http_client();
        let nats = match nats_url {
            Some(url) => {
                let client = async_nats::ConnectOptions::new()
                    .retry_on_initial_connect()
                    .connect(seeds(url))
                    .await
                    .map_err(|e| RelayError::Nats { url: redacted(url), reason: e.to_string() })?;
                Some(Nats { jetstream: async_nats::jetstream::new(client), stream_ready: tokio::sync::OnceCell::new() })
            }
            None => None,
        };
        Ok(Self { store, http, nats })
    }

    /// One round at `now`: fan out new events, then make every attempt that is due. Returns
    /// the number of outbox rows and attempts handled, so a caller can go on while there is work.
    pub async fn run_once(&self, now: DateTime<Utc>) -> Result<usize, RelayError> {
        let ends = Instant::now() + ROUND;
        let mut done = self.store.fan_out(self.nats.is_some(), BATCH, now).await?;
        let hooks: Vec<Webhook> =
            self.store.webhooks().await?.into_iter().filter(|w| w.disabled_at.is_none()).collect();
        // Each target goes at its own pace: a slow receiver holds back only its own events.
        let webhooks = futures_util::future::join_all(hooks.iter().map(|hook| self.deliver_webhook(hook, now, ends)));
        let nats = async {
            match &self.nats {
                Some(nats) => self.deliver_nats(nats, now, ends).await,
                None => Ok(0),
            }
        };
        let (webhooks, nats) = tokio::join!(webhooks, nats);
        for attempts in webhooks {
            done += attempts?;
        }
        Ok(done + nats?)
    }

    /// Runs rounds for ever, one process at a time across servers (a lease), resting a second
    /// when there is nothing to do.
    pub async fn run(self, holder: String) {
        run_leased(&*self.store.clone(), "outbox-relay", &holder, |now| self.run_once(now)).await
    }

    async fn deliver_webhook(&self, hook: &Webhook, now: DateTime<Utc>, ends: Instant) -> Result<usize, RelayError> {
        let target = hook.id.to_string();
        let due = self.store.due_deliveries(&target, now, BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        let secret = self.store.webhook_secret(hook.id).await?.unwrap_or_default();
        let mut attempts = 0;
        for delivery in due.iter().take_while(|_| Instant::now() < ends) {
            let started = Instant::now();
            let outcome = self.post(hook, &secret, delivery).await;
            self.record(delivery, outcome, started, now).await?;
            attempts += 1;
        }
        Ok(attempts)
    }

    async fn post(&self, hook: &Webhook, secret: &str, d: &Delivery) -> Attempt {
        let timestamp = Utc::now().timestamp();
        let body = Bytes::from(d.payload.clone());
        let request = hyper::Request::post(&hook.url)
            .header("content-type", "application/json")
            .header("user-agent", "grassroots-relay")
            .header("x-grassroots-event", &d.topic)
            .header("x-grassroots-event-id", d.event_id.to_string())
            .header("x-grassroots-timestamp", timestamp.to_string())
            .header("x-grassroots-signature", signature(secret, timestamp, &body))
            .body(Full::new(body))
            .map_err(|e| (None, format!("bad request: {e}")))?;
        match tokio::time::timeout(TIMEOUT, self.http.request(request)).await {
            Err(_) => Err((None, format!("no answer within {} s", TIMEOUT.as_secs()))),
            Ok(Err(e)) => Err((None, format!("{e}"))),
            Ok(Ok(response)) if response.status().is_success() => Ok(Some(response.status().as_u16())),
            Ok(Ok(response)) => {
                let status = response.status();
                Err((Some(status.as_u16()), format!("answered {status}")))
            }
        }
    }

    async fn deliver_nats(&self, nats: &Nats, now: DateTime<Utc>, ends: Instant) -> Result<usize, RelayError> {
        let due = self.store.due_deliveries(NATS_TARGET, now, BATCH).await?;
        if due.is_empty() {
            return Ok(0);
        }
        if let Err(e) = nats.stream_ready.get_or_try_init(|| ensure_stream(&nats.jetstream)).await {
            // Not reachable yet: the events wait, unattempted, for the next round.
            tracing::warn!(error = %e, "NATS JetStream");
            return Ok(0);
        }
        let mut attempts = 0;
        for delivery in due.iter().take_while(|_| Instant::now() < ends) {
            let started = Instant::now();
            let outcome = publish(&nats.jetstream, delivery).await.map(|()| None).map_err(|e| (None, e));
            self.record(delivery, outcome, started, now).await?;
            attempts += 1;
        }
        Ok(attempts)
    }

    async fn record(
        &self,
        delivery: &Delivery,
        outcome: Attempt,
        started: Instant,
        now: DateTime<Utc>,
    ) -> Result<(), RelayError> {
        let outcome = match outcome {
            Ok(status) => AttemptOutcome::Delivered { status },
            // From when it failed, not when the round began: a round may be long.
            Err((status, error)) => {
                AttemptOutcome::Failed { status, error, retry_at: now.max(Utc::now()) + backoff(delivery.attempts) }
            }
        };
        let elapsed = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        Ok(self.store.record_attempt(delivery, &outcome, elapsed, now).await?)
    }
}

/// Runs `round` for ever, one process at a time across servers (the lease `lease`), resting a
/// second after a round that did nothing or failed.
///
/// The lease is written again only when less of it is left than a round may take (`ROUND` and
/// an attempt's `TIMEOUT`): under load rounds follow each other every few milliseconds, and a
/// claim each would be a commit each, queued with the reports' on SQLite's one writer.
pub(crate) async fn run_leased<F, R>(store: &dyn Store, lease: &str, holder: &str, mut round: F)
where
    F: FnMut(DateTime<Utc>) -> R,
    R: std::future::Future<Output = Result<usize, RelayError>>,
{
    let mut held_until: Option<DateTime<Utc>> = None;
    loop {
        let now = Utc::now();
        if must_claim(held_until, now) {
            held_until = match store.claim_lease(lease, holder, now, Duration::seconds(LEASE)).await {
                Ok(true) => Some(now + Duration::seconds(LEASE)),
                Ok(false) => None,
                Err(e) => {
                    tracing::warn!(error = %e, lease, "lease");
                    None
                }
            };
        }
        let worked = match held_until {
            Some(_) => round(now).await.unwrap_or_else(|e| {
                tracing::warn!(error = %e, lease, "round failed");
                0
            }),
            None => 0,
        };
        if worked == 0 {
            tokio::time::sleep(StdDuration::from_secs(1)).await;
        }
    }
}

/// Whether the lease must be claimed before the next round: it is not held, or less of it is
/// left than a round may take, so that no round outlasts the lease it began under.
fn must_claim(held_until: Option<DateTime<Utc>>, now: DateTime<Utc>) -> bool {
    let longest_round = Duration::from_std(ROUND + TIMEOUT).unwrap_or(Duration::seconds(LEASE));
    held_until.is_none_or(|until| until - now <= longest_round)
}

/// Creates the stream if it is missing.
async fn ensure_stream(jetstream: &async_nats::jetstream::Context) -> Result<(), String> {
    let config = async_nats::jetstream::stream::Config {
        name: STREAM.to_string(),
        subjects: vec![SUBJECTS.to_string()],
        ..Default::default()
    };
    let creating = jetstream.get_or_create_stream(config);
    match tokio::time::timeout(TIMEOUT, creating).await {
        Ok(Ok(_)) => Ok(()),
        Ok(Err(e)) => Err(e.to_string()),
        Err(_) => Err("no answer".into()),
    }
}

/// Publishes one event and waits for the stream's acknowledgement; the message id lets the
/// stream drop a repeat sent after an acknowledgement was lost.
async fn publish(jetstream: &async_nats::jetstream::Context, d: &Delivery) -> Result<(), String> {
    let mut headers = async_nats::HeaderMap::new();
    headers.insert("Nats-Msg-Id", d.event_id.to_string().as_str());
    let subject = format!("grassroots.{}", d.topic);
    let ack = jetstream
        .publish_with_headers(subject, headers, Bytes::from(d.payload.clone()))
        .await
        .map_err(|e| e.to_string())?;
    tokio::time::timeout(TIMEOUT, ack)
        .await
        .map_err(|_| "no acknowledgement".to_string())?
        .map_err(|e| e.to_string())?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_lose_their_credentials_in_logs() {
        assert_eq!(redacted("nats://relay:s3cret@10.0.0.5:4222"), "nats://…@10.0.0.5:4222");
        assert_eq!(redacted("nats://127.0.0.1:4222"), "nats://127.0.0.1:4222");
        assert_eq!(redacted("nats://a:x@n1:4222,nats://a:x@n2:4222"), "nats://…@n1:4222,nats://…@n2:4222");
    }

    #[test]
    fn a_cluster_is_given_as_servers_separated_by_commas() {
        assert_eq!(seeds("nats://n1:4222, nats://n2:4222,"), ["nats://n1:4222", "nats://n2:4222"]);
        assert_eq!(seeds("nats://127.0.0.1:4222"), ["nats://127.0.0.1:4222"]);
    }

    #[test]
    fn a_lease_is_claimed_again_only_when_a_round_could_outlast_it() {
        let now = Utc::now();
        let longest_round = Duration::from_std(ROUND + TIMEOUT).unwrap();
        assert!(Duration::seconds(LEASE) > longest_round, "a fresh lease covers a whole round");
        assert!(must_claim(None, now), "not held");
        assert!(!must_claim(Some(now + Duration::seconds(LEASE)), now), "just claimed: the rounds run on it");
        assert!(!must_claim(Some(now + longest_round + Duration::milliseconds(1)), now), "a round still fits");
        assert!(must_claim(Some(now + longest_round), now), "a round might outlast it");
        assert!(must_claim(Some(now - Duration::seconds(1)), now), "lapsed");
    }

    #[test]
    fn backoff_doubles_from_five_seconds_to_ten_minutes() {
        let waits: Vec<i64> = (0..9).map(|a| backoff(a).num_seconds()).collect();
        assert_eq!(waits, [5, 10, 20, 40, 80, 160, 320, 600, 600]);
    }
}
