//! Charity resources (慈善资源) in the store: funds of a community or street and their ledger,
//! kept by staff who run participation in the place, read by anyone (donors who asked not to
//! be named are left out of what the public reads). A payment that would take the money below
//! nothing is refused in the statement that records it. The rules are
//! `grassroots_domain::charity`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::charity::{Entry, EntryKind, Totals};
use grassroots_domain::Actor;
use serde::Serialize;
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// A fund with its totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Fund {
    pub id: Uuid,
    /// The community or street whose fund it is.
    pub region_code: String,
    pub name: String,
    pub purpose: String,
    pub totals: Totals,
    pub created_at: DateTime<Utc>,
}

/// An entry of the ledger as kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FundEntry {
    pub id: Uuid,
    pub kind: EntryKind,
    pub fen: i64,
    pub description: String,
    /// For the public, only a donor who agreed to be named.
    pub donor: Option<String>,
    pub donor_public: bool,
    /// The money the fund held after this entry.
    pub balance_after: i64,
    pub recorded_at: DateTime<Utc>,
}

impl FundEntry {
    /// The entry as the public reads it: a donor who did not agree to be named is left out.
    pub fn for_public(self) -> Self {
        Self { donor: self.donor.filter(|_| self.donor_public), ..self }
    }
}

#[async_trait]
pub trait CharityStore: Send + Sync {
    /// A new fund of a place the actor holds; audited. `NotFound` outside their places.
    async fn create_fund(
        &self,
        actor: &Actor,
        region_code: &str,
        name: &str,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Fund>;
    /// Funds of the places, newest first.
    async fn funds(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Fund>>;
    async fn fund(&self, id: Uuid) -> Result<Option<Fund>>;
    /// Records an entry by staff whose scope reaches the fund's place; audited. A payment
    /// beyond the balance is refused on `amount`, and nothing is written.
    async fn record_entry(&self, actor: &Actor, fund: Uuid, entry: &Entry, now: DateTime<Utc>) -> Result<FundEntry>;
    /// The ledger, newest first (donors in full: the caller decides what the reader sees).
    async fn fund_entries(&self, fund: Uuid, limit: i64) -> Result<Vec<FundEntry>>;
}
