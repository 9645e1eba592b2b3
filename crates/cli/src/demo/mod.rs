//! Demo data: 东城区 with its real streets and communities, the category taxonomy, units and
//! a responsibility matrix, staff accounts, and several hundred cases over the last 90 days
//! that went through the closed loop by the same rules as live cases.
//!
//! Grids are synthetic (no public source has grid polygons): a lattice cut to 东城区's real
//! boundary, each cell given to the street whose known site (centre and box,
//! `data/dongcheng-streets.csv`) it falls to, and within the street to one of its real
//! communities along a Hilbert curve, so that a community's grids lie together. One grid worker per
//! community; households and three months of visits; residents' participation (participation.rs).
//!
//! Loading twice changes nothing: reference data is upserted, accounts are updated in place,
//! and grids, visits and cases are generated only into an empty store.

mod burden;
mod care;
mod compounds;
mod disputes;
mod emergencies;
mod funds;
mod help;
mod oversight;
mod participation;
mod party;
mod projects;
mod services;
mod workforce;

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::calendar::deadlines;
use grassroots_domain::case::{to_millis, tracking_no, LocatedBy, Place};
use grassroots_domain::classify::{builtin_corpus, Example};
use grassroots_domain::region::{parse_region_csv, spoken_name, Region};
use grassroots_domain::visits::COMMON_PURPOSES;
use grassroots_domain::workflow::{decide, due_status_change, evolve, CaseEvent, EventKind, Move, MoveContext};
use grassroots_domain::{
    Actor, CaseRecord, CaseState, Channel, Priority, RegionCode, RegionLevel, RequestType, Role, Satisfaction, Scope,
    Taxonomy, WorkCalendar,
};
use grassroots_geo::grids::{lattice_cells, plan_grids, GridFeature};
use grassroots_geo::sites::{dongcheng_streets, street_at};
use grassroots_geo::{geometry_json, parse_geometry, Boundary, Polygon};
use grassroots_store::duty::NewShift;
use grassroots_store::{
    BoundaryRow, GridRow, HistoricCase, HistoricVisit, NewUser, Reference, Responsibility, Store, Unit, User,
};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

pub const DISTRICT: &str = "110101";
const CASES: usize = 600;
/// Bursts of one problem in one place (a pipe burst, a heating failure), for the warnings to
/// be measured on: this many, of this many reports each, spread over 23 hours, this many days ago.
const BURSTS: usize = 6;
const BURST_REPORTS: usize = 14;
const BURST_DAYS_AGO: [i64; BURSTS] = [80, 66, 52, 38, 24, 10];

/// The district's regions from the shipped NBS table.
pub fn district_regions() -> Vec<Region> {
    parse_region_csv(include_str!("../../../../data/beijing-regions.csv"))
        .expect("shipped regions parse")
        .into_iter()
        .filter(|r| r.code.as_str().starts_with(DISTRICT))
        .collect()
}

/// Departments named in the taxonomy (`data/departments.csv`) and one street office per street.
pub fn district_units(regions: &[Region]) -> Vec<Unit> {
    let district_name =
        regions.iter().find(|r| r.level == RegionLevel::County).map(|r| r.name.clone()).unwrap_or_default();
    let mut units: Vec<Unit> = grassroots_domain::reference::departments()
        .into_iter()
        .map(|d| Unit {
            id: format!("{DISTRICT}-{}", d.slug),
            name_zh: format!("{district_name}{}", d.name_zh),
            name_en: format!("Dongcheng {}", d.name_en),
            kind: d.kind.to_string(),
            region_code: DISTRICT.to_string(),
        })
        .collect();
    units.extend(regions.iter().filter(|r| r.level == RegionLevel::Township).map(|street| Unit {
        id: street_office_id(&street.code),
        name_zh: format!("{}办事处", street.name),
        name_en: format!("{} Office", grassroots_domain::region::romanised(&street.name)),
        kind: "street_office".into(),
        region_code: street.code.as_str().to_string(),
    }));
    // The discipline units that receive reports of staff misconduct: the district's 纪委监委 and
    // each street's 纪工委.
    let discipline = grassroots_domain::reference::DISCIPLINE;
    units.push(Unit {
        id: discipline_unit_id(DISTRICT),
        name_zh: format!("{district_name}纪委监委"),
        name_en: "Dongcheng Commission for Discipline Inspection and Supervision".into(),
        kind: discipline.into(),
        region_code: DISTRICT.to_string(),
    });
    units.extend(regions.iter().filter(|r| r.level == RegionLevel::Township).map(|street| Unit {
        id: discipline_unit_id(street.code.as_str()),
        name_zh: format!("{}纪工委", street.name),
        name_en: format!("{} Discipline Working Committee", grassroots_domain::region::romanised(&street.name)),
        kind: discipline.into(),
        region_code: street.code.as_str().to_string(),
    }));
    units
}

