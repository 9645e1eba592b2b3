//! One test story for every backend. SQLite runs in `cargo test`; the same tests run on
//! PostgreSQL with `GRASSROOTS_TEST_POSTGRES_URL=postgres://… cargo test -p grassroots-store
//! -- --ignored` (each test gets a fresh database), which `.ci/run` always does.

mod support;

use grassroots_store::prelude::*;
use grassroots_store::Inspect;
use std::sync::Arc;

use chrono::{Duration, Utc};
use grassroots_domain::workflow::{replay, Move};
use grassroots_domain::{Actor, CaseState, DueStatus, MoveError, Role, Satisfaction, Scope};
use grassroots_store::{CaseFilter, NewCase, RateFilter, ResidentPass, Store, StoreError};
use support::*;

async fn full_loop_writes_one_event_audit_and_outbox_row_per_move(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let created = f.report(s, "小区门口路灯不亮", Some("13812345678")).await;
    assert_eq!(created.status, CaseState::Received);
    let id = created.id;
    let moves = f.moves_to_verified();
    for (actor, mv) in &moves {
        s.apply_move(actor, id, mv, &f.ctx(Utc::now())).await.unwrap_or_else(|e| panic!("{}: {e}", mv.name()));
    }
    let evaluate =
        Move::Evaluate { resolved: true, satisfaction: Satisfaction::Satisfied, comment: Some("很快".into()) };
    let closed = s
        .resident_move(
            &ResidentPass::code(&created.tracking_no, &created.query_code),
            &evaluate,
            &f.ctx(Utc::now()),
            &[],
        )
        .await
        .unwrap();
    assert_eq!(closed.state, CaseState::Closed);
    assert!(closed.evaluation.as_ref().unwrap().resolved);

    let events = s.case_events(id).await.unwrap();
    assert_eq!(events.len(), moves.len() + 2, "received + each move + evaluation");
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), (1..=events.len() as i64).collect::<Vec<_>>());
    let audit = s.audit_entries(id).await.unwrap();
    assert_eq!(audit.len(), events.len());
    assert_eq!(s.outbox_count(id).await.unwrap(), events.len() as i64);
    let stored = s.case_record(id).await.unwrap().unwrap();
    assert_eq!(replay(&events).unwrap().unwrap(), stored);

    let counts = s.rate_counts(&Scope::All, &RateFilter::default()).await.unwrap();
    assert_eq!(
        (counts.dispatched, counts.responded_on_time, counts.evaluated, counts.resolved, counts.satisfied),
        (1, 1, 1, 1, 1)
    );
}

async fn response_rate_counts_a_case_once_its_response_is_made_or_due(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let c = f.report(s, "井盖缺失", None).await;
    f.dispatch_to(s, c.id, UNIT_A, &[]).await;
    let at = |t| RateFilter { as_of: Some(t), ..RateFilter::default() };
    let within = s.rate_counts(&Scope::All, &at(Utc::now())).await.unwrap();
    assert_eq!((within.dispatched, within.response_due_or_made, within.responded_on_time), (1, 0, 0));
    let late = s.rate_counts(&Scope::All, &at(c.response_due + Duration::seconds(1))).await.unwrap();
    assert_eq!((late.dispatched, late.response_due_or_made, late.responded_on_time), (1, 1, 0));
}

async fn an_illegal_move_is_refused_and_changes_nothing(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let c = f.report(s, "噪声扰民", None).await;
    let before = s.case_record(c.id).await.unwrap().unwrap();
    let err = s.apply_move(&f.handler(UNIT_A), c.id, &Move::Accept {}, &f.ctx(Utc::now())).await.unwrap_err();
    // The handler's unit has no such case yet: not found, not "forbidden".
    assert!(matches!(err, StoreError::NotFound), "{err:?}");
    let err = s
        .apply_move(
            &f.dispatcher(),
            c.id,
            &Move::Dispatch { unit: UNIT_A.into(), co_units: vec![], note: None },
            &f.ctx(Utc::now()),
        )
        .await
        .unwrap_err();
    match err {
        StoreError::Move(MoveError::IllegalState { state, action }) => {
            assert_eq!((state, action), (CaseState::Received, grassroots_domain::MoveKind::Dispatch));
        }
        other => panic!("expected an illegal state, got {other:?}"),
    }
    let err = s
        .apply_move(&f.dispatcher(), c.id, &Move::Reject { reason: "  ".into() }, &f.ctx(Utc::now()))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Move(MoveError::Invalid(ref e)) if e.field == "reason"), "{err:?}");
    s.apply_move(&f.dispatcher(), c.id, &Move::Register { note: None }, &f.ctx(Utc::now())).await.unwrap();
    let err = s
        .apply_move(
            &f.dispatcher(),
            c.id,
            &Move::Dispatch { unit: "no-such-unit".into(), co_units: vec![], note: None },
            &f.ctx(Utc::now()),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Invalid(ref e) if e.field == "unit"), "{err:?}");
    let after = s.case_record(c.id).await.unwrap().unwrap();
    assert_eq!(after.version, before.version + 1);
    assert_eq!(s.case_events(c.id).await.unwrap().len(), 2);
}

async fn scopes_hide_other_units_grids_and_regions(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let c = f.report(s, "占道经营", None).await;
    f.dispatch_to(s, c.id, UNIT_A, &[UNIT_B]).await;
    let other = f.handler("unit-c");
    let ctx = f.ctx(Utc::now());
    assert!(s.case_detail(&scope_of(&other), c.id).await.unwrap().is_none());
    assert!(s.list_cases(&scope_of(&other), &filter()).await.unwrap().cases.is_empty());
    assert!(matches!(s.apply_move(&other, c.id, &Move::Accept {}, &ctx).await, Err(StoreError::NotFound)));
    assert!(matches!(s.reveal(&other, c.id, "回访需要", Utc::now()).await, Err(StoreError::NotFound)));
    // The co-handler sees the case but only the lead unit may accept it.
    let co = f.handler(UNIT_B);
    assert!(s.case_detail(&scope_of(&co), c.id).await.unwrap().is_some());
    assert!(matches!(
        s.apply_move(&co, c.id, &Move::Accept {}, &ctx).await,
        Err(StoreError::Move(MoveError::Conflict { .. }))
    ));
    assert_eq!(s.list_cases(&scope_of(&f.handler(UNIT_A)), &filter()).await.unwrap().cases.len(), 1);

    let grid_worker = staff(Role::GridWorker, Scope::Grids { codes: vec![GRID.into()] });
    let elsewhere = staff(Role::GridWorker, Scope::Grids { codes: vec!["110101001002001".into()] });
    assert!(s.case_detail(&scope_of(&grid_worker), c.id).await.unwrap().is_some());
    assert!(s.case_detail(&scope_of(&elsewhere), c.id).await.unwrap().is_none());
    let other_district = staff(Role::Dispatcher, Scope::parse("region:110102").unwrap());
    assert!(s.case_detail(&scope_of(&other_district), c.id).await.unwrap().is_none());
    let street = staff(Role::Dispatcher, Scope::parse("region:110101001").unwrap());
    assert!(s.case_detail(&scope_of(&street), c.id).await.unwrap().is_some());
    let city = staff(Role::Supervisor, Scope::parse("region:11").unwrap());
    assert!(s.case_detail(&scope_of(&city), c.id).await.unwrap().is_some());
}

