//! 为民服务中心 on every backend: the catalogue is upserted by code; an application keeps its
//! sealed applicant and its materials' files, moves only from the state it was decided on and
//! logs each move; the centre's queue puts the soonest due first; of ten bookings of one slot
//! at once no more pass than its capacity, a resident books once a day, and only they cancel.

mod support;

use std::sync::Arc;

use chrono::{Duration, NaiveDate, Utc};
use grassroots_domain::services::{builtin_catalogue, slots, ApplicationMove, ApplicationState};
use grassroots_domain::{Role, Scope};
use grassroots_store::prelude::*;
use grassroots_store::residents::Resident;
use grassroots_store::services::{ApplicantData, ApplicationActor, ApplicationStep, NewApplication};
use grassroots_store::{AuditFilter, NewAttachment, PlaceFilter, StoreError};
use support::*;

const STREET: &str = "110101001";
const PNG: &[u8] = &[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A, 0, 0, 0, 13, b'I', b'H', b'D', b'R'];

fn photo(tail: &[u8]) -> NewAttachment {
    NewAttachment { media_type: "image/png".into(), bytes: [PNG, tail].concat() }
}

fn application(resident: &Resident, item: &str, due_in_days: i64) -> NewApplication {
    NewApplication {
        street_code: STREET.into(),
        item_code: item.into(),
        resident_id: resident.id,
        applicant: ApplicantData { name: "陈桂芝".into(), phone: Some("13912345678".into()) },
        note: Some("老伴去世后独居".into()),
        files: vec![photo(b"hukou")],
        due_at: Utc::now() + Duration::days(due_in_days),
    }
}

fn step(kind: ApplicationMove, note: Option<&str>, due_in_days: Option<i64>) -> ApplicationStep {
    ApplicationStep {
        kind,
        note: note.map(str::to_string),
        files: Vec::new(),
        due_at: due_in_days.map(|d| Utc::now() + Duration::days(d)),
    }
}

