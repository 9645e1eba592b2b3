//! Grid management on every backend: grids replaced all at once, grid workers following their
//! accounts, household visits and their coverage, attachments behind the case's scope, and the
//! per-region counts maps use.

mod support;

use chrono::{Duration, Utc};
use grassroots_domain::{Actor, RegionLevel, Role, Scope};
use grassroots_store::prelude::*;
use grassroots_store::{HouseholdRef, NewUser, NewVisit, RateFilter, StoreError};
use support::*;

async fn a_grid_import_replaces_the_grids_of_its_communities_only(db: TestDb) {
    let s = &*db.store;
    let c1 = "110101001001".to_string();
    let c2 = "110101001002".to_string();
    let first = s
        .replace_grids(
            &[c1.clone(), c2.clone()],
            &[grid("110101001001001", 116.40), grid("110101001001002", 116.41), grid("110101001002001", 116.42)],
        )
        .await
        .unwrap();
    assert_eq!((first.added, first.updated, first.removed), (3, 0, 0));
    let stamp = s.grids_stamp().await.unwrap();

    // A new layer for community 1 only: grid 002 is gone, 001 changes, community 2 is untouched.
    let mut changed = grid("110101001001001", 116.40);
    changed.name = "东华门一网格".into();
    let second = s.replace_grids(std::slice::from_ref(&c1), &[changed]).await.unwrap();
    assert_eq!((second.added, second.updated, second.removed), (0, 1, 1));
    let codes: Vec<String> = s.grids().await.unwrap().into_iter().map(|g| g.code).collect();
    assert_eq!(codes, ["110101001001001", "110101001002001"]);
    assert_ne!(s.grids_stamp().await.unwrap(), stamp, "the stamp tells indexes to rebuild");
    let stored = s.grids().await.unwrap().into_iter().next().unwrap();
    assert_eq!(stored.name, "东华门一网格");
    assert_eq!(stored.geometry["type"], "MultiPolygon");
}

async fn grid_workers_follow_their_accounts_scope(db: TestDb) {
    let s = &*db.store;
    let user = |grids: &[&str]| NewUser {
        username: "wangge".into(),
        display_name: "王网格".into(),
        password_hash: "x".into(),
        role: Role::GridWorker,
        scope: Scope::Grids { codes: grids.iter().map(|g| g.to_string()).collect() },
    };
    s.upsert_user(&user(&["110101001001001", "110101001001002"])).await.unwrap();
    assert_eq!(s.grid_workers("110101001001002").await.unwrap()[0].display_name, "王网格");
    s.upsert_user(&user(&["110101001001001"])).await.unwrap();
    assert!(s.grid_workers("110101001001002").await.unwrap().is_empty());
    assert_eq!(s.grid_workers("110101001001001").await.unwrap().len(), 1);
}

