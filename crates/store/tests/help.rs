//! 五社联动 on every backend: a resident registers as a helper once and an organisation's code
//! once; staff of the place verify and deactivate, elsewhere they find nothing; only verified
//! helpers of a skill are candidates, with the needs they have in hand; a need moves only from
//! the state it was decided on (of ten acceptances at once, one passes), an offer only to a
//! verified helper; a report's photos are kept; confirming credits the helper's minutes and
//! points once, in the ledger; redemptions never pass the balance, even at once; rankings
//! count the hours confirmed.

mod support;

use std::sync::Arc;

use chrono::{Datelike, Duration, Utc, Weekday};
use grassroots_domain::helpers::{
    Availability, Commitment, DayPart, HelperKind, HelperState, Registration, RegistrationForm, Skill,
};
use grassroots_domain::needs::{Need, NeedSource, NeedState, Urgency};
use grassroots_domain::{Actor, Role, Scope};
use grassroots_store::helpers::{Helper, HelperContact, PointsKind, Registrant};
use grassroots_store::needs::{NeedActor, NeedContact, NeedHousehold, NeedStep, NewNeed};
use grassroots_store::prelude::*;
use grassroots_store::residents::Resident;
use grassroots_store::{AuditFilter, NewAttachment, NewUser, StoreError};
use support::*;

const COMMUNITY: &str = "110101001001";
const OTHER_GRID: &str = "110101001001002";

async fn setup(s: &dyn Store) {
    s.replace_grids(&[COMMUNITY.into()], &[grid(GRID, 116.40), grid(OTHER_GRID, 116.41)]).await.unwrap();
}

async fn account(s: &dyn Store, username: &str, role: Role, scope: &str) -> Actor {
    s.upsert_user(&NewUser {
        username: username.into(),
        display_name: format!("{username}姓名"),
        password_hash: "x".into(),
        role,
        scope: Scope::parse(scope).unwrap(),
    })
    .await
    .unwrap()
    .actor()
}

fn volunteer(name: &str, skills: Vec<Skill>) -> Registration {
    Registration::check(
        HelperKind::Volunteer,
        RegistrationForm {
            name,
            region_code: COMMUNITY,
            skills,
            availability: Availability::of(&[Weekday::Sat], &[DayPart::Morning]),
            ..RegistrationForm::default()
        },
    )
    .unwrap()
}

async fn person(s: &dyn Store, phone: &str, name: &str, skills: Vec<Skill>) -> (Resident, Helper) {
    let r = resident(s, phone).await;
    let contact = HelperContact { name: name.into(), ..HelperContact::default() };
    let h =
        s.register_helper(Registrant::Resident(r.id), &volunteer(name, skills), &contact, Utc::now()).await.unwrap();
    (r, h)
}

fn need(skill: Skill) -> Need {
    Need {
        source: NeedSource::Visit,
        skill,
        what: "每周六上午陪老人聊天".into(),
        community_code: COMMUNITY.into(),
        on: grassroots_domain::calendar::beijing_day(Utc::now()) + Duration::days(1),
        part: DayPart::Morning,
        urgency: Urgency::Routine,
    }
}

async fn a_visit_need(s: &dyn Store, worker: &Actor, skill: Skill) -> uuid::Uuid {
    let new = NewNeed {
        need: need(skill),
        household: Some(NeedHousehold::Labelled { grid_code: GRID.into(), label: "3号楼2单元401".into() }),
        source_id: None,
        resident_id: None,
        contact: NeedContact { address: "3号楼2单元401".into(), name: Some("李奶奶".into()), phone: None },
    };
    s.create_need(NeedActor::Staff(worker), &new, Utc::now()).await.unwrap().id
}