pub fn discipline_unit_id(region: &str) -> String {
    format!("discipline-{region}")
}

pub fn street_office_id(street: &RegionCode) -> String {
    format!("street-{}", street.as_str())
}

/// Categories the demo dispatches without a dispatcher: a missing manhole cover (井盖) is a
/// danger with one obvious owner.
const AUTO_DISPATCHED: &[&str] = &["0302"];

/// Each category goes to its default department for the district; street-level matters go
/// to the street office of each street.
pub fn responsibility_matrix(taxonomy: &Taxonomy, units: &[Unit], regions: &[Region]) -> Vec<Responsibility> {
    let mut rows = Vec::new();
    for category in taxonomy.iter() {
        if category.goes_to_street_office() {
            for street in regions.iter().filter(|r| r.level == RegionLevel::Township) {
                rows.push(Responsibility {
                    category_code: category.code.0.clone(),
                    region_code: street.code.as_str().to_string(),
                    unit_id: street_office_id(&street.code),
                    auto_dispatch: AUTO_DISPATCHED.contains(&category.code.as_str()),
                });
            }
        } else if let Some(unit) =
            units.iter().find(|u| u.name_zh.ends_with(&category.default_unit) && u.kind != "street_office")
        {
            rows.push(Responsibility {
                category_code: category.code.0.clone(),
                region_code: DISTRICT.into(),
                unit_id: unit.id.clone(),
                auto_dispatch: AUTO_DISPATCHED.contains(&category.code.as_str()),
            });
        }
    }
    rows
}

/// Cells of the synthetic grids: about 255 m × 255 m at Beijing's latitude, some 640 in the
/// district (东城区 has about 590 grids).
const GRID_CELL: (f64, f64) = (0.003, 0.0023);

fn dongcheng_boundary() -> Boundary {
    grassroots_geo::beijing_districts().into_iter().find(|b| b.code == DISTRICT).expect("东城区 boundary")
}

/// Position of a point along a Hilbert curve over `bbox`: points close on the curve are close
/// on the map, so consecutive runs of cells form compact areas.
fn hilbert_key((x0, y0, x1, y1): (f64, f64, f64, f64), (x, y): (f64, f64)) -> u64 {
    const N: u64 = 1 << 16;
    let scale = |v: f64, lo: f64, hi: f64| (((v - lo) / (hi - lo)).clamp(0.0, 1.0) * (N - 1) as f64) as u64;
    let (mut x, mut y) = (scale(x, x0, x1), scale(y, y0, y1));
    let mut d = 0;
    let mut s = N / 2;
    while s > 0 {
        let rx = u64::from(x & s > 0);
        let ry = u64::from(y & s > 0);
        d += s * s * ((3 * rx) ^ ry);
        if ry == 0 {
            if rx == 1 {
                x = N - 1 - x;
                y = N - 1 - y;
            }
            std::mem::swap(&mut x, &mut y);
        }
        s /= 2;
    }
    d
}

/// The synthetic grid layer of 东城区, numbered and checked like an imported one: each cell
/// goes to the street whose known site it falls to (`sites::street_at`), and a street's
/// cells, in Hilbert order, to its communities in turn.
pub fn synthetic_grids(regions: &[Region]) -> anyhow::Result<Vec<GridRow>> {
    let boundary = dongcheng_boundary();
    let sites = dongcheng_streets();
    let mut by_street: Vec<Vec<(u64, Vec<Polygon>)>> = vec![Vec::new(); sites.len()];
    for polygons in lattice_cells(&boundary, GRID_CELL) {
        let (x0, y0, x1, y1) = polygons[0].bbox().expect("a cell has an outline");
        let centre = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        let street = street_at(centre, &sites).context("no street sites")?;
        by_street[street].push((hilbert_key(boundary.bbox, centre), polygons));
    }
    let mut features = Vec::new();
    for (site, mut cells) in sites.iter().zip(by_street) {
        cells.sort_by_key(|(key, _)| *key);
        let mut communities: Vec<&Region> = regions
            .iter()
            .filter(|r| r.level == RegionLevel::Community && r.parent.as_ref().is_some_and(|p| p.as_str() == site.code))
            .collect();
        communities.sort_by(|a, b| a.code.cmp(&b.code));
        let (n, m) = (cells.len(), communities.len());
        anyhow::ensure!(n >= m, "{}: {n} cells for {m} communities", site.name);
        for (i, (_, polygons)) in cells.into_iter().enumerate() {
            features.push(GridFeature {
                feature: features.len() + 1,
                code: None,
                community: communities[i * m / n].code.to_string(),
                name: None,
                polygons,
            });
        }
    }
    let plan = plan_grids(features, &[boundary])?;
    Ok(crate::import::grid_rows(plan.grids, regions, true))
}

