//! 通报 over JSON: the bulletins of the caller's places and units, one made on demand for a
//! period, each read as numbers, as a PDF or as a workbook — all three from the one kept value.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use grassroots_app::bulletins;
use grassroots_domain::bulletins::Bulletin;
use grassroots_store::bulletins::{BulletinEntry, KeptBulletin};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::id_in_path;
use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new()
        .routes(routes!(list, generate))
        .routes(routes!(show))
        .routes(routes!(pdf))
        .routes(routes!(xlsx))
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Bulletins {
    /// The latest period first.
    pub bulletins: Vec<BulletinEntry>,
}

/// The bulletins of the districts, streets and units the caller's scope holds.
#[utoipa::path(get, path = "/v1/bulletins", tag = "burden", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Bulletins), (status = "default", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
) -> Result<Json<Bulletins>, ApiError> {
    Ok(Json(Bulletins { bulletins: bulletins::list(&state, &staff.user, 200).await? }))
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BulletinRequest {
    /// `district`, `street` or `unit`.
    #[serde(default)]
    pub subject: String,
    /// The district's or street's code, or the unit's id.
    #[serde(default)]
    pub code: String,
    /// `week` or `month`.
    #[serde(default)]
    pub period: String,
    /// A month `YYYY-MM`, or any day of a week; the last whole period when absent.
    pub of: Option<String>,
}

/// Makes (or makes again) the bulletin of a subject of the caller's scope for a whole period.
#[utoipa::path(post, path = "/v1/bulletins", tag = "burden", request_body = BulletinRequest, security(("bearer" = []), ("cookie" = [])),
    responses((status = 201, body = KeptBulletin), (status = "default", description = "A subject outside the scope, a period not yet over (422), …", body = ErrorBody)))]
pub async fn generate(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    ApiJson(b): ApiJson<BulletinRequest>,
) -> Result<(StatusCode, Json<KeptBulletin>), ApiError> {
    let made = bulletins::on_demand(&state, &staff.user, &b.subject, &b.code, &b.period, b.of.as_deref()).await?;
    Ok((StatusCode::CREATED, Json(made)))
}

/// A bulletin's numbers.
#[utoipa::path(get, path = "/v1/bulletins/{id}", tag = "burden", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = KeptBulletin), (status = "default", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    Path(id): Path<String>,
) -> Result<Json<KeptBulletin>, ApiError> {
    Ok(Json(bulletins::read(&state, &staff.user, id_in_path(&id)?).await?))
}

/// A file download named after the bulletin.
fn download(bulletin: &Bulletin, extension: &str, content_type: &'static str, bytes: Vec<u8>) -> Response {
    let name = format!("{}-{}-{}.{extension}", bulletin.subject.code, bulletin.period.as_str(), bulletin.span.from);
    let disposition = format!("attachment; filename=\"{name}\"");
    ([(header::CONTENT_TYPE, content_type.to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes)
        .into_response()
}

const PDF: &str = "application/pdf";
const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// The bulletin as a PDF.
#[utoipa::path(get, path = "/v1/bulletins/{id}/pdf", tag = "burden", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The PDF", content_type = "application/pdf"), (status = "default", body = ErrorBody)))]
pub async fn pdf(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let kept = bulletins::read(&state, &staff.user, id_in_path(&id)?).await?;
    Ok(download(&kept.bulletin, "pdf", PDF, bulletins::pdf(&kept.bulletin)))
}

/// The bulletin as an Excel workbook.
#[utoipa::path(get, path = "/v1/bulletins/{id}/xlsx", tag = "burden", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, description = "The workbook", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"), (status = "default", body = ErrorBody)))]
pub async fn xlsx(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    Path(id): Path<String>,
) -> Result<Response, ApiError> {
    let kept = bulletins::read(&state, &staff.user, id_in_path(&id)?).await?;
    let bytes = bulletins::xlsx(&kept.bulletin).map_err(|e| {
        tracing::error!(error = %e, "bulletin workbook");
        ApiError::internal()
    })?;
    Ok(download(&kept.bulletin, "xlsx", XLSX, bytes))
}
