//! 矛盾纠纷调处 in the store: the roster of mediators; disputes with their parties sealed (a
//! masked name and side shown), the factors and grade of their risk with every change of grade
//! logged with its reasons; each move made only from the state and level it was decided on,
//! logged in order (sessions, agreements, follow-ups, escalations, hand-overs); and the figures
//! of a place and period. The rules are `grassroots_domain::disputes`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::disputes::{
    DisputeKind, DisputeLevel, DisputeMove, DisputeOrigin, DisputeState, GradeReason, MediatorKind, PartySide,
    ReferredTo, RiskFactors, RiskGrade,
};
use grassroots_domain::Actor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// Someone on a community's, street's or district's roster of mediators.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Mediator {
    pub id: Uuid,
    /// The community, street or district whose roster they are on.
    pub region_code: String,
    pub kind: MediatorKind,
    pub name: String,
    pub created_at: DateTime<Utc>,
}

/// A party as sealed: who they are and how to reach them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisputeParty {
    pub name: String,
    pub phone: Option<String>,
    pub side: PartySide,
    /// Elderly, disabled, a minor, pregnant or seriously ill.
    pub vulnerable: bool,
}

/// A party as shown to whoever reads the dispute: the name masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PartyShown {
    pub name_masked: String,
    pub side: PartySide,
    pub vulnerable: bool,
}

/// A dispute as kept, its parties masked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisputeRecord {
    pub id: Uuid,
    pub community_code: String,
    pub grid_code: Option<String>,
    pub kind: DisputeKind,
    pub origin: DisputeOrigin,
    /// The case it was converted from.
    pub case_id: Option<Uuid>,
    pub summary: String,
    /// Where it arose (a building, a shop, a street).
    pub place: String,
    pub parties: Vec<PartyShown>,
    pub factors: RiskFactors,
    pub grade: RiskGrade,
    /// The level handling it now.
    pub level: DisputeLevel,
    pub state: DisputeState,
    /// Times an agreement was found broken.
    pub recurrences: i64,
    pub referred_to: Option<ReferredTo>,
    /// Assigned now (empty in lists).
    pub mediators: Vec<Mediator>,
    /// Every move, oldest first (empty in lists).
    pub moves: Vec<DisputeMoveRecord>,
    /// Every grade given, oldest first (empty in lists).
    pub grades: Vec<GradeRecord>,
    pub created_at: DateTime<Utc>,
    /// The day the agreement waiting to be checked is to be followed up.
    pub follow_up_on: Option<NaiveDate>,
    /// When the last agreement was signed.
    pub agreed_at: Option<DateTime<Utc>>,
    /// When it was settled, handed over, failed or withdrawn.
    pub ended_at: Option<DateTime<Utc>>,
    pub updated_at: DateTime<Utc>,
}

/// A move as logged, with what it carried.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisputeMoveRecord {
    pub seq: i64,
    #[serde(rename = "move")]
    pub kind: DisputeMove,
    pub state_after: DisputeState,
    pub level_after: DisputeLevel,
    /// The day a session was held, an agreement signed or a follow-up made.
    pub on: Option<NaiveDate>,
    /// A session's attendance: the parties present, by their place in the list (from 0).
    pub present: Vec<u32>,
    /// An agreement's terms.
    pub terms: Option<String>,
    pub follow_up_on: Option<NaiveDate>,
    /// What a follow-up found.
    pub kept: Option<bool>,
    pub referred_to: Option<ReferredTo>,
    pub note: Option<String>,
    /// The staff role's code.
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A grade given, with the factors and the rules that gave it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeRecord {
    pub seq: i64,
    pub grade: RiskGrade,
    pub factors: RiskFactors,
    pub reasons: Vec<GradeReason>,
    /// What changed, in the words of whoever changed it.
    pub note: Option<String>,
    pub by: String,
    pub at: DateTime<Utc>,
}

/// A dispute to register, graded by the caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDispute {
    pub community_code: String,
    pub grid_code: Option<String>,
    pub kind: DisputeKind,
    pub origin: DisputeOrigin,
    pub case_id: Option<Uuid>,
    pub summary: String,
    pub place: String,
    pub parties: Vec<DisputeParty>,
    pub factors: RiskFactors,
    pub grade: RiskGrade,
    pub reasons: Vec<GradeReason>,
}

/// A move with what it carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DisputeStep {
    /// The mediators from now on, from the rosters of the dispute's places.
    Assign {
        mediators: Vec<Uuid>,
    },
    Session {
        on: NaiveDate,
        present: Vec<u32>,
        note: String,
    },
    Agree {
        on: NaiveDate,
        terms: String,
        follow_up_on: NaiveDate,
    },
    FollowUp {
        on: NaiveDate,
        kept: bool,
        note: Option<String>,
    },
    Escalate {
        note: String,
    },
    Refer {
        to: ReferredTo,
        note: String,
    },
    Fail {
        note: String,
    },
    Withdraw {
        note: String,
    },
}

