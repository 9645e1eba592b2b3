//! A span per request — its id, method, route and, when it ends, status and time taken — so
//! that what a use case logs can be found by the request it served. The id comes from the
//! caller's `x-request-id` when it gives a sensible one, and is answered in the same header.

use std::time::Instant;

use axum::extract::{MatchedPath, Request};
use axum::http::HeaderValue;
use axum::middleware::Next;
use axum::response::Response;
use tracing::Instrument;

const REQUEST_ID: &str = "x-request-id";

/// The caller's id if it is short and plain, else a new one.
fn request_id(request: &Request) -> String {
    request
        .headers()
        .get(REQUEST_ID)
        .and_then(|v| v.to_str().ok())
        .filter(|v| !v.is_empty() && v.len() <= 64 && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-'))
        .map_or_else(|| uuid::Uuid::now_v7().to_string(), str::to_string)
}

pub async fn trace_requests(request: Request, next: Next) -> Response {
    let id = request_id(&request);
    // The route's pattern, not the path: a case's id or a tracking number stays out of logs.
    let route = request.extensions().get::<MatchedPath>().map_or("unmatched", |m| m.as_str()).to_string();
    let span = tracing::info_span!("request", id = %id, method = %request.method(), route = %route);
    let started = Instant::now();
    let mut response = next.run(request).instrument(span.clone()).await;
    let status = response.status().as_u16();
    let took_ms = started.elapsed().as_secs_f64() * 1000.0;
    span.in_scope(|| match status {
        500.. => tracing::error!(status, took_ms, "answered"),
        _ => tracing::info!(status, took_ms, "answered"),
    });
    if let Ok(value) = HeaderValue::from_str(&id) {
        response.headers_mut().insert(REQUEST_ID, value);
    }
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_sensible_caller_id_is_kept_and_anything_else_replaced() {
        let with = |v: &str| Request::builder().header(REQUEST_ID, v).body(axum::body::Body::empty()).unwrap();
        assert_eq!(request_id(&with("abc-123")), "abc-123");
        for bad in ["", "a b", "x\\ty", &"x".repeat(65)] {
            let id = request_id(&with(bad));
            assert!(uuid::Uuid::parse_str(&id).is_ok(), "{bad:?} gave {id}");
        }
    }
}
