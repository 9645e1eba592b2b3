//! 议事 in the store: topics and the cases they came from, their moderation, proposals and
//! the supports that put one on its space's agenda, comments. The rules are
//! `grassroots_domain::deliberation`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::deliberation::{AuthorKind, Moderation, Origin, TopicState};
use grassroots_domain::Actor;
use uuid::Uuid;

use crate::{PlaceFilter, Result};

/// Who writes: a resident or a staff member, by id; pages say only which kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Author {
    Resident(Uuid),
    Staff(Uuid),
}

impl Author {
    pub fn kind(self) -> AuthorKind {
        match self {
            Self::Resident(_) => AuthorKind::Resident,
            Self::Staff(_) => AuthorKind::Staff,
        }
    }

    pub fn id(self) -> Uuid {
        match self {
            Self::Resident(id) | Self::Staff(id) => id,
        }
    }
}

/// A topic as raised, its texts checked by the domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTopic {
    /// A street, community or grid.
    pub region_code: String,
    pub title: String,
    pub body: String,
    pub origin: Origin,
    pub author: Author,
    /// The cases it is raised from (origin `cases`).
    pub case_ids: Vec<Uuid>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Topic {
    pub id: Uuid,
    pub region_code: String,
    pub title: String,
    pub body: String,
    pub origin: Origin,
    pub author_kind: AuthorKind,
    pub author_id: Uuid,
    pub state: TopicState,
    pub hidden_reason: Option<String>,
    pub created_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
    pub case_ids: Vec<Uuid>,
    /// Proposals and comments not hidden.
    pub proposals: u64,
    pub comments: u64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub id: Uuid,
    pub topic_id: Uuid,
    pub title: String,
    pub body: String,
    pub author_kind: AuthorKind,
    pub author_id: Uuid,
    pub hidden_reason: Option<String>,
    pub supports: u32,
    /// When its supports reached the space's threshold.
    pub on_agenda_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub id: Uuid,
    pub topic_id: Uuid,
    pub proposal_id: Option<Uuid>,
    pub author_kind: AuthorKind,
    pub body: String,
    pub hidden_reason: Option<String>,
    pub created_at: DateTime<Utc>,
}

/// What became of a support.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Support {
    Counted {
        supports: u32,
        on_agenda: bool,
    },
    /// The resident supported it before.
    Already,
}

#[async_trait]
pub trait DeliberationStore: Send + Sync {
    /// The supports that put a proposal of this space on its agenda: the space's own, or the
    /// domain's default.
    async fn support_threshold(&self, region_code: &str) -> Result<u32>;
    /// Sets a space's threshold (staff holding the place); audited. Proposals already on the
    /// agenda stay there.
    async fn set_support_threshold(
        &self,
        actor: &Actor,
        region_code: &str,
        threshold: u32,
        now: DateTime<Utc>,
    ) -> Result<()>;
    /// Keeps a topic, in its origin's first state, linked to its cases; audited.
    async fn raise_topic(&self, topic: &NewTopic, actor: &Actor, now: DateTime<Utc>) -> Result<Topic>;
    async fn topic(&self, id: Uuid) -> Result<Option<Topic>>;
    /// Topics of these places in these states, newest first.
    async fn topics(&self, places: &PlaceFilter, states: &[TopicState], limit: i64) -> Result<Vec<Topic>>;
    /// The topics a case was raised into, newest first.
    async fn topics_of_case(&self, case_id: Uuid) -> Result<Vec<Topic>>;
    /// The topics and proposals someone wrote, newest first.
    async fn topics_by(&self, author: Author, limit: i64) -> Result<Vec<Topic>>;
    async fn proposals_by(&self, author: Author, limit: i64) -> Result<Vec<Proposal>>;
    /// Publishes or hides a topic of the moderator's places; audited. `NotFound` outside them.
    async fn moderate_topic(
        &self,
        actor: &Actor,
        id: Uuid,
        moderation: &Moderation,
        now: DateTime<Utc>,
    ) -> Result<Topic>;
    /// A proposal on a published topic.
    async fn add_proposal(
        &self,
        topic: Uuid,
        author: Author,
        title: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<Proposal>;
    async fn proposal(&self, id: Uuid) -> Result<Option<Proposal>>;
    /// A topic's proposals, oldest first, hidden ones included (with their reason).
    async fn proposals(&self, topic: Uuid) -> Result<Vec<Proposal>>;
    /// The resident supports a proposal, once (under concurrency too); the proposal goes on its
    /// space's agenda in the same transaction when its supports reach the threshold.
    async fn support_proposal(&self, proposal: Uuid, resident: Uuid, now: DateTime<Utc>) -> Result<Support>;
    /// Which of these proposals the resident supported.
    async fn supported_by(&self, resident: Uuid, proposals: &[Uuid]) -> Result<Vec<Uuid>>;
    /// A comment on a published topic, or on one of its proposals.
    async fn add_comment(
        &self,
        topic: Uuid,
        proposal: Option<Uuid>,
        author: Author,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<Comment>;
    /// A topic's comments, oldest first, hidden ones included.
    async fn comments(&self, topic: Uuid) -> Result<Vec<Comment>>;
    /// Hides a proposal or a comment of the moderator's places, with the reason; audited.
    async fn hide_proposal(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Proposal>;
    async fn hide_comment(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Comment>;
}
