//! 决议落实 in the store: tasks that carry out a meeting's decisions or a vote's result, their
//! milestones, progress reports with photos (files named by their digest, as case photos are).
//! The rules are `grassroots_domain::accountability`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::accountability::{OwnerKind, Source};
use grassroots_domain::Actor;
use uuid::Uuid;

use crate::{NewAttachment, PlaceFilter, Result};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    pub title: String,
    pub owner_kind: OwnerKind,
    /// The unit, committee or organisation by name.
    pub owner: String,
    /// The platform's unit that owns it, whose handlers report its progress.
    pub owner_unit: Option<String>,
    pub deadline: DateTime<Utc>,
    /// (title, due)
    pub milestones: Vec<(String, DateTime<Utc>)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Milestone {
    pub position: usize,
    pub title: String,
    pub due: DateTime<Utc>,
    pub done_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TaskUpdate {
    pub at: DateTime<Utc>,
    pub note: String,
    pub percent: u8,
    /// The photo's digest and media type.
    pub photo: Option<(String, String)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub id: Uuid,
    pub region_code: String,
    pub title: String,
    pub source: Source,
    pub source_id: Uuid,
    pub owner_kind: OwnerKind,
    pub owner: String,
    pub owner_unit: Option<String>,
    pub deadline: DateTime<Utc>,
    pub percent: u8,
    pub done_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub milestones: Vec<Milestone>,
    /// Oldest first; empty in lists.
    pub updates: Vec<TaskUpdate>,
}

/// A progress report as staff give it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewUpdate {
    pub note: String,
    pub percent: u8,
    pub photo: Option<NewAttachment>,
}

#[async_trait]
pub trait TaskStore: Send + Sync {
    /// A task carrying out a published vote's result, in the vote's place; audited.
    async fn add_vote_task(&self, actor: &Actor, vote: Uuid, task: &NewTask, now: DateTime<Utc>) -> Result<Task>;
    /// A task with its milestones and its updates.
    async fn task(&self, id: Uuid) -> Result<Option<Task>>;
    /// Tasks of these places, nearest deadline first, with milestones (no updates).
    async fn tasks(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Task>>;
    /// The tasks carrying out this meeting or vote.
    async fn tasks_of(&self, source: Uuid) -> Result<Vec<Task>>;
    /// Tasks of these places not done by their deadline, most overdue first.
    async fn overdue_tasks(&self, places: &PlaceFilter, now: DateTime<Utc>, limit: i64) -> Result<Vec<Task>>;
    /// The tasks a unit owns and has not done, nearest deadline first (its handlers' list).
    async fn tasks_owned_by(&self, unit: &str, limit: i64) -> Result<Vec<Task>>;
    /// How many tasks of these places are not done by their deadline (one count, for the
    /// workbench that every staff page load reads).
    async fn count_overdue_tasks(&self, places: &PlaceFilter, now: DateTime<Utc>) -> Result<u64>;
    /// Reports progress (its photo written before the transaction that names it); at 100% the
    /// task is done. `NotFound` unless the actor runs participation in its place or handles the
    /// owning unit's cases; audited.
    async fn report_progress(&self, actor: &Actor, id: Uuid, update: &NewUpdate, now: DateTime<Utc>) -> Result<Task>;
    /// Marks a milestone done; audited.
    async fn complete_milestone(&self, actor: &Actor, id: Uuid, position: usize, now: DateTime<Utc>) -> Result<Task>;
    /// A progress photo, by the digest a task's update names: (media type, bytes).
    async fn task_photo(&self, digest: &str) -> Result<Option<(String, Vec<u8>)>>;
}
