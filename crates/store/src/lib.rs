//! Storage for grassroots: one trait per capability ([`CaseStore`], [`GridStore`], …), each
//! method owning its transaction, gathered as [`Store`]; and their implementation over SQLite
//! (embedded default) and PostgreSQL.
//!
//! A move writes the case row, its event, an audit entry and an outbox row in one
//! transaction. Scope is applied in the queries: a case outside the caller's scope is
//! reported as not found.

extern crate self as grassroots_store;

pub mod accountability;
mod attachments;
mod audit;
pub mod auth;
pub mod bulletins;
pub mod burden;
pub mod care;
mod cases;
pub mod charity;
pub mod compounds;
pub mod crypto;
pub mod deliberation;
pub mod disputes;
pub mod duplicates;
pub mod duty;
pub mod emergencies;
mod error;
pub mod export;
pub mod files;
mod grids;
pub mod helpers;
mod history;
pub mod households;
mod identity;
mod inspect;
mod jobs;
pub mod keys;
pub mod meetings;
pub mod messages;
pub mod models;
pub mod needs;
mod outbox;
pub mod oversight;
pub mod party;
mod privacy;
pub mod projects;
mod reference;
pub mod residents;
mod rollups;
pub mod search;
pub mod services;
mod sql;
mod stats;
pub mod support;
pub mod surveys;
pub mod types;
pub mod votes;
pub mod warnings;
pub mod workforce;

pub use accountability::TaskStore;
pub use attachments::{AttachmentStore, SweptFiles};
pub use audit::{AuditFilter, AuditStore, BrokenLink, ChainReport};
pub use bulletins::BulletinStore;
pub use burden::BurdenStore;
pub use care::CareStore;
pub use cases::CaseStore;
pub use charity::CharityStore;
pub use compounds::CompoundStore;
pub use deliberation::DeliberationStore;
pub use disputes::DisputeStore;
pub use duplicates::DuplicateStore;
pub use duty::DutyStore;
pub use emergencies::EmergencyStore;
pub use error::StoreError;
pub use grids::GridStore;
pub use helpers::HelperStore;
pub use history::HistoryStore;
pub use households::HouseholdLinkStore;
pub use identity::IdentityStore;
pub use inspect::{ColumnKind, ColumnShape, Inspect, Schema, TableShape};
pub use jobs::JobStore;
pub use keys::KeyStore;
pub use meetings::MeetingStore;
pub use messages::MessageStore;
pub use models::ModelStore;
pub use needs::NeedStore;
pub use outbox::OutboxStore;
pub use oversight::OversightStore;
pub use party::PartyStore;
pub use privacy::PrivacyStore;
pub use projects::ProjectStore;
pub use reference::ReferenceStore;
pub use residents::ResidentStore;
pub use rollups::{Counters, RollupCheck, RollupStore};
pub use search::SearchFeedStore;
pub use services::ServiceStore;
pub use sql::{attachment_digests, check_backup, Backend, SqlStore, StoreOptions};
pub use stats::{ParticipationFigures, StatsStore};
pub use support::SupportStore;
pub use surveys::SurveyStore;
pub use types::*;
pub use votes::VoteStore;
pub use warnings::WarningStore;
pub use workforce::WorkforceStore;

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Every store trait, for `use grassroots_store::prelude::*` where several are called.
pub mod prelude {
    pub use crate::{
        AttachmentStore, AuditStore, BulletinStore, BurdenStore, CareStore, CaseStore, CharityStore, CompoundStore,
        DeliberationStore, DisputeStore, DuplicateStore, DutyStore, EmergencyStore, GridStore, HelperStore,
        HistoryStore, HouseholdLinkStore, IdentityStore, JobStore, KeyStore, MeetingStore, MessageStore, ModelStore,
        NeedStore, OutboxStore, OversightStore, PartyStore, PrivacyStore, ProjectStore, ReferenceStore, ResidentStore,
        SearchFeedStore, ServiceStore, StatsStore, Store, SupportStore, SurveyStore, TaskStore, VoteStore,
        WarningStore, WorkforceStore,
    };
}

/// Everything the platform keeps, one narrow trait per capability (each implemented beside
/// its SQL in `sql/`). Code that needs one part asks for that trait; the server holds the
/// whole as `Arc<dyn Store>`.
pub trait Store:
    ReferenceStore
    + GridStore
    + AttachmentStore
    + IdentityStore
    + CaseStore
    + DuplicateStore
    + DutyStore
    + StatsStore
    + JobStore
    + HistoryStore
    + OutboxStore
    + AuditStore
    + PrivacyStore
    + KeyStore
    + MessageStore
    + ModelStore
    + SupportStore
    + SearchFeedStore
    + WarningStore
    + RollupStore
    + ResidentStore
    + HouseholdLinkStore
    + VoteStore
    + DeliberationStore
    + MeetingStore
    + TaskStore
    + SurveyStore
    + CareStore
    + CharityStore
    + HelperStore
    + NeedStore
    + ServiceStore
    + ProjectStore
    + CompoundStore
    + DisputeStore
    + EmergencyStore
    + PartyStore
    + BulletinStore
    + BurdenStore
    + OversightStore
    + WorkforceStore
    + 'static
{
    fn backend(&self) -> Backend;
}
