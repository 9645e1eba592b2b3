//! Rotation of the data key on every backend: every sealed value (reporters, the originals of
//! masked free text, webhook secrets, neighbours' and staff's phones, query codes kept with
//! idempotency keys, people in care, helpers, needs' addresses, applicants, disputes' parties, party members and in-service members registered) is sealed again under the new key in batches, the old
//! key can then go, and query codes and phone tags still match; the processes' key reports
//! lapse and are withdrawn.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::care::Member;
use grassroots_domain::disputes::{DisputeKind, DisputeOrigin, PartySide, RiskFactors};
use grassroots_domain::helpers::{Availability, DayPart, HelperKind, Registration, RegistrationForm, Skill};
use grassroots_domain::needs::{Need, NeedSource, Urgency};
use grassroots_domain::oversight::MisconductKind;
use grassroots_domain::party::{MemberRole, OrgKind};
use grassroots_domain::services::builtin_catalogue;
use grassroots_domain::{Role, Scope};
use grassroots_store::crypto::{DataKey, KeyId};
use grassroots_store::disputes::{DisputeParty, NewDispute};
use grassroots_store::helpers::{HelperContact, Registrant};
use grassroots_store::keys::{ResealCursor, RotationRecord};
use grassroots_store::messages::Recipient;
use grassroots_store::needs::{NeedActor, NeedContact, NewNeed};
use grassroots_store::oversight::{MisconductAccount, NewMisconduct};
use grassroots_store::party::{NewMember, NewOrg, NewPartyRegistration, SealedPerson};
use grassroots_store::prelude::*;
use grassroots_store::services::{ApplicantData, NewApplication};
use grassroots_store::support::NewSupporter;
use grassroots_store::{NewUser, ResidentPass};
use support::*;

/// Runs re-sealing passes of `batch` rows to the end; (values read, re-sealed, batches).
async fn reseal_pass(s: &dyn Store, batch: i64) -> (usize, usize, usize) {
    let (mut examined, mut resealed, mut batches) = (0, 0, 0);
    let mut cursor = Some(ResealCursor::start());
    while let Some(from) = cursor {
        let done = s.reseal(&from, batch).await.unwrap();
        examined += done.examined;
        resealed += done.resealed;
        batches += 1;
        cursor = done.next;
    }
    (examined, resealed, batches)
}