async fn personal_data_is_masked_encrypted_and_revealed_with_audit(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let c = f.report(s, "楼道堆放杂物", Some("13912345678")).await;
    let detail = s.case_detail(&Scope::All, c.id).await.unwrap().unwrap();
    assert_eq!(detail.reporter.name.as_deref(), Some("张*"));
    assert_eq!(detail.reporter.phone.as_deref(), Some("139****5678"));
    let revealed = s.reveal(&f.dispatcher(), c.id, "需要回访群众", Utc::now()).await.unwrap();
    assert_eq!(revealed.phone.as_deref(), Some("13912345678"));
    assert_eq!(revealed.name.as_deref(), Some("张三"));
    let audit = s.audit_entries(c.id).await.unwrap();
    let reveal = audit.iter().find(|a| a.action == "reveal").expect("a reveal audit entry");
    assert_eq!(reveal.detail["reason"], "需要回访群众");
    assert_eq!(reveal.actor_kind, "dispatcher");

    if let Some(path) = &db.sqlite_path {
        db.store.close().await;
        let mut raw = std::fs::read(path).unwrap();
        raw.extend(std::fs::read(path.with_extension("db-wal")).unwrap_or_default());
        assert!(raw.windows(4).any(|w| w == "楼道".as_bytes()[..4].as_ref()), "sanity: the file holds the description");
        assert!(!raw.windows(11).any(|w| w == b"13912345678"), "the phone number is in the database file in clear");
        assert!(
            !raw.windows("张三".len()).any(|w| w == "张三".as_bytes()),
            "the name is in the database file in clear"
        );
    }
}

async fn listing_filters_and_pages_by_keyset(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(f.report(s, &format!("第{i}号 井盖丢失"), None).await.id);
    }
    let special = f.report(s, "共享单车乱停放", None).await.id;
    s.apply_move(&f.dispatcher(), special, &Move::Register { note: None }, &f.ctx(Utc::now())).await.unwrap();
    let mut seen = Vec::new();
    let mut page_filter = CaseFilter { limit: 3, ..filter() };
    loop {
        let page = s.list_cases(&Scope::All, &page_filter).await.unwrap();
        seen.extend(page.cases.iter().map(|c| c.record.id));
        match page.next_cursor {
            Some(cursor) => page_filter.after = Some(cursor),
            None => break,
        }
    }
    assert_eq!(seen.len(), 8);
    let mut sorted = seen.clone();
    sorted.sort_by(|a, b| b.cmp(a));
    assert_eq!(seen, sorted, "newest first, no duplicates");
    let registered =
        s.list_cases(&Scope::All, &CaseFilter { states: vec![CaseState::Registered], ..filter() }).await.unwrap();
    assert_eq!(registered.cases.iter().map(|c| c.record.id).collect::<Vec<_>>(), vec![special]);
    let text = s.list_cases(&Scope::All, &CaseFilter { text: Some("单车".into()), ..filter() }).await.unwrap();
    assert_eq!(text.cases.len(), 1);
    let by_category = s.list_cases(&Scope::All, &CaseFilter { category: Some("03".into()), ..filter() }).await.unwrap();
    assert_eq!(by_category.cases.len(), 8, "top-level 03 includes 0302");
    let none = s.list_cases(&Scope::All, &CaseFilter { category: Some("0401".into()), ..filter() }).await.unwrap();
    assert!(none.cases.is_empty());
}

async fn export_walks_by_time_received_across_equal_times(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    // Recorded in an order unlike the times received, three at the very same instant, so that
    // page boundaries fall between equal times.
    let base = Utc::now() - chrono::Duration::hours(1);
    let minutes = [5, 0, 5, 9, 5, 2, 7];
    let mut expected = Vec::new();
    for (i, m) in minutes.iter().enumerate() {
        let at = base + chrono::Duration::minutes(*m);
        let case = f.report_at(s, &format!("第{i}号 路灯不亮"), at).await;
        expected.push((at, case.id));
    }
    expected.sort_by(|a, b| b.cmp(a));
    let expected_ids: Vec<uuid::Uuid> = expected.iter().map(|(_, id)| *id).collect();
    // Unbounded, and within a period that holds them all (past the first page the cursor
    // bounds the walk instead of the period).
    let period =
        CaseFilter { received_from: Some(base), received_to: Some(base + chrono::Duration::minutes(10)), ..filter() };
    for filter in [filter(), period] {
        let mut seen = Vec::new();
        let mut before = None;
        loop {
            let page = s.export_page(&Scope::All, &filter, before, 2).await.unwrap();
            seen.extend(page.iter().map(|c| (c.received_at, c.id)));
            match page.last() {
                Some(last) if page.len() == 2 => before = Some((last.received_at, last.id)),
                _ => break,
            }
        }
        let ids: Vec<uuid::Uuid> = seen.iter().map(|(_, id)| *id).collect();
        assert_eq!(ids, expected_ids, "latest received first, each once");
    }
    let dispatched = f.report_at(s, "楼道灯坏了", base).await.id;
    f.dispatch_to(s, dispatched, UNIT_A, &[]).await;
    let of_unit = s.export_page(&scope_of(&f.handler(UNIT_A)), &filter(), None, 50).await.unwrap();
    assert_eq!(of_unit.iter().map(|c| c.id).collect::<Vec<_>>(), vec![dispatched], "within the scope only");
    let in_states = CaseFilter { states: vec![CaseState::Dispatched], ..filter() };
    let dispatched_only = s.export_page(&Scope::All, &in_states, None, 50).await.unwrap();
    assert_eq!(dispatched_only.len(), 1);
}

