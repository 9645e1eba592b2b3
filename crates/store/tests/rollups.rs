//! The counters of cases per day and place, against the cases themselves: after random moves,
//! deadline marks, merges, reopenings and bulk loads, the counters kept move by move equal a
//! recomputation, and every figure read through them equals the same figure counted case by
//! case here.

mod support;

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use grassroots_domain::queue::Queue;
use grassroots_domain::rates::RateCounts;
use grassroots_domain::rollups::{day_of, day_start, Cut};
use grassroots_domain::workflow::Move;
use grassroots_domain::{Actor, CaseRecord, Channel, RegionCode, RegionLevel, Role, Satisfaction, Scope};
use grassroots_store::{
    CaseStore, Counters, CreatedCase, Grouping, HistoricCase, HistoryStore, JobStore, RateFilter, ResidentPass,
    RollupStore, StatsStore, Store,
};
use support::*;
use uuid::Uuid;

const STREETS: [&str; 2] = ["110101001", "110101002"];

/// A case of `category` received at `at` in the first or second street's first grid.
async fn report(
    s: &dyn Store,
    f: &Fixture,
    at: DateTime<Utc>,
    category: &str,
    street: usize,
    patrol: bool,
) -> CreatedCase {
    let mut new = f.new_case("随机案件", None, at);
    new.category_code = category.into();
    let community = format!("{}001", STREETS[street]);
    new.place.street_code = Some(STREETS[street].into());
    new.place.grid_code = Some(format!("{community}001"));
    new.place.community_code = Some(community);
    if patrol {
        new.channel = Channel::GridPatrol;
    }
    s.create_case(new, &Actor::Resident).await.unwrap()
}

/// Takes a case around the loop to its resident's evaluation.
async fn close_and_evaluate(s: &dyn Store, f: &Fixture, case: &CreatedCase, at: DateTime<Utc>, satisfied: bool) {
    for (i, (actor, mv)) in f.moves_to_verified().iter().enumerate() {
        let t = at + Duration::minutes(10 * i as i64 + 1);
        s.apply_move(actor, case.id, mv, &f.ctx(t)).await.unwrap_or_else(|e| panic!("{}: {e}", mv.name()));
    }
    let satisfaction = if satisfied { Satisfaction::Basic } else { Satisfaction::Dissatisfied };
    let evaluate = Move::Evaluate { resolved: satisfied, satisfaction, comment: None };
    let pass = ResidentPass::code(&case.tracking_no, &case.query_code);
    s.resident_move(&pass, &evaluate, &f.ctx(at + Duration::hours(2)), &[]).await.unwrap();
}

