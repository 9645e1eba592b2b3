//! Figures and exports read from a standby: while it is within its lag bound the standby
//! answers them, and one out of reach leaves them to the primary without failing. A standby for SQLite is refused.

mod support;

use std::time::Duration;

use chrono::Utc;
use grassroots_domain::{Actor, Scope};
use grassroots_store::{CaseFilter, CaseStore, Grouping, RateFilter, SqlStore, StatsStore, StoreOptions};
use support::*;

/// Cases received, as the dashboard's counts by street count them.
async fn received(store: &SqlStore) -> i64 {
    let by_street = store.case_counts_by(&Scope::All, &RateFilter::default(), Grouping::Street).await.unwrap();
    by_street.iter().map(|r| r.total).sum()
}

/// Cases an export of everything finds.
async fn exported(store: &SqlStore) -> usize {
    store.export_page(&Scope::All, &CaseFilter::default(), None, 100).await.unwrap().len()
}

/// The store of `db` opened again, its figures read from `replica` while it lags at most 5 s.
async fn with_replica(db: &TestDb, replica: &str) -> SqlStore {
    let options = StoreOptions {
        url: db.url.clone(),
        keys: db.keys.clone(),
        max_connections: 2,
        attachments_dir: db.attachments_dir.clone(),
    };
    SqlStore::open(options).await.unwrap().with_replica(replica, Duration::from_secs(5)).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs GRASSROOTS_TEST_POSTGRES_URL; .ci/run runs these"]
async fn figures_come_from_a_standby_within_its_bound_and_from_the_primary_otherwise() {
    let primary = postgres_db().await;
    let f = Fixture::new(&*primary.store).await;
    for hours in 0..3 {
        let new = f.new_case("路灯不亮", None, Utc::now() - chrono::Duration::hours(hours));
        primary.store.create_case(new, &Actor::Resident).await.unwrap();
    }
    assert_eq!(received(&primary.store).await, 3);

    // Another database stands for the standby: it is not in recovery, so it counts as caught
    // up, and it holds no cases, so figures read from it show none.
    let standby = postgres_db().await;
    let reading = with_replica(&primary, &standby.url).await;
    assert_eq!((received(&reading).await, exported(&reading).await), (0, 0), "the standby answers");

    // Nothing listens on port 1: the primary answers, and nothing fails.
    let unreachable = with_replica(&primary, "postgres://postgres@127.0.0.1:1/grassroots").await;
    assert_eq!((received(&unreachable).await, exported(&unreachable).await), (3, 3), "the primary answers");
}

#[tokio::test]
async fn a_standby_of_sqlite_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let options = StoreOptions {
        url: format!("sqlite://{}", dir.path().join("grassroots.db").display()),
        keys: grassroots_store::crypto::Keyring::single(grassroots_store::crypto::DataKey::generate()),
        max_connections: 1,
        attachments_dir: dir.path().join("attachments"),
    };
    let store = SqlStore::open(options).await.unwrap();
    let refused = store.with_replica("postgres://postgres@127.0.0.1:5432/grassroots", Duration::from_secs(5));
    assert!(refused.is_err_and(|e| e.to_string().contains("PostgreSQL standby")));
}
