//! 慈善资源 over JSON: anyone reads the funds and their ledgers (donors who asked not to be
//! named left out); staff who run participation open funds in their places and record
//! donations and payments.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use grassroots_app::charity::{self, EntryForm, FundForm};
use grassroots_store::charity::{Fund, FundEntry};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::ApiJson;
use crate::ratelimit::limit_public;
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .merge(
            OpenApiRouter::new()
                .routes(routes!(list))
                .routes(routes!(show))
                .route_layer(from_fn_with_state(state.clone(), limit_public)),
        )
        .routes(routes!(create))
        .routes(routes!(record))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Funds {
    pub funds: Vec<Fund>,
}

/// Every fund with its totals (fen), newest first.
#[utoipa::path(get, path = "/v1/funds", tag = "services",
    responses((status = 200, body = Funds), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Funds>, ApiError> {
    Ok(Json(Funds { funds: charity::list(&state).await? }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FundLedger {
    pub fund: Fund,
    /// Newest first; a donor who asked not to be named is absent.
    pub entries: Vec<FundEntry>,
}

/// A fund and its ledger, as the public reads it.
#[utoipa::path(get, path = "/v1/funds/{id}", tag = "services", params(("id" = Uuid, Path)),
    responses((status = 200, body = FundLedger), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<FundLedger>, ApiError> {
    let ledger = charity::ledger(&state, None, id_in_path(&id)?).await?;
    Ok(Json(FundLedger { fund: ledger.fund, entries: ledger.entries }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FundBody {
    /// A street or community code the caller holds.
    pub region: String,
    pub name: String,
    /// What the fund is for (帮扶困难家庭, 社区微更新, …).
    pub purpose: String,
}

/// Opens a fund of a street or community the caller holds.
#[utoipa::path(post, path = "/v1/funds", tag = "services", request_body = FundBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Fund), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<FundBody>,
) -> Result<(StatusCode, Json<Fund>), ApiError> {
    let form = FundForm { region: b.region, name: b.name, purpose: b.purpose };
    Ok((StatusCode::CREATED, Json(charity::create(&state, &staff.user, form).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EntryBody {
    /// `donation`, `goods_donation`, `spending` or `goods_distribution`.
    pub kind: String,
    /// Yuan, at most two decimals (`"1200"`, `"35.50"`); goods at their value.
    pub amount: String,
    /// What was given, or what it paid for; never whom (the ledger is public).
    pub description: String,
    /// Donations only.
    pub donor: Option<String>,
    /// Whether the donor agreed to be named in public.
    #[serde(default)]
    pub donor_public: bool,
}

/// Records a donation or a payment; a payment beyond the balance is refused on `amount`.
#[utoipa::path(post, path = "/v1/funds/{id}/entries", tag = "services", params(("id" = Uuid, Path)), request_body = EntryBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = FundEntry), (status = "default", description = "A field refused (422), a fund outside the caller's places (404), …", body = ErrorBody)))]
pub async fn record(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<EntryBody>,
) -> Result<(StatusCode, Json<FundEntry>), ApiError> {
    let form = EntryForm {
        kind: b.kind,
        amount: b.amount,
        description: b.description,
        donor: b.donor,
        donor_public: b.donor_public,
    };
    Ok((StatusCode::CREATED, Json(charity::record(&state, &staff.user, id_in_path(&id)?, form).await?)))
}
