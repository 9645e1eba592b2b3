//! Attachment rows and their files: written before the transaction that names them, read
//! within the case's scope, swept when orphaned, and moved out of the database for stores
//! that kept them as BLOBs.

use std::time::Duration;

use chrono::{DateTime, Utc};
use grassroots_domain::Scope;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::rows::uuid_column;
use super::{anonymous_placeholders, ms, Args, Inserts, SqlStore, IN_LIST};
use crate::files::StoredFile;
use crate::{AttachmentInfo, NewAttachment, Result, StoreError, SweptFiles};

/// An attachment whose file is written: what its row records.
pub(crate) struct StoredAttachment {
    media_type: String,
    file: StoredFile,
}

/// How many rows of BLOBs one step of the move reads.
const MOVE_BATCH: i64 = 100;

impl SqlStore {
    /// Writes the files of `attachments`; their rows are written later, in the transaction of
    /// the case or move (`insert_attachments`).
    pub(crate) async fn store_files(&self, attachments: &[NewAttachment]) -> Result<Vec<StoredAttachment>> {
        let mut stored = Vec::with_capacity(attachments.len());
        for a in attachments {
            let file = self.files.put(a.bytes.clone()).await?;
            stored.push(StoredAttachment { media_type: a.media_type.clone(), file });
        }
        Ok(stored)
    }

    pub(crate) async fn insert_attachments(
        conn: &mut AnyConnection,
        case_id: Uuid,
        event_seq: i64,
        attachments: &[StoredAttachment],
        at: DateTime<Utc>,
    ) -> Result<()> {
        let rows = attachments.iter().map(|a| (case_id, event_seq, a, at));
        Self::attachment_inserts(anonymous_placeholders(conn), rows)?.execute(conn).await
    }

    /// Attachments' rows, each as (case, event sequence, attachment, time), many to a statement.
    pub(crate) fn attachment_inserts<'a>(
        anonymous: bool,
        rows: impl IntoIterator<Item = (Uuid, i64, &'a StoredAttachment, DateTime<Utc>), IntoIter: ExactSizeIterator>,
    ) -> Result<Inserts> {
        let head = "INSERT INTO attachments (id, case_id, event_seq, media_type, digest, size, created_at)";
        Inserts::build(anonymous, head, 7, "", rows, |q, (case_id, event_seq, a, at)| {
            q.bind(Uuid::now_v7().to_string())
                .bind(case_id.to_string())
                .bind(event_seq)
                .bind(a.media_type.clone())
                .bind(a.file.digest.clone())
                .bind(a.file.size)
                .bind(ms(at))
        })
    }

    /// Whether the case is within the scope (the attachment queries share the case's rule).
    async fn case_in_scope(&self, scope: &Scope, case_id: Uuid) -> Result<bool> {
        let mut args = Args::default();
        let clause = super::rows::scope_clause(scope, &mut args);
        let id = args.text(case_id.to_string());
        let sql = format!("SELECT 1 FROM cases c WHERE c.id = {id} AND {clause}");
        Ok(args.bind(sqlx::query(&sql)).fetch_optional(&self.read).await?.is_some())
    }

    /// Moves attachments still kept as BLOBs (by a version before files) into files, a batch
    /// at a time, each row updated once its file is written; returns how many.
    pub(crate) async fn move_attachments_into_files(&self) -> Result<usize> {
        let mut moved = 0;
        loop {
            let rows = sqlx::query("SELECT id, bytes FROM attachments WHERE digest IS NULL ORDER BY id LIMIT $1")
                .bind(MOVE_BATCH)
                .fetch_all(&self.write)
                .await?;
            if rows.is_empty() {
                return Ok(moved);
            }
            for row in &rows {
                let file = self.files.put(row.try_get("bytes")?).await?;
                sqlx::query("UPDATE attachments SET digest = $1, size = $2, bytes = NULL WHERE id = $3")
                    .bind(file.digest)
                    .bind(file.size)
                    .bind(row.try_get::<String, _>("id")?)
                    .execute(&self.write)
                    .await?;
                moved += 1;
            }
        }
    }

    /// Which of `digests` some attachment or progress report names.
    async fn named_files(&self, digests: &[String]) -> Result<std::collections::HashSet<String>> {
        let mut named = std::collections::HashSet::new();
        for chunk in digests.chunks(IN_LIST) {
            let mut args = Args::default();
            let list: Vec<String> = chunk.iter().map(|d| args.text(d.clone())).collect();
            let list = list.join(", ");
            // Case photos, the photos of decisions' progress, of helpers' reports and applications'
            // materials share the files.
            let sql = format!(
                "SELECT digest FROM attachments WHERE digest IN ({list}) \
                 UNION SELECT photo_digest AS digest FROM task_updates WHERE photo_digest IN ({list}) \
                 UNION SELECT digest FROM need_photos WHERE digest IN ({list}) \
                 UNION SELECT digest FROM application_files WHERE digest IN ({list})"
            );
            for row in args.bind(sqlx::query(&sql)).fetch_all(&self.read).await? {
                named.insert(row.try_get("digest")?);
            }
        }
        Ok(named)
    }
}

#[async_trait::async_trait]
impl crate::AttachmentStore for SqlStore {
    async fn attachments(&self, scope: &Scope, case_id: Uuid) -> Result<Vec<AttachmentInfo>> {
        if !self.case_in_scope(scope, case_id).await? {
            return Err(StoreError::NotFound);
        }
        let rows =
            sqlx::query("SELECT id, event_seq, media_type, size FROM attachments WHERE case_id = $1 ORDER BY id")
                .bind(case_id.to_string())
                .fetch_all(&self.read)
                .await?;
        rows.iter()
            .map(|r| {
                Ok(AttachmentInfo {
                    id: uuid_column(r, "id")?,
                    event_seq: r.try_get("event_seq")?,
                    media_type: r.try_get("media_type")?,
                    size: r.try_get::<i64, _>("size")?,
                })
            })
            .collect()
    }

    async fn attachment(&self, scope: &Scope, case_id: Uuid, id: Uuid) -> Result<(String, Vec<u8>)> {
        if !self.case_in_scope(scope, case_id).await? {
            return Err(StoreError::NotFound);
        }
        let row = sqlx::query("SELECT media_type, digest, bytes FROM attachments WHERE id = $1 AND case_id = $2")
            .bind(id.to_string())
            .bind(case_id.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let bytes = match row.try_get::<Option<String>, _>("digest")? {
            Some(digest) => self.files.get(&digest).await?,
            // Written by a version before files, and not moved yet (`migrate` moves them).
            None => row.try_get("bytes")?,
        };
        Ok((row.try_get("media_type")?, bytes))
    }

    async fn sweep_attachment_files(&self, grace: Duration) -> Result<SweptFiles> {
        let old: Vec<String> = self
            .files
            .list()
            .await?
            .into_iter()
            .filter(|(_, modified)| modified.elapsed().unwrap_or_default() >= grace)
            .map(|(digest, _)| digest)
            .collect();
        let named = self.named_files(&old).await?;
        let mut swept = SweptFiles { kept: named.len(), ..SweptFiles::default() };
        for digest in old.iter().filter(|d| !named.contains(*d)) {
            // Checked again at removal: a report sending the same photo renews the file.
            if self.files.remove_if_older(digest, grace).await? {
                swept.removed += 1;
            }
        }
        swept.unfinished = self.files.remove_stale_staging(grace).await?;
        Ok(swept)
    }
}