async fn every_sealed_value_is_sealed_again_under_a_rotated_key(db: TestDb) {
    let s = &*db.store;
    let world = Fixture::new(s).await;
    let mut cases = Vec::new();
    for i in 0..7 {
        let phone = format!("1381234{i:04}");
        // The description holds a phone number: its original is sealed apart.
        cases.push((world.report(s, &format!("路灯不亮，请回电{phone}"), Some(&phone)).await, phone));
    }
    let anonymous = world.report(s, "井盖松动", None).await;
    let hook = s
        .create_webhook("区平台", "https://example.org/hook", &[], "hook-secret-0123456789", Utc::now())
        .await
        .unwrap();
    let erased = &cases[6].0;
    // A neighbour joined the first case (附议), leaving a phone to be texted at.
    let joining = NewSupporter { phone: Some("13900009999".into()), notify: true };
    s.join_case(&cases[0].0.tracking_no, &joining, Utc::now()).await.unwrap();
    // A dispatcher keeps a mobile for warnings on duty.
    let on_duty = s
        .upsert_user(&NewUser {
            username: "duty".into(),
            display_name: "值班员".into(),
            password_hash: "x".into(),
            role: Role::Dispatcher,
            scope: Scope::parse("region:110101001").unwrap(),
        })
        .await
        .unwrap();
    s.set_user_phone("duty", Some("13700007777")).await.unwrap();
    // A report sent with an idempotency key keeps its query code, sealed, with the key.
    let key = grassroots_store::IntakeKey {
        client: "resident".into(),
        key: "0b8e2f61-5c1d-4e7a-9a3b-6d4c2f1e0a97".into(),
        fingerprint: "digest".into(),
    };
    let keyed_new = grassroots_store::NewCase { key: Some(key), ..world.new_case("噪音", None, Utc::now()) };
    let keyed = s.create_case(keyed_new, &grassroots_domain::Actor::Resident).await.unwrap();
    // A grid worker keeps the name, phone and note of an elderly person in care.
    s.replace_grids(&["110101001001".into()], &[grid(GRID, 116.40)]).await.unwrap();
    let wangge = staff(Role::GridWorker, Scope::Grids { codes: vec![GRID.into()] });
    let person = Member::check("王秀英", Some("13912340000"), None, Some("独居"), 2026).unwrap();
    let in_care = s.add_care_member(&wangge, GRID, "3号楼101", &person, Utc::now()).await.unwrap();
    // An organisation's contact, and the address of a need, are sealed.
    let org = Registration::check(
        HelperKind::Organisation,
        RegistrationForm {
            name: "东城区阳光社工事务所",
            region_code: "110101001001",
            skills: vec![Skill::Counselling],
            availability: Availability::of(&[chrono::Weekday::Mon], &[DayPart::Morning]),
            credit_code: Some("52110101MJ0000001R"),
            ..RegistrationForm::default()
        },
    )
    .unwrap();
    let contact =
        HelperContact { name: org.name.clone(), contact: Some("刘主任".into()), phone: Some("13800138009".into()) };
    let sunshine = s.register_helper(Registrant::Staff(&wangge), &org, &contact, Utc::now()).await.unwrap();
    let need = NewNeed {
        need: Need {
            source: NeedSource::Visit,
            skill: Skill::Meals,
            what: "每天送午餐".into(),
            community_code: "110101001001".into(),
            on: grassroots_domain::calendar::beijing_day(Utc::now()),
            part: DayPart::Morning,
            urgency: Urgency::Soon,
        },
        household: None,
        source_id: None,
        resident_id: None,
        contact: NeedContact { address: "3号楼101".into(), name: Some("王秀英".into()), phone: None },
    };
    let needed = s.create_need(NeedActor::Staff(&wangge), &need, Utc::now()).await.unwrap();
    // So is the name and phone of someone applying for a service.
    s.upsert_service_items(&builtin_catalogue(), Utc::now()).await.unwrap();
    let applicant = ApplicantData { name: "陈桂芝".into(), phone: Some("13912345678".into()) };
    let applied = NewApplication {
        street_code: "110101001".into(),
        item_code: "JD-001".into(),
        resident_id: uuid::Uuid::now_v7(),
        applicant: applicant.clone(),
        note: None,
        files: Vec::new(),
        due_at: Utc::now(),
    };
    let application = s.submit_application(&applied, Utc::now()).await.unwrap();
    // And the parties of a dispute.
    let factors = RiskFactors { parties: 2, ..RiskFactors::default() };
    let (grade, reasons) = grassroots_domain::disputes::grade(&factors);
    let parties =
        vec![DisputeParty { name: "刘大妈".into(), phone: None, side: PartySide::Applicant, vulnerable: true }];
    let dispute = NewDispute {
        community_code: "110101001001".into(),
        grid_code: None,
        kind: DisputeKind::Family,
        origin: DisputeOrigin::WalkIn,
        case_id: None,
        summary: "赡养费纠纷".into(),
        place: "社区居委会".into(),
        parties: parties.clone(),
        factors,
        grade,
        reasons,
    };
    let disputed = s.create_dispute(&wangge, &dispute, Utc::now()).await.unwrap();
    // And a party member and an in-service member registered with the community.
    let branch = NewOrg {
        kind: OrgKind::Branch,
        name: "网格党支部".into(),
        parent_id: None,
        place_code: "110101001001".into(),
        building: None,
    };
    let branch = s.create_party_org(&world.supervisor(), &branch, Utc::now()).await.unwrap();
    let person = SealedPerson { name: "高书记".into(), phone: Some("13611112222".into()) };
    let enrolled = NewMember {
        org_id: branch.id,
        community_code: "110101001001".into(),
        grid_code: None,
        role: MemberRole::Secretary,
        person: person.clone(),
    };
    let member = s.add_party_member(&world.supervisor(), &enrolled, Utc::now()).await.unwrap();
    let registration = NewPartyRegistration {
        community_code: "110101001001".into(),
        grid_code: None,
        home_org: "区教委机关党支部".into(),
        person: person.clone(),
        registered_on: chrono::NaiveDate::from_ymd_opt(2026, 1, 5).unwrap(),
    };
    s.register_in_service(&world.supervisor(), &registration, Utc::now()).await.unwrap();
    // And a report of misconduct.
    let account = MisconductAccount {
        reported: "社区某工作人员".into(),
        what: "索要好处费".into(),
        reporter_name: None,
        reporter_phone: Some("13900002222".into()),
    };
    let reported = NewMisconduct {
        place_code: "110101001001".into(),
        kind: MisconductKind::Bribery,
        unit_id: "discipline-110101001".into(),
        account: account.clone(),
        accept_due: Utc::now(),
    };
    s.receive_misconduct(&reported, Utc::now()).await.unwrap();
    let tags_before = s.cases_of_phone(&cases[0].1).await.unwrap();
    assert_eq!(tags_before, vec![cases[0].0.id]);

    // Nothing to do while one key seals: every value is under it already.
    let (examined, resealed, _) = reseal_pass(s, 3).await;
    assert_eq!(
        (examined, resealed),
        (7 * 2 + 7 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1, 0),
        "names, phones, texts, the secret, the neighbour, the dispatcher, the kept query code, the person in care, \
         the organisation, the need, the applicant, the dispute's parties, the party member, the registration, the report of misconduct"
    );

    let staged = db.keys.stage(DataKey::generate());
    assert!(s.install_keys(&staged).unwrap());
    assert_eq!(reseal_pass(s, 3).await.1, 0, "a staged key only opens");
    let switched = staged.switch();
    s.install_keys(&switched).unwrap();
    assert_eq!(s.key_holding().sealing, switched.sealing_id());
    // A resident's erasure before the pass: nothing left of theirs to re-seal.
    s.erase_at_request(&world.supervisor(), erased.id, "电话核实身份", Utc::now()).await.unwrap();

    let (examined, resealed, batches) = reseal_pass(s, 3).await;
    assert_eq!(resealed, examined, "every value left was under the old key");
    assert_eq!(resealed, 6 * 2 + 6 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1);
    assert_eq!(
        batches,
        3 + 3 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1 + 1,
        "six cases and six texts in batches of three (the last one empty), one webhook, one neighbour, one dispatcher, \
         one kept key, one person in care, one organisation, one need, one applicant, one dispute, one member, one \
         registration, one report"
    );
    assert_eq!(reseal_pass(s, 500).await.1, 0, "a second pass finds nothing");

    // The old key gone, everything still opens.
    s.install_keys(&switched.retire()).unwrap();
    assert_eq!(s.key_holding().opening, vec![switched.sealing_id()]);
    for (case, phone) in &cases[..6] {
        let revealed = s.reveal(&world.supervisor(), case.id, "回访", Utc::now()).await.unwrap();
        assert_eq!(revealed.phone.as_deref(), Some(phone.as_str()));
        assert_eq!(revealed.name.as_deref(), Some("张三"));
        assert!(revealed.texts.iter().any(|t| t.text.contains(phone.as_str())), "{:?}", revealed.texts);
        // Query codes and phone tags were keyed before the rotation and still match.
        assert!(s.track(&ResidentPass::code(&case.tracking_no, &case.query_code)).await.unwrap().is_some());
    }
    assert_eq!(s.cases_of_phone(&cases[0].1).await.unwrap(), tags_before);
    assert!(s.track(&ResidentPass::code(&anonymous.tracking_no, &anonymous.query_code)).await.unwrap().is_some());
    assert_eq!(s.webhook_secret(hook.id).await.unwrap().as_deref(), Some("hook-secret-0123456789"));
    let opened = s.reveal_care_member(&wangge, in_care.id, "回访", Utc::now()).await.unwrap();
    assert_eq!(opened.phone.as_deref(), Some("13912340000"), "the person in care opens under the new key");
    assert_eq!(s.helper_contact(sunshine.id).await.unwrap(), contact, "the organisation opens under the new key");
    assert_eq!(s.need_contact(needed.id).await.unwrap(), need.contact, "the need opens under the new key");
    assert_eq!(s.applicant(application.id).await.unwrap(), applicant, "the applicant opens under the new key");
    let opened = s.reveal_dispute_parties(&wangge, disputed.id, "回访", Utc::now()).await.unwrap();
    assert_eq!(opened, parties, "the dispute's parties open under the new key");
    let opened = s.reveal_party_member(&world.supervisor(), member.id, "组织关系核对", Utc::now()).await.unwrap();
    assert_eq!(opened, person, "the party member opens under the new key");
    let discipline = grassroots_domain::Actor::Staff {
        user_id: uuid::Uuid::now_v7(),
        username: "jigongwei".into(),
        role: Role::Handler,
        scope: Scope::parse("unit:discipline-110101001").unwrap(),
    };
    let report = s.misconduct_reports("discipline-110101001", 1).await.unwrap().remove(0);
    let read = s.open_misconduct(&discipline, report.id, Utc::now()).await.unwrap();
    assert_eq!(read, account, "the report of misconduct opens under the new key");
    let kept = s.keyed_case("resident", "0b8e2f61-5c1d-4e7a-9a3b-6d4c2f1e0a97").await.unwrap().unwrap();
    assert_eq!(kept.created.query_code, keyed.query_code, "the kept query code opens under the new key");
    world.dispatch_to(s, cases[0].0.id, UNIT_A, &[]).await;
    let due = s.due_messages(Utc::now() + chrono::Duration::seconds(1), 10).await.unwrap();
    let to_neighbour: Vec<_> =
        due.iter().filter(|m| m.recipient == Recipient::Supporter).map(|m| m.phone.as_deref()).collect();
    assert_eq!(to_neighbour, [Some("13900009999")], "the neighbour's phone opens under the new key");
    s.raise_warning(&danger_about(cases[1].0.id, vec![on_duty.id])).await.unwrap();
    let due = s.due_messages(Utc::now() + chrono::Duration::seconds(1), 10).await.unwrap();
    let to_staff: Vec<_> = due.iter().filter(|m| m.recipient == Recipient::Staff).map(|m| m.phone.as_deref()).collect();
    assert_eq!(to_staff, [Some("13700007777")], "the dispatcher's phone opens under the new key");
    // New values are sealed under the new key.
    let late = world.report(s, "噪音扰民", Some("13900001111")).await;
    assert_eq!(
        s.reveal(&world.supervisor(), late.id, "回访", Utc::now()).await.unwrap().phone.as_deref(),
        Some("13900001111")
    );
    let detail = s.case_detail(&Scope::All, late.id).await.unwrap().unwrap();
    assert!(detail.reporter.phone.is_some_and(|p| !p.contains("0000111")), "masked in the row");

    // A store that never held the new key cannot open what was re-sealed.
    s.install_keys(&db.keys).unwrap();
    assert!(s.reveal(&world.supervisor(), cases[0].0.id, "回访", Utc::now()).await.is_err());
    assert!(s.reseal(&ResealCursor::start(), 500).await.is_err(), "a value no key opens is an error, not skipped");
}

