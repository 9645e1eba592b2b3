//! Use cases as every interface calls them, on SQLite and PostgreSQL: a rule that lives here
//! holds whichever door a request comes through.

// The store's test support: both backends' databases and the `conformance!` macro.
#[path = "../../store/tests/support/mod.rs"]
mod support;

use std::sync::Arc;

use chrono::NaiveDate;
use grassroots_app::intake::{self, Report, Reporter};
use grassroots_app::reference::{self, DayChange};
use grassroots_app::{accounts, keys, AppError, Platform, Settings};
use grassroots_domain::calendar::DayKind;
use grassroots_domain::decisions::DecisionKind;
use grassroots_domain::region::parse_region_csv;
use grassroots_domain::{CaseState, Role, Scope, Taxonomy};
use grassroots_store::prelude::*;
use grassroots_store::{NewUser, Responsibility, Unit, User};

conformance!(
    guessing_passwords_is_throttled_and_reported_without_locking_out_the_owner,
    calendar_edits_from_two_servers_keep_each_other,
    every_reporter_is_dispatched_automatically_where_the_matrix_says_so,
    accounts_follow_one_set_of_rules,
    a_key_is_held_to_a_region_the_platform_serves,
    the_search_index_follows_the_store_and_forgets_what_was_erased,
    the_scan_warns_of_a_surge_and_of_a_repeated_caller_once_each,
    danger_is_texted_to_whoever_is_on_duty_in_the_street,
    the_roster_is_planned_within_its_rules,
    many_reports_of_one_matter_are_warned_of_as_a_group_complaint,
    matters_reported_at_once_are_each_warned_of_once,
    the_scan_warns_late_of_danger_whose_warning_was_not_kept,
);

const UNIT: &str = "dept-roads";

/// 东城区's regions, the taxonomy and one unit that takes 0302 (manholes) automatically.
async fn platform(db: &support::TestDb) -> Arc<Platform> {
    let store: Arc<dyn Store> = db.store.clone();
    let regions: Vec<_> = parse_region_csv(include_str!("../../../data/beijing-regions.csv"))
        .unwrap()
        .into_iter()
        .filter(|r| r.code.as_str().starts_with("110101"))
        .collect();
    store.upsert_regions(&regions).await.unwrap();
    store.upsert_categories(&Taxonomy::builtin().iter().cloned().collect::<Vec<_>>()).await.unwrap();
    let unit = Unit {
        id: UNIT.into(),
        name_zh: "东城区道路管理所".into(),
        name_en: "Roads".into(),
        kind: "department".into(),
        region_code: "110101".into(),
    };
    store.upsert_units(&[unit]).await.unwrap();
    let platform = Platform::new(store, Settings::default()).await.unwrap();
    let line = Responsibility {
        category_code: "0302".into(),
        region_code: "110101".into(),
        unit_id: UNIT.into(),
        auto_dispatch: true,
    };
    reference::save_matrix_lines(&platform, vec![line]).await.unwrap();
    platform
}

async fn staff(platform: &Platform, username: &str, role: Role, scope: &str) -> User {
    let user = NewUser {
        username: username.into(),
        display_name: username.into(),
        password_hash: "-".into(),
        role,
        scope: Scope::parse(scope).unwrap(),
    };
    platform.store.upsert_user(&user).await.unwrap()
}

async fn calendar_edits_from_two_servers_keep_each_other(db: support::TestDb) {
    let here = platform(&db).await;
    // A second server whose copy of the calendar was read before the first one's edit.
    let there = Platform::new(db.store.clone(), Settings::default()).await.unwrap();
    let day = |d: u32| NaiveDate::from_ymd_opt(2027, 1, d).unwrap();
    let holiday = |name: &str| DayChange::Set { kind: DayKind::Holiday, name: name.into() };
    reference::set_calendar_day(&here, day(4), holiday("甲")).await.unwrap();
    reference::set_calendar_day(&there, day(5), holiday("乙")).await.unwrap();
    let days: Vec<_> =
        db.store.reference().await.unwrap().calendar_days.into_iter().map(|d| (d.date, d.name)).collect();
    assert_eq!(days, [(day(4), "甲".to_string()), (day(5), "乙".to_string())]);
    reference::set_calendar_day(&there, day(4), DayChange::Remove).await.unwrap();
    assert_eq!(db.store.reference().await.unwrap().calendar_days.len(), 1);
    let err = reference::set_calendar_day(&here, day(6), holiday("")).await.unwrap_err();
    assert_eq!(err.field(), Some("name"));
}

