//! 防治微腐败 over JSON: the 小微权力清单 and the disclosures in public; staff of a place keep the
//! list and publish; anyone reports misconduct of staff (rate-limited, sealed, routed to the
//! discipline unit above) and follows it with the tracking number and query code; that unit's
//! handlers read and handle it.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_app::oversight::{self, DisclosureForm, MisconductForm, PowerForm};
use grassroots_domain::oversight::{DisclosureKind, Finding, MisconductKind, MisconductState};
use grassroots_store::oversight::{Disclosure, MisconductAccount, MisconductReceipt, MisconductReport, SmallPower};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::{ApiJson, ApiQuery};
use crate::ratelimit::limit_public;
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    // What anyone may read or send counts against the public limit per address.
    let limited = OpenApiRouter::new()
        .routes(routes!(report))
        .routes(routes!(track))
        .routes(routes!(powers))
        .routes(routes!(disclosures))
        .routes(routes!(history))
        .route_layer(from_fn_with_state(state.clone(), limit_public));
    OpenApiRouter::new()
        .merge(limited)
        .routes(routes!(add_power))
        .routes(routes!(publish))
        .routes(routes!(overdue))
        .routes(routes!(queue))
        .routes(routes!(open))
        .routes(routes!(act))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct CommunityParams {
    /// The community (12 digits).
    community: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SmallPowers {
    /// The district's, then the community's own, by area.
    pub powers: Vec<SmallPower>,
}

/// The small powers of a community (小微权力清单), in public.
#[utoipa::path(get, path = "/v1/powers", tag = "oversight", params(CommunityParams),
    responses((status = 200, body = SmallPowers), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn powers(
    State(state): State<Arc<AppState>>,
    ApiQuery(p): ApiQuery<CommunityParams>,
) -> Result<Json<SmallPowers>, ApiError> {
    Ok(Json(SmallPowers { powers: oversight::powers(&state, &p.community).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SmallPowerBody {
    /// A district (its list applies to all its communities) or a community.
    #[serde(default)]
    pub region_code: String,
    /// `assets`, `welfare`, `projects`, `finance`, `certificates` or `decisions`.
    #[serde(default)]
    pub area: String,
    #[serde(default)]
    pub title: String,
    /// `party_secretary`, `director`, `two_committees`, `residents_meeting` or `staff`.
    #[serde(default)]
    pub holder: String,
    /// The steps, one a line (2 to 12).
    #[serde(default)]
    pub procedure: String,
    #[serde(default)]
    pub basis: String,
}

/// Adds a small power to the list of a district or community the caller holds.
#[utoipa::path(post, path = "/v1/powers", tag = "oversight", request_body = SmallPowerBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = SmallPower), (status = "default", body = ErrorBody)))]
pub async fn add_power(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<SmallPowerBody>,
) -> Result<(StatusCode, Json<SmallPower>), ApiError> {
    let form = PowerForm {
        region_code: b.region_code,
        area: b.area,
        title: b.title,
        holder: b.holder,
        procedure: b.procedure,
        basis: b.basis,
    };
    Ok((StatusCode::CREATED, Json(oversight::add_power(&state, &staff.user, form).await?)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Disclosures {
    /// The latest version of each, the latest period first.
    pub disclosures: Vec<Disclosure>,
}

/// A community's affairs and finances as published (居务、财务公开), in public.
#[utoipa::path(get, path = "/v1/disclosures", tag = "oversight", params(CommunityParams),
    responses((status = 200, body = Disclosures), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn disclosures(
    State(state): State<Arc<AppState>>,
    ApiQuery(p): ApiQuery<CommunityParams>,
) -> Result<Json<Disclosures>, ApiError> {
    Ok(Json(Disclosures { disclosures: oversight::disclosures(&state, &p.community).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisclosureBody {
    #[serde(default)]
    pub community_code: String,
    /// `affairs` (by quarter) or `finance` (by month).
    #[serde(default)]
    pub kind: String,
    /// Any day of the period; the last period due when absent.
    pub of: Option<String>,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub body: String,
    /// A finance disclosure's lines: `收入` or `支出`, the item, the amount in yuan, one a line.
    pub lines: Option<String>,
}

/// Publishes a community's affairs or finances for a period; published again, it is a new
/// version and the earlier stays in the history.
#[utoipa::path(post, path = "/v1/disclosures", tag = "oversight", request_body = DisclosureBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Disclosure), (status = "default", body = ErrorBody)))]
pub async fn publish(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<DisclosureBody>,
) -> Result<(StatusCode, Json<Disclosure>), ApiError> {
    let form = DisclosureForm {
        community_code: b.community_code,
        kind: b.kind,
        of: b.of,
        title: b.title,
        body: b.body,
        lines: b.lines,
    };
    Ok((StatusCode::CREATED, Json(oversight::publish(&state, &staff.user, form).await?)))
}

/// Every version of a disclosure, the latest first, in public.
#[utoipa::path(get, path = "/v1/disclosures/{id}/history", tag = "oversight", params(("id" = Uuid, Path)),
    responses((status = 200, body = Disclosures), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn history(
    State(state): State<Arc<AppState>>,
    Path(id): Path<String>,
) -> Result<Json<Disclosures>, ApiError> {
    Ok(Json(Disclosures { disclosures: oversight::history(&state, id_in_path(&id)?).await? }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Overdue {
    pub kind: DisclosureKind,
    /// Communities of the caller's places without the last period due.
    pub communities: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct OverdueDisclosures {
    pub overdue: Vec<Overdue>,
}

/// The communities of the caller's places that have not published the last period due.
#[utoipa::path(get, path = "/v1/disclosures/overdue", tag = "oversight", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = OverdueDisclosures), (status = "default", body = ErrorBody)))]
pub async fn overdue(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
) -> Result<Json<OverdueDisclosures>, ApiError> {
    let overdue = oversight::overdue(&state, &staff.user).await?;
    Ok(Json(OverdueDisclosures {
        overdue: overdue.into_iter().map(|(kind, communities)| Overdue { kind, communities }).collect(),
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MisconductBody {
    /// Where the reported staff work: their community or street.
    #[serde(default)]
    pub place_code: String,
    /// `bribery`, `favouritism`, `funds`, `neglect`, `conduct` or `other`.
    #[serde(default)]
    pub kind: String,
    /// Who: a name or a post.
    #[serde(default)]
    pub reported: String,
    #[serde(default)]
    pub what: String,
    /// Left out, the report is anonymous.
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// Reports misconduct of staff: sealed, sent to the discipline unit of the level above the
/// place named, never to it. The answer's query code is shown once.
#[utoipa::path(post, path = "/v1/misconduct", tag = "oversight", request_body = MisconductBody,
    responses((status = 201, body = MisconductReceipt), RateLimited, (status = "default", description = "A field refused (422), too many requests (429)", body = ErrorBody)))]
pub async fn report(
    State(state): State<Arc<AppState>>,
    ApiJson(b): ApiJson<MisconductBody>,
) -> Result<(StatusCode, Json<MisconductReceipt>), ApiError> {
    let form = MisconductForm {
        place_code: b.place_code,
        kind: b.kind,
        reported: b.reported,
        what: b.what,
        name: b.name,
        phone: b.phone,
    };
    Ok((StatusCode::CREATED, Json(oversight::report(&state, form).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MisconductTrackBody {
    #[serde(default)]
    pub tracking_no: String,
    #[serde(default)]
    pub query_code: String,
}

/// A report as its reporter follows it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MisconductFollowed {
    pub tracking_no: String,
    pub kind: MisconductKind,
    pub state: MisconductState,
    pub received_at: DateTime<Utc>,
    pub accept_due: DateTime<Utc>,
    pub conclude_due: Option<DateTime<Utc>>,
    pub finding: Option<Finding>,
    /// The unit's reply, once it declined or concluded.
    pub reply: Option<String>,
}

/// Where a report stands, for whoever holds its tracking number and query code (a POST, so
/// the code stays out of addresses and logs).
#[utoipa::path(post, path = "/v1/misconduct/track", tag = "oversight", request_body = MisconductTrackBody,
    responses((status = 200, body = MisconductFollowed), RateLimited, (status = "default", description = "No such report for that code (404)", body = ErrorBody)))]
pub async fn track(
    State(state): State<Arc<AppState>>,
    ApiJson(b): ApiJson<MisconductTrackBody>,
) -> Result<Json<MisconductFollowed>, ApiError> {
    let r = oversight::track(&state, &b.tracking_no, &b.query_code).await?;
    Ok(Json(MisconductFollowed {
        tracking_no: r.tracking_no,
        kind: r.kind,
        state: r.state,
        received_at: r.received_at,
        accept_due: r.accept_due,
        conclude_due: r.conclude_due,
        finding: r.finding,
        reply: r.reply,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MisconductQueue {
    /// Open first, the oldest first.
    pub reports: Vec<MisconductReport>,
}

/// The reports routed to the caller's discipline unit.
#[utoipa::path(get, path = "/v1/misconduct", tag = "oversight", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MisconductQueue), (status = "default", body = ErrorBody)))]
pub async fn queue(
    State(state): State<Arc<AppState>>,
    staff: Can<need::InvestigateMisconduct>,
) -> Result<Json<MisconductQueue>, ApiError> {
    Ok(Json(MisconductQueue { reports: oversight::queue(&state, &staff.user).await? }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MisconductOpened {
    pub report: MisconductReport,
    pub account: MisconductAccount,
}

/// A report of the caller's unit with what it says; the opening is audited.
#[utoipa::path(get, path = "/v1/misconduct/{id}", tag = "oversight", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MisconductOpened), (status = "default", description = "Another unit's (404), …", body = ErrorBody)))]
pub async fn open(
    State(state): State<Arc<AppState>>,
    staff: Can<need::InvestigateMisconduct>,
    Path(id): Path<String>,
) -> Result<Json<MisconductOpened>, ApiError> {
    let (report, account) = oversight::open(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Json(MisconductOpened { report, account }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MisconductMoveBody {
    /// `accept`, `decline` or `conclude`.
    #[serde(rename = "move", default)]
    pub kind: String,
    /// Why it is taken up; the reply the reporter reads when it is declined or concluded.
    #[serde(default)]
    pub note: String,
    /// For a conclusion: `substantiated`, `partly` or `unsubstantiated`.
    pub finding: Option<String>,
}

/// Accepts, declines or concludes a report of the caller's unit.
#[utoipa::path(post, path = "/v1/misconduct/{id}/moves", tag = "oversight", params(("id" = Uuid, Path)), request_body = MisconductMoveBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MisconductReport), (status = "default", description = "A move its state does not allow (422), …", body = ErrorBody)))]
pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Can<need::InvestigateMisconduct>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<MisconductMoveBody>,
) -> Result<Json<MisconductReport>, ApiError> {
    let id = id_in_path(&id)?;
    Ok(Json(oversight::act(&state, &staff.user, id, &b.kind, &b.note, b.finding.as_deref()).await?))
}