async fn counters_equal_a_recomputation_after_any_moves(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let mut actors = f.staff_of_every_role();
    actors.push(Actor::Resident);
    let mut moves = sample_moves();
    let now = Utc::now();
    let start = now - Duration::days(12);
    for seed in 0..3 {
        let mut rng = SmallRng::new(seed);
        let mut ids = Vec::new();
        for i in 0..6 {
            let at = start + Duration::minutes(rng.below(10 * 24 * 60) as i64);
            let category = ["0302", "0101", "0102"][rng.below(3)];
            let case = report(s, &f, at, category, rng.below(2), i % 3 == 0).await;
            if i < 2 {
                close_and_evaluate(s, &f, &case, at + Duration::hours(rng.below(48) as i64), i == 0).await;
            }
            ids.push(case.id);
        }
        let loaded: Vec<HistoricCase> =
            (0..3).map(|_| f.historic(start + Duration::minutes(rng.below(10 * 24 * 60) as i64))).collect();
        s.insert_history(&loaded).await.unwrap();
        ids.extend(loaded.iter().map(|h| h.record.id));
        moves.push(Move::Merge { into: ids[0], reason: None });
        let mut t = start + Duration::days(10);
        for _ in 0..150 {
            t += Duration::minutes(rng.below(300) as i64);
            let id = ids[rng.below(ids.len())];
            let mv = &moves[rng.below(moves.len())];
            let _ = s.apply_move(&actors[rng.below(actors.len())], id, mv, &f.ctx(t)).await;
            if rng.below(10) == 0 {
                s.tick_deadlines(t, 100).await.unwrap();
            }
        }
        moves.pop();
    }
    for check in s.rebuild_rollups(false).await.unwrap() {
        assert!(check.agrees(), "{check:?}");
        assert!(check.rows > 0, "{check:?}");
    }
    let mut cases = Vec::new();
    for id in all_case_ids(&db).await {
        cases.push(s.case_record(id).await.unwrap().unwrap());
    }
    assert!(cases.iter().any(|c| c.evaluation.is_some()), "the walk reached evaluations");
    assert!(cases.iter().any(|c| c.reopen_count > 0 || c.merged_into.is_some()), "and reopenings or merges");
    let whole_days = (Some(day_start(day_of(start))), Some(day_start(day_of(now) + 1)));
    let ragged = (Some(start + Duration::hours(30)), Some(now - Duration::hours(50)));
    let scopes = [
        Scope::All,
        Scope::parse(&format!("region:{}", STREETS[1])).unwrap(),
        Scope::parse("region:110101001001").unwrap(),
        Scope::Unit { unit: UNIT_B.into() },
        Scope::Grids { codes: vec![GRID.into()] },
    ];
    for (from, to) in [whole_days, ragged] {
        for scope in &scopes {
            for (unit, category, region) in [
                (None, None, None),
                (Some(UNIT_A), None, None),
                (None, Some("01"), None),
                (None, Some("0302"), None),
                (None, None, Some(STREETS[0])),
                (None, None, Some("110101001001")),
            ] {
                let filter = RateFilter {
                    region: region.map(|r| RegionCode::parse(r).unwrap()),
                    unit: unit.map(str::to_string),
                    category: category.map(str::to_string),
                    from,
                    to,
                    as_of: Some(now),
                };
                let what = format!("{scope:?} {filter:?}");
                let in_scope: Vec<&CaseRecord> =
                    cases.iter().filter(|c| within(c, scope, &filter, unit.is_some())).collect();
                let counted = rate_counts(&in_scope, &filter, |_| Some(String::new()));
                assert_eq!(
                    s.rate_counts(scope, &filter).await.unwrap(),
                    counted.get("").copied().unwrap_or_default(),
                    "{what}"
                );
                for grouping in
                    [Grouping::Street, Grouping::Community, Grouping::Unit, Grouping::TopCategory, Grouping::Week]
                {
                    let key = |c: &CaseRecord, t: DateTime<Utc>| group_key(c, grouping, from, t);
                    let by = s.rate_counts_by(scope, &filter, grouping).await.unwrap();
                    let expected = rate_counts(&in_scope, &filter, |c| key(c, c.first_dispatched_at.unwrap()));
                    assert_eq!(by.into_iter().collect::<BTreeMap<_, _>>(), expected, "{grouping:?} {what}");
                    let by = s.case_counts_by(scope, &filter, grouping).await.unwrap();
                    let expected = received_counts(&in_scope, &filter, |c| key(c, c.received_at));
                    assert_eq!(counts_of(by), expected, "{grouping:?} {what}");
                }
                // Counts by region and of patrols ignore the unit, as they always have.
                let by_region: Vec<&CaseRecord> = cases.iter().filter(|c| within(c, scope, &filter, false)).collect();
                for level in [RegionLevel::Township, RegionLevel::Community, RegionLevel::Grid] {
                    let by = s.region_counts(scope, level, &filter).await.unwrap();
                    let expected = received_counts(&by_region, &filter, |c| region_of(c, level));
                    assert_eq!(counts_of(by), expected, "{level:?} {what}");
                }
                let patrols = s.patrol_counts(scope, &filter).await.unwrap();
                let received = by_region.iter().filter(|c| during(c.received_at, &filter));
                let patrol: Vec<&&CaseRecord> = received.filter(|c| c.channel == Channel::GridPatrol).collect();
                assert_eq!(patrols.reports, patrol.len() as i64, "{what}");
                assert_eq!(patrols.resolved_on_spot, patrol.iter().filter(|c| c.resolved_on_spot).count() as i64);
            }
        }
    }
}