async fn every_reporter_is_dispatched_automatically_where_the_matrix_says_so(db: support::TestDb) {
    let platform = platform(&db).await;
    let operator = staff(&platform, "operator", Role::Operator, "region:110101").await;
    let issued =
        keys::issue(&platform, keys::KeyRequest { name: "外部系统".into(), ..Default::default() }).await.unwrap();
    // Each at another building: three matters, none the repeat of another.
    let report = |category: &str, building: usize| Report {
        description: format!("{building}号楼门口井盖缺失"),
        category_code: Some(category.into()),
        address: Some("东华门街道".into()),
        ..Report::default()
    };
    let reporters = [Reporter::Resident, Reporter::Staff(&operator), Reporter::System(&issued.key)];
    let mut first = None;
    for (building, reporter) in reporters.into_iter().enumerate() {
        let created = intake::submit(&platform, reporter, report("0302", building)).await.unwrap();
        assert_eq!(created.status, CaseState::Dispatched, "{reporter:?}");
        first = first.or(Some(created.id));
        let record = platform.store.case_record(created.id).await.unwrap().unwrap();
        assert_eq!(record.lead_unit.as_deref(), Some(UNIT));
        // Another category waits for a dispatcher.
        let created = intake::submit(&platform, reporter, report("0301", building + 10)).await.unwrap();
        assert_eq!(created.status, CaseState::Received, "{reporter:?}");
    }
    // The same manhole again: a likely repeat waits for a dispatcher to merge it, and the
    // suggestion is kept with the case.
    let again =
        Report { description: "0号楼门口的井盖没了，晚上容易掉下去".into(), ..report("0302", 0) };
    let repeat = intake::submit(&platform, Reporter::Resident, again).await.unwrap();
    assert_eq!(repeat.status, CaseState::Received, "not dispatched a second time");
    let decisions = platform.store.case_decisions(repeat.id).await.unwrap();
    let kinds: Vec<_> = decisions.iter().map(|d| (d.decision.kind, d.decision.target_case)).collect();
    assert_eq!(kinds, [(DecisionKind::MergeSuggested, first)], "{decisions:?}");
    // A handler takes in nothing: refused before anything is stored.
    let handler = staff(&platform, "handler", Role::Handler, &format!("unit:{UNIT}")).await;
    let before = platform.store.count_cases().await.unwrap();
    let refused = intake::submit(&platform, Reporter::Staff(&handler), report("0302", 9)).await.unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "{refused:?}");
    assert_eq!(platform.store.count_cases().await.unwrap(), before);
}

