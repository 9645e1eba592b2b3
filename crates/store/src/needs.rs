//! Residents' needs matched to helpers (需求清单 → 资源清单) in the store: a need with its
//! sealed address and contact; each move made only from the state it was decided on (two
//! moves at once cannot both pass), logged in order; the photos a helper reports with; and,
//! when a need is confirmed, the helper's hours and points credited in the same transaction.
//! Who may make a move is decided by the caller with `grassroots_domain::needs`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::helpers::{DayPart, Skill};
use grassroots_domain::needs::{Need, NeedMove, NeedSource, NeedState, Urgency};
use grassroots_domain::Actor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{NewAttachment, PlaceFilter, Result};

/// A need as kept, without its sealed contact.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeedRecord {
    pub id: Uuid,
    pub community_code: String,
    pub household_id: Option<Uuid>,
    pub source: NeedSource,
    /// The case, survey or visit it came from.
    pub source_id: Option<Uuid>,
    /// The resident whose own request it is.
    #[serde(skip)]
    pub resident_id: Option<Uuid>,
    pub skill: Skill,
    pub what: String,
    pub on: NaiveDate,
    pub part: DayPart,
    pub urgency: Urgency,
    pub state: NeedState,
    pub helper_id: Option<Uuid>,
    pub helper_name: Option<String>,
    /// Reported by the helper; credited when confirmed.
    pub minutes: Option<i64>,
    pub report_note: Option<String>,
    pub rating: Option<u8>,
    pub rating_note: Option<String>,
    /// The digests and media types of the photos reported.
    pub photos: Vec<NeedPhoto>,
    /// Every move, oldest first (empty in lists).
    pub moves: Vec<NeedMoveRecord>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeedPhoto {
    pub digest: String,
    pub media_type: String,
}

/// A move as logged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeedMoveRecord {
    pub seq: i64,
    #[serde(rename = "move")]
    pub kind: NeedMove,
    pub state_after: NeedState,
    pub helper_id: Option<Uuid>,
    /// A staff role's code, "resident", or "helper".
    pub by: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// Where to go and whom to ask for: sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct NeedContact {
    pub address: String,
    pub name: Option<String>,
    pub phone: Option<String>,
}

/// A need to keep, with where it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNeed {
    pub need: Need,
    pub household: Option<NeedHousehold>,
    pub source_id: Option<Uuid>,
    pub resident_id: Option<Uuid>,
    pub contact: NeedContact,
}

/// The household a need is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedHousehold {
    /// A resident's confirmed household.
    Known(Uuid),
    /// A household of a grid of the staff member recording it (added if new), as on a visit.
    Labelled { grid_code: String, label: String },
}

/// Who makes a move or records a need: staff, the resident asking, or a helper from their
/// resident account.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedActor<'a> {
    Staff(&'a Actor),
    Resident(Uuid),
    Helper(Uuid),
}

impl NeedActor<'_> {
    /// As the log and the audit record it.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Staff(actor) => actor.kind(),
            Self::Resident(_) => "resident",
            Self::Helper(_) => "helper",
        }
    }

    pub fn id(&self) -> Option<Uuid> {
        match self {
            Self::Staff(actor) => actor.id(),
            Self::Resident(id) | Self::Helper(id) => Some(*id),
        }
    }
}

/// A move with what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedStep {
    Offer {
        helper: Uuid,
    },
    Accept,
    Decline {
        note: Option<String>,
    },
    Withdraw {
        note: Option<String>,
    },
    /// The hours, a note, photos (written before the transaction that names them).
    Report {
        minutes: i64,
        note: Option<String>,
        photos: Vec<NewAttachment>,
    },
    SendBack {
        note: Option<String>,
    },
    /// The rating; the helper is credited the reported minutes and their points.
    Confirm {
        rating: u8,
        note: Option<String>,
    },
    Cancel {
        note: Option<String>,
    },
}

impl NeedStep {
    pub fn kind(&self) -> NeedMove {
        match self {
            Self::Offer { .. } => NeedMove::Offer,
            Self::Accept => NeedMove::Accept,
            Self::Decline { .. } => NeedMove::Decline,
            Self::Withdraw { .. } => NeedMove::Withdraw,
            Self::Report { .. } => NeedMove::Report,
            Self::SendBack { .. } => NeedMove::SendBack,
            Self::Confirm { .. } => NeedMove::Confirm,
            Self::Cancel { .. } => NeedMove::Cancel,
        }
    }
}

#[async_trait]
pub trait NeedStore: Send + Sync {
    /// Keeps a new need, open; audited. A labelled household lies in a grid of the staff
    /// member's (`NotFound` otherwise).
    async fn create_need(&self, by: NeedActor<'_>, new: &NewNeed, now: DateTime<Utc>) -> Result<NeedRecord>;
    /// A need with its photos and moves.
    async fn need(&self, id: Uuid) -> Result<Option<NeedRecord>>;
    async fn need_contact(&self, id: Uuid) -> Result<NeedContact>;
    /// Needs of the places, open ones only if asked, the most urgent and soonest first.
    async fn needs(&self, places: &PlaceFilter, open_only: bool, limit: i64) -> Result<Vec<NeedRecord>>;
    /// The needs offered to a helper, then those they took, newest first.
    async fn needs_of_helper(&self, helper: Uuid, limit: i64) -> Result<Vec<NeedRecord>>;
    /// A resident's own requests, newest first.
    async fn needs_of_resident(&self, resident: Uuid, limit: i64) -> Result<Vec<NeedRecord>>;
    /// Makes a move decided on the need in state `from`: refused on `move` (and nothing
    /// written) if the need has moved since. An offer goes only to a verified helper (refused
    /// on `helper`). A confirmation credits the helper in the same transaction.
    async fn move_need(
        &self,
        by: NeedActor<'_>,
        id: Uuid,
        from: NeedState,
        step: &NeedStep,
        now: DateTime<Utc>,
    ) -> Result<NeedRecord>;
    /// A reported photo: (media type, bytes).
    async fn need_photo(&self, need: Uuid, digest: &str) -> Result<Option<(String, Vec<u8>)>>;
}
