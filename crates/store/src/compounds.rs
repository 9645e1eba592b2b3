//! 物业管理 in the store: compounds with their company, residents' ratings (one per resident a
//! year, replaced by a later one), and the property cases of the community that name each
//! compound. The rules are `grassroots_domain::property`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::property::Compound;
use grassroots_domain::{Actor, CaseState};
use serde::Serialize;
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// A compound with this year's ratings and the cases about it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompoundRecord {
    pub id: Uuid,
    pub community_code: String,
    pub name: String,
    pub company: String,
    pub company_code: Option<String>,
    /// The year the ratings are of.
    pub year: i32,
    pub ratings: i64,
    pub mean_score: Option<f64>,
    /// Property cases of the community that name the compound, and of those still open.
    pub cases: i64,
    pub open_cases: i64,
}

/// A case about a compound, as staff list it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CompoundCase {
    pub id: Uuid,
    pub tracking_no: String,
    pub category_code: String,
    pub state: CaseState,
    pub received_at: DateTime<Utc>,
}

#[async_trait]
pub trait CompoundStore: Send + Sync {
    /// A compound of a community the actor reaches (`NotFound` otherwise; a name twice in a
    /// community refused on `name`); audited.
    async fn add_compound(
        &self,
        actor: &Actor,
        community_code: &str,
        compound: &Compound,
        now: DateTime<Utc>,
    ) -> Result<CompoundRecord>;
    /// Compounds of the places, by community and name, with `year`'s ratings.
    async fn compounds(&self, places: &PlaceFilter, year: i32) -> Result<Vec<CompoundRecord>>;
    async fn compound(&self, id: Uuid, year: i32) -> Result<Option<CompoundRecord>>;
    /// A resident's rating of a compound for a year, replacing theirs of that year.
    #[allow(clippy::too_many_arguments)]
    async fn rate_compound(
        &self,
        resident: Uuid,
        id: Uuid,
        year: i32,
        score: u8,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CompoundRecord>;
    /// The cases about a compound, newest first.
    async fn compound_cases(&self, id: Uuid, limit: i64) -> Result<Vec<CompoundCase>>;
}
