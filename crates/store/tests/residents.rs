//! Residents' accounts on every backend: codes are counted per number and per address, one
//! step with keeping them (of concurrent asks, the limits let one through), and kept only as
//! digests; a wrong try is counted and a code spent after five; the right code signs in
//! once, under concurrency too, making the resident on first sign-in; sessions expire and end;
//! a resident's reports are the cases reported from their number.

mod support;

use std::net::IpAddr;

use chrono::{Duration, Utc};
use grassroots_domain::residents::{CodeRefusal, CodeTry, Mobile, MAX_TRIES};
use grassroots_domain::Actor;
use grassroots_store::prelude::*;
use grassroots_store::residents::{CodeKept, SignIn};
use sqlx::{Connection, Row};
use support::*;

fn mobile(n: &str) -> Mobile {
    Mobile::parse(n).unwrap()
}

fn address(last: u8) -> IpAddr {
    IpAddr::from([192, 0, 2, last])
}

async fn codes_are_counted_and_kept_as_digests_only(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    let (a, b) = (mobile("13800138000"), mobile("13900139000"));
    assert_eq!(s.keep_code(&a, address(1), "123456", now - Duration::hours(2), now).await.unwrap(), CodeKept::Kept);
    assert_eq!(s.keep_code(&a, address(1), "234567", now - Duration::minutes(30), now).await.unwrap(), CodeKept::Kept);
    assert_eq!(s.keep_code(&b, address(1), "345678", now - Duration::minutes(10), now).await.unwrap(), CodeKept::Kept);
    assert_eq!(s.keep_code(&b, address(2), "456789", now - Duration::minutes(5), now).await.unwrap(), CodeKept::Kept);
    // Older than a day: not counted, and gone when the codes past their day are forgotten.
    assert_eq!(s.keep_code(&a, address(3), "567890", now - Duration::hours(30), now).await.unwrap(), CodeKept::Kept);

    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let rows =
        sqlx::query("SELECT phone_tag, address_tag, code_tag FROM resident_codes").fetch_all(&mut conn).await.unwrap();
    assert_eq!(rows.len(), 5);
    for row in &rows {
        for column in ["phone_tag", "address_tag", "code_tag"] {
            let kept: String = row.try_get(column).unwrap();
            for plain in ["13800138000", "13900139000", "123456", "234567", "192.0.2.1"] {
                assert!(!kept.contains(plain), "{column} keeps {plain} in the clear");
            }
        }
    }
    assert_eq!(s.forget_codes_before(now - Duration::days(1)).await.unwrap(), 1, "the code of 30 hours ago");
    let left: i64 = sqlx::query("SELECT COUNT(*) AS n FROM resident_codes")
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .try_get("n")
        .unwrap();
    assert_eq!(left, 4);
}

async fn keep(s: &dyn Store, phone: &str, from: u8, at: chrono::DateTime<Utc>) -> CodeKept {
    s.keep_code(&mobile(phone), address(from), "123456", at, at + Duration::minutes(5)).await.unwrap()
}

async fn the_limits_count_a_number_s_day_and_an_address_s_hour_and_hold_under_concurrency(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    // Ten a day to one number, counted over the last 24 hours.
    let number = "13800138001";
    for n in 0..10 {
        let at = now - Duration::hours(23) + Duration::hours(2 * n);
        assert_eq!(keep(s, number, 1, at).await, CodeKept::Kept, "send {n}");
    }
    assert!(matches!(keep(s, number, 2, now).await, CodeKept::Refused(CodeRefusal::NumberToday { .. })));
    let later = now + Duration::hours(1) + Duration::minutes(1);
    assert_eq!(keep(s, number, 2, later).await, CodeKept::Kept, "the oldest left the day");

    // Twenty an hour from one address, to any numbers.
    for n in 0..20 {
        let at = now - Duration::minutes(50) + Duration::minutes(n);
        assert_eq!(keep(s, &format!("1370000{n:04}"), 3, at).await, CodeKept::Kept);
    }
    assert!(matches!(keep(s, "13700009999", 3, now).await, CodeKept::Refused(CodeRefusal::Address { .. })));
    assert_eq!(keep(s, "13700009999", 4, now).await, CodeKept::Kept, "another address");

    // Eight asks for one number at once: one code is kept, the others wait their minute.
    let asks: Vec<_> = (0..8)
        .map(|n| {
            let store = db.store.clone();
            tokio::spawn(async move { keep(&*store, "13600136000", 10 + n, now).await })
        })
        .collect();
    let kept = futures_join(asks).await;
    assert_eq!(kept.iter().filter(|k| **k == CodeKept::Kept).count(), 1, "{kept:?}");
    assert!(kept.iter().all(|k| matches!(k, CodeKept::Kept | CodeKept::Refused(CodeRefusal::Wait { .. }))));
}

