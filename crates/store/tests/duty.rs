//! The duty roster and the warnings texted to those on duty, on every backend: shifts are read
//! by street and period and audited; a warning of danger queues one message per person told, in
//! its own transaction, sent to their sealed mobile and listed masked; raised again, it tells
//! nobody again.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::notices::CaseNotice;
use grassroots_domain::warnings::WarningKind;
use grassroots_domain::{Role, Scope};
use grassroots_store::duty::NewShift;
use grassroots_store::messages::Recipient;
use grassroots_store::prelude::*;
use grassroots_store::{NewUser, StoreError, User};
use support::*;

async fn account(s: &dyn Store, username: &str, scope: &str) -> User {
    s.upsert_user(&NewUser {
        username: username.into(),
        display_name: format!("{username}姓名"),
        password_hash: "x".into(),
        role: Role::Dispatcher,
        scope: Scope::parse(scope).unwrap(),
    })
    .await
    .unwrap()
}

async fn shifts_are_read_by_street_and_period(db: TestDb) {
    let s = &*db.store;
    let world = Fixture::new(s).await;
    let day = account(s, "day", "region:110101001").await;
    let night = account(s, "night", "region:110101001").await;
    let other = account(s, "other", "region:110101002").await;
    s.set_user_phone("day", Some("13700001234")).await.unwrap();
    let now = Utc::now();
    let shift = |user: &User, street: &str, from: i64, to: i64| NewShift {
        street_code: street.into(),
        user_id: user.id,
        starts_at: now + Duration::hours(from),
        ends_at: now + Duration::hours(to),
    };
    let planner = world.supervisor();
    let day_shift = s.add_shift(&shift(&day, "110101001", -2, 10), &planner, now).await.unwrap();
    assert_eq!((day_shift.username.as_str(), day_shift.phone_masked.as_deref()), ("day", Some("137****1234")));
    s.add_shift(&shift(&night, "110101001", 10, 22), &planner, now).await.unwrap();
    s.add_shift(&shift(&other, "110101002", -2, 10), &planner, now).await.unwrap();

    let street = ["110101001".to_string()];
    let at_now = s.shifts(Some(&street), now, now + Duration::milliseconds(1)).await.unwrap();
    assert_eq!(at_now.iter().map(|d| d.username.as_str()).collect::<Vec<_>>(), ["day"]);
    let tonight = s.shifts(Some(&street), now + Duration::hours(12), now + Duration::hours(13)).await.unwrap();
    assert_eq!(tonight.iter().map(|d| d.username.as_str()).collect::<Vec<_>>(), ["night"]);
    let both_days = s.shifts(None, now, now + Duration::days(1)).await.unwrap();
    assert_eq!(both_days.len(), 3, "every street, by start");
    assert!(s.shifts(Some(&[]), now, now + Duration::days(1)).await.unwrap().is_empty());
    assert!(s.shifts(Some(&street), now + Duration::hours(22), now + Duration::days(1)).await.unwrap().is_empty());

    let removed = s.remove_shift(day_shift.id, &planner, now).await.unwrap();
    assert_eq!(removed.id, day_shift.id);
    assert!(s.shift(day_shift.id).await.unwrap().is_none());
    assert!(matches!(s.remove_shift(day_shift.id, &planner, now).await, Err(StoreError::NotFound)));
    let audited =
        |action: &str| grassroots_store::AuditFilter { action: Some(action.into()), limit: 50, ..Default::default() };
    assert_eq!(s.audit_log(&audited("duty_planned")).await.unwrap().len(), 3);
    let removals = s.audit_log(&audited("duty_removed")).await.unwrap();
    assert_eq!(removals.len(), 1);
    assert_eq!(removals[0].subject_id, Some(day_shift.id));
}

async fn a_warning_of_danger_texts_those_told_once(db: TestDb) {
    let s = &*db.store;
    let world = Fixture::new(s).await;
    let day = account(s, "day", "region:110101001").await;
    let phoneless = account(s, "phoneless", "region:110101001").await;
    s.set_user_phone("day", Some("13700001234")).await.unwrap();
    let case = world.report(s, "楼上有人说要跳楼", None).await;

    assert!(s.raise_warning(&danger_about(case.id, vec![day.id, phoneless.id])).await.unwrap());
    let due = s.due_messages(Utc::now() + Duration::seconds(1), 10).await.unwrap();
    let mut to: Vec<_> = due.iter().map(|m| (m.notice, m.recipient, m.phone.clone(), m.case_id)).collect();
    to.sort_by_key(|t| t.2.is_none());
    assert_eq!(
        to,
        [
            (CaseNotice::Danger, Recipient::Staff, Some("13700001234".to_string()), case.id),
            (CaseNotice::Danger, Recipient::Staff, None, case.id),
        ],
        "one each; who has no mobile is tried and given up by the gateway"
    );
    let listed = s.messages(Some(case.id), 10).await.unwrap();
    assert!(listed.iter().all(|m| m.recipient == Recipient::Staff));
    assert!(listed.iter().any(|m| m.phone_masked.as_deref() == Some("137****1234")));

    assert!(!s.raise_warning(&danger_about(case.id, vec![day.id])).await.unwrap(), "raised once per key");
    assert_eq!(s.due_messages(Utc::now() + Duration::seconds(1), 10).await.unwrap().len(), 2, "told once");

    // A warning of another kind about a case texts nobody, whoever is named.
    let other = world.report(s, "又是这个问题", None).await;
    let mut reopened = danger_about(other.id, vec![day.id]);
    (reopened.kind, reopened.key) = (WarningKind::Reopened, format!("reopened:{}", other.id));
    assert!(s.raise_warning(&reopened).await.unwrap());
    assert!(s.messages(Some(other.id), 10).await.unwrap().is_empty());

    // Surges have a baseline where the warnings before had none: each is kept (on PostgreSQL a
    // statement first run with a NULL there must not fix the parameter's type).
    for n in 0..10 {
        let mut surge = danger_about(other.id, Vec::new());
        (surge.kind, surge.key, surge.case_id) = (WarningKind::Surge, format!("surge:{n}"), None);
        (surge.count, surge.baseline) = (Some(9), Some(1.25));
        assert!(s.raise_warning(&surge).await.unwrap());
    }

    // A phone forgotten is no longer opened for a send.
    s.set_user_phone("day", None).await.unwrap();
    let due = s.due_messages(Utc::now() + Duration::seconds(1), 10).await.unwrap();
    assert!(due.iter().all(|m| m.phone.is_none()));
    assert!(matches!(s.set_user_phone("nobody", Some("13700001234")).await, Err(StoreError::NotFound)));
}

conformance!(shifts_are_read_by_street_and_period, a_warning_of_danger_texts_those_told_once);
