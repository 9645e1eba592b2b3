//! 为民服务中心 in the store: the catalogue of service items; residents' applications with their
//! sealed applicant, materials in files, moves made only from the state they were decided on,
//! and the limit each runs against; appointments by seat of a half-hour slot, so that a slot's
//! capacity holds however many book at once. The rules are `grassroots_domain::services`.

use async_trait::async_trait;
use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use grassroots_domain::services::{ApplicationMove, ApplicationState, ServiceItem};
use grassroots_domain::Actor;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{NewAttachment, PlaceFilter, Result};

/// An application as kept, without its sealed applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Application {
    pub id: Uuid,
    /// The street whose centre handles it.
    pub street_code: String,
    pub item_code: String,
    pub item_name: String,
    #[serde(skip)]
    pub resident_id: Uuid,
    /// 张**.
    pub applicant_masked: String,
    pub note: Option<String>,
    pub state: ApplicationState,
    /// The end of the limit running now (accepting, or the item's); none while the applicant
    /// is asked for materials, or once decided.
    pub due_at: Option<DateTime<Utc>>,
    pub received_at: DateTime<Utc>,
    pub accepted_at: Option<DateTime<Utc>>,
    pub decided_at: Option<DateTime<Utc>>,
    pub files: Vec<ApplicationFile>,
    /// Oldest first (empty in lists).
    pub moves: Vec<ApplicationMoveRecord>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationFile {
    pub digest: String,
    pub media_type: String,
    pub added_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicationMoveRecord {
    pub seq: i64,
    #[serde(rename = "move")]
    pub kind: ApplicationMove,
    pub state_after: ApplicationState,
    /// A staff role's code, or "resident".
    pub by: String,
    pub note: Option<String>,
    pub at: DateTime<Utc>,
}

/// Who applies: sealed.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ApplicantData {
    pub name: String,
    pub phone: Option<String>,
}

/// An application to keep.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewApplication {
    pub street_code: String,
    pub item_code: String,
    pub resident_id: Uuid,
    pub applicant: ApplicantData,
    pub note: Option<String>,
    pub files: Vec<NewAttachment>,
    /// Five working days from now, to accept.
    pub due_at: DateTime<Utc>,
}

/// Who moves an application.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApplicationActor<'a> {
    Staff(&'a Actor),
    Resident(Uuid),
}

/// A move with what it carries: the note, materials supplied, and the limit that runs after it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApplicationStep {
    pub kind: ApplicationMove,
    pub note: Option<String>,
    pub files: Vec<NewAttachment>,
    pub due_at: Option<DateTime<Utc>>,
}

/// A seat booked at a centre.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Appointment {
    pub id: Uuid,
    pub street_code: String,
    pub day: NaiveDate,
    pub slot: NaiveTime,
    pub item_code: Option<String>,
    pub booked_at: DateTime<Utc>,
}

/// How many seats of a slot are taken.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SlotTaken {
    pub day: NaiveDate,
    pub slot: NaiveTime,
    pub taken: i64,
}

#[async_trait]
pub trait ServiceStore: Send + Sync {
    /// Adds the items of the catalogue, or replaces those of the same code; how many.
    async fn upsert_service_items(&self, items: &[ServiceItem], now: DateTime<Utc>) -> Result<u64>;
    /// The catalogue, by code.
    async fn service_items(&self) -> Result<Vec<ServiceItem>>;
    async fn service_item(&self, code: &str) -> Result<Option<ServiceItem>>;
    /// Keeps an application, received, with its materials (written before it commits); audited.
    async fn submit_application(&self, new: &NewApplication, now: DateTime<Utc>) -> Result<Application>;
    /// An application with its files and moves.
    async fn application(&self, id: Uuid) -> Result<Option<Application>>;
    async fn applicant(&self, id: Uuid) -> Result<ApplicantData>;
    /// A resident's applications, newest first.
    async fn applications_of_resident(&self, resident: Uuid, limit: i64) -> Result<Vec<Application>>;
    /// The applications of the centres of these places, the soonest due first (those waiting
    /// for their applicant after them); open ones only if asked.
    async fn applications(&self, places: &PlaceFilter, open_only: bool, limit: i64) -> Result<Vec<Application>>;
    /// Makes a move decided on the application in state `from` (refused on `move`, and nothing
    /// written, if it moved since); the materials supplied are kept; `due_at` is the limit
    /// that runs after it.
    async fn move_application(
        &self,
        by: ApplicationActor<'_>,
        id: Uuid,
        from: ApplicationState,
        step: &ApplicationStep,
        now: DateTime<Utc>,
    ) -> Result<Application>;
    /// A material's file: (media type, bytes).
    async fn application_file(&self, id: Uuid, digest: &str) -> Result<Option<(String, Vec<u8>)>>;
    /// Books a seat of a slot for a resident, if the slot has one of its `capacity` left
    /// (refused on `slot`) and the resident no other booking that day (refused on `day`).
    #[allow(clippy::too_many_arguments)]
    async fn book_appointment(
        &self,
        resident: Uuid,
        street_code: &str,
        day: NaiveDate,
        slot: NaiveTime,
        item_code: Option<&str>,
        capacity: i64,
        now: DateTime<Utc>,
    ) -> Result<Appointment>;
    /// Cancels a resident's own booking; `NotFound` for anyone else's.
    async fn cancel_appointment(&self, resident: Uuid, id: Uuid) -> Result<()>;
    /// A resident's bookings from a day on, soonest first.
    async fn appointments_of_resident(&self, resident: Uuid, from: NaiveDate) -> Result<Vec<Appointment>>;
    /// The bookings of the centres of these places on a day, by slot.
    async fn appointments_on(&self, places: &PlaceFilter, day: NaiveDate) -> Result<Vec<Appointment>>;
    /// The seats taken at a centre per slot, between two days.
    async fn slots_taken(&self, street_code: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<SlotTaken>>;
}