async fn accounts_follow_one_set_of_rules(db: support::TestDb) {
    let platform = platform(&db).await;
    let form = |username: &str, role: &str, scope: &str, password: Option<&str>| accounts::AccountForm {
        username: username.into(),
        role: role.into(),
        scope: scope.into(),
        password: password.map(str::to_string),
        ..Default::default()
    };
    let refused = |e: AppError| e.field().unwrap_or_default().to_string();
    let bad = [
        (form("A", "operator", "all", Some("longenough")), "username"),
        (form("wang", "mayor", "all", Some("longenough")), "role"),
        (form("wang", "handler", "region:110101", Some("longenough")), "scope"),
        (form("wang", "operator", "region:1101x", Some("longenough")), "scope"),
        (form("wang", "operator", "all", Some("short")), "password"),
        (form("wang", "operator", "all", None), "password"),
    ];
    for (f, field) in bad {
        assert_eq!(refused(accounts::save(&platform, None, f).await.unwrap_err()), field);
    }
    assert!(platform.store.user_by_username("wang").await.unwrap().is_none(), "nothing refused is kept");
    let saved = accounts::save(&platform, None, form("wang", "operator", "all", Some("longenough"))).await.unwrap();
    assert_eq!((saved.display_name.as_str(), saved.role), ("wang", Role::Operator));
    // An existing account keeps its password when none is given, and may log in with it.
    accounts::save(&platform, None, form("wang", "dispatcher", "region:110101", None)).await.unwrap();
    let here = std::net::IpAddr::from([10, 0, 0, 1]);
    let session = accounts::log_in(&platform, "wang", "longenough", here).await.unwrap().expect("the password is kept");
    assert_eq!(session.user.role, Role::Dispatcher);
    assert!(accounts::log_in(&platform, "wang", "wrong-password", here).await.unwrap().is_none());
    // Nobody disables their own account.
    let own = accounts::AccountForm { disabled: Some(true), ..form("wang", "dispatcher", "region:110101", None) };
    assert_eq!(refused(accounts::save(&platform, Some(&session.user), own).await.unwrap_err()), "state");
    // A mobile for warnings on duty: checked, kept masked, forgotten when blank.
    let phoned = |phone: &str| accounts::AccountForm {
        phone: Some(phone.into()),
        ..form("wang", "dispatcher", "region:110101", None)
    };
    assert_eq!(refused(accounts::save(&platform, None, phoned("010-12345678")).await.unwrap_err()), "phone");
    let masked = || async {
        let accounts = platform.store.users().await.unwrap();
        accounts.into_iter().find(|a| a.user.username == "wang").and_then(|a| a.phone_masked)
    };
    assert_eq!(masked().await, None, "nothing refused is kept");
    accounts::save(&platform, None, phoned("+86 137 0000 1234")).await.unwrap();
    assert_eq!(masked().await.as_deref(), Some("137****1234"));
    accounts::save(&platform, None, form("wang", "dispatcher", "region:110101", None)).await.unwrap();
    assert_eq!(masked().await.as_deref(), Some("137****1234"), "kept when not given");
    accounts::save(&platform, None, phoned(" ")).await.unwrap();
    assert_eq!(masked().await, None, "forgotten when blank");
}

async fn guessing_passwords_is_throttled_and_reported_without_locking_out_the_owner(db: support::TestDb) {
    let platform = platform(&db).await;
    let form = accounts::AccountForm {
        username: "li".into(),
        role: "dispatcher".into(),
        scope: "all".into(),
        password: Some("the-real-one".into()),
        ..Default::default()
    };
    accounts::save(&platform, None, form).await.unwrap();
    let office = std::net::IpAddr::from([10, 0, 0, 7]);
    assert!(accounts::log_in(&platform, "li", "the-real-one", office).await.unwrap().is_some());
    // A guesser at one address: five free tries, then made to wait without a check.
    let guesser = std::net::IpAddr::from([203, 0, 113, 5]);
    for _ in 0..5 {
        assert!(accounts::log_in(&platform, "li", "guess", guesser).await.unwrap().is_none());
    }
    let waited = accounts::log_in(&platform, "li", "the-real-one", guesser).await.unwrap_err();
    assert!(matches!(waited, AppError::TooManyAttempts { retry_after_secs: 1.. }), "{waited}");
    // Guessers at many addresses: the account is throttled for strangers, its owner still
    // logs in from the office, and administrators see the burst.
    for i in 0..10u8 {
        let _ = accounts::log_in(&platform, "li", "guess", std::net::IpAddr::from([198, 51, 100, i])).await;
    }
    let stranger = std::net::IpAddr::from([192, 0, 2, 44]);
    let refused = accounts::log_in(&platform, "li", "guess", stranger).await.unwrap_err();
    assert!(matches!(refused, AppError::TooManyAttempts { retry_after_secs: 1..=60 }), "{refused}");
    assert!(accounts::log_in(&platform, "li", "the-real-one", office).await.unwrap().is_some());
    let audit = platform.store.recent_audit(100).await.unwrap();
    let bursts: Vec<_> = audit.iter().filter(|a| a.action == "login_burst").collect();
    assert_eq!(bursts.len(), 1, "one alert for the burst");
    assert_eq!(bursts[0].detail["username"], "li");
    let failed = audit.iter().filter(|a| a.action == "login_failed").count();
    assert_eq!(failed, 10, "every checked failure is audited (five from the guesser, five before the account was throttled), none of the refused ones");
    assert!(audit.iter().any(|a| a.action == "login_failed" && a.detail["address"] == "203.0.113.5"));
}

