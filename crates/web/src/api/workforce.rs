//! 队伍建设 over JSON: supervisors keep their places' community staff (profiles, training, the
//! yearly appraisal) and read their work as the platform recorded it; the staffing against the
//! district's standard for anyone who reads statistics; cadres sent down from agencies.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_app::workforce::{self, PersonWork, ProfileForm, SecondmentForm};
use grassroots_domain::workforce::{AgeBand, StaffingStandard};
use grassroots_store::workforce::{
    Appraisal, CommunityStaffing, Secondment, StaffProfile, Training, TrainingAttended, WorkRecord,
};
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
        .routes(routes!(team))
        .routes(routes!(person))
        .routes(routes!(set_profile))
        .routes(routes!(leave))
        .routes(routes!(appraise))
        .routes(routes!(trainings, add_training))
        .routes(routes!(attend))
        .routes(routes!(staffing))
        .routes(routes!(set_standard))
        .routes(routes!(secondments, add_secondment))
        .routes(routes!(record_work))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct PeriodParams {
    /// From this day (`YYYY-MM-DD`); 30 days before `to` when absent.
    from: Option<String>,
    /// Up to this day, inclusive; today when absent.
    to: Option<String>,
}

/// A person's work in a period.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonWorkBody {
    pub profile: StaffProfile,
    pub age_band: AgeBand,
    pub tenure_years: f64,
    pub work: WorkRecord,
    /// Moves made outside working hours as the calendar knows them.
    pub after_hours: i64,
}

impl From<PersonWork> for PersonWorkBody {
    fn from(p: PersonWork) -> Self {
        Self {
            profile: p.profile,
            age_band: p.age_band,
            tenure_years: p.tenure_years,
            work: p.work,
            after_hours: p.after_hours,
        }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TeamBody {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
    pub people: Vec<PersonWorkBody>,
    pub total: WorkRecord,
    pub after_hours: i64,
}

/// The work of the caller's places' staff in post over a period, each and in all.
#[utoipa::path(get, path = "/v1/workforce/team", tag = "workforce", params(PeriodParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = TeamBody), (status = "default", body = ErrorBody)))]
pub async fn team(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> Result<Json<TeamBody>, ApiError> {
    let (from, to) = workforce::period(p.from.as_deref(), p.to.as_deref())?;
    let t = workforce::team(&state, &staff.user, from, to).await?;
    Ok(Json(TeamBody {
        from: t.from,
        to: t.to,
        people: t.people.into_iter().map(Into::into).collect(),
        total: t.total,
        after_hours: t.after_hours,
    }))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PersonBody {
    pub work: PersonWorkBody,
    pub trainings: Vec<TrainingAttended>,
    pub appraisals: Vec<Appraisal>,
}

/// A person of the caller's places: their work in the period, training and appraisals.
#[utoipa::path(get, path = "/v1/workforce/staff/{username}", tag = "workforce", params(("username" = String, Path), PeriodParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = PersonBody), (status = "default", body = ErrorBody)))]
pub async fn person(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    Path(username): Path<String>,
    ApiQuery(p): ApiQuery<PeriodParams>,
) -> Result<Json<PersonBody>, ApiError> {
    let (from, to) = workforce::period(p.from.as_deref(), p.to.as_deref())?;
    let v = workforce::person(&state, &staff.user, &username, from, to).await?;
    Ok(Json(PersonBody { work: v.work.into(), trainings: v.trainings, appraisals: v.appraisals }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfileBody {
    #[serde(default)]
    pub community_code: String,
    /// `party_secretary`, `director`, `community_worker`, `grid_worker` or `social_worker`.
    #[serde(default)]
    pub post: String,
    /// `YYYY-MM-DD`.
    #[serde(default)]
    pub started_on: String,
    /// Kept for the age band only.
    #[serde(default)]
    pub birth_year: String,
    /// `none`, `assistant`, `social` or `senior`.
    #[serde(default)]
    pub qualification: String,
}

/// Sets the profile of a staff member of a community the caller holds.
#[utoipa::path(put, path = "/v1/workforce/staff/{username}/profile", tag = "workforce", params(("username" = String, Path)),
    request_body = ProfileBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = StaffProfile), (status = "default", body = ErrorBody)))]
pub async fn set_profile(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<ProfileBody>,
) -> Result<Json<StaffProfile>, ApiError> {
    let form = ProfileForm {
        community_code: b.community_code,
        post: b.post,
        started_on: b.started_on,
        birth_year: b.birth_year,
        qualification: b.qualification,
    };
    Ok(Json(workforce::set_profile(&state, &staff.user, &username, form).await?))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeaveBody {
    #[serde(default)]
    pub left_on: String,
    #[serde(default)]
    pub reason: String,
}

/// Records that a staff member left their post.
#[utoipa::path(post, path = "/v1/workforce/staff/{username}/leave", tag = "workforce", params(("username" = String, Path)),
    request_body = LeaveBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 204), (status = "default", body = ErrorBody)))]
