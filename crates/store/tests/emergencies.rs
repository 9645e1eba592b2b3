//! 应急管理 on every backend: an incident over grids with its plan's tasks; grid workers
//! checking households at once, each of their own grids only, the progress equal to what was
//! set; a household needing help one task however often it is found so; notices texted to the
//! area's grid workers and subscribed residents, none to residents in a drill, counted as the
//! gateway sends them; shelters never past capacity and supplies never below nothing under
//! concurrent changes; closing once, with the summary.

mod support;

use chrono::Utc;
use grassroots_domain::emergencies::{Assignee, HouseholdStatus, IncidentKind, PlannedTask, Severity, SummaryLine};
use grassroots_domain::residents::Mobile;
use grassroots_domain::{Actor, Role, Scope};
use grassroots_store::emergencies::NewIncident;
use grassroots_store::messages::MessageOutcome;
use grassroots_store::prelude::*;
use grassroots_store::{NewUser, StoreError};
use support::*;

const COMMUNITY: &str = "110101001001";
const SECOND_GRID: &str = "110101001001002";

async fn worker(s: &dyn Store, username: &str, grid: &str, phone: Option<&str>) -> Actor {
    let user = s
        .upsert_user(&NewUser {
            username: username.into(),
            display_name: username.into(),
            password_hash: "x".into(),
            role: Role::GridWorker,
            scope: Scope::parse(&format!("grid:{grid}")).unwrap(),
        })
        .await
        .unwrap();
    s.set_user_phone(username, phone).await.unwrap();
    user.actor()
}

fn incident(drill: bool) -> NewIncident {
    NewIncident {
        district_code: "110101".into(),
        kind: IncidentKind::Flood,
        severity: Severity::II,
        title: "强降雨".into(),
        drill,
        grids: vec![GRID.into(), SECOND_GRID.into()],
        polygon: None,
        tasks: vec![
            PlannedTask { assignee: Assignee::GridWorkers, unit_id: None, title: "逐户排查低洼院落".into() },
            PlannedTask {
                assignee: Assignee::StreetOffice,
                unit_id: Some(UNIT_A.into()),
                title: "组织转移安置".into(),
            },
        ],
    }
}

async fn setup(s: &dyn Store) -> Vec<grassroots_store::Household> {
    s.replace_grids(&[COMMUNITY.into()], &[grid(GRID, 116.40), grid(SECOND_GRID, 116.41)]).await.unwrap();
    let labels: Vec<String> = (1..=6).map(|n| format!("{n}号院")).collect();
    s.add_households(GRID, &labels).await.unwrap();
    s.add_households(SECOND_GRID, &labels[..4]).await.unwrap();
    let mut all = s.households(GRID).await.unwrap();
    all.extend(s.households(SECOND_GRID).await.unwrap());
    all
}

