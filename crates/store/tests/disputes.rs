//! 矛盾纠纷调处 on every backend: a dispute registered with its grade and the grade's reasons
//! logged, regraded with the change logged; mediators assigned only from its rosters; sessions,
//! an agreement, a broken one counted as a recurrence, a kept follow-up settling it; escalation
//! community → street → district, each level acting only at its own; a hand-over to the court;
//! a case converted once; parties sealed and their reveal audited; of ten moves at once one
//! passes; the tally of a period.

mod support;

use std::sync::Arc;

use chrono::{Duration, Utc};
use grassroots_domain::disputes::{
    grade, DisputeKind, DisputeLevel, DisputeOrigin, DisputeState, MediatorKind, PartySide, ReferredTo, RiskFactors,
    RiskGrade,
};
use grassroots_domain::{Actor, Role, Scope};
use grassroots_store::disputes::{DisputeParty, DisputeSelection, DisputeStep, NewDispute};
use grassroots_store::prelude::*;
use grassroots_store::{AuditFilter, PlaceFilter, StoreError};
use support::*;

const COMMUNITY: &str = "110101001001";

fn party(name: &str, side: PartySide, vulnerable: bool) -> DisputeParty {
    DisputeParty { name: name.into(), phone: Some("13912345678".into()), side, vulnerable }
}

fn new_dispute(factors: RiskFactors) -> NewDispute {
    let (grade, reasons) = grade(&factors);
    NewDispute {
        community_code: COMMUNITY.into(),
        grid_code: Some(GRID.into()),
        kind: DisputeKind::Neighbours,
        origin: DisputeOrigin::Screening,
        case_id: None,
        summary: "楼上漏水殃及楼下，双方多次争吵".into(),
        place: "和平里3号楼".into(),
        parties: vec![party("王建国", PartySide::Applicant, false), party("李秀兰", PartySide::Respondent, true)],
        factors,
        grade,
        reasons,
    }
}

fn day(days_ago: i64) -> chrono::NaiveDate {
    grassroots_domain::calendar::beijing_day(Utc::now()) - Duration::days(days_ago)
}

struct Levels {
    worker: Actor,
    street: Actor,
    district: Actor,
}

fn levels() -> Levels {
    Levels {
        worker: staff(Role::GridWorker, Scope::parse(&format!("grid:{GRID}")).unwrap()),
        street: staff(Role::Supervisor, Scope::parse("region:110101001").unwrap()),
        district: staff(Role::Supervisor, Scope::parse("region:110101").unwrap()),
    }
}

