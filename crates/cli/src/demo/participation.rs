//! The demo's residents' participation: residents of the first community signed up and linked
//! to their households (a few still waiting for the grid worker), a vote closed with its
//! results published (online ballots and a paper count entered by two staff members), a vote
//! open now, and one announced for next week; topics under way, on the agenda and waiting; a
//! council held with its decisions at different stages, one announced; a needs survey
//! counted and one asking how the lights went.
//! Made only into a store without votes.

use std::fmt::Write as _;
use std::net::IpAddr;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::accountability::OwnerKind;
use grassroots_domain::deliberation::{Moderation, Origin};
use grassroots_domain::meetings::ParticipantKind;
use grassroots_domain::residents::Mobile;
use grassroots_domain::surveys::{parse_questions, Anonymity, Answer, Purpose};
use grassroots_domain::votes::{Eligibility, PaperCount, VoteKind, Voter};
use grassroots_domain::{Actor, Role};
use grassroots_store::accountability::{NewTask, NewUpdate};
use grassroots_store::deliberation::{Author, NewTopic, Topic};
use grassroots_store::meetings::{AgendaItem, Minutes, NewMeeting, Participant};
use grassroots_store::residents::{CodeKept, Resident, SignIn};
use grassroots_store::surveys::NewSurvey;
use grassroots_store::votes::NewVote;
use grassroots_store::PlaceFilter;
use grassroots_store::{GridRow, Store, User};
use uuid::Uuid;

/// Demo residents' numbers: 139 0000 0001 and on. The first is linked and has not voted in
/// the open vote, for anyone trying the demo as a resident.
const RESIDENTS: u32 = 14;
/// Of them, the last few asked for a household the grid worker has yet to confirm.
const WAITING: u32 = 2;

pub fn resident_phone(n: u32) -> String {
    format!("1390000{n:04}")
}

