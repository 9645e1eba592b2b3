//! `grassroots demo` loads the same data however often it runs, and every generated case is
//! consistent with its events.

mod support;

use grassroots_store::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;

use grassroots_domain::workflow::replay;
use grassroots_domain::{CaseState, DueStatus, Scope};
use grassroots_store::crypto::Keyring;
use grassroots_store::{CaseFilter, SqlStore, StoreOptions};
use sqlx::{Connection, Row};
use support::grassroots;

#[tokio::test]
async fn demo_loads_once_and_its_cases_replay() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("grassroots.db").display());
    demo_loads_once_and_its_cases_replay_on(dir.path(), url).await;
}

/// The same on PostgreSQL, in a database of its own on the server named by
/// GRASSROOTS_TEST_POSTGRES_URL.
#[tokio::test]
#[ignore = "needs PostgreSQL: set GRASSROOTS_TEST_POSTGRES_URL and run with --ignored"]
async fn demo_loads_once_and_its_cases_replay_on_postgres() {
    let base = std::env::var("GRASSROOTS_TEST_POSTGRES_URL").expect("GRASSROOTS_TEST_POSTGRES_URL");
    sqlx::any::install_default_drivers();
    let name = format!("grassroots_test_{}", uuid::Uuid::now_v7().simple());
    let mut admin = sqlx::AnyConnection::connect(&base).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let (prefix, _) = base.rsplit_once('/').expect("URL with a database name");
    let dir = tempfile::tempdir().unwrap();
    demo_loads_once_and_its_cases_replay_on(dir.path(), format!("{prefix}/{name}")).await;
}