async fn a_key_is_held_to_a_region_the_platform_serves(db: support::TestDb) {
    let platform = platform(&db).await;
    let request = |region: &str| keys::KeyRequest { name: "k".into(), read_only: false, region: Some(region.into()) };
    for served in ["110101001", "110101", "11"] {
        keys::issue(&platform, request(served)).await.unwrap_or_else(|e| panic!("{served}: {e}"));
    }
    for elsewhere in ["110102", "120101", "x"] {
        let e = keys::issue(&platform, request(elsewhere)).await.unwrap_err();
        assert_eq!(e.field(), Some("region"), "{elsewhere}");
    }
    let refused = keys::issue(&platform, keys::KeyRequest::default()).await.unwrap_err();
    assert_eq!(refused.field(), Some("name"));
}

async fn the_search_index_follows_the_store_and_forgets_what_was_erased(db: support::TestDb) {
    use grassroots_app::search::{self, Asked, Follower, Search};
    let platform = platform(&db).await;
    let dir = tempfile::tempdir().unwrap();
    let index = search::open(&platform, dir.path()).await.unwrap();
    let dispatcher = staff(&platform, "dispatcher", Role::Dispatcher, "region:110101").await;
    let leak = Report {
        description: "3号楼502室楼上卫生间漏水，天花板都泡了".into(),
        category_code: Some("0301".into()),
        address: Some("东华门街道".into()),
        ..Report::default()
    };
    let created = intake::submit(&platform, Reporter::Resident, leak).await.unwrap();
    let mut follower = Follower::default();
    let step = follower.step(&platform, &index).await.unwrap();
    assert_eq!(step.cases, 1, "a new index is built from the store");
    let find = |platform: &Platform| {
        let asked = Asked { text: "天花板".into(), ..Asked::default() };
        let search = Search::check(platform, &asked).unwrap();
        search::search(platform, &dispatcher, &search).unwrap().found.hits.iter().map(|h| h.id).collect::<Vec<_>>()
    };
    assert_eq!(find(&platform), [created.id]);
    // A second process on the machine reads the index the first one writes.
    let other = Platform::new(db.store.clone(), Settings::default()).await.unwrap();
    let reader = search::open(&other, dir.path()).await.unwrap();
    assert!(!reader.writes());
    assert_eq!(find(&other), [created.id]);
    // Changes written just before a rebuild are read once more (one may have been committed
    // while it read), then never again.
    follower.step(&platform, &index).await.unwrap();
    assert_eq!(follower.step(&platform, &index).await.unwrap().cases, 0, "nothing new: nothing indexed again");

    platform
        .store
        .erase_at_request(&grassroots_domain::Actor::System, created.id, "本人申请删除", chrono::Utc::now())
        .await
        .unwrap();
    follower.step(&platform, &index).await.unwrap();
    assert!(find(&platform).is_empty(), "the erased words are gone from the index too");
    Follower::default().step(&other, &reader).await.unwrap();
    assert!(find(&other).is_empty(), "and from the reader's, once it takes up the commit");
    assert_eq!(search::rebuild(&platform, &index).await.unwrap(), 1);
}