async fn grid_workers_check_at_once_and_the_progress_adds_up(db: TestDb) {
    let s = db.store.clone();
    let households = setup(&*s).await;
    let commander = staff(Role::Supervisor, Scope::parse("region:110101").unwrap());
    let elsewhere = staff(Role::Supervisor, Scope::parse("region:110101002").unwrap());
    assert!(matches!(s.open_incident(&elsewhere, &incident(false), Utc::now()).await, Err(StoreError::NotFound)));
    let opened = s.open_incident(&commander, &incident(false), Utc::now()).await.unwrap();
    assert_eq!((opened.grids.len(), opened.active), (2, true));
    let planned = s.incident_tasks(opened.id).await.unwrap();
    assert_eq!(planned.len(), 2, "the plan's tasks");
    assert!(planned.iter().any(|t| t.unit_id.as_deref() == Some(UNIT_A)), "a task for its unit");

    let first = worker(&*s, "wg-1", GRID, None).await;
    let second = worker(&*s, "wg-2", SECOND_GRID, None).await;
    // Each household of the area by the worker of its grid, all at once; one twice, needing help.
    let tasks = households
        .iter()
        .enumerate()
        .map(|(n, h)| {
            let (s, by) = (s.clone(), if h.grid_code == GRID { first.clone() } else { second.clone() });
            let status = if n == 0 { HouseholdStatus::NeedsHelp } else { HouseholdStatus::Safe };
            let id = (opened.id, h.id);
            tokio::spawn(async move {
                s.check_household(&by, id.0, id.1, status, Some("老人行动不便"), Utc::now()).await
            })
        })
        .collect();
    let checked = futures_join(tasks).await;
    assert!(checked.iter().all(Result::is_ok), "{checked:?}");
    s.check_household(&first, opened.id, households[0].id, HouseholdStatus::NeedsHelp, None, Utc::now()).await.unwrap();
    let progress = s.incident_progress(opened.id).await.unwrap();
    let of = |grid: &str| progress.iter().find(|p| p.grid_code == grid).unwrap().progress;
    assert_eq!((of(GRID).households, of(GRID).checked(), of(GRID).needs_help), (6, 6, 1));
    assert_eq!((of(SECOND_GRID).households, of(SECOND_GRID).safe), (4, 4));
    let help: Vec<_> =
        s.incident_tasks(opened.id).await.unwrap().into_iter().filter(|t| t.household_id.is_some()).collect();
    assert_eq!(help.len(), 1, "one task for the household, however often it is found needing help");
    assert!(help[0].title.contains("1号院"));

    // A worker checks only their own grid's households; nobody checks a closed incident.
    let other = s.check_household(&first, opened.id, households[7].id, HouseholdStatus::Safe, None, Utc::now()).await;
    assert!(matches!(other, Err(StoreError::NotFound)));
    let done = s.complete_task(&first, opened.id, help[0].id, Some("已送医"), Utc::now()).await.unwrap();
    assert!(done.done);
    let twice = s.complete_task(&first, opened.id, help[0].id, None, Utc::now()).await;
    assert!(matches!(twice, Err(StoreError::Invalid(e)) if e.field == "task"));
    let summary = vec![SummaryLine { zh: "总结".into(), en: "summary".into() }];
    let closed = s.close_incident(&commander, opened.id, &summary, Utc::now()).await.unwrap();
    assert_eq!((closed.active, closed.summary.clone()), (false, summary.clone()));
    assert!(
        matches!(s.close_incident(&commander, opened.id, &summary, Utc::now()).await, Err(StoreError::Invalid(e)) if e.field == "incident")
    );
    let late = s.check_household(&first, opened.id, households[1].id, HouseholdStatus::Safe, None, Utc::now()).await;
    assert!(matches!(late, Err(StoreError::Invalid(e)) if e.field == "incident"));
    assert!(s.incident_log(opened.id).await.unwrap().len() >= 4, "opened, help found, task done, closed");
}