async fn key_reports_lapse_and_are_withdrawn(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    s.report_keys("web-1", now, now + Duration::seconds(30)).await.unwrap();
    s.report_keys("web-2", now, now + Duration::seconds(30)).await.unwrap();
    s.report_keys("dead", now - Duration::minutes(5), now - Duration::minutes(4)).await.unwrap();
    let holders = s.key_holders(now).await.unwrap();
    assert_eq!(holders.iter().map(|h| h.instance.as_str()).collect::<Vec<_>>(), ["web-1", "web-2"]);
    assert_eq!(holders[0].holding, s.key_holding());
    assert_eq!(holders[0].holding.opening, vec![db.keys.sealing_id()]);

    // A report again replaces the last one.
    let staged = db.keys.stage(DataKey::generate());
    s.install_keys(&staged).unwrap();
    s.report_keys("web-1", now, now + Duration::seconds(30)).await.unwrap();
    let holders = s.key_holders(now).await.unwrap();
    assert_eq!(holders[0].holding.opening, staged.opening_ids());
    assert_eq!(holders[0].holding.opening.len(), 2);

    s.forget_key_holder("web-2").await.unwrap();
    assert_eq!(s.key_holders(now).await.unwrap().len(), 1);
    assert!(s.key_holders(now + Duration::minutes(1)).await.unwrap().is_empty(), "reports lapse");

    let step = RotationRecord::Retired { retired: KeyId("0badc0de".into()), resealed: 3 };
    s.record_key_rotation(&step, now).await.unwrap();
    let audit = s.recent_audit(5).await.unwrap();
    let entry = audit.iter().find(|a| a.action == "key_rotation").expect("the step is audited");
    assert_eq!(entry.detail["step"], "retired");
    assert_eq!(entry.detail["retired"], "0badc0de");
}

conformance!(every_sealed_value_is_sealed_again_under_a_rotated_key, key_reports_lapse_and_are_withdrawn);