async fn a_dispute_is_graded_mediated_agreed_and_settled_once_the_agreement_is_kept(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    let Levels { worker, street, .. } = levels();
    let elsewhere = staff(Role::GridWorker, Scope::parse("grid:110101002001001").unwrap());
    let vulnerable = RiskFactors { parties: 2, earlier_reports: 1, vulnerable_party: true, ..RiskFactors::default() };
    assert!(matches!(s.create_dispute(&elsewhere, &new_dispute(vulnerable), now).await, Err(StoreError::NotFound)));
    let d = s.create_dispute(&worker, &new_dispute(vulnerable), now).await.unwrap();
    assert_eq!((d.grade, d.state, d.level), (RiskGrade::Orange, DisputeState::Registered, DisputeLevel::Community));
    assert_eq!(d.grades.len(), 1);
    assert_eq!(d.grades[0].reasons.len(), 2, "reported before, and a vulnerable party: {:?}", d.grades[0].reasons);
    assert_eq!(d.parties[1].name_masked, "李**", "parties shown masked");
    assert!(d.parties[1].vulnerable);

    // The rosters: the community's and the street's, not another street's.
    let own = s.add_mediator(&worker, COMMUNITY, MediatorKind::PeoplesMediator, "赵调解", now).await.unwrap();
    let lawyer = s.add_mediator(&street, "110101001", MediatorKind::LegalAdviser, "钱律师", now).await.unwrap();
    let other = staff(Role::Supervisor, Scope::parse("region:110101002").unwrap());
    let far = s.add_mediator(&other, "110101002", MediatorKind::Elder, "孙乡贤", now).await.unwrap();
    assert!(matches!(
        s.add_mediator(&worker, "110101002", MediatorKind::Elder, "周某", now).await,
        Err(StoreError::NotFound)
    ));
    let roster: Vec<_> = s.mediators_for(COMMUNITY).await.unwrap().into_iter().map(|m| m.id).collect();
    assert_eq!(roster, vec![own.id, lawyer.id], "the community's first, then the street's");
    let wrong = DisputeStep::Assign { mediators: vec![far.id] };
    let refused = s.move_dispute(&worker, d.id, (DisputeState::Registered, DisputeLevel::Community), &wrong, now).await;
    assert!(matches!(refused, Err(StoreError::Invalid(e)) if e.field == "mediators"));
    assert_eq!(s.dispute(d.id).await.unwrap().unwrap().state, DisputeState::Registered, "nothing written");

    let at = (DisputeState::Registered, DisputeLevel::Community);
    let assign = DisputeStep::Assign { mediators: vec![own.id, lawyer.id] };
    let d = s.move_dispute(&worker, d.id, at, &assign, now).await.unwrap();
    assert_eq!((d.state, d.mediators.len()), (DisputeState::Mediating, 2));
    let mediating = (DisputeState::Mediating, DisputeLevel::Community);
    let session = DisputeStep::Session {
        on: day(0), present: vec![0, 1], note: "双方到场，同意先查明漏水原因".into()
    };
    s.move_dispute(&worker, d.id, mediating, &session, now).await.unwrap();
    let agree =
        DisputeStep::Agree {
            on: day(0), terms: "楼上负责维修防水层，赔偿楼下2000元".into(), follow_up_on: day(-14)
        };
    let d = s.move_dispute(&worker, d.id, mediating, &agree, now).await.unwrap();
    assert_eq!((d.state, d.follow_up_on), (DisputeState::Agreed, Some(day(-14))));
    assert!(d.agreed_at.is_some());
    let due =
        s.disputes(&PlaceFilter::Within(vec![COMMUNITY.into()]), DisputeSelection::FollowingUp, 10).await.unwrap();
    assert_eq!(due.iter().map(|d| d.id).collect::<Vec<_>>(), vec![d.id], "in the queue of follow-ups");

    // Broken: back to mediation, counted; agreed again; kept: settled.
    let broken = DisputeStep::FollowUp { on: day(0), kept: false, note: Some("楼上未按期维修".into()) };
    let d = s.move_dispute(&worker, d.id, (DisputeState::Agreed, DisputeLevel::Community), &broken, now).await.unwrap();
    assert_eq!((d.state, d.recurrences, d.follow_up_on), (DisputeState::Mediating, 1, None));
    s.move_dispute(&worker, d.id, mediating, &agree, now).await.unwrap();
    let kept = DisputeStep::FollowUp { on: day(0), kept: true, note: None };
    let d = s.move_dispute(&worker, d.id, (DisputeState::Agreed, DisputeLevel::Community), &kept, now).await.unwrap();
    assert_eq!((d.state, d.follow_up_on), (DisputeState::Settled, None), "nothing left to follow up");
    assert!(d.ended_at.is_some());
    let kinds: Vec<&str> = d.moves.iter().map(|m| m.kind.as_str()).collect();
    assert_eq!(kinds, ["assign", "session", "agree", "follow_up", "agree", "follow_up"]);
    assert_eq!(d.moves[1].present, vec![0, 1]);
    assert_eq!(d.moves[2].terms.as_deref(), Some("楼上负责维修防水层，赔偿楼下2000元"));
    assert_eq!(d.moves[3].kept, Some(false));

    // A move from a state it has left writes nothing.
    let late = s.move_dispute(&worker, d.id, mediating, &session, now).await;
    assert!(matches!(late, Err(StoreError::Invalid(e)) if e.field == "move"));
    assert_eq!(s.dispute(d.id).await.unwrap().unwrap().moves.len(), 6);

    // The parties open sealed, for staff of the place, audited with the reason.
    assert!(matches!(s.reveal_dispute_parties(&elsewhere, d.id, "核实", now).await, Err(StoreError::NotFound)));
    let parties = s.reveal_dispute_parties(&worker, d.id, "回访需要联系当事人", now).await.unwrap();
    assert_eq!(parties[1].name, "李秀兰");
    let filter = AuditFilter {
        subject_id: Some(d.id),
        action: Some("dispute_parties_revealed".into()),
        limit: 10,
        ..AuditFilter::default()
    };
    let logged = s.audit_log(&filter).await.unwrap();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].detail["reason"], "回访需要联系当事人");
}