async fn a_scope_of_several_places_lists_each_place_merged_newest_first(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let (near, far, outside) = ("110101001001002", "110101002001001", "110101001001003");
    let mut ids = Vec::new();
    for (i, grid) in [near, far, outside, far, near].iter().enumerate() {
        let mut new = f.new_case(&format!("第{i}件 路面坑洼"), None, Utc::now());
        new.place.grid_code = Some(grid.to_string());
        new.place.street_code = Some(grid[..9].to_string());
        new.place.community_code = Some(grid[..12].to_string());
        ids.push((s.create_case(new, &Actor::Resident).await.unwrap().id, *grid));
    }
    let mut expected: Vec<uuid::Uuid> = ids.iter().filter(|(_, g)| *g != outside).map(|(id, _)| *id).collect();
    expected.sort_by(|a, b| b.cmp(a));
    let two_communities = Scope::parse("region:110101001001,110101002001").unwrap();
    for scope in [Scope::Grids { codes: vec![near.into(), far.into()] }, two_communities] {
        let mut seen = Vec::new();
        let mut page_filter = CaseFilter { limit: 1, ..filter() };
        loop {
            let page = s.list_cases(&scope, &page_filter).await.unwrap();
            seen.extend(page.cases.iter().map(|c| c.record.id));
            match page.next_cursor {
                Some(cursor) => page_filter.after = Some(cursor),
                None => break,
            }
        }
        let expected: Vec<uuid::Uuid> = if matches!(scope, Scope::Grids { .. }) {
            expected.clone()
        } else {
            let mut all: Vec<uuid::Uuid> = ids.iter().map(|(id, _)| *id).collect();
            all.sort_by(|a, b| b.cmp(a));
            all
        };
        assert_eq!(seen, expected, "{}: every case of its places, newest first, once", scope.to_spec());
    }
}

async fn concurrent_moves_on_one_case_serialise(db: TestDb) {
    let s = db.store.clone();
    let f = Arc::new(Fixture::new(&*s).await);
    let c = f.report(&*s, "供暖不热", None).await;
    f.dispatch_to(&*s, c.id, UNIT_A, &[]).await;
    let mut tasks = Vec::new();
    for i in 0..6 {
        let (s, f) = (s.clone(), f.clone());
        tasks.push(tokio::spawn(async move {
            let mv = Move::Supervise { note: format!("督办{i}"), escalate: false };
            s.apply_move(&f.supervisor(), c.id, &mv, &f.ctx(Utc::now())).await
        }));
    }
    for i in 0..3 {
        let (s, f) = (s.clone(), f.clone());
        tasks.push(tokio::spawn(async move {
            let _ = i;
            s.apply_move(&f.handler(UNIT_A), c.id, &Move::Accept {}, &f.ctx(Utc::now())).await
        }));
    }
    let results: Vec<_> = futures_join(tasks).await;
    let accepted = results[6..].iter().filter(|r| r.is_ok()).count();
    assert_eq!(accepted, 1, "exactly one accept wins: {results:?}");
    assert!(results[..6].iter().all(|r| r.is_ok()), "{results:?}");
    let events = s.case_events(c.id).await.unwrap();
    assert_eq!(events.len(), 3 + 6 + 1);
    let record = s.case_record(c.id).await.unwrap().unwrap();
    assert_eq!(record.supervision_count, 6);
    assert_eq!(replay(&events).unwrap().unwrap(), record);
}

async fn deadline_marks_are_written_once_even_by_competing_workers(db: TestDb) {
    let s = db.store.clone();
    let f = Fixture::new(&*s).await;
    let long_ago = Utc::now() - Duration::days(30);
    let late = f.report_at(&*s, "电梯困人", long_ago).await;
    let fresh = f.report(&*s, "路面破损", None).await;
    let now = Utc::now();
    let (a, b) = tokio::join!(s.tick_deadlines(now, 100), s.tick_deadlines(now, 100));
    assert_eq!(a.unwrap() + b.unwrap(), 1);
    assert_eq!(s.tick_deadlines(now, 100).await.unwrap(), 0);
    let record = s.case_record(late.id).await.unwrap().unwrap();
    assert_eq!(record.due_status, DueStatus::Overdue);
    assert_eq!(s.case_record(fresh.id).await.unwrap().unwrap().due_status, DueStatus::OnTime);
    let overdue = s.list_cases(&Scope::All, &CaseFilter { overdue: Some(true), ..filter() }).await.unwrap();
    assert_eq!(overdue.cases.iter().map(|c| c.record.id).collect::<Vec<_>>(), vec![late.id]);
    let events = s.case_events(late.id).await.unwrap();
    assert_eq!(replay(&events).unwrap().unwrap(), record);
}

async fn leases_go_to_one_holder_until_they_expire(db: TestDb) {
    let s = &*db.store;
    let now = Utc::now();
    let ttl = Duration::seconds(30);
    assert!(s.claim_lease("deadlines", "a", now, ttl).await.unwrap());
    assert!(!s.claim_lease("deadlines", "b", now, ttl).await.unwrap());
    assert!(s.claim_lease("deadlines", "a", now + Duration::seconds(10), ttl).await.unwrap(), "renewal");
    assert!(s.claim_lease("deadlines", "b", now + Duration::seconds(41), ttl).await.unwrap(), "after expiry");
}

async fn merge_reject_reopen_and_extension(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let ctx = f.ctx(Utc::now());
    let target = f.report(s, "垃圾未清运", None).await;
    let dup = f.report(s, "垃圾未清运（重复）", None).await;
    let bad = s
        .apply_move(&f.dispatcher(), dup.id, &Move::Merge { into: uuid::Uuid::now_v7(), reason: None }, &ctx)
        .await
        .unwrap_err();
    assert!(matches!(bad, StoreError::Invalid(ref e) if e.field == "into"), "{bad:?}");
    let merged = s
        .apply_move(&f.dispatcher(), dup.id, &Move::Merge { into: target.id, reason: Some("重复".into()) }, &ctx)
        .await
        .unwrap();
    assert_eq!((merged.state, merged.merged_into), (CaseState::Merged, Some(target.id)));

    f.dispatch_to(s, target.id, UNIT_A, &[]).await;
    let h = f.handler(UNIT_A);
    s.apply_move(&h, target.id, &Move::Accept {}, &ctx).await.unwrap();
    let before = s.case_record(target.id).await.unwrap().unwrap();
    s.apply_move(&h, target.id, &Move::RequestExtension { days: 3, reason: "需协调物业".into() }, &ctx).await.unwrap();
    let approved =
        s.apply_move(&f.supervisor(), target.id, &Move::ApproveExtension { note: None }, &ctx).await.unwrap();
    assert!(approved.resolve_due > before.resolve_due);
    s.apply_move(&h, target.id, &Move::Contact { note: "已联系".into() }, &ctx).await.unwrap();
    s.apply_move(
        &h,
        target.id,
        &Move::ReportHandled { result: "已清运".into(), evidence: vec!["photo:1".into()] },
        &ctx,
    )
    .await
    .unwrap();
    s.apply_move(&f.supervisor(), target.id, &Move::Close { note: None }, &ctx).await.unwrap();
    let eval = Move::Evaluate { resolved: false, satisfaction: Satisfaction::Dissatisfied, comment: None };
    s.resident_move(&ResidentPass::code(&target.tracking_no, &target.query_code), &eval, &ctx, &[]).await.unwrap();
    let again = s
        .resident_move(&ResidentPass::code(&target.tracking_no, &target.query_code), &eval, &ctx, &[])
        .await
        .unwrap_err();
    assert!(matches!(again, StoreError::Move(MoveError::Conflict { .. })), "{again:?}");
    let wrong_code =
        s.resident_move(&ResidentPass::code(&target.tracking_no, "000000x"), &eval, &ctx, &[]).await.unwrap_err();
    assert!(matches!(wrong_code, StoreError::NotFound));
    let reopened =
        s.apply_move(&f.supervisor(), target.id, &Move::Reopen { reason: "群众不满意".into() }, &ctx).await.unwrap();
    assert_eq!((reopened.state, reopened.reopen_count), (CaseState::Dispatched, 1));
    let events = s.case_events(target.id).await.unwrap();
    assert_eq!(replay(&events).unwrap().unwrap(), reopened);
}

