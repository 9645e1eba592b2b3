//! 矛盾纠纷调处 over JSON: staff who mediate register disputes of their places (or convert a
//! case), read them graded with the rules' reasons, make the moves of their level, regrade on
//! new facts, reveal the parties with a reason, and keep the rosters of mediators; the figures
//! of disputes for anyone who reads statistics.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use grassroots_app::disputes::{self, DisputeForm, DisputeMoveForm, FactorsForm, PartyForm};
use grassroots_domain::disputes::DisputeMove;
use grassroots_store::disputes::{DisputeParty, DisputeRecord, DisputeSelection, DisputeTally, Mediator};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, register))
        .routes(routes!(figures))
        .routes(routes!(show))
        .routes(routes!(act))
        .routes(routes!(regrade))
        .routes(routes!(reveal))
        .routes(routes!(convert))
        .routes(routes!(roster, add_mediator))
}

/// A party named.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartyBody {
    pub name: String,
    pub phone: Option<String>,
    /// `applicant` or `respondent`.
    pub side: String,
    /// Elderly, disabled, a minor, pregnant or seriously ill.
    #[serde(default)]
    pub vulnerable: bool,
}

/// What the risk grade is decided on.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FactorsBody {
    /// Parties in all, at least those named (a group dispute names its representatives).
    pub party_count: Option<u32>,
    #[serde(default)]
    pub threat_of_violence: bool,
    #[serde(default)]
    pub threat_of_self_harm: bool,
    /// Times the matter was reported before.
    pub earlier_reports: Option<u32>,
    /// A party petitioned a higher level (越级上访).
    #[serde(default)]
    pub petitioned_higher: bool,
}

impl From<FactorsBody> for FactorsForm {
    fn from(b: FactorsBody) -> Self {
        Self {
            parties: b.party_count.map(|n| n.to_string()),
            threat_of_violence: b.threat_of_violence,
            threat_of_self_harm: b.threat_of_self_harm,
            earlier_reports: b.earlier_reports.map(|n| n.to_string()),
            petitioned_higher: b.petitioned_higher,
        }
    }
}

/// A dispute to register.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeBody {
    /// `screening` (with the grid) or `walk_in`; ignored when a case is converted.
    #[serde(default)]
    pub origin: String,
    /// The community (12 digits); ignored when a case is converted.
    #[serde(default)]
    pub community_code: String,
    pub grid_code: Option<String>,
    /// `neighbours`, `family`, `property`, `labour`, `land_housing`, `consumer`, `traffic`,
    /// `medical` or `other`.
    pub kind: String,
    /// What it is about; no phone or ID numbers. A converted case's words when empty.
    #[serde(default)]
    pub summary: String,
    /// Where it arose.
    #[serde(default)]
    pub place: String,
    /// The parties (a converted case's reporter is added first).
    #[serde(default)]
    pub parties: Vec<PartyBody>,
    #[serde(default)]
    pub factors: FactorsBody,
}

impl From<DisputeBody> for DisputeForm {
    fn from(b: DisputeBody) -> Self {
        Self {
            origin: b.origin,
            community_code: b.community_code,
            grid_code: b.grid_code,
            kind: b.kind,
            summary: b.summary,
            place: b.place,
            parties: b
                .parties
                .into_iter()
                .map(|p| PartyForm { name: p.name, phone: p.phone, side: p.side, vulnerable: p.vulnerable })
                .collect(),
            factors: b.factors.into(),
        }
    }
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisputesParams {
    /// `open` (the default), `high` (open, orange or red), `follow_up` (agreed) or `all`.
    show: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Disputes {
    /// The highest grade first, then the oldest.
    pub disputes: Vec<DisputeRecord>,
}

fn selection(show: Option<&str>) -> Result<DisputeSelection, ApiError> {
    match show.unwrap_or("open") {
        "open" => Ok(DisputeSelection::Open),
        "high" => Ok(DisputeSelection::HighRisk),
        "follow_up" => Ok(DisputeSelection::FollowingUp),
        "all" => Ok(DisputeSelection::All),
        _ => Err(grassroots_app::AppError::invalid(
            "show",
            "可选：open, high, follow_up, all",
            "one of open, high, follow_up, all",
        )
        .into()),
    }
}

/// The disputes of the caller's places.
#[utoipa::path(get, path = "/v1/disputes", tag = "disputes", params(DisputesParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Disputes), (status = "default", description = "Not signed in (401), a role that does not mediate (403), …", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    ApiQuery(p): ApiQuery<DisputesParams>,
) -> Result<Json<Disputes>, ApiError> {
    let selection = selection(p.show.as_deref())?;
    Ok(Json(Disputes { disputes: disputes::list(&state, &staff.user, selection).await? }))
}

/// Registers a dispute found on a screening or brought by a walk-in, graded by the rules.
#[utoipa::path(post, path = "/v1/disputes", tag = "disputes", request_body = DisputeBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = DisputeRecord), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn register(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    ApiJson(b): ApiJson<DisputeBody>,
) -> Result<(StatusCode, Json<DisputeRecord>), ApiError> {
    Ok((StatusCode::CREATED, Json(disputes::register(&state, &staff.user, b.into()).await?)))
}

