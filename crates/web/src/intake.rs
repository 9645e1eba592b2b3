//! Intake: anyone may report a problem; an operator may report one on a caller's behalf.

use std::sync::Arc;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use chrono::Utc;
use grassroots_domain::calendar::deadlines;
use grassroots_domain::case::{LocatedBy, Place};
use grassroots_domain::personal::{normalize_phone, validate_name};
use grassroots_domain::{Actor, Channel, Priority, RegionCode, RequestType, Role, Scope};
use grassroots_geo::placement::{place_in, Unplaced};
use grassroots_store::NewCase;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::MaybeStaff;
use crate::error::ApiError;
use crate::extract::ApiJson;
use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IntakeRequest {
    description: String,
    category_code: Option<String>,
    request_type: Option<String>,
    priority: Option<String>,
    lat: Option<f64>,
    lng: Option<f64>,
    address: Option<String>,
    reporter_name: Option<String>,
    reporter_phone: Option<String>,
    #[serde(default)]
    anonymous: bool,
    channel: Option<String>,
}

/// The category for requests whose reporter did not choose one (其他).
const UNSORTED_CATEGORY: &str = "18";

pub async fn create_case(
    State(state): State<Arc<AppState>>,
    MaybeStaff(staff): MaybeStaff,
    ApiJson(req): ApiJson<IntakeRequest>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let reference = state.reference();
    let actor = match &staff {
        Some(s) if s.user.role == Role::Operator || s.user.role == Role::GridWorker => s.actor(),
        Some(s) => {
            return Err(ApiError::Forbidden(format!(
                "角色“{}”不能登记诉求 / role {} cannot take in requests",
                s.user.role.label_zh(),
                s.user.role.as_str()
            )))
        }
        None => Actor::Resident,
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
    let channel = match (&req.channel, &staff) {
        (None, None) => Channel::Web,
        (None, Some(s)) if s.user.role == Role::GridWorker => Channel::GridPatrol,
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
    let mut place = locate(&state, &req)?;
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
        attachments: Vec::new(),
    };
    let created = state.store.create_case(new, &actor).await?;
    let local = |t: chrono::DateTime<Utc>| {
        t.with_timezone(&grassroots_domain::calendar::beijing()).format("%Y-%m-%d %H:%M").to_string()
    };
    let body = json!({
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
    });
    Ok((StatusCode::CREATED, Json(body)))
}

/// Places the request by its coordinates (which must fall in a served district) and, failing
/// a grid, by the region names in its address.
fn locate(state: &AppState, req: &IntakeRequest) -> Result<Place, ApiError> {
    let address = req.address.as_deref().map(str::trim).filter(|a| !a.is_empty());
    if let Some(a) = address {
        if a.chars().count() > 200 {
            return Err(ApiError::field("address", "地址不能超过200个字符", "must be at most 200 characters"));
        }
    }
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