async fn demo_loads_once_and_its_cases_replay_on(dir: &std::path::Path, url: String) {
    for _ in 0..2 {
        let out = grassroots(dir).args(["--database-url", &url, "demo", "--no-serve"]).output().unwrap();
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    }
    let (keys, _) = Keyring::load_or_create(None, dir).unwrap();
    let store = Arc::new(
        SqlStore::open(StoreOptions {
            url: url.clone(),
            keys,
            max_connections: 2,
            attachments_dir: dir.join("attachments"),
        })
        .await
        .unwrap(),
    );
    // The generated history, and the three property cases that name the demo's compounds.
    assert_eq!(store.count_cases().await.unwrap(), 684 + 3, "a second run generates nothing");
    let reference = store.reference().await.unwrap();
    assert_eq!(
        reference.units.len(),
        23 + 17 + 1 + 17,
        "departments, the command centre, street offices, the district's and the streets' discipline units"
    );
    assert_eq!(store.regions().await.unwrap().len(), 1 + 17 + 169);

    // Synthetic grids cover the district: every community has one, each has its grid worker,
    // and a second run generated none.
    let grids = store.grids().await.unwrap();
    assert!((500..800).contains(&grids.len()), "{} grids", grids.len());
    assert!(grids.iter().all(|g| g.synthetic && g.code.len() == 15 && g.code.starts_with(&g.community_code)));
    let communities: HashSet<&str> = grids.iter().map(|g| g.community_code.as_str()).collect();
    assert_eq!(communities.len(), 169);
    // Each street's grids lie where the street is: their middle within a kilometre of its centre.
    for site in grassroots_geo::sites::dongcheng_streets() {
        let mine: Vec<(f64, f64)> =
            grids.iter().filter(|g| g.community_code.starts_with(&site.code)).map(|g| g.centroid).collect();
        let n = mine.len() as f64;
        let (lng, lat) = mine.iter().fold((0.0, 0.0), |(x, y), c| (x + c.0 / n, y + c.1 / n));
        let metres = ((lng - site.centre.0) * 85_390.0).hypot((lat - site.centre.1) * 110_540.0);
        assert!(metres < 1_000.0, "{}: its grids' middle is {metres:.0} m from its centre", site.name);
    }
    for g in grids.iter().step_by(37) {
        assert_eq!(store.grid_workers(&g.code).await.unwrap().len(), 1, "grid {}", g.code);
    }
    let coverage = store.coverage("110101", chrono::Utc::now()).await.unwrap();
    let (households, visited): (i64, i64) =
        coverage.iter().fold((0, 0), |(h, v), c| (h + c.households, v + c.visited_90_days));
    assert!(households > 10_000 && visited * 10 > households * 3, "{visited} of {households} households visited");
    let patrol = store.patrol_counts(&Scope::All, &grassroots_store::RateFilter::default()).await.unwrap();
    assert!(patrol.reports > 0 && patrol.resolved_on_spot > 0, "{patrol:?}");

    let mut states = HashSet::new();
    let (mut overdue, mut evaluated) = (0, 0);
    let mut filter = CaseFilter { limit: 200, ..CaseFilter::default() };
    let mut previous = None;
    loop {
        let page = store.list_cases(&Scope::All, &filter).await.unwrap();
        for c in &page.cases {
            // Newest first by id is newest first by receipt, as for live cases.
            assert!(previous.is_none_or(|p| p >= c.record.received_at), "ids follow receipt times");
            previous = Some(c.record.received_at);
            let events = store.case_events(c.record.id).await.unwrap();
            assert_eq!(replay(&events).unwrap().as_ref(), Some(&c.record), "case {}", c.record.tracking_no);
            states.insert(c.record.state);
            overdue += usize::from(c.record.state.is_pending() && c.record.due_status == DueStatus::Overdue);
            evaluated += usize::from(c.record.evaluation.is_some());
        }
        match page.next_cursor {
            Some(after) => filter.after = Some(after),
            None => break,
        }
    }
    for state in CaseState::ALL {
        assert!(states.contains(state), "no demo case is {}", state.as_str());
    }
    assert!(overdue > 0 && evaluated > 100, "overdue {overdue}, evaluated {evaluated}");
    let admin = store.user_by_username("admin").await.unwrap().expect("admin account");
    assert!(grassroots_store::auth::verify_password("grassroots-demo", &admin.password_hash));
    assert!(store.user_by_username("handler-110101-urban-management").await.unwrap().is_some());

    // Disputes in every grade and stage, loaded once; one converted from a case.
    let disputes = store
        .disputes(&grassroots_store::PlaceFilter::Everywhere, grassroots_store::disputes::DisputeSelection::All, 100)
        .await
        .unwrap();
    assert_eq!(disputes.len(), 10, "a second run registers none");
    for state in grassroots_domain::disputes::DisputeState::ALL {
        assert!(disputes.iter().any(|d| d.state == *state), "no demo dispute is {}", state.as_str());
    }
    for grade in grassroots_domain::disputes::RiskGrade::ALL {
        assert!(disputes.iter().any(|d| d.grade == *grade), "no demo dispute is {}", grade.as_str());
    }
    let converted = disputes.iter().find_map(|d| d.case_id).expect("a dispute converted from a case");
    assert!(store.dispute_of_case(converted).await.unwrap().is_some());

    // A past rainstorm closed with its summary, every household checked; a drill under way.
    let incidents = store.incidents(&grassroots_store::PlaceFilter::Everywhere, 10).await.unwrap();
    assert_eq!(incidents.len(), 2, "a second run opens none");
    let (live, past) = (&incidents[0], &incidents[1]);
    assert!(live.active && live.drill && !past.active && !past.drill);
    assert!(past.summary.iter().any(|l| l.zh.contains("逐户排查") && l.zh.contains("（100%）")), "{:?}", past.summary);
    let progress = store.incident_progress(live.id).await.unwrap();
    let (checked, households): (i64, i64) =
        progress.iter().fold((0, 0), |(c, h), g| (c + g.progress.checked(), h + g.progress.households));
    assert!(checked > 0 && checked < households, "{checked} of {households} checked in the drill");
    assert_eq!(progress[0].progress.checked(), 0, "the first grid is left to check");

    // The party tree from the street to buildings; grids with and without a branch; members
    // keeping contact with households, most reached lately; theme days held.
    let everywhere = grassroots_store::PlaceFilter::Everywhere;
    let orgs = store.party_orgs(&everywhere).await.unwrap();
    assert_eq!(orgs.len(), 11, "a second run sets up none");
    for kind in grassroots_domain::party::OrgKind::ALL {
        assert!(orgs.iter().any(|o| o.kind == *kind), "no demo organisation is a {}", kind.as_str());
    }
    let community = orgs.iter().find(|o| o.kind == grassroots_domain::party::OrgKind::GeneralBranch).unwrap();
    let today = grassroots_domain::calendar::beijing_day(chrono::Utc::now());
    let grids = store.party_grids(&community.place_code, today).await.unwrap();
    assert!(grids.iter().any(|g| g.organised) && grids.iter().any(|g| !g.organised), "some grids without a branch");
    let linked: i64 = grids.iter().map(|g| g.coverage.linked).sum();
    let reached: i64 = grids.iter().map(|g| g.coverage.reached_30_days).sum();
    assert!(linked > 20 && reached > 0 && reached < linked, "{reached} of {linked} linked households reached");
    let tally = store.party_tally(&everywhere, today - chrono::Duration::days(120), today).await.unwrap();
    assert_eq!((tally.activities, tally.registered), (3, 4));
    assert!(tally.present > 0 && tally.present < tally.expected && tally.service_half_hours > 0);

    // 减负: the district's list, impositions some of them flagged, and last month's bulletin of
    // the district as the schedule makes it.
    assert_eq!(store.list_entries("110101").await.unwrap().len(), 8, "a second run adds none");
    let impositions = store.impositions(&everywhere, today - chrono::Duration::days(120), today, 100).await.unwrap();
    assert_eq!(impositions.len(), 10);
    assert!(
        impositions.iter().any(|i| i.flags.is_empty())
            && impositions.iter().filter(|i| !i.flags.is_empty()).count() == 4
    );
    let month = grassroots_domain::bulletins::BulletinPeriod::Month.last_complete(today);
    let kind = grassroots_domain::bulletins::SubjectKind::District;
    let period = grassroots_domain::bulletins::BulletinPeriod::Month;
    assert!(store.bulletin_exists(kind, "110101", period, month.from).await.unwrap(), "last month's bulletin");

    // 防治微腐败: the district's small powers and one community's, its finances and affairs
    // published, a report of misconduct at the street's 纪工委 being looked into.
    let powers = store.small_powers(&community.place_code).await.unwrap();
    assert_eq!(powers.len(), 6, "a second run adds none");
    let places = grassroots_store::PlaceFilter::Of(vec![community.place_code.clone()]);
    let published = store.disclosures(&places, 10).await.unwrap();
    assert_eq!(published.len(), 4, "three months' finances and a quarter's affairs");
    let reports = store.misconduct_reports(&format!("discipline-{}", &community.place_code[..9]), 10).await.unwrap();
    assert_eq!(reports.len(), 1);
    assert_eq!(reports[0].state, grassroots_domain::oversight::MisconductState::Investigating);

    // 队伍建设: a profile for every grid worker, one of whom left this year; the standard set.
    let profiles = store.profiles(&everywhere).await.unwrap();
    assert_eq!(profiles.len(), 1 + 168, "the demo's grid worker and one per community; a second run adds none");
    assert_eq!(profiles.iter().filter(|p| p.left_on.is_some()).count(), 1);
    assert!(store.staffing_standard("110101").await.unwrap().is_some());

    // Participation: a vote of each phase, the published one reproduced from its ballots by
    // `grassroots vote tally`, which fails once a stored ballot no longer says what was counted.
    let votes = store.votes(&grassroots_store::PlaceFilter::Everywhere, 10).await.unwrap();
    let now = chrono::Utc::now();
    let phases: HashSet<&str> = votes.iter().map(|v| v.phase(now).as_str()).collect();
    assert_eq!(phases, HashSet::from(["published", "open", "scheduled"]), "a second run adds no votes");
    let meetings = store.meetings(&grassroots_store::PlaceFilter::Everywhere, 10).await.unwrap();
    let states: HashSet<&str> = meetings.iter().map(|m| m.state.as_str()).collect();
    assert_eq!(states, HashSet::from(["held", "planned"]), "a council held and one announced");
    let tasks = store.tasks(&grassroots_store::PlaceFilter::Everywhere, 20).await.unwrap();
    let stages: HashSet<&str> = tasks
        .iter()
        .map(|t| grassroots_domain::accountability::progress(t.deadline, t.done_at, now).as_str())
        .collect();
    assert_eq!(stages, HashSet::from(["underway", "overdue", "done_on_time"]), "decisions at each stage");
    let surveys = store.surveys(&grassroots_store::PlaceFilter::Everywhere, 10).await.unwrap();
    let phases: HashSet<&str> = surveys.iter().map(|s| s.phase(now).as_str()).collect();
    assert_eq!(phases, HashSet::from(["closed", "open"]), "a survey counted and one asking now");
    assert!(surveys.iter().all(|s| s.responses > 0));
    let published = votes.iter().find(|v| v.published_at.is_some()).unwrap();
    assert!(published.voters > 0 && published.eligible.unwrap() >= published.voters);
    let tally = |id: uuid::Uuid| {
        grassroots(dir).args(["--database-url", &url, "vote", "tally", &id.to_string()]).output().unwrap()
    };
    let out = tally(published.id);
    let said = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success() && said.contains("what the stored ballots add up to"), "{said}");
    let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
    let ballot: String = sqlx::query("SELECT id FROM ballots WHERE vote_id = $1 AND choices = '0' LIMIT 1")
        .bind(published.id.to_string())
        .fetch_one(&mut conn)
        .await
        .unwrap()
        .get("id");
    sqlx::query("UPDATE ballots SET choices = '1' WHERE id = $1").bind(ballot).execute(&mut conn).await.unwrap();
    let out = tally(published.id);
    assert!(!out.status.success(), "a tampered ballot is found: {}", String::from_utf8_lossy(&out.stdout));
    assert!(String::from_utf8_lossy(&out.stderr).contains("differs"));
}