async fn a_rebuild_says_what_it_corrected_and_puts_it_right(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let c = f.report(s, "路灯不亮", None).await;
    f.dispatch_to(s, c.id, UNIT_A, &[UNIT_B]).await;
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    sqlx::query("UPDATE case_rollups SET received = received + 5 WHERE cut = 1").execute(&pool).await.unwrap();
    sqlx::query("DELETE FROM case_rollups WHERE cut = 3 AND co_unit <> ''").execute(&pool).await.unwrap();
    sqlx::query("UPDATE case_open_counts SET n = n + 2 WHERE n > 0").execute(&pool).await.unwrap();
    pool.close().await;
    let before = s.rate_counts(&Scope::All, &RateFilter::default()).await.unwrap();
    let mine = |counts: Vec<(Queue, i64)>| counts.into_iter().find(|(q, _)| *q == Queue::Mine).map(|(_, n)| n);
    // The one dispatched case is counted three times in a handler's queue (the scope of every
    // case, which the open counts answer).
    assert_eq!(mine(s.queue_counts(&Scope::All, Role::Handler).await.unwrap()), Some(3));
    let checks = s.rebuild_rollups(false).await.unwrap();
    let wrong: Vec<(Counters, i64, i64)> = checks.iter().map(|c| (c.counters, c.wrong, c.stale)).collect();
    let days = |cut: Cut, wrong, stale| (Counters::Days(cut), wrong, stale);
    assert_eq!(
        wrong,
        vec![
            days(Cut::DistrictCategory, 0, 0),
            days(Cut::Street, 1, 1),
            days(Cut::DistrictUnit, 0, 0),
            days(Cut::StreetCategory, 0, 0),
            days(Cut::StreetUnit, 1, 0),
            days(Cut::Community, 0, 0),
            days(Cut::CommunityCategory, 0, 0),
            days(Cut::CommunityUnit, 0, 0),
            days(Cut::Grid, 0, 0),
            (Counters::Open, 1, 1),
        ]
    );
    assert!(!s.rebuild_rollups(false).await.unwrap().iter().all(|c| c.agrees()), "a dry run changes nothing");
    assert!(!s.rebuild_rollups(true).await.unwrap().iter().all(|c| c.agrees()), "it reports what it corrected");
    assert!(s.rebuild_rollups(false).await.unwrap().iter().all(|c| c.agrees()));
    assert_eq!(s.rate_counts(&Scope::All, &RateFilter::default()).await.unwrap(), before);
    assert_eq!(mine(s.queue_counts(&Scope::All, Role::Handler).await.unwrap()), Some(1));
    let street = RateFilter { region: Some(RegionCode::parse("110101001").unwrap()), ..RateFilter::default() };
    assert_eq!(s.region_counts(&Scope::All, RegionLevel::Township, &street).await.unwrap()[0].total, 1);
}

/// A cut added by a new version has no counters in a store made before it: opening the store
/// counts that cut, and only it (the others are checked by `rollups rebuild`).
async fn a_cut_without_counters_is_counted_when_the_store_is_next_opened(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let c = f.report(s, "路灯不亮", None).await;
    f.dispatch_to(s, c.id, UNIT_A, &[UNIT_B]).await;
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let added = Cut::CommunityUnit.code();
    sqlx::query(&format!("DELETE FROM case_rollups WHERE cut = {added}")).execute(&pool).await.unwrap();
    sqlx::query("DELETE FROM case_open_counts").execute(&pool).await.unwrap();
    sqlx::query("UPDATE case_rollups SET received = received + 5 WHERE cut = 1").execute(&pool).await.unwrap();
    pool.close().await;
    db.store.migrate().await.unwrap();
    let checks = s.rebuild_rollups(false).await.unwrap();
    for added in [Counters::Days(Cut::CommunityUnit), Counters::Open] {
        let counted = checks.iter().find(|c| c.counters == added).unwrap();
        assert!(counted.agrees() && counted.rows > 0, "{counted:?}");
    }
    let disagreeing: Vec<Counters> = checks.iter().filter(|c| !c.agrees()).map(|c| c.counters).collect();
    assert_eq!(disagreeing, vec![Counters::Days(Cut::Street)]);
}

conformance!(
    counters_equal_a_recomputation_after_any_moves,
    a_rebuild_says_what_it_corrected_and_puts_it_right,
    a_cut_without_counters_is_counted_when_the_store_is_next_opened
);

async fn all_case_ids(db: &TestDb) -> Vec<Uuid> {
    use sqlx::Row;
    let pool = sqlx::AnyPool::connect(&db.url).await.unwrap();
    let rows = sqlx::query("SELECT id FROM cases").fetch_all(&pool).await.unwrap();
    pool.close().await;
    rows.iter().map(|r| Uuid::parse_str(&r.get::<String, _>("id")).unwrap()).collect()
}

