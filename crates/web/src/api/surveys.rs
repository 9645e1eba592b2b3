//! 问需、问效 over JSON: anyone reads the surveys and, once one closes, its counts; staff hold
//! surveys in their places and read the results (text answers too) at any time; a signed-in
//! resident answers the surveys that ask them, once.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::middleware::from_fn_with_state;
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_app::surveys::{self, Results, Standing, SurveyForm};
use grassroots_domain::surveys::Answer;
use grassroots_store::surveys::Survey;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use super::id_in_path as parse_id;
use super::votes::{withdrawal_view, WithdrawalBody, WithdrawalView};
use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::ApiJson;
use crate::ratelimit::limit_public;
use crate::session::{need, Can, SignedIn};
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
        .routes(routes!(withdraw))
        .routes(routes!(staff_results))
        .routes(routes!(respond))
        .routes(routes!(my_surveys))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionView {
    /// `single`, `multiple`, `scale` (1 to 5) or `text`.
    pub kind: String,
    pub prompt: String,
    pub options: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyView {
    pub id: Uuid,
    pub region_code: String,
    pub region_name: Option<String>,
    pub title: String,
    pub intro: String,
    /// `needs` (问需) or `effect` (问效).
    pub purpose: String,
    /// `anonymous` or `identified`.
    pub anonymity: String,
    pub questions: Vec<QuestionView>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// `scheduled`, `open`, `closed` or `withdrawn`.
    pub phase: String,
    /// The decision carried out it asks about.
    pub task_id: Option<Uuid>,
    /// The unit whose cases it asks about.
    pub unit: Option<String>,
    pub responses: u64,
    pub withdrawn: Option<WithdrawalView>,
    /// Reporters of the unit's cases in the place invited by text (those who asked to be kept
    /// informed and were not invited in the last 30 days), sent when it opens.
    pub invited: u64,
}

pub(crate) fn survey_view(state: &AppState, s: Survey) -> SurveyView {
    SurveyView {
        id: s.id,
        region_name: state.atlas().outline(&s.region_code).map(|o| o.name.clone()),
        phase: s.phase(Utc::now()).as_str().to_string(),
        region_code: s.region_code,
        title: s.title,
        intro: s.intro,
        purpose: s.purpose.as_str().to_string(),
        anonymity: s.anonymity.as_str().to_string(),
        questions: s
            .questions
            .into_iter()
            .map(|q| QuestionView { kind: q.kind.as_str().to_string(), prompt: q.prompt, options: q.options })
            .collect(),
        opens_at: s.opens_at,
        closes_at: s.closes_at,
        task_id: s.task_id,
        unit: s.unit_cases.map(|u| u.unit),
        responses: s.responses,
        withdrawn: s.withdrawn.map(withdrawal_view),
        invited: s.invited,
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QuestionResultView {
    /// Per choice, or per score 1 to 5.
    pub counts: Vec<u64>,
    pub answered: u64,
    pub mean: Option<f64>,
    /// The text answers, for staff of the place only.
    pub texts: Vec<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SurveyDetail {
    pub survey: SurveyView,
    /// Once the survey closes (for staff of the place, at any time).
    pub results: Option<Vec<QuestionResultView>>,
}

fn results_view(r: Results) -> Vec<QuestionResultView> {
    r.questions
        .into_iter()
        .map(|q| QuestionResultView { counts: q.counts, answered: q.answered, mean: q.mean, texts: q.texts })
        .collect()
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Surveys {
    pub surveys: Vec<SurveyView>,
}

/// Every survey (问需、问效), newest first.
#[utoipa::path(get, path = "/v1/surveys", tag = "participation",
    responses((status = 200, body = Surveys), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn list(State(state): State<Arc<AppState>>) -> Result<Json<Surveys>, ApiError> {
    Ok(Json(Surveys { surveys: surveys::public(&state).await?.into_iter().map(|s| survey_view(&state, s)).collect() }))
}

/// A survey, with its counts once it has closed (never the text answers).
#[utoipa::path(get, path = "/v1/surveys/{id}", tag = "participation", params(("id" = Uuid, Path)),
    responses((status = 200, body = SurveyDetail), RateLimited, (status = "default", body = ErrorBody)))]
pub async fn show(State(state): State<Arc<AppState>>, Path(id): Path<String>) -> Result<Json<SurveyDetail>, ApiError> {
    let id = parse_id(&id)?;
    let survey = surveys::get(&state, id).await?;
    let results = surveys::results_for(&state, id, None).await?.map(results_view);
    Ok(Json(SurveyDetail { survey: survey_view(&state, survey), results }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SurveyBody {
    pub region: String,
    pub title: String,
    pub intro: String,
    /// `needs` or `effect`.
    pub purpose: String,
    /// `anonymous` or `identified`.
    pub anonymity: String,
    /// One a line: `单选|题目|选项一/选项二`, `多选|题目|…`, `评分|题目` (1 to 5), `文字|题目`.
    pub questions: String,
    pub opens_at: String,
    pub closes_at: String,
    /// 问效 of a decision carried out.
    pub task: Option<String>,
    /// 问效 of a unit's cases closed from one day to another: their reporters answer.
    pub unit: Option<String>,
    pub cases_from: Option<String>,
    pub cases_to: Option<String>,
}

/// Withdraws a survey announced by mistake, before it opens, with a reason its page shows; the
/// invitations it queued are not sent.
#[utoipa::path(post, path = "/v1/surveys/{id}/withdrawal", tag = "participation", request_body = WithdrawalBody,
    params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SurveyView),
        (status = "default", description = "Open already or withdrawn (422 on `phase`), no reason (422), …", body = ErrorBody)))]
pub async fn withdraw(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WithdrawalBody>,
) -> Result<Json<SurveyView>, ApiError> {
    let survey = surveys::withdraw(&state, &staff.user, parse_id(&id)?, &body.reason).await?;
    Ok(Json(survey_view(&state, survey)))
}

/// Holds a survey in one of the caller's places.
#[utoipa::path(post, path = "/v1/surveys", tag = "participation", request_body = SurveyBody,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = SurveyView), (status = "default", body = ErrorBody)))]
pub async fn create(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    ApiJson(b): ApiJson<SurveyBody>,
) -> Result<(StatusCode, Json<SurveyView>), ApiError> {
    let form = SurveyForm {
        region: b.region,
        title: b.title,
        intro: b.intro,
        purpose: b.purpose,
        anonymity: b.anonymity,
        questions: b.questions,
        opens_at: b.opens_at,
        closes_at: b.closes_at,
        task: b.task,
        unit: b.unit,
        cases_from: b.cases_from,
        cases_to: b.cases_to,
    };
    let survey = surveys::create(&state, &staff.user, form).await?;
    Ok((StatusCode::CREATED, Json(survey_view(&state, survey))))
}

/// A survey's results as staff of its place read them, at any time, text answers included.
#[utoipa::path(get, path = "/v1/surveys/{id}/results", tag = "participation", params(("id" = Uuid, Path)),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SurveyDetail), (status = "default", body = ErrorBody)))]
pub async fn staff_results(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RunParticipation>,
    Path(id): Path<String>,
) -> Result<Json<SurveyDetail>, ApiError> {
    let id = parse_id(&id)?;
    let results = surveys::results_for(&state, id, Some(&staff.user)).await?.ok_or_else(ApiError::not_found)?;
    if !results.with_texts {
        return Err(ApiError::not_found());
    }
    let survey = survey_view(&state, results.survey.clone());
    Ok(Json(SurveyDetail { survey, results: Some(results_view(results)) }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResponseBody {
    /// One per question, in order: `{"kind": "choice", "chosen": [0]}`, `{"kind": "scale",
    /// "value": 4}`, `{"kind": "text", "text": "…"}` or `{"kind": "skipped"}` (text only).
    #[schema(value_type = Vec<Object>)]
    pub answers: Vec<Answer>,
}

/// The signed-in resident answers a survey that asks them, once (409 again).
#[utoipa::path(post, path = "/v1/surveys/{id}/responses", tag = "participation", request_body = ResponseBody,
    params(("id" = Uuid, Path)), security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 201, description = "Received"), (status = "default", body = ErrorBody)))]
pub async fn respond(
    State(state): State<Arc<AppState>>,
    signed_in: SignedIn,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<ResponseBody>,
) -> Result<StatusCode, ApiError> {
    surveys::respond(&state, &signed_in.resident, parse_id(&id)?, &b.answers).await?;
    Ok(StatusCode::CREATED)
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MySurvey {
    pub survey: SurveyView,
    pub answered: bool,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MySurveys {
    pub surveys: Vec<MySurvey>,
}

/// The open surveys that ask the signed-in resident, and whether they answered.
#[utoipa::path(get, path = "/v1/residents/me/surveys", tag = "residents",
    security(("resident_bearer" = []), ("resident_cookie" = [])),
    responses((status = 200, body = MySurveys), (status = "default", body = ErrorBody)))]
pub async fn my_surveys(State(state): State<Arc<AppState>>, signed_in: SignedIn) -> Result<Json<MySurveys>, ApiError> {
    let mine = surveys::for_resident(&state, &signed_in.resident).await?;
    Ok(Json(MySurveys {
        surveys: mine
            .into_iter()
            .map(|(s, standing)| MySurvey { survey: survey_view(&state, s), answered: standing == Standing::Answered })
            .collect(),
    }))
}
