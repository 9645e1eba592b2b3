//! Intake: anyone may report a problem; an operator may report one on a caller's behalf.

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::middleware::from_fn_with_state;
use axum::Json;
use grassroots_app::intake::{self, Report, Reporter};
use grassroots_app::patrol::{self, PatrolReport};
use grassroots_domain::CaseState;
use grassroots_store::{CreatedCase, NewAttachment};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody, RateLimited};
use crate::extract::ApiJson;
use crate::pages::beijing_minutes;
use crate::ratelimit::limit_intake;
use crate::session::{need, Can, MaybeStaff};
use crate::AppState;

pub(crate) fn router(state: &Arc<AppState>) -> OpenApiRouter<Arc<AppState>> {
    // Residents' reports count against their address's limit; staff taking calls do not.
    let limited =
        OpenApiRouter::new().routes(routes!(create_case)).route_layer(from_fn_with_state(state.clone(), limit_intake));
    let photos = OpenApiRouter::new().routes(routes!(patrol)).layer(DefaultBodyLimit::max(crate::PHOTO_FORM_LIMIT));
    OpenApiRouter::new().merge(limited).merge(photos)
}

/// A report: what, which category, where (a point or an address), and who, unless anonymous.
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    pub description: String,
    pub category_code: Option<String>,
    pub request_type: Option<String>,
    pub priority: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub address: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    #[serde(default)]
    pub anonymous: bool,
    /// Text messages to `reporter_phone` (a mobile) when the case is dispatched, handled and
    /// closed, each with a link to the case.
    #[serde(default)]
    pub notify: bool,
    pub channel: Option<String>,
    /// From the `Idempotency-Key` header, or a form's hidden `idempotency_key`.
    #[serde(skip)]
    pub idempotency_key: Option<String>,
}

impl IntakeRequest {
    /// Sets a field from a form (multipart or urlencoded); an empty value is no value.
    /// Unknown names are refused, naming the field.
    pub(crate) fn set_form_field(&mut self, name: &str, text: String) -> Result<(), ApiError> {
        let given = (!text.trim().is_empty()).then_some(text);
        let number = |field: &'static str, v: &Option<String>| {
            v.as_deref()
                .map(|t| t.trim().parse::<f64>().map_err(|_| ApiError::field(field, "应为数字", "must be a number")))
                .transpose()
        };
        match name {
            "description" => self.description = given.unwrap_or_default(),
            "category_code" => self.category_code = given,
            "address" => self.address = given,
            "lat" => self.lat = number("lat", &given)?,
            "lng" => self.lng = number("lng", &given)?,
            "priority" => self.priority = given,
            "request_type" => self.request_type = given,
            "reporter_name" => self.reporter_name = given,
            "reporter_phone" => self.reporter_phone = given,
            "anonymous" => self.anonymous = given.is_some_and(|v| matches!(v.trim(), "true" | "on" | "1")),
            "notify" => self.notify = given.is_some_and(|v| matches!(v.trim(), "true" | "on" | "1")),
            // Drawn with the form, so that a form sent twice makes one case.
            "idempotency_key" => self.idempotency_key = given,
            other => return Err(ApiError::field(other, "未知字段", "unknown field")),
        }
        Ok(())
    }
}

impl IntakeRequest {
    /// The report as the intake use case takes it, with the photos of its form.
    pub(crate) fn into_report(self, photos: Vec<NewAttachment>) -> Report {
        Report {
            description: self.description,
            category_code: self.category_code,
            request_type: self.request_type,
            priority: self.priority,
            channel: self.channel,
            lat: self.lat,
            lng: self.lng,
            address: self.address,
            reporter_name: self.reporter_name,
            reporter_phone: self.reporter_phone,
            anonymous: self.anonymous,
            notify: self.notify,
            place: None,
            photos,
            key: self.idempotency_key,
        }
    }
}

/// Takes in a report. Residents report without logging in (channel web or mobile); an operator
/// or grid worker with a session reports on someone's behalf and may set the priority. Where
/// the responsibility matrix says so, the case is dispatched at once. A report sent again with
/// the `Idempotency-Key` it was first sent with (within 24 hours) is answered as it was the
/// first time, and makes no second case.
#[utoipa::path(post, path = "/v1/cases", tag = "intake", request_body = IntakeRequest,
    params(("Idempotency-Key" = Option<String>, Header,
        description = "16 to 128 visible ASCII characters drawn by the client (a UUID): the same report sent again with the same key is answered with the case the first made. The same key with another report is refused (422).")),
    responses(
        (status = 201, description = "Received: keep the tracking number and query code", body = Received),
        RateLimited,
        (status = "default", description = "A field refused (422), too many reports from this address (429), …", body = ErrorBody),
    ))]
pub async fn create_case(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    headers: HeaderMap,
    ApiJson(mut req): ApiJson<IntakeRequest>,
) -> Result<(StatusCode, Json<Received>), ApiError> {
    let reporter = match &staff {
        Some(staff) => Reporter::Staff(&staff.user),
        None => Reporter::Resident,
    };
    req.idempotency_key = idempotency_key(&headers)?;
    let created = intake::submit(&state, reporter, req.into_report(Vec::new())).await?;
    Ok((StatusCode::CREATED, Json(Received::of(&created))))
}

/// The `Idempotency-Key` header's value, if it has one.
pub(crate) fn idempotency_key(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    headers
        .get("idempotency-key")
        .map(|v| {
            v.to_str().map(str::to_string).map_err(|_| {
                ApiError::field("Idempotency-Key", "幂等键应为可见ASCII字符", "must be visible ASCII characters")
            })
        })
        .transpose()
}

