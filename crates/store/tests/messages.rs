//! Text messages to residents and the signed links they carry, on both backends.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::notices::CaseNotice;
use grassroots_domain::workflow::{EventKind, Move};
use grassroots_domain::{CaseState, MoveError, Scope};
use grassroots_store::messages::{MessageOutcome, MessageState};
use grassroots_store::prelude::*;
use grassroots_store::{NewAttachment, ResidentPass, StoreError};
use support::*;

const PNG: [u8; 8] = [0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A];

async fn messages_follow_the_events_a_resident_asked_for(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let asked = f.report_notified(s, "楼道灯坏了", "13812345678").await;
    let silent = f.report(s, "楼道灯也坏了", Some("13912345678")).await;
    for id in [asked.id, silent.id] {
        let moves = [
            (f.dispatcher(), Move::Register { note: None }),
            (f.dispatcher(), Move::Dispatch { unit: UNIT_A.into(), co_units: vec![], note: None }),
            (f.handler(UNIT_A), Move::Accept {}),
            (f.handler(UNIT_A), Move::Contact { note: "电话联系".into() }),
            (f.handler(UNIT_A), Move::ReportHandled { result: "已修好".into(), evidence: vec![] }),
            (f.supervisor(), Move::Close { note: None }),
        ];
        for (actor, mv) in &moves {
            s.apply_move(actor, id, mv, &f.ctx(Utc::now())).await.unwrap_or_else(|e| panic!("{}: {e}", mv.name()));
        }
    }
    let later = Utc::now() + Duration::seconds(1);
    let due = s.due_messages(later, 100).await.unwrap();
    let notices: Vec<CaseNotice> = due.iter().map(|m| m.notice).collect();
    assert_eq!(
        notices,
        [CaseNotice::Dispatched, CaseNotice::Handled, CaseNotice::Closed],
        "in order, none for the other"
    );
    assert!(due.iter().all(|m| m.case_id == asked.id && m.tracking_no == asked.tracking_no));
    assert!(due.iter().all(|m| m.phone.as_deref() == Some("13812345678") && m.lead_unit.as_deref() == Some(UNIT_A)));

    let sent = |body: &str| MessageOutcome::Sent { provider: "sink".into(), status: None, body: body.into() };
    s.record_message_attempt(&due[0], &sent("已派遣"), 3, later).await.unwrap();
    let retry_at = later + Duration::minutes(5);
    let failed = |retry_at| MessageOutcome::Failed {
        provider: "http".into(),
        status: Some(503),
        error: "answered 503".into(),
        body: Some("已办结".into()),
        retry_at,
    };
    s.record_message_attempt(&due[1], &failed(Some(retry_at)), 40, later).await.unwrap();
    s.record_message_attempt(&due[2], &failed(None), 40, later).await.unwrap();

    let due_now: Vec<_> = s.due_messages(later, 100).await.unwrap();
    assert!(due_now.is_empty(), "sent, waiting to be retried, or given up: {due_now:?}");
    let due_later = s.due_messages(retry_at, 100).await.unwrap();
    assert_eq!(due_later.iter().map(|m| (m.id, m.attempts)).collect::<Vec<_>>(), [(due[1].id, 1)]);

    let listed = s.messages(Some(asked.id), 50).await.unwrap();
    let by_id = |id| listed.iter().find(|m| m.id == id).unwrap();
    assert_eq!((by_id(due[0].id).state, by_id(due[0].id).body.as_deref()), (MessageState::Sent, Some("已派遣")));
    assert!(by_id(due[0].id).sent_at.is_some());
    assert_eq!(by_id(due[1].id).state, MessageState::Pending);
    assert_eq!(by_id(due[1].id).last_error.as_deref(), Some("answered 503"));
    assert_eq!((by_id(due[2].id).state, by_id(due[2].id).attempts), (MessageState::Failed, 1));
    assert_eq!(by_id(due[2].id).phone_masked.as_deref(), Some("138****5678"), "the list shows the phone masked");
    assert!(s.messages(Some(silent.id), 50).await.unwrap().is_empty());
}

