//! Queue, rates and dashboard queries on a store holding 1,000,000 cases.
//!
//! `cargo bench -p grassroots-store --bench queries` builds the store once (a SQLite file in
//! target/tmp/bench-data, reused by later runs, or the PostgreSQL database named by
//! GRASSROOTS_BENCH_DATABASE_URL; set GRASSROOTS_BENCH_CASES to change the size) and prints
//! latency percentiles.

use grassroots_store::prelude::*;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::case::{to_millis, tracking_no, Evaluation, Place};
use grassroots_domain::queue::Queue;
use grassroots_domain::rollups::{day_of, day_start};
use grassroots_domain::workflow::{CaseEvent, EventKind};
use grassroots_domain::{
    CaseRecord, CaseState, Channel, DueStatus, Priority, RequestType, Satisfaction, Scope, Taxonomy,
};
use grassroots_domain::{RegionLevel, Role};
use grassroots_store::crypto::Keyring;
use grassroots_store::{CaseFilter, Grouping, HistoricCase, RateFilter, SqlStore, StoreOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use uuid::Uuid;

const STATES: &[(CaseState, u32)] = &[
    (CaseState::Received, 2),
    (CaseState::Registered, 2),
    (CaseState::Dispatched, 4),
    (CaseState::InProgress, 8),
    (CaseState::Handled, 3),
    (CaseState::Verifying, 2),
    (CaseState::Closed, 75),
    (CaseState::Rejected, 3),
    (CaseState::Merged, 1),
];

fn pick_state(rng: &mut StdRng) -> CaseState {
    let mut roll = rng.gen_range(0..100);
    for (s, w) in STATES {
        if roll < *w {
            return *s;
        }
        roll -= w;
    }
    CaseState::Closed
}

/// A year of one district's cases: 17 streets, 10 communities each, 40 units.
fn synthetic_case(i: usize, now: DateTime<Utc>, categories: &[String], rng: &mut StdRng) -> HistoricCase {
    let received_at = to_millis(now - Duration::minutes(rng.gen_range(0..365 * 24 * 60)));
    let street = format!("110101{:03}", rng.gen_range(1..=17));
    let community = format!("{street}{:03}", rng.gen_range(1..=10));
    let state = pick_state(rng);
    let dispatched =
        !matches!(state, CaseState::Received | CaseState::Registered | CaseState::Rejected | CaseState::Merged);
    let first_dispatched_at = dispatched.then(|| received_at + Duration::minutes(rng.gen_range(10..600)));
    let first_contact_at = (dispatched && state != CaseState::Dispatched)
        .then(|| received_at + Duration::minutes(rng.gen_range(30..2880)));
    let closed = state == CaseState::Closed;
    let evaluation = (closed && rng.gen_bool(0.7)).then(|| Evaluation {
        resolved: rng.gen_bool(0.85),
        satisfaction: [Satisfaction::Satisfied, Satisfaction::Basic, Satisfaction::Dissatisfied][rng.gen_range(0..3)],
        comment: None,
        at: received_at + Duration::days(8),
        round: 0,
    });
    let id = Uuid::now_v7();
    let place = Place {
        district_code: Some("110101".into()),
        street_code: Some(street),
        community_code: Some(community.clone()),
        grid_code: Some(format!("{community}001")),
        lat: None,
        lng: None,
        address: None,
        located_by: None,
    };
    let record = CaseRecord {
        id,
        tracking_no: tracking_no(received_at, i as u32),
        state,
        category_code: categories[rng.gen_range(0..categories.len())].clone(),
        request_type: RequestType::Complaint,
        priority: Priority::Normal,
        channel: Channel::Phone,
        description: format!("第{i}号诉求：小区门口路灯不亮，晚上出行不便"),
        place: place.clone(),
        received_at,
        clock_started_at: received_at,
        response_due: received_at + Duration::hours(24),
        resolve_due: received_at + Duration::days(9),
        lead_unit: dispatched.then(|| format!("unit-{:02}", rng.gen_range(0..40))),
        co_units: vec![],
        first_dispatched_at,
        dispatched_at: first_dispatched_at,
        first_contact_at,
        responded_on_time: first_contact_at.map(|t| t <= received_at + Duration::hours(24)),
        handled_at: None,
        closed_at: closed.then(|| received_at + Duration::days(7)),
        result: None,
        reject_reason: None,
        merged_into: None,
        pending_extension: None,
        resolved_on_spot: false,
        return_count: 0,
        reopen_count: 0,
        supervision_count: 0,
        escalated: false,
        evaluation,
        due_status: if state.is_pending() && rng.gen_bool(0.2) { DueStatus::Overdue } else { DueStatus::OnTime },
        version: 1,
        updated_at: received_at,
    };
    let event = CaseEvent {
        id: Uuid::now_v7(),
        case_id: id,
        seq: 1,
        at: received_at,
        actor_kind: "operator".into(),
        actor_id: None,
        kind: EventKind::Received {
            tracking_no: record.tracking_no.clone(),
            category_code: record.category_code.clone(),
            request_type: record.request_type,
            priority: record.priority,
            channel: record.channel,
            description: record.description.clone(),
            place,
            response_due: record.response_due,
            resolve_due: record.resolve_due,
        },
    };
    HistoricCase {
        record,
        events: vec![event],
        reporter_name: Some("张三".into()),
        reporter_phone: Some(format!("138{:08}", i % 100_000_000)),
        anonymous: false,
        query_code: "000000".into(),
        decisions: Vec::new(),
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn measure<F, Fut>(name: &str, runs: usize, mut f: F)
where
    F: FnMut(usize) -> Fut,
    Fut: std::future::Future<Output = usize>,
{
    let mut times = Vec::with_capacity(runs);
    let mut rows = 0;
    for i in 0..runs {
        let t = Instant::now();
        rows += f(i).await;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    println!(
        "{name:<58} p50 {:>7.2} ms  p95 {:>7.2} ms  max {:>7.2} ms  ({:.0} rows/run)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        times[times.len() - 1],
        rows as f64 / runs as f64
    );
}

#[tokio::main]
async fn main() {
    let total: usize = std::env::var("GRASSROOTS_BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("bench-data");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("cases-{total}-v1.db"));
    let (keys, _) = Keyring::load_or_create(None, &dir).unwrap();
    // Another database (PostgreSQL) by its URL; it is filled on the first run as the file is.
    let url = std::env::var("GRASSROOTS_BENCH_DATABASE_URL").unwrap_or_else(|_| format!("sqlite://{}", path.display()));
    let store = SqlStore::open(StoreOptions {
        url: url.clone(),
        keys,
        max_connections: 4,
        attachments_dir: dir.join("attachments"),
    })
    .await
    .unwrap();
    store.migrate().await.unwrap();
    let now = Utc::now();
    if store.count_cases().await.unwrap() < total as i64 {
        let categories: Vec<String> =
            Taxonomy::builtin().iter().filter(|c| c.parent.is_some()).map(|c| c.code.0.clone()).collect();
        let mut rng = StdRng::seed_from_u64(1);
        let t = Instant::now();
        let have = store.count_cases().await.unwrap() as usize;
        for start in (have..total).step_by(5000) {
            let batch: Vec<_> =
                (start..(start + 5000).min(total)).map(|i| synthetic_case(i, now, &categories, &mut rng)).collect();
            store.insert_history(&batch).await.unwrap();
            if start % 100_000 == 0 {
                eprintln!("  {start} cases loaded ({:.0} s)", t.elapsed().as_secs_f64());
            }
        }
        eprintln!("loaded {total} cases in {:.0} s", t.elapsed().as_secs_f64());
    }
    println!("{:?} store with {} cases", store.backend(), store.count_cases().await.unwrap());
    let district = Scope::parse("region:110101").unwrap();
    let states =
        [CaseState::Received, CaseState::Registered, CaseState::Dispatched, CaseState::InProgress, CaseState::Handled];
    let queue = |state: CaseState| CaseFilter { states: vec![state], limit: 50, ..CaseFilter::default() };

    measure("queue: district dispatcher, one state, first page", 200, |i| {
        let (s, f, scope) = (&store, queue(states[i % states.len()]), district.clone());
        async move { s.list_cases(&scope, &f).await.unwrap().cases.len() }
    })
    .await;
    measure("queue: district, closed (75% of cases), 5 pages deep", 100, |_| {
        let s = &store;
        let scope = district.clone();
        async move {
            let mut f = queue(CaseState::Closed);
            let mut n = 0;
            for _ in 0..5 {
                let page = s.list_cases(&scope, &f).await.unwrap();
                n = page.cases.len();
                f.after = page.next_cursor;
            }
            n
        }
    })
    .await;
    measure("queue: street dispatcher, one state", 200, |i| {
        let scope = Scope::parse(&format!("region:110101{:03}", i % 17 + 1)).unwrap();
        let (s, f) = (&store, queue(states[i % states.len()]));
        async move { s.list_cases(&scope, &f).await.unwrap().cases.len() }
    })
    .await;
    measure("queue: handler of one unit, in_progress", 200, |i| {
        let scope = Scope::Unit { unit: format!("unit-{:02}", i % 40) };
        let (s, f) = (&store, queue(CaseState::InProgress));
        async move { s.list_cases(&scope, &f).await.unwrap().cases.len() }
    })
    .await;
    measure("queue: district, overdue only", 200, |_| {
        let s = &store;
        let f = CaseFilter { overdue: Some(true), limit: 50, ..CaseFilter::default() };
        let scope = district.clone();
        async move { s.list_cases(&scope, &f).await.unwrap().cases.len() }
    })
    .await;
    measure("rates: district, 30 days", 50, |i| {
        let s = &store;
        let scope = district.clone();
        let to = now - Duration::days(i as i64 * 5);
        let filter = RateFilter {
            region: Some("110101".parse_region()),
            from: Some(to - Duration::days(30)),
            to: Some(to),
            ..RateFilter::default()
        };
        async move { s.rate_counts(&scope, &filter).await.unwrap().dispatched as usize }
    })
    .await;
    measure("rates: one street, 30 days", 50, |i| {
        let s = &store;
        let scope = district.clone();
        let filter = RateFilter {
            region: Some(format!("110101{:03}", i % 17 + 1).parse_region()),
            from: Some(now - Duration::days(30)),
            to: Some(now),
            ..RateFilter::default()
        };
        async move { s.rate_counts(&scope, &filter).await.unwrap().dispatched as usize }
    })
    .await;
    measure("rates: one unit, 30 days", 50, |i| {
        let s = &store;
        let scope = district.clone();
        let filter = RateFilter {
            unit: Some(format!("unit-{:02}", i % 40)),
            from: Some(now - Duration::days(30)),
            to: Some(now),
            ..RateFilter::default()
        };
        async move { s.rate_counts(&scope, &filter).await.unwrap().dispatched as usize }
    })
    .await;

    // The workbench: queue counts and queue pages per role.
    let roles = [Role::Dispatcher, Role::Supervisor, Role::Handler];
    measure("workbench: queue counts, district dispatcher / supervisor", 100, |i| {
        let (s, scope, role) = (&store, district.clone(), roles[i % 2]);
        async move { s.queue_counts(&scope, role).await.unwrap().len() }
    })
    .await;
    measure("workbench: queue counts, a unit's handler", 100, |i| {
        let scope = Scope::Unit { unit: format!("unit-{:02}", i % 40) };
        let s = &store;
        async move { s.queue_counts(&scope, Role::Handler).await.unwrap().len() }
    })
    .await;
    measure("workbench: queue counts, a street's dispatcher", 50, |i| {
        let scope = Scope::parse(&format!("region:110101{:03}", i % 17 + 1)).unwrap();
        let s = &store;
        async move { s.queue_counts(&scope, Role::Dispatcher).await.unwrap().len() }
    })
    .await;
    let queues = [Queue::ToRegister, Queue::ToDispatch, Queue::Returned, Queue::DueSoon, Queue::Overdue];
    measure("workbench: dispatcher's queue page (to register … overdue)", 200, |i| {
        let f = CaseFilter {
            queue: Some((queues[i % queues.len()], Role::Dispatcher)),
            limit: 50,
            ..CaseFilter::default()
        };
        let (s, scope) = (&store, district.clone());
        async move { s.list_cases(&scope, &f).await.unwrap().cases.len() }
    })
    .await;
    measure("workbench: a street dispatcher's queue page (to register … overdue)", 100, |i| {
        let f = CaseFilter {
            queue: Some((queues[i % queues.len()], Role::Dispatcher)),
            limit: 50,
            ..CaseFilter::default()
        };
        let (s, scope) = (&store, Scope::parse(&format!("region:110101{:03}", i % 17 + 1)).unwrap());
        async move { s.list_cases(&scope, &f).await.unwrap().cases.len() }
    })
    .await;
    measure("workbench: supervisor's 'mine', 5 pages deep", 50, |_| {
        let (s, scope) = (&store, district.clone());
        async move {
            let mut f = CaseFilter { queue: Some((Queue::Mine, Role::Supervisor)), limit: 50, ..CaseFilter::default() };
            let mut n = 0;
            for _ in 0..5 {
                let page = s.list_cases(&scope, &f).await.unwrap();
                n = page.cases.len();
                f.after = page.next_cursor;
            }
            n
        }
    })
    .await;

    // The dashboard: the grouped figures of a district over whole days, as its page asks for
    // them (dates), and over moments (now less 30 days), whose part-days are read from the cases.
    let today = day_start(day_of(now));
    for (days, whole) in [(30, false), (90, false), (90, true), (365, true)] {
        let (from, to) = if whole { (today - Duration::days(days), today) } else { (now - Duration::days(days), now) };
        let filter = RateFilter {
            region: Some("110101".parse_region()),
            from: Some(from),
            to: Some(to),
            ..RateFilter::default()
        };
        let days = format!("{days} {}", if whole { "whole days" } else { "days to now" });
        for (name, grouping) in [("street", Grouping::Street), ("unit", Grouping::Unit), ("week", Grouping::Week)] {
            measure(&format!("dashboard: rates per {name}, district, {days} days"), 20, |_| {
                let (s, scope, f) = (&store, district.clone(), filter.clone());
                async move { s.rate_counts_by(&scope, &f, grouping).await.unwrap().len() }
            })
            .await;
        }
        measure(&format!("dashboard: cases per category and per unit, district, {days}"), 20, |_| {
            let (s, scope, f) = (&store, district.clone(), filter.clone());
            async move {
                s.case_counts_by(&scope, &f, Grouping::TopCategory).await.unwrap().len()
                    + s.case_counts_by(&scope, &f, Grouping::Unit).await.unwrap().len()
            }
        })
        .await;
        measure(&format!("map: cases per community, district, {days}"), 20, |_| {
            let (s, scope, f) = (&store, district.clone(), filter.clone());
            async move { s.region_counts(&scope, RegionLevel::Community, &f).await.unwrap().len() }
        })
        .await;
        measure(&format!("rates: one community, {days}"), 50, |i| {
            let region = format!("110101{:03}{:03}", i % 17 + 1, i % 10 + 1).parse_region();
            let f = RateFilter { region: Some(region), ..filter.clone() };
            let (s, scope) = (&store, district.clone());
            async move { s.rate_counts(&scope, &f).await.unwrap().dispatched as usize }
        })
        .await;
        measure(&format!("rates: a grid worker's grid, {days}"), 50, |i| {
            let scope = Scope::Grids { codes: vec![format!("110101{:03}{:03}001", i % 17 + 1, i % 10 + 1)] };
            let (s, f) = (&store, RateFilter { region: None, ..filter.clone() });
            async move { s.rate_counts(&scope, &f).await.unwrap().dispatched as usize }
        })
        .await;
    }
}

trait ParseRegion {
    fn parse_region(&self) -> grassroots_domain::RegionCode;
}

impl ParseRegion for str {
    fn parse_region(&self) -> grassroots_domain::RegionCode {
        grassroots_domain::RegionCode::parse(self).unwrap()
    }
}
