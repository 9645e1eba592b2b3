//! The workbench's queues on every backend: what the SQL lists and counts is exactly what the
//! domain's `Queue::holds` says, for every role and queue, across cases in every open state,
//! returned, co-handled, with an extension pending, and overdue.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::queue::Queue;
use grassroots_domain::workflow::Move;
use grassroots_domain::{CaseState, Role, Scope};
use grassroots_store::prelude::*;
use grassroots_store::CaseFilter;
use support::*;

async fn queues_hold_what_the_domain_says(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let ctx = f.ctx(Utc::now());
    let dispatcher = f.dispatcher();
    let a = f.handler(UNIT_A);
    let mut ids = Vec::new();
    for i in 0..10 {
        ids.push(f.report(s, &format!("诉求{i}"), None).await.id);
    }
    // 0 received; 1 registered; 2 returned by unit A; 3 dispatched to A with B co-handling;
    // 4 in progress at A; 5 in progress with an extension asked; 6 handled; 7 verifying;
    // 8 closed; 9 received long ago, now overdue.
    let register = Move::Register { note: None };
    s.apply_move(&dispatcher, ids[1], &register, &ctx).await.unwrap();
    for &id in &ids[2..9] {
        let co: &[&str] = if id == ids[3] { &[UNIT_B] } else { &[] };
        f.dispatch_to(s, id, UNIT_A, co).await;
    }
    s.apply_move(&a, ids[2], &Move::Return { reason: "不属于本单位".into() }, &ctx).await.unwrap();
    for &id in &ids[4..9] {
        s.apply_move(&a, id, &Move::Accept {}, &ctx).await.unwrap();
    }
    let ask = Move::RequestExtension { days: 3, reason: "需要协调".into() };
    s.apply_move(&a, ids[5], &ask, &ctx).await.unwrap();
    for &id in &ids[6..9] {
        s.apply_move(&a, id, &Move::Contact { note: "已联系".into() }, &ctx).await.unwrap();
        s.apply_move(&a, id, &Move::ReportHandled { result: "已处理".into(), evidence: vec![] }, &ctx).await.unwrap();
    }
    let supervisor = f.supervisor();
    s.apply_move(&supervisor, ids[7], &Move::StartVerification {}, &ctx).await.unwrap();
    s.apply_move(&supervisor, ids[8], &Move::Close { note: None }, &ctx).await.unwrap();
    // The deadline worker marks the old case overdue.
    let old = f.report_at(s, "很久以前的诉求", Utc::now() - Duration::days(30)).await.id;
    ids.push(old);
    s.tick_deadlines(Utc::now(), 1000).await.unwrap();

    let mut records = Vec::new();
    for &id in &ids {
        records.push(s.case_record(id).await.unwrap().unwrap());
    }
    let district = Scope::parse("region:110101").unwrap();
    let unit_b = Scope::Unit { unit: UNIT_B.into() };
    let street = Scope::parse("region:110101001").unwrap();
    let community = Scope::parse("region:110101001001").unwrap();
    // A street with none of these cases: the counts keep to their places.
    let other_street = Scope::parse("region:110101002").unwrap();
    let grid = Scope::Grids { codes: vec![GRID.into()] };
    for (role, scope) in [
        (Role::Dispatcher, &district),
        (Role::Dispatcher, &street),
        (Role::Dispatcher, &community),
        (Role::Dispatcher, &other_street),
        (Role::GridWorker, &grid),
        (Role::Supervisor, &district),
        (Role::Operator, &district),
        (Role::Handler, &a_scope()),
        (Role::Handler, &unit_b),
        (Role::Admin, &Scope::All),
    ] {
        let counts = s.queue_counts(scope, role).await.unwrap();
        assert_eq!(counts.iter().map(|(q, _)| *q).collect::<Vec<_>>(), Queue::for_role(role));
        for (queue, count) in counts {
            let expected: Vec<_> =
                records.iter().filter(|r| queue.holds(role, r) && scope.covers(r)).map(|r| r.id).collect();
            let f = CaseFilter { queue: Some((queue, role)), limit: 100, ..CaseFilter::default() };
            let mut listed: Vec<_> = s.list_cases(scope, &f).await.unwrap().cases.iter().map(|c| c.record.id).collect();
            let mut want = expected.clone();
            listed.sort();
            want.sort();
            assert_eq!(listed, want, "{role:?} {queue:?}");
            assert_eq!(count, expected.len() as i64, "{role:?} {queue:?} count");
        }
    }
    // The queues are not empty by accident: each case state above is in some queue.
    let hold = |role, queue: Queue, i: usize| queue.holds(role, &records[i]);
    assert!(hold(Role::Dispatcher, Queue::ToRegister, 0) && hold(Role::Dispatcher, Queue::ToDispatch, 1));
    assert!(hold(Role::Dispatcher, Queue::Returned, 2) && !hold(Role::Dispatcher, Queue::ToDispatch, 2));
    assert!(hold(Role::Supervisor, Queue::Mine, 5) && !hold(Role::Supervisor, Queue::Mine, 4));
    assert!(hold(Role::Dispatcher, Queue::Overdue, 10), "{:?}", records[10].due_status);
}

/// A list whose arms overlap (a state given twice, a grid named twice) shows each case once
/// and still pages to the end.
async fn overlapping_arms_page_through_every_case_once(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let mut ids = Vec::new();
    for i in 0..5 {
        ids.push(f.report(s, &format!("诉求{i}"), None).await.id);
    }
    let twice = Scope::Grids { codes: vec![GRID.into(), GRID.into()] };
    let mut listed = Vec::new();
    let mut after = None;
    loop {
        let page = CaseFilter {
            states: vec![CaseState::Received, CaseState::Received, CaseState::Registered],
            after,
            limit: 2,
            ..CaseFilter::default()
        };
        let page = s.list_cases(&twice, &page).await.unwrap();
        listed.extend(page.cases.iter().map(|c| c.record.id));
        match page.next_cursor {
            Some(last) => after = Some(last),
            None => break,
        }
        assert!(listed.len() <= ids.len(), "paging does not end: {listed:?}");
    }
    ids.sort();
    ids.reverse();
    assert_eq!(listed, ids, "newest first, each once");
}

fn a_scope() -> Scope {
    Scope::Unit { unit: UNIT_A.into() }
}

conformance!(queues_hold_what_the_domain_says, overlapping_arms_page_through_every_case_once);
