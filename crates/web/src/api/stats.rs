//! The three rates and the reference data clients need to fill forms.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use grassroots_domain::rates::{RateCounts, Rates};
use grassroots_domain::{Category, RegionCode};
use grassroots_store::{PatrolCounts, RateFilter, Unit};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::session::{need, Can, Staff};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(rates)).routes(routes!(reference))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct RateParams {
    /// A district, street, community or grid code.
    #[param(pattern = "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})$")]
    region: Option<String>,
    /// A lead unit's id.
    unit: Option<String>,
    /// A category code; a top-level code includes its sub-categories.
    category: Option<String>,
    /// First day (YYYY-MM-DD, Beijing) or instant (RFC 3339), inclusive.
    from: Option<String>,
    /// Last day, inclusive, or an instant, exclusive.
    to: Option<String>,
}

/// The three rates (响应率, 解决率, 满意率) within the caller's scope, with the counts they are
/// made of, and what grid workers found on patrol.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RatesAnswer {
    pub filter: RatesFilter,
    pub counts: RateCounts,
    pub rates: Rates,
    /// Patrol reports by when they were received; absent for a unit (patrol cases go to none).
    pub patrol: Option<PatrolCounts>,
}

/// The filter as understood.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RatesFilter {
    #[schema(value_type = Option<String>)]
    pub region: Option<RegionCode>,
    pub unit: Option<String>,
    pub category: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub to: Option<DateTime<Utc>>,
}

/// What forms need to offer: the categories and the units.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReferenceAnswer {
    pub categories: Vec<Category>,
    pub units: Vec<Unit>,
}

#[utoipa::path(get, path = "/v1/stats/rates", tag = "statistics", params(RateParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = RatesAnswer), (status = "default", body = ErrorBody)))]
pub async fn rates(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    ApiQuery(p): ApiQuery<RateParams>,
) -> Result<Json<RatesAnswer>, ApiError> {
    let from = p.from.as_deref().map(|f| grassroots_app::fields::time("from", f, false)).transpose()?;
    let to = p.to.as_deref().map(|t| grassroots_app::fields::time("to", t, true)).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(ApiError::field("to", "结束日期应晚于开始日期", "must be after from"));
        }
    }
    let category =
        p.category.as_deref().map(|c| crate::api::cases::category_param(&state.reference(), c)).transpose()?;
    let filter = RateFilter {
        region: p.region.as_deref().map(RegionCode::parse).transpose()?,
        unit: p.unit,
        category,
        from,
        to,
        as_of: None,
    };
    let counts = state.store.rate_counts(&staff.user.scope, &filter).await?;
    // Patrol reports are counted by when they were received, and not by unit: a case fixed on
    // the spot never went to one.
    let patrol = match filter.unit {
        None => Some(state.store.patrol_counts(&staff.user.scope, &filter).await?),
        Some(_) => None,
    };
    let RateFilter { region, unit, category, .. } = filter;
    Ok(Json(RatesAnswer {
        filter: RatesFilter { region, unit, category, from, to },
        counts,
        rates: Rates::from_counts(counts),
        patrol,
    }))
}

/// The categories (with their deadlines) and the units, for staff forms.
#[utoipa::path(get, path = "/v1/reference", tag = "statistics", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ReferenceAnswer), (status = "default", body = ErrorBody)))]
pub async fn reference(State(state): State<Arc<AppState>>, _staff: Staff) -> Json<ReferenceAnswer> {
    let r = state.reference();
    Json(ReferenceAnswer { categories: r.taxonomy.iter().cloned().collect(), units: r.units.clone() })
}
