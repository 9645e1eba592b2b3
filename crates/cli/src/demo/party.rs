//! The demo's 党建引领: the grid worker's street has its 党工委; their community a 党总支 with
//! a branch in each of its first grids and groups by building in the first; the street's other
//! communities a branch each, so some grids stand without one. Members keep contact with
//! households of their grid, reached over the last months (some not lately); in-service members
//! registered with the community have served there; the general branch held its 主题党日 each
//! month. Made only into a store without party organisations.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::party::{ActivityKind, Attendance, ContactMeans, MemberRole, OrgKind};
use grassroots_domain::Role;
use grassroots_store::party::{
    NewActivity, NewContact, NewMember, NewOrg, NewPartyRegistration, PartyOrg, SealedPerson,
};
use grassroots_store::{GridRow, PlaceFilter, Store, User};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SURNAMES: [&str; 12] = ["王", "李", "张", "刘", "陈", "杨", "赵", "黄", "周", "吴", "徐", "孙"];
const GIVEN: [&str; 12] =
    ["建国", "秀英", "志强", "桂兰", "文华", "淑珍", "海燕", "德明", "丽娟", "国庆", "春梅", "振华"];
const TOPICS: [&str; 6] = [
    "了解老人近况，提醒冬季用气安全",
    "宣传垃圾分类新规",
    "听取对小区停车的意见",
    "转达社区助餐服务信息",
    "了解家中困难，协助申请临时救助",
    "征求对楼道改造方案的意见",
];

fn person_name(rng: &mut StdRng) -> String {
    format!("{}{}", SURNAMES[rng.gen_range(0..SURNAMES.len())], GIVEN[rng.gen_range(0..GIVEN.len())])
}

