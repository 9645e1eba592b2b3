//! Test databases for both backends, shared by the store's and the web's integration tests
//! (the web tests include this file by path).

use std::path::PathBuf;
use std::sync::Arc;

use grassroots_store::crypto::{DataKey, Keyring};
use grassroots_store::{SqlStore, StoreOptions};
use uuid::Uuid;

pub struct TestDb {
    pub store: Arc<SqlStore>,
    /// The keys the store was opened with.
    pub keys: Keyring,
    pub sqlite_path: Option<PathBuf>,
    /// The database's URL, for tests that look beneath the store.
    pub url: String,
    /// Where the store keeps attachment files.
    pub attachments_dir: PathBuf,
    _dir: Option<tempfile::TempDir>,
}

pub async fn sqlite_db() -> TestDb {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("grassroots.db");
    let keys = Keyring::single(DataKey::generate());
    let url = format!("sqlite://{}", path.display());
    let attachments_dir = dir.path().join("attachments");
    let store = SqlStore::open(StoreOptions {
        url: url.clone(),
        keys: keys.clone(),
        max_connections: 4,
        attachments_dir: attachments_dir.clone(),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    TestDb { store: Arc::new(store), keys, sqlite_path: Some(path), url, attachments_dir, _dir: Some(dir) }
}

/// A fresh database on the server named by GRASSROOTS_TEST_POSTGRES_URL.
pub async fn postgres_db() -> TestDb {
    use sqlx::Connection;
    let base = std::env::var("GRASSROOTS_TEST_POSTGRES_URL")
        .expect("GRASSROOTS_TEST_POSTGRES_URL must name a PostgreSQL server to run the PostgreSQL tests");
    sqlx::any::install_default_drivers();
    let name = format!("grassroots_test_{}", Uuid::now_v7().simple());
    let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
    let url = format!("{prefix}/{name}");
    let keys = Keyring::single(DataKey::generate());
    let dir = tempfile::tempdir().unwrap();
    let attachments_dir = dir.path().join("attachments");
    let store = SqlStore::open(StoreOptions {
        url: url.clone(),
        keys: keys.clone(),
        max_connections: 8,
        attachments_dir: attachments_dir.clone(),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    TestDb { store: Arc::new(store), keys, sqlite_path: None, url, attachments_dir, _dir: Some(dir) }
}
