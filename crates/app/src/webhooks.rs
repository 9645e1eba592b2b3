//! Other systems' subscriptions to case events: subscribed with a signing secret shown once,
//! stopped at will; the same from the administration page and `grassroots webhook`.

use chrono::Utc;
use grassroots_store::auth::new_token;
use grassroots_store::Webhook;
use uuid::Uuid;

use crate::{AppError, Platform, Result};

/// A subscription just made, with its signing secret: shown this once.
#[derive(Debug, Clone)]
pub struct Subscribed {
    pub webhook: Webhook,
    pub secret: String,
}

/// Subscribes `url` to `topics` (`case.dispatched,…`; empty: every event). Topics may be
/// separated by commas of either width.
#[tracing::instrument(skip_all, fields(name = name))]
pub async fn subscribe(platform: &Platform, name: &str, url: &str, topics: &str) -> Result<Subscribed> {
    let topics: Vec<String> =
        topics.split([',', '，']).map(str::trim).filter(|t| !t.is_empty()).map(String::from).collect();
    let secret = new_token();
    let webhook = platform.store.create_webhook(name, url, &topics, &secret, Utc::now()).await?;
    Ok(Subscribed { webhook, secret })
}

/// Stops a subscription; the events waiting for it are not sent.
pub async fn stop(platform: &Platform, id: Uuid) -> Result<()> {
    platform.store.disable_webhook(id, Utc::now()).await.map_err(|e| match e {
        grassroots_store::StoreError::NotFound => {
            AppError::invalid("disable", "没有这个启用的订阅", "no active subscription has this id")
        }
        e => e.into(),
    })
}
