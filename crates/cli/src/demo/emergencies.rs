//! The demo's 应急管理: the rainstorm of 29 July to 2 August 2023 (“23·7” 极端强降雨, a level II
//! response in 东城区) over the grid worker's community, every household checked, shelters,
//! supplies, notices and the log, closed with its after-action summary; and a live drill of a
//! gas leak over the same community, its house-by-house check under way. Made only into a
//! store without incidents.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Duration, TimeZone, Utc};
use grassroots_domain::emergencies::{builtin_plans, plan_for, HouseholdStatus, IncidentKind, PlannedTask, Severity};
use grassroots_domain::residents::Mobile;
use grassroots_domain::{Actor, Role};
use grassroots_store::emergencies::NewIncident;
use grassroots_store::messages::MessageOutcome;
use grassroots_store::{GridRow, PlaceFilter, Store, User};

use super::participation::resident_phone;

async fn plan(store: &dyn Store, kind: IncidentKind, grids: &[String]) -> anyhow::Result<Vec<PlannedTask>> {
    Ok(plan_for(&builtin_plans(), kind, grids, &store.reference().await?.units))
}

/// The status the demo's check finds of the n-th household: most safe, a few away, some not
/// reached at first, one in twenty needing help.
fn found(n: usize) -> HouseholdStatus {
    match n % 20 {
        0 => HouseholdStatus::NeedsHelp,
        7 | 13 => HouseholdStatus::MovedOut,
        11 => HouseholdStatus::NotReached,
        _ => HouseholdStatus::Safe,
    }
}

/// Checks the households of the grids, `share` of each grid's (in tenths), from `at` on.
async fn check(
    store: &dyn Store,
    worker: &Actor,
    incident: uuid::Uuid,
    grids: &[String],
    tenths: usize,
    at: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let mut checked = 0;
    for grid in grids {
        let households = store.households(grid).await?;
        let upto = households.len() * tenths / 10;
        for (n, h) in households.iter().take(upto).enumerate() {
            let status = found(checked + n);
            let note = (status == HouseholdStatus::NeedsHelp).then_some("独居老人行动不便，需协助转移");
            let when = at + Duration::minutes(i64::try_from(checked + n).unwrap_or(0));
            store.check_household(worker, incident, h.id, status, note, when).await?;
        }
        checked += upto;
    }
    Ok(checked)
}

async fn the_rainstorm(
    store: &dyn Store,
    commander: &Actor,
    worker: &Actor,
    grids: &[String],
) -> anyhow::Result<usize> {
    let beijing = grassroots_domain::calendar::beijing();
    let start = beijing.with_ymd_and_hms(2023, 7, 29, 20, 0, 0).single().context("a day")?.with_timezone(&Utc);
    let new = NewIncident {
        district_code: grids[0][..6].to_string(),
        kind: IncidentKind::Flood,
        severity: Severity::II,
        title: "“23·7”极端强降雨防汛应急响应".to_string(),
        drill: false,
        grids: grids.to_vec(),
        polygon: None,
        tasks: plan(store, IncidentKind::Flood, grids).await?,
    };
    let incident = store.open_incident(commander, &new, start).await?;
    let id = incident.id;
    store.send_notice(commander, id, "暴雨红色预警：请低洼院落、平房居民做好转移准备，远离地下空间", start).await?;
    // The development sink took them: the gateway's round, at the time.
    for alert in store.due_alerts(start + Duration::minutes(1), 1_000).await? {
        let outcome = match alert.phone {
            Some(_) => MessageOutcome::Sent { provider: "sink".into(), status: None, body: alert.text.clone() },
            None => MessageOutcome::Failed {
                provider: "sink".into(),
                status: None,
                error: "no phone number on the account".into(),
                body: None,
                retry_at: None,
            },
        };
        store.record_alert_attempt(&alert, &outcome, start + Duration::minutes(1)).await?;
    }
    let school =
        store.add_shelter(commander, id, "东华门小学避险安置点", "东华门大街", 300, start + Duration::hours(2)).await?;
    let water = store.add_supply(commander, id, "矿泉水", "箱", 200, start + Duration::hours(2)).await?;
    let quilts = store.add_supply(commander, id, "棉被", "床", 120, start + Duration::hours(2)).await?;
    let checked = check(store, worker, id, grids, 10, start + Duration::hours(3)).await?;
    for (hours, occupancy) in [(6, 86), (18, 142), (40, 61), (70, 0)] {
        store.set_occupancy(commander, id, school.id, occupancy, start + Duration::hours(hours)).await?;
    }
    store.change_supply(commander, id, water.id, -130, start + Duration::hours(20)).await?;
    store.change_supply(commander, id, quilts.id, -75, start + Duration::hours(20)).await?;
    let entries = [
        (1, "区防汛指挥部启动Ⅱ级响应，社区干部、网格员全员到岗"),
        (30, "降雨减弱，低洼院落积水已抽排，转移群众陆续返家"),
        (88, "全部安置人员返家，隐患点复查完毕"),
    ];
    for (hours, text) in entries {
        store.add_log_entry(commander, id, text, start + Duration::hours(hours)).await?;
    }
    for task in store.incident_tasks(id).await? {
        store.complete_task(worker, id, task.id, Some("已落实"), start + Duration::hours(80)).await?;
    }
    let closed_at = start + Duration::hours(90);
    let summary = grassroots_app::emergencies::after_action(store, &incident, closed_at).await?;
    store.close_incident(commander, id, &summary, closed_at).await?;
    Ok(checked)
}

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.incidents(&PlaceFilter::Everywhere, 1).await?.is_empty() {
        return Ok(out);
    }
    let commander = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let area: Vec<String> =
        grids.iter().filter(|g| worker.scope.covers_place(&g.code)).map(|g| g.code.clone()).collect();
    anyhow::ensure!(!area.is_empty(), "the grid worker's grids");
    // The first residents choose to be texted the notices of their household's area.
    for n in 1..=5 {
        let mobile = Mobile::parse(&resident_phone(n)).map_err(|e| anyhow::anyhow!(e.message()))?;
        if let Some(r) = store.resident_by_phone(&mobile).await? {
            store.set_alert_subscription(r.id, true, now - Duration::days(400)).await?;
        }
    }
    let worker_actor = worker.actor();
    let checked = the_rainstorm(store, &commander, &worker_actor, &area).await?;
    let drill = NewIncident {
        district_code: area[0][..6].to_string(),
        kind: IncidentKind::Gas,
        severity: Severity::III,
        title: "燃气泄漏疏散演练".to_string(),
        drill: true,
        grids: area.clone(),
        polygon: None,
        tasks: plan(store, IncidentKind::Gas, &area).await?,
    };
    let opened = store.open_incident(&commander, &drill, now - Duration::hours(1)).await?;
    store
        .send_notice(&commander, opened.id, "演练：请网格员到岗，逐户提醒关闭燃气阀门", now - Duration::hours(1))
        .await?;
    // The first grid is left for whoever tries the check; the others are under way.
    let under_way = check(store, &worker_actor, opened.id, &area[1..], 4, now - Duration::minutes(50)).await?;
    writeln!(
        out,
        "应急管理: the “23·7” rainstorm of 2023 closed with its summary ({checked} households checked); a gas-leak drill \
         under way ({under_way} households checked so far; the grid worker checks grid {} at /incidents)",
        area[0]
    )?;
    Ok(out)
}
