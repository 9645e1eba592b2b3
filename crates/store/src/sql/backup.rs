//! Backups of a SQLite store taken while it serves, and their check before a restore.
//! (PostgreSQL is backed up with its own tools; README, "Backups".)

use std::path::Path;

use sqlx::Row;

use super::{Backend, SqlStore};
use crate::{Result, StoreError};

impl SqlStore {
    /// Writes a consistent copy of the store to `output` (which must not exist): SQLite's
    /// `VACUUM INTO` reads one snapshot while writers go on, and writes it compacted. The copy
    /// is synced to disk and checked before this returns.
    pub async fn backup_to(&self, output: &Path) -> Result<()> {
        if self.backend != Backend::Sqlite {
            return Err(StoreError::Unavailable(
                "a PostgreSQL store is backed up with pg_dump or pg_basebackup (README, Backups)".into(),
            ));
        }
        if output.exists() {
            return Err(StoreError::Unavailable(format!("{} exists already; choose a new file", output.display())));
        }
        let target = output.to_str().ok_or_else(|| StoreError::Unavailable("the path is not UTF-8".into()))?;
        sqlx::query("VACUUM INTO $1").bind(target.to_string()).execute(&self.read).await?;
        std::fs::File::open(output).and_then(|f| f.sync_all()).map_err(|e| StoreError::Unavailable(e.to_string()))?;
        check_backup(output).await
    }
}

/// Checks that `file` is a whole grassroots SQLite store: SQLite's integrity check passes and
/// the platform's migrations are recorded in it.
pub async fn check_backup(file: &Path) -> Result<()> {
    use sqlx::ConnectOptions;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file).read_only(true);
    let mut conn = options.connect().await?;
    let verdict: String = sqlx::query("PRAGMA integrity_check").fetch_one(&mut conn).await?.try_get(0)?;
    if verdict != "ok" {
        return Err(StoreError::Corrupt(format!("{}: integrity check: {verdict}", file.display())));
    }
    let migrations: i64 = sqlx::query("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&mut conn)
        .await
        .map_err(|_| StoreError::Corrupt(format!("{} is not a grassroots store", file.display())))?
        .try_get(0)?;
    if migrations == 0 {
        return Err(StoreError::Corrupt(format!("{} is not a grassroots store", file.display())));
    }
    Ok(())
}

/// The digests of the attachment files a SQLite store (a backup) names, case photos and the
/// photos of decisions' progress: none for one taken before attachments became files, whose BLOBs `migrate` moves out after the restore.
pub async fn attachment_digests(file: &Path) -> Result<Vec<String>> {
    use sqlx::ConnectOptions;
    let options = sqlx::sqlite::SqliteConnectOptions::new().filename(file).read_only(true);
    let mut conn = options.connect().await?;
    let has_files: i64 = sqlx::query("SELECT COUNT(*) FROM pragma_table_info('attachments') WHERE name = 'digest'")
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    if has_files == 0 {
        return Ok(Vec::new());
    }
    let has_progress_photos: i64 = sqlx::query("SELECT COUNT(*) FROM sqlite_master WHERE name = 'task_updates'")
        .fetch_one(&mut conn)
        .await?
        .try_get(0)?;
    let progress_photos = match has_progress_photos {
        0 => "",
        _ => " UNION SELECT photo_digest FROM task_updates WHERE photo_digest IS NOT NULL",
    };
    let rows =
        sqlx::query(&format!("SELECT digest FROM attachments WHERE digest IS NOT NULL{progress_photos} ORDER BY 1"))
            .fetch_all(&mut conn)
            .await?;
    let digests: Vec<String> = rows.iter().map(|r| r.try_get(0)).collect::<std::result::Result<_, _>>()?;
    match digests.iter().find(|d| !crate::files::is_digest(d)) {
        Some(bad) => Err(StoreError::Corrupt(format!("{}: attachment digest {bad:?}", file.display()))),
        None => Ok(digests),
    }
}
