//! 附议: open cases near a place, residents joining one, and the texts they then get; on both
//! backends.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::workflow::Move;
use grassroots_domain::{CaseState, MoveError};
use grassroots_store::messages::Recipient;
use grassroots_store::prelude::*;
use grassroots_store::support::NewSupporter;
use grassroots_store::{CreatedCase, Inspect, StoreError};
use support::*;

const HERE: (f64, f64) = (39.9149, 116.4109);

async fn report_at(s: &dyn Store, f: &Fixture, category: &str, (lat, lng): (f64, f64)) -> CreatedCase {
    f.report_placed(s, category, lat, lng).await
}

async fn open_cases_of_the_kind_nearby_are_offered_nearest_first(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let far = report_at(s, &f, "0301", (HERE.0 + 0.0045, HERE.1)).await; // about 500 m north
    let near = report_at(s, &f, "0301", (HERE.0 + 0.0018, HERE.1)).await; // about 200 m
    let here = report_at(s, &f, "0301", HERE).await;
    let other_kind = report_at(s, &f, "0302", HERE).await;
    let rejected = report_at(s, &f, "0301", HERE).await;
    s.apply_move(&f.dispatcher(), rejected.id, &Move::Reject { reason: "重复".into() }, &f.ctx(Utc::now()))
        .await
        .unwrap();
    let found = s.open_cases_near("0301", HERE, 300.0, 5).await.unwrap();
    let ids: Vec<_> = found.iter().map(|n| n.record.id).collect();
    assert_eq!(ids, [here.id, near.id], "nearest first; not {far:?}, {other_kind:?} nor the rejected one");
    assert!(found[0].distance_m < 1.0 && (150.0..250.0).contains(&found[1].distance_m), "{found:?}");
    assert_eq!(s.open_cases_near("0301", HERE, 300.0, 1).await.unwrap().len(), 1, "limited");
}

async fn residents_join_an_open_case_and_are_texted_if_they_ask(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let case = report_at(s, &f, "0301", HERE).await;
    let texted = NewSupporter { phone: Some("13900001111".into()), notify: true };
    let silent = NewSupporter { phone: None, notify: false };
    assert_eq!(s.join_case(&case.tracking_no, &texted, Utc::now()).await.unwrap().supporters, 1);
    let joined = s.join_case(&case.tracking_no, &silent, Utc::now()).await.unwrap();
    assert_eq!((joined.case_id, joined.supporters), (case.id, 2));
    assert_eq!(s.supporters(case.id).await.unwrap(), 2);
    let audited = s.audit_entries(case.id).await.unwrap();
    assert_eq!(audited.iter().filter(|a| a.action == "support").count(), 2, "each joining is audited");

    f.dispatch_to(s, case.id, UNIT_A, &[]).await;
    let due = s.due_messages(Utc::now() + Duration::seconds(1), 10).await.unwrap();
    let to: Vec<_> = due.iter().map(|m| (m.recipient, m.phone.clone())).collect();
    assert_eq!(
        to,
        [(Recipient::Supporter, Some("13900001111".to_string()))],
        "the one who asked; the reporter did not"
    );
    let listed = s.messages(Some(case.id), 10).await.unwrap();
    assert_eq!(listed[0].phone_masked.as_deref(), Some("139****1111"));

    // A finished case, or none, cannot be joined; nothing is written.
    let other = report_at(s, &f, "0301", HERE).await;
    s.apply_move(&f.dispatcher(), other.id, &Move::Reject { reason: "不属实".into() }, &f.ctx(Utc::now()))
        .await
        .unwrap();
    let refused = s.join_case(&other.tracking_no, &silent, Utc::now()).await.unwrap_err();
    assert!(matches!(refused, StoreError::Move(MoveError::Conflict { .. })), "{refused:?}");
    assert_eq!(s.supporters(other.id).await.unwrap(), 0);
    let missing = s.join_case("26010100000000", &silent, Utc::now()).await.unwrap_err();
    assert!(matches!(missing, StoreError::NotFound), "{missing:?}");
    assert_eq!(s.case_record(other.id).await.unwrap().unwrap().state, CaseState::Rejected);
}

async fn a_supporters_phone_is_erased_with_the_cases_personal_data(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let case = report_at(s, &f, "0301", HERE).await;
    let texted = NewSupporter { phone: Some("13900002222".into()), notify: true };
    s.join_case(&case.tracking_no, &texted, Utc::now()).await.unwrap();
    s.erase_at_request(&f.supervisor(), case.id, "本人申请删除", Utc::now()).await.unwrap();
    f.dispatch_to(s, case.id, UNIT_A, &[]).await;
    let due = s.due_messages(Utc::now() + Duration::seconds(1), 10).await.unwrap();
    assert!(due.is_empty(), "no text to an erased phone: {due:?}");
}

conformance!(
    open_cases_of_the_kind_nearby_are_offered_nearest_first,
    residents_join_an_open_case_and_are_texted_if_they_ask,
    a_supporters_phone_is_erased_with_the_cases_personal_data
);
