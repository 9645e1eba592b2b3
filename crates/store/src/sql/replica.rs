//! A PostgreSQL standby that answers the figures (dashboards, rates, maps, rankings) and the
//! exports' pages while it is
//! no further behind the primary than a stated bound; the primary answers them otherwise, so a
//! lagging, promoted or unreachable standby never shows older figures than the bound allows,
//! nor fails a dashboard.

use std::time::{Duration, Instant};

use sqlx::AnyPool;
use sqlx::Row;

use crate::Result;

/// How long a reading of the standby's lag is trusted.
const RECHECK: Duration = Duration::from_secs(1);
/// How long reading the lag may take before the standby counts as out of reach.
const CHECK_TIMEOUT: Duration = Duration::from_millis(500);

/// How far behind its primary the server is, in seconds: 0 on a primary and on a standby that
/// has replayed all it received; a day when it streams from no primary (it cannot know).
const LAG: &str = "SELECT CAST(CASE \
     WHEN NOT pg_is_in_recovery() THEN 0 \
     WHEN NOT EXISTS (SELECT 1 FROM pg_stat_wal_receiver WHERE status = 'streaming') THEN 86400 \
     WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0 \
     ELSE EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()) END AS DOUBLE PRECISION) AS lag";

pub(crate) struct Replica {
    pub(crate) pool: AnyPool,
    max_lag: Duration,
    /// When the lag was last read, and whether it was within the bound then.
    checked: tokio::sync::Mutex<Option<(Instant, bool)>>,
}

impl Replica {
    /// Connections are made when first needed: a standby down at start delays nothing.
    pub(crate) fn new(url: &str, max_lag: Duration, max_connections: u32) -> Result<Self> {
        let pool = super::postgres_pool()
            .max_connections(max_connections.max(1))
            .acquire_timeout(CHECK_TIMEOUT)
            .connect_lazy(url)?;
        Ok(Self { pool, max_lag, checked: tokio::sync::Mutex::new(None) })
    }

    /// Whether the standby may answer now: its lag, read at most once a second, within the bound.
    pub(crate) async fn fresh(&self) -> bool {
        let mut checked = self.checked.lock().await;
        if let Some((at, fresh)) = *checked {
            if at.elapsed() < RECHECK {
                return fresh;
            }
        }
        let fresh = match tokio::time::timeout(CHECK_TIMEOUT, sqlx::query(LAG).fetch_one(&self.pool)).await {
            Ok(Ok(row)) => row.try_get::<f64, _>("lag").is_ok_and(|lag| lag <= self.max_lag.as_secs_f64()),
            Ok(Err(e)) => {
                tracing::debug!(error = %e, "reading the replica's lag");
                false
            }
            Err(_) => false,
        };
        // Said when it changes, not at every check.
        if checked.map(|(_, was)| was) != Some(fresh) {
            if fresh {
                tracing::info!("figures are read from the replica");
            } else {
                tracing::warn!(
                    max_lag_secs = self.max_lag.as_secs_f64(),
                    "the read replica is behind its bound or out of reach: figures come from the primary"
                );
            }
        }
        *checked = Some((Instant::now(), fresh));
        fresh
    }
}
