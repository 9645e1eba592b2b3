//! Intake: anyone may report a problem; an operator may report one on a caller's behalf.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use grassroots_domain::calendar::deadlines;
use grassroots_domain::case::{LocatedBy, Place};
use grassroots_domain::personal::{normalize_phone, validate_name};
use grassroots_domain::{Actor, Capability, Channel, Move, Priority, RegionCode, RequestType, Scope};
use grassroots_geo::placement::{place_in, Unplaced};
use grassroots_store::{CreatedCase, NewAttachment, NewCase};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{MaybeStaff, Staff};
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
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
    pub channel: Option<String>,
    /// The channel of an exchange endpoint (Open311) the report came through; never read
    /// from a request body.
    #[serde(skip)]
    pub client_channel: Option<Channel>,
    /// The API key an exchange endpoint's report came with, recorded as the reporter of the
    /// case; never read from a request body.
    #[serde(skip)]
    pub client_key: Option<uuid::Uuid>,
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
            other => {
                return Err(ApiError::Invalid {
                    field: other.to_string(),
                    message: format!("未知字段“{other}” / unknown field '{other}'"),
                })
            }
        }
        Ok(())
    }
}

/// The category for requests whose reporter did not choose one (其他).
const UNSORTED_CATEGORY: &str = "18";

pub async fn create_case(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    ApiJson(req): ApiJson<IntakeRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let mut created = take_in(&state, staff.as_ref(), req, None, Vec::new()).await?;
    dispatch_automatically(&state, &mut created).await?;
    Ok((StatusCode::CREATED, Json(created_body(&created))))
}

/// 自动派遣: when the responsibility matrix line that matches a new case says so, the platform
/// registers and dispatches it at once. The case is already durable: if a move fails, the
/// case simply waits for a dispatcher.
pub(crate) async fn dispatch_automatically(state: &AppState, created: &mut CreatedCase) -> Result<(), ApiError> {
    let reference = state.reference();
    let Some(record) = state.store.case_record(created.id).await? else { return Ok(()) };
    let Some(line) = reference.suggest(&record.category_code, &record.place).filter(|s| s.auto_dispatch) else {
        return Ok(());
    };
    let ctx = state.move_context(&reference, Utc::now());
    let note = Some(format!("自动派遣 / auto-dispatch: {}", line.why_zh));
    let register = Move::Register { note: note.clone() };
    let dispatch = Move::Dispatch { unit: line.unit.id.clone(), co_units: Vec::new(), note };
    let moved = match state.store.apply_move(&Actor::System, created.id, &register, &ctx).await {
        Ok(_) => state.store.apply_move(&Actor::System, created.id, &dispatch, &ctx).await,
        Err(e) => Err(e),
    };
    match moved {
        Ok(record) => created.status = record.state,
        Err(e) => {
            tracing::warn!(case = %created.id, error = %e, "auto-dispatch failed; the case waits for a dispatcher")
        }
    }
    Ok(())
}