/// Street-scene categories whose results the demo requires in a photo, as 数字城管 does:
/// garbage, clutter, street vending, damaged roads.
const PHOTO_ON_HANDLING: [&str; 4] = ["0101", "0102", "0103", "0303"];

/// Categories the demo lets the classifier sort without a person when it is at least 80% sure
/// (street lights, lifts, water, garbage): a report naming no category lands in them directly.
const SORTED_AUTOMATICALLY: [&str; 4] = ["0101", "0301", "0501", "0601"];
const AUTO_PERCENT: u8 = 80;

pub use burden::bulletins;

pub async fn load(store: &dyn Store, password: &str) -> anyhow::Result<String> {
    let regions = district_regions();
    let taxonomy = Taxonomy::builtin();
    let units = district_units(&regions);
    store.upsert_regions(&regions).await?;
    let categories = taxonomy.iter().cloned().map(|mut c| {
        c.photo_on_handling = PHOTO_ON_HANDLING.contains(&c.code.as_str());
        c.auto_percent = SORTED_AUTOMATICALLY.contains(&c.code.as_str()).then_some(AUTO_PERCENT);
        c
    });
    store.upsert_categories(&categories.collect::<Vec<_>>()).await?;
    store.upsert_units(&units).await?;
    store.upsert_responsibilities(&responsibility_matrix(&taxonomy, &units, &regions)).await?;
    // A calendar an administrator has imported is kept.
    if store.reference().await?.calendar.is_empty() {
        store.replace_calendar(&WorkCalendar::builtin_days()).await?;
    }
    let reference = store.reference().await?;
    let boundaries: Vec<BoundaryRow> = grassroots_geo::beijing_districts()
        .into_iter()
        .map(|b| BoundaryRow { geometry: geometry_json(&b.polygons), code: b.code, name: b.name })
        .collect();
    store.upsert_boundaries(&boundaries).await?;
    let mut out = String::new();
    writeln!(out, "东城区 demo: {} regions, {} categories, {} units", regions.len(), taxonomy.len(), units.len())?;
    let in_district =
        |grids: Vec<GridRow>| -> Vec<GridRow> { grids.into_iter().filter(|g| g.code.starts_with(DISTRICT)).collect() };
    if in_district(store.grids().await?).is_empty() {
        let communities: Vec<String> =
            regions.iter().filter(|r| r.level == RegionLevel::Community).map(|r| r.code.to_string()).collect();
        let generated = synthetic_grids(&regions)?;
        store.replace_grids(&communities, &generated).await.context("loading demo grids")?;
        writeln!(out, "generated {} synthetic grids inside the real district boundary", generated.len())?;
    }
    let grids = in_district(store.grids().await?);

    let users = demo_users(store, password, &units, &regions, &grids).await?;
    let planned = plan_duty(store, &users, &regions).await?;
    if planned > 0 {
        writeln!(out, "put the dispatcher on duty in {planned} streets for the coming week (值班)")?;
    }
    let existing = store.count_cases().await?;
    let sample = if existing == 0 {
        let generated = generate_cases(&reference, &grids, &users, Utc::now(), 20261126);
        // One transaction: an interrupted first run leaves no half-loaded history behind.
        store.insert_history(&generated).await.context("loading demo cases")?;
        writeln!(out, "generated {} cases over the last 90 days", generated.len())?;
        let (households, visits) = generate_visits(&grids, &users, Utc::now(), 20261126);
        store.insert_visit_history(&households, &visits).await.context("loading demo visits")?;
        writeln!(out, "registered {} households and {} visits", households.len(), visits.len())?;
        generated
            .iter()
            .find(|c| c.record.state == CaseState::Closed && c.record.evaluation.is_none())
            .map(|c| (c.record.tracking_no.clone(), c.query_code.clone()))
    } else {
        writeln!(out, "the store already holds {existing} cases; none generated")?;
        None
    };
    out.push_str(&participation::load(store, &users, &grids, Utc::now()).await.context("loading demo participation")?);
    out.push_str(&care::load(store, &users, &grids, Utc::now()).await.context("loading demo care")?);
    out.push_str(&funds::load(store, &users, &grids, Utc::now()).await.context("loading demo funds")?);
    out.push_str(&help::load(store, &users, &grids, Utc::now()).await.context("loading demo helpers and needs")?);
    let calendar = &store.reference().await?.calendar;
    out.push_str(&services::load(store, &users, &grids, calendar, Utc::now()).await.context("loading demo services")?);
    out.push_str(&projects::load(store, &users, &grids, Utc::now()).await.context("loading demo projects")?);
    out.push_str(&compounds::load(store, &users, &grids, Utc::now()).await.context("loading demo compounds")?);
    out.push_str(&disputes::load(store, &users, &grids, Utc::now()).await.context("loading demo disputes")?);
    out.push_str(&emergencies::load(store, &users, &grids, Utc::now()).await.context("loading demo emergencies")?);
    out.push_str(&party::load(store, &users, &grids, Utc::now()).await.context("loading demo party organisation")?);
    out.push_str(&burden::load(store, &users, &grids, Utc::now()).await.context("loading demo burden")?);
    out.push_str(&oversight::load(store, &users, &grids, Utc::now()).await.context("loading demo oversight")?);
    out.push_str(&workforce::load(store, &users, &grids, Utc::now()).await.context("loading demo workforce")?);
    writeln!(out, "accounts (password: {password}):")?;
    let many = |u: &&User| u.role == Role::Handler || u.username.starts_with("gridworker-");
    for u in users.iter().filter(|u| !many(u)) {
        writeln!(out, "  {:<12} {:<10} {}", u.username, u.role.as_str(), u.scope.to_spec())?;
    }
    let handlers: Vec<&str> = users.iter().filter(|u| u.role == Role::Handler).map(|u| u.username.as_str()).collect();
    writeln!(
        out,
        "  {} handler accounts, one per unit, e.g. {}",
        handlers.len(),
        handlers.iter().take(3).copied().collect::<Vec<_>>().join(", ")
    )?;
    let workers = users.iter().filter(|u| u.username.starts_with("gridworker-")).count();
    writeln!(out, "  {workers} more grid workers, one per community: gridworker-<community code>")?;
    if let Some((no, code)) = sample {
        writeln!(out, "a closed case to track and evaluate: tracking number {no}, query code {code}")?;
    }
    Ok(out)
}

