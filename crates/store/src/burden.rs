//! 减负 in the store: the 准入清单 of a district, entries added and withdrawn; impositions a
//! community registers, matched to an entry or not, with what they ask that the platform holds;
//! and the totals per community of a period.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::burden::{BurdenFlag, BurdenKind, BurdenTotals, PlatformData};
use grassroots_domain::Actor;
use serde::Serialize;
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// An entry of the list: what upper levels may impose.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ListEntry {
    pub id: Uuid,
    pub district_code: String,
    pub kind: BurdenKind,
    pub title: String,
    /// The unit that may impose it.
    pub issuer: String,
    /// The document that allows it.
    pub basis: String,
    pub withdrawn_at: Option<DateTime<Utc>>,
}

/// An entry to add.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewListEntry {
    pub district_code: String,
    pub kind: BurdenKind,
    pub title: String,
    pub issuer: String,
    pub basis: String,
}

/// What a community registers as imposed on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewImposition {
    pub community_code: String,
    pub kind: BurdenKind,
    pub title: String,
    pub issuer: String,
    pub imposed_on: NaiveDate,
    pub half_hours: u32,
    /// The entry of the list it falls under, if any: none flags it.
    pub entry_id: Option<Uuid>,
    /// What it asks for that the platform already holds.
    pub asks: Vec<PlatformData>,
    pub note: Option<String>,
}

/// An imposition as registered, with its flags.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Imposition {
    pub id: Uuid,
    pub community_code: String,
    pub kind: BurdenKind,
    pub title: String,
    pub issuer: String,
    pub imposed_on: NaiveDate,
    pub half_hours: u32,
    pub entry_id: Option<Uuid>,
    pub asks: Vec<PlatformData>,
    pub note: Option<String>,
    pub flags: Vec<BurdenFlag>,
}

/// A community's impositions over a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CommunityBurden {
    pub community_code: String,
    pub totals: BurdenTotals,
}

#[async_trait]
pub trait BurdenStore: Send + Sync {
    /// Adds an entry to the list of a district the actor holds; audited.
    async fn add_list_entry(&self, actor: &Actor, new: &NewListEntry, now: DateTime<Utc>) -> Result<ListEntry>;
    /// Withdraws an entry; impositions under it stay matched as they were; audited.
    async fn withdraw_list_entry(&self, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<ListEntry>;
    /// The entries of a district, withdrawn ones last.
    async fn list_entries(&self, district_code: &str) -> Result<Vec<ListEntry>>;
    async fn list_entry(&self, id: Uuid) -> Result<Option<ListEntry>>;
    /// Registers an imposition on a community the actor reaches, its entry of the community's
    /// district and not withdrawn (refused on `entry_id` otherwise).
    async fn register_imposition(&self, actor: &Actor, new: &NewImposition, now: DateTime<Utc>) -> Result<Imposition>;
    /// The impositions of the places imposed within `[from, to]`, the latest first.
    async fn impositions(
        &self,
        places: &PlaceFilter,
        from: NaiveDate,
        to: NaiveDate,
        limit: i64,
    ) -> Result<Vec<Imposition>>;
    /// Per community of the places, what was imposed within `[from, to]`.
    async fn burden_by_community(
        &self,
        places: &PlaceFilter,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CommunityBurden>>;
}
