//! What every answer and every write passes through: writes from other sites are refused
//! when a browser could have been tricked into making them, and every answer carries the
//! headers that keep a browser from framing, sniffing or leaking it.

use axum::extract::Request;
use axum::http::header::{
    AUTHORIZATION, CACHE_CONTROL, CONTENT_SECURITY_POLICY, HOST, ORIGIN, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
    X_FRAME_OPTIONS,
};
use axum::http::{HeaderMap, HeaderValue, Method};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::ApiError;
use crate::session::{cookie, RESIDENT_COOKIE, SESSION_COOKIE};

/// A browser's request may carry the victim's session cookie, so a write must come from this
/// site: every form post of the pages (the anonymous ones too: a foreign page must not post
/// reports or log-ins through a visitor's browser), and every write to the API or Open311
/// that is authenticated by the cookie rather than by a bearer token or key. "Same site" is
/// not enough: another port of this host is another origin.
pub async fn refuse_cross_site_writes(req: Request, next: Next) -> Response {
    if needs_same_origin(req.method(), req.uri().path(), req.headers()) {
        if let Err(refused) = check_same_origin(req.headers()) {
            return refused.into_response();
        }
    }
    next.run(req).await
}

fn needs_same_origin(method: &Method, path: &str, headers: &HeaderMap) -> bool {
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return false;
    }
    let machine_facing = path.starts_with("/api/") || path.starts_with("/open311/");
    !machine_facing || (has_session_cookie(headers) && !headers.contains_key(AUTHORIZATION))
}

/// Whether the request carries a staff member's or a resident's session cookie.
fn has_session_cookie(headers: &HeaderMap) -> bool {
    cookie(headers, SESSION_COOKIE).is_some() || cookie(headers, RESIDENT_COOKIE).is_some()
}

/// `Sec-Fetch-Site` when the browser sends it, else `Origin` against `Host`. Requests with
/// neither (not from a browser) carry no cookie of a victim's, so they pass.
pub fn check_same_origin(headers: &HeaderMap) -> Result<(), ApiError> {
    let forbidden = || ApiError::forbidden("跨站提交被拒绝", "cross-site write refused");
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return if site == "same-origin" || site == "none" { Ok(()) } else { Err(forbidden()) };
    }
    let Some(origin) = headers.get(ORIGIN) else { return Ok(()) };
    let origin_host = origin.to_str().ok().and_then(|o| o.split_once("://")).map(|(_, host)| host);
    let host = headers.get(HOST).and_then(|h| h.to_str().ok());
    match (origin_host, host) {
        (Some(o), Some(h)) if o.eq_ignore_ascii_case(h) => Ok(()),
        _ => Err(forbidden()),
    }
}

/// Scripts and styles only from this site (style attributes allowed: the legends' swatches
/// carry their colour), no frames, no plugins, forms posting only here.
const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'none'; script-src 'self'; style-src 'self'; \
    style-src-attr 'unsafe-inline'; img-src 'self' data: blob:; connect-src 'self'; form-action 'self'; \
    frame-ancestors 'none'; base-uri 'none'";

/// The headers every answer carries; answers to a signed-in request (staff data, revealed
/// personal data) are, unless they say otherwise, never stored by a browser or a proxy.
pub async fn security_headers(req: Request, next: Next) -> Response {
    let signed_in = req.headers().contains_key(AUTHORIZATION) || has_session_cookie(req.headers());
    let mut response = next.run(req).await;
    let headers = response.headers_mut();
    if signed_in && !headers.contains_key(CACHE_CONTROL) {
        headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    headers.insert(CONTENT_SECURITY_POLICY, HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE));
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("same-origin"));
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&'static str, &'static str)]) -> HeaderMap {
        pairs.iter().map(|(k, v)| (k.parse().unwrap(), HeaderValue::from_static(v))).collect()
    }

    #[test]
    fn only_same_origin_browsers_pass() {
        assert!(check_same_origin(&headers(&[("sec-fetch-site", "same-origin")])).is_ok());
        assert!(check_same_origin(&headers(&[("sec-fetch-site", "same-site")])).is_err(), "another port");
        assert!(check_same_origin(&headers(&[("sec-fetch-site", "cross-site")])).is_err());
        assert!(check_same_origin(&headers(&[("origin", "http://a.test:8080"), ("host", "a.test:8080")])).is_ok());
        assert!(check_same_origin(&headers(&[("origin", "http://a.test:8081"), ("host", "a.test:8080")])).is_err());
        assert!(check_same_origin(&headers(&[("origin", "http://evil.test"), ("host", "a.test:8080")])).is_err());
        assert!(check_same_origin(&headers(&[("origin", "null"), ("host", "a.test")])).is_err());
        assert!(check_same_origin(&headers(&[])).is_ok(), "no browser, no cookie to abuse");
    }

    #[test]
    fn which_requests_are_checked() {
        let cookie = headers(&[("cookie", "grassroots_session=abc")]);
        let bearer = headers(&[("cookie", "grassroots_session=abc"), ("authorization", "Bearer abc")]);
        let none = HeaderMap::new();
        assert!(!needs_same_origin(&Method::GET, "/api/v1/export/cases", &cookie), "reads are never checked");
        assert!(needs_same_origin(&Method::POST, "/api/v1/patrol", &cookie), "the cookie authenticates");
        assert!(!needs_same_origin(&Method::POST, "/api/v1/patrol", &bearer), "the bearer token authenticates");
        assert!(!needs_same_origin(&Method::POST, "/api/v1/cases", &none), "no credentials a browser would add");
        assert!(needs_same_origin(&Method::POST, "/open311/v2/requests.json", &cookie));
        assert!(needs_same_origin(&Method::POST, "/report/details", &none), "every page form");
        assert!(needs_same_origin(&Method::DELETE, "/api/v1/anything", &cookie));
        let resident = headers(&[("cookie", "grassroots_resident=abc")]);
        assert!(needs_same_origin(&Method::DELETE, "/api/v1/residents/sessions/current", &resident));
    }
}
