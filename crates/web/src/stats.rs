//! The three rates and the reference data clients need to fill forms.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use grassroots_domain::rates::Rates;
use grassroots_domain::RegionCode;
use grassroots_store::RateFilter;
use serde::Deserialize;
use serde_json::{json, Value};

use crate::auth::{need, Can, Staff};
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateParams {
    region: Option<String>,
    unit: Option<String>,
    category: Option<String>,
    /// First day (YYYY-MM-DD, Beijing) or instant (RFC 3339), inclusive.
    from: Option<String>,
    /// Last day, inclusive, or an instant, exclusive.
    to: Option<String>,
}

/// A day is the whole Beijing day; `end` moves a day to the start of the next one.
pub(crate) fn parse_time(field: &'static str, raw: &str, end: bool) -> Result<DateTime<Utc>, ApiError> {
    let bad = || {
        ApiError::field(
            field,
            "日期格式应为YYYY-MM-DD（2000至2100年）",
            "expected a date YYYY-MM-DD (years 2000 to 2100) or an RFC 3339 time",
        )
    };
    let time = match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => {
            let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| bad())?;
            let day = if end { day.succ_opt().ok_or_else(bad)? } else { day };
            grassroots_domain::calendar::beijing()
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).ok_or_else(bad)?)
                .single()
                .ok_or_else(bad)?
                .with_timezone(&Utc)
        }
    };
    // Far-off years are typing slips, and arithmetic on them would overflow.
    if !(2000..=2100).contains(&time.year()) {
        return Err(bad());
    }
    Ok(time)
}

pub async fn rates(
    State(state): State<Arc<AppState>>,
    staff: Can<need::ViewStatistics>,
    ApiQuery(p): ApiQuery<RateParams>,
) -> Result<Json<Value>, ApiError> {
    let from = p.from.as_deref().map(|f| parse_time("from", f, false)).transpose()?;
    let to = p.to.as_deref().map(|t| parse_time("to", t, true)).transpose()?;
    if let (Some(f), Some(t)) = (from, to) {
        if f >= t {
            return Err(ApiError::field("to", "结束日期应晚于开始日期", "must be after from"));
        }
    }
    let category = p.category.as_deref().map(|c| crate::cases::category_param(&state.reference(), c)).transpose()?;
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
    Ok(Json(json!({
        "filter": { "region": filter.region, "unit": filter.unit, "category": filter.category, "from": from, "to": to },
        "counts": counts,
        "rates": Rates::from_counts(counts),
        "patrol": patrol,
    })))
}

pub async fn reference(State(state): State<Arc<AppState>>, _staff: Staff) -> Json<Value> {
    let r = state.reference();
    Json(json!({
        "categories": r.taxonomy.iter().collect::<Vec<_>>(),
        "units": r.units,
    }))
}