async fn a_dispute_is_escalated_level_by_level_and_each_acts_only_at_its_own(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    let Levels { worker, street, district } = levels();
    let d = s
        .create_dispute(&worker, &new_dispute(RiskFactors { parties: 2, ..RiskFactors::default() }), now)
        .await
        .unwrap();
    assert_eq!(d.grade, RiskGrade::Blue);
    let at_community = (DisputeState::Registered, DisputeLevel::Community);
    let up = DisputeStep::Escalate { note: "社区调解未果".into() };
    let d = s.move_dispute(&worker, d.id, at_community, &up, now).await.unwrap();
    assert_eq!((d.state, d.level), (DisputeState::Registered, DisputeLevel::Street));
    // The grid worker no longer acts; the street does.
    let at_street = (DisputeState::Registered, DisputeLevel::Street);
    assert!(matches!(s.move_dispute(&worker, d.id, at_street, &up, now).await, Err(StoreError::NotFound)));
    let d = s.move_dispute(&street, d.id, at_street, &up, now).await.unwrap();
    assert_eq!(d.level, DisputeLevel::District);
    let at_district = (DisputeState::Registered, DisputeLevel::District);
    assert!(matches!(s.move_dispute(&street, d.id, at_district, &up, now).await, Err(StoreError::NotFound)));
    let again = s.move_dispute(&district, d.id, at_district, &up, now).await;
    assert!(matches!(again, Err(StoreError::Invalid(e)) if e.field == "move"), "nothing above the district");
    let refer = DisputeStep::Refer { to: ReferredTo::Court, note: "当事人同意诉调对接".into() };
    let d = s.move_dispute(&district, d.id, at_district, &refer, now).await.unwrap();
    assert_eq!((d.state, d.referred_to), (DisputeState::Referred, Some(ReferredTo::Court)));
    let levels: Vec<DisputeLevel> = d.moves.iter().map(|m| m.level_after).collect();
    assert_eq!(levels, [DisputeLevel::Street, DisputeLevel::District, DisputeLevel::District]);

    // Regraded on a new threat: the change logged with its reasons and note.
    let other = s
        .create_dispute(&worker, &new_dispute(RiskFactors { parties: 2, ..RiskFactors::default() }), now)
        .await
        .unwrap();
    let threat = RiskFactors { parties: 2, threat_of_violence: true, ..RiskFactors::default() };
    let (g, reasons) = grade(&threat);
    let regraded = s.regrade_dispute(&worker, other.id, &threat, g, &reasons, "被申请人扬言报复", now).await.unwrap();
    assert_eq!(regraded.grade, RiskGrade::Red);
    assert_eq!(regraded.grades.len(), 2);
    assert_eq!(regraded.grades[1].note.as_deref(), Some("被申请人扬言报复"));
    assert!(regraded.factors.threat_of_violence);

    // The high-risk queue holds the open red one only.
    let places = PlaceFilter::Within(vec!["110101".into()]);
    let high = s.disputes(&places, DisputeSelection::HighRisk, 10).await.unwrap();
    assert_eq!(high.iter().map(|d| d.id).collect::<Vec<_>>(), vec![other.id]);
    assert_eq!(s.disputes(&places, DisputeSelection::All, 10).await.unwrap().len(), 2);

    let tally = s.dispute_tally(&places, now - Duration::days(1), now + Duration::days(1)).await.unwrap();
    assert_eq!((tally.open, tally.high_risk_open, tally.referred, tally.agreed), (1, 1, 1, 0));
    assert_eq!(tally.by_kind_and_grade.iter().map(|c| c.count).sum::<i64>(), 2);
    let before = s.dispute_tally(&places, now - Duration::days(3), now - Duration::days(1)).await.unwrap();
    assert_eq!(before.open, 0, "registered outside the period");
}