/// The demo's dispatcher keeps a mobile and stands duty in every street for the coming week, so
/// that a report holding words of danger is texted (into the development sink, read on
/// /admin/messages). Streets with someone on duty already are left as they are.
async fn plan_duty(store: &dyn Store, users: &[User], regions: &[Region]) -> anyhow::Result<usize> {
    let Some(dispatcher) = users.iter().find(|u| u.username == "dispatcher") else { return Ok(0) };
    let accounts = store.users().await?;
    if accounts.iter().any(|a| a.user.id == dispatcher.id && a.phone_masked.is_none()) {
        store.set_user_phone(&dispatcher.username, Some("13800138000")).await?;
    }
    let now = Utc::now();
    let mut planned = 0;
    for street in regions.iter().filter(|r| r.level == RegionLevel::Township) {
        let code = [street.code.as_str().to_string()];
        if !store.shifts(Some(&code), now, now + Duration::milliseconds(1)).await?.is_empty() {
            continue;
        }
        let shift = NewShift {
            street_code: code[0].clone(),
            user_id: dispatcher.id,
            starts_at: now - Duration::hours(1),
            ends_at: now + Duration::days(7) - Duration::hours(1),
        };
        store.add_shift(&shift, &grassroots_domain::Actor::System, now).await?;
        planned += 1;
    }
    Ok(planned)
}

async fn demo_users(
    store: &dyn Store,
    password: &str,
    units: &[Unit],
    regions: &[Region],
    grids: &[GridRow],
) -> anyhow::Result<Vec<User>> {
    // One hash for every demo account keeps loading fast; real accounts are hashed one by one.
    let hash = grassroots_store::auth::hash_password(password);
    let district = Scope::parse(&format!("region:{DISTRICT}")).map_err(|e| anyhow::anyhow!(e.message()))?;
    let grids_of = |community: &RegionCode| -> Vec<String> {
        grids.iter().filter(|g| g.community_code == community.as_str()).map(|g| g.code.clone()).collect()
    };
    let mut communities = regions.iter().filter(|r| r.level == RegionLevel::Community);
    let first = communities.next().context("the district has communities")?;
    let mut accounts = vec![
        ("admin", "管理员", Role::Admin, Scope::All),
        ("operator", "接诉员", Role::Operator, district.clone()),
        ("dispatcher", "派单员", Role::Dispatcher, district.clone()),
        ("supervisor", "督办员", Role::Supervisor, district.clone()),
        ("leader", "区领导", Role::Leader, district),
        ("gridworker", "网格员", Role::GridWorker, Scope::Grids { codes: grids_of(&first.code) }),
    ]
    .into_iter()
    .map(|(u, n, r, s)| (u.to_string(), n.to_string(), r, s))
    .collect::<Vec<_>>();
    for community in communities {
        accounts.push((
            format!("gridworker-{}", community.code),
            format!("{}网格员", spoken_name(&community.name)),
            Role::GridWorker,
            Scope::Grids { codes: grids_of(&community.code) },
        ));
    }
    for unit in units {
        accounts.push((
            format!("handler-{}", unit.id),
            format!("{}承办人", unit.name_zh),
            Role::Handler,
            Scope::Unit { unit: unit.id.clone() },
        ));
    }
    // Accounts that exist keep their passwords (an administrator may have changed them).
    let mut users = Vec::new();
    for (username, display_name, role, scope) in accounts {
        let user = match store.user_by_username(&username).await? {
            Some(existing) => existing.user,
            None => {
                store.upsert_user(&NewUser { username, display_name, password_hash: hash.clone(), role, scope }).await?
            }
        };
        users.push(user);
    }
    Ok(users)
}