/// A resident made as a first sign-in makes one: a code kept and tried at once.
pub(super) async fn resident(store: &dyn Store, phone: &str, now: DateTime<Utc>) -> anyhow::Result<Resident> {
    let mobile = Mobile::parse(phone).map_err(|e| anyhow::anyhow!(e.message()))?;
    let code = "246810";
    let here = IpAddr::from([127, 0, 0, 1]);
    let kept = store.keep_code(&mobile, here, code, now, now + Duration::minutes(5)).await?;
    anyhow::ensure!(kept == CodeKept::Kept, "demo resident {phone}: {kept:?}");
    let token = grassroots_store::auth::digest(&grassroots_store::auth::new_token());
    match store.sign_in_resident(&mobile, code, &token, now, now + Duration::minutes(1)).await? {
        SignIn::SignedIn(r) => Ok(r),
        SignIn::Refused(why) => anyhow::bail!("demo resident {phone}: {why:?}"),
    }
}

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.votes(&PlaceFilter::Everywhere, 1).await?.is_empty() {
        return Ok(out);
    }
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?;
    let grid = grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?;
    let community = grid.community_code.clone();
    let (worker_actor, supervisor_actor) = (worker.actor(), supervisor.actor());
    let households = store.households(&grid.code).await?;
    anyhow::ensure!(households.len() > (RESIDENTS + 8) as usize, "the demo grid has too few households");

    // Residents, one household each (two of them share the first), most confirmed.
    let mut linked = Vec::new();
    for n in 1..=RESIDENTS {
        let phone = resident_phone(n);
        let r = resident(store, &phone, now).await?;
        let door = &households[n.saturating_sub(2) as usize].label;
        if n > RESIDENTS - WAITING {
            store.ask_household(r.id, &community, door, now - Duration::hours(n as i64)).await?;
            continue;
        }
        let mobile = Mobile::parse(&phone).map_err(|e| anyhow::anyhow!(e.message()))?;
        let link = store.link_resident(&worker_actor, &mobile, &grid.code, door, now - Duration::days(30)).await?;
        linked.push((r, link.household.context("a confirmed household")?.id));
    }
    writeln!(
        out,
        "signed up {RESIDENTS} residents of community {community}, {} linked to their households and {WAITING} waiting for the grid worker (resident {} signs in with the code on /admin/messages)",
        RESIDENTS - WAITING,
        resident_phone(1)
    )?;

    // Closed and published: online ballots, paper voters, a paper count entered twice.
    let opened = now - Duration::days(20);
    let closed = now - Duration::days(10);
    let lift = NewVote {
        region_code: grid.code.clone(),
        title: "3号楼是否加装电梯".into(),
        body: "3号楼加装电梯，费用按楼层分摊，一层住户不分摊。请每户派一名代表投票。".into(),
        kind: VoteKind::Single,
        eligibility: Eligibility::Households,
        options: vec!["同意".into(), "不同意".into(), "弃权".into()],
        opens_at: opened,
        closes_at: closed,
    };
    let lift = store.create_vote(&supervisor_actor, &lift, opened - Duration::days(2)).await?;
    let mut households_voted = std::collections::HashSet::new();
    for (i, (r, household)) in linked.iter().enumerate() {
        let choice = [0, 0, 1, 0, 2, 0, 1, 0][i % 8];
        let voter = Voter::for_vote(lift.eligibility, r.id, *household);
        store.cast_ballot(lift.id, voter, &[choice], opened + Duration::hours(6 * i as i64 + 1)).await?;
        households_voted.insert(*household);
    }
    let paper: Vec<_> = households.iter().filter(|h| !households_voted.contains(&h.id)).take(6).collect();
    for h in &paper {
        store.mark_paper_voter(&worker_actor, lift.id, Voter::Household(h.id), closed - Duration::days(3)).await?;
    }
    let count = PaperCount { ballots: 6, invalid: 1, counts: vec![3, 1, 1] };
    store.enter_paper_count(&supervisor_actor, lift.id, &count, closed + Duration::hours(2)).await?;
    store.enter_paper_count(&worker_actor, lift.id, &count, closed + Duration::hours(3)).await?;
    let lift = store.publish_results(&supervisor_actor, lift.id, closed + Duration::hours(4)).await?;
    let eligible = lift.eligible.unwrap_or(0);
    writeln!(
        out,
        "a vote closed with its results published: {} ({} of {eligible} households voted)",
        lift.title, lift.voters
    )?;

    // Open now, a few ballots in; resident 1 has not voted.
    let parking = NewVote {
        region_code: community.clone(),
        title: "小区停车位划线方案".into(),
        body: "方案一：沿东侧围墙划线28个车位；方案二：拆除废弃车棚后划线35个车位，车棚内自行车移至新建车架。".into(),
        kind: VoteKind::Single,
        eligibility: Eligibility::Households,
        options: vec!["方案一".into(), "方案二".into(), "都不同意".into()],
        opens_at: now - Duration::days(2),
        closes_at: now + Duration::days(5),
    };
    let parking = store.create_vote(&supervisor_actor, &parking, now - Duration::days(3)).await?;
    for (i, (r, household)) in linked.iter().enumerate().skip(2).step_by(2) {
        let voter = Voter::for_vote(parking.eligibility, r.id, *household);
        store.cast_ballot(parking.id, voter, &[(i % 3) as u32 % 2], now - Duration::hours(i as i64)).await?;
    }
    // Announced for next week, one ballot per person, any number of choices.
    let hours = NewVote {
        region_code: grid.code.clone(),
        title: "社区文化活动室开放时间".into(),
        body: "活动室拟延长开放，请选择您方便的时段（可多选）。".into(),
        kind: VoteKind::Approval,
        eligibility: Eligibility::Persons,
        options: vec!["工作日晚上".into(), "周六上午".into(), "周六下午".into(), "周日全天".into()],
        opens_at: now + Duration::days(7),
        closes_at: now + Duration::days(14),
    };
    store.create_vote(&worker_actor, &hours, now).await?;
    writeln!(out, "a vote open now ({}) and one announced for next week", parking.title)?;
    let agenda = topics(store, &linked, &community, &worker_actor, &supervisor_actor, now).await?;
    writeln!(out, "topics (议事): one under way with proposals, one on the agenda, one waiting for moderation")?;
    let lamps = councils(store, &agenda, &community, &supervisor_actor, &worker_actor, now).await?;
    carry_out_lift(store, users, &community, &supervisor_actor, lift.id, now).await?;
    writeln!(out, "a council held with its minutes, its decisions done, under way and overdue; one announced; the lift vote's result being carried out")?;
    surveys(store, &linked, &community, &supervisor_actor, lamps, now).await?;
    writeln!(out, "surveys: needs asked and counted, and how the lights went asked now")?;
    Ok(out)
}

