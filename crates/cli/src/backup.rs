//! `grassroots backup` and `grassroots restore` for a SQLite store: a consistent copy taken
//! while the server runs, and its return in place of the store while no server runs. The
//! attachment files the copy names go beside it, in `<backup>.attachments/`.

use std::fs::File;
use std::path::{Path, PathBuf};

use anyhow::Context;

use grassroots_store::files::FileStore;

use crate::Common;

/// The lock a serving process holds (shared: several may serve one store), and a restore
/// needs alone.
pub fn lock_file(data_dir: &Path) -> anyhow::Result<File> {
    let path = data_dir.join("grassroots.lock");
    File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("opening {}", path.display()))
}

/// The SQLite file of the store, when it is one.
fn sqlite_path(common: &Common) -> anyhow::Result<PathBuf> {
    let url = common.database_url();
    let path = url
        .strip_prefix("sqlite://")
        .map(|p| p.split('?').next().unwrap_or(p))
        .context("backup and restore are for SQLite stores; back up PostgreSQL with pg_dump (README, Backups)")?;
    Ok(PathBuf::from(path))
}

/// Where a backup's attachment files go: beside it, named after it.
fn attachments_of(backup: &Path) -> PathBuf {
    let mut name = backup.as_os_str().to_owned();
    name.push(".attachments");
    PathBuf::from(name)
}

/// Copies the files of `digests` from `from` to `to` (each checked against its digest, synced),
/// leaving those `to` has already; returns how many it copied. A file missing in `from` is an
/// error naming it.
async fn copy_files(digests: &[String], from: &FileStore, to: &FileStore) -> anyhow::Result<usize> {
    let mut copied = 0;
    for digest in digests {
        if to.path_of(digest).exists() {
            continue;
        }
        let bytes = from.get(digest).await.with_context(|| format!("attachment {digest}"))?;
        to.put(bytes).await?;
        copied += 1;
    }
    Ok(copied)
}

pub async fn backup(common: &Common, output: &Path) -> anyhow::Result<()> {
    sqlite_path(common)?;
    let files = attachments_of(output);
    if files.exists() {
        anyhow::bail!("{} exists already; choose a new backup name", files.display());
    }
    let store = common.open_store().await?;
    store.backup_to(output).await.with_context(|| format!("backing up to {}", output.display()))?;
    // Files never change once written, and are swept only an hour after nothing names them:
    // those the copy names are all there now.
    let digests = grassroots_store::attachment_digests(output).await?;
    let copied = copy_files(&digests, &FileStore::new(common.attachments_dir()), &FileStore::new(&files)).await?;
    let size = std::fs::metadata(output).map(|m| m.len()).unwrap_or(0);
    println!("backup written to {} ({size} bytes) and checked", output.display());
    println!("{copied} attachment files copied to {}", files.display());
    println!(
        "the data key (secret.key in the data directory, or GRASSROOTS_SECRET_KEY) is not in it: keep a copy of the key \
         apart from the backups, or the sealed personal data cannot be read after a restore"
    );
    Ok(())
}

pub async fn restore(common: &Common, input: &Path) -> anyhow::Result<()> {
    let target = sqlite_path(common)?;
    grassroots_store::check_backup(input).await.with_context(|| format!("checking {}", input.display()))?;
    let digests = grassroots_store::attachment_digests(input).await?;
    let (from, to) = (FileStore::new(attachments_of(input)), FileStore::new(common.attachments_dir()));
    if let Some(missing) = digests.iter().find(|d| !from.path_of(d).exists() && !to.path_of(d).exists()) {
        anyhow::bail!("attachment file {missing} is missing from {}; nothing was restored", from.dir().display());
    }
    std::fs::create_dir_all(&common.data_dir).with_context(|| format!("creating {}", common.data_dir.display()))?;
    let lock = lock_file(&common.data_dir)?;
    if lock.try_lock().is_err() {
        anyhow::bail!("a server is using the store in {}; stop it before restoring", common.data_dir.display());
    }
    // Copied beside the store, synced, then put in its place in one rename: a crash leaves
    // either the old store or the restored one, never half of each.
    let staging = target.with_extension("db.restoring");
    std::fs::copy(input, &staging).with_context(|| format!("copying to {}", staging.display()))?;
    File::open(&staging).and_then(|f| f.sync_all())?;
    // The files first: the restored store names only files that are in place.
    let copied = copy_files(&digests, &from, &to).await?;
    for stale in ["db-wal", "db-shm"] {
        let _ = std::fs::remove_file(target.with_extension(stale));
    }
    std::fs::rename(&staging, &target).with_context(|| format!("replacing {}", target.display()))?;
    if let Some(dir) = target.parent() {
        File::open(dir).and_then(|d| d.sync_all())?;
    }
    drop(lock);
    println!("restored {} from {} with {copied} attachment files", target.display(), input.display());
    Ok(())
}
