//! Charity funds on every backend: staff of the place keep a fund's ledger, the totals and each
//! entry's balance follow, a payment beyond the balance is refused and writes nothing (also
//! when several are made at once), staff elsewhere cannot write to it, and the public reads
//! only the donors who agreed to be named.

mod support;

use std::sync::Arc;

use chrono::Utc;
use grassroots_domain::charity::{Entry, EntryKind};
use grassroots_domain::{Role, Scope};
use grassroots_store::prelude::*;
use grassroots_store::{AuditFilter, PlaceFilter, StoreError};
use support::*;

const COMMUNITY: &str = "110101001001";

fn entry(kind: EntryKind, yuan: &str, donor: Option<&str>, public: bool) -> Entry {
    Entry::check(kind, yuan, "社区关爱基金", donor, public).unwrap()
}

async fn the_ledger_keeps_its_balance_and_never_pays_below_nothing(db: TestDb) {
    let s = &*db.store;
    let worker = staff(Role::GridWorker, Scope::Grids { codes: vec![GRID.into()] });
    let supervisor = staff(Role::Supervisor, Scope::parse("region:110101001").unwrap());
    let now = Utc::now();
    assert!(
        matches!(
            s.create_fund(&worker, COMMUNITY, "多福巷社区关爱基金", "帮扶困难家庭", now).await,
            Err(StoreError::NotFound)
        ),
        "a grid worker does not hold the whole community"
    );
    let fund = s.create_fund(&supervisor, COMMUNITY, "多福巷社区关爱基金", "帮扶困难家庭", now).await.unwrap();

    let given = s
        .record_entry(&worker, fund.id, &entry(EntryKind::Donation, "1000", Some("东华门商会"), true), now)
        .await
        .unwrap();
    assert_eq!(given.balance_after, 100_000);
    s.record_entry(&worker, fund.id, &entry(EntryKind::Donation, "200.50", Some("王先生"), false), now).await.unwrap();
    s.record_entry(&worker, fund.id, &entry(EntryKind::GoodsDonation, "800", None, false), now).await.unwrap();
    let spent =
        s.record_entry(&supervisor, fund.id, &entry(EntryKind::Spending, "300", None, false), now).await.unwrap();
    assert_eq!(spent.balance_after, 90_050);
    let refused = s.record_entry(&supervisor, fund.id, &entry(EntryKind::Spending, "900.51", None, false), now).await;
    assert!(matches!(refused, Err(StoreError::Invalid(e)) if e.field == "amount"));
    let totals = s.fund(fund.id).await.unwrap().unwrap().totals;
    assert_eq!(
        (totals.money_in, totals.money_out, totals.goods_in, totals.balance()),
        (120_050, 30_000, 80_000, 90_050)
    );
    let ledger = s.fund_entries(fund.id, 100).await.unwrap();
    assert_eq!(ledger.len(), 4, "the refused payment wrote nothing");
    assert_eq!(ledger[0].kind, EntryKind::Spending, "newest first");
    let public: Vec<Option<String>> = ledger.into_iter().map(|e| e.for_public().donor).collect();
    assert_eq!(public, [None, None, None, Some("东华门商会".to_string())], "王先生 asked not to be named");

    // Staff of another street write nothing to it.
    let elsewhere = staff(Role::Supervisor, Scope::parse("region:110101002").unwrap());
    let foreign = s.record_entry(&elsewhere, fund.id, &entry(EntryKind::Donation, "1", None, false), now).await;
    assert!(matches!(foreign, Err(StoreError::NotFound)));
    assert_eq!(s.funds(&PlaceFilter::Of(vec![COMMUNITY.into()]), 10).await.unwrap().len(), 1);
    assert!(s.funds(&PlaceFilter::Within(vec!["110101002".into()]), 10).await.unwrap().is_empty());
    let audited =
        s.audit_log(&AuditFilter { action: Some("fund_entry".into()), limit: 10, ..Default::default() }).await.unwrap();
    assert_eq!(audited.len(), 4);
}

async fn payments_made_at_once_never_pass_the_balance_together(db: TestDb) {
    let s = db.store.clone();
    let supervisor = staff(Role::Supervisor, Scope::parse("region:110101001").unwrap());
    let now = Utc::now();
    let fund = s.create_fund(&supervisor, COMMUNITY, "基金", "帮扶", now).await.unwrap();
    s.record_entry(&supervisor, fund.id, &entry(EntryKind::Donation, "100", None, false), now).await.unwrap();
    // Ten payments of 30 yuan against 100: three pass, whatever the order.
    let tasks = (0..10)
        .map(|_| {
            let (s, actor): (Arc<dyn Store>, _) = (s.clone(), supervisor.clone());
            tokio::spawn(async move {
                s.record_entry(&actor, fund.id, &entry(EntryKind::Spending, "30", None, false), Utc::now()).await
            })
        })
        .collect();
    let results = futures_join(tasks).await;
    let passed = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(passed, 3, "{results:?}");
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, StoreError::Invalid(f) if f.field == "amount") || matches!(e, StoreError::Contention)));
    assert_eq!(s.fund(fund.id).await.unwrap().unwrap().totals.balance(), 1_000);
    assert_eq!(s.fund_entries(fund.id, 100).await.unwrap().len(), 4);
}

conformance!(
    the_ledger_keeps_its_balance_and_never_pays_below_nothing,
    payments_made_at_once_never_pass_the_balance_together,
);
