//! 问需、问效 in the store: surveys of a place or about a unit's cases, who answered (kept apart
//! from the answers of an anonymous survey, as a vote's roll is from its ballots), and the
//! responses. The rules are `grassroots_domain::surveys`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use grassroots_domain::surveys::{Anonymity, Answer, Purpose, Question};
use grassroots_domain::votes::{phase, Phase};
use grassroots_domain::Actor;
use uuid::Uuid;

use crate::votes::Withdrawal;
use crate::{PlaceFilter, Result};

/// Whom a 问效 survey asks besides the residents of its place: those who reported cases that a
/// unit handled and closed in a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnitCases {
    pub unit: String,
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct NewSurvey {
    /// A street, community or grid.
    pub region_code: String,
    pub title: String,
    pub intro: String,
    pub purpose: Purpose,
    pub anonymity: Anonymity,
    pub questions: Vec<Question>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    /// The decision carried out that it asks about.
    pub task_id: Option<Uuid>,
    /// The unit's cases it asks about: then their reporters answer, not the place's residents.
    pub unit_cases: Option<UnitCases>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Survey {
    pub id: Uuid,
    pub region_code: String,
    pub title: String,
    pub intro: String,
    pub purpose: Purpose,
    pub anonymity: Anonymity,
    pub questions: Vec<Question>,
    pub opens_at: DateTime<Utc>,
    pub closes_at: DateTime<Utc>,
    pub task_id: Option<Uuid>,
    pub unit_cases: Option<UnitCases>,
    pub responses: u64,
    pub withdrawn: Option<Withdrawal>,
    /// Reporters invited by text (a survey of a unit's cases): queued with the survey, sent when
    /// it opens; none once it is withdrawn.
    pub invited: u64,
    pub created_at: DateTime<Utc>,
}

impl Survey {
    /// Scheduled, open or closed, as a vote (a survey has no publication: its counts show once
    /// it closes).
    pub fn phase(&self, now: DateTime<Utc>) -> Phase {
        phase(self.opens_at, self.closes_at, false, self.withdrawn.is_some(), now)
    }
}

/// What became of a response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Responded {
    Counted,
    Already,
    NotOpen,
}

/// A response as staff read it: who, only for an identified survey.
#[derive(Debug, Clone, PartialEq)]
pub struct Response {
    pub resident_id: Option<Uuid>,
    pub answers: Vec<Answer>,
}

#[async_trait]
pub trait SurveyStore: Send + Sync {
    /// Keeps a survey of one of the actor's places; audited.
    async fn create_survey(&self, actor: &Actor, survey: &NewSurvey, now: DateTime<Utc>) -> Result<Survey>;
    async fn survey(&self, id: Uuid) -> Result<Option<Survey>>;
    /// Newest opening first.
    async fn surveys(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Survey>>;
    /// Withdraws a survey before it opens, with a reason, and the invitations it queued;
    /// audited. Refused on `phase` once open.
    async fn withdraw_survey(&self, actor: &Actor, survey: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Survey>;
    /// The 问效 surveys asking how a decision carried out went, newest opening first.
    async fn surveys_about_task(&self, task: Uuid) -> Result<Vec<Survey>>;
    /// Whether the resident reported a case in `place` that the unit handled and closed in the
    /// period.
    async fn reported_to_unit(&self, resident: Uuid, place: &str, cases: &UnitCases) -> Result<bool>;
    /// Keeps a response while the survey is open, once per resident (a key decides under
    /// concurrency); an anonymous survey's response names nobody.
    async fn respond(&self, survey: Uuid, resident: Uuid, answers: &[Answer], now: DateTime<Utc>) -> Result<Responded>;
    async fn has_responded(&self, survey: Uuid, resident: Uuid) -> Result<bool>;
    async fn responses(&self, survey: Uuid) -> Result<Vec<Response>>;
}
