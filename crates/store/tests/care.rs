//! 关爱服务 on every backend: a member's flags rest on consent, one of a kind at a time; each
//! visit to the household moves every flag's next visit on, so the queue holds the visits due
//! and missed and the grids' counts follow; everything is read within the actor's own grids
//! or regions; the reveal is audited with its reason, and withdrawn consent ends every flag
//! and erases what was sealed; so does a year out of care, or a month recorded without consent.

mod support;

use chrono::{Duration, NaiveDate, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::care::{check_plan, CareEnd, CareFlag, CarePlan, Consent, ConsentBy, ConsentForm, Member};
use grassroots_domain::{Actor, RegionCode, Role, Scope};
use grassroots_store::prelude::*;
use grassroots_store::{AuditFilter, HouseholdRef, NewUser, NewVisit, StoreError};
use support::*;

const OTHER_GRID: &str = "110101001001002";

async fn worker(s: &dyn Store, username: &str, grid: &str) -> Actor {
    let account = s
        .upsert_user(&NewUser {
            username: username.into(),
            display_name: format!("{username}网格员"),
            password_hash: "x".into(),
            role: Role::GridWorker,
            scope: Scope::Grids { codes: vec![grid.into()] },
        })
        .await
        .unwrap();
    Actor::Staff { user_id: account.id, username: account.username, role: account.role, scope: account.scope }
}

fn plan(flag: CareFlag, today: NaiveDate) -> CarePlan {
    let consent = Consent {
        by: if flag == CareFlag::LeftBehindChild { ConsentBy::Guardian } else { ConsentBy::Person },
        form: ConsentForm::Signed,
        given_on: today,
        reference: "同意书2026-001".into(),
    };
    check_plan(flag, None, consent, today).unwrap()
}

fn person(name: &str) -> Member {
    Member::check(name, Some("13912345678"), Some(1941), Some("腿脚不便，女儿在外地"), 2026).unwrap()
}

async fn world(s: &dyn Store) -> (Actor, NaiveDate) {
    Fixture::new(s).await;
    s.replace_grids(&["110101001001".into()], &[grid(GRID, 116.40), grid(OTHER_GRID, 116.41)]).await.unwrap();
    (worker(s, "wangge", GRID).await, beijing_day(Utc::now()))
}

async fn visits_move_each_flag_on_and_the_queue_follows(db: TestDb) {
    let s = &*db.store;
    let (wangge, today) = world(s).await;
    let now = Utc::now();
    let member = s.add_care_member(&wangge, GRID, "3号楼2单元401", &person("王秀英"), now).await.unwrap();
    assert_eq!((member.name_masked.as_str(), member.birth_year), ("王**", Some(1941)));
    assert!(member.flags.is_empty(), "nothing is flagged before consent");
    assert_eq!(s.households(GRID).await.unwrap().len(), 1, "the household is added to the grid");

    // Flagged ten days ago as living alone: the weekly visit was due three days ago.
    let flagged = s
        .flag_care(&wangge, member.id, &plan(CareFlag::ElderlyAlone, today), today - Duration::days(10), now)
        .await
        .unwrap();
    let f = &flagged.flags[0];
    assert_eq!((f.flag, f.visit_every_days, f.next_visit_on), (CareFlag::ElderlyAlone, 7, today - Duration::days(3)));
    assert_eq!(f.consent.reference, "同意书2026-001");
    let again = s.flag_care(&wangge, member.id, &plan(CareFlag::ElderlyAlone, today), today, now).await;
    assert!(matches!(again, Err(StoreError::Invalid(e)) if e.field == "flag"), "one active flag of a kind");
    s.flag_care(&wangge, member.id, &plan(CareFlag::Dibao, today), today, now).await.unwrap();

    // A second person, in time: flagged today, due in fourteen days.
    let child = s.add_care_member(&wangge, GRID, "5号楼101", &person("李小明"), now).await.unwrap();
    s.flag_care(&wangge, child.id, &plan(CareFlag::LeftBehindChild, today), today, now).await.unwrap();

    let scope = Scope::Grids { codes: vec![GRID.into()] };
    let due = s.care_due(&scope, None, today, 100).await.unwrap();
    assert_eq!(due.len(), 1, "the missed visit, once for its person");
    assert_eq!((due[0].member_id, due[0].next_visit_on), (member.id, today - Duration::days(3)));
    assert_eq!(due[0].flags, [CareFlag::ElderlyAlone], "only the flags due by the day");
    let all = s.care_due(&scope, None, today + Duration::days(30), 100).await.unwrap();
    assert_eq!(all.iter().map(|d| d.member_id).collect::<Vec<_>>(), [member.id, child.id], "longest overdue first");
    assert_eq!(all[0].flags.len(), 2, "both of the first person's flags fall due within the month");
    let grids = s.grid_care(&scope, None, today).await.unwrap();
    assert_eq!((grids.len(), grids[0].members, grids[0].missed), (1, 2, 1));

    // A visit to the household moves both its flags on, not the other household's.
    let visit = NewVisit {
        grid_code: GRID.into(),
        household: HouseholdRef::Id(member.household_id),
        visited_on: today,
        topic: "独居老人探访".into(),
        follow_up: None,
        case_id: None,
    };
    s.record_visit(&wangge, &visit, now).await.unwrap();
    let visited = s.care_member(&scope, member.id).await.unwrap();
    for f in &visited.flags {
        assert_eq!(f.last_visited_on, Some(today), "{:?}", f.flag);
        assert_eq!(f.next_visit_on, today + Duration::days(i64::from(f.visit_every_days)), "{:?}", f.flag);
    }
    assert!(s.care_due(&scope, None, today, 100).await.unwrap().is_empty());
    assert_eq!(s.grid_care(&scope, None, today).await.unwrap()[0].missed, 0);
    // An earlier visit recorded late does not move a flag back.
    let late = NewVisit { visited_on: today - Duration::days(5), ..visit };
    s.record_visit(&wangge, &late, now).await.unwrap();
    let after = s.care_member(&scope, member.id).await.unwrap();
    assert!(after.flags.iter().all(|f| f.last_visited_on == Some(today)));
    assert_eq!(s.care_member(&scope, child.id).await.unwrap().flags[0].last_visited_on, None);

    // A flag ended for a reason leaves the others; ending one the person lacks is refused.
    let ended = s.end_care(&wangge, member.id, Some(CareFlag::Dibao), CareEnd::NoLongerApplies, now).await.unwrap();
    let dibao = ended.flags.iter().find(|f| f.flag == CareFlag::Dibao).unwrap();
    assert_eq!(dibao.end_reason, Some(CareEnd::NoLongerApplies));
    assert_eq!(ended.flags[0].flag, CareFlag::ElderlyAlone, "active flags first");
    let lacking = s.end_care(&wangge, member.id, Some(CareFlag::Disabled), CareEnd::MovedOut, now).await;
    assert!(matches!(lacking, Err(StoreError::Invalid(e)) if e.field == "flag"));
    let audited = |action: &str| AuditFilter { action: Some(action.into()), limit: 50, ..Default::default() };
    assert_eq!(s.audit_log(&audited("care_member_added")).await.unwrap().len(), 2);
    assert_eq!(s.audit_log(&audited("care_flagged")).await.unwrap().len(), 3);
    assert_eq!(s.audit_log(&audited("care_ended")).await.unwrap().len(), 1);
}

async fn care_is_seen_only_within_ones_own_grids_and_regions(db: TestDb) {
    let s = &*db.store;
    let (wangge, today) = world(s).await;
    let now = Utc::now();
    let member = s.add_care_member(&wangge, GRID, "3号楼2单元401", &person("王秀英"), now).await.unwrap();
    s.flag_care(&wangge, member.id, &plan(CareFlag::Disabled, today), today - Duration::days(40), now).await.unwrap();

    // The worker of the grid next door, in the same community, sees nothing of it.
    let neighbour = worker(s, "lisi", OTHER_GRID).await;
    let theirs = scope_of(&neighbour);
    assert!(matches!(s.care_member(&theirs, member.id).await, Err(StoreError::NotFound)));
    assert!(s.care_due(&theirs, None, today + Duration::days(60), 100).await.unwrap().is_empty());
    assert!(s.grid_care(&theirs, None, today).await.unwrap().is_empty());
    assert!(s.care_members_of(&theirs, member.household_id).await.unwrap().is_empty());
    assert!(matches!(s.reveal_care_member(&neighbour, member.id, "核实", now).await, Err(StoreError::NotFound)));
    let flagging = s.flag_care(&neighbour, member.id, &plan(CareFlag::Dibao, today), today, now).await;
    assert!(matches!(flagging, Err(StoreError::NotFound)));
    let ending = s.end_care(&neighbour, member.id, None, CareEnd::ConsentWithdrawn, now).await;
    assert!(matches!(ending, Err(StoreError::NotFound)));
    let elsewhere = s.add_care_member(&neighbour, GRID, "1号楼101", &person("赵六"), now).await;
    assert!(matches!(elsewhere, Err(StoreError::NotFound)), "nobody is recorded outside one's grids");
    // A unit's handler holds no place.
    let unit = Scope::Unit { unit: UNIT_A.into() };
    assert!(s.care_due(&unit, None, today + Duration::days(60), 100).await.unwrap().is_empty());
    assert!(matches!(s.care_member(&unit, member.id).await, Err(StoreError::NotFound)));

    // The street's supervisor sees the grid's people in care; another street's does not.
    let street = Scope::Regions { codes: vec![RegionCode::parse("110101001").unwrap()] };
    assert_eq!(s.care_due(&street, None, today, 100).await.unwrap().len(), 1);
    assert_eq!(s.care_due(&street, Some(OTHER_GRID), today, 100).await.unwrap().len(), 0, "narrowed to a grid");
    assert_eq!(s.care_members_of(&street, member.household_id).await.unwrap().len(), 1);
    let other_street = Scope::Regions { codes: vec![RegionCode::parse("110101002").unwrap()] };
    assert!(s.care_due(&other_street, None, today, 100).await.unwrap().is_empty());
    assert!(matches!(s.care_member(&other_street, member.id).await, Err(StoreError::NotFound)));
}

async fn the_reveal_is_audited_and_withdrawn_consent_erases(db: TestDb) {
    let s = &*db.store;
    let (wangge, today) = world(s).await;
    let now = Utc::now();
    let member = s.add_care_member(&wangge, GRID, "3号楼2单元401", &person("王秀英"), now).await.unwrap();
    s.flag_care(&wangge, member.id, &plan(CareFlag::ElderlyAlone, today), today, now).await.unwrap();
    s.flag_care(&wangge, member.id, &plan(CareFlag::Tekun, today), today, now).await.unwrap();

    let revealed = s.reveal_care_member(&wangge, member.id, "联系家属安排送医", now).await.unwrap();
    assert_eq!(revealed.name, "王秀英");
    assert_eq!(revealed.phone.as_deref(), Some("13912345678"));
    assert_eq!(revealed.note.as_deref(), Some("腿脚不便，女儿在外地"));
    let reveals = s
        .audit_log(&AuditFilter { action: Some("care_revealed".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(reveals.len(), 1);
    assert_eq!(reveals[0].subject_id, Some(member.id));
    assert_eq!(reveals[0].detail["reason"], "联系家属安排送医");
    // The audit of the record keeps where, never who.
    let added = s
        .audit_log(&AuditFilter { action: Some("care_member_added".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert!(!added[0].detail.to_string().contains("王秀英") && !added[0].detail.to_string().contains("139"));

    // Consent withdrawn: every flag ends and the sealed data goes, whatever flag was named.
    let withdrawn =
        s.end_care(&wangge, member.id, Some(CareFlag::Tekun), CareEnd::ConsentWithdrawn, now).await.unwrap();
    assert!(withdrawn.flags.iter().all(|f| f.end_reason == Some(CareEnd::ConsentWithdrawn)));
    assert_eq!(withdrawn.flags.len(), 2);
    assert!(withdrawn.erased_at.is_some());
    assert_eq!((withdrawn.name_masked.as_str(), withdrawn.birth_year), ("—", None));
    assert!(matches!(s.reveal_care_member(&wangge, member.id, "再次核实", now).await, Err(StoreError::NotFound)));
    let refused = s.flag_care(&wangge, member.id, &plan(CareFlag::Disabled, today), today, now).await;
    assert!(matches!(refused, Err(StoreError::Invalid(e)) if e.field == "member"));
    let scope = scope_of(&wangge);
    assert!(s.care_due(&scope, None, today + Duration::days(60), 100).await.unwrap().is_empty());
    assert!(s.grid_care(&scope, None, today).await.unwrap().is_empty());
}

async fn those_long_out_of_care_or_never_flagged_are_erased(db: TestDb) {
    let s = &*db.store;
    let (wangge, today) = world(s).await;
    let now = Utc::now();
    let days = |n: i64| now - Duration::days(n);
    // Recorded forty days ago and never flagged: no consent was given.
    let unflagged = s.add_care_member(&wangge, GRID, "1号楼101", &person("赵一"), days(40)).await.unwrap();
    // Recorded lately and not yet flagged: kept while consent is asked.
    let asking = s.add_care_member(&wangge, GRID, "1号楼102", &person("赵二"), days(5)).await.unwrap();
    // Out of care for over a year, and for ten days.
    let long_gone = s.add_care_member(&wangge, GRID, "1号楼103", &person("赵三"), days(800)).await.unwrap();
    s.flag_care(&wangge, long_gone.id, &plan(CareFlag::Dibao, today), today, days(800)).await.unwrap();
    s.end_care(&wangge, long_gone.id, Some(CareFlag::Dibao), CareEnd::MovedOut, days(400)).await.unwrap();
    let lately_gone = s.add_care_member(&wangge, GRID, "1号楼104", &person("赵四"), days(800)).await.unwrap();
    s.flag_care(&wangge, lately_gone.id, &plan(CareFlag::Dibao, today), today, days(800)).await.unwrap();
    s.end_care(&wangge, lately_gone.id, Some(CareFlag::Dibao), CareEnd::Died, days(10)).await.unwrap();
    // In care, with an old flag ended and one still active.
    let in_care = s.add_care_member(&wangge, GRID, "1号楼105", &person("赵五"), days(800)).await.unwrap();
    s.flag_care(&wangge, in_care.id, &plan(CareFlag::Dibao, today), today, days(800)).await.unwrap();
    s.end_care(&wangge, in_care.id, Some(CareFlag::Dibao), CareEnd::NoLongerApplies, days(500)).await.unwrap();
    s.flag_care(&wangge, in_care.id, &plan(CareFlag::Disabled, today), today, days(500)).await.unwrap();

    assert_eq!(s.erase_lapsed_care(days(365), days(30), now).await.unwrap(), 2);
    for gone in [unflagged.id, long_gone.id] {
        assert!(matches!(s.reveal_care_member(&wangge, gone, "核实", now).await, Err(StoreError::NotFound)));
        assert!(s.care_member(&scope_of(&wangge), gone).await.unwrap().erased_at.is_some());
    }
    for kept in [asking.id, lately_gone.id, in_care.id] {
        assert!(s.reveal_care_member(&wangge, kept, "核实", now).await.is_ok());
    }
    assert_eq!(s.erase_lapsed_care(days(365), days(30), now).await.unwrap(), 0, "erased once");
    let audited = AuditFilter { action: Some("care_erased".into()), limit: 10, ..Default::default() };
    assert_eq!(s.audit_log(&audited).await.unwrap()[0].detail["erased"], 2);
}

conformance!(
    those_long_out_of_care_or_never_flagged_are_erased,
    visits_move_each_flag_on_and_the_queue_follows,
    care_is_seen_only_within_ones_own_grids_and_regions,
    the_reveal_is_audited_and_withdrawn_consent_erases,
);