fn during(t: DateTime<Utc>, f: &RateFilter) -> bool {
    f.from.is_none_or(|from| t >= from) && f.to.is_none_or(|to| t < to)
}

/// Whether the case is in the scope and of the filter's region, category and (if `by_unit`)
/// lead unit, as the figures have always selected cases.
fn within(c: &CaseRecord, scope: &Scope, f: &RateFilter, by_unit: bool) -> bool {
    let in_region = |code: &RegionCode| region_of(c, code.level()).as_deref() == Some(code.as_str());
    let in_scope = match scope {
        Scope::All => true,
        Scope::Regions { codes } => codes.iter().any(in_region),
        Scope::Unit { unit } => c.lead_unit.as_deref() == Some(unit) || c.co_units.contains(unit),
        Scope::Grids { codes } => c.place.grid_code.as_ref().is_some_and(|g| codes.contains(g)),
    };
    in_scope
        && f.region.as_ref().is_none_or(in_region)
        && f.category.as_ref().is_none_or(|k| c.category_code.starts_with(k.as_str()))
        && (!by_unit || f.unit.is_none() || c.lead_unit == f.unit)
}

fn region_of(c: &CaseRecord, level: RegionLevel) -> Option<String> {
    match level {
        RegionLevel::Township => c.place.street_code.clone(),
        RegionLevel::Community => c.place.community_code.clone(),
        RegionLevel::Grid => c.place.grid_code.clone(),
        _ => c.place.district_code.clone(),
    }
}

fn group_key(c: &CaseRecord, grouping: Grouping, from: Option<DateTime<Utc>>, t: DateTime<Utc>) -> Option<String> {
    match grouping {
        Grouping::Street => c.place.street_code.clone(),
        Grouping::Community => c.place.community_code.clone(),
        Grouping::Unit => c.lead_unit.clone(),
        Grouping::TopCategory => Some(c.category_code[..2].to_string()),
        Grouping::Week => from.map(|from| ((t - from).num_milliseconds() / (7 * 24 * 3600 * 1000)).to_string()),
    }
}

fn rate_counts(
    cases: &[&CaseRecord],
    f: &RateFilter,
    key: impl Fn(&CaseRecord) -> Option<String>,
) -> BTreeMap<String, RateCounts> {
    let as_of = f.as_of.unwrap();
    let mut out: BTreeMap<String, RateCounts> = BTreeMap::new();
    for c in cases.iter().filter(|c| c.first_dispatched_at.is_some_and(|t| during(t, f))) {
        let Some(k) = key(c) else { continue };
        let e = c.evaluation.as_ref();
        *out.entry(k).or_default() += RateCounts {
            dispatched: 1,
            response_due_or_made: i64::from(c.responded_on_time.is_some() || c.response_due <= as_of),
            responded_on_time: i64::from(c.responded_on_time == Some(true)),
            evaluated: i64::from(e.is_some()),
            resolved: i64::from(e.is_some_and(|e| e.resolved)),
            satisfied: i64::from(e.is_some_and(|e| e.satisfaction.counts_as_satisfied())),
        };
    }
    out
}

/// Cases received in the period per key: (total, pending, overdue).
fn received_counts(
    cases: &[&CaseRecord],
    f: &RateFilter,
    key: impl Fn(&CaseRecord) -> Option<String>,
) -> BTreeMap<String, (i64, i64, i64)> {
    let mut out: BTreeMap<String, (i64, i64, i64)> = BTreeMap::new();
    for c in cases.iter().filter(|c| during(c.received_at, f)) {
        let Some(k) = key(c) else { continue };
        let pending = c.state.is_pending();
        let e = out.entry(k).or_default();
        e.0 += 1;
        e.1 += i64::from(pending);
        e.2 += i64::from(pending && c.due_status == grassroots_domain::DueStatus::Overdue);
    }
    out
}

fn counts_of(counts: Vec<grassroots_store::RegionCount>) -> BTreeMap<String, (i64, i64, i64)> {
    counts.into_iter().map(|c| (c.code, (c.total, c.pending, c.overdue))).collect()
}
