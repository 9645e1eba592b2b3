//! Who the client is, by address, and the public endpoints' limit per client (the buckets
//! are the platform's).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Instant;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use grassroots_domain::Capability;

use crate::error::ApiError;
use crate::AppState;

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

fn client_of(extensions: &axum::http::Extensions) -> IpAddr {
    let ip = extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip()).unwrap_or(IpAddr::from([0, 0, 0, 0]));
    client_key(ip)
}

/// The client, as limits and throttles count it: an IPv4 address or an IPv6 /64.
#[derive(Debug, Clone, Copy)]
pub struct Client(pub IpAddr);

impl<S: Send + Sync> FromRequestParts<S> for Client {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Self(client_of(&parts.extensions)))
    }
}

/// Limits the public endpoints per client address.
pub async fn limit_public(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    match state.limiter.check(client_of(req.extensions()), Instant::now()) {
        Ok(()) => next.run(req).await,
        Err(retry_after_secs) => ApiError::too_many_requests(retry_after_secs).into_response(),
    }
}

/// The limit of the intake API: operators and grid workers taking in requests with a live
/// session (many of them behind one office address) are not limited; anyone else is, as on
/// every public endpoint.
pub async fn limit_intake(State(state): State<Arc<AppState>>, req: Request, next: Next) -> Response {
    if let Some(token) = crate::session::token_from(req.headers()) {
        if let Ok(Some(user)) = grassroots_app::accounts::session_user(&state, &token).await {
            if user.role.may(Capability::TakeInRequests) {
                return next.run(req).await;
            }
        }
    }
    limit_public(State(state), req, next).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_ipv6_client_is_its_whole_network() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        let c: IpAddr = "2001:db8:1:3::1".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_ne!(client_key(a), client_key(c));
    }
}