async fn a_signed_link_opens_its_case_until_it_expires(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let case = f.report(s, "井盖松动", Some("13812345678")).await;
    let other = f.report(s, "井盖丢了", None).await;
    let now = Utc::now();
    let token = s.resident_link_token(&case.tracking_no, now + Duration::days(1));
    let opens = |token: String, at| async move {
        s.track(&ResidentPass::Link { token: &token, now: at }).await.unwrap().map(|d| d.record.id)
    };
    assert_eq!(opens(token.clone(), now).await, Some(case.id));
    assert_eq!(opens(token.clone(), now + Duration::days(2)).await, None, "expired");
    let (head, signature) = token.rsplit_once('.').unwrap();
    let forged = format!("{head}.{}", signature.chars().rev().collect::<String>());
    assert_eq!(opens(forged, now).await, None, "a changed signature");
    let moved = token.replacen(&case.tracking_no, &other.tracking_no, 1);
    assert_eq!(opens(moved, now).await, None, "another case's number under this signature");
    let extended = token.replacen(head.rsplit('.').next().unwrap(), "99999999999", 1);
    assert_eq!(opens(extended, now).await, None, "a later expiry under this signature");
    for junk in ["", "x", "1.2.3", &case.tracking_no] {
        assert_eq!(opens(junk.to_string(), now).await, None, "{junk:?}");
    }
}

async fn residents_add_words_and_photos_to_an_open_case(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let case = f.report(s, "路边垃圾没人清", Some("13812345678")).await;
    let token = s.resident_link_token(&case.tracking_no, Utc::now() + Duration::days(1));
    let pass = ResidentPass::Link { token: &token, now: Utc::now() };
    let photo = NewAttachment { media_type: "image/png".into(), bytes: PNG.to_vec() };
    let add = Move::Supplement { text: Some("又多了两袋，电话13812345678".into()), photos: 1 };
    let after = s.resident_move(&pass, &add, &f.ctx(Utc::now()), std::slice::from_ref(&photo)).await.unwrap();
    assert_eq!(after.state, CaseState::Received, "adding changes no state");
    let events = s.case_events(case.id).await.unwrap();
    match &events.last().unwrap().kind {
        EventKind::Supplemented { text, photos } => {
            assert_eq!(*photos, 1);
            let text = text.as_deref().unwrap();
            assert!(text.starts_with("又多了两袋") && !text.contains("13812345678"), "the number is masked: {text}");
        }
        other => panic!("expected the addition, got {other:?}"),
    }
    assert_eq!(s.attachments(&Scope::All, case.id).await.unwrap().len(), 1);

    // A count that does not match the photos given changes nothing.
    let wrong = Move::Supplement { text: None, photos: 2 };
    let e = s.resident_move(&pass, &wrong, &f.ctx(Utc::now()), &[photo]).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(ref field) if field.field == "photo"), "{e:?}");
    // Nor may a resident make a staff move, or add to a closed case.
    let register = Move::Register { note: None };
    let staff_move = s.resident_move(&pass, &register, &f.ctx(Utc::now()), &[]).await.unwrap_err();
    assert!(matches!(staff_move, StoreError::Move(MoveError::Forbidden { .. })), "{staff_move:?}");
    s.apply_move(&f.dispatcher(), case.id, &Move::Reject { reason: "重复".into() }, &f.ctx(Utc::now())).await.unwrap();
    let again = Move::Supplement { text: Some("还在".into()), photos: 0 };
    let refused = s.resident_move(&pass, &again, &f.ctx(Utc::now()), &[]).await.unwrap_err();
    assert!(
        matches!(refused, StoreError::Move(MoveError::IllegalState { state: CaseState::Rejected, .. })),
        "{refused:?}"
    );
    assert_eq!(s.case_events(case.id).await.unwrap().len(), events.len() + 1, "only the rejection was added");
    assert_eq!(s.attachments(&Scope::All, case.id).await.unwrap().len(), 1);
}

conformance!(
    messages_follow_the_events_a_resident_asked_for,
    a_signed_link_opens_its_case_until_it_expires,
    residents_add_words_and_photos_to_an_open_case
);
