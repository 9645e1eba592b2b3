//! The rules of grassroots governance, free of I/O.
//!
//! Everything here is pure: the store persists what these functions decide, the web layer
//! translates requests into calls to them. A newcomer looking for "may a handler return a
//! case after accepting it?" or "when is this case due?" should find the answer in this crate.

pub mod access;
pub mod accountability;
pub mod bulletins;
pub mod burden;
pub mod calendar;
pub mod care;
pub mod case;
pub mod category;
pub mod charity;
pub mod classify;
pub mod decisions;
pub mod deliberation;
pub mod disputes;
pub mod duplicates;
pub mod duty;
pub mod emergencies;
pub mod forecast;
pub mod free_text;
pub mod helpers;
pub mod households;
pub mod meetings;
pub mod needs;
pub mod notices;
pub mod oversight;
pub mod party;
pub mod personal;
pub mod projects;
pub mod property;
pub mod public;
pub mod queue;
pub mod rates;
pub mod reference;
pub mod region;
pub mod residents;
pub mod rollups;
pub mod search;
pub mod services;
pub mod support;
pub mod surveys;
pub mod text;
pub mod visits;
pub mod votes;
pub mod warnings;
pub mod workflow;
pub mod workforce;

pub use access::{Actor, Capability, Role, Scope};
pub use calendar::WorkCalendar;
pub use case::{CaseRecord, CaseState, Channel, DueStatus, Priority, RequestType, Satisfaction};
pub use category::{Category, CategoryCode, Taxonomy};
pub use region::{RegionCode, RegionLevel};
pub use workflow::{CaseEvent, EventKind, Move, MoveError, MoveKind};

/// A field-level validation failure: which field, and why, in Chinese and English.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {reason_en}")]
pub struct FieldError {
    pub field: &'static str,
    pub reason_zh: String,
    pub reason_en: String,
}

impl FieldError {
    pub fn new(field: &'static str, reason_zh: impl Into<String>, reason_en: impl Into<String>) -> Self {
        Self { field, reason_zh: reason_zh.into(), reason_en: reason_en.into() }
    }

    /// "字段 — 原因 / field — reason", the form every API error message takes.
    pub fn message(&self) -> String {
        format!("{}：{} / {}: {}", self.field, self.reason_zh, self.field, self.reason_en)
    }
}
