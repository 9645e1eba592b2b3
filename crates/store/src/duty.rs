//! 值班 in the store: the shifts of each street's roster, who planned them, and who stands duty
//! at an hour.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::Actor;
use uuid::Uuid;

use crate::Result;

/// A shift as the planner enters it (checked by `grassroots_domain::duty`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewShift {
    pub street_code: String,
    pub user_id: Uuid,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

/// A shift on the roster, with who stands it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub id: Uuid,
    pub street_code: String,
    pub user_id: Uuid,
    pub username: String,
    pub display_name: String,
    /// Their mobile, masked; `None` when they have none and cannot be texted.
    pub phone_masked: Option<String>,
    pub starts_at: DateTime<Utc>,
    pub ends_at: DateTime<Utc>,
}

#[async_trait]
pub trait DutyStore: Send + Sync {
    /// Adds a shift (audited).
    async fn add_shift(&self, shift: &NewShift, actor: &Actor, now: DateTime<Utc>) -> Result<Shift>;
    /// Takes a shift off the roster (audited); `NotFound` when there is none.
    async fn remove_shift(&self, id: Uuid, actor: &Actor, now: DateTime<Utc>) -> Result<Shift>;
    async fn shift(&self, id: Uuid) -> Result<Option<Shift>>;
    /// The shifts of these streets (every street when `None`) that overlap `[from, to)`, by
    /// start.
    async fn shifts(&self, streets: Option<&[String]>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Shift>>;
}
