//! `POST /api/v1/classify`: the categories a request's words suggest, with the words that
//! decided and, for a place, the unit the responsibility matrix gives.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiJson;
use crate::session::Staff;
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(classify))
}

/// A request's words, and where it is if known (a point or an address).
#[derive(Debug, Default, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ClassifyRequest {
    pub description: String,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub address: Option<String>,
}

/// A proposed category.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ProposedCategory {
    pub category_code: String,
    pub category_name: String,
    /// 0 to 1.
    pub confidence: f64,
    /// The words of the request that decided it, strongest first.
    pub reasons: Vec<String>,
    /// The unit the responsibility matrix gives at the place; absent without a place.
    pub unit: Option<String>,
    pub unit_why_zh: Option<String>,
    pub unit_why_en: Option<String>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Classified {
    /// Most likely first.
    pub categories: Vec<ProposedCategory>,
}

/// The categories a request's words suggest (智能分类), ranked, each with its confidence and
/// the words that decided it, and for a place the unit the matrix gives. For any staff member.
#[utoipa::path(post, path = "/v1/classify", tag = "cases", request_body = ClassifyRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Classified), (status = "default", body = ErrorBody)))]
pub async fn classify(
    State(state): State<Arc<AppState>>,
    _staff: Staff,
    ApiJson(req): ApiJson<ClassifyRequest>,
) -> Result<Json<Classified>, ApiError> {
    let given = req.lat.is_some() || req.lng.is_some() || req.address.as_deref().is_some_and(|a| !a.trim().is_empty());
    let place = if given {
        Some(grassroots_app::intake::locate(&state, req.lat, req.lng, req.address.as_deref())?)
    } else {
        None
    };
    let reference = state.reference();
    let proposed = grassroots_app::classify::propose(&state, &req.description, place.as_ref())?;
    let categories = proposed
        .into_iter()
        .map(|p| {
            let (unit, unit_why_zh, unit_why_en) = match p.unit {
                Some((unit, zh, en)) => (Some(unit), Some(zh), Some(en)),
                None => (None, None, None),
            };
            ProposedCategory {
                category_name: reference.taxonomy.get(&p.category_code).map(|c| c.name_zh.clone()).unwrap_or_default(),
                category_code: p.category_code,
                confidence: p.confidence,
                reasons: p.reasons,
                unit,
                unit_why_zh,
                unit_why_en,
            }
        })
        .collect();
    Ok(Json(Classified { categories }))
}