async fn the_scan_warns_of_a_surge_and_of_a_repeated_caller_once_each(db: support::TestDb) {
    use grassroots_app::warnings;
    use grassroots_domain::warnings::{WarningKind, WarningState};
    let platform = platform(&db).await;
    // Five reports of street lamps in one community today, none in the four weeks before.
    for building in 1..=5 {
        let report = Report {
            description: format!("{building}号楼前的路灯不亮"),
            category_code: Some("0101".into()),
            address: Some("东华门街道多福巷社区".into()),
            reporter_phone: (building <= 3).then(|| "13900001111".to_string()),
            ..Report::default()
        };
        intake::submit(&platform, Reporter::Resident, report).await.unwrap();
    }
    let now = chrono::Utc::now() + chrono::Duration::minutes(1);
    let scanned = warnings::scan(&platform, now).await.unwrap();
    assert_eq!((scanned.surges, scanned.callers, scanned.reopened), (1, 1, 0));
    assert_eq!(warnings::scan(&platform, now).await.unwrap(), warnings::Scanned::default(), "each raised once");
    let dispatcher = staff(&platform, "dispatcher", Role::Dispatcher, "region:110101001").await;
    let found = warnings::list(&platform, &dispatcher, &[WarningState::New]).await.unwrap();
    let surge = found.iter().find(|w| w.kind == WarningKind::Surge).expect("a surge");
    assert_eq!((surge.count, surge.baseline), (Some(5), Some(0.0)));
    assert_eq!(surge.community_code.as_deref(), Some("110101001001"));
    let caller = found.iter().find(|w| w.kind == WarningKind::RepeatedCaller).expect("a repeated caller");
    assert_eq!((caller.count, caller.words.len()), (Some(3), 3));
    let elsewhere = staff(&platform, "other-street", Role::Dispatcher, "region:110101002").await;
    assert!(warnings::list(&platform, &elsewhere, &[]).await.unwrap().is_empty());
}

/// Who was texted about danger in a case: their masked mobiles, sorted.
async fn texted_staff(platform: &Platform, case: uuid::Uuid) -> Vec<String> {
    use grassroots_store::messages::Recipient;
    let messages = platform.store.messages(Some(case), 20).await.unwrap();
    let mut to: Vec<String> = messages
        .into_iter()
        .filter(|m| m.recipient == Recipient::Staff)
        .map(|m| m.phone_masked.unwrap_or_default())
        .collect();
    to.sort();
    to
}

async fn with_phone(platform: &Platform, username: &str, role: Role, scope: &str, phone: &str) -> User {
    let user = staff(platform, username, role, scope).await;
    platform.store.set_user_phone(username, Some(phone)).await.unwrap();
    user
}

fn dangerous(description: &str) -> Report {
    Report {
        description: description.into(),
        category_code: Some("0301".into()),
        address: Some("东华门街道多福巷社区".into()),
        ..Report::default()
    }
}

