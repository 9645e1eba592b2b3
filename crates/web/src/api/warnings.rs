//! 风险预警 for staff: the warnings within their scope, each moved by a person (seen, acted on,
//! dismissed with a reason); and the words of danger, for administrators.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use grassroots_app::warnings;
use grassroots_domain::warnings::{DangerWord, WarningState};
use grassroots_store::warnings::Warning;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery};
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list))
        .routes(routes!(move_warning))
        .routes(routes!(danger_words, set_danger_words))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct WarningParams {
    /// States, comma-separated: new, seen, acted, dismissed; none: the open ones (new, seen).
    state: Option<String>,
}

/// A warning and why it was raised.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarningView {
    pub id: Uuid,
    /// surge, danger, repeated_caller, reopened, group.
    pub kind: String,
    pub kind_zh: String,
    /// new, seen, acted, dismissed.
    pub state: String,
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub category_code: Option<String>,
    /// The case it is about (danger, a repeated caller's latest case, a reopened case).
    pub case_id: Option<Uuid>,
    /// A surge's count in the last 24 hours, or a caller's cases.
    pub count: Option<i64>,
    /// A surge's baseline: the mean of the same 24 hours of the four weeks before.
    pub baseline: Option<f64>,
    /// The danger words found, or the tracking numbers of the cases concerned.
    pub words: Vec<String>,
    pub raised_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    /// Why it was dismissed or what was done.
    pub reason: Option<String>,
}

impl From<Warning> for WarningView {
    fn from(w: Warning) -> Self {
        Self {
            id: w.id,
            kind: w.kind.as_str().into(),
            kind_zh: w.kind.label_zh().into(),
            state: w.state.as_str().into(),
            street_code: w.street_code,
            community_code: w.community_code,
            grid_code: w.grid_code,
            category_code: w.category_code,
            case_id: w.case_id,
            count: w.count,
            baseline: w.baseline,
            words: w.words,
            raised_at: w.raised_at,
            updated_at: w.updated_at,
            reason: w.reason,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct WarningList {
    /// Newest first.
    pub warnings: Vec<WarningView>,
}

/// States given as `a,b`; none: the open ones.
fn states_param(raw: Option<&str>) -> Result<Vec<WarningState>, ApiError> {
    match raw.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(WarningState::OPEN.to_vec()),
        Some(list) => {
            Ok(list.split(',').map(|s| WarningState::parse_field("state", s.trim())).collect::<Result<_, _>>()?)
        }
    }
}

/// The warnings within the caller's scope (风险预警), newest first.
#[utoipa::path(get, path = "/v1/warnings", tag = "cases", params(WarningParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = WarningList), (status = "default", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    ApiQuery(p): ApiQuery<WarningParams>,
) -> Result<Json<WarningList>, ApiError> {
    let states = states_param(p.state.as_deref())?;
    let found = warnings::list(&state, &staff.user, &states).await?;
    Ok(Json(WarningList { warnings: found.into_iter().map(Into::into).collect() }))
}

/// What a person did with a warning.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WarningMove {
    /// seen, acted or dismissed.
    pub state: String,
    /// Required to dismiss it.
    pub reason: Option<String>,
}

/// Moves a warning: seen, acted on, or dismissed with a reason (the dismissals are each rule's
/// override rate).
#[utoipa::path(post, path = "/v1/warnings/{id}", tag = "cases", request_body = WarningMove,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = WarningView), (status = "default", body = ErrorBody)))]
pub async fn move_warning(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WarningMove>,
) -> Result<Json<WarningView>, ApiError> {
    let id = Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let to = WarningState::parse_field("state", &body.state)?;
    let moved = warnings::move_warning(&state, &staff.user, id, to, body.reason.as_deref()).await?;
    Ok(Json(moved.into()))
}

/// A word of danger and the kind of danger it signals.
#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct DangerWordView {
    pub word: String,
    /// life, violence, gathering, petition, building.
    pub kind: String,
}

#[derive(Debug, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DangerWords {
    pub words: Vec<DangerWordView>,
}

fn view(words: &[DangerWord]) -> DangerWords {
    DangerWords {
        words: words.iter().map(|w| DangerWordView { word: w.word.clone(), kind: w.kind.as_str().into() }).collect(),
    }
}

/// The words of danger that make a report urgent and raise a warning.
#[utoipa::path(get, path = "/v1/warnings/words", tag = "cases", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DangerWords), (status = "default", body = ErrorBody)))]
pub async fn danger_words(State(state): State<Arc<AppState>>, _staff: Can<need::Administer>) -> Json<DangerWords> {
    Json(view(&state.danger_words()))
}

/// Replaces the words of danger (administrators); servers take them up within a minute.
#[utoipa::path(put, path = "/v1/warnings/words", tag = "cases", request_body = DangerWords,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = DangerWords), (status = "default", body = ErrorBody)))]
pub async fn set_danger_words(
    State(state): State<Arc<AppState>>,
    staff: Can<need::Administer>,
    ApiJson(body): ApiJson<DangerWords>,
) -> Result<Json<DangerWords>, ApiError> {
    let lines: Vec<String> = body.words.iter().map(|w| format!("{} {}", w.word, w.kind)).collect();
    let saved = warnings::set_danger_words(&state, &staff.user, &lines.join("\n")).await?;
    Ok(Json(view(&saved)))
}
