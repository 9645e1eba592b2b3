//! `grassroots demo` loads the same data however often it runs, and every generated case is
//! consistent with its events.

mod support;

use std::collections::HashSet;
use std::sync::Arc;

use grassroots_domain::workflow::replay;
use grassroots_domain::{CaseState, DueStatus, Scope};
use grassroots_store::crypto::DataKey;
use grassroots_store::{CaseFilter, SqlStore, Store, StoreOptions};
use support::grassroots;

#[tokio::test]
async fn demo_loads_once_and_its_cases_replay() {
    let dir = tempfile::tempdir().unwrap();
    for _ in 0..2 {
        let out = grassroots(dir.path()).args(["demo", "--no-serve"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let key = DataKey::load_or_create(None, dir.path()).unwrap();
    let url = format!("sqlite://{}", dir.path().join("grassroots.db").display());
    let store = Arc::new(SqlStore::open(StoreOptions { url, key, max_connections: 2 }).await.unwrap());
    assert_eq!(store.count_cases().await.unwrap(), 600, "a second run generates nothing");
    let reference = store.reference().await.unwrap();
    assert_eq!(reference.units.len(), 22 + 17);
    assert_eq!(store.regions().await.unwrap().len(), 1 + 17 + 169);

    let mut states = HashSet::new();
    let (mut overdue, mut evaluated) = (0, 0);
    let mut filter = CaseFilter { limit: 200, ..CaseFilter::default() };
    let mut previous = None;
    loop {
        let page = store.list_cases(&Scope::All, &filter).await.unwrap();
        for c in &page.cases {
            // Newest first by id is newest first by receipt, as for live cases.
            assert!(previous.is_none_or(|p| p >= c.record.received_at), "ids follow receipt times");
            previous = Some(c.record.received_at);
            let events = store.case_events(c.record.id).await.unwrap();
            assert_eq!(replay(&events).unwrap().as_ref(), Some(&c.record), "case {}", c.record.tracking_no);
            states.insert(c.record.state);
            overdue += usize::from(c.record.state.is_pending() && c.record.due_status == DueStatus::Overdue);
            evaluated += usize::from(c.record.evaluation.is_some());
        }
        match page.next_cursor {
            Some(after) => filter.after = Some(after),
            None => break,
        }
    }
    for state in CaseState::ALL {
        assert!(states.contains(state), "no demo case is {}", state.as_str());
    }
    assert!(overdue > 0 && evaluated > 100, "overdue {overdue}, evaluated {evaluated}");
    let admin = store.user_by_username("admin").await.unwrap().expect("admin account");
    assert!(grassroots_store::auth::verify_password("grassroots-demo", &admin.password_hash));
    assert!(store.user_by_username("handler-110101-urban-management").await.unwrap().is_some());
}