async fn sessions_expire_and_end(db: TestDb) {
    let s = &*db.store;
    let user = s
        .upsert_user(&grassroots_store::NewUser {
            username: "disp".into(),
            display_name: "派单员".into(),
            password_hash: "x".into(),
            role: Role::Dispatcher,
            scope: Scope::parse("region:110101").unwrap(),
        })
        .await
        .unwrap();
    let again = s
        .upsert_user(&grassroots_store::NewUser {
            username: "disp".into(),
            display_name: "派单员".into(),
            password_hash: "y".into(),
            role: Role::Dispatcher,
            scope: Scope::parse("region:110101").unwrap(),
        })
        .await
        .unwrap();
    assert_eq!(user.id, again.id, "upsert keeps the account");
    let now = Utc::now();
    s.create_session(user.id, "live", now + Duration::hours(1)).await.unwrap();
    s.create_session(user.id, "old", now - Duration::seconds(1)).await.unwrap();
    assert_eq!(s.session_user("live", now).await.unwrap().unwrap().username, "disp");
    assert!(s.session_user("old", now).await.unwrap().is_none());
    s.delete_session("live").await.unwrap();
    assert!(s.session_user("live", now).await.unwrap().is_none());
    assert_eq!(s.user_by_username("disp").await.unwrap().unwrap().password_hash, "y");

    s.create_session(user.id, "before-change", now + Duration::hours(1)).await.unwrap();
    let changed = grassroots_store::NewUser {
        username: "disp".into(),
        display_name: "派单员".into(),
        password_hash: "z".into(),
        role: Role::Dispatcher,
        scope: Scope::parse("region:110101").unwrap(),
    };
    s.upsert_user(&changed).await.unwrap();
    assert!(s.session_user("before-change", now).await.unwrap().is_none(), "a changed account logs in again");
}

async fn random_move_sequences_replay_to_the_stored_row(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let actors = f.staff_of_every_role();
    let moves = sample_moves();
    let mut rng = SmallRng::new(7);
    for round in 0..6 {
        let c = f.report(s, &format!("随机案件{round}"), None).await;
        let mut t = Utc::now();
        for _ in 0..40 {
            t += Duration::minutes(rng.below(600) as i64);
            let actor = &actors[rng.below(actors.len())];
            let mv = &moves[rng.below(moves.len())];
            let before = s.case_record(c.id).await.unwrap().unwrap();
            let events_before = s.case_events(c.id).await.unwrap().len();
            match s.apply_move(actor, c.id, mv, &f.ctx(t)).await {
                Ok(after) => {
                    assert_eq!(after.version, before.version + 1);
                    assert_eq!(s.case_events(c.id).await.unwrap().len(), events_before + 1);
                    assert!(
                        allowed_transition(before.state, after.state),
                        "{:?} -> {:?} by {}",
                        before.state,
                        after.state,
                        mv.name()
                    );
                }
                Err(_) => {
                    assert_eq!(s.case_record(c.id).await.unwrap().unwrap(), before);
                    assert_eq!(s.case_events(c.id).await.unwrap().len(), events_before);
                }
            }
        }
        let events = s.case_events(c.id).await.unwrap();
        assert_eq!(replay(&events).unwrap().unwrap(), s.case_record(c.id).await.unwrap().unwrap());
        assert_eq!(s.audit_entries(c.id).await.unwrap().len(), events.len());
        assert_eq!(s.outbox_count(c.id).await.unwrap(), events.len() as i64);
    }
}

async fn concurrent_reports_are_each_written_once(db: TestDb) {
    let s = db.store.clone();
    let f = Arc::new(Fixture::new(&*s).await);
    let tasks: Vec<_> = (0..200)
        .map(|i| {
            let (s, f) = (s.clone(), f.clone());
            tokio::spawn(async move { f.report(&*s, &format!("并发诉求{i}"), Some("13812345678")).await })
        })
        .collect();
    let created = futures_join(tasks).await;
    let tracking: std::collections::HashSet<_> = created.iter().map(|c| c.tracking_no.clone()).collect();
    assert_eq!(tracking.len(), 200);
    assert_eq!(s.count_cases().await.unwrap(), 200);
    for c in &created {
        let found = s
            .track(&ResidentPass::code(&c.tracking_no, &c.query_code))
            .await
            .unwrap()
            .expect("every acknowledged report is stored");
        assert_eq!(found.events.len(), 1);
        assert_eq!(s.outbox_count(c.id).await.unwrap(), 1);
    }
}

/// A report sent again under its idempotency key, even while the first is still being
/// written, is answered with the first's case and query code; the key with another report is
/// refused and writes nothing; another client's key of the same text is its own; a forgotten
/// key makes a new case.
async fn a_report_sent_again_under_its_key_makes_one_case(db: TestDb) {
    let s = db.store.clone();
    let f = Arc::new(Fixture::new(&*s).await);
    let keyed = |client: &str, description: &str| {
        let key = grassroots_store::IntakeKey {
            client: client.into(),
            key: "7f1c5a0e-92d4-4b8e-a6f1-0c3d2e4b5a69".into(),
            fingerprint: format!("digest of {description}"),
        };
        NewCase { key: Some(key), ..f.new_case(description, Some("13812345678"), Utc::now()) }
    };
    // Sent eight times at once: the retries meet in one batch of the writer, or in the store.
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let (s, new) = (s.clone(), keyed("resident", "小区门口路灯不亮"));
            tokio::spawn(async move { s.create_case(new, &Actor::Resident).await.unwrap() })
        })
        .collect();
    let answers = futures_join(tasks).await;
    let first = &answers[0];
    for a in &answers {
        assert_eq!(
            (a.id, &a.tracking_no, &a.query_code, a.status),
            (first.id, &first.tracking_no, &first.query_code, first.status)
        );
    }
    assert_eq!(s.count_cases().await.unwrap(), 1, "one case for the eight sendings");
    assert_eq!(answers.iter().filter(|a| !a.replayed).count(), 1, "one made it, seven were answered again");
    let again = s.create_case(keyed("resident", "小区门口路灯不亮"), &Actor::Resident).await.unwrap();
    assert_eq!(
        (again.id, again.query_code.as_str()),
        (first.id, first.query_code.as_str()),
        "answered as the first time"
    );
    assert!(again.replayed, "and said to be an answer given before");
    assert!(s.track(&ResidentPass::code(&again.tracking_no, &again.query_code)).await.unwrap().is_some());

    match s.create_case(keyed("resident", "楼道堆物"), &Actor::Resident).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.field, "Idempotency-Key"),
        other => panic!("the key with another report must be refused: {other:?}"),
    }
    assert_eq!(s.count_cases().await.unwrap(), 1, "the refusal wrote nothing");
    let kept = s.keyed_case("resident", "7f1c5a0e-92d4-4b8e-a6f1-0c3d2e4b5a69").await.unwrap().unwrap();
    assert_eq!((kept.created.id, kept.fingerprint.as_str()), (first.id, "digest of 小区门口路灯不亮"));

    let other_client = s.create_case(keyed("api_key:1", "小区门口路灯不亮"), &Actor::Resident).await.unwrap();
    assert_ne!(other_client.id, first.id, "clients' keys never meet");
    assert_eq!(s.forget_intake_keys(Utc::now() - Duration::hours(1)).await.unwrap(), 0, "kept while young");
    assert_eq!(s.forget_intake_keys(Utc::now() + Duration::seconds(1)).await.unwrap(), 2);
    assert!(s.keyed_case("resident", "7f1c5a0e-92d4-4b8e-a6f1-0c3d2e4b5a69").await.unwrap().is_none());
    let after = s.create_case(keyed("resident", "小区门口路灯不亮"), &Actor::Resident).await.unwrap();
    assert_ne!(after.id, first.id, "a forgotten key makes a new case");
    assert_eq!(s.count_cases().await.unwrap(), 3);
}

