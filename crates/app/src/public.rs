//! What the public sees of cases, on the public pages and through Open311 without a key: the
//! rules of [`grassroots_domain::public`] applied, with the counts of cases per community and
//! category they need (counted again every few minutes, not on every request).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::public::{self as rules, shows_community};
use grassroots_domain::{CaseRecord, CaseState};
use grassroots_store::CasePoint;

use crate::{Platform, Result};

/// How long the counts are used before they are counted again.
const FRESH_FOR: Duration = Duration::from_secs(300);

/// Cases per (community, category) over the rules' period, as last counted.
#[derive(Debug, Default)]
pub struct Groups {
    counts: HashMap<(String, String), i64>,
}

impl Groups {
    fn shows_community(&self, community: &str, category: &str) -> bool {
        let n = self.counts.get(&(community.to_string(), category.to_string())).copied().unwrap_or(0);
        shows_community(n)
    }
}

/// The cache of [`Groups`] a platform keeps.
#[derive(Default)]
pub(crate) struct GroupCache(std::sync::RwLock<Option<(Instant, Arc<Groups>)>>);

/// A case as the public sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct PublicCase {
    pub tracking_no: String,
    pub category_code: String,
    pub state: CaseState,
    pub street_code: Option<String>,
    /// Absent where too few public cases of the category share the community.
    pub community_code: Option<String>,
    /// Received on this day (Beijing).
    pub received_on: NaiveDate,
    /// The start of the day of the last change and of the deadline, for interfaces that give
    /// times.
    pub updated_day: DateTime<Utc>,
    pub received_day: DateTime<Utc>,
    pub due_day: DateTime<Utc>,
    /// (lat, lng) to about 100 m: where a problem is matters to neighbours, the exact door
    /// does not. Absent with the community (the point would show it all the same).
    pub point: Option<(f64, f64)>,
}

/// Rounded to three decimals of a degree, about 100 m.
pub fn rounded(v: f64) -> f64 {
    (v * 1000.0).round() / 1000.0
}

/// The counts, counted again when they are older than a few minutes.
pub async fn groups(platform: &Platform) -> Result<Arc<Groups>> {
    let cache = &platform.public_groups.0;
    if let Some((at, groups)) = cache.read().unwrap_or_else(|e| e.into_inner()).as_ref() {
        if at.elapsed() < FRESH_FOR {
            return Ok(groups.clone());
        }
    }
    let since = Utc::now() - chrono::Duration::days(rules::PERIOD_DAYS);
    let counts = platform
        .store
        .community_category_counts(since)
        .await?
        .into_iter()
        .map(|c| ((c.community_code, c.category_code), c.cases))
        .collect();
    let groups = Arc::new(Groups { counts });
    *cache.write().unwrap_or_else(|e| e.into_inner()) = Some((Instant::now(), groups.clone()));
    Ok(groups)
}

/// The categories the public never sees.
pub fn excluded_categories(platform: &Platform) -> Vec<String> {
    platform.reference().taxonomy.iter().filter(|c| c.sensitive).map(|c| c.code.as_str().to_string()).collect()
}

/// The case as the public sees it; `None` for a case of a sensitive category.
pub fn view(platform: &Platform, groups: &Groups, r: &CaseRecord) -> Option<PublicCase> {
    if !rules::publishable(&platform.reference().taxonomy, &r.category_code) {
        return None;
    }
    let community =
        r.place.community_code.clone().filter(|community| groups.shows_community(community, &r.category_code));
    Some(PublicCase {
        tracking_no: r.tracking_no.clone(),
        category_code: r.category_code.clone(),
        state: r.state,
        street_code: r.place.street_code.clone(),
        received_on: rules::day(r.received_at),
        received_day: rules::day_start(r.received_at),
        updated_day: rules::day_start(r.updated_at),
        due_day: rules::day_start(r.resolve_due),
        point: r
            .place
            .lat
            .zip(r.place.lng)
            .filter(|_| community.is_some())
            .map(|(lat, lng)| (rounded(lat), rounded(lng))),
        community_code: community,
    })
}

/// The points the public map may draw: not of sensitive categories, nor of groups too small
/// to show their community (a dot would show it all the same); rounded.
pub fn points(platform: &Platform, groups: &Groups, points: Vec<CasePoint>) -> Vec<CasePoint> {
    let taxonomy = &platform.reference().taxonomy;
    points
        .into_iter()
        .filter(|p| rules::publishable(taxonomy, &p.category_code))
        .filter(|p| p.community_code.as_deref().is_some_and(|c| groups.shows_community(c, &p.category_code)))
        .map(|p| CasePoint { lat: rounded(p.lat), lng: rounded(p.lng), ..p })
        .collect()
}