/// A topic under way: raised by a resident and published by the grid worker, two proposals
/// (one past the community's threshold of five supports, so on the agenda), comments and the
/// 居委会's reply; a staff topic; and a resident's topic waiting for moderation. The first two,
/// for the councils' agendas.
async fn topics(
    store: &dyn Store,
    linked: &[(Resident, Uuid)],
    community: &str,
    worker: &Actor,
    supervisor: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<[Topic; 2]> {
    let resident = |i: usize| Author::Resident(linked[i % linked.len()].0.id);
    store.set_support_threshold(supervisor, community, 5, now - Duration::days(30)).await?;
    let lights = NewTopic {
        region_code: community.to_string(),
        title: "小区东门到3号楼夜间照明不足".into(),
        body: "东门到3号楼之间的小路晚上很黑，老人孩子走路不安全，希望大家商量个办法。".into(),
        origin: Origin::Resident,
        author: resident(0),
        case_ids: Vec::new(),
    };
    let lights = store.raise_topic(&lights, &Actor::Resident, now - Duration::days(12)).await?;
    store
        .moderate_topic(worker, lights.id, &Moderation::Publish, now - Duration::days(12) + Duration::hours(3))
        .await?;
    let lamps = store
        .add_proposal(
            lights.id,
            resident(1),
            "加装两盏太阳能路灯",
            "在东门和3号楼拐角各装一盏，不用布线。",
            now - Duration::days(11),
        )
        .await?;
    let trim = store
        .add_proposal(
            lights.id,
            resident(2),
            "修剪遮挡路灯的树枝",
            "现有路灯被树挡住，请物业修剪。",
            now - Duration::days(10),
        )
        .await?;
    for i in 3..9 {
        store
            .support_proposal(
                lamps.id,
                linked[i % linked.len()].0.id,
                now - Duration::days(10) + Duration::hours(i as i64),
            )
            .await?;
    }
    for i in 4..6 {
        store.support_proposal(trim.id, linked[i % linked.len()].0.id, now - Duration::days(9)).await?;
    }
    store
        .add_comment(lights.id, Some(lamps.id), resident(5), "赞成，太阳能灯省电费。", now - Duration::days(9))
        .await?;
    let staff = Author::Staff(supervisor.id().context("the supervisor's id")?);
    store.add_comment(lights.id, None, staff, "居委会已联系物业，下周议事会讨论。", now - Duration::days(8)).await?;
    let bikes = NewTopic {
        region_code: community.to_string(),
        title: "楼道内电动自行车充电".into(),
        body: "多个楼道有飞线充电，存在火灾隐患，请居民共同商议集中充电点的位置。".into(),
        origin: Origin::Staff,
        author: staff,
        case_ids: Vec::new(),
    };
    let bikes = store.raise_topic(&bikes, supervisor, now - Duration::days(5)).await?;
    let waiting = NewTopic {
        region_code: community.to_string(),
        title: "小区广场舞音量".into(),
        body: "晚上广场舞音乐太响，影响休息，建议约定时间和音量。".into(),
        origin: Origin::Resident,
        author: resident(6),
        case_ids: Vec::new(),
    };
    store.raise_topic(&waiting, &Actor::Resident, now - Duration::hours(5)).await?;
    Ok([lights, bikes])
}

/// A council held eight days ago on the lights, its decisions done on time, under way (with a
/// report) and overdue; one announced for next week on the bicycles; and the lift vote's
/// result set as a task. The lamps' task, for the survey that asks how it went.
async fn councils(
    store: &dyn Store,
    [lights, bikes]: &[Topic; 2],
    community: &str,
    supervisor: &Actor,
    worker: &Actor,
    now: DateTime<Utc>,
) -> anyhow::Result<Option<Uuid>> {
    let participants = |labels: &[(ParticipantKind, &str)]| {
        labels
            .iter()
            .map(|(kind, label)| Participant { kind: *kind, label: label.to_string(), attended: false })
            .collect()
    };
    let held_on = now - Duration::days(8);
    let council = NewMeeting {
        region_code: community.to_string(),
        title: "十一月居民议事会".into(),
        place: "社区居委会二楼会议室".into(),
        starts_at: held_on,
        items: vec![
            AgendaItem { topic_id: Some(lights.id), title: lights.title.clone() },
            AgendaItem { topic_id: None, title: "楼道堆物清理".into() },
        ],
        participants: participants(&[
            (ParticipantKind::Representative, "3号楼居民代表"),
            (ParticipantKind::Representative, "5号楼居民代表"),
            (ParticipantKind::Committee, "社区居委会"),
            (ParticipantKind::Property, "物业服务中心"),
            (ParticipantKind::Organisation, "社区志愿服务队"),
        ]),
    };
    let council = store.plan_meeting(supervisor, &council, held_on - Duration::days(7)).await?;
    let task = |title: &str, owner_kind, owner: &str, deadline, milestones: Vec<(String, DateTime<Utc>)>| NewTask {
        title: title.into(),
        owner_kind,
        owner: owner.into(),
        owner_unit: None,
        deadline,
        milestones,
    };
    let minutes = Minutes {
        attended: vec![0, 1, 2, 3],
        minutes:
            "与会各方同意：物业在东门至3号楼之间加装两盏太阳能路灯，并修剪遮挡路灯的树枝；居委会组织楼道堆物清理。"
                .into(),
        decisions: vec![
            task(
                "加装两盏太阳能路灯",
                OwnerKind::Organisation,
                "物业服务中心",
                now + Duration::days(20),
                vec![("采购路灯".into(), now - Duration::days(1)), ("安装调试".into(), now + Duration::days(15))],
            ),
            task("修剪遮挡路灯的树枝", OwnerKind::Organisation, "物业服务中心", now - Duration::days(2), Vec::new()),
            task("组织楼道堆物清理", OwnerKind::Committee, "社区居委会", now - Duration::days(1), Vec::new()),
        ],
    };
    store.record_minutes(supervisor, council.id, &minutes, held_on + Duration::hours(3)).await?;
    let tasks = store.tasks_of(council.id).await?;
    let report = |note: &str, percent| NewUpdate { note: note.into(), percent, photo: None };
    let lamps_task = tasks.first().map(|t| t.id);
    if let [lamps, trim, clutter] = tasks.as_slice() {
        store.complete_milestone(worker, lamps.id, 0, now - Duration::days(2)).await?;
        store.report_progress(worker, lamps.id, &report("路灯已到货，待安装", 60), now - Duration::days(2)).await?;
        store.report_progress(worker, trim.id, &report("树枝已修剪完毕", 100), now - Duration::days(5)).await?;
        store.report_progress(worker, clutter.id, &report("已通知各楼门长", 20), now - Duration::days(4)).await?;
    }
    let next = NewMeeting {
        region_code: community.to_string(),
        title: "十二月居民议事会".into(),
        place: "社区居委会二楼会议室".into(),
        starts_at: now + Duration::days(6),
        items: vec![AgendaItem { topic_id: Some(bikes.id), title: bikes.title.clone() }],
        participants: participants(&[
            (ParticipantKind::Representative, "各楼居民代表"),
            (ParticipantKind::Committee, "社区居委会"),
            (ParticipantKind::Property, "物业服务中心"),
            (ParticipantKind::Unit, "街道城市管理办公室"),
        ]),
    };
    store.plan_meeting(supervisor, &next, now).await?;
    Ok(lamps_task)
}

/// The lift vote's result carried out by the street office, whose handler reports progress.
async fn carry_out_lift(
    store: &dyn Store,
    users: &[User],
    community: &str,
    supervisor: &Actor,
    lift_vote: Uuid,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let street_office = store
        .reference()
        .await?
        .units
        .into_iter()
        .find(|u| u.kind == "street_office" && community.starts_with(&u.region_code))
        .context("the demo community's street office")?;
    let lift = NewTask {
        title: "3号楼加装电梯立项".into(),
        owner_kind: OwnerKind::Unit,
        owner: street_office.name_zh.clone(),
        owner_unit: Some(street_office.id.clone()),
        deadline: now + Duration::days(90),
        milestones: vec![("设计方案公示".into(), now + Duration::days(30))],
    };
    let lift = store.add_vote_task(supervisor, lift_vote, &lift, now - Duration::days(9)).await?;
    let handler = users
        .iter()
        .find(|u| {
            u.role == Role::Handler && u.scope == grassroots_domain::Scope::Unit { unit: street_office.id.clone() }
        })
        .context("the street office's handler")?;
    store
        .report_progress(
            &handler.actor(),
            lift.id,
            &NewUpdate { note: "已提交立项申请".into(), percent: 10, photo: None },
            now - Duration::days(3),
        )
        .await?;
    Ok(())
}

/// A needs survey closed with its answers counted, and a 问效 survey open on the lights.
async fn surveys(
    store: &dyn Store,
    linked: &[(Resident, Uuid)],
    community: &str,
    supervisor: &Actor,
    lights: Option<Uuid>,
    now: DateTime<Utc>,
) -> anyhow::Result<()> {
    let questions = |text: &str| parse_questions(text).map_err(|e| anyhow::anyhow!(e.message()));
    let needs = NewSurvey {
        region_code: community.to_string(),
        title: "社区养老服务需求调查".into(),
        intro: "为安排明年的为老服务项目，请各户告诉我们家里的需要。".into(),
        purpose: Purpose::Needs,
        anonymity: Anonymity::Anonymous,
        questions: questions(
            "单选|家中是否有80岁以上老人|有/没有\n多选|最希望增加的服务|老年餐桌/助浴/日间照料/上门体检\n评分|对现有为老服务的满意程度\n文字|其他需要",
        )?,
        opens_at: now - Duration::days(25),
        closes_at: now - Duration::days(15),
        task_id: None,
        unit_cases: None,
    };
    let needs = store.create_survey(supervisor, &needs, now - Duration::days(26)).await?;
    let words = ["希望老年餐桌周末也开", "", "楼里没有电梯，上门体检最需要", "", "助浴要有人陪同"];
    for (i, (resident, _)) in linked.iter().enumerate() {
        let answers = vec![
            Answer::Choice { chosen: vec![(i % 3 == 0) as u32] },
            Answer::Choice { chosen: [vec![0], vec![0, 3], vec![2], vec![1, 3]][i % 4].clone() },
            Answer::Scale { value: [4, 3, 5, 2, 4][i % 5] },
            match words[i % words.len()] {
                "" => Answer::Skipped,
                text => Answer::Text { text: text.into() },
            },
        ];
        store.respond(needs.id, resident.id, &answers, now - Duration::days(20) + Duration::hours(i as i64)).await?;
    }
    let effect = NewSurvey {
        region_code: community.to_string(),
        title: "东门路灯落实情况回访".into(),
        intro: "议事会决定加装路灯，请告诉我们进展是否如您所愿。".into(),
        purpose: Purpose::Effect,
        anonymity: Anonymity::Identified,
        questions: questions(
            "评分|对落实进度的满意程度\n单选|晚上经过东门是否比以前安全|是/没有变化/更差\n文字|还有什么要说的",
        )?,
        opens_at: now - Duration::days(1),
        closes_at: now + Duration::days(13),
        task_id: lights,
        unit_cases: None,
    };
    let effect = store.create_survey(supervisor, &effect, now - Duration::days(1)).await?;
    for (i, (resident, _)) in linked.iter().enumerate().skip(3).take(3) {
        let answers =
            vec![Answer::Scale { value: 4 }, Answer::Choice { chosen: vec![(i % 2) as u32] }, Answer::Skipped];
        store.respond(effect.id, resident.id, &answers, now - Duration::hours(i as i64)).await?;
    }
    Ok(())
}
