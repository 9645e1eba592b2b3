//! Event delivery: webhook subscriptions, the fan-out of the outbox into deliveries, and the
//! log of every attempt. The relay (crates/relay) does the sending.

use chrono::{DateTime, Utc};
use grassroots_domain::workflow::EVENT_LABELS;
use grassroots_domain::FieldError;
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::rows::parse_uuid;
use super::{from_ms, insert_rows, ms, Args, SqlStore, IN_LIST};
use crate::crypto::context;
use crate::{AttemptOutcome, Delivery, DeliveryAttempt, Result, StoreError, Webhook, NATS_TARGET};

fn webhook_from_row(r: &AnyRow) -> Result<Webhook> {
    let topics: String = r.try_get("topics")?;
    Ok(Webhook {
        id: parse_uuid(&r.try_get::<String, _>("id")?)?,
        name: r.try_get("name")?,
        url: r.try_get("url")?,
        topics: serde_json::from_str(&topics).map_err(|e| StoreError::Corrupt(format!("webhook topics: {e}")))?,
        created_at: from_ms(r.try_get("created_at")?),
        disabled_at: r.try_get::<Option<i64>, _>("disabled_at")?.map(from_ms),
    })
}

/// Checks a subscription's URL: http or https, a host, no credentials, at most 500 characters.
fn check_url(url: &str) -> std::result::Result<(), FieldError> {
    let bad = |zh: &str, en: &str| Err(FieldError::new("url", zh, en));
    if url.chars().count() > 500 || url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return bad("地址过长或含空白字符", "too long (500 at most) or contains whitespace");
    }
    let Some(rest) = url.strip_prefix("http://").or_else(|| url.strip_prefix("https://")) else {
        return bad("地址应以 http:// 或 https:// 开头", "must start with http:// or https://");
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() || authority.contains('@') {
        return bad("地址应包含主机名，且不含用户名密码", "must name a host, without user or password");
    }
    Ok(())
}

/// Topics are `case.NAME` for the event names the domain knows.
fn check_topics(topics: &[String]) -> std::result::Result<(), FieldError> {
    for topic in topics {
        let known = topic.strip_prefix("case.").is_some_and(|n| EVENT_LABELS.iter().any(|(name, _, _)| *name == n));
        if !known {
            return Err(FieldError::new(
                "topics",
                format!("未知的事件“{topic}”"),
                format!("unknown topic '{topic}': topics are case.EVENT, e.g. case.dispatched"),
            ));
        }
    }
    Ok(())
}

pub(super) fn secret_context(id: Uuid) -> Vec<u8> {
    context(id, "webhook_secret")
}