const SURNAMES: &[&str] = &["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙", "马", "朱", "胡"];
const GIVEN: &[&str] =
    &["伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "秀英", "建国", "淑珍"];

/// A request in residents' words for the category, from the project's corpus, so that the
/// demo's descriptions match their categories and the classifier's proposals can be judged
/// on them. 其他 has no corpus: a few requests that belong nowhere else.
fn description(corpus: &[Example], category: &str, rng: &mut StdRng) -> String {
    const OTHER: [&str; 3] = ["建议在社区增加便民服务点", "感谢社区工作人员热心帮助", "想了解一下社区最近有什么活动"];
    let matching: Vec<&Example> = corpus.iter().filter(|e| e.category.starts_with(category)).collect();
    match matching.as_slice() {
        [] => OTHER[rng.gen_range(0..OTHER.len())].to_string(),
        some => some[rng.gen_range(0..some.len())].text.clone(),
    }
}

/// A point inside an area, by rejection sampling in its bounding box.
fn random_point(area: &Boundary, rng: &mut StdRng) -> (f64, f64) {
    let (x0, y0, x1, y1) = area.bbox;
    loop {
        let (lng, lat) = (rng.gen_range(x0..x1), rng.gen_range(y0..y1));
        if area.contains(lng, lat) {
            return (lat, lng);
        }
    }
}

/// Where a generated case stops, so every state of the loop is represented.
const TARGETS: &[(CaseState, u32)] = &[
    (CaseState::Received, 4),
    (CaseState::Registered, 4),
    (CaseState::Dispatched, 7),
    (CaseState::InProgress, 12),
    (CaseState::Handled, 5),
    (CaseState::Verifying, 4),
    (CaseState::Closed, 56),
    (CaseState::Rejected, 5),
    (CaseState::Merged, 3),
];

fn pick_target(rng: &mut StdRng) -> CaseState {
    let total: u32 = TARGETS.iter().map(|(_, w)| w).sum();
    let mut roll = rng.gen_range(0..total);
    for (state, weight) in TARGETS {
        if roll < *weight {
            return *state;
        }
        roll -= weight;
    }
    CaseState::Closed
}

struct Cast<'a> {
    operator: Actor,
    dispatcher: Actor,
    supervisor: Actor,
    users: &'a [User],
}

/// The grid worker whose account covers `grid`.
fn worker_of<'a>(users: &'a [User], grid: &str) -> Option<&'a User> {
    users.iter().find(|u| matches!(&u.scope, Scope::Grids { codes } if codes.iter().any(|c| c == grid)))
}

fn actor_of(user: &User) -> Actor {
    Actor::Staff { user_id: user.id, username: user.username.clone(), role: user.role, scope: user.scope.clone() }
}

impl Cast<'_> {
    fn handler(&self, unit: &str) -> Option<Actor> {
        self.users.iter().find(|u| matches!(&u.scope, Scope::Unit { unit: x } if x == unit)).map(actor_of)
    }
}

