//! Residents' accounts over JSON: a code texted to a mobile, a session opened with it (its
//! token both the bearer token and the `grassroots_resident` cookie), the resident's own page.

use std::sync::Arc;

use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_app::residents;
use grassroots_store::residents::Resident;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::ApiJson;
use crate::ratelimit::{limit_public, Client};
use crate::session::{cleared_resident_cookie, resident_cookie, SignedIn};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(send_code))
                .routes(routes!(sign_in))
                .route_layer(from_fn_with_state(state.clone(), limit_public)),
        )
        .routes(routes!(sign_out))
        .routes(routes!(me, close_account))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CodeRequest {
    /// A mainland mobile number (11 digits; spaces, dashes and +86 are accepted).
    phone: String,
}

/// A code sent.
#[derive(Serialize, utoipa::ToSchema)]
pub struct CodeSentBody {
    /// The number it went to, masked (138****8000).
    phone_masked: String,
    /// Until when the code may be used.
    expires_at: DateTime<Utc>,
}

/// Texts a six-digit sign-in code to the number. At most one a minute, five an hour and ten a
/// day go to a number, and twenty an hour are asked from an address (429 with `Retry-After`);
/// the code is kept only as a keyed digest.
#[utoipa::path(post, path = "/v1/residents/codes", tag = "residents", request_body = CodeRequest,
    responses(
        (status = 202, description = "The code was sent", body = CodeSentBody),
        RateLimited,
        (status = "default", description = "Not a mainland mobile (422, field `phone`), the provider did not take the text (503), …", body = ErrorBody),
    ))]
pub async fn send_code(
    State(state): State<Arc<AppState>>,
    Client(client): Client,
    ApiJson(req): ApiJson<CodeRequest>,
) -> Result<(StatusCode, Json<CodeSentBody>), ApiError> {
    let sent = residents::send_code(&state, &req.phone, client).await?;
    Ok((StatusCode::ACCEPTED, Json(CodeSentBody { phone_masked: sent.phone_masked, expires_at: sent.expires_at })))
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignInRequest {
    phone: String,
    /// The six digits texted.
    code: String,
}

/// A resident's account as they see it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResidentBody {
    id: uuid::Uuid,
    phone_masked: String,
    created_at: DateTime<Utc>,
}

impl From<&Resident> for ResidentBody {
    fn from(r: &Resident) -> Self {
        Self { id: r.id, phone_masked: r.phone_masked.clone(), created_at: r.created_at }
    }
}

/// A resident's session just opened.
#[derive(Serialize, utoipa::ToSchema)]
pub struct ResidentSessionBody {
    /// The bearer token (`Authorization: Bearer …`); also set as the `grassroots_resident` cookie.
    token: String,
    expires_at: DateTime<Utc>,
    resident: ResidentBody,
}

/// Signs a resident in with the code texted to their number; the first sign-in makes their
/// account. A wrong code is counted: after five the code is spent and a new one must be asked.
#[utoipa::path(post, path = "/v1/residents/sessions", tag = "residents", request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in; the token is also set as a cookie", body = ResidentSessionBody),
        RateLimited,
        (status = "default", description = "A wrong, expired or spent code (422, field `code`), …", body = ErrorBody),
    ))]
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    ApiJson(req): ApiJson<SignInRequest>,
) -> Result<Response, ApiError> {
    let session = residents::sign_in(&state, &req.phone, &req.code).await?;
    let cookie = resident_cookie(&state, &session);
    let body = ResidentSessionBody {
        token: session.token,
        expires_at: session.expires_at,
        resident: ResidentBody::from(&session.resident),
    };
    Ok((StatusCode::CREATED, [(SET_COOKIE, cookie)], Json(body)).into_response())
}

/// Signs the resident out on this device.
#[utoipa::path(delete, path = "/v1/residents/sessions/current", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = "default", description = "Not signed in (401), …", body = ErrorBody),
    ))]
pub async fn sign_out(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Result<Response, ApiError> {
    residents::sign_out(&state, &signed_in.token).await?;
    let cleared = cleared_resident_cookie();
    Ok(([(SET_COOKIE, cleared)], StatusCode::NO_CONTENT).into_response())
}

/// A report of the resident's, as listed on their page.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MyReport {
    tracking_no: String,
    /// The case's state code (`received`, `dispatched`, …).
    state: String,
    /// The state in Chinese, as the resident reads it.
    state_zh: String,
    category_code: String,
    category_name: Option<String>,
    received_at: DateTime<Utc>,
    /// The case's tracking page, opened without its query code (a signed link, 90 days).
    link: String,
}

/// The resident's own page: their account and the cases reported from their number.
#[derive(Serialize, utoipa::ToSchema)]
pub struct MyPageBody {
    resident: ResidentBody,
    reports: Vec<MyReport>,
}

/// The signed-in resident's account and their reports (the cases reported from their number,
/// newest first, up to 100).
#[utoipa::path(get, path = "/v1/residents/me", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses(
        (status = 200, body = MyPageBody),
        (status = "default", description = "Not signed in (401), …", body = ErrorBody),
    ))]
pub async fn me(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Result<Json<MyPageBody>, ApiError> {
    let page = residents::my_page(&state, signed_in.resident).await?;
    let reference = state.reference();
    let reports = page.reports.iter().map(|mine| my_report(mine, &reference)).collect();
    Ok(Json(MyPageBody { resident: ResidentBody::from(&page.resident), reports }))
}

fn my_report(mine: &residents::MyReport, reference: &grassroots_domain::reference::Reference) -> MyReport {
    let r = &mine.report;
    MyReport {
        tracking_no: r.tracking_no.clone(),
        state: r.state.as_str().to_string(),
        state_zh: r.state.label_zh().to_string(),
        category_code: r.category_code.clone(),
        category_name: reference.taxonomy.get(&r.category_code).map(|c| c.name_zh.clone()),
        received_at: r.received_at,
        link: format!("/track?t={}", mine.link_token),
    }
}

/// Closes the signed-in resident's account (注销): signed out on every device, their number
/// forgotten with the account. The cases they reported stay.
#[utoipa::path(delete, path = "/v1/residents/me", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses(
        (status = 204, description = "Closed; the cookie is cleared"),
        (status = "default", description = "Not signed in (401), …", body = ErrorBody),
    ))]
pub async fn close_account(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Result<Response, ApiError> {
    residents::close_account(&state, &signed_in.resident).await?;
    Ok(([(SET_COOKIE, cleared_resident_cookie())], StatusCode::NO_CONTENT).into_response())
}