#[async_trait::async_trait]
impl crate::OutboxStore for SqlStore {
    async fn create_webhook(
        &self,
        name: &str,
        url: &str,
        topics: &[String],
        secret: &str,
        now: DateTime<Utc>,
    ) -> Result<Webhook> {
        let (name, url) = (name.trim(), url.trim());
        if name.is_empty() || name.chars().count() > 100 {
            return Err(
                FieldError::new("name", "请填写名称（最多100个字符）", "required, at most 100 characters").into()
            );
        }
        check_url(url)?;
        check_topics(topics)?;
        if secret.len() < 16 {
            return Err(FieldError::new("secret", "密钥至少16个字符", "at least 16 characters").into());
        }
        let id = Uuid::now_v7();
        let topics_json = serde_json::to_string(topics).expect("strings serialise");
        sqlx::query(
            "INSERT INTO webhooks (id, name, url, topics, secret_enc, created_at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(name.to_string())
        .bind(url.to_string())
        .bind(topics_json)
        .bind(self.cipher.seal(&secret_context(id), secret))
        .bind(ms(now))
        .execute(&self.write)
        .await?;
        Ok(Webhook {
            id,
            name: name.to_string(),
            url: url.to_string(),
            topics: topics.to_vec(),
            created_at: from_ms(ms(now)),
            disabled_at: None,
        })
    }

    async fn webhooks(&self) -> Result<Vec<Webhook>> {
        let rows = sqlx::query("SELECT id, name, url, topics, created_at, disabled_at FROM webhooks ORDER BY id")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(webhook_from_row).collect()
    }

    async fn webhook_secret(&self, id: Uuid) -> Result<Option<String>> {
        let Some(row) = sqlx::query("SELECT secret_enc FROM webhooks WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?
        else {
            return Ok(None);
        };
        let sealed: Vec<u8> = row.try_get("secret_enc")?;
        self.cipher.open(&secret_context(id), &sealed).map(Some).map_err(StoreError::Corrupt)
    }

    async fn disable_webhook(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.stamp_once("webhooks", "disabled_at", id, now).await
    }

    async fn fan_out(&self, nats: bool, limit: i64, now: DateTime<Utc>) -> Result<usize> {
        let mut tx = self.write.begin().await?;
        let rows = sqlx::query(
            "SELECT id, aggregate_id, event_id, topic, payload, created_at FROM outbox \
             WHERE published_at IS NULL ORDER BY created_at, id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&mut *tx)
        .await?;
        if rows.is_empty() {
            return Ok(0);
        }
        let hooks = sqlx::query("SELECT id, topics, created_at FROM webhooks WHERE disabled_at IS NULL")
            .fetch_all(&mut *tx)
            .await?
            .iter()
            .map(|r| {
                let topics: Vec<String> = serde_json::from_str(&r.try_get::<String, _>("topics")?)
                    .map_err(|e| StoreError::Corrupt(format!("webhook topics: {e}")))?;
                Ok((r.try_get::<String, _>("id")?, topics, r.try_get::<i64, _>("created_at")?))
            })
            .collect::<Result<Vec<_>>>()?;
        // (target, outbox id, event id, aggregate id, seq, topic)
        let mut deliveries: Vec<(String, String, String, String, i64, String)> = Vec::new();
        let mut handled = Vec::with_capacity(rows.len());
        for row in &rows {
            let (outbox_id, topic): (String, String) = (row.try_get("id")?, row.try_get("topic")?);
            let created_at: i64 = row.try_get("created_at")?;
            let payload: serde_json::Value = serde_json::from_str(&row.try_get::<String, _>("payload")?)
                .map_err(|e| StoreError::Corrupt(format!("outbox payload: {e}")))?;
            let seq =
                payload["seq"].as_i64().ok_or_else(|| StoreError::Corrupt("outbox payload without seq".into()))?;
            let targets = hooks
                .iter()
                .filter(|(_, topics, since)| *since <= created_at && (topics.is_empty() || topics.contains(&topic)))
                .map(|(id, _, _)| id.clone())
                .chain(nats.then(|| NATS_TARGET.to_string()));
            for target in targets {
                let (event_id, aggregate_id) = (row.try_get("event_id")?, row.try_get("aggregate_id")?);
                deliveries.push((target, outbox_id.clone(), event_id, aggregate_id, seq, topic.clone()));
            }
            handled.push(outbox_id);
        }
        let head = "INSERT INTO deliveries (id, target, outbox_id, event_id, aggregate_id, seq, topic, attempts, \
                    next_attempt_at, created_at)";
        let tail = "ON CONFLICT (target, event_id) DO NOTHING";
        insert_rows(
            &mut tx,
            head,
            10,
            tail,
            deliveries,
            |q, (target, outbox_id, event_id, aggregate_id, seq, topic)| {
                q.bind(Uuid::now_v7().to_string())
                    .bind(target)
                    .bind(outbox_id)
                    .bind(event_id)
                    .bind(aggregate_id)
                    .bind(seq)
                    .bind(topic)
                    .bind(0_i64)
                    .bind(ms(now))
                    .bind(ms(now))
            },
        )
        .await?;
        for chunk in handled.chunks(IN_LIST) {
            let mut args = Args::default();
            let at = args.int(ms(now));
            let ids: Vec<String> = chunk.iter().map(|id| args.text(id.clone())).collect();
            let sql = format!("UPDATE outbox SET published_at = {at} WHERE id IN ({})", ids.join(", "));
            args.bind(sqlx::query(&sql)).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(handled.len())
    }

    async fn due_deliveries(&self, target: &str, now: DateTime<Utc>, limit: i64) -> Result<Vec<Delivery>> {
        let rows = sqlx::query(
            "SELECT d.id, d.target, d.event_id, d.aggregate_id, d.seq, d.topic, d.attempts, o.payload \
             FROM deliveries d JOIN outbox o ON o.id = d.outbox_id \
             WHERE d.target = $1 AND d.delivered_at IS NULL AND d.next_attempt_at <= $2 \
               AND NOT EXISTS (SELECT 1 FROM deliveries e WHERE e.target = d.target AND e.aggregate_id = d.aggregate_id \
                               AND e.delivered_at IS NULL AND e.seq < d.seq) \
               AND NOT EXISTS (SELECT 1 FROM outbox u WHERE u.aggregate_id = d.aggregate_id AND u.published_at IS NULL) \
             ORDER BY d.next_attempt_at, d.created_at, d.seq LIMIT $3",
        )
        .bind(target.to_string())
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.write)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(Delivery {
                    id: parse_uuid(&r.try_get::<String, _>("id")?)?,
                    target: r.try_get("target")?,
                    event_id: parse_uuid(&r.try_get::<String, _>("event_id")?)?,
                    aggregate_id: parse_uuid(&r.try_get::<String, _>("aggregate_id")?)?,
                    seq: r.try_get("seq")?,
                    topic: r.try_get("topic")?,
                    payload: r.try_get("payload")?,
                    attempts: r.try_get("attempts")?,
                })
            })
            .collect()
    }

    async fn record_attempt(
        &self,
        delivery: &Delivery,
        outcome: &AttemptOutcome,
        duration_ms: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let (status, error) = match outcome {
            AttemptOutcome::Delivered { status } => (*status, None),
            AttemptOutcome::Failed { status, error, .. } => {
                (*status, Some(error.chars().take(500).collect::<String>()))
            }
        };
        sqlx::query(
            "INSERT INTO delivery_attempts (id, delivery_id, target, event_id, topic, at, status, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(delivery.id.to_string())
        .bind(delivery.target.clone())
        .bind(delivery.event_id.to_string())
        .bind(delivery.topic.clone())
        .bind(ms(now))
        .bind(status.map(i64::from))
        .bind(error)
        .bind(duration_ms)
        .execute(&mut *tx)
        .await?;
        let update = match outcome {
            AttemptOutcome::Delivered { .. } => {
                sqlx::query("UPDATE deliveries SET attempts = attempts + 1, delivered_at = $1 WHERE id = $2")
                    .bind(ms(now))
            }
            AttemptOutcome::Failed { retry_at, .. } => {
                sqlx::query("UPDATE deliveries SET attempts = attempts + 1, next_attempt_at = $1 WHERE id = $2")
                    .bind(ms(*retry_at))
            }
        };
        update.bind(delivery.id.to_string()).execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn delivery_attempts(&self, target: &str, limit: i64) -> Result<Vec<DeliveryAttempt>> {
        let rows = sqlx::query(
            "SELECT at, event_id, topic, status, error, duration_ms FROM delivery_attempts \
             WHERE target = $1 ORDER BY at DESC, id DESC LIMIT $2",
        )
        .bind(target.to_string())
        .bind(limit.clamp(1, 1000))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(DeliveryAttempt {
                    at: from_ms(r.try_get("at")?),
                    event_id: parse_uuid(&r.try_get::<String, _>("event_id")?)?,
                    topic: r.try_get("topic")?,
                    status: r.try_get::<Option<i64>, _>("status")?.and_then(|s| u16::try_from(s).ok()),
                    error: r.try_get("error")?,
                    duration_ms: r.try_get("duration_ms")?,
                })
            })
            .collect()
    }

    async fn undelivered(&self, target: &str) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM deliveries WHERE target = $1 AND delivered_at IS NULL")
            .bind(target.to_string())
            .fetch_one(&self.read)
            .await?
            .try_get("n")?)
    }
}
