//! Staff login: a password checked with argon2 opens a session whose token is both the API's
//! bearer token and the web's session cookie. Only a digest of the token is stored.

use std::sync::Arc;

use axum::extract::{FromRequestParts, State};
use axum::http::header::{AUTHORIZATION, COOKIE, SET_COOKIE};
use axum::http::request::Parts;
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::Utc;
use grassroots_domain::{Actor, Capability};
use grassroots_store::auth::{digest, new_token, verify_password};
use grassroots_store::User;
use serde::Deserialize;
use serde_json::json;

use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

pub const SESSION_COOKIE: &str = "grassroots_session";

/// A logged-in staff member.
pub struct Staff {
    pub user: User,
    pub token: String,
}

impl Staff {
    /// Refuses (403, saying why) unless the staff member's role has the capability.
    pub fn require(&self, capability: Capability) -> Result<(), ApiError> {
        if self.user.role.may(capability) {
            return Ok(());
        }
        let (zh, en) = capability.refusal();
        Err(ApiError::Forbidden(format!("{zh} / {en}")))
    }

    pub fn may(&self, capability: Capability) -> bool {
        self.user.role.may(capability)
    }

    pub fn actor(&self) -> Actor {
        Actor::Staff {
            user_id: self.user.id,
            username: self.user.username.clone(),
            role: self.user.role,
            scope: self.user.scope.clone(),
        }
    }
}

pub fn token_from(headers: &HeaderMap) -> Option<String> {
    // The scheme name is case-insensitive (RFC 9110 §11.1).
    let bearer = headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token);
    if let Some(token) = bearer {
        return Some(token.trim().to_string());
    }
    cookie(headers, SESSION_COOKIE)
}

/// The value of the cookie `name`, if the request carries it.
pub fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix(name).and_then(|r| r.strip_prefix('=')).map(str::to_string))
}

async fn staff_from(parts: &Parts, state: &AppState) -> Result<Option<Staff>, ApiError> {
    let Some(token) = token_from(&parts.headers) else { return Ok(None) };
    let user = state.store.session_user(&digest(&token), Utc::now()).await?.ok_or(ApiError::Unauthorized)?;
    Ok(Some(Staff { user, token }))
}

impl FromRequestParts<Arc<AppState>> for Staff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        staff_from(parts, state).await?.ok_or(ApiError::Unauthorized)
    }
}

/// Staff when a session is presented, nobody otherwise (a bad token is still refused).
pub struct MaybeStaff(pub Option<Staff>);

impl FromRequestParts<Arc<AppState>> for MaybeStaff {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        Ok(Self(staff_from(parts, state).await?))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    username: String,
    password: String,
}

pub async fn login(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<LoginRequest>,
) -> Result<Response, ApiError> {
    let session = open_session(&state, &req.username, &req.password).await?.ok_or(ApiError::Unauthorized)?;
    let body = json!({ "token": session.token, "expires_at": session.expires_at, "user": session.user });
    Ok(([(SET_COOKIE, session.cookie)], Json(body)).into_response())
}

/// A session just opened, with the cookie that carries it.
pub struct OpenedSession {
    pub user: User,
    pub token: String,
    pub expires_at: chrono::DateTime<Utc>,
    pub cookie: String,
}

/// Checks a username and password and opens a session; `None` when they do not match (the
/// failure is recorded).
pub async fn open_session(state: &AppState, username: &str, password: &str) -> Result<Option<OpenedSession>, ApiError> {
    let found = state.store.user_by_username(username.trim()).await?;
    // Verify against a fixed hash when the user is unknown, so timing does not tell.
    let hash = found.as_ref().map(|u| u.password_hash.clone()).unwrap_or_else(|| DUMMY_HASH.to_string());
    let password = password.to_string();
    let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash)).await.unwrap_or(false);
    let Some(user) = found.filter(|_| ok).map(|u| u.user) else {
        state.store.record_failed_login(username.trim(), Utc::now()).await?;
        return Ok(None);
    };
    let token = new_token();
    let expires_at = Utc::now() + state.config.session_ttl;
    state.store.create_session(user.id, &digest(&token), expires_at).await?;
    let cookie = format!(
        "{SESSION_COOKIE}={token}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{}",
        state.config.session_ttl.num_seconds(),
        if state.config.secure_cookies { "; Secure" } else { "" }
    );
    Ok(Some(OpenedSession { user, token, expires_at, cookie }))
}

const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$JrnFMX0Vb4xLbpGwcwQXDEqxsfnSl4yzHmRSwPZwSV0";

pub async fn logout(State(state): State<Arc<AppState>>, staff: Staff) -> Result<Response, ApiError> {
    Ok(([(SET_COOKIE, close_session(&state, &staff).await?)], axum::http::StatusCode::NO_CONTENT).into_response())
}

/// Ends the session; returns the cookie that clears it in the browser.
pub async fn close_session(state: &AppState, staff: &Staff) -> Result<String, ApiError> {
    state.store.delete_session(&digest(&staff.token)).await?;
    Ok(format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0"))
}

pub async fn me(staff: Staff) -> Json<User> {
    Json(staff.user)
}
