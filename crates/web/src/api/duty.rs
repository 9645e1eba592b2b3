//! 值班: the roster of the streets within the caller's scope, planned by supervisors and
//! administrators; those on duty are texted at once about a report holding words of danger.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use grassroots_app::duty::{self, ShiftForm};
use grassroots_store::duty::Shift;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(roster, plan)).routes(routes!(remove))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RosterParams {
    /// From (RFC 3339 or Beijing time `2026-12-03T09:00`); now when absent.
    from: Option<String>,
    /// To, exclusive; two weeks after `from` when absent, at most 62 days after it.
    to: Option<String>,
}

/// A shift on a street's roster.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ShiftView {
    pub id: Uuid,
    /// The street's 9-digit code.
    pub street_code: String,
    pub username: String,
    pub display_name: String,
    /// Their mobile, masked; absent when they cannot be texted.
    pub phone_masked: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

impl From<Shift> for ShiftView {
    fn from(s: Shift) -> Self {
        Self {
            id: s.id,
            street_code: s.street_code,
            username: s.username,
            display_name: s.display_name,
            phone_masked: s.phone_masked,
            starts_at: s.starts_at,
            ends_at: s.ends_at,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Roster {
    /// By start.
    pub shifts: Vec<ShiftView>,
}

/// An optional moment of the query; absent or blank is none.
fn moment(field: &'static str, raw: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    let given = raw.map(str::trim).filter(|s| !s.is_empty());
    Ok(given.map(|s| grassroots_app::fields::moment(field, s)).transpose()?)
}

/// The shifts of the streets within the caller's scope over a period (值班安排).
#[utoipa::path(get, path = "/v1/duty", tag = "cases", params(RosterParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Roster), (status = "default", body = ErrorBody)))]
pub async fn roster(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    ApiQuery(p): ApiQuery<RosterParams>,
) -> Result<Json<Roster>, ApiError> {
    let from = moment("from", p.from.as_deref())?.unwrap_or_else(Utc::now);
    let to = moment("to", p.to.as_deref())?.unwrap_or(from + Duration::days(14));
    let shifts = duty::roster(&state, &staff.user, from, to).await?;
    Ok(Json(Roster { shifts: shifts.into_iter().map(Into::into).collect() }))
}

/// A shift to plan.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ShiftRequest {
    /// The street's 9-digit code, within the planner's scope.
    pub street: String,
    /// A dispatcher or supervisor whose scope covers the street.
    pub username: String,
    /// RFC 3339, or Beijing time `2026-12-03T09:00`.
    pub starts_at: String,
    /// After the start, at most 7 days later, and not past.
    pub ends_at: String,
}

/// Puts a shift on a street's roster (supervisors and administrators).
#[utoipa::path(post, path = "/v1/duty", tag = "cases", request_body = ShiftRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ShiftView), (status = "default", body = ErrorBody)))]
pub async fn plan(
    State(state): State<Arc<AppState>>,
    staff: Can<need::PlanDuty>,
    ApiJson(body): ApiJson<ShiftRequest>,
) -> Result<Json<ShiftView>, ApiError> {
    let form =
        ShiftForm { street: body.street, username: body.username, starts_at: body.starts_at, ends_at: body.ends_at };
    Ok(Json(duty::plan(&state, &staff.user, form).await?.into()))
}

/// Takes a shift off the roster (supervisors and administrators, within their scope).
#[utoipa::path(delete, path = "/v1/duty/{id}", tag = "cases", params(("id" = Uuid, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ShiftView), (status = "default", body = ErrorBody)))]
pub async fn remove(
    State(state): State<Arc<AppState>>,
    staff: Can<need::PlanDuty>,
    Path(id): Path<String>,
) -> Result<Json<ShiftView>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    Ok(Json(duty::cancel(&state, &staff.user, id).await?.into()))
}