/// Intake writes a batch of reports together; a report the database refuses (here by a trigger
/// standing in for any row it will not take) fails alone, and the rest of its batch is written
/// whole: with a point or without, with a reporter to keep informed or not.
async fn a_refused_report_fails_alone(db: TestDb) {
    use sqlx::Connection;
    let s = db.store.clone();
    let f = Arc::new(Fixture::new(&*s).await);
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    let refusal: &[&str] = if db.sqlite_path.is_some() {
        &["CREATE TRIGGER refuse BEFORE INSERT ON cases WHEN NEW.description LIKE '%拒收%' \
           BEGIN SELECT RAISE(ABORT, 'refused'); END"]
    } else {
        &[
            "CREATE FUNCTION refuse() RETURNS trigger AS $$ BEGIN \
             IF NEW.description LIKE '%拒收%' THEN RAISE EXCEPTION 'refused'; END IF; RETURN NEW; END $$ \
             LANGUAGE plpgsql",
            "CREATE TRIGGER refuse BEFORE INSERT ON cases FOR EACH ROW EXECUTE FUNCTION refuse()",
        ]
    };
    for sql in refusal {
        sqlx::query(sql).execute(&mut conn).await.unwrap();
    }
    let tasks: Vec<_> = (0..60)
        .map(|i| {
            let (s, f) = (s.clone(), f.clone());
            tokio::spawn(async move {
                let text = if i == 13 { "拒收的诉求".to_string() } else { format!("批量诉求{i}") };
                let mut new = f.new_case(&text, (i % 3 == 0).then_some("13812345678"), Utc::now());
                new.notify_reporter = i % 3 == 0;
                (new.place.lat, new.place.lng) = if i % 4 == 0 { (Some(39.92), Some(116.41)) } else { (None, None) };
                s.create_case(new, &Actor::Resident).await
            })
        })
        .collect();
    let outcomes = futures_join(tasks).await;
    assert!(outcomes[13].is_err(), "the refused report is not acknowledged");
    assert_eq!(s.count_cases().await.unwrap(), 59);
    for (i, outcome) in outcomes.iter().enumerate().filter(|(i, _)| *i != 13) {
        let c = outcome.as_ref().unwrap_or_else(|e| panic!("report {i} failed with the refused one: {e}"));
        let found = s.track(&ResidentPass::code(&c.tracking_no, &c.query_code)).await.unwrap().expect("stored");
        assert_eq!(found.events.len(), 1);
        assert_eq!(s.audit_entries(c.id).await.unwrap().len(), 1);
        assert_eq!(s.outbox_count(c.id).await.unwrap(), 1);
        assert_eq!(s.case_record(c.id).await.unwrap().unwrap().place.lat.is_some(), i % 4 == 0);
    }
}

/// The store's SQL scope filter and the domain's `Scope::covers` are the same rule.
async fn sql_scopes_agree_with_the_domain_rule(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let mut ids = Vec::new();
    for (i, (unit, co)) in [(UNIT_A, vec![]), (UNIT_B, vec![UNIT_A]), ("unit-c", vec![UNIT_B])].into_iter().enumerate()
    {
        let c = f.report(s, &format!("范围测试{i}"), None).await;
        f.dispatch_to(s, c.id, unit, &co).await;
        ids.push(c.id);
    }
    ids.push(f.report(s, "未派遣", None).await.id);
    let scopes = [
        Scope::All,
        Scope::parse("region:11").unwrap(),
        Scope::parse("region:110101").unwrap(),
        Scope::parse("region:110102").unwrap(),
        Scope::parse("region:110101001").unwrap(),
        Scope::parse("region:110101002,110101001001").unwrap(),
        Scope::parse("region:110101001002").unwrap(),
        Scope::Unit { unit: UNIT_A.into() },
        Scope::Unit { unit: UNIT_B.into() },
        Scope::Unit { unit: "unit-c".into() },
        Scope::Unit { unit: "nobody".into() },
        Scope::Grids { codes: vec![GRID.into()] },
        Scope::Grids { codes: vec!["110101001002001".into(), "110101002001001".into()] },
    ];
    for scope in &scopes {
        for id in &ids {
            let record = s.case_record(*id).await.unwrap().unwrap();
            let visible = s.case_detail(scope, *id).await.unwrap().is_some();
            assert_eq!(visible, scope.covers(&record), "{} on case of {:?}", scope.to_spec(), record.lead_unit);
        }
        let mut covered = 0;
        for id in &ids {
            covered += usize::from(scope.covers(&s.case_record(*id).await.unwrap().unwrap()));
        }
        let listed = s.list_cases(scope, &filter()).await.unwrap().cases.len();
        assert_eq!(listed, covered, "{}", scope.to_spec());
        // A region filter inside or outside the scope narrows it, never widens it.
        for region in ["110101001", "110101", "11", "110102"] {
            let region = grassroots_domain::RegionCode::parse(region).unwrap();
            let within = CaseFilter { region: Some(region.clone()), ..filter() };
            let listed = s.list_cases(scope, &within).await.unwrap().cases.len();
            // Every fixture case is in the same place, so the region holds all of them or none.
            let region_scope = Scope::Regions { codes: vec![region.clone()] };
            let holds = region_scope.covers(&s.case_record(ids[0]).await.unwrap().unwrap());
            let in_region = if holds { covered } else { 0 };
            assert_eq!(listed, in_region, "{} within {}", scope.to_spec(), region.as_str());
        }
    }
}