async fn an_application_goes_from_submission_to_done_with_its_materials(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    let catalogue = builtin_catalogue();
    assert_eq!(s.upsert_service_items(&catalogue, now).await.unwrap(), catalogue.len() as u64);
    let mut renamed = catalogue[0].clone();
    renamed.time_limit_days = 25;
    s.upsert_service_items(&[renamed], now).await.unwrap();
    assert_eq!(s.service_items().await.unwrap().len(), catalogue.len(), "upserted by code");
    assert_eq!(s.service_item(&catalogue[0].code).await.unwrap().unwrap().time_limit_days, 25);

    let applicant = resident(s, "13800138001").await;
    let submitted = s.submit_application(&application(&applicant, "JD-001", 5), now).await.unwrap();
    assert_eq!((submitted.state, submitted.applicant_masked.as_str()), (ApplicationState::Received, "陈**"));
    assert_eq!(submitted.item_name, "最低生活保障申请");
    assert_eq!(submitted.files.len(), 1);
    let (media, bytes) = s.application_file(submitted.id, &submitted.files[0].digest).await.unwrap().unwrap();
    assert_eq!((media.as_str(), bytes), ("image/png", [PNG, b"hukou"].concat()));
    assert_eq!(s.applicant(submitted.id).await.unwrap().phone.as_deref(), Some("13912345678"));

    let operator = staff(Role::Operator, Scope::parse("region:110101").unwrap());
    let id = submitted.id;
    let centre = ApplicationActor::Staff(&operator);
    let asked = step(ApplicationMove::AskForMore, Some("请补充收入证明"), None);
    let more = s.move_application(centre.clone(), id, ApplicationState::Received, &asked, now).await.unwrap();
    assert_eq!((more.state, more.due_at), (ApplicationState::MoreMaterials, None), "the clock waits for the applicant");
    let stale = s.move_application(centre.clone(), id, ApplicationState::Received, &asked, now).await;
    assert!(matches!(stale, Err(StoreError::Invalid(e)) if e.field == "move"), "decided on a state it left");
    let resubmit = ApplicationStep { files: vec![photo(b"income")], ..step(ApplicationMove::Resubmit, None, Some(5)) };
    let back = s
        .move_application(ApplicationActor::Resident(applicant.id), id, ApplicationState::MoreMaterials, &resubmit, now)
        .await
        .unwrap();
    assert_eq!((back.state, back.files.len()), (ApplicationState::Received, 2));
    let accepted = s
        .move_application(
            centre.clone(),
            id,
            ApplicationState::Received,
            &step(ApplicationMove::Accept, None, Some(30)),
            now,
        )
        .await
        .unwrap();
    assert!(accepted.accepted_at.is_some() && accepted.due_at.is_some());
    s.move_application(
        centre.clone(),
        id,
        ApplicationState::Accepted,
        &step(ApplicationMove::Approve, None, None),
        now,
    )
    .await
    .unwrap();
    let done = s
        .move_application(centre, id, ApplicationState::Approved, &step(ApplicationMove::Complete, None, None), now)
        .await
        .unwrap();
    assert_eq!(done.state, ApplicationState::Done);
    let moves: Vec<(&str, &str)> = done.moves.iter().map(|m| (m.kind.as_str(), m.by.as_str())).collect();
    assert_eq!(
        moves,
        [
            ("ask_for_more", "operator"),
            ("resubmit", "resident"),
            ("accept", "operator"),
            ("approve", "operator"),
            ("complete", "operator")
        ]
    );
    assert_eq!(done.moves[0].note.as_deref(), Some("请补充收入证明"));

    // The queue: the soonest due first, the decided left out of the open ones.
    let other = resident(s, "13800138002").await;
    let later = s.submit_application(&application(&other, "JD-010", 9), now).await.unwrap();
    let sooner = s.submit_application(&application(&other, "JD-007", 2), now).await.unwrap();
    let queue = s.applications(&PlaceFilter::Within(vec![STREET.into()]), true, 10).await.unwrap();
    assert_eq!(queue.iter().map(|a| a.id).collect::<Vec<_>>(), vec![sooner.id, later.id]);
    assert!(s.applications(&PlaceFilter::Within(vec!["110101002".into()]), true, 10).await.unwrap().is_empty());
    assert_eq!(s.applications_of_resident(applicant.id, 10).await.unwrap().len(), 1);
    let audited = s
        .audit_log(&AuditFilter { action: Some("application_submitted".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audited.len(), 3);
}

async fn a_slot_never_takes_more_than_its_capacity(db: TestDb) {
    let s = db.store.clone();
    let day = grassroots_domain::calendar::beijing_day(Utc::now()) + Duration::days(3);
    let slot = slots()[0];
    let mut people = Vec::new();
    for n in 0..10 {
        people.push(resident(&*s, &format!("1380013{n:04}")).await);
    }
    let tasks = people
        .iter()
        .map(|r| {
            let (s, id): (Arc<dyn Store>, _) = (s.clone(), r.id);
            tokio::spawn(async move { s.book_appointment(id, STREET, day, slot, None, 3, Utc::now()).await })
        })
        .collect();
    let results = futures_join(tasks).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 3, "{results:?}");
    assert!(results
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, StoreError::Invalid(f) if f.field == "slot") || matches!(e, StoreError::Contention)));
    assert_eq!(s.slots_taken(STREET, day, day).await.unwrap()[0].taken, 3);

    let booked = results.iter().find_map(|r| r.as_ref().ok()).unwrap().clone();
    let mut holder = None;
    for p in &people {
        if s.appointments_of_resident(p.id, day).await.unwrap().iter().any(|a| a.id == booked.id) {
            holder = Some(p.id);
        }
    }
    let holder = holder.unwrap();
    let again = s.book_appointment(holder, STREET, day, slots()[5], None, 3, Utc::now()).await;
    assert!(matches!(again, Err(StoreError::Invalid(e)) if e.field == "day"), "once a day");
    let stranger = people.iter().find(|p| p.id != holder).unwrap().id;
    assert!(matches!(s.cancel_appointment(stranger, booked.id).await, Err(StoreError::NotFound)));
    s.cancel_appointment(holder, booked.id).await.unwrap();
    assert_eq!(s.slots_taken(STREET, day, day).await.unwrap()[0].taken, 2);
    assert_eq!(s.appointments_on(&PlaceFilter::Within(vec![STREET.into()]), day).await.unwrap().len(), 2);
    let next = NaiveDate::from_ymd_opt(2099, 1, 1).unwrap();
    assert!(s.appointments_on(&PlaceFilter::Everywhere, next).await.unwrap().is_empty());
}

conformance!(an_application_goes_from_submission_to_done_with_its_materials, a_slot_never_takes_more_than_its_capacity,);