/// Simulates the loop for each case with the domain's own `decide` and `evolve`.
pub fn generate_cases(
    reference: &Reference,
    grids: &[GridRow],
    users: &[User],
    now: DateTime<Utc>,
    seed: u64,
) -> Vec<HistoricCase> {
    let mut rng = StdRng::seed_from_u64(seed);
    let now = to_millis(now);
    let by_role = |role: Role| users.iter().find(|u| u.role == role).map(actor_of).expect("demo role exists");
    let cast = Cast {
        operator: by_role(Role::Operator),
        dispatcher: by_role(Role::Dispatcher),
        supervisor: by_role(Role::Supervisor),
        users,
    };
    let shapes: Vec<(&GridRow, Boundary)> = grids
        .iter()
        .map(|g| {
            let polygons = parse_geometry(&g.geometry, 0).expect("stored grids are valid");
            (g, Boundary::new(g.code.clone(), g.name.clone(), polygons))
        })
        .collect();
    let regions = district_regions();
    let categories: Vec<_> = reference.taxonomy.iter().filter(|c| c.parent.is_some() || c.code.0 == "18").collect();
    let corpus = builtin_corpus();
    let mut out: Vec<HistoricCase> = Vec::with_capacity(CASES);
    for i in 0..CASES + BURSTS * BURST_REPORTS {
        // (which burst, which report of it), after the ordinary cases.
        let burst = i.checked_sub(CASES).map(|j| (j / BURST_REPORTS, j % BURST_REPORTS));
        let target = if burst.is_some() { CaseState::Closed } else { pick_target(&mut rng) };
        let category = match burst {
            Some((b, _)) => categories[(7 * b + 3) % categories.len()],
            None => categories[rng.gen_range(0..categories.len())],
        };
        let priority = match rng.gen_range(0..100) {
            0..=2 => Priority::Emergency,
            3..=12 => Priority::Urgent,
            _ => Priority::Normal,
        };
        // Cases still open are mostly young for their deadlines; some linger and are overdue.
        let span = deadlines(&reference.calendar, category, priority, now);
        let (response_span, resolve_span) = (span.response_due - now, span.resolve_due - now);
        let age = match target {
            _ if rng.gen_bool(0.1) => Duration::days(90),
            CaseState::Received | CaseState::Registered | CaseState::Dispatched => response_span * 3 / 4,
            CaseState::InProgress | CaseState::Handled | CaseState::Verifying => resolve_span * 3 / 4,
            _ => Duration::days(90),
        };
        let received_at = to_millis(now - Duration::minutes(rng.gen_range(10..age.num_minutes().max(11))));
        let received_at = match burst {
            Some((b, k)) => to_millis(now - Duration::days(BURST_DAYS_AGO[b]) + Duration::minutes(100 * k as i64)),
            None => received_at,
        };
        let (grid, shape) = match burst {
            Some((b, _)) => &shapes[(11 * b) % shapes.len()],
            None => &shapes[rng.gen_range(0..shapes.len())],
        };
        let worker = worker_of(users, &grid.code).map(actor_of);
        // Some problems are found by the grid worker on patrol; some reports give an address only.
        let patrol = worker.is_some() && rng.gen_bool(0.12);
        let address_only = !patrol && rng.gen_bool(0.15);
        let (lat, lng) = random_point(shape, &mut rng);
        let name_of = |code: &str| regions.iter().find(|r| r.code.as_str() == code).map(|r| spoken_name(&r.name));
        let address = format!(
            "{}{}",
            name_of(&grid.code[..9]).unwrap_or_default(),
            name_of(&grid.community_code).unwrap_or_default()
        );
        let place = Place {
            district_code: Some(DISTRICT.into()),
            street_code: Some(grid.code[..9].into()),
            community_code: Some(grid.community_code.clone()),
            grid_code: (!address_only).then(|| grid.code.clone()),
            lat: (!address_only).then_some(lat),
            lng: (!address_only).then_some(lng),
            address: Some(address),
            located_by: Some(match (patrol, address_only) {
                (true, _) => LocatedBy::Patrol,
                (_, true) => LocatedBy::Address,
                _ => LocatedBy::Point,
            }),
        };
        let due = deadlines(&reference.calendar, category, priority, received_at);
        let anonymous = rng.gen_bool(0.2);
        let (channel, actor) = match rng.gen_range(0..10) {
            _ if patrol => (Channel::GridPatrol, worker.clone().expect("a patrol has its grid worker")),
            0..=3 => (Channel::Phone, cast.operator.clone()),
            4..=6 => (Channel::Web, Actor::Resident),
            _ => (Channel::Mobile, Actor::Resident),
        };
        let id = id_at(received_at);
        let received = CaseEvent {
            id: id_at(received_at),
            case_id: id,
            seq: 1,
            at: received_at,
            actor_kind: actor.kind().into(),
            actor_id: actor.id(),
            kind: EventKind::Received {
                tracking_no: tracking_no(received_at, rng.gen_range(0..100_000_000)),
                category_code: category.code.0.clone(),
                request_type: RequestType::ALL[rng.gen_range(0..4)],
                priority,
                channel,
                description: description(&corpus, &category.code.0, &mut rng),
                place: place.clone(),
                response_due: due.response_due,
                resolve_due: due.resolve_due,
            },
        };
        let record = evolve(None, &received).expect("a received event starts a case");
        let merge_target = out.iter().rev().find(|c| !c.record.state.is_terminal()).map(|c| c.record.id);
        let (record, events) = match worker {
            // Half of what grid workers find on patrol they fix there and then (就地解决).
            Some(worker) if patrol && rng.gen_bool(0.5) => {
                resolve_on_spot(record, received, &worker, reference, now, &mut rng)
            }
            _ => simulate(record, vec![received], target, merge_target, reference, &cast, now, &mut rng),
        };
        let name = format!("{}{}", SURNAMES[rng.gen_range(0..SURNAMES.len())], GIVEN[rng.gen_range(0..GIVEN.len())]);
        let phone = format!("1{}{:09}", [3, 5, 7, 8, 9][rng.gen_range(0..5)], rng.gen_range(0..1_000_000_000u32));
        out.push(HistoricCase {
            record,
            events,
            reporter_name: (!anonymous).then_some(name),
            reporter_phone: (!anonymous).then_some(phone),
            anonymous,
            query_code: grassroots_domain::case::query_code(rng.gen()),
            decisions: Vec::new(),
        });
    }
    out
}

