//! 党建引领 on every backend: the organisation tree placed by staff who hold the place; members
//! sealed and shown masked, their reveal audited; households linked to one member at a time (a
//! batch with one taken refused whole, eight members racing for one household leaving one);
//! contacts only with a household linked to the member; the coverage of each grid equal to a
//! count made by hand; a member leaving unlinks their households; a member moving within the
//! community keeps them and one moving to another community does not; activities expecting
//! the members of the organisation and those under it; in-service members' service; the tally;
//! organisations renamed, and removed only when nothing hangs on them.

mod support;

use std::collections::HashSet;

use chrono::{Duration, NaiveDate, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::party::{ActivityKind, Attendance, ContactMeans, LinkCoverage, MemberRole, OrgKind};
use grassroots_domain::{Actor, Role, Scope};
use grassroots_store::party::{
    MemberPlace, NewActivity, NewContact, NewMember, NewOrg, NewPartyRegistration, PartyMember, PartyOrg, SealedPerson,
};
use grassroots_store::prelude::*;
use grassroots_store::{AuditFilter, Household, PlaceFilter, StoreError};
use support::*;
use uuid::Uuid;

const COMMUNITY: &str = "110101001001";
const SECOND_GRID: &str = "110101001001002";

async fn setup(s: &dyn Store) -> (Vec<Household>, Vec<Household>) {
    s.replace_grids(&[COMMUNITY.into()], &[grid(GRID, 116.40), grid(SECOND_GRID, 116.41)]).await.unwrap();
    let labels: Vec<String> = (1..=10).map(|n| format!("{n}号楼101")).collect();
    s.add_households(GRID, &labels).await.unwrap();
    s.add_households(SECOND_GRID, &labels[..4]).await.unwrap();
    (s.households(GRID).await.unwrap(), s.households(SECOND_GRID).await.unwrap())
}

fn street() -> Actor {
    staff(Role::Supervisor, Scope::parse("region:110101001").unwrap())
}

fn today() -> NaiveDate {
    beijing_day(Utc::now())
}

async fn org(s: &dyn Store, kind: OrgKind, parent: Option<&PartyOrg>, place: &str, building: Option<&str>) -> PartyOrg {
    let new = NewOrg {
        kind,
        name: format!("{}{place}", kind.label_zh()),
        parent_id: parent.map(|p| p.id),
        place_code: place.into(),
        building: building.map(str::to_string),
    };
    s.create_party_org(&street(), &new, Utc::now()).await.unwrap()
}

async fn member(s: &dyn Store, org: &PartyOrg, name: &str, grid: &str) -> PartyMember {
    let new = NewMember {
        org_id: org.id,
        community_code: COMMUNITY.into(),
        grid_code: Some(grid.into()),
        role: MemberRole::Member,
        person: SealedPerson { name: name.into(), phone: Some("13912345678".into()) },
    };
    s.add_party_member(&street(), &new, Utc::now()).await.unwrap()
}

fn contact(member: Uuid, household: Uuid, days_ago: i64) -> NewContact {
    NewContact {
        member_id: member,
        household_id: household,
        contacted_on: today() - Duration::days(days_ago),
        means: ContactMeans::Visit,
        topic: "了解近况".into(),
        follow_up: None,
        case_id: None,
    }
}

async fn members_keep_contact_and_the_coverage_adds_up(db: TestDb) {
    let s = &*db.store;
    let (first, second) = setup(s).await;
    let now = Utc::now();
    let committee = org(s, OrgKind::Committee, None, "110101001", None).await;
    let branch = org(s, OrgKind::Branch, Some(&committee), GRID, None).await;
    let group = org(s, OrgKind::Group, Some(&branch), GRID, Some("3号楼")).await;
    // Another street's staff set nothing up here.
    let elsewhere = staff(Role::Supervisor, Scope::parse("region:110101002").unwrap());
    let new = NewOrg {
        kind: OrgKind::Branch,
        name: "x".into(),
        parent_id: Some(committee.id),
        place_code: SECOND_GRID.into(),
        building: None,
    };
    assert!(matches!(s.create_party_org(&elsewhere, &new, now).await, Err(StoreError::NotFound)));

    let wang = member(s, &branch, "王建国", GRID).await;
    let li = member(s, &group, "李秀英", GRID).await;
    assert_eq!(wang.name_masked, "王**");
    let orgs = s.party_orgs(&PlaceFilter::Within(vec!["110101001".into()])).await.unwrap();
    assert_eq!(
        orgs.iter().map(|o| (o.kind, o.members)).collect::<Vec<_>>(),
        [(OrgKind::Committee, 0), (OrgKind::Branch, 1), (OrgKind::Group, 1)]
    );

    // Wang keeps four households, Li three; one of Wang's asked again for Li refuses the batch.
    let ids = |hs: &[Household]| hs.iter().map(|h| h.id).collect::<Vec<_>>();
    let linked = s.link_households(&street(), wang.id, &ids(&first[..4]), today(), now).await.unwrap();
    assert_eq!(linked.len(), 4);
    let taken = s.link_households(&street(), li.id, &ids(&first[3..6]), today(), now).await;
    assert!(matches!(&taken, Err(StoreError::Invalid(f)) if f.field == "households"), "{taken:?}");
    assert!(s.linked_households(li.id).await.unwrap().is_empty(), "nothing of the refused batch is written");
    s.link_households(&street(), li.id, &ids(&first[4..7]), today(), now).await.unwrap();
    // Linking again what one keeps is no change.
    assert_eq!(s.link_households(&street(), wang.id, &ids(&first[..1]), today(), now).await.unwrap().len(), 4);
    // A grid worker of the other grid links nothing in this one.
    let other_worker = staff(Role::GridWorker, Scope::parse(&format!("grid:{SECOND_GRID}")).unwrap());
    let refused = s.link_households(&other_worker, wang.id, &ids(&first[8..9]), today(), now).await;
    assert!(matches!(refused, Err(StoreError::NotFound)), "{refused:?}");

    // Contacts: 10 and 40 days ago with Wang's first, 60 with his second, 120 with his third;
    // 5 days ago with Li's first. A household not linked to the member is refused.
    for (member, household, days) in [
        (wang.id, first[0].id, 10),
        (wang.id, first[0].id, 40),
        (wang.id, first[1].id, 60),
        (wang.id, first[2].id, 120),
    ]
    .into_iter()
    .chain([(li.id, first[4].id, 5)])
    {
        s.record_party_contact(&street(), &contact(member, household, days), now).await.unwrap();
    }
    let stray = s.record_party_contact(&street(), &contact(li.id, first[0].id, 1), now).await;
    assert!(matches!(&stray, Err(StoreError::Invalid(f)) if f.field == "household_id"), "{stray:?}");
    let stray = s.record_party_contact(&street(), &contact(wang.id, second[0].id, 1), now).await;
    assert!(matches!(&stray, Err(StoreError::Invalid(f)) if f.field == "household_id"), "{stray:?}");
    let shown = s.linked_households(wang.id).await.unwrap();
    assert_eq!(
        shown.iter().find(|l| l.household_id == first[0].id).unwrap().last_contact_on,
        Some(today() - Duration::days(10))
    );

    let grids = s.party_grids(COMMUNITY, today()).await.unwrap();
    assert_eq!(grids.len(), 2);
    assert!(grids[0].organised && !grids[1].organised);
    assert_eq!(grids[0].members, 2);
    assert_eq!(
        grids[0].coverage,
        LinkCoverage { households: first.len() as i64, linked: 7, reached_30_days: 2, reached_90_days: 3 }
    );
    assert_eq!(grids[1].coverage, LinkCoverage { households: second.len() as i64, ..LinkCoverage::default() });
    // The same counted by hand from the contacts as listed.
    let contacts = s.party_contacts(&PlaceFilter::Within(vec![COMMUNITY.into()]), 100).await.unwrap();
    assert_eq!(contacts.len(), 5);
    let reached = |days: i64| {
        contacts
            .iter()
            .filter(|c| c.contacted_on > today() - Duration::days(days))
            .map(|c| c.household_id)
            .collect::<HashSet<_>>()
            .len() as i64
    };
    assert_eq!((reached(30), reached(90)), (grids[0].coverage.reached_30_days, grids[0].coverage.reached_90_days));

    // The reveal is audited; another street's staff reveal nothing.
    assert!(matches!(s.reveal_party_member(&elsewhere, wang.id, "核对", now).await, Err(StoreError::NotFound)));
    let person = s.reveal_party_member(&street(), wang.id, "组织关系转接核对", now).await.unwrap();
    assert_eq!((person.name.as_str(), person.phone.as_deref()), ("王建国", Some("13912345678")));
    let filter = AuditFilter { action: Some("party_member_revealed".into()), limit: 10, ..AuditFilter::default() };
    let audit = s.audit_log(&filter).await.unwrap();
    assert_eq!(audit.len(), 1);

    // Wang leaves: his households are unlinked and the coverage falls; leaving twice is refused.
    s.party_member_leaves(&street(), wang.id, "迁出本社区", now).await.unwrap();
    let again = s.party_member_leaves(&street(), wang.id, "迁出本社区", now).await;
    assert!(matches!(&again, Err(StoreError::Invalid(f)) if f.field == "member"), "{again:?}");
    let grids = s.party_grids(COMMUNITY, today()).await.unwrap();
    assert_eq!((grids[0].members, grids[0].coverage.linked, grids[0].coverage.reached_30_days), (1, 3, 1));
    // Now free, one of his households is Li's to keep.
    s.link_households(&street(), li.id, &ids(&first[..1]), today(), now).await.unwrap();
}

async fn a_member_moves_keeping_their_households_within_the_community(db: TestDb) {
    let s = &*db.store;
    let (first, _) = setup(s).await;
    let now = Utc::now();
    let committee = org(s, OrgKind::Committee, None, "110101001", None).await;
    let branch = org(s, OrgKind::Branch, Some(&committee), GRID, None).await;
    let group = org(s, OrgKind::Group, Some(&branch), GRID, Some("3号楼")).await;
    let next_community = org(s, OrgKind::Branch, Some(&committee), "110101001002", None).await;
    let zhao = member(s, &branch, "赵红", GRID).await;
    let ids: Vec<Uuid> = first[..3].iter().map(|h| h.id).collect();
    s.link_households(&street(), zhao.id, &ids, today(), now).await.unwrap();
    let place = |org: &PartyOrg, community: &str, role: MemberRole| MemberPlace {
        org_id: org.id,
        community_code: community.into(),
        grid_code: None,
        role,
    };

    // Into the building's group as its leader: the same community, the households stay hers.
    let leader = place(&group, COMMUNITY, MemberRole::GroupLeader);
    let moved = s.transfer_party_member(&street(), zhao.id, &leader, now).await.unwrap();
    assert_eq!((moved.org_id, moved.role, moved.linked_households), (group.id, MemberRole::GroupLeader, 3));
    // Staff of another street move nobody here, and nobody into their own organisations.
    let elsewhere = staff(Role::Supervisor, Scope::parse("region:110101002").unwrap());
    let back = place(&branch, COMMUNITY, MemberRole::Member);
    assert!(matches!(s.transfer_party_member(&elsewhere, zhao.id, &back, now).await, Err(StoreError::NotFound)));
    let grid_worker = staff(Role::GridWorker, Scope::parse(&format!("grid:{GRID}")).unwrap());
    let out_of_reach = place(&next_community, "110101001002", MemberRole::Member);
    assert!(matches!(
        s.transfer_party_member(&grid_worker, zhao.id, &out_of_reach, now).await,
        Err(StoreError::NotFound)
    ));
    assert_eq!(s.party_member(zhao.id).await.unwrap().map(|m| m.org_id), Some(group.id), "nothing moved");

    // To the next community's branch: her households are unlinked, free for another member.
    let moved = s.transfer_party_member(&street(), zhao.id, &out_of_reach, now).await.unwrap();
    assert_eq!(
        (moved.org_id, moved.community_code.as_str(), moved.linked_households),
        (next_community.id, "110101001002", 0)
    );
    assert!(s.linked_households(zhao.id).await.unwrap().is_empty());
    let qian = member(s, &branch, "钱明", GRID).await;
    assert_eq!(s.link_households(&street(), qian.id, &ids, today(), now).await.unwrap().len(), 3);
    let filter = AuditFilter { action: Some("party_member_transferred".into()), limit: 10, ..AuditFilter::default() };
    assert_eq!(s.audit_log(&filter).await.unwrap().len(), 2);

    // A member who left moves nowhere.
    s.party_member_leaves(&street(), zhao.id, "迁出本街道", now).await.unwrap();
    let gone = s.transfer_party_member(&street(), zhao.id, &back, now).await;
    assert!(matches!(&gone, Err(StoreError::Invalid(f)) if f.field == "member"), "{gone:?}");
}

async fn organisations_are_renamed_and_removed_only_when_nothing_hangs_on_them(db: TestDb) {
    let s = &*db.store;
    setup(s).await;
    let now = Utc::now();
    let committee = org(s, OrgKind::Committee, None, "110101001", None).await;
    let branch = org(s, OrgKind::Branch, Some(&committee), GRID, None).await;
    let mistaken = org(s, OrgKind::Branch, Some(&committee), SECOND_GRID, None).await;
    let renamed = s.rename_party_org(&street(), branch.id, "第一网格党支部", now).await.unwrap();
    assert_eq!((renamed.id, renamed.name.as_str(), renamed.kind), (branch.id, "第一网格党支部", OrgKind::Branch));
    let elsewhere = staff(Role::Supervisor, Scope::parse("region:110101002").unwrap());
    assert!(matches!(s.rename_party_org(&elsewhere, branch.id, "x", now).await, Err(StoreError::NotFound)));
    assert!(matches!(s.remove_party_org(&elsewhere, mistaken.id, now).await, Err(StoreError::NotFound)));

    // A committee with branches under it, a branch with a member (even one who left): kept.
    let held = s.remove_party_org(&street(), committee.id, now).await;
    assert!(matches!(&held, Err(StoreError::Invalid(f)) if f.field == "org_id"), "{held:?}");
    let sun = member(s, &branch, "孙丽", GRID).await;
    s.party_member_leaves(&street(), sun.id, "迁出", now).await.unwrap();
    let held = s.remove_party_org(&street(), branch.id, now).await;
    assert!(matches!(&held, Err(StoreError::Invalid(f)) if f.field == "org_id"), "{held:?}");
    // The empty one set up by mistake goes, audited.
    s.remove_party_org(&street(), mistaken.id, now).await.unwrap();
    assert_eq!(s.party_org(mistaken.id).await.unwrap(), None);
    let orgs = s.party_orgs(&PlaceFilter::Within(vec!["110101001".into()])).await.unwrap();
    assert_eq!(orgs.iter().map(|o| o.id).collect::<Vec<_>>(), [committee.id, branch.id]);
    for action in ["party_org_renamed", "party_org_removed"] {
        let filter = AuditFilter { action: Some(action.into()), limit: 10, ..AuditFilter::default() };
        assert_eq!(s.audit_log(&filter).await.unwrap().len(), 1, "{action}");
    }
}

async fn eight_members_racing_for_one_household_leave_it_with_one(db: TestDb) {
    let s = db.store.clone();
    let (first, _) = setup(&*s).await;
    let committee = org(&*s, OrgKind::Committee, None, "110101001", None).await;
    let branch = org(&*s, OrgKind::Branch, Some(&committee), COMMUNITY, None).await;
    let mut members = Vec::new();
    for n in 0..8 {
        members.push(member(&*s, &branch, &format!("党员{n}"), GRID).await.id);
    }
    let household = first[0].id;
    let tasks = members
        .iter()
        .map(|m| {
            let (s, m) = (s.clone(), *m);
            tokio::spawn(async move { s.link_households(&street(), m, &[household], today(), Utc::now()).await })
        })
        .collect();
    let linked = futures_join(tasks).await;
    assert_eq!(linked.iter().filter(|r| r.is_ok()).count(), 1, "{linked:?}");
    assert!(
        linked
            .iter()
            .filter_map(|r| r.as_ref().err())
            .all(|e| matches!(e, StoreError::Invalid(f) if f.field == "households")
                || matches!(e, StoreError::Contention))
    );
    let grids = s.party_grids(GRID, today()).await.unwrap();
    assert_eq!(grids[0].coverage.linked, 1);
}

async fn activities_expect_the_tree_and_the_tally_counts_the_period(db: TestDb) {
    let s = &*db.store;
    setup(s).await;
    let now = Utc::now();
    let committee = org(s, OrgKind::Committee, None, "110101001", None).await;
    let general = org(s, OrgKind::GeneralBranch, Some(&committee), COMMUNITY, None).await;
    let branch = org(s, OrgKind::Branch, Some(&general), GRID, None).await;
    let group = org(s, OrgKind::Group, Some(&branch), GRID, Some("5号楼")).await;
    let beside = org(s, OrgKind::Branch, Some(&general), SECOND_GRID, None).await;
    let a = member(s, &branch, "赵一", GRID).await;
    let b = member(s, &group, "钱二", GRID).await;
    let c = member(s, &beside, "孙三", SECOND_GRID).await;
    let activity = |org: &PartyOrg, days_ago: i64, attendance: Vec<(Uuid, Attendance)>| NewActivity {
        org_id: org.id,
        kind: ActivityKind::ThemeDay,
        title: "主题党日".into(),
        held_on: today() - Duration::days(days_ago),
        venue: "党群服务中心".into(),
        attendance,
    };
    // The branch's activity expects its group's member too, not the other branch's.
    let held = s
        .record_party_activity(
            &street(),
            &activity(&branch, 3, vec![(a.id, Attendance::Present), (b.id, Attendance::Leave)]),
            now,
        )
        .await
        .unwrap();
    assert_eq!((held.present, held.on_leave, held.absent), (1, 1, 0));
    let stray = s.record_party_activity(&street(), &activity(&branch, 3, vec![(c.id, Attendance::Present)]), now).await;
    assert!(matches!(&stray, Err(StoreError::Invalid(f)) if f.field == "attendance"), "{stray:?}");
    let whole = vec![(a.id, Attendance::Present), (b.id, Attendance::Present), (c.id, Attendance::Absent)];
    s.record_party_activity(&street(), &activity(&general, 20, whole), now).await.unwrap();
    // Outside the period counted.
    s.record_party_activity(&street(), &activity(&general, 200, vec![(a.id, Attendance::Present)]), now).await.unwrap();

    let registered = s
        .register_in_service(
            &street(),
            &NewPartyRegistration {
                community_code: COMMUNITY.into(),
                grid_code: None,
                home_org: "区教委机关党支部".into(),
                person: SealedPerson { name: "周四".into(), phone: None },
                registered_on: today() - Duration::days(100),
            },
            now,
        )
        .await
        .unwrap();
    assert_eq!(registered.name_masked, "周*");
    s.record_service(&street(), registered.id, today() - Duration::days(5), 5, "助老服务", now).await.unwrap();
    s.record_service(&street(), registered.id, today() - Duration::days(150), 4, "环境整治", now).await.unwrap();
    let shown = s.registration(registered.id).await.unwrap().unwrap();
    assert_eq!((shown.services, shown.hours), (2, 4.5));

    let places = PlaceFilter::Within(vec![COMMUNITY.into()]);
    let tally = s.party_tally(&places, today() - Duration::days(89), today()).await.unwrap();
    assert_eq!((tally.members, tally.registered, tally.service_half_hours), (3, 1, 5));
    assert_eq!((tally.activities, tally.present, tally.expected), (2, 3, 5));
    assert_eq!(
        tally.orgs.iter().map(|o| (o.kind, o.count)).collect::<Vec<_>>(),
        [(OrgKind::GeneralBranch, 1), (OrgKind::Branch, 2), (OrgKind::Group, 1)]
    );
    let listed = s.party_activities(&places, 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|a| a.held_on).collect::<Vec<_>>(),
        [today() - Duration::days(3), today() - Duration::days(20), today() - Duration::days(200)]
    );
}

conformance!(
    organisations_are_renamed_and_removed_only_when_nothing_hangs_on_them,
    members_keep_contact_and_the_coverage_adds_up,
    a_member_moves_keeping_their_households_within_the_community,
    eight_members_racing_for_one_household_leave_it_with_one,
    activities_expect_the_tree_and_the_tally_counts_the_period,
);