async fn two_cases_cannot_be_merged_into_each_other(db: TestDb) {
    let s = db.store.clone();
    let f = Arc::new(Fixture::new(&*s).await);
    for round in 0..5 {
        let a = f.report(&*s, &format!("重复反映A{round}"), None).await.id;
        let b = f.report(&*s, &format!("重复反映B{round}"), None).await.id;
        let merge = |from: uuid::Uuid, into: uuid::Uuid| {
            let (s, f) = (s.clone(), f.clone());
            tokio::spawn(async move {
                s.apply_move(&f.dispatcher(), from, &Move::Merge { into, reason: None }, &f.ctx(Utc::now())).await
            })
        };
        let results = futures_join(vec![merge(a, b), merge(b, a)]).await;
        assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
        let loser = results.iter().find_map(|r| r.as_ref().err()).unwrap();
        assert!(matches!(loser, StoreError::Invalid(e) if e.field == "into"), "{loser:?}");
        let states = [s.case_record(a).await.unwrap().unwrap().state, s.case_record(b).await.unwrap().unwrap().state];
        assert_eq!(states.iter().filter(|st| **st == CaseState::Merged).count(), 1, "{states:?}");
    }
}

async fn a_late_first_response_stays_late_after_a_reopening(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let t0 = Utc::now() - Duration::days(10);
    let c = f.report_at(s, "井盖松动", t0).await; // category 0302: respond within 2 hours
    let at = |minutes: i64| f.ctx(t0 + Duration::minutes(minutes));
    let h = f.handler(UNIT_A);
    let steps: Vec<(Actor, Move, i64)> = vec![
        (f.dispatcher(), Move::Register { note: None }, 1),
        (f.dispatcher(), Move::Dispatch { unit: UNIT_A.into(), co_units: vec![], note: None }, 2),
        (h.clone(), Move::Accept {}, 3),
        (h.clone(), Move::Contact { note: "迟到的回访".into() }, 300),
        (h.clone(), Move::ReportHandled { result: "已处理".into(), evidence: vec![] }, 360),
        (f.supervisor(), Move::Close { note: None }, 420),
    ];
    for (actor, mv, minutes) in &steps {
        s.apply_move(actor, c.id, mv, &at(*minutes)).await.unwrap_or_else(|e| panic!("{}: {e}", mv.name()));
    }
    let eval = Move::Evaluate { resolved: false, satisfaction: Satisfaction::Dissatisfied, comment: None };
    s.resident_move(&ResidentPass::code(&c.tracking_no, &c.query_code), &eval, &at(480), &[]).await.unwrap();
    s.apply_move(&f.supervisor(), c.id, &Move::Reopen { reason: "未解决".into() }, &at(540)).await.unwrap();
    s.apply_move(&h, c.id, &Move::Accept {}, &at(541)).await.unwrap();
    let again = s.apply_move(&h, c.id, &Move::Contact { note: "及时回访".into() }, &at(545)).await.unwrap();
    assert!(again.first_contact_at.unwrap() <= again.response_due, "the new round's contact is on time");
    assert_eq!(again.responded_on_time, Some(false), "the case's first response was late");
    let counts = s.rate_counts(&Scope::All, &RateFilter::default()).await.unwrap();
    assert_eq!((counts.response_due_or_made, counts.responded_on_time), (1, 0));
}

async fn commits_are_synced_to_disk(db: TestDb) {
    let expected = match db.store.backend() {
        grassroots_store::Backend::Sqlite => "wal, synchronous=2",
        grassroots_store::Backend::Postgres => "synchronous_commit=on",
    };
    assert_eq!(db.store.durability().await.unwrap(), expected);
}

async fn logins_and_failed_logins_are_audited(db: TestDb) {
    let s = &*db.store;
    let user = s
        .upsert_user(&grassroots_store::NewUser {
            username: "li".into(),
            display_name: "李".into(),
            password_hash: "x".into(),
            role: Role::Supervisor,
            scope: Scope::parse("region:110101").unwrap(),
        })
        .await
        .unwrap();
    s.record_failed_login("li", "192.0.2.1", Utc::now()).await.unwrap();
    s.create_session(user.id, "token", Utc::now() + Duration::hours(1)).await.unwrap();
    let audit = s.recent_audit(10).await.unwrap();
    let actions: Vec<_> = audit.iter().map(|a| (a.action.as_str(), a.actor_kind.as_str(), a.actor_id)).collect();
    assert_eq!(actions, vec![("login", "supervisor", Some(user.id)), ("login_failed", "anonymous", None)]);
    assert_eq!(audit[1].detail["username"], "li");
}

async fn region_imports_update_in_place_and_keep_former_names(db: TestDb) {
    use grassroots_domain::region::parse_region_csv;
    let s = &*db.store;
    let csv = "code,name,level,parent_code\n110101,东城区,county,1101\n110101001,东华门街道,township,110101\n";
    let regions = parse_region_csv(csv).unwrap();
    assert_eq!(s.upsert_regions(&regions).await.unwrap(), grassroots_store::RegionImport { written: 2, renamed: 0 });
    assert_eq!(s.upsert_regions(&regions).await.unwrap(), grassroots_store::RegionImport { written: 0, renamed: 0 });
    let renamed = parse_region_csv(&csv.replace("东华门街道", "东华门新街道")).unwrap();
    assert_eq!(s.upsert_regions(&renamed).await.unwrap(), grassroots_store::RegionImport { written: 1, renamed: 1 });
    let now = s.regions().await.unwrap();
    assert_eq!(now.iter().find(|r| r.code.as_str() == "110101001").unwrap().name, "东华门新街道");
    let history = s.region_names("110101001").await.unwrap();
    assert_eq!(history.iter().map(|(n, _)| n.as_str()).collect::<Vec<_>>(), vec!["东华门街道"]);
    assert!(s.region_names("110101").await.unwrap().is_empty());
}