/// Households of every grid (labelled by building, unit and flat; nothing personal) and three
/// months of visits by the grid's worker, reaching about half the households.
pub fn generate_visits(
    grids: &[GridRow],
    users: &[User],
    now: DateTime<Utc>,
    seed: u64,
) -> (Vec<(String, String)>, Vec<HistoricVisit>) {
    let mut rng = StdRng::seed_from_u64(seed ^ 0x5a5a);
    let today = now.with_timezone(&grassroots_domain::calendar::beijing()).date_naive();
    let (mut households, mut visits) = (Vec::new(), Vec::new());
    for grid in grids {
        let worker = worker_of(users, &grid.code);
        let buildings = rng.gen_range(2..6);
        for building in 1..=buildings {
            for flat in 1..=rng.gen_range(8..16) {
                let label = format!("{building}号楼{}单元{}0{}", 1 + flat / 8, 1 + flat % 6, 1 + flat % 2);
                let Some(worker) = worker else {
                    households.push((grid.code.clone(), label));
                    continue;
                };
                for _ in 0..[0, 0, 1, 1, 2][rng.gen_range(0..5)] {
                    visits.push(HistoricVisit {
                        grid_code: grid.code.clone(),
                        household_label: label.clone(),
                        worker_id: worker.id,
                        visited_on: today - Duration::days(rng.gen_range(0..90)),
                        topic: COMMON_PURPOSES[rng.gen_range(0..COMMON_PURPOSES.len())].0.into(),
                        follow_up: rng.gen_bool(0.1).then(|| "需再次上门跟进".to_string()),
                    });
                }
                households.push((grid.code.clone(), label));
            }
        }
    }
    households.sort();
    households.dedup();
    (households, visits)
}