/// Validates a report and makes it a case: placed by `place` when the caller knows it (a visit
/// in a grid), else by its coordinates and address.
pub(crate) async fn take_in(
    state: &AppState,
    staff: Option<&Staff>,
    req: IntakeRequest,
    place: Option<Place>,
    attachments: Vec<NewAttachment>,
) -> Result<CreatedCase, ApiError> {
    let reference = state.reference();
    let actor = match &staff {
        Some(s) => {
            s.require(Capability::TakeInRequests)?;
            s.actor()
        }
        None => req.client_key.map_or(Actor::Resident, |key_id| Actor::ApiKey { key_id }),
    };

    let description = req.description.trim();
    let len = description.chars().count();
    if len == 0 || len > 4000 {
        return Err(ApiError::field(
            "description",
            "请描述问题（1到4000个字符）",
            "describe the problem in 1 to 4000 characters",
        ));
    }
    let category = reference.taxonomy.lookup(req.category_code.as_deref().unwrap_or(UNSORTED_CATEGORY))?;
    let request_type = match &req.request_type {
        Some(t) => RequestType::parse_field("request_type", t)?,
        None => RequestType::Complaint,
    };
    let priority = match (&req.priority, &staff) {
        (None, _) => Priority::Normal,
        (Some(p), Some(_)) => Priority::parse_field("priority", p)?,
        (Some(_), None) => {
            return Err(ApiError::field("priority", "紧急程度由工作人员确定", "priority is set by staff"))
        }
    };
    let channel = match (&req.channel, staff) {
        (None, None) => req.client_channel.unwrap_or(Channel::Web),
        (None, Some(s)) if s.may(Capability::ReportOnPatrol) => Channel::GridPatrol,
        (None, Some(_)) => Channel::Phone,
        (Some(c), None) => match Channel::parse_field("channel", c)? {
            c @ (Channel::Web | Channel::Mobile) => c,
            _ => {
                return Err(ApiError::field(
                    "channel",
                    "群众只能通过网站或移动端提交",
                    "residents report through web or mobile",
                ))
            }
        },
        (Some(c), Some(_)) => Channel::parse_field("channel", c)?,
    };
    if req.address.as_deref().is_some_and(|a| a.trim().chars().count() > 200) {
        return Err(ApiError::field("address", "地址不能超过200个字符", "must be at most 200 characters"));
    }
    let mut place = match place {
        Some(p) => p,
        None => locate(state, &req)?,
    };
    // A grid worker on patrol reports from their grids: a point in a grid places the case
    // there; otherwise it goes to their grid in the named community, else their first.
    if let Some(Scope::Grids { codes }) = staff.as_ref().map(|s| &s.user.scope) {
        let in_community = place.community_code.as_ref().and_then(|c| codes.iter().find(|g| g.starts_with(c.as_str())));
        if let Some(grid) = in_community.or(codes.first()).filter(|_| place.grid_code.is_none()) {
            let grid = RegionCode::parse(grid)?;
            place = Place { lat: place.lat, lng: place.lng, address: place.address, ..place_in(&grid) };
            place.located_by = Some(LocatedBy::Patrol);
        }
    }

    let given = |v: &Option<String>| v.as_deref().is_some_and(|s| !s.trim().is_empty());
    let (reporter_name, reporter_phone) = if req.anonymous {
        if given(&req.reporter_name) || given(&req.reporter_phone) {
            return Err(ApiError::field(
                "anonymous",
                "匿名反映时不能填写姓名和电话",
                "an anonymous report cannot carry a name or phone",
            ));
        }
        (None, None)
    } else {
        let name = req.reporter_name.as_deref().filter(|n| !n.trim().is_empty()).map(validate_name).transpose()?;
        let phone = req.reporter_phone.as_deref().filter(|p| !p.trim().is_empty()).map(normalize_phone).transpose()?;
        (name, phone)
    };

    let now = Utc::now();
    let due = deadlines(&reference.calendar, category, priority, now);
    let new = NewCase {
        category_code: category.code.0.clone(),
        request_type,
        priority,
        channel,
        description: description.to_string(),
        place,
        anonymous: reporter_name.is_none() && reporter_phone.is_none(),
        reporter_name,
        reporter_phone,
        response_due: due.response_due,
        resolve_due: due.resolve_due,
        received_at: now,
        attachments,
    };
    Ok(state.store.create_case(new, &actor).await?)
}

/// The answer to a report: tracking number, query code, and when to expect what.
fn created_body(created: &CreatedCase) -> Value {
    let local = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&grassroots_domain::calendar::beijing()).format("%Y-%m-%d %H:%M").to_string()
    };
    json!({
        "id": created.id,
        "tracking_no": created.tracking_no,
        "query_code": created.query_code,
        "status": created.status,
        "response_due": created.response_due,
        "resolve_due": created.resolve_due,
        "message": format!(
            "已受理，请记下受理编号和查询码。我们将在{}前与您联系，{}前办结。 / Received. Keep the tracking number and query code. We will respond by {} and resolve by {} (Beijing time).",
            local(created.response_due), local(created.resolve_due), local(created.response_due), local(created.resolve_due)
        ),
    })
}

/// Places the request by its coordinates (which must fall in a served district) and, failing
/// a grid, by the region names in its address.
pub(crate) fn locate(state: &AppState, req: &IntakeRequest) -> Result<Place, ApiError> {
    let address = req.address.as_deref().map(str::trim).filter(|a| !a.is_empty());
    let point = match (req.lat, req.lng) {
        (Some(lat), Some(lng)) => {
            if !(-90.0..=90.0).contains(&lat) {
                return Err(ApiError::field("lat", "纬度应在-90到90之间", "latitude must be between -90 and 90"));
            }
            if !(-180.0..=180.0).contains(&lng) {
                return Err(ApiError::field("lng", "经度应在-180到180之间", "longitude must be between -180 and 180"));
            }
            Some((lng, lat))
        }
        (Some(_), None) => return Err(ApiError::field("lng", "请同时提供经度和纬度", "give lng together with lat")),
        (None, Some(_)) => return Err(ApiError::field("lat", "请同时提供经度和纬度", "give lat together with lng")),
        (None, None) if address.is_none() => {
            return Err(ApiError::field(
                "address",
                "请在地图上选择位置或填写地址",
                "give coordinates (lat, lng) or an address",
            ))
        }
        (None, None) => None,
    };
    state.placer().place(point, address).map_err(|e| match e {
        Unplaced::OutsideServiceArea => {
            ApiError::field("lat", "坐标不在本平台服务范围内", "the coordinates are outside the service area")
        }
        Unplaced::Unknown => ApiError::field(
            "address",
            "无法确定位置：请在地图上选择，或写明街道、社区",
            "cannot tell where this is: pick the place on the map or name the street and community",
        ),
    })
}