async fn the_right_code_signs_in_once_and_wrong_ones_spend_it(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    let phone = mobile("13800138000");
    let session_end = now + Duration::days(30);
    assert_eq!(
        s.sign_in_resident(&phone, "123456", "t0", now, session_end).await.unwrap(),
        SignIn::Refused(CodeTry::NoneSent)
    );
    assert_eq!(
        s.keep_code(&phone, address(1), "123456", now, now + Duration::minutes(5)).await.unwrap(),
        CodeKept::Kept
    );
    assert_eq!(
        s.sign_in_resident(&phone, "654321", "t1", now, session_end).await.unwrap(),
        SignIn::Refused(CodeTry::Wrong { tries_left: MAX_TRIES - 1 })
    );
    let SignIn::SignedIn(first) = s.sign_in_resident(&phone, "123456", "t2", now, session_end).await.unwrap() else {
        panic!("the right code signs in")
    };
    assert_eq!(first.phone_masked, "138****8000");
    assert_eq!(
        s.sign_in_resident(&phone, "123456", "t3", now, session_end).await.unwrap(),
        SignIn::Refused(CodeTry::NoneSent),
        "a code is used once"
    );
    assert_eq!(s.resident_session("t2", now).await.unwrap().map(|r| r.id), Some(first.id));
    assert_eq!(s.resident_session("t1", now).await.unwrap(), None, "no session for a wrong code");
    assert_eq!(s.resident_session("t2", session_end).await.unwrap(), None, "sessions expire");

    // A later sign-in is the same resident.
    let later = now + Duration::minutes(2);
    assert_eq!(
        s.keep_code(&phone, address(1), "777777", later, later + Duration::minutes(5)).await.unwrap(),
        CodeKept::Kept
    );
    let SignIn::SignedIn(again) = s.sign_in_resident(&phone, "777777", "t4", later, session_end).await.unwrap() else {
        panic!("signs in again")
    };
    assert_eq!((again.id, again.created_at), (first.id, first.created_at));
    assert!(again.signed_in_at > first.signed_in_at);
    s.end_resident_session("t4").await.unwrap();
    assert_eq!(s.resident_session("t4", later).await.unwrap(), None);
    assert!(s.resident_session("t2", later).await.unwrap().is_some(), "another device stays signed in");

    // Five wrong tries spend a code: the right one no longer signs in.
    let other = mobile("13900139000");
    assert_eq!(
        s.keep_code(&other, address(2), "111111", now, now + Duration::minutes(5)).await.unwrap(),
        CodeKept::Kept
    );
    for left in (0..MAX_TRIES).rev() {
        let tried = s.sign_in_resident(&other, "222222", "x", now, session_end).await.unwrap();
        assert_eq!(tried, SignIn::Refused(CodeTry::Wrong { tries_left: left }));
    }
    assert_eq!(
        s.sign_in_resident(&other, "111111", "t5", now, session_end).await.unwrap(),
        SignIn::Refused(CodeTry::Spent)
    );
    // An expired code.
    let third = mobile("13700137000");
    assert_eq!(
        s.keep_code(&third, address(2), "333333", now - Duration::minutes(6), now - Duration::minutes(1))
            .await
            .unwrap(),
        CodeKept::Kept
    );
    assert_eq!(
        s.sign_in_resident(&third, "333333", "t6", now, session_end).await.unwrap(),
        SignIn::Refused(CodeTry::Expired)
    );
}