fn org(kind: OrgKind, name: String, parent: Option<&PartyOrg>, place: &str, building: Option<&str>) -> NewOrg {
    NewOrg {
        kind,
        name,
        parent_id: parent.map(|p| p.id),
        place_code: place.to_string(),
        building: building.map(str::to_string),
    }
}

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.party_orgs(&PlaceFilter::Everywhere).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let grid = grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?;
    let community = grid.community_code.clone();
    let street = community[..9].to_string();
    let since = now - Duration::days(400);
    let mut rng = StdRng::seed_from_u64(20261205);

    let committee = store
        .create_party_org(&supervisor, &org(OrgKind::Committee, "街道党工委".into(), None, &street, None), since)
        .await?;
    let general = store
        .create_party_org(
            &supervisor,
            &org(OrgKind::GeneralBranch, "社区党总支".into(), Some(&committee), &community, None),
            since,
        )
        .await?;
    let mut orgs = 2;
    // The street's other communities: a branch each at the community.
    let mut others: Vec<&str> = grids
        .iter()
        .filter(|g| g.code.starts_with(&street) && g.community_code != community)
        .map(|g| g.community_code.as_str())
        .collect();
    others.dedup();
    for other in others.iter().take(4) {
        store
            .create_party_org(
                &supervisor,
                &org(OrgKind::Branch, "社区党支部".into(), Some(&committee), other, None),
                since,
            )
            .await?;
        orgs += 1;
    }
    let own: Vec<&GridRow> = grids.iter().filter(|g| g.community_code == community).take(3).collect();
    let (mut members, mut links, mut contacts) = (Vec::new(), 0, 0);
    for (n, g) in own.iter().enumerate() {
        let name = format!("第{}网格党支部", n + 1);
        let branch = store
            .create_party_org(&supervisor, &org(OrgKind::Branch, name, Some(&general), &g.code, None), since)
            .await?;
        orgs += 1;
        let groups = if n == 0 {
            let mut made = Vec::new();
            for building in ["3号楼", "5号楼"] {
                let name = format!("{building}党小组");
                made.push(
                    store
                        .create_party_org(
                            &supervisor,
                            &org(OrgKind::Group, name, Some(&branch), &g.code, Some(building)),
                            since,
                        )
                        .await?,
                );
                orgs += 1;
            }
            made
        } else {
            Vec::new()
        };
        let households = store.households(&g.code).await?;
        // Two households in three are linked in the first grid, fewer further out.
        let linkable = households.len() * (3 - n) / 4;
        let count = 8 - 2 * n;
        for i in 0..count {
            let (org, role) = match (i, groups.get(i % 2)) {
                (0, _) => (&branch, MemberRole::Secretary),
                (1, _) => (&branch, MemberRole::CommitteeMember),
                (2 | 3, Some(group)) => (group, MemberRole::GroupLeader),
                (7, _) => (&branch, MemberRole::Probationary),
                (_, Some(group)) => (group, MemberRole::Member),
                (_, None) => (&branch, MemberRole::Member),
            };
            let phone = format!("139{:08}", rng.gen_range(0..100_000_000u32));
            let new = NewMember {
                org_id: org.id,
                community_code: community.clone(),
                grid_code: Some(g.code.clone()),
                role,
                person: SealedPerson { name: person_name(&mut rng), phone: Some(phone) },
            };
            let member = store.add_party_member(&supervisor, &new, since + Duration::days(i as i64)).await?;
            members.push(member.id);
            let share: Vec<_> =
                households.iter().skip(i * linkable / count).take(linkable / count).map(|h| h.id).collect();
            if share.is_empty() {
                continue;
            }
            let linked_on = beijing_day(now - Duration::days(180));
            store.link_households(&supervisor, member.id, &share, linked_on, now - Duration::days(180)).await?;
            links += share.len();
            for household in share {
                // Most reached within the month, some only within the quarter, a few not since.
                let days_ago = match rng.gen_range(0..10) {
                    0..=5 => rng.gen_range(0..30),
                    6..=8 => rng.gen_range(30..90),
                    _ => continue,
                };
                let new = NewContact {
                    member_id: member.id,
                    household_id: household,
                    contacted_on: beijing_day(now - Duration::days(days_ago)),
                    means: ContactMeans::ALL[rng.gen_range(0..ContactMeans::ALL.len())],
                    topic: TOPICS[rng.gen_range(0..TOPICS.len())].to_string(),
                    follow_up: None,
                    case_id: None,
                };
                store.record_party_contact(&supervisor, &new, now - Duration::days(days_ago)).await?;
                contacts += 1;
            }
        }
    }
    // In-service members living in the community (双报到), with their service.
    let home_orgs = ["区发展改革委机关党支部", "区教委机关党支部", "区卫健委第二党支部", "区税务局第一党支部"];
    let mut hours = 0;
    for (i, home) in home_orgs.iter().enumerate() {
        let new = NewPartyRegistration {
            community_code: community.clone(),
            grid_code: own.get(i % own.len().max(1)).map(|g| g.code.clone()),
            home_org: home.to_string(),
            person: SealedPerson { name: person_name(&mut rng), phone: None },
            registered_on: beijing_day(now - Duration::days(300)),
        };
        let registered = store.register_in_service(&supervisor, &new, now - Duration::days(300)).await?;
        for (days_ago, what) in [(75, "社区环境整治志愿服务"), (40, "为老人讲解防诈骗知识"), (12, "冬季消防安全巡查")]
        {
            let halves = rng.gen_range(2..=6);
            let served = beijing_day(now - Duration::days(days_ago));
            store
                .record_service(&supervisor, registered.id, served, halves, what, now - Duration::days(days_ago))
                .await?;
            hours += halves;
        }
    }
    // The general branch's 主题党日 each month, most present, some on leave.
    let mut activities = 0;
    for (months_ago, title) in
        [(3, "学习新修订的居委会组织法"), (2, "社区议事协商开放日"), (1, "走访困难党员和独居老人")]
    {
        let attendance = members
            .iter()
            .map(|m| {
                let status = match rng.gen_range(0..10) {
                    0..=7 => Attendance::Present,
                    8 => Attendance::Leave,
                    _ => Attendance::Absent,
                };
                (*m, status)
            })
            .collect();
        let new = NewActivity {
            org_id: general.id,
            kind: ActivityKind::ThemeDay,
            title: title.to_string(),
            held_on: beijing_day(now - Duration::days(30 * months_ago)),
            venue: "社区党群服务中心".to_string(),
            attendance,
        };
        store.record_party_activity(&supervisor, &new, now - Duration::days(30 * months_ago)).await?;
        activities += 1;
    }
    writeln!(
        out,
        "党建引领: {orgs} party organisations, {} members keeping contact with {links} households ({contacts} contacts), \
         {} in-service members registered ({} hours served), {activities} theme days",
        members.len(),
        home_orgs.len(),
        hours / 2,
    )?;
    Ok(out)
}