pub async fn leave(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<LeaveBody>,
) -> Result<StatusCode, ApiError> {
    workforce::leave(&state, &staff.user, &username, &b.left_on, &b.reason).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AppraisalBody {
    #[serde(default)]
    pub year: String,
    /// One score 0 to 100 per indicator, in order: conduct, results, residents, learning.
    #[serde(default)]
    pub scores: Vec<String>,
    #[serde(default)]
    pub comment: String,
}

/// The year's appraisal of a person of the caller's places, once a year.
#[utoipa::path(post, path = "/v1/workforce/staff/{username}/appraisals", tag = "workforce", params(("username" = String, Path)),
    request_body = AppraisalBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Appraisal), (status = "default", body = ErrorBody)))]
pub async fn appraise(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    Path(username): Path<String>,
    ApiJson(b): ApiJson<AppraisalBody>,
) -> Result<(StatusCode, Json<Appraisal>), ApiError> {
    let done = workforce::appraise_person(&state, &staff.user, &username, &b.year, &b.scores, &b.comment).await?;
    Ok((StatusCode::CREATED, Json(done)))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Trainings {
    pub trainings: Vec<Training>,
}

/// The trainings of the caller's places.
#[utoipa::path(get, path = "/v1/workforce/trainings", tag = "workforce", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Trainings), (status = "default", body = ErrorBody)))]
pub async fn trainings(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
) -> Result<Json<Trainings>, ApiError> {
    Ok(Json(Trainings { trainings: workforce::trainings(&state, &staff.user).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TrainingBody {
    #[serde(default)]
    pub region_code: String,
    #[serde(default)]
    pub title: String,
    #[serde(default)]
    pub held_on: String,
    /// 0.5 to 12, in half hours.
    #[serde(default)]
    pub hours: String,
}

/// A training held in a place the caller holds.
#[utoipa::path(post, path = "/v1/workforce/trainings", tag = "workforce", request_body = TrainingBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Training), (status = "default", body = ErrorBody)))]
pub async fn add_training(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    ApiJson(b): ApiJson<TrainingBody>,
) -> Result<(StatusCode, Json<Training>), ApiError> {
    let added = workforce::add_training(&state, &staff.user, &b.region_code, &b.title, &b.held_on, &b.hours).await?;
    Ok((StatusCode::CREATED, Json(added)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceBody {
    #[serde(default)]
    pub username: String,
    /// A certificate earned.
    pub certificate: Option<String>,
}

/// Records that a person attended a training.
#[utoipa::path(post, path = "/v1/workforce/trainings/{id}/attendance", tag = "workforce", params(("id" = Uuid, Path)),
    request_body = AttendanceBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 204), (status = "default", body = ErrorBody)))]
pub async fn attend(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<AttendanceBody>,
) -> Result<StatusCode, ApiError> {
    workforce::attend(&state, &staff.user, id_in_path(&id)?, &b.username, b.certificate.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A community's posts against the standard.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffingLineBody {
    pub counts: CommunityStaffing,
    pub needed_workers: i64,
    pub needed_grid_workers: i64,
    pub vacancies: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct StaffingBody {
    pub district: String,
    pub standard: StaffingStandard,
    pub communities: Vec<StaffingLineBody>,
    /// Left in the last year, of those in post and those who left.
    pub turnover: Option<f64>,
    pub mean_tenure_years: Option<f64>,
}

/// Posts needed and filled in the caller's places, vacancies, turnover and tenure. Aggregates.
#[utoipa::path(get, path = "/v1/workforce/staffing", tag = "workforce", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = StaffingBody), (status = "default", body = ErrorBody)))]
pub async fn staffing(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
) -> Result<Json<StaffingBody>, ApiError> {
    let v = workforce::staffing(&state, &staff.user).await?;
    Ok(Json(StaffingBody {
        district: v.district,
        standard: v.standard,
        communities: v
            .lines
            .into_iter()
            .map(|l| StaffingLineBody {
                counts: l.counts,
                needed_workers: l.needed_workers,
                needed_grid_workers: l.needed_grid_workers,
                vacancies: l.vacancies,
            })
            .collect(),
        turnover: v.turnover,
        mean_tenure_years: v.mean_tenure_years,
    }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StandardBody {
    #[serde(default)]
    pub district_code: String,
    #[serde(default)]
    pub households_per_worker: String,
    #[serde(default)]
    pub workers_per_grid: String,
}

/// Sets the staffing standard of a district the caller holds.
#[utoipa::path(put, path = "/v1/workforce/staffing/standard", tag = "workforce", request_body = StandardBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = StaffingStandard), (status = "default", body = ErrorBody)))]
pub async fn set_standard(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    ApiJson(b): ApiJson<StandardBody>,
) -> Result<Json<StaffingStandard>, ApiError> {
    let set =
        workforce::set_standard(&state, &staff.user, &b.district_code, &b.households_per_worker, &b.workers_per_grid)
            .await?;
    Ok(Json(set))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Secondments {
    pub secondments: Vec<Secondment>,
}

/// The cadres serving in the caller's places, with their work.
#[utoipa::path(get, path = "/v1/workforce/secondments", tag = "workforce", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Secondments), (status = "default", body = ErrorBody)))]
pub async fn secondments(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
) -> Result<Json<Secondments>, ApiError> {
    Ok(Json(Secondments { secondments: workforce::secondments(&state, &staff.user).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondmentBody {
    #[serde(default)]
    pub community_code: String,
    #[serde(default)]
    pub name: String,
    /// The agency they come from.
    #[serde(default)]
    pub home_unit: String,
    /// `sent` (机关干部下沉) or `attached` (挂职锻炼).
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub from_on: String,
    #[serde(default)]
    pub to_on: String,
}

/// A cadre serving in a community the caller holds.
#[utoipa::path(post, path = "/v1/workforce/secondments", tag = "workforce", request_body = SecondmentBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = Secondment), (status = "default", body = ErrorBody)))]
pub async fn add_secondment(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    ApiJson(b): ApiJson<SecondmentBody>,
) -> Result<(StatusCode, Json<Secondment>), ApiError> {
    let form = SecondmentForm {
        community_code: b.community_code,
        name: b.name,
        home_unit: b.home_unit,
        kind: b.kind,
        from_on: b.from_on,
        to_on: b.to_on,
    };
    Ok((StatusCode::CREATED, Json(workforce::add_secondment(&state, &staff.user, form).await?)))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SecondmentWorkBody {
    #[serde(default)]
    pub done_on: String,
    #[serde(default)]
    pub what: String,
    #[serde(default)]
    pub hours: String,
}

/// What a cadre did in the community.
#[utoipa::path(post, path = "/v1/workforce/secondments/{id}/work", tag = "workforce", params(("id" = Uuid, Path)),
    request_body = SecondmentWorkBody, security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Secondment), (status = "default", body = ErrorBody)))]
pub async fn record_work(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ManageWorkforce>,
    Path(id): Path<String>,
    ApiJson(b): ApiJson<SecondmentWorkBody>,
) -> Result<Json<Secondment>, ApiError> {
    Ok(Json(workforce::record_work(&state, &staff.user, id_in_path(&id)?, &b.done_on, &b.what, &b.hours).await?))
}
