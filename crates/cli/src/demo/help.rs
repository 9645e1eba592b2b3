//! The demo's 五社联动: a social work agency and a community self-organisation registered by
//! staff, a social worker and volunteers who registered on their phones (one still awaiting
//! verification), and needs at every stage — waiting for a helper, offered, accepted, done and
//! awaiting confirmation, confirmed with their hours and points, cancelled — one of them a
//! resident's own request; and a redemption of points. Made only into a store without helpers.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, Utc, Weekday};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::helpers::{
    Availability, Commitment, DayPart, HelperKind, HelperState, Qualification, Registration, RegistrationForm, Skill,
    WEEK,
};
use grassroots_domain::needs::{Need, NeedSource, NeedState, Urgency};
use grassroots_domain::{Actor, Role};
use grassroots_store::helpers::{Helper, HelperContact, Registrant};
use grassroots_store::needs::{NeedActor, NeedContact, NeedHousehold, NeedStep, NewNeed};
use grassroots_store::{GridRow, PlaceFilter, Store, User};
use uuid::Uuid;

use super::participation::resident;

/// The demo's volunteers' numbers: 138 0000 0001 and on; the first is verified with a task
/// offered, for anyone trying the demo as a volunteer at /help.
pub fn volunteer_phone(n: u32) -> String {
    format!("1380000{n:04}")
}

/// (name, kind, skills, days, parts, verified)
type Person = (&'static str, HelperKind, &'static [Skill], &'static [Weekday], &'static [DayPart], bool);

const PEOPLE: [Person; 6] = [
    (
        "赵晓梅",
        HelperKind::Volunteer,
        &[Skill::Companionship, Skill::Errands, Skill::Digital],
        &WEEK,
        &[DayPart::Morning, DayPart::Afternoon],
        true,
    ),
    (
        "钱建国",
        HelperKind::Volunteer,
        &[Skill::Repairs, Skill::Errands],
        &[Weekday::Sat, Weekday::Sun],
        &[DayPart::Morning, DayPart::Afternoon],
        true,
    ),
    (
        "孙丽华",
        HelperKind::SocialWorker,
        &[Skill::Counselling, Skill::Companionship, Skill::Escort],
        &[Weekday::Mon, Weekday::Tue, Weekday::Wed, Weekday::Thu, Weekday::Fri],
        &[DayPart::Morning, DayPart::Afternoon],
        true,
    ),
    (
        "李明",
        HelperKind::Volunteer,
        &[Skill::Tutoring, Skill::Digital],
        &[Weekday::Sat, Weekday::Sun],
        &[DayPart::Afternoon, DayPart::Evening],
        true,
    ),
    ("周桂兰", HelperKind::Volunteer, &[Skill::Meals, Skill::Companionship], &WEEK, &[DayPart::Morning], true),
    (
        "吴昊",
        HelperKind::Volunteer,
        &[Skill::Environment, Skill::Activities],
        &[Weekday::Sat],
        &[DayPart::Morning],
        false,
    ),
];

fn checked(kind: HelperKind, form: RegistrationForm<'_>) -> anyhow::Result<Registration> {
    Registration::check(kind, form).map_err(|e| anyhow::anyhow!(e.message()))
}

async fn people(store: &dyn Store, community: &str, now: DateTime<Utc>) -> anyhow::Result<Vec<(Uuid, Helper)>> {
    let mut made = Vec::new();
    for (n, (name, kind, skills, days, parts, _)) in (1..).zip(PEOPLE) {
        let who = resident(store, &volunteer_phone(n), now - Duration::days(120)).await?;
        let (qualification, certificate) = match kind {
            HelperKind::SocialWorker => (Some(Qualification::Intermediate), Some("BJ2019SG0421")),
            _ => (None, None),
        };
        let registration = checked(
            kind,
            RegistrationForm {
                name,
                region_code: community,
                skills: skills.to_vec(),
                availability: Availability::of(days, parts),
                about: "",
                qualification,
                certificate_no: certificate,
                ..RegistrationForm::default()
            },
        )?;
        let contact = HelperContact { name: name.to_string(), ..HelperContact::default() };
        let at = now - Duration::days(100);
        made.push((who.id, store.register_helper(Registrant::Resident(who.id), &registration, &contact, at).await?));
    }
    Ok(made)
}