/// An imported case as `grassroots import cases` builds it: received, then imported closed by
/// `UNIT_A`, its tracking number given.
fn imported(i: usize, tracking_no: &str) -> grassroots_store::ImportedCase {
    use grassroots_domain::case::Place;
    use grassroots_domain::workflow::{evolve, CaseEvent, EventKind};
    use grassroots_domain::{Channel, Priority, RequestType};
    // Stored times are milliseconds, as the importer's are (whole seconds).
    let at = grassroots_domain::case::to_millis(Utc::now() - Duration::days(30) + Duration::seconds(i as i64));
    let id = uuid::Uuid::now_v7();
    let event = |seq, at, kind| CaseEvent {
        id: uuid::Uuid::now_v7(),
        case_id: id,
        seq,
        at,
        actor_kind: "system".into(),
        actor_id: None,
        kind,
    };
    let received = event(
        1,
        at,
        EventKind::Received {
            tracking_no: tracking_no.into(),
            category_code: "0301".into(),
            request_type: RequestType::Help,
            priority: Priority::Normal,
            channel: Channel::Import,
            description: format!("旧系统工单{i}"),
            place: Place { district_code: Some("110101".into()), ..Place::default() },
            response_due: at + Duration::hours(24),
            resolve_due: at + Duration::days(7),
        },
    );
    let closed_at = at + Duration::days(2);
    let done = event(
        2,
        closed_at,
        EventKind::Imported {
            source: "old".into(),
            external_id: format!("GD{i}"),
            unit: Some(UNIT_A.into()),
            responded_at: Some(at + Duration::hours(1)),
            closed_at: Some(closed_at),
            result: Some("已处理".into()),
        },
    );
    let record = evolve(evolve(None, &received).ok(), &done).unwrap();
    grassroots_store::ImportedCase {
        external_id: format!("GD{i}"),
        case: grassroots_store::HistoricCase {
            record,
            events: vec![received, done],
            reporter_name: Some("李四".into()),
            reporter_phone: Some("13900001111".into()),
            anonymous: false,
            query_code: "123456".into(),
            // The category proposed by the classifier, as an import naming none is given.
            decisions: vec![grassroots_domain::decisions::Decision {
                kind: grassroots_domain::decisions::DecisionKind::CategoryProposed,
                category_code: "0301".into(),
                unit_id: None,
                confidence: Some(0.42),
                reasons: vec!["路灯".into()],
                model_version: None,
                target_case: None,
            }],
        },
    }
}

async fn imports_create_each_external_id_once_and_draw_free_tracking_numbers(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let taken = f.report(s, "已有的诉求", None).await.tracking_no;
    // More cases than one multi-row statement holds, one with a number a stored case has and
    // two sharing another.
    let mut cases: Vec<_> = (0..700).map(|i| imported(i, &format!("250101{i:08}"))).collect();
    cases[10] = imported(10, &taken);
    cases[20] = imported(20, "25010100000021");
    cases[30].case.record.co_units = vec![UNIT_B.into()];
    let now = Utc::now();
    let first = s.import_cases("old", cases.clone(), now).await.unwrap();
    assert_eq!(first, grassroots_store::ImportBatch { added: 700, already_imported: 0 });
    assert_eq!(s.count_cases().await.unwrap(), 701);
    assert_eq!((s.count_imported("old").await.unwrap(), s.count_imported("other").await.unwrap()), (700, 0));

    let mut all = Vec::new();
    let mut filter = CaseFilter { limit: 200, ..CaseFilter::default() };
    loop {
        let page = s.list_cases(&Scope::All, &filter).await.unwrap();
        all.extend(page.cases);
        match page.next_cursor {
            Some(after) => filter.after = Some(after),
            None => break,
        }
    }
    let numbers: std::collections::HashSet<&str> = all.iter().map(|c| c.record.tracking_no.as_str()).collect();
    assert_eq!(numbers.len(), 701, "every case has its own tracking number");
    let redrawn = all.iter().find(|c| c.record.description == "旧系统工单10").unwrap();
    assert_ne!(redrawn.record.tracking_no, taken);
    let events = s.case_events(redrawn.record.id).await.unwrap();
    assert_eq!(replay(&events).unwrap().unwrap(), s.case_record(redrawn.record.id).await.unwrap().unwrap());
    let record = &redrawn.record;
    assert_eq!(
        (record.state, record.lead_unit.as_deref(), record.responded_on_time),
        (CaseState::Closed, Some(UNIT_A), Some(true))
    );
    assert_eq!(redrawn.reporter.phone.as_deref(), Some("139****1111"));
    let decided = s.case_decisions(redrawn.record.id).await.unwrap();
    assert_eq!(decided.len(), 1, "the machine's decision kept with the imported case");
    assert_eq!((decided[0].decision.confidence, decided[0].made_at), (Some(0.42), record.received_at));
    let co_handled = Scope::Unit { unit: UNIT_B.into() };
    let seen_by_b = s.list_cases(&co_handled, &CaseFilter { limit: 10, ..CaseFilter::default() }).await.unwrap();
    assert!(seen_by_b.cases.iter().any(|c| c.record.description == "旧系统工单30"), "a co-handling unit sees its case");

    // Again, and again from another source: the first creates nothing, the second all.
    let again = s.import_cases("old", cases[..300].to_vec(), now).await.unwrap();
    assert_eq!(again, grassroots_store::ImportBatch { added: 0, already_imported: 300 });
    assert_eq!(s.count_cases().await.unwrap(), 701);
    let same_ids_elsewhere: Vec<_> = (0..5).map(|i| imported(i, &format!("250102{i:08}"))).collect();
    let other = s.import_cases("other", same_ids_elsewhere, now).await.unwrap();
    assert_eq!(other.added, 5);

    // The same new cases imported twice at once: each batch records their external ids under
    // a unique key within its transaction, so each case is created once.
    let before = s.count_cases().await.unwrap();
    let twice: Vec<_> = (0..100).map(|i| imported(1000 + i, &format!("250104{i:08}"))).collect();
    let (a, b) = tokio::join!(s.import_cases("race", twice.clone(), now), s.import_cases("race", twice, now));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!((a.added + b.added, a.already_imported + b.already_imported), (100, 100), "{a:?} {b:?}");
    assert_eq!(s.count_cases().await.unwrap(), before + 100);

    // Different cases imported at once with the same tracking numbers: both batches are
    // written, the later one with numbers drawn again (on PostgreSQL the two transactions run
    // side by side, and the second to write a number fails on its key and tries again).
    let clashing =
        |first: usize| -> Vec<_> { (0..50).map(|i| imported(first + i, &format!("250105{i:08}"))).collect() };
    let (a, b) =
        tokio::join!(s.import_cases("clash", clashing(2000), now), s.import_cases("clash", clashing(3000), now));
    assert_eq!((a.unwrap().added, b.unwrap().added), (50, 50));
    assert_eq!(s.count_cases().await.unwrap(), before + 200);
}