async fn notices_reach_the_area_and_a_drill_texts_no_resident(db: TestDb) {
    let s = &*db.store;
    setup(s).await;
    s.replace_grids(&["110101002001".into()], &[grid("110101002001001", 116.45)]).await.unwrap();
    let commander = staff(Role::Supervisor, Scope::parse("region:110101").unwrap());
    worker(s, "wg-1", GRID, Some("13900000001")).await;
    worker(s, "wg-2", SECOND_GRID, None).await;
    worker(s, "wg-far", "110101002001001", Some("13900000003")).await;
    // Two residents of the area, one subscribed; and a subscribed one elsewhere.
    let mut subscribed = Vec::new();
    for (phone, grid, subscribes) in
        [("13800138001", GRID, true), ("13800138002", SECOND_GRID, false), ("13800138003", "110101002001001", true)]
    {
        let r = resident(s, phone).await;
        let wangge = staff(Role::GridWorker, Scope::parse(&format!("grid:{grid}")).unwrap());
        s.link_resident(&wangge, &Mobile::parse(phone).unwrap(), grid, "1号院", Utc::now()).await.unwrap();
        s.set_alert_subscription(r.id, subscribes, Utc::now()).await.unwrap();
        if subscribes {
            subscribed.push(r.id);
        }
    }
    assert!(s.alert_subscribed(subscribed[0]).await.unwrap());

    let real = s.open_incident(&commander, &incident(false), Utc::now()).await.unwrap();
    let notice = s.send_notice(&commander, real.id, "请低洼院落居民立即转移", Utc::now()).await.unwrap();
    assert_eq!((notice.to_staff, notice.to_residents, notice.pending), (2, 1, 3), "{notice:?}");
    let drill = s.open_incident(&commander, &incident(true), Utc::now()).await.unwrap();
    let drilled = s.send_notice(&commander, drill.id, "演练：请网格员到岗", Utc::now()).await.unwrap();
    assert_eq!((drilled.to_staff, drilled.to_residents), (2, 0), "a drill texts no resident");

    // The gateway's round: those with a phone are sent, the one without given up.
    let due = s.due_alerts(Utc::now(), 100).await.unwrap();
    assert_eq!(due.len(), 5);
    for alert in &due {
        let outcome = match &alert.phone {
            Some(_) => MessageOutcome::Sent { provider: "sink".into(), status: None, body: alert.text.clone() },
            None => MessageOutcome::Failed {
                provider: "sink".into(),
                status: None,
                error: "no phone".into(),
                body: None,
                retry_at: None,
            },
        };
        s.record_alert_attempt(alert, &outcome, Utc::now()).await.unwrap();
    }
    assert!(due.iter().any(|a| a.phone.as_deref() == Some("13800138001")), "the subscribed resident's phone opens");
    assert!(due.iter().filter(|a| a.incident_id == drill.id).all(|a| a.drill));
    let counted = s.notices(real.id).await.unwrap();
    assert_eq!((counted[0].sent, counted[0].failed, counted[0].pending), (2, 1, 0));
    assert!(s.due_alerts(Utc::now(), 100).await.unwrap().is_empty(), "each text once");
}

async fn shelters_and_supplies_stay_within_bounds_under_concurrent_changes(db: TestDb) {
    let s = db.store.clone();
    setup(&*s).await;
    let commander = staff(Role::Supervisor, Scope::parse("region:110101").unwrap());
    let opened = s.open_incident(&commander, &incident(false), Utc::now()).await.unwrap();
    let shelter = s.add_shelter(&commander, opened.id, "东华门小学", "东华门大街1号", 100, Utc::now()).await.unwrap();
    s.set_occupancy(&commander, opened.id, shelter.id, 80, Utc::now()).await.unwrap();
    let over = s.set_occupancy(&commander, opened.id, shelter.id, 101, Utc::now()).await;
    assert!(matches!(over, Err(StoreError::Invalid(e)) if e.field == "occupancy"));
    let after = s.set_occupancy(&commander, opened.id, shelter.id, 30, Utc::now()).await.unwrap();
    assert_eq!((after.occupancy, after.peak), (30, 80), "the peak is kept");

    let water = s.add_supply(&commander, opened.id, "矿泉水", "箱", 10, Utc::now()).await.unwrap();
    let again = s.add_supply(&commander, opened.id, "矿泉水", "箱", 5, Utc::now()).await;
    assert!(matches!(again, Err(StoreError::Invalid(e)) if e.field == "item"));
    let tasks = (0..10)
        .map(|_| {
            let (s, by) = (s.clone(), commander.clone());
            tokio::spawn(async move { s.change_supply(&by, opened.id, water.id, -4, Utc::now()).await })
        })
        .collect();
    let taken = futures_join(tasks).await;
    assert_eq!(taken.iter().filter(|r| r.is_ok()).count(), 2, "{taken:?}");
    assert!(taken
        .iter()
        .filter_map(|r| r.as_ref().err())
        .all(|e| matches!(e, StoreError::Invalid(f) if f.field == "change") || matches!(e, StoreError::Contention)));
    let left = s.supplies(opened.id).await.unwrap();
    assert_eq!((left[0].stock, left[0].handed_out), (2, 8));
}

conformance!(
    grid_workers_check_at_once_and_the_progress_adds_up,
    notices_reach_the_area_and_a_drill_texts_no_resident,
    shelters_and_supplies_stay_within_bounds_under_concurrent_changes,
);