async fn a_case_is_converted_once_and_of_ten_moves_at_once_one_passes(db: TestDb) {
    let s = db.store.clone();
    let world = Fixture::new(&*s).await;
    let now = Utc::now();
    let Levels { worker, .. } = levels();
    let case = world.report(&*s, "邻居长期占用楼道堆放杂物，协商无果", Some("13800138000")).await;
    let converted =
        NewDispute { origin: DisputeOrigin::Case, case_id: Some(case.id), ..new_dispute(RiskFactors::default()) };
    let d = s.create_dispute(&worker, &converted, now).await.unwrap();
    assert_eq!(s.dispute_of_case(case.id).await.unwrap(), Some(d.id));
    let twice = s.create_dispute(&worker, &converted, now).await;
    assert!(matches!(twice, Err(StoreError::Invalid(e)) if e.field == "case"));

    let mediator = s.add_mediator(&worker, COMMUNITY, MediatorKind::GridWorker, "吴网格", now).await.unwrap();
    let tasks = (0..10)
        .map(|_| {
            let (s, actor): (Arc<dyn Store>, _) = (s.clone(), worker.clone());
            tokio::spawn(async move {
                let assign = DisputeStep::Assign { mediators: vec![mediator.id] };
                s.move_dispute(&actor, d.id, (DisputeState::Registered, DisputeLevel::Community), &assign, Utc::now())
                    .await
            })
        })
        .collect();
    let moved = futures_join(tasks).await;
    assert_eq!(moved.iter().filter(|r| r.is_ok()).count(), 1, "{moved:?}");
    assert!(moved
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, StoreError::Invalid(f) if f.field == "move") || matches!(e, StoreError::Contention)));
    assert_eq!(s.dispute(d.id).await.unwrap().unwrap().moves.len(), 1);

    // Other systems receive each change, in order, without the parties.
    s.fan_out(true, 1_000, Utc::now()).await.unwrap();
    let mut sent = Vec::new();
    loop {
        let due = s.due_deliveries("nats", Utc::now(), 1_000).await.unwrap();
        let Some(next) = due.into_iter().find(|delivery| delivery.aggregate_id == d.id) else { break };
        let delivered = grassroots_store::AttemptOutcome::Delivered { status: None };
        s.record_attempt(&next, &delivered, 1, Utc::now()).await.unwrap();
        sent.push(next);
    }
    let topics: Vec<&str> = sent.iter().map(|delivery| delivery.topic.as_str()).collect();
    assert_eq!(topics, ["dispute.registered", "dispute.assign"]);
    assert_eq!(sent.iter().map(|delivery| delivery.seq).collect::<Vec<_>>(), [1, 2]);
    assert!(sent.iter().all(|delivery| !delivery.payload.contains("王建国") && delivery.payload.contains("\"grade\"")));
}

conformance!(
    a_dispute_is_graded_mediated_agreed_and_settled_once_the_agreement_is_kept,
    a_dispute_is_escalated_level_by_level_and_each_acts_only_at_its_own,
    a_case_is_converted_once_and_of_ten_moves_at_once_one_passes,
);