async fn visits_count_towards_coverage_within_the_workers_grids(db: TestDb) {
    let s = &*db.store;
    s.replace_grids(&["110101001001".into()], &[grid(GRID, 116.40)]).await.unwrap();
    let labels: Vec<String> = (1..=4).map(|i| format!("{i}号楼101")).collect();
    assert_eq!(s.add_households(GRID, &labels).await.unwrap(), 4);
    assert_eq!(s.add_households(GRID, &labels[..1]).await.unwrap(), 0, "labels are not registered twice");
    let account = s
        .upsert_user(&NewUser {
            username: "wangge".into(),
            display_name: "王网格".into(),
            password_hash: "x".into(),
            role: Role::GridWorker,
            scope: Scope::Grids { codes: vec![GRID.into()] },
        })
        .await
        .unwrap();
    let worker =
        Actor::Staff { user_id: account.id, username: account.username, role: account.role, scope: account.scope };
    let now = Utc::now();
    let today = now.with_timezone(&grassroots_domain::calendar::beijing()).date_naive();
    let visit = |household: HouseholdRef, days_ago: i64| NewVisit {
        grid_code: GRID.into(),
        household,
        visited_on: today - Duration::days(days_ago),
        topic: "独居老人探访".into(),
        follow_up: None,
        case_id: None,
    };
    let households = s.households(GRID).await.unwrap();
    s.record_visit(&worker, &visit(HouseholdRef::Id(households[0].id), 2), now).await.unwrap();
    s.record_visit(&worker, &visit(HouseholdRef::Id(households[0].id), 5), now).await.unwrap();
    s.record_visit(&worker, &visit(HouseholdRef::Id(households[1].id), 60), now).await.unwrap();
    // A household met for the first time is registered by its label.
    let new = s.record_visit(&worker, &visit(HouseholdRef::Label("5号楼302".into()), 0), now).await.unwrap();
    assert_eq!(new.household_label, "5号楼302");
    assert_eq!(s.households(GRID).await.unwrap().len(), 5);

    let coverage = s.coverage("110101", now).await.unwrap();
    assert_eq!(coverage.len(), 1);
    let c = &coverage[0];
    assert_eq!((c.households, c.visited_30_days, c.visited_90_days), (5, 2, 3));

    // Another grid's worker, a handler and an unknown household are refused; nothing is written.
    let other = staff(Role::GridWorker, Scope::Grids { codes: vec!["110101001001009".into()] });
    assert!(matches!(
        s.record_visit(&other, &visit(HouseholdRef::Label("x".into()), 0), now).await,
        Err(StoreError::NotFound)
    ));
    let handler = staff(Role::Handler, Scope::Unit { unit: UNIT_A.into() });
    assert!(matches!(
        s.record_visit(&handler, &visit(HouseholdRef::Label("x".into()), 0), now).await,
        Err(StoreError::NotFound)
    ));
    let stranger = HouseholdRef::Id(uuid::Uuid::now_v7());
    assert!(
        matches!(s.record_visit(&worker, &visit(stranger, 0), now).await, Err(StoreError::Invalid(f)) if f.field == "household")
    );
    assert_eq!(s.visits(&Scope::All, GRID, 100).await.unwrap().len(), 4);
    assert!(matches!(s.visits(&scope_of(&handler), GRID, 100).await, Err(StoreError::NotFound)));
    let street = Scope::Regions { codes: vec![grassroots_domain::RegionCode::parse("110101001").unwrap()] };
    let listed = s.visits(&street, GRID, 100).await.unwrap();
    assert_eq!(listed[0].visited_on, today, "newest first");
    assert_eq!(listed[0].worker, "wangge");
}

async fn attachments_are_stored_with_the_case_and_scoped_like_it(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let png = vec![0x89, b'P', b'N', b'G', 1, 2, 3];
    let created = f.report_with_photo(s, "占道堆物", png.clone()).await;
    let worker = Scope::Grids { codes: vec![GRID.into()] };
    let listed = s.attachments(&worker, created.id).await.unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!((listed[0].media_type.as_str(), listed[0].size), ("image/png", png.len() as i64));
    let (media_type, bytes) = s.attachment(&worker, created.id, listed[0].id).await.unwrap();
    assert_eq!((media_type.as_str(), bytes), ("image/png", png));
    let elsewhere = Scope::Grids { codes: vec!["110101001001009".into()] };
    assert!(matches!(s.attachments(&elsewhere, created.id).await, Err(StoreError::NotFound)));
    assert!(matches!(s.attachment(&elsewhere, created.id, listed[0].id).await, Err(StoreError::NotFound)));
}

async fn region_counts_and_points_follow_scope_and_period(db: TestDb) {
    let s = &*db.store;
    let f = Fixture::new(s).await;
    let now = Utc::now();
    f.report_at(s, "一", now - Duration::days(1)).await;
    f.report_at(s, "二", now - Duration::days(2)).await;
    f.report_at(s, "旧", now - Duration::days(40)).await;
    let period =
        RateFilter { from: Some(now - Duration::days(30)), to: Some(now + Duration::days(1)), ..RateFilter::default() };
    let streets = s.region_counts(&Scope::All, RegionLevel::Township, &period).await.unwrap();
    assert_eq!(streets.len(), 1);
    assert_eq!((streets[0].code.as_str(), streets[0].total, streets[0].pending), ("110101001", 2, 2));
    let grids = s.region_counts(&Scope::All, RegionLevel::Grid, &RateFilter::default()).await.unwrap();
    assert_eq!(grids[0].total, 3);
    let unit = Scope::Unit { unit: UNIT_A.into() };
    assert!(s.region_counts(&unit, RegionLevel::Township, &period).await.unwrap().is_empty());
    let points = s.case_points(&Scope::All, &period, 10).await.unwrap();
    assert_eq!(points.len(), 2);
    assert!(points.iter().all(|p| (p.lng, p.lat) == (116.40, 39.91)));
}

conformance!(
    a_grid_import_replaces_the_grids_of_its_communities_only,
    grid_workers_follow_their_accounts_scope,
    visits_count_towards_coverage_within_the_workers_grids,
    attachments_are_stored_with_the_case_and_scoped_like_it,
    region_counts_and_points_follow_scope_and_period,
);