/// The answer to a report: tracking number, query code, and when to expect what.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Received {
    pub id: uuid::Uuid,
    /// 受理编号: 14 digits.
    pub tracking_no: String,
    /// 查询码: shown this once; with the tracking number it finds the case.
    pub query_code: String,
    pub status: CaseState,
    pub response_due: chrono::DateTime<chrono::Utc>,
    pub resolve_due: chrono::DateTime<chrono::Utc>,
    /// What to tell the reporter, in Chinese and English.
    pub message: String,
    /// Photos stored with a patrol report.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub photos: Option<usize>,
    /// A patrol report closed on the spot (就地解决).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_on_spot: Option<bool>,
}

impl Received {
    fn of(created: &CreatedCase) -> Self {
        let (respond, resolve) = (beijing_minutes(created.response_due), beijing_minutes(created.resolve_due));
        Self {
            id: created.id,
            tracking_no: created.tracking_no.clone(),
            query_code: created.query_code.clone(),
            status: created.status,
            response_due: created.response_due,
            resolve_due: created.resolve_due,
            message: format!(
                "已受理，请记下受理编号和查询码。我们将在{respond}前与您联系，{resolve}前办结。 / Received. Keep the tracking number and query code. We will respond by {respond} and resolve by {resolve} (Beijing time)."
            ),
            photos: None,
            resolved_on_spot: None,
        }
    }
}

/// Photos a report may carry, and how large each may be.
const MAX_PHOTOS: usize = 6;
const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// A multipart form read whole: its text fields in order, and its photos, checked.
pub(crate) struct ReadForm {
    pub fields: Vec<(String, String)>,
    pub photos: Vec<NewAttachment>,
}

/// Reads a `multipart/form-data` body whose files are photos (`photo` parts): at most six,
/// 5 MB each, JPEG, PNG or WebP by their bytes. An empty file part (a form whose file input
/// was left empty) is no photo.
pub(crate) async fn read_form(
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<ReadForm, ApiError> {
    let mut form = form.map_err(|_| ApiError::unsupported_media_type("multipart/form-data"))?;
    let bad_form = |e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::payload_too_large(),
        _ => ApiError::bad_request(format!("表单无法读取：{e}"), format!("the form cannot be read: {e}"), None),
    };
    let mut read = ReadForm { fields: Vec::new(), photos: Vec::new() };
    while let Some(field) = form.next_field().await.map_err(bad_form)? {
        let name = field.name().unwrap_or_default().to_string();
        if name != "photo" {
            read.fields.push((name, field.text().await.map_err(bad_form)?));
            continue;
        }
        let bytes = field.bytes().await.map_err(bad_form)?;
        if bytes.is_empty() {
            continue;
        }
        if read.photos.len() == MAX_PHOTOS {
            return Err(ApiError::field("photo", "最多6张照片", "at most 6 photos"));
        }
        if bytes.len() > MAX_PHOTO_BYTES {
            return Err(ApiError::field("photo", "每张照片不能超过5MB", "each photo must be at most 5 MB"));
        }
        let media_type = photo_type(&bytes).ok_or_else(|| {
            ApiError::field("photo", "照片应为JPEG、PNG或WebP格式", "photos must be JPEG, PNG or WebP")
        })?;
        read.photos.push(NewAttachment { media_type: media_type.into(), bytes: bytes.to_vec() });
    }
    Ok(read)
}

/// The image type of `bytes` by their first bytes, whatever the client claims.
fn photo_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

/// The patrol form, as a multipart body: the report's fields (as for `POST /api/v1/cases`),
/// its photos, and what was done on the spot.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the multipart form for the document; the form is read field by field.
pub struct PatrolForm {
    description: String,
    category_code: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    address: Option<String>,
    /// One of the worker's grids, for a report without coordinates.
    grid: Option<String>,
    /// `true` closes the case at once (就地解决), with `result`.
    resolved_on_spot: Option<bool>,
    result: Option<String>,
    /// Up to 6 photos (JPEG, PNG or WebP by their bytes), 5 MB each.
    #[schema(value_type = Vec<String>, format = Binary)]
    photo: Vec<Vec<u8>>,
}

/// 巡查上报: a grid worker reports a problem found on patrol, with its position and photos;
/// with `resolved_on_spot` and a `result` the case is closed at once (就地解决).
#[utoipa::path(post, path = "/v1/patrol", tag = "grids", security(("bearer" = []), ("cookie" = [])),
    request_body(content = PatrolForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "Taken in, and closed when resolved on the spot", body = Received),
        (status = "default", description = "Not a grid worker (403), a field refused (422), …", body = ErrorBody),
    ))]
pub async fn patrol(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ReportOnPatrol>,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Received>), ApiError> {
    let patrolled = patrol::report(&state, &staff.user, patrol_report(read_form(form).await?)?).await?;
    let mut answer = Received::of(&patrolled.created);
    answer.photos = Some(patrolled.photos);
    if let Some(record) = patrolled.closed {
        answer.status = record.state;
        answer.resolved_on_spot = Some(record.resolved_on_spot);
    }
    Ok((StatusCode::CREATED, Json(answer)))
}

/// A patrol form as the patrol use case takes it: the report's fields, the grid, and what
/// was done on the spot.
pub(crate) fn patrol_report(form: ReadForm) -> Result<PatrolReport, ApiError> {
    let mut req = IntakeRequest::default();
    let mut patrol = PatrolReport::default();
    for (name, text) in form.fields {
        match name.as_str() {
            "resolved_on_spot" => patrol.resolved_on_spot = matches!(text.trim(), "true" | "on" | "1"),
            "result" => patrol.result = Some(text),
            "grid" => patrol.grid = Some(text.trim().to_string()).filter(|g| !g.is_empty()),
            _ => req.set_form_field(&name, text)?,
        }
    }
    patrol.report = req.into_report(form.photos);
    Ok(patrol)
}
