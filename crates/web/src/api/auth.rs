//! Staff login over JSON: a password checked with argon2 opens a session whose token is both
//! the bearer token and the pages' cookie.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::Json;
use grassroots_store::User;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::ApiJson;
use crate::ratelimit::{limit_public, Client};
use crate::session::{close_session, open_session, Staff};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(OpenApiRouter::new().routes(routes!(login)).route_layer(from_fn_with_state(state.clone(), limit_public)))
        .routes(routes!(logout))
        .routes(routes!(me))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

/// A session just opened.
#[derive(Serialize, utoipa::ToSchema)]
pub struct Session {
    /// The bearer token (`Authorization: Bearer …`); also set as the session cookie.
    token: String,
    expires_at: chrono::DateTime<chrono::Utc>,
    user: User,
}

/// Logs a staff member in. Failed attempts are audited; attempts count against the address's
/// public rate limit, and failures make the address (and, from addresses the account does not
/// usually log in from, the account) wait longer and longer (429). When too many password
/// checks are under way the answer is 503 with `Retry-After`.
#[utoipa::path(post, path = "/v1/auth/login", tag = "auth", request_body = LoginRequest,
    responses(
        (status = 200, description = "Logged in; the token is also set as a cookie", body = Session),
        RateLimited,
        (status = 503, description = "Too many log-ins under way; try again after `Retry-After` seconds", body = ErrorBody,
            headers(("Retry-After" = u64, description = "seconds to wait"))),
        (status = "default", description = "Wrong username or password (401), too many attempts (429), …", body = ErrorBody),
    ))]
pub async fn login(
    State(state): State<Arc<AppState>>,
    Client(client): Client,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = open_session(&state, &req.username, &req.password, client).await?.ok_or(ApiError::unauthorized())?;
    let body = Session { token: session.token, expires_at: session.expires_at, user: session.user };
    Ok(([(SET_COOKIE, session.cookie)], Json(body)).into_response())
}

/// Ends the session.
#[utoipa::path(post, path = "/v1/auth/logout", tag = "auth", security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 204, description = "Logged out; the cookie is cleared"),
        (status = "default", description = "Not logged in (401), …", body = ErrorBody),
    ))]
pub async fn logout(State(state): State<Arc<AppState>>, staff: Staff) -> Result<Response, ApiError> {
    Ok(([(SET_COOKIE, close_session(&state, &staff).await?)], axum::http::StatusCode::NO_CONTENT).into_response())
}

/// The logged-in staff member: username, role and scope.
#[utoipa::path(get, path = "/v1/auth/me", tag = "auth", security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, body = User),
        (status = "default", description = "Not logged in (401), …", body = ErrorBody),
    ))]
pub async fn me(staff: Staff) -> Json<User> {
    Json(staff.user)
}