/// A patrol report closed by the grid worker who found it, shortly after reporting it.
fn resolve_on_spot(
    record: CaseRecord,
    received: CaseEvent,
    worker: &Actor,
    reference: &Reference,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> (CaseRecord, Vec<CaseEvent>) {
    let at = to_millis(record.received_at + Duration::minutes(rng.gen_range(5..60)));
    if at > now {
        return (record, vec![received]);
    }
    let mv = Move::ResolveOnSpot { result: "已现场处置，问题已解决".into() };
    let kind = decide(&record, worker, &mv, &context(reference, at)).expect("a grid worker may resolve their report");
    let event = event_for(&record, worker, kind, at);
    let resolved = evolve(Some(record), &event).expect("the event applies");
    (resolved, vec![received, event])
}

/// Moves the case toward `target`, one realistic delay at a time, stopping at `now`.
#[allow(clippy::too_many_arguments)]
fn simulate(
    mut record: CaseRecord,
    mut events: Vec<CaseEvent>,
    target: CaseState,
    merge_target: Option<Uuid>,
    reference: &Reference,
    cast: &Cast,
    now: DateTime<Utc>,
    rng: &mut StdRng,
) -> (CaseRecord, Vec<CaseEvent>) {
    let mut at = record.received_at;
    let suggested = reference.suggest_unit(&record.category_code, &record.place).map(|u| u.id.clone());
    let mut contacted_this_round = false;
    for _ in 0..40 {
        let evaluate_too = target == CaseState::Closed && record.evaluation.is_none() && rng.gen_bool(0.75);
        let contact_first = target == CaseState::InProgress && record.first_contact_at.is_none();
        if record.state == target && !evaluate_too && !contact_first {
            break;
        }
        let handler = record.lead_unit.as_deref().and_then(|u| cast.handler(u));
        let minutes = |rng: &mut StdRng, lo: i64, hi: i64| Duration::minutes(rng.gen_range(lo..hi));
        let (actor, mv, delay) = match record.state {
            CaseState::Received => match target {
                CaseState::Rejected => (
                    cast.dispatcher.clone(),
                    Move::Reject { reason: "不属于本平台受理范围".into() },
                    minutes(rng, 20, 240),
                ),
                CaseState::Merged if merge_target.is_some() => (
                    cast.dispatcher.clone(),
                    Move::Merge {
                        into: merge_target.expect("checked"), reason: Some("同一问题的重复反映".into())
                    },
                    minutes(rng, 20, 240),
                ),
                _ => (cast.dispatcher.clone(), Move::Register { note: None }, minutes(rng, 10, 300)),
            },
            CaseState::Registered => {
                let Some(unit) = suggested.clone() else { break };
                (cast.dispatcher.clone(), Move::Dispatch { unit, co_units: vec![], note: None }, minutes(rng, 10, 180))
            }
            CaseState::Dispatched if record.return_count == 0 && rng.gen_bool(0.06) => (
                handler.clone().expect("lead unit has a handler"),
                Move::Return { reason: "不属于本单位职责".into() },
                minutes(rng, 30, 600),
            ),
            CaseState::Dispatched => {
                (handler.clone().expect("lead unit has a handler"), Move::Accept {}, minutes(rng, 20, 480))
            }
            CaseState::InProgress if !contacted_this_round => {
                contacted_this_round = true;
                // Most units call back well inside the response deadline; some are late.
                let late = rng.gen_bool(0.12);
                let window = (record.response_due - at).num_minutes().max(2);
                let delay = if late {
                    Duration::minutes(window + rng.gen_range(30..1440))
                } else {
                    Duration::minutes(rng.gen_range(1..window))
                };
                (
                    handler.clone().expect("lead unit has a handler"),
                    Move::Contact { note: "已电话联系群众，了解诉求".into() },
                    delay,
                )
            }
            CaseState::InProgress if record.pending_extension.is_some() => {
                (cast.supervisor.clone(), Move::ApproveExtension { note: None }, minutes(rng, 60, 1440))
            }
            CaseState::InProgress if record.supervision_count == 0 && rng.gen_bool(0.1) => (
                cast.supervisor.clone(),
                Move::Supervise { note: "请尽快办理并反馈".into(), escalate: rng.gen_bool(0.2) },
                minutes(rng, 60, 2880),
            ),
            CaseState::InProgress if rng.gen_bool(0.05) => (
                handler.clone().expect("lead unit has a handler"),
                Move::RequestExtension { days: rng.gen_range(2..6), reason: "需协调多个部门".into() },
                minutes(rng, 60, 2880),
            ),
            CaseState::InProgress => {
                let span = (record.resolve_due - at).num_minutes().max(60);
                let delay = Duration::minutes(rng.gen_range(30..(span * 6 / 5).max(31)));
                (
                    handler.clone().expect("lead unit has a handler"),
                    Move::ReportHandled {
                        result: "已到现场处置完毕，并向群众反馈".into(), evidence: vec![]
                    },
                    delay,
                )
            }
            CaseState::Handled => (cast.supervisor.clone(), Move::StartVerification {}, minutes(rng, 60, 1440)),
            CaseState::Verifying => (
                cast.supervisor.clone(),
                Move::Verify { passed: rng.gen_bool(0.92), note: "现场核查".into() },
                minutes(rng, 60, 1440),
            ),
            CaseState::Closed if record.evaluation.as_ref().is_none_or(|e| e.round < record.reopen_count) => {
                let resolved = rng.gen_bool(0.86);
                let satisfaction = match rng.gen_range(0..100) {
                    0..=69 => Satisfaction::Satisfied,
                    70..=87 => Satisfaction::Basic,
                    _ => Satisfaction::Dissatisfied,
                };
                let comment =
                    (!resolved || satisfaction == Satisfaction::Dissatisfied).then(|| "问题没有真正解决".to_string());
                (cast.operator.clone(), Move::Evaluate { resolved, satisfaction, comment }, minutes(rng, 60, 4320))
            }
            CaseState::Closed
                if record.reopen_count == 0
                    && record.evaluation.as_ref().is_some_and(|e| !e.resolved)
                    && rng.gen_bool(0.5) =>
            {
                contacted_this_round = false;
                (cast.supervisor.clone(), Move::Reopen { reason: "群众评价未解决".into() }, minutes(rng, 60, 1440))
            }
            _ => break,
        };
        let when = at + delay;
        if when > now {
            break;
        }
        let Ok(kind) = decide(&record, &actor, &mv, &context(reference, when)) else { break };
        let event = event_for(&record, &actor, kind, when);
        record = evolve(Some(record), &event).expect("decided events apply");
        events.push(event);
        at = when;
    }
    if let Some(kind) = due_status_change(&record, now) {
        let event = event_for(&record, &Actor::System, kind, now.max(at));
        record = evolve(Some(record), &event).expect("deadline marks apply");
        events.push(event);
    }
    (record, events)
}

fn context(reference: &Reference, now: DateTime<Utc>) -> MoveContext<'_> {
    MoveContext {
        now,
        calendar: &reference.calendar,
        taxonomy: &reference.taxonomy,
        return_window: Duration::hours(24),
        max_extension_days: 15,
    }
}

fn event_for(record: &CaseRecord, actor: &Actor, kind: EventKind, at: DateTime<Utc>) -> CaseEvent {
    CaseEvent {
        id: id_at(at),
        case_id: record.id,
        seq: record.version + 1,
        at: to_millis(at),
        actor_kind: actor.kind().into(),
        actor_id: actor.id(),
        kind,
    }
}

/// A UUIDv7 carrying `t`, so generated cases sort by when they were received, like live ones.
pub(crate) fn id_at(t: DateTime<Utc>) -> Uuid {
    let ts = uuid::Timestamp::from_unix(uuid::NoContext, t.timestamp().max(0) as u64, t.timestamp_subsec_nanos());
    Uuid::new_v7(ts)
}