/// The longest result a move accepts (the workflow's limit, checked before the case exists).
const MAX_RESULT_CHARS: usize = 4000;

/// Photos a patrol report may carry, and how large each may be.
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
    let mut form = form.map_err(|_| ApiError::UnsupportedMediaType { expected: "multipart/form-data" })?;
    let bad_form = |e: axum::extract::multipart::MultipartError| match e.status() {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::PayloadTooLarge,
        _ => {
            ApiError::BadRequest { message: format!("表单无法读取 / the form cannot be read: {e}"), field: None }
        }
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

/// 巡查上报: a grid worker reports a problem found on patrol, as a multipart form with its
/// position and photos; with `resolved_on_spot` and a `result` the case is closed at once
/// (就地解决). The case is durable before the closing move is tried, so a refused closing
/// never loses the report.
pub async fn patrol(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    form: Result<axum::extract::Multipart, axum::extract::multipart::MultipartRejection>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let patrolled = take_patrol(&state, &staff, read_form(form).await?).await?;
    let mut body = created_body(&patrolled.created);
    body["photos"] = json!(patrolled.photos);
    if let Some(record) = patrolled.closed {
        body["status"] = json!(record.state);
        body["resolved_on_spot"] = json!(record.resolved_on_spot);
    }
    Ok((StatusCode::CREATED, Json(body)))
}

/// A patrol report taken in: its case, how many photos it carries, and — resolved on the
/// spot — the closed case.
pub(crate) struct Patrolled {
    pub created: CreatedCase,
    pub photos: usize,
    pub closed: Option<grassroots_domain::CaseRecord>,
}

/// 巡查上报 from a form, for the API and the grid worker's page alike. Without coordinates
/// the report may name one of the worker's grids (`grid`).
pub(crate) async fn take_patrol(state: &AppState, staff: &Staff, form: ReadForm) -> Result<Patrolled, ApiError> {
    staff.require(Capability::ReportOnPatrol)?;
    let mut req = IntakeRequest { channel: Some(Channel::GridPatrol.as_str().into()), ..IntakeRequest::default() };
    let (mut on_spot, mut result, mut grid) = (false, None, None);
    for (name, text) in form.fields {
        match name.as_str() {
            "resolved_on_spot" => on_spot = matches!(text.trim(), "true" | "on" | "1"),
            "result" => result = Some(text),
            "grid" => grid = Some(text.trim().to_string()).filter(|g| !g.is_empty()),
            _ => req.set_form_field(&name, text)?,
        }
    }
    let result = match (on_spot, result.as_deref().map(str::trim)) {
        (true, None | Some("")) => {
            return Err(ApiError::field(
                "result",
                "就地解决时请说明处置结果",
                "say what was done when resolving on the spot",
            ))
        }
        (true, Some(r)) if r.chars().count() > MAX_RESULT_CHARS => {
            return Err(ApiError::field("result", "处置结果不能超过4000个字符", "must be at most 4000 characters"))
        }
        (true, Some(r)) => Some(r.to_string()),
        (false, _) => None,
    };
    // Checked before the case exists: a worker closes on the spot only in their own grids.
    if let (Some(_), Some(lat), Some(lng)) = (&result, req.lat, req.lng) {
        let grid = state.placer().place(Some((lng, lat)), None).ok().and_then(|p| p.grid_code);
        if grid.is_some_and(|g| !staff.user.scope.covers_grid(&g)) {
            return Err(ApiError::field(
                "resolved_on_spot",
                "该位置在他人负责的网格内，请上报而不要就地解决",
                "the place lies in another worker's grid: report it without resolving on the spot",
            ));
        }
    }
    let place = match grid.filter(|_| req.lat.is_none()) {
        Some(code) if staff.user.scope.covers_grid(&code) => {
            let grid = RegionCode::parse(&code)?;
            Some(Place { located_by: Some(LocatedBy::Patrol), address: req.address.clone(), ..place_in(&grid) })
        }
        Some(_) => return Err(ApiError::field("grid", "不是您负责的网格", "not one of your grids")),
        None => None,
    };
    let photos = form.photos.len();
    let mut created = take_in(state, Some(staff), req, place, form.photos).await?;
    let closed = match result {
        Some(result) => {
            let reference = state.reference();
            let ctx = state.move_context(&reference, Utc::now());
            Some(state.store.apply_move(&staff.actor(), created.id, &Move::ResolveOnSpot { result }, &ctx).await?)
        }
        None => {
            dispatch_automatically(state, &mut created).await?;
            None
        }
    };
    Ok(Patrolled { created, photos, closed })
}
