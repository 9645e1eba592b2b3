//! Token buckets: per client address for the public endpoints, and per tracking number for
//! attempts at its query code.

use std::collections::HashMap;
use std::hash::Hash;
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use axum::extract::{ConnectInfo, Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use grassroots_domain::Capability;

use crate::error::ApiError;
use crate::AppState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub per_minute: u32,
    pub burst: u32,
}

pub struct Limiter<K = IpAddr> {
    limit: RateLimit,
    buckets: Mutex<HashMap<K, (f64, Instant)>>,
}

/// Buckets idle long enough to be full again are forgotten beyond this many clients.
const MAX_TRACKED: usize = 100_000;

impl<K: Hash + Eq> Limiter<K> {
    pub fn new(limit: RateLimit) -> Self {
        Self { limit, buckets: Mutex::new(HashMap::new()) }
    }

    /// Takes a token for `key`, or says how many seconds until one is available.
    pub fn check(&self, key: K, now: Instant) -> Result<(), u64> {
        let rate = f64::from(self.limit.per_minute) / 60.0;
        let burst = f64::from(self.limit.burst.max(1));
        let mut buckets = self.buckets.lock().unwrap_or_else(|e| e.into_inner());
        if buckets.len() > MAX_TRACKED {
            buckets.retain(|_, (tokens, at)| *tokens + now.duration_since(*at).as_secs_f64() * rate < burst);
        }
        let (tokens, at) = buckets.entry(key).or_insert((burst, now));
        *tokens = (*tokens + now.duration_since(*at).as_secs_f64() * rate).min(burst);
        *at = now;
        if *tokens >= 1.0 {
            *tokens -= 1.0;
            Ok(())
        } else if rate <= 0.0 {
            Err(60)
        } else {
            Err(((1.0 - *tokens) / rate).ceil() as u64)
        }
    }
}

/// One bucket per IPv4 address or IPv6 /64 network (a client holds a whole /64).
fn client_key(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => {
            let mut segments = v6.segments();
            segments[4..].fill(0);
            IpAddr::from(segments)
        }
        v4 => v4,
    }
}

/// Limits the public endpoints per client address. Operators and grid workers taking in
/// requests with a live session (many of them behind one office address) are not limited on
/// intake; everything else, including any staff on tracking and login, is.
pub async fn limit_public(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    let intake = req.method() == axum::http::Method::POST && req.uri().path() == "/api/v1/cases";
    if let Some(token) = crate::auth::token_from(req.headers()).filter(|_| intake) {
        let digest = grassroots_store::auth::digest(&token);
        if let Ok(Some(user)) = state.store.session_user(&digest, chrono::Utc::now()).await {
            if user.role.may(Capability::TakeInRequests) {
                return next.run(req).await;
            }
        }
    }
    let ip = req.extensions().get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    match state.limiter.check(client_key(ip), Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(retry_after_secs) => ApiError::TooManyRequests { retry_after_secs }.into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn buckets_refill_at_the_configured_rate() {
        let l = Limiter::new(RateLimit { per_minute: 60, burst: 2 });
        let ip = IpAddr::from([10, 0, 0, 1]);
        let t0 = Instant::now();
        assert!(l.check(ip, t0).is_ok());
        assert!(l.check(ip, t0).is_ok());
        assert_eq!(l.check(ip, t0), Err(1));
        assert!(l.check(IpAddr::from([10, 0, 0, 2]), t0).is_ok(), "other clients have their own bucket");
        assert!(l.check(ip, t0 + Duration::from_millis(1100)).is_ok());
    }

    #[test]
    fn an_ipv6_client_is_its_whole_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
    }
}
