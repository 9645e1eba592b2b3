//! The demo's 关爱服务: people in care in the grid worker's first grid — elderly living alone,
//! an elderly couple alone, a disabled man on 低保, a woman in 特困 support, a left-behind child —
//! each flagged with consent, some visited in time and some waiting past their day; one who
//! moved out; and in a dozen other communities a person each, half of them overdue, so the
//! street's supervisor and the warnings see missed visits across the district.
//! Made only into a store without anyone in care.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, NaiveDate, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::care::{check_plan, CareEnd, CareFlag, Consent, ConsentBy, ConsentForm, Member};
use grassroots_domain::{Actor, Scope};
use grassroots_store::{GridRow, HouseholdRef, NewVisit, Store, User};

/// A person of the demo: name, year of birth, note, flags, how many days ago the flags began,
/// and how many days ago the household was last visited (none: never since).
struct Person {
    name: &'static str,
    born: i32,
    note: &'static str,
    flags: &'static [CareFlag],
    began_days_ago: i64,
    visited_days_ago: Option<i64>,
}

const FIRST_GRID: [Person; 7] = [
    Person {
        name: "王秀英",
        born: 1938,
        note: "独居，腿脚不便，女儿在深圳",
        flags: &[CareFlag::ElderlyAlone],
        began_days_ago: 60,
        visited_days_ago: Some(2),
    },
    Person {
        name: "陈玉梅",
        born: 1941,
        note: "独居，高血压，每周需测血压",
        flags: &[CareFlag::ElderlyAlone],
        began_days_ago: 45,
        visited_days_ago: Some(11),
    },
    Person {
        name: "张桂兰",
        born: 1945,
        note: "老两口同住，子女在国外",
        flags: &[CareFlag::EmptyNest],
        began_days_ago: 90,
        visited_days_ago: Some(9),
    },
    Person {
        name: "刘建国",
        born: 1962,
        note: "肢体残疾二级，轮椅出行",
        flags: &[CareFlag::Disabled, CareFlag::Dibao],
        began_days_ago: 120,
        visited_days_ago: Some(40),
    },
    Person {
        name: "李淑珍",
        born: 1950,
        note: "特困供养，无固定收入",
        flags: &[CareFlag::Tekun],
        began_days_ago: 30,
        visited_days_ago: None,
    },
    Person {
        name: "赵小雨",
        born: 2016,
        note: "父母在外地务工，随祖母生活",
        flags: &[CareFlag::LeftBehindChild],
        began_days_ago: 20,
        visited_days_ago: Some(3),
    },
    Person {
        name: "孙德胜",
        born: 1955,
        note: "低保，独子服刑中",
        flags: &[CareFlag::Dibao],
        began_days_ago: 10,
        visited_days_ago: None,
    },
];

/// The other communities' people: one each, alternately overdue and in time.
const ELSEWHERE: [(&str, i32); 4] = [("周凤英", 1936), ("吴桂芝", 1940), ("郑国强", 1948), ("冯淑华", 1943)];
const OTHER_COMMUNITIES: usize = 12;

fn consent(flag: CareFlag, on: NaiveDate, n: usize) -> Consent {
    Consent {
        by: if flag == CareFlag::LeftBehindChild { ConsentBy::Guardian } else { ConsentBy::Person },
        form: if n % 3 == 2 { ConsentForm::Spoken } else { ConsentForm::Signed },
        given_on: on,
        reference: if n % 3 == 2 { "见证人：社区主任".to_string() } else { format!("关爱同意书{n:03}") },
    }
}

/// Records a person in a grid, flags them from `began_days_ago`, and visits their household.
async fn keep(
    store: &dyn Store,
    worker: &Actor,
    grid: &str,
    door: &str,
    p: &Person,
    n: usize,
    now: DateTime<Utc>,
) -> anyhow::Result<uuid::Uuid> {
    let today = beijing_day(now);
    let phone = format!("1370000{n:04}");
    let member = Member::check(p.name, Some(&phone), Some(p.born), Some(p.note), today.year())
        .map_err(|e| anyhow::anyhow!(e.message()))?;
    let kept = store.add_care_member(worker, grid, door, &member, now).await?;
    let began = today - Duration::days(p.began_days_ago);
    for flag in p.flags {
        let plan =
            check_plan(*flag, None, consent(*flag, began, n), today).map_err(|e| anyhow::anyhow!(e.message()))?;
        store.flag_care(worker, kept.id, &plan, began, now).await?;
    }
    if let Some(days) = p.visited_days_ago {
        let visit = NewVisit {
            grid_code: grid.to_string(),
            household: HouseholdRef::Id(kept.household_id),
            visited_on: today - Duration::days(days),
            topic: "关爱走访".into(),
            follow_up: Some("身体状况稳定，生活物资充足".into()),
            case_id: None,
        };
        store.record_visit(worker, &visit, now).await?;
    }
    Ok(kept.id)
}

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.grid_care(&Scope::All, None, beijing_day(now)).await?.is_empty() {
        return Ok(out);
    }
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let grid = grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?;
    let households = store.households(&grid.code).await?;
    anyhow::ensure!(households.len() > FIRST_GRID.len(), "the demo grid has too few households");
    for (n, p) in FIRST_GRID.iter().enumerate() {
        // The last doors of the grid: the first ones are the residents' of the votes.
        let door = &households[households.len() - 1 - n].label;
        keep(store, &worker.actor(), &grid.code, door, p, n + 1, now).await?;
    }
    // Someone who moved away: their flag ended, kept in the member's history.
    let moved = Person {
        name: "何宝山",
        born: 1939,
        note: "已随子女迁往天津",
        flags: &[CareFlag::ElderlyAlone],
        began_days_ago: 200,
        visited_days_ago: Some(35),
    };
    let door = &households[households.len() - 1 - FIRST_GRID.len()].label;
    let moved = keep(store, &worker.actor(), &grid.code, door, &moved, FIRST_GRID.len() + 1, now).await?;
    store.end_care(&worker.actor(), moved, Some(CareFlag::ElderlyAlone), CareEnd::MovedOut, now).await?;
    let others = users.iter().filter(|u| u.username.starts_with("gridworker-")).take(OTHER_COMMUNITIES);
    let mut elsewhere = 0;
    for (i, other) in others.enumerate() {
        let Some(their_grid) = grids.iter().find(|g| other.scope.covers_place(&g.code)) else { continue };
        let Some(door) = store.households(&their_grid.code).await?.into_iter().next() else { continue };
        let (name, born) = ELSEWHERE[i % ELSEWHERE.len()];
        let overdue = i % 2 == 0;
        let p = Person {
            name,
            born,
            note: "独居",
            flags: &[CareFlag::ElderlyAlone],
            began_days_ago: 30,
            visited_days_ago: Some(if overdue { 12 } else { 1 }),
        };
        keep(store, &other.actor(), &their_grid.code, &door.label, &p, 100 + i, now).await?;
        elsewhere += 1;
    }
    let grids_care = store.grid_care(&Scope::All, None, beijing_day(now)).await?;
    let (people, missed): (i64, i64) = grids_care.iter().fold((0, 0), |(p, m), g| (p + g.members, m + g.missed));
    writeln!(
        out,
        "关爱服务: {people} people in care ({} in grid {} and {elsewhere} in other communities), {missed} waiting for a visit overdue",
        FIRST_GRID.len(),
        grid.code
    )?;
    Ok(out)
}