/// Converts a case of the caller's scope into a dispute, linked both ways; its reporter is the
/// first applicant (the reveal audited).
#[utoipa::path(post, path = "/v1/cases/{id}/dispute", tag = "disputes", params(("id" = Uuid, Path)), request_body = DisputeBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = DisputeRecord), (status = "default", description = "Converted before (422), not in the caller's scope (404), …", body = ErrorBody)))]
pub async fn convert(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DisputeBody>,
) -> Result<(StatusCode, Json<DisputeRecord>), ApiError> {
    Ok((StatusCode::CREATED, Json(disputes::convert(&state, &staff.user, id_in_path(&id)?, b.into()).await?)))
}

/// A dispute as staff read it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisputeBodyView {
    pub dispute: DisputeRecord,
    /// The moves the caller may make now (none at a level above theirs).
    pub moves: Vec<DisputeMove>,
    /// The mediators it may be assigned.
    pub roster: Vec<Mediator>,
    /// Whether the caller may change its risk factors.
    pub may_regrade: bool,
}

/// A dispute of the caller's places, with its grades, moves and mediators.
#[utoipa::path(get, path = "/v1/disputes/{id}", tag = "disputes", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DisputeBodyView), (status = "default", description = "Outside the caller's places (404), …", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    Path(id): Path<String>,
) -> Result<Json<DisputeBodyView>, ApiError> {
    let v = disputes::view(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(Json(DisputeBodyView { dispute: v.dispute, moves: v.moves, roster: v.roster, may_regrade: v.may_regrade }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeMoveBody {
    /// `assign`, `session`, `agree`, `follow_up`, `escalate`, `refer`, `fail` or `withdraw`.
    #[serde(rename = "move", default)]
    pub kind: String,
    /// For an assignment: mediators' ids from the dispute's rosters.
    #[serde(default)]
    pub mediators: Vec<String>,
    /// `YYYY-MM-DD`: a session, a signing, a follow-up.
    pub on: Option<String>,
    /// A session's parties present, by their place in the list (from 0).
    #[serde(default)]
    pub present: Vec<u32>,
    /// An agreement's terms.
    pub terms: Option<String>,
    /// When to follow an agreement up (a fortnight after signing when absent).
    pub follow_up_on: Option<String>,
    /// A follow-up's finding: `kept` or `broken`.
    pub outcome: Option<String>,
    /// A hand-over's destination: `court` or `arbitration`.
    pub referred_to: Option<String>,
    /// A session's notes; why it is escalated, handed over, ended or withdrawn; a broken
    /// agreement's story.
    pub note: Option<String>,
}

/// Makes a move on a dispute at the caller's level.
#[utoipa::path(post, path = "/v1/disputes/{id}/moves", tag = "disputes", params(("id" = Uuid, Path)), request_body = DisputeMoveBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DisputeRecord), (status = "default", description = "A level above the caller's (403), a field refused or the dispute moved meanwhile (422), …", body = ErrorBody)))]
pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<DisputeMoveBody>,
) -> Result<Json<DisputeRecord>, ApiError> {
    let form = DisputeMoveForm {
        action: b.kind,
        mediators: b.mediators,
        on: b.on,
        present: b.present.iter().map(u32::to_string).collect(),
        terms: b.terms,
        follow_up_on: b.follow_up_on,
        outcome: b.outcome,
        referred_to: b.referred_to,
        note: b.note,
    };
    Ok(Json(disputes::act(&state, &staff.user, id_in_path(&id)?, form).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RegradeBody {
    #[serde(default)]
    pub factors: FactorsBody,
    /// A party is vulnerable.
    #[serde(default)]
    pub vulnerable_party: bool,
    /// What changed.
    #[serde(default)]
    pub note: String,
}

/// New risk factors for an open dispute, graded again by the rules and logged with the note.
#[utoipa::path(post, path = "/v1/disputes/{id}/grade", tag = "disputes", params(("id" = Uuid, Path)), request_body = RegradeBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DisputeRecord), (status = "default", description = "Not the level handling it (403), a field refused (422), …", body = ErrorBody)))]
pub async fn regrade(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<RegradeBody>,
) -> Result<Json<DisputeRecord>, ApiError> {
    let id = id_in_path(&id)?;
    Ok(Json(disputes::regrade(&state, &staff.user, id, b.factors.into(), b.vulnerable_party, &b.note).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PartiesRevealRequest {
    #[serde(default)]
    pub reason: String,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RevealedParties {
    pub parties: Vec<DisputeParty>,
    pub audited: bool,
}

/// The parties in full, for a stated reason; the reveal is audited.
#[utoipa::path(post, path = "/v1/disputes/{id}/parties", tag = "disputes", params(("id" = Uuid, Path)), request_body = PartiesRevealRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = RevealedParties), (status = "default", body = ErrorBody)))]
pub async fn reveal(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<PartiesRevealRequest>,
) -> Result<Json<RevealedParties>, ApiError> {
    let parties = disputes::reveal(&state, &staff.user, id_in_path(&id)?, Some(&b.reason)).await?;
    Ok(Json(RevealedParties { parties, audited: true }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Mediators {
    pub mediators: Vec<Mediator>,
}

/// The rosters of mediators of the caller's places.
#[utoipa::path(get, path = "/v1/mediators", tag = "disputes", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Mediators), (status = "default", body = ErrorBody)))]
pub async fn roster(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
) -> Result<Json<Mediators>, ApiError> {
    Ok(Json(Mediators { mediators: disputes::roster(&state, &staff.user).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MediatorBody {
    /// The community, street or district whose roster it is.
    #[serde(default)]
    pub region_code: String,
    /// `peoples_mediator`, `grid_worker`, `legal_adviser` or `elder`.
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub name: String,
}

/// Adds someone to the roster of a community, street or district the caller holds.
#[utoipa::path(post, path = "/v1/mediators", tag = "disputes", request_body = MediatorBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Mediator), (status = "default", description = "A field refused (422), …", body = ErrorBody)))]
pub async fn add_mediator(
    State(state): State<Arc<AppState>>,
    staff: Can<need::MediateDisputes>,
    ApiJson(b): ApiJson<MediatorBody>,
) -> Result<(StatusCode, Json<Mediator>), ApiError> {
    let added = disputes::add_mediator(&state, &staff.user, &b.region_code, &b.kind, &b.name).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DisputeFiguresParams {
    /// Registered from this day (`YYYY-MM-DD`); a year before `to` when absent.
    from: Option<String>,
    /// Registered up to this day, inclusive; today when absent.
    to: Option<String>,
}

/// The figures of disputes.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct DisputeFiguresBody {
    pub tally: DisputeTally,
    /// 调解成功率: agreed of those mediation finished with (agreed, handed over, failed).
    pub success_rate: Option<f64>,
    pub mean_days_to_agreement: Option<f64>,
}

/// Disputes of the caller's places registered in a period: by kind and grade, open and
/// high-risk, the success rate, the time to agree, recurrences. Aggregates only.
#[utoipa::path(get, path = "/v1/disputes/figures", tag = "disputes", params(DisputeFiguresParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DisputeFiguresBody), (status = "default", body = ErrorBody)))]
pub async fn figures(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    ApiQuery(p): ApiQuery<DisputeFiguresParams>,
) -> Result<Json<DisputeFiguresBody>, ApiError> {
    let f = disputes::figures(&state, &staff.user, p.from.as_deref(), p.to.as_deref()).await?;
    Ok(Json(DisputeFiguresBody {
        success_rate: f.success_rate,
        mean_days_to_agreement: f.mean_days_to_agreement,
        tally: f.tally,
    }))
}
