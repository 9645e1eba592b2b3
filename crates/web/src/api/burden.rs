//! 减负 over JSON: the 准入清单 of a district, kept by staff who hold it; impositions registered
//! by community staff, flagged when not on the list or asking for what the platform holds; the
//! totals per community.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::NaiveDate;
use grassroots_app::burden::{self, EntryForm, ImpositionForm};
use grassroots_domain::burden::BurdenTotals;
use grassroots_store::burden::{CommunityBurden, Imposition, ListEntry};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::{id_in_path, optional_day};
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can, Staff};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(entries, add_entry))
        .routes(routes!(withdraw_entry))
        .routes(routes!(impositions, register))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// The district (6 digits).
    district: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BurdenList {
    /// Current entries first, withdrawn ones last.
    pub entries: Vec<ListEntry>,
}

/// A district's 准入清单.
#[utoipa::path(get, path = "/v1/burden/list", tag = "burden", params(ListParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = BurdenList), (status = "default", body = ErrorBody)))]
pub async fn entries(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReduceBurden>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<BurdenList>, ApiError> {
    Ok(Json(BurdenList { entries: burden::list(&state, &staff.user, &p.district).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ListEntryBody {
    #[serde(default)]
    pub district_code: String,
    /// `task`, `meeting`, `inspection` or `form`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// The unit that may impose it.
    #[serde(default)]
    pub issuer: String,
    /// The document that allows it.
    #[serde(default)]
    pub basis: String,
}

/// Adds an entry to the list of a district the caller holds.
#[utoipa::path(post, path = "/v1/burden/list", tag = "burden", request_body = ListEntryBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = ListEntry), (status = "default", body = ErrorBody)))]
pub async fn add_entry(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReduceBurden>,
    ApiJson(b): ApiJson<ListEntryBody>,
) -> Result<(StatusCode, Json<ListEntry>), ApiError> {
    let form =
        EntryForm { district_code: b.district_code, kind: b.kind, title: b.title, issuer: b.issuer, basis: b.basis };
    Ok((StatusCode::CREATED, Json(burden::add_entry(&state, &staff.user, form).await?)))
}

/// Withdraws an entry of a district the caller holds.
#[utoipa::path(post, path = "/v1/burden/list/{id}/withdraw", tag = "burden", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ListEntry), (status = "default", body = ErrorBody)))]
pub async fn withdraw_entry(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReduceBurden>,
    Path(id): Path<String>,
) -> Result<Json<ListEntry>, ApiError> {
    Ok(Json(burden::withdraw_entry(&state, &staff.user, id_in_path(&id)?).await?))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// Imposed from this day (`YYYY-MM-DD`); 90 days before `to` when absent.
    from: Option<String>,
    /// Up to this day, inclusive; today when absent.
    to: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BurdenFigures {
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The latest first, each with its flags.
    pub impositions: Vec<Imposition>,
    pub by_community: Vec<CommunityBurden>,
    pub totals: BurdenTotals,
}

/// What was imposed on the caller's communities in a period, with the totals; for those who
/// register and for leaders.
#[utoipa::path(get, path = "/v1/burden", tag = "burden", params(PeriodParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = BurdenFigures), (status = "default", body = ErrorBody)))]
pub async fn impositions(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> Result<Json<BurdenFigures>, ApiError> {
    let (from, to) = (optional_day("from", p.from.as_deref())?, optional_day("to", p.to.as_deref())?);
    let v = burden::view(&state, &staff.user, from, to).await?;
    Ok(Json(BurdenFigures {
        from: v.from,
        to: v.to,
        impositions: v.impositions,
        by_community: v.by_community,
        totals: v.totals,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ImpositionBody {
    #[serde(default)]
    pub community_code: String,
    /// `task`, `meeting`, `inspection` or `form`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub title: String,
    /// Who imposed it.
    #[serde(default)]
    pub issuer: String,
    /// `YYYY-MM-DD`; today when absent.
    pub imposed_on: Option<String>,
    /// The time it took, 0.5 to 120.
    #[serde(default)]
    pub hours: String,
    /// The entry of the list it falls under; none flags it.
    pub entry_id: Option<String>,
    /// What it asks for that the platform holds: `households`, `cases`, `care`, `party`,
    /// `disputes`, `emergencies`, `participation`, `helpers`.
    #[serde(default)]
    pub asks: Vec<String>,
    pub note: Option<String>,
}

/// Registers what was imposed on a community the caller reaches.
#[utoipa::path(post, path = "/v1/burden", tag = "burden", request_body = ImpositionBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Imposition), (status = "default", description = "An entry not on the district's current list (422), …", body = ErrorBody)))]
pub async fn register(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReduceBurden>,
    ApiJson(b): ApiJson<ImpositionBody>,
) -> Result<(StatusCode, Json<Imposition>), ApiError> {
    let form = ImpositionForm {
        community_code: b.community_code,
        kind: b.kind,
        title: b.title,
        issuer: b.issuer,
        imposed_on: b.imposed_on,
        hours: b.hours,
        entry_id: b.entry_id,
        asks: b.asks,
        note: b.note,
    };
    Ok((StatusCode::CREATED, Json(burden::register(&state, &staff.user, form).await?)))
}
