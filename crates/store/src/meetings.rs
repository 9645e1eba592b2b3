//! 议事会 in the store: a meeting announced with its agenda and participants, then held, with
//! attendance, minutes and the decisions that become tasks in the same transaction. The rules
//! are `grassroots_domain::meetings`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::meetings::{MeetingState, ParticipantKind};
use grassroots_domain::Actor;
use uuid::Uuid;

use crate::accountability::NewTask;
use crate::{PlaceFilter, Result};

/// An agenda item: a topic of the place, or an item of the meeting's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AgendaItem {
    pub topic_id: Option<Uuid>,
    pub title: String,
}

/// Who is asked to the meeting, by role and a label (3号楼居民代表, XX物业), never a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Participant {
    pub kind: ParticipantKind,
    pub label: String,
    pub attended: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewMeeting {
    pub region_code: String,
    pub title: String,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub items: Vec<AgendaItem>,
    pub participants: Vec<Participant>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meeting {
    pub id: Uuid,
    pub region_code: String,
    pub title: String,
    pub place: String,
    pub starts_at: DateTime<Utc>,
    pub state: MeetingState,
    pub minutes: Option<String>,
    pub held_at: Option<DateTime<Utc>>,
    pub items: Vec<AgendaItem>,
    pub participants: Vec<Participant>,
    pub created_at: DateTime<Utc>,
}

/// What a meeting held comes to: who came (participants' positions), the minutes, and the
/// decisions, each a task to carry out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Minutes {
    pub attended: Vec<usize>,
    pub minutes: String,
    pub decisions: Vec<NewTask>,
}

#[async_trait]
pub trait MeetingStore: Send + Sync {
    /// Announces a meeting of one of the actor's places; audited. Agenda topics must be
    /// published topics of the place.
    async fn plan_meeting(&self, actor: &Actor, meeting: &NewMeeting, now: DateTime<Utc>) -> Result<Meeting>;
    async fn meeting(&self, id: Uuid) -> Result<Option<Meeting>>;
    /// Newest start first.
    async fn meetings(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Meeting>>;
    /// Records a meeting as held: attendance, minutes, and its decisions as tasks, in one
    /// audited transaction, once.
    async fn record_minutes(&self, actor: &Actor, id: Uuid, minutes: &Minutes, now: DateTime<Utc>) -> Result<Meeting>;
}
