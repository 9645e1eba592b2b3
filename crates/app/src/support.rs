//! 附议: before a resident sends a report, the open reports of the same category around their
//! place are offered; joining one adds the resident to it (counted, texted if they ask) instead
//! of opening another case. Sensitive categories are never offered nor joined, as the public
//! never sees them.

use chrono::Utc;
use grassroots_domain::personal::{is_mobile, normalize_phone};
use grassroots_domain::public::publishable;
use grassroots_domain::support::{JOIN_RADIUS_M, MAX_OFFERED};
use grassroots_domain::{CaseRecord, Scope};
use grassroots_store::support::{Joined, NearbyCase, NewSupporter};
use grassroots_store::CaseFilter;

use crate::{AppError, Platform, Result};

/// The open reports of `category_code` near (lat, lng) that a resident may join, nearest first,
/// their distances to 10 m (closer than that says more of where they were reported).
pub async fn nearby(platform: &Platform, category_code: &str, point: (f64, f64)) -> Result<Vec<NearbyCase>> {
    if !publishable(&platform.reference().taxonomy, category_code) {
        return Ok(Vec::new());
    }
    let near = platform.store.open_cases_near(category_code, point, JOIN_RADIUS_M, MAX_OFFERED).await?;
    Ok(near.into_iter().map(|n| NearbyCase { distance_m: (n.distance_m / 10.0).round() * 10.0, ..n }).collect())
}

/// What a resident joining a case gives: their phone, if any, and whether to be texted.
#[derive(Debug, Clone, Default)]
pub struct Joining {
    pub phone: Option<String>,
    pub notify: bool,
}

/// Joins the resident to the open case with this tracking number.
#[tracing::instrument(skip_all)]
pub async fn join(platform: &Platform, tracking_no: &str, joining: Joining) -> Result<Joined> {
    let phone = joining.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()).map(normalize_phone).transpose()?;
    if joining.notify && !phone.as_deref().is_some_and(is_mobile) {
        return Err(AppError::invalid(
            "notify",
            "接收短信通知需要留下手机号码（11位）",
            "text messages need a mobile number (11 digits) to go to",
        ));
    }
    // A case the public may not see cannot be joined either: nothing tells it exists.
    public_record(platform, tracking_no).await?;
    let supporter = NewSupporter { phone, notify: joining.notify };
    Ok(platform.store.join_case(tracking_no, &supporter, Utc::now()).await?)
}

/// A case by its tracking number, if the public may see it.
pub async fn public_record(platform: &Platform, tracking_no: &str) -> Result<CaseRecord> {
    let tracking_no = tracking_no.trim();
    if !grassroots_domain::case::is_tracking_no(tracking_no) {
        return Err(AppError::NotFound);
    }
    let filter = CaseFilter { text: Some(tracking_no.to_string()), limit: 1, ..CaseFilter::default() };
    let found = platform.store.list_cases(&Scope::All, &filter).await?.cases.into_iter().next();
    found
        .map(|c| c.record)
        .filter(|r| publishable(&platform.reference().taxonomy, &r.category_code))
        .ok_or(AppError::NotFound)
}