impl DisputeStep {
    pub fn kind(&self) -> DisputeMove {
        match self {
            Self::Assign { .. } => DisputeMove::Assign,
            Self::Session { .. } => DisputeMove::Session,
            Self::Agree { .. } => DisputeMove::Agree,
            Self::FollowUp { .. } => DisputeMove::FollowUp,
            Self::Escalate { .. } => DisputeMove::Escalate,
            Self::Refer { .. } => DisputeMove::Refer,
            Self::Fail { .. } => DisputeMove::Fail,
            Self::Withdraw { .. } => DisputeMove::Withdraw,
        }
    }
}

/// Which disputes a list holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DisputeSelection {
    /// Registered or in mediation.
    Open,
    /// Open and graded orange or red: the supervisor's queue.
    HighRisk,
    /// Agreed and waiting for a follow-up, the soonest due first.
    FollowingUp,
    All,
}

/// Disputes of a kind and grade registered in a period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisputeCount {
    pub kind: DisputeKind,
    pub grade: RiskGrade,
    pub count: i64,
}

/// What the figures of disputes are computed from, for a place and a period of registration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct DisputeTally {
    pub by_kind_and_grade: Vec<DisputeCount>,
    /// Registered or in mediation now.
    pub open: i64,
    /// Open and graded orange or red now.
    pub high_risk_open: i64,
    /// With an agreement (being followed up, or settled).
    pub agreed: i64,
    pub settled: i64,
    pub referred: i64,
    pub failed: i64,
    pub withdrawn: i64,
    /// Days from registration to the last agreement, summed over those with one.
    pub days_to_agreement: i64,
    /// Those with an agreement, whatever became of it: what `days_to_agreement` sums over.
    pub timed_agreements: i64,
    /// Agreements found broken.
    pub recurrences: i64,
}

#[async_trait]
pub trait DisputeStore: Send + Sync {
    /// Someone on the roster of a region the actor holds (`NotFound` otherwise); audited.
    async fn add_mediator(
        &self,
        actor: &Actor,
        region_code: &str,
        kind: MediatorKind,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Mediator>;
    /// The rosters a dispute of this community may draw on: its community's, street's and
    /// district's, the nearest first.
    async fn mediators_for(&self, community_code: &str) -> Result<Vec<Mediator>>;
    /// The rosters of the places, by region and name.
    async fn mediators(&self, places: &PlaceFilter) -> Result<Vec<Mediator>>;
    /// Registers a dispute in a community the actor reaches (`NotFound` otherwise): parties
    /// sealed, its first grade logged, audited. A case converted twice is refused on `case`.
    async fn create_dispute(&self, actor: &Actor, new: &NewDispute, now: DateTime<Utc>) -> Result<DisputeRecord>;
    /// A dispute with its mediators, moves and grades.
    async fn dispute(&self, id: Uuid) -> Result<Option<DisputeRecord>>;
    /// The dispute a case was converted to.
    async fn dispute_of_case(&self, case_id: Uuid) -> Result<Option<Uuid>>;
    /// The parties in full, the reveal audited with its reason.
    async fn reveal_dispute_parties(
        &self,
        actor: &Actor,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<DisputeParty>>;
    /// Disputes of the places, the highest grade first, then the oldest.
    async fn disputes(
        &self,
        places: &PlaceFilter,
        selection: DisputeSelection,
        limit: i64,
    ) -> Result<Vec<DisputeRecord>>;
    /// Makes a move decided on the dispute in state `from` at level `level`: refused on `move`
    /// (and nothing written) if it has moved since. Mediators assigned are of its rosters
    /// (refused on `mediators`).
    async fn move_dispute(
        &self,
        actor: &Actor,
        id: Uuid,
        from: (DisputeState, DisputeLevel),
        step: &DisputeStep,
        now: DateTime<Utc>,
    ) -> Result<DisputeRecord>;
    /// New factors and the grade they give, logged with the reasons and the note.
    #[allow(clippy::too_many_arguments)]
    async fn regrade_dispute(
        &self,
        actor: &Actor,
        id: Uuid,
        factors: &RiskFactors,
        grade: RiskGrade,
        reasons: &[GradeReason],
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<DisputeRecord>;
    /// The tally of the disputes of the places registered in `[from, to)`.
    async fn dispute_tally(&self, places: &PlaceFilter, from: DateTime<Utc>, to: DateTime<Utc>)
        -> Result<DisputeTally>;
}