async fn concurrent_tries_of_one_code_sign_in_once(db: TestDb) {
    let now = Utc::now();
    let phone = mobile("13800138000");
    db.store.keep_code(&phone, address(1), "123456", now, now + Duration::minutes(5)).await.unwrap();
    let tasks = (0..8)
        .map(|i| {
            let (store, phone) = (db.store.clone(), phone.clone());
            tokio::spawn(async move {
                store.sign_in_resident(&phone, "123456", &format!("token{i}"), now, now + Duration::days(1)).await
            })
        })
        .collect();
    let outcomes: Vec<SignIn> = futures_join(tasks).await.into_iter().map(|o| o.unwrap()).collect();
    let signed_in = outcomes.iter().filter(|o| matches!(o, SignIn::SignedIn(_))).count();
    assert_eq!(signed_in, 1, "{outcomes:?}");
}

async fn a_residents_reports_are_those_from_their_number(db: TestDb) {
    let s = &*db.store;
    let world = Fixture::new(s).await;
    let mine = world.report(s, "楼道灯坏了", Some("13800138000")).await;
    let also_mine = world.report(s, "路面有坑", Some("13800138000")).await;
    world.report(s, "噪音扰民", Some("13900139000")).await;
    world.report(s, "无人留号", None).await;
    let now = Utc::now();
    let phone = mobile("13800138000");
    assert_eq!(
        s.keep_code(&phone, address(1), "123456", now, now + Duration::minutes(5)).await.unwrap(),
        CodeKept::Kept
    );
    let SignIn::SignedIn(me) = s.sign_in_resident(&phone, "123456", "t", now, now + Duration::days(1)).await.unwrap()
    else {
        panic!("signs in")
    };
    let reports = s.resident_reports(me.id, 50).await.unwrap();
    let numbers: Vec<&str> = reports.iter().map(|r| r.tracking_no.as_str()).collect();
    assert_eq!(numbers, [also_mine.tracking_no.as_str(), mine.tracking_no.as_str()], "newest first");
    assert_eq!(s.resident_reports(me.id, 1).await.unwrap().len(), 1);
}

async fn a_resident_closes_their_account_and_their_reports_stay(db: TestDb) {
    let s = &*db.store;
    let world = Fixture::new(s).await;
    let report = world.report(s, "楼道灯坏了", Some("13800138000")).await;
    let now = Utc::now();
    let phone = mobile("13800138000");
    assert_eq!(
        s.keep_code(&phone, address(1), "123456", now, now + Duration::minutes(5)).await.unwrap(),
        CodeKept::Kept
    );
    let SignIn::SignedIn(me) = s.sign_in_resident(&phone, "123456", "t", now, now + Duration::days(1)).await.unwrap()
    else {
        panic!("signs in")
    };
    let later = now + Duration::minutes(2);
    assert_eq!(keep(s, "13800138000", 1, later).await, CodeKept::Kept);
    s.close_resident_account(&Actor::Resident, me.id, None, now).await.unwrap();
    assert_eq!(s.resident_session("t", now).await.unwrap(), None, "signed out everywhere");
    assert_eq!(keep(s, "13800138000", 2, later).await, CodeKept::Kept, "the number's codes are gone, not counted");
    assert!(s.case_record(report.id).await.unwrap().is_some(), "what they reported stays a case");
    assert!(matches!(
        s.close_resident_account(&Actor::Resident, me.id, None, now).await,
        Err(grassroots_store::StoreError::NotFound)
    ));
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let kept: i64 =
        sqlx::query("SELECT COUNT(*) AS n FROM residents").fetch_one(&mut conn).await.unwrap().try_get("n").unwrap();
    assert_eq!(kept, 0, "the sealed number is gone with the account");

    // Signing in again makes a new account.
    let later = later + Duration::minutes(2);
    assert_eq!(
        s.keep_code(&phone, address(1), "345678", later, later + Duration::minutes(5)).await.unwrap(),
        CodeKept::Kept
    );
    let SignIn::SignedIn(again) =
        s.sign_in_resident(&phone, "345678", "t2", later, later + Duration::days(1)).await.unwrap()
    else {
        panic!("signs in again")
    };
    assert_ne!(again.id, me.id);
}

conformance!(
    a_resident_closes_their_account_and_their_reports_stay,
    the_limits_count_a_number_s_day_and_an_address_s_hour_and_hold_under_concurrency,
    codes_are_counted_and_kept_as_digests_only,
    the_right_code_signs_in_once_and_wrong_ones_spend_it,
    concurrent_tries_of_one_code_sign_in_once,
    a_residents_reports_are_those_from_their_number,
);
