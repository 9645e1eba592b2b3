//! Attachments as content-addressed files: each is named by the SHA-256 digest of its bytes,
//! so the same photo sent twice is kept once, a file never changes once written, and a copy
//! (a backup, a second server's mount) can be checked against its name. The store keeps the
//! digest; the bytes live here.
//!
//! A file is written and synced before the transaction that refers to it commits, so an
//! acknowledged case never names a missing file; a file whose transaction failed is left
//! behind unreferenced, and the sweep removes it once it is older than a grace period that
//! covers any write still on its way.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime};

use sha2::{Digest, Sha256};

use crate::{Result, StoreError};

/// The directory of attachment files: `<dir>/<first two hex digits>/<64 hex digits>`.
#[derive(Debug, Clone)]
pub struct FileStore {
    dir: PathBuf,
}

/// A file as stored: its digest (64 lowercase hex digits) and its size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredFile {
    pub digest: String,
    pub size: i64,
}

fn unavailable(what: &str, path: &Path, e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("{what} {}: {e}", path.display()))
}

/// Whether `name` is a digest as this store names files, so that nothing else in the
/// directory is read or removed as one.
pub fn is_digest(name: &str) -> bool {
    name.len() == 64 && name.bytes().all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

impl FileStore {
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Where the file of `digest` lives.
    pub fn path_of(&self, digest: &str) -> PathBuf {
        self.dir.join(&digest[..2]).join(digest)
    }

    /// Writes `bytes` unless a file with their digest is there already, and returns the
    /// digest. The file is synced, then renamed into place and its directory synced: after a
    /// crash it is either whole or absent. An existing file's time is renewed, so that a
    /// sweep running meanwhile keeps it for the case about to name it.
    pub async fn put(&self, bytes: Vec<u8>) -> Result<StoredFile> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.put_blocking(&bytes))
            .await
            .map_err(|e| StoreError::Unavailable(format!("writing an attachment: {e}")))?
    }

    fn put_blocking(&self, bytes: &[u8]) -> Result<StoredFile> {
        let digest = format!("{:x}", Sha256::digest(bytes));
        let stored = StoredFile { digest: digest.clone(), size: bytes.len() as i64 };
        let path = self.path_of(&digest);
        if let Ok(file) = std::fs::File::options().append(true).open(&path) {
            file.set_modified(SystemTime::now()).map_err(|e| unavailable("touching", &path, e))?;
            return Ok(stored);
        }
        let parent = path.parent().unwrap_or(&self.dir);
        std::fs::create_dir_all(parent).map_err(|e| unavailable("creating", parent, e))?;
        let staging = parent.join(format!(".{digest}.{}", uuid::Uuid::now_v7().simple()));
        let written = (|| {
            let mut file = std::fs::File::create_new(&staging)?;
            file.write_all(bytes)?;
            file.sync_all()?;
            std::fs::rename(&staging, &path)?;
            std::fs::File::open(parent)?.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&staging);
            return Err(unavailable("writing", &path, e));
        }
        Ok(stored)
    }

    /// The bytes of `digest`, checked against it: a file damaged on disk is an error, not a
    /// wrong photo.
    pub async fn get(&self, digest: &str) -> Result<Vec<u8>> {
        if !is_digest(digest) {
            return Err(StoreError::Corrupt(format!("attachment digest {digest:?}")));
        }
        let path = self.path_of(digest);
        let bytes = tokio::fs::read(&path).await.map_err(|e| match e.kind() {
            std::io::ErrorKind::NotFound => {
                StoreError::Corrupt(format!("attachment file {} is missing", path.display()))
            }
            _ => unavailable("reading", &path, e),
        })?;
        if format!("{:x}", Sha256::digest(&bytes)) != digest {
            return Err(StoreError::Corrupt(format!("attachment file {} does not match its digest", path.display())));
        }
        Ok(bytes)
    }

    /// Every file's digest with its last modification time.
    pub async fn list(&self) -> Result<Vec<(String, SystemTime)>> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || list_blocking(&dir))
            .await
            .map_err(|e| StoreError::Unavailable(format!("listing attachments: {e}")))?
            .map(|files| files.into_iter().filter(|f| !f.staging).map(|f| (f.name, f.modified)).collect())
    }

    /// Removes what a crash left while a file was being written, once older than `grace`;
    /// returns how many.
    pub async fn remove_stale_staging(&self, grace: Duration) -> Result<usize> {
        let dir = self.dir.clone();
        tokio::task::spawn_blocking(move || {
            let mut removed = 0;
            for file in list_blocking(&dir)? {
                if file.staging && file.modified.elapsed().unwrap_or_default() >= grace {
                    std::fs::remove_file(&file.path).map_err(|e| unavailable("removing", &file.path, e))?;
                    removed += 1;
                }
            }
            Ok(removed)
        })
        .await
        .map_err(|e| StoreError::Unavailable(format!("listing attachments: {e}")))?
    }

    /// Removes the file of `digest` if it was not written or renewed within `grace`;
    /// returns whether it did.
    pub async fn remove_if_older(&self, digest: &str, grace: Duration) -> Result<bool> {
        let path = self.path_of(digest);
        let modified = match tokio::fs::metadata(&path).await {
            Ok(m) => m.modified().map_err(|e| unavailable("reading the time of", &path, e))?,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(false),
            Err(e) => return Err(unavailable("reading", &path, e)),
        };
        if modified.elapsed().unwrap_or_default() < grace {
            return Ok(false);
        }
        match tokio::fs::remove_file(&path).await {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(unavailable("removing", &path, e)),
        }
    }
}