async fn danger_is_texted_to_whoever_is_on_duty_in_the_street(db: support::TestDb) {
    use grassroots_app::duty::{self, ShiftForm};
    let platform = platform(&db).await;
    let planner = staff(&platform, "planner", Role::Supervisor, "region:110101").await;
    with_phone(&platform, "own-a", Role::Dispatcher, "region:110101001", "13700000001").await;
    with_phone(&platform, "own-b", Role::Dispatcher, "region:110101001001", "13700000002").await;
    with_phone(&platform, "district", Role::Dispatcher, "region:110101", "13700000003").await;
    with_phone(&platform, "next-street", Role::Dispatcher, "region:110101002", "13700000004").await;
    staff(&platform, "phoneless", Role::Dispatcher, "region:110101001").await;

    // Nobody on the roster: the street's own dispatchers with a mobile, not the district's.
    let first = intake::submit(&platform, Reporter::Resident, dangerous("楼上邻居说不想活了要跳楼")).await.unwrap();
    assert_eq!(texted_staff(&platform, first.id).await, ["137****0001", "137****0002"]);

    // With the district's dispatcher on duty, only they are texted.
    let now = chrono::Utc::now();
    let at = |hours: i64| (now + chrono::Duration::hours(hours)).to_rfc3339();
    let shift =
        ShiftForm { street: "110101001".into(), username: "district".into(), starts_at: at(-1), ends_at: at(8) };
    duty::plan(&platform, &planner, shift).await.unwrap();
    let second = intake::submit(&platform, Reporter::Resident, dangerous("闻到很重的煤气味")).await.unwrap();
    assert_eq!(texted_staff(&platform, second.id).await, ["137****0003"]);
    let record = platform.store.case_record(second.id).await.unwrap().unwrap();
    assert_eq!(record.priority, grassroots_domain::Priority::Urgent);

    // On duty without a mobile is no one reached: the street's own are texted instead.
    let night =
        ShiftForm { street: "110101001".into(), username: "phoneless".into(), starts_at: at(-1), ends_at: at(8) };
    let shifts = duty::roster(&platform, &planner, now, now + chrono::Duration::hours(1)).await.unwrap();
    duty::cancel(&platform, &planner, shifts[0].id).await.unwrap();
    duty::plan(&platform, &planner, night).await.unwrap();
    let third = intake::submit(&platform, Reporter::Resident, dangerous("有人在楼道里持刀")).await.unwrap();
    assert_eq!(texted_staff(&platform, third.id).await, ["137****0001", "137****0002"]);

    // A report without danger texts nobody.
    let calm = intake::submit(&platform, Reporter::Resident, dangerous("小区门口井盖松动")).await.unwrap();
    assert!(texted_staff(&platform, calm.id).await.is_empty());
}

async fn the_roster_is_planned_within_its_rules(db: support::TestDb) {
    use grassroots_app::duty::{self, ShiftForm};
    let platform = platform(&db).await;
    let planner = staff(&platform, "planner", Role::Supervisor, "region:110101001").await;
    let dispatcher = staff(&platform, "own", Role::Dispatcher, "region:110101001").await;
    staff(&platform, "next-street", Role::Dispatcher, "region:110101002").await;
    staff(&platform, "leader", Role::Leader, "region:110101").await;
    let form = |street: &str, username: &str, starts_at: &str, ends_at: &str| ShiftForm {
        street: street.into(),
        username: username.into(),
        starts_at: starts_at.into(),
        ends_at: ends_at.into(),
    };
    let tomorrow =
        (chrono::Utc::now() + chrono::Duration::days(1)).with_timezone(&grassroots_domain::calendar::beijing());
    let (from, to) = (tomorrow.format("%Y-%m-%dT08:00").to_string(), tomorrow.format("%Y-%m-%dT20:00").to_string());
    let refused = |e: AppError| e.field().unwrap_or_default().to_string();
    let bad = [
        (form("110101002", "next-street", &from, &to), "street"),
        (form("110101001", "next-street", &from, &to), "user"),
        (form("110101001", "leader", &from, &to), "user"),
        (form("110101001", "nobody", &from, &to), "user"),
        (form("110101001", "own", "明天早上", &to), "starts_at"),
        (form("110101001", "own", &to, &from), "ends_at"),
        (form("1101", "own", &from, &to), "street"),
    ];
    for (f, field) in bad {
        assert_eq!(refused(duty::plan(&platform, &planner, f).await.unwrap_err()), field);
    }
    let refused = duty::plan(&platform, &dispatcher, form("110101001", "own", &from, &to)).await.unwrap_err();
    assert!(matches!(refused, AppError::Forbidden(_)), "a dispatcher does not plan: {refused:?}");
    let now = chrono::Utc::now();
    let week = now + chrono::Duration::days(7);
    assert!(duty::roster(&platform, &planner, now, week).await.unwrap().is_empty(), "nothing refused is kept");

    let shift = duty::plan(&platform, &planner, form("110101001", "own", &from, &to)).await.unwrap();
    assert_eq!(shift.ends_at - shift.starts_at, chrono::Duration::hours(12), "Beijing wall-clock times");
    assert_eq!(duty::roster(&platform, &dispatcher, now, week).await.unwrap().len(), 1, "read by who works there");
    let elsewhere = staff(&platform, "elsewhere", Role::Supervisor, "region:110101002").await;
    assert!(duty::roster(&platform, &elsewhere, now, week).await.unwrap().is_empty());
    assert!(matches!(duty::cancel(&platform, &elsewhere, shift.id).await, Err(AppError::NotFound)));
    let names: Vec<_> =
        duty::candidates(&platform, &planner).await.unwrap().into_iter().map(|a| a.user.username).collect();
    assert_eq!(names, ["own", "planner"], "dispatchers and supervisors who share the planner's street");
    duty::cancel(&platform, &planner, shift.id).await.unwrap();
    assert!(duty::roster(&platform, &planner, now, week).await.unwrap().is_empty());
}