/// (days ago made, skill, what, urgency, where it stands: the person offered it (index into
/// `PEOPLE`), the hours reported, the rating)
type Story = (i64, Skill, &'static str, Urgency, NeedState, Option<usize>, Option<i64>, Option<u8>);

const NEEDS: [Story; 8] = [
    (
        40,
        Skill::Companionship,
        "独居老人每周陪伴聊天，顺便看看身体情况",
        Urgency::Routine,
        NeedState::Confirmed,
        Some(0),
        Some(120),
        Some(5),
    ),
    (30, Skill::Repairs, "厨房水龙头漏水，需要更换", Urgency::Soon, NeedState::Confirmed, Some(1), Some(90), Some(5)),
    (25, Skill::Escort, "腿脚不便，需陪同去医院复查", Urgency::Soon, NeedState::Confirmed, Some(2), Some(240), Some(4)),
    (6, Skill::Digital, "教老人用手机挂号和视频通话", Urgency::Routine, NeedState::Done, Some(3), Some(60), None),
    (3, Skill::Meals, "术后一周需要送午餐", Urgency::Soon, NeedState::Accepted, Some(4), None, None),
    (2, Skill::Errands, "帮忙去超市买米和油", Urgency::Routine, NeedState::Offered, Some(0), None, None),
    (1, Skill::Escort, "明早需陪同去社区医院取药", Urgency::Urgent, NeedState::Open, None, None, None),
    (20, Skill::Cleaning, "家里大扫除", Urgency::Routine, NeedState::Cancelled, None, None, None),
];

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.helpers(&PlaceFilter::Everywhere, None, 1).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let grid = grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?;
    let (community, worker) = (grid.community_code.clone(), worker.actor());
    let since = now - Duration::days(110);

    let agency = checked(
        HelperKind::Organisation,
        RegistrationForm {
            name: "东城区阳光社会工作事务所",
            region_code: &community[..9],
            skills: vec![Skill::Counselling, Skill::Companionship, Skill::Legal],
            availability: Availability::of(&WEEK[..5], &[DayPart::Morning, DayPart::Afternoon]),
            about: "民办社会工作服务机构，承接街道“一老一小”服务项目",
            credit_code: Some("52110101MJ0000001R"),
            ..RegistrationForm::default()
        },
    )?;
    let choir = checked(
        HelperKind::SelfOrganisation,
        RegistrationForm {
            name: "银龄互助服务队",
            region_code: &community,
            skills: vec![Skill::Companionship, Skill::Activities, Skill::Environment],
            availability: Availability::of(&WEEK, &[DayPart::Morning]),
            about: "社区低龄老人组成的互助队，结对探访高龄独居老人",
            ..RegistrationForm::default()
        },
    )?;
    for (registration, contact) in [(agency, "刘主任"), (choir, "陈阿姨")] {
        let contact = HelperContact {
            name: registration.name.clone(),
            contact: Some(contact.into()),
            phone: Some("13800003001".into()),
        };
        let helper = store.register_helper(Registrant::Staff(&supervisor), &registration, &contact, since).await?;
        store.set_helper_state(&supervisor, helper.id, HelperState::Verified, None, since).await?;
    }
    let people = people(store, &community, since).await?;
    for ((_, helper), (.., verified)) in people.iter().zip(PEOPLE) {
        if verified {
            store.set_helper_state(&worker, helper.id, HelperState::Verified, None, since + Duration::days(1)).await?;
        }
    }

    let asker = resident(store, "13800002999", since).await?;
    let today = beijing_day(now);
    for (i, (days, skill, what, urgency, stands, person, minutes, rating)) in NEEDS.into_iter().enumerate() {
        let made = now - Duration::days(days);
        let on = if stands.is_open() {
            today + Duration::days(1 + i as i64 % 3)
        } else {
            beijing_day(made) + Duration::days(2)
        };
        let own = i == 4;
        let need = Need {
            source: if own { NeedSource::Resident } else { NeedSource::Visit },
            skill,
            what: what.to_string(),
            community_code: community.clone(),
            on,
            part: if i % 2 == 0 { DayPart::Morning } else { DayPart::Afternoon },
            urgency,
        };
        let door = format!("{}号楼{}单元{}01", 1 + i % 6, 1 + i % 3, 1 + i % 5);
        let new = NewNeed {
            need,
            household: (!own).then(|| NeedHousehold::Labelled { grid_code: grid.code.clone(), label: door.clone() }),
            source_id: None,
            resident_id: own.then_some(asker.id),
            contact: NeedContact { address: door, name: None, phone: None },
        };
        let by = if own { NeedActor::Resident(asker.id) } else { NeedActor::Staff(&worker) };
        let id = store.create_need(by, &new, made).await?.id;
        let helper = person.map(|p| (people[p].0, people[p].1.id));
        let mut steps: Vec<(NeedActor<'_>, NeedState, NeedStep)> = Vec::new();
        if let Some((resident_id, helper_id)) = helper {
            steps.push((NeedActor::Staff(&worker), NeedState::Open, NeedStep::Offer { helper: helper_id }));
            if stands != NeedState::Offered {
                steps.push((NeedActor::Helper(resident_id), NeedState::Offered, NeedStep::Accept));
            }
            if let Some(minutes) = minutes {
                let report =
                    NeedStep::Report { minutes, note: Some("已完成，老人满意".into()), photos: Vec::new() };
                steps.push((NeedActor::Helper(resident_id), NeedState::Accepted, report));
            }
            if let Some(rating) = rating {
                steps.push((NeedActor::Staff(&worker), NeedState::Done, NeedStep::Confirm { rating, note: None }));
            }
        }
        if stands == NeedState::Cancelled {
            let cancel = NeedStep::Cancel { note: Some("家属已自行安排".into()) };
            steps.push((NeedActor::Staff(&worker), NeedState::Open, cancel));
        }
        for (hour, (by, from, step)) in (1..).zip(steps) {
            store.move_need(by, id, from, &step, made + Duration::hours(hour * 6)).await?;
        }
    }
    let first = &people[0].1;
    store.redeem_points(&worker, first.id, 10, "社区理发服务一次", now - Duration::days(5)).await?;
    let units = commitments(store, &supervisor, &community, now).await?;
    writeln!(
        out,
        "五社联动: 2 organisations and {} people registered, {} needs; volunteer {} has a task offered (sign in at /help); \
         {units} units and party members with their commitments",
        people.len(),
        NEEDS.len(),
        volunteer_phone(1)
    )?;
    Ok(out)
}

/// What one commits: what, counted in, the target, and the deliveries (days ago, amount).
type Pledge = (&'static str, &'static str, i64, &'static [(i64, i64)]);
/// A unit or party member: name, kind, where they work, their demo phone's number, pledges.
type Pledger = (&'static str, HelperKind, Option<&'static str>, Option<u32>, &'static [Pledge]);

/// Units based in the community and in-service party members reporting to it (驻区单位、双报到),
/// verified, each with this year's commitments and some deliveries; how many.
async fn commitments(
    store: &dyn Store,
    supervisor: &Actor,
    community: &str,
    now: DateTime<Utc>,
) -> anyhow::Result<usize> {
    let year = beijing_day(now).year().to_string();
    let today = beijing_day(now);
    let pledgers: [Pledger; 4] = [
        (
            "东城区第六医院",
            HelperKind::ResidentUnit,
            None,
            None,
            &[("社区义诊", "次", 4, &[(200, 1), (110, 1), (20, 1)]), ("健康讲座", "场", 6, &[(150, 2)])],
        ),
        (
            "某银行东华门支行",
            HelperKind::ResidentUnit,
            None,
            None,
            &[("开放会议室供居民议事", "次", 12, &[(300, 3), (180, 4), (40, 2)]), ("防诈骗宣传", "场", 4, &[(90, 2)])],
        ),
        (
            "林建华",
            HelperKind::PartyMember,
            Some("东城区教育委员会"),
            Some(7),
            &[("社区志愿服务", "小时", 24, &[(160, 6), (60, 8)])],
        ),
        (
            "高雪",
            HelperKind::PartyMember,
            Some("北京市某设计院"),
            Some(8),
            &[("楼门院治理设计咨询", "次", 3, &[(30, 1)])],
        ),
    ];
    for (name, kind, affiliation, phone, pledges) in pledgers {
        let registration = checked(
            kind,
            RegistrationForm {
                name,
                region_code: community,
                skills: vec![Skill::Activities],
                availability: Availability::of(&[Weekday::Sat], &[DayPart::Morning]),
                affiliation,
                ..RegistrationForm::default()
            },
        )?;
        let at = now - Duration::days(320);
        let helper = match phone {
            Some(n) => {
                let who = resident(store, &volunteer_phone(n), at).await?;
                let contact = HelperContact { name: name.to_string(), ..HelperContact::default() };
                store.register_helper(Registrant::Resident(who.id), &registration, &contact, at).await?
            }
            None => {
                let contact = HelperContact {
                    name: name.to_string(),
                    contact: Some("办公室".into()),
                    phone: Some("13800003002".into()),
                };
                store.register_helper(Registrant::Staff(supervisor), &registration, &contact, at).await?
            }
        };
        store.set_helper_state(supervisor, helper.id, HelperState::Verified, None, at).await?;
        for (seq, (what, unit, target, deliveries)) in (1..).zip(pledges.iter()) {
            let commitment = Commitment::check(&year, what, unit, &target.to_string(), today.year())
                .map_err(|e| anyhow::anyhow!(e.message()))?;
            store.commit_helper(supervisor, helper.id, &commitment, at).await?;
            for (days, amount) in deliveries.iter() {
                let on = today - Duration::days(*days);
                // A delivery of last year's days is left out: this year's commitment counts this year.
                if on.year() == today.year() {
                    store
                        .record_delivery(supervisor, helper.id, seq, on, *amount, None, now - Duration::days(*days))
                        .await?;
                }
            }
        }
    }
    Ok(pledgers.len())
}
