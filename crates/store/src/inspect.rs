//! What tests and diagnostics read to check the store: a case's audit entries and outbox rows
//! as written, and the shape of the schema the migrations made.

use std::collections::{BTreeMap, BTreeSet};

use async_trait::async_trait;
use uuid::Uuid;

use crate::{AuditEntry, Result};

#[async_trait]
pub trait Inspect: Send + Sync {
    async fn audit_entries(&self, case_id: Uuid) -> Result<Vec<AuditEntry>>;
    async fn outbox_count(&self, case_id: Uuid) -> Result<i64>;
    /// The tables, their columns and the indexes the migrations made, in terms both backends
    /// share, so that the two sets of migrations can be compared.
    async fn schema(&self) -> Result<Schema>;
}

/// Tables by name.
pub type Schema = BTreeMap<String, TableShape>;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TableShape {
    pub columns: BTreeMap<String, ColumnShape>,
    /// Indexes made by name (not those that back a primary key or an inline UNIQUE).
    pub indexes: BTreeSet<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ColumnShape {
    pub kind: ColumnKind,
    pub nullable: bool,
}

/// A column's type as both backends store it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    Text,
    Integer,
    Real,
    Bytes,
    /// A type the comparison does not know: the backend's own name is in the error.
    Other,
}

impl ColumnKind {
    /// From SQLite's declared type or PostgreSQL's `data_type`.
    pub fn of(declared: &str) -> Self {
        match declared.trim().to_ascii_lowercase().as_str() {
            "text" | "character varying" | "varchar" => Self::Text,
            "integer" | "int" | "bigint" | "smallint" => Self::Integer,
            "real" | "double precision" | "double" => Self::Real,
            "blob" | "bytea" => Self::Bytes,
            _ => Self::Other,
        }
    }
}