struct ListedFile {
    path: PathBuf,
    name: String,
    modified: SystemTime,
    /// Named `.<digest>.<id>`: a write that did not finish.
    staging: bool,
}

fn list_blocking(dir: &Path) -> Result<Vec<ListedFile>> {
    let mut files = Vec::new();
    let shards = match std::fs::read_dir(dir) {
        Ok(shards) => shards,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(files),
        Err(e) => return Err(unavailable("listing", dir, e)),
    };
    for shard in shards {
        let shard = shard.map_err(|e| unavailable("listing", dir, e))?.path();
        if !shard.is_dir() {
            continue;
        }
        for entry in std::fs::read_dir(&shard).map_err(|e| unavailable("listing", &shard, e))? {
            let entry = entry.map_err(|e| unavailable("listing", &shard, e))?;
            let name = entry.file_name().to_string_lossy().into_owned();
            let staging = name.starts_with('.');
            let digest = if staging { name[1..].split('.').next().unwrap_or_default() } else { name.as_str() };
            if !is_digest(digest) {
                continue;
            }
            let modified =
                entry.metadata().and_then(|m| m.modified()).map_err(|e| unavailable("reading", &shard, e))?;
            files.push(ListedFile { path: entry.path(), name, modified, staging });
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn the_same_bytes_are_kept_once_under_their_digest() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::new(dir.path());
        let a = files.put(b"photo".to_vec()).await.unwrap();
        let b = files.put(b"photo".to_vec()).await.unwrap();
        assert_eq!(a, b);
        assert_eq!(a.size, 5);
        assert_eq!(a.digest, format!("{:x}", Sha256::digest(b"photo")));
        assert_eq!(files.get(&a.digest).await.unwrap(), b"photo");
        assert_eq!(files.list().await.unwrap().len(), 1);
        let other = files.put(b"another".to_vec()).await.unwrap();
        assert_ne!(other.digest, a.digest);
        assert_eq!(files.list().await.unwrap().len(), 2);
    }

    #[tokio::test]
    async fn a_damaged_or_missing_file_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::new(dir.path());
        let a = files.put(b"photo".to_vec()).await.unwrap();
        std::fs::write(files.path_of(&a.digest), b"photp").unwrap();
        assert!(matches!(files.get(&a.digest).await, Err(StoreError::Corrupt(m)) if m.contains("does not match")));
        std::fs::remove_file(files.path_of(&a.digest)).unwrap();
        assert!(matches!(files.get(&a.digest).await, Err(StoreError::Corrupt(m)) if m.contains("missing")));
        assert!(matches!(files.get("../../etc/passwd").await, Err(StoreError::Corrupt(_))));
    }

    #[tokio::test]
    async fn only_files_older_than_the_grace_are_removed() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::new(dir.path());
        let a = files.put(b"photo".to_vec()).await.unwrap();
        assert!(!files.remove_if_older(&a.digest, Duration::from_secs(3600)).await.unwrap());
        assert!(files.get(&a.digest).await.is_ok());
        let old = SystemTime::now() - Duration::from_secs(7200);
        std::fs::File::options().append(true).open(files.path_of(&a.digest)).unwrap().set_modified(old).unwrap();
        // Sent again, it is renewed and kept.
        files.put(b"photo".to_vec()).await.unwrap();
        assert!(!files.remove_if_older(&a.digest, Duration::from_secs(3600)).await.unwrap());
        std::fs::File::options().append(true).open(files.path_of(&a.digest)).unwrap().set_modified(old).unwrap();
        assert!(files.remove_if_older(&a.digest, Duration::from_secs(3600)).await.unwrap());
        assert!(files.list().await.unwrap().is_empty());
        assert!(!files.remove_if_older(&a.digest, Duration::ZERO).await.unwrap(), "gone already");
    }

    #[tokio::test]
    async fn a_write_cut_short_is_not_listed_and_is_removed_later() {
        let dir = tempfile::tempdir().unwrap();
        let files = FileStore::new(dir.path());
        let a = files.put(b"photo".to_vec()).await.unwrap();
        let staging = files.path_of(&a.digest).with_file_name(format!(".{}.0190", a.digest));
        std::fs::write(&staging, b"pho").unwrap();
        assert_eq!(files.list().await.unwrap().len(), 1);
        assert_eq!(
            files.remove_stale_staging(Duration::from_secs(3600)).await.unwrap(),
            0,
            "maybe still being written"
        );
        assert_eq!(files.remove_stale_staging(Duration::ZERO).await.unwrap(), 1);
        assert!(!staging.exists() && files.path_of(&a.digest).exists());
    }
}
