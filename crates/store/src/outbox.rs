//! Events for other systems: webhook subscriptions, the fan-out of the outbox into deliveries, and the log of every attempt.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{AttemptOutcome, Delivery, DeliveryAttempt, Result, Webhook};

#[async_trait]
pub trait OutboxStore: Send + Sync {
    /// Checks the URL (http or https) and topics (`case.EVENT`); the secret is kept sealed.
    async fn create_webhook(
        &self,
        name: &str,
        url: &str,
        topics: &[String],
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Webhook>;
    async fn webhooks(&self) -> Result<Vec<Webhook>>;
    async fn webhook_secret(&self, id: Uuid) -> Result<Option<String>>;
    /// Stops deliveries to the webhook; those waiting are left undelivered.
    async fn disable_webhook(&self, id: Uuid, now: DateTime<Utc>) -> Result<()>;
    /// Turns up to `limit` new outbox rows into deliveries: one for each enabled webhook that
    /// existed when the event happened and wants its topic, and one for `nats` if `nats`.
    /// Returns the rows handled.
    async fn fan_out(&self, nats: bool, limit: i64, now: DateTime<Utc>) -> Result<usize>;
    /// Deliveries to `target` whose time has come, each the earliest undelivered event of its
    /// case for that target, so each case's events arrive in order; none of a case with events
    /// not yet fanned out, which may come before.
    async fn due_deliveries(&self, target: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Delivery>>;
    async fn record_attempt(
        &self,
        delivery: &Delivery,
        outcome: &AttemptOutcome,
        duration_ms: i64,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// The latest attempts for `target`, newest first.
    async fn delivery_attempts(&self, target: &str, limit: i64) -> Result<Vec<DeliveryAttempt>>;
    /// Deliveries to `target` not yet taken.
    async fn undelivered(&self, target: &str) -> Result<i64>;
}