async fn many_reports_of_one_matter_are_warned_of_as_a_group_complaint(db: support::TestDb) {
    use grassroots_app::warnings;
    use grassroots_domain::warnings::{WarningKind, WarningState};
    let platform = platform(&db).await;
    let dispatcher = staff(&platform, "dispatcher", Role::Dispatcher, "region:110101001").await;
    // Raised after each report is answered.
    let groups = || async {
        platform.settled().await;
        let found = warnings::list(&platform, &dispatcher, &[WarningState::New]).await.unwrap();
        found.into_iter().filter(|w| w.kind == WarningKind::Group).collect::<Vec<_>>()
    };
    let report = |description: &str, phone: &str| Report {
        description: description.into(),
        category_code: Some("0301".into()),
        address: Some("东华门街道多福巷社区".into()),
        reporter_phone: Some(phone.into()),
        ..Report::default()
    };
    let first = intake::submit(&platform, Reporter::Resident, report("多福巷3号楼前的路灯不亮了", "13900000001"))
        .await
        .unwrap();
    intake::submit(&platform, Reporter::Resident, report("多福巷3号楼前路灯坏了，晚上很黑", "13900000002"))
        .await
        .unwrap();
    assert!(groups().await.is_empty(), "two reports are a repeat, not yet a group");
    // A copy-paste from a third caller makes it one.
    let third = intake::submit(&platform, Reporter::Resident, report("多福巷3号楼前的路灯不亮了", "13900000003"))
        .await
        .unwrap();
    let found = groups().await;
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!((found[0].case_id, found[0].count), (Some(first.id), Some(3)));
    assert_eq!(found[0].words.first(), Some(&first.tracking_no));
    assert!(found[0].words.contains(&third.tracking_no));
    intake::submit(&platform, Reporter::Resident, report("多福巷3号楼前的路灯还是不亮", "13900000004")).await.unwrap();
    assert_eq!(groups().await.len(), 1, "one warning per matter");
    let elsewhere = staff(&platform, "elsewhere", Role::Dispatcher, "region:110101002").await;
    assert!(warnings::list(&platform, &elsewhere, &[]).await.unwrap().is_empty());
}

