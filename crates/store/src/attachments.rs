//! Photos and other files of cases: listed and read within a scope, their files swept when
//! nothing names them any more. They are written with the case or the move that brings them
//! (`CaseStore`); the bytes live in content-addressed files (`files`), the rows in the store.

use std::time::Duration;

use async_trait::async_trait;
use grassroots_domain::Scope;
use uuid::Uuid;

use crate::{AttachmentInfo, Result};

/// What a sweep of the attachment files did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweptFiles {
    /// Files no row names, removed.
    pub removed: usize,
    /// Files some row names, kept.
    pub kept: usize,
    /// Writes a crash cut short, removed.
    pub unfinished: usize,
}

#[async_trait]
pub trait AttachmentStore: Send + Sync {
    async fn attachments(&self, scope: &Scope, case_id: Uuid) -> Result<Vec<AttachmentInfo>>;
    /// An attachment's media type and bytes; `NotFound` outside the scope.
    async fn attachment(&self, scope: &Scope, case_id: Uuid, id: Uuid) -> Result<(String, Vec<u8>)>;
    /// Removes the files that no attachment names (those of erased cases, and those written for
    /// a transaction that failed) once they are older than `grace`, which must exceed the
    /// longest time between writing a file and committing the row that names it.
    async fn sweep_attachment_files(&self, grace: Duration) -> Result<SweptFiles>;
}