async fn indexes_set_aside_for_a_bulk_import_come_back(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let now = Utc::now();
    let aside = s.set_aside_case_indexes("import-a", now).await.unwrap();
    assert!(aside >= 19, "the queue, rate and due indexes are set aside: {aside}");
    assert_eq!(s.set_aside_case_indexes("import-a", now).await.unwrap(), 0, "nothing is left to set aside");
    assert_eq!(s.set_aside_case_indexes("import-b", now).await.unwrap(), 0, "one import at a time");

    // Meanwhile the store works as ever, only slower: imports, reports and lists.
    let cases = (0..50).map(|i| imported(i, &format!("250103{i:08}"))).collect();
    assert_eq!(s.import_cases("old", cases, now).await.unwrap().added, 50);
    f.report(s, "导入期间的新诉求", None).await;
    let listed = s.list_cases(&Scope::All, &CaseFilter { limit: 100, ..CaseFilter::default() }).await.unwrap();
    assert_eq!(listed.cases.len(), 51);

    // Another process opening the store leaves them to the import, which holds the lease.
    s.migrate().await.unwrap();
    assert_eq!(s.restore_case_indexes("server", now).await.unwrap(), 0);
    assert_eq!(s.restore_case_indexes("import-a", now).await.unwrap(), aside);
    assert_eq!(s.restore_case_indexes("import-a", now).await.unwrap(), 0, "each is built once");

    // An import that stopped before restoring them: once its lease has run out, the next
    // process to open the store builds them again.
    let stopped = now - Duration::minutes(3);
    assert_eq!(
        s.set_aside_case_indexes("import-b", stopped).await.unwrap(),
        aside,
        "all came back; the lease was let go"
    );
    assert_eq!(s.restore_case_indexes("server", stopped).await.unwrap(), 0, "not while its lease runs");
    s.migrate().await.unwrap();
    assert_eq!(s.set_aside_case_indexes("import-c", now).await.unwrap(), aside, "migrate built every index again");
    assert_eq!(s.restore_case_indexes("import-c", now).await.unwrap(), aside);

    // After the load, PostgreSQL's tables are vacuumed (their rows marked all-visible, so that
    // counts read the index alone) and analysed, the counters' table with them.
    s.gather_statistics().await.unwrap();
    if db.sqlite_path.is_none() {
        let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
        use sqlx::Row;
        let tended = sqlx::query(
            "SELECT COUNT(*) AS n FROM pg_stat_user_tables WHERE relname IN ('cases', 'case_rollups') \
             AND last_vacuum IS NOT NULL AND last_analyze IS NOT NULL",
        )
        .fetch_one(&pool)
        .await
        .unwrap()
        .try_get::<i64, _>("n")
        .unwrap();
        assert_eq!(tended, 2);
        pool.close().await;
    }
}

/// Cases with and without a point load in any order, on whichever connection. On PostgreSQL a
/// statement kept prepared keeps the parameter types of its first run, which a NULL point would
/// fix wrongly for a later point ("incorrect binary data format"), so rows with and without a
/// point go in statements of their own (`case_row_inserts`).
async fn historic_cases_with_and_without_a_point_load_in_any_order(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let start = Utc::now() - Duration::days(30);
    let before = s.count_cases().await.unwrap();
    // The first 8 without a point, then mostly with: whichever of up to 8 connections each
    // load takes, the one that took the first load without a point takes one with later.
    for i in 0..24 {
        let placed = i >= 8 && i % 4 != 0;
        let case = f.historic_at(start + Duration::hours(i), placed.then_some((39.91, 116.40)));
        s.insert_history(&[case]).await.unwrap_or_else(|e| panic!("load {i} (placed: {placed}): {e}"));
    }
    assert_eq!(s.count_cases().await.unwrap(), before + 24);
}

conformance!(
    a_scope_of_several_places_lists_each_place_merged_newest_first,
    export_walks_by_time_received_across_equal_times,
    historic_cases_with_and_without_a_point_load_in_any_order,
    personal_data_is_erased_after_its_retention_period,
    indexes_set_aside_for_a_bulk_import_come_back,
    imports_create_each_external_id_once_and_draw_free_tracking_numbers,
    region_imports_update_in_place_and_keep_former_names,
    logins_and_failed_logins_are_audited,
    commits_are_synced_to_disk,
    a_late_first_response_stays_late_after_a_reopening,
    two_cases_cannot_be_merged_into_each_other,
    sql_scopes_agree_with_the_domain_rule,
    response_rate_counts_a_case_once_its_response_is_made_or_due,
    concurrent_reports_are_each_written_once,
    a_report_sent_again_under_its_key_makes_one_case,
    a_refused_report_fails_alone,
    full_loop_writes_one_event_audit_and_outbox_row_per_move,
    an_illegal_move_is_refused_and_changes_nothing,
    scopes_hide_other_units_grids_and_regions,
    personal_data_is_masked_encrypted_and_revealed_with_audit,
    listing_filters_and_pages_by_keyset,
    concurrent_moves_on_one_case_serialise,
    deadline_marks_are_written_once_even_by_competing_workers,
    leases_go_to_one_holder_until_they_expire,
    merge_reject_reopen_and_extension,
    sessions_expire_and_end,
    random_move_sequences_replay_to_the_stored_row,
);

/// A case finished longer ago than its category's retention period loses its reporter, its
/// free text (in the row and in every event), the sealed originals and its photos, audited;
/// its facts stay for the figures.
async fn personal_data_is_erased_after_its_retention_period(db: TestDb) {
    let s = &*db.store;
    let world = Fixture::new(s).await;
    let mut lamp = world.taxonomy.get("0302").unwrap().clone();
    lamp.retention_days = 30;
    s.upsert_categories(&[lamp]).await.unwrap();
    let kept = world.report(s, "井盖松动", Some("13812345678")).await;
    let png = b"\x89PNG\r\n\x1a\n0000".to_vec();
    let new = world.report_with_photo(s, "井盖松动，请联系13922223333", png).await;
    let ctx = world.ctx(Utc::now());
    let reject = Move::Reject { reason: "重复反映，已联系13922223333".into() };
    s.apply_move(&world.dispatcher(), new.id, &reject, &ctx).await.unwrap();

    assert_eq!(s.erase_expired(Utc::now(), 100).await.unwrap(), 0, "within the period, nothing goes");
    let later = Utc::now() + Duration::days(31);
    assert_eq!(s.erase_expired(later, 100).await.unwrap(), 1, "only the finished case past its period");
    assert_eq!(s.erase_expired(later, 100).await.unwrap(), 0, "erased once");

    let all = Scope::All;
    let detail = s.case_detail(&all, new.id).await.unwrap().unwrap();
    assert!(detail.record.description.contains("erased"), "{}", detail.record.description);
    assert_eq!(
        (detail.record.state, detail.record.category_code.as_str()),
        (CaseState::Rejected, "0302"),
        "the facts stay"
    );
    assert!(detail.record.place.street_code.is_some());
    assert!(detail.reporter.phone.is_none() && detail.reporter.name.is_none());
    let events = serde_json::to_string(&detail.events.iter().map(|e| &e.kind).collect::<Vec<_>>()).unwrap();
    assert!(!events.contains("3333") && !events.contains("井盖松动"), "{events}");
    assert!(s.attachments(&all, new.id).await.unwrap().is_empty(), "the photos are gone");
    let revealed = s.reveal(&world.dispatcher(), new.id, "核实", Utc::now()).await.unwrap();
    assert_eq!((revealed.name, revealed.phone, revealed.texts.len()), (None, None, 0));
    let audit = s.audit_entries(new.id).await.unwrap();
    assert!(audit.iter().any(|a| a.action == "personal_data_erased"));
    // The case still open keeps everything.
    let open = s.reveal(&world.dispatcher(), kept.id, "核实", Utc::now()).await.unwrap();
    assert_eq!(open.phone.as_deref(), Some("13812345678"));
}