async fn registrations_are_verified_by_staff_of_the_place_and_only_the_verified_are_candidates(db: TestDb) {
    let s = &*db.store;
    setup(s).await;
    let now = Utc::now();
    let worker = account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let elsewhere = account(s, "other", Role::Supervisor, "region:110101002").await;
    let (r, zhang) = person(s, "13800138001", "张志愿", vec![Skill::Companionship, Skill::Meals]).await;
    assert_eq!((zhang.state, zhang.shown_name.as_str(), zhang.resident_id), (HelperState::Pending, "张**", Some(r.id)));
    assert_eq!(zhang.skills, vec![Skill::Companionship, Skill::Meals]);
    assert_eq!(s.helper_contact(zhang.id).await.unwrap().name, "张志愿", "the name is sealed and opened whole");
    let again = s
        .register_helper(
            Registrant::Resident(r.id),
            &volunteer("张志愿", vec![Skill::Meals]),
            &HelperContact::default(),
            now,
        )
        .await;
    assert!(matches!(again, Err(StoreError::Invalid(e)) if e.field == "kind"), "a resident registers once");
    assert_eq!(s.helper_of_resident(r.id).await.unwrap().map(|h| h.id), Some(zhang.id));

    // An organisation's code is registered once, by staff of its place.
    let org = Registration::check(
        HelperKind::Organisation,
        RegistrationForm {
            name: "东城区阳光社工事务所",
            region_code: COMMUNITY,
            skills: vec![Skill::Counselling],
            availability: Availability::of(&[Weekday::Mon], &[DayPart::Morning]),
            credit_code: Some("52110101MJ0000001R"),
            ..RegistrationForm::default()
        },
    )
    .unwrap();
    let contact =
        HelperContact { name: org.name.clone(), contact: Some("刘主任".into()), phone: Some("13800138009".into()) };
    assert!(matches!(
        s.register_helper(Registrant::Staff(&elsewhere), &org, &contact, now).await,
        Err(StoreError::NotFound)
    ));
    let sunshine = s.register_helper(Registrant::Staff(&worker), &org, &contact, now).await.unwrap();
    assert_eq!(sunshine.shown_name, "东城区阳光社工事务所", "an organisation is named in full");
    let twice = s.register_helper(Registrant::Staff(&worker), &org, &contact, now).await;
    assert!(matches!(twice, Err(StoreError::Invalid(e)) if e.field == "credit_code"));

    assert!(s.helpers_with_skill(Skill::Meals, "110101").await.unwrap().is_empty(), "nobody verified yet");
    assert!(matches!(
        s.set_helper_state(&elsewhere, zhang.id, HelperState::Verified, None, now).await,
        Err(StoreError::NotFound)
    ));
    s.set_helper_state(&worker, zhang.id, HelperState::Verified, None, now).await.unwrap();
    let (_, li) = person(s, "13800138002", "李志愿", vec![Skill::Meals]).await;
    s.set_helper_state(&worker, li.id, HelperState::Verified, None, now).await.unwrap();
    let meals = s.helpers_with_skill(Skill::Meals, "110101").await.unwrap();
    assert_eq!(meals.len(), 2);
    assert!(s.helpers_with_skill(Skill::Meals, "110105").await.unwrap().is_empty(), "another district");
    assert!(s.helpers_with_skill(Skill::Repairs, "110101").await.unwrap().is_empty());
    let deactivated =
        s.set_helper_state(&worker, li.id, HelperState::Deactivated, Some("已搬离本社区"), now).await.unwrap();
    assert_eq!(deactivated.state_reason.as_deref(), Some("已搬离本社区"));
    let meals = s.helpers_with_skill(Skill::Meals, "110101").await.unwrap();
    assert_eq!(meals.iter().map(|a| a.helper.id).collect::<Vec<_>>(), vec![zhang.id]);
    let places = grassroots_store::PlaceFilter::Within(vec![COMMUNITY.into()]);
    let listed = s.helpers(&places, None, 10).await.unwrap();
    assert_eq!(listed.first().map(|h| h.id), Some(sunshine.id), "pending first");
    assert_eq!(s.helpers(&places, Some(HelperState::Verified), 10).await.unwrap().len(), 1);
    let audited = s
        .audit_log(&AuditFilter { action: Some("helper_state".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(audited.len(), 3);
}

async fn a_need_moves_from_open_to_confirmed_and_credits_the_helper_once(db: TestDb) {
    let s = &*db.store;
    setup(s).await;
    let now = Utc::now();
    let worker = account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let (r, helper) = person(s, "13800138001", "张志愿", vec![Skill::Companionship]).await;
    let id = a_visit_need(s, &worker, Skill::Companionship).await;
    let elsewhere = account(s, "other", Role::GridWorker, "grid:110101001002001").await;
    let foreign = NewNeed {
        need: need(Skill::Meals),
        household: Some(NeedHousehold::Labelled { grid_code: GRID.into(), label: "1号楼101".into() }),
        source_id: None,
        resident_id: None,
        contact: NeedContact::default(),
    };
    assert!(matches!(s.create_need(NeedActor::Staff(&elsewhere), &foreign, now).await, Err(StoreError::NotFound)));

    let offer = NeedStep::Offer { helper: helper.id };
    let refused = s.move_need(NeedActor::Staff(&worker), id, NeedState::Open, &offer, now).await;
    assert!(matches!(refused, Err(StoreError::Invalid(e)) if e.field == "helper"), "not verified yet");
    s.set_helper_state(&worker, helper.id, HelperState::Verified, None, now).await.unwrap();
    let offered = s.move_need(NeedActor::Staff(&worker), id, NeedState::Open, &offer, now).await.unwrap();
    assert_eq!((offered.state, offered.helper_id), (NeedState::Offered, Some(helper.id)));
    assert_eq!(offered.helper_name.as_deref(), Some("张**"));
    // A move decided on a state the need has left is refused, and writes nothing.
    let stale = s.move_need(NeedActor::Staff(&worker), id, NeedState::Open, &offer, now).await;
    assert!(matches!(stale, Err(StoreError::Invalid(e)) if e.field == "move"));
    assert_eq!(s.helpers_with_skill(Skill::Companionship, "110101").await.unwrap()[0].open_tasks, 1);

    s.move_need(NeedActor::Helper(r.id), id, NeedState::Offered, &NeedStep::Accept, now).await.unwrap();
    let photo = NewAttachment { media_type: "image/png".into(), bytes: b"\x89PNG\r\n\x1a\nreport".to_vec() };
    let report = NeedStep::Report { minutes: 90, note: Some("陪聊并帮忙取药".into()), photos: vec![photo] };
    let done = s.move_need(NeedActor::Helper(r.id), id, NeedState::Accepted, &report, now).await.unwrap();
    assert_eq!((done.state, done.minutes, done.photos.len()), (NeedState::Done, Some(90), 1));
    let (media, bytes) = s.need_photo(id, &done.photos[0].digest).await.unwrap().unwrap();
    assert_eq!((media.as_str(), bytes.as_slice()), ("image/png", b"\x89PNG\r\n\x1a\nreport".as_slice()));
    assert!(s.need_photo(id, "0".repeat(64).as_str()).await.unwrap().is_none());
    let back = NeedStep::SendBack { note: Some("药没有取到".into()) };
    s.move_need(NeedActor::Staff(&worker), id, NeedState::Done, &back, now).await.unwrap();
    let report = NeedStep::Report { minutes: 120, note: None, photos: vec![] };
    s.move_need(NeedActor::Helper(r.id), id, NeedState::Accepted, &report, now).await.unwrap();
    let confirm = NeedStep::Confirm { rating: 5, note: Some("很耐心".into()) };
    let confirmed = s.move_need(NeedActor::Staff(&worker), id, NeedState::Done, &confirm, now).await.unwrap();
    assert_eq!((confirmed.state, confirmed.rating, confirmed.minutes), (NeedState::Confirmed, Some(5), Some(120)));
    let again = s.move_need(NeedActor::Staff(&worker), id, NeedState::Done, &confirm, now).await;
    assert!(again.is_err(), "confirmed once");

    let credited = s.helper(helper.id).await.unwrap().unwrap().points;
    assert_eq!((credited.minutes_confirmed, credited.earned, credited.balance()), (120, 20, 20));
    let ledger = s.points_entries(helper.id, 10).await.unwrap();
    assert_eq!(ledger.len(), 1);
    assert_eq!((ledger[0].kind, ledger[0].need_id, ledger[0].balance_after), (PointsKind::Earned, Some(id), 20));
    let moves: Vec<&str> = confirmed.moves.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(moves, ["offer", "accept", "report", "send_back", "report", "confirm"]);
    assert_eq!(confirmed.moves[1].by, "helper");
    assert_eq!(s.need_contact(id).await.unwrap().name.as_deref(), Some("李奶奶"));
    assert_eq!(s.needs_of_helper(helper.id, 10).await.unwrap().len(), 1);
    let ranking = s.helper_ranking("110101001", now - Duration::days(1), 10).await.unwrap();
    assert_eq!(ranking.iter().map(|h| (h.helper_id, h.minutes)).collect::<Vec<_>>(), vec![(helper.id, 120)]);
    assert!(s.helper_ranking("110101001", now + Duration::days(1), 10).await.unwrap().is_empty());

    // A resident's own request is theirs to read.
    let asker = resident(s, "13800138003").await;
    let own = NewNeed {
        need: Need { source: NeedSource::Resident, ..need(Skill::Errands) },
        household: None,
        source_id: None,
        resident_id: Some(asker.id),
        contact: NeedContact { address: "5号楼".into(), ..NeedContact::default() },
    };
    s.create_need(NeedActor::Resident(asker.id), &own, now).await.unwrap();
    assert_eq!(s.needs_of_resident(asker.id, 10).await.unwrap().len(), 1);
    let open = s.needs(&grassroots_store::PlaceFilter::Within(vec![COMMUNITY.into()]), true, 10).await.unwrap();
    assert_eq!(open.len(), 1, "the confirmed need is no longer open");
}

async fn at_once_one_acceptance_passes_and_redemptions_never_pass_the_balance(db: TestDb) {
    let s = db.store.clone();
    setup(&*s).await;
    let now = Utc::now();
    let worker = account(&*s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let (r, helper) = person(&*s, "13800138001", "张志愿", vec![Skill::Companionship]).await;
    s.set_helper_state(&worker, helper.id, HelperState::Verified, None, now).await.unwrap();
    let id = a_visit_need(&*s, &worker, Skill::Companionship).await;
    s.move_need(NeedActor::Staff(&worker), id, NeedState::Open, &NeedStep::Offer { helper: helper.id }, now)
        .await
        .unwrap();
    let tasks = (0..10)
        .map(|_| {
            let s: Arc<dyn Store> = s.clone();
            tokio::spawn(async move {
                s.move_need(NeedActor::Helper(r.id), id, NeedState::Offered, &NeedStep::Accept, Utc::now()).await
            })
        })
        .collect();
    let accepted = futures_join(tasks).await;
    assert_eq!(accepted.iter().filter(|r| r.is_ok()).count(), 1, "{accepted:?}");
    assert_eq!(s.need(id).await.unwrap().unwrap().moves.len(), 2, "offer and one acceptance");

    // 150 minutes confirmed: 25 points; ten redemptions of 10 at once, two pass.
    let report = NeedStep::Report { minutes: 150, note: None, photos: vec![] };
    s.move_need(NeedActor::Helper(r.id), id, NeedState::Accepted, &report, now).await.unwrap();
    let confirm = NeedStep::Confirm { rating: 4, note: None };
    s.move_need(NeedActor::Staff(&worker), id, NeedState::Done, &confirm, now).await.unwrap();
    let tasks = (0..10)
        .map(|_| {
            let (s, actor): (Arc<dyn Store>, _) = (s.clone(), worker.clone());
            tokio::spawn(async move { s.redeem_points(&actor, helper.id, 10, "理发服务一次", Utc::now()).await })
        })
        .collect();
    let redeemed = futures_join(tasks).await;
    assert_eq!(redeemed.iter().filter(|r| r.is_ok()).count(), 2, "{redeemed:?}");
    assert!(redeemed
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, StoreError::Invalid(f) if f.field == "points") || matches!(e, StoreError::Contention)));
    let points = s.helper(helper.id).await.unwrap().unwrap().points;
    assert_eq!((points.earned, points.redeemed, points.balance()), (25, 20, 5));
    let ledger = s.points_entries(helper.id, 20).await.unwrap();
    assert_eq!(ledger.len(), 3);
    assert_eq!(ledger.iter().filter(|e| e.kind == PointsKind::Redeemed).map(|e| e.balance_after).min(), Some(5));
    let elsewhere = account(&*s, "other", Role::Supervisor, "region:110101002").await;
    assert!(matches!(s.redeem_points(&elsewhere, helper.id, 1, "x", now).await, Err(StoreError::NotFound)));
}

async fn units_and_party_members_commit_and_what_they_deliver_adds_up(db: TestDb) {
    let s = &*db.store;
    setup(s).await;
    let now = Utc::now();
    let worker = account(s, "wangge", Role::GridWorker, &format!("grid:{GRID}")).await;
    let member = resident(s, "13800138005").await;
    let registration = Registration::check(
        HelperKind::PartyMember,
        RegistrationForm {
            name: "林建华",
            region_code: COMMUNITY,
            skills: vec![Skill::Activities],
            availability: Availability::of(&[Weekday::Sat], &[DayPart::Morning]),
            affiliation: Some("东城区教育委员会"),
            ..RegistrationForm::default()
        },
    )
    .unwrap();
    let contact = HelperContact { name: "林建华".into(), ..HelperContact::default() };
    let helper = s.register_helper(Registrant::Resident(member.id), &registration, &contact, now).await.unwrap();
    assert_eq!(helper.affiliation.as_deref(), Some("东城区教育委员会"));
    let year = grassroots_domain::calendar::beijing_day(now).year();
    let pledge = Commitment::check(&year.to_string(), "社区志愿服务", "小时", "24", year).unwrap();
    let elsewhere = account(s, "other", Role::Supervisor, "region:110101002").await;
    assert!(matches!(s.commit_helper(&elsewhere, helper.id, &pledge, now).await, Err(StoreError::NotFound)));
    s.commit_helper(&worker, helper.id, &pledge, now).await.unwrap();
    let today = grassroots_domain::calendar::beijing_day(now);
    s.record_delivery(&worker, helper.id, 1, today, 6, Some("端午节活动"), now).await.unwrap();
    s.record_delivery(&worker, helper.id, 1, today, 8, None, now).await.unwrap();
    assert!(matches!(s.record_delivery(&worker, helper.id, 9, today, 1, None, now).await, Err(StoreError::NotFound)));
    let commitments = s.commitments(helper.id).await.unwrap();
    assert_eq!(commitments.len(), 1);
    assert_eq!(
        (commitments[0].delivered, commitments[0].commitment.target, commitments[0].deliveries.len()),
        (14, 24, 2)
    );
    assert_eq!(commitments[0].deliveries[0].note.as_deref(), Some("端午节活动"));
}

conformance!(
    units_and_party_members_commit_and_what_they_deliver_adds_up,
    registrations_are_verified_by_staff_of_the_place_and_only_the_verified_are_candidates,
    a_need_moves_from_open_to_confirmed_and_credits_the_helper_once,
    at_once_one_acceptance_passes_and_redemptions_never_pass_the_balance,
);