/// Reports of several matters arriving together: their warnings are written together, and
/// each matter still gets one, naming its first report.
async fn matters_reported_at_once_are_each_warned_of_once(db: support::TestDb) {
    use grassroots_app::warnings;
    use grassroots_domain::warnings::{WarningKind, WarningState};
    let platform = platform(&db).await;
    let dispatcher = staff(&platform, "dispatcher", Role::Dispatcher, "region:110101001").await;
    let report = |community: &str, n: u32| Report {
        description: format!("{community}3号楼前的路灯不亮了"),
        category_code: Some("0301".into()),
        address: Some(format!("东华门街道{community}社区")),
        reporter_phone: Some(format!("139{n:08}")),
        ..Report::default()
    };
    let communities = ["多福巷", "银闸", "东厂"];
    let mut firsts = Vec::new();
    for (i, community) in communities.iter().enumerate() {
        let first = intake::submit(&platform, Reporter::Resident, report(community, i as u32 * 10)).await.unwrap();
        intake::submit(&platform, Reporter::Resident, report(community, i as u32 * 10 + 1)).await.unwrap();
        firsts.push(first.id);
    }
    let mut together = tokio::task::JoinSet::new();
    for (i, community) in communities.iter().enumerate() {
        for n in 2..6 {
            let (platform, report) = (platform.clone(), report(community, i as u32 * 10 + n));
            together.spawn(async move { intake::submit(&platform, Reporter::Resident, report).await.map(|c| c.id) });
        }
    }
    while let Some(done) = together.join_next().await {
        done.unwrap().unwrap();
    }
    platform.settled().await;
    let found = warnings::list(&platform, &dispatcher, &[WarningState::New]).await.unwrap();
    let mut warned: Vec<_> =
        found.iter().filter(|w| w.kind == WarningKind::Group).map(|w| w.case_id.unwrap()).collect();
    warned.sort();
    firsts.sort();
    assert_eq!(warned, firsts, "one warning per matter, at its first report: {found:?}");
}

async fn the_scan_warns_late_of_danger_whose_warning_was_not_kept(db: support::TestDb) {
    use grassroots_app::warnings;
    use grassroots_domain::warnings::WarningKind;
    use grassroots_domain::{Actor, Channel, Priority, RequestType};
    let platform = platform(&db).await;
    with_phone(&platform, "own", Role::Dispatcher, "region:110101001", "13700000001").await;
    // Urgent cases kept without their warning, as when its write failed after the case's.
    let reference = platform.reference();
    let category = reference.taxonomy.get("0301").unwrap();
    let now = chrono::Utc::now();
    let urgent = |description: &str| {
        let due = grassroots_domain::calendar::deadlines(&reference.calendar, category, Priority::Urgent, now);
        grassroots_store::NewCase {
            category_code: "0301".into(),
            request_type: RequestType::Complaint,
            priority: Priority::Urgent,
            channel: Channel::Web,
            description: description.into(),
            place: grassroots_domain::case::Place {
                district_code: Some("110101".into()),
                street_code: Some("110101001".into()),
                community_code: Some("110101001001".into()),
                ..Default::default()
            },
            reporter_name: None,
            reporter_phone: None,
            anonymous: true,
            notify_reporter: false,
            response_due: due.response_due,
            resolve_due: due.resolve_due,
            received_at: now,
            attachments: vec![],
            decisions: vec![],
            then: None,
            key: None,
        }
    };
    let missed = platform.store.create_case(urgent("楼道里一股煤气味"), &Actor::Resident).await.unwrap();
    let calm = platform.store.create_case(urgent("路灯倒了挡住路"), &Actor::Resident).await.unwrap();
    let scanned = warnings::scan(&platform, now + chrono::Duration::minutes(1)).await.unwrap();
    assert_eq!(scanned.dangers, 1, "the one with words of danger, not the one urgent for another reason");
    let dispatcher = staff(&platform, "dispatcher", Role::Dispatcher, "region:110101001").await;
    let found = warnings::list(&platform, &dispatcher, &[]).await.unwrap();
    let danger: Vec<_> = found.iter().filter(|w| w.kind == WarningKind::Danger).collect();
    assert_eq!(danger.len(), 1);
    assert_eq!((danger[0].case_id, danger[0].words.clone()), (Some(missed.id), vec!["煤气味".to_string()]));
    assert_eq!(texted_staff(&platform, missed.id).await, ["137****0001"], "texted late rather than never");
    assert!(texted_staff(&platform, calm.id).await.is_empty());
    let again = warnings::scan(&platform, now + chrono::Duration::minutes(2)).await.unwrap();
    assert_eq!(again.dangers, 0, "once");
}
