//! The demo's 矛盾纠纷调处: the rosters of the grid worker's community, its street and the
//! district, and disputes in every grade and stage — registered, in mediation, agreed and
//! waiting for the follow-up, settled, an agreement broken and mediated again, escalated to
//! the street, handed to arbitration, failed, withdrawn, and one converted from a case. Made
//! only into a store without disputes.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::disputes::{
    grade, DisputeKind, DisputeOrigin, MediatorKind, PartySide, ReferredTo, RiskFactors,
};
use grassroots_domain::{Actor, Role};
use grassroots_store::disputes::{DisputeParty, DisputeRecord, DisputeSelection, DisputeStep, NewDispute};
use grassroots_store::{CaseFilter, GridRow, PlaceFilter, Store, User};
use uuid::Uuid;

/// How far a demo dispute went.
#[derive(Clone, Copy)]
enum Stage {
    Registered,
    Mediating,
    Agreed,
    Settled,
    /// Agreed, found broken, mediating again.
    Broken,
    /// Escalated to the street, waiting there.
    AtStreet,
    /// Escalated to the street and handed to arbitration there.
    Arbitration,
    Failed,
    Withdrawn,
}

struct Demo {
    kind: DisputeKind,
    origin: DisputeOrigin,
    summary: &'static str,
    place: &'static str,
    /// (name, side is applicant, vulnerable)
    parties: &'static [(&'static str, bool, bool)],
    factors: RiskFactors,
    stage: Stage,
    /// Registered this many days ago.
    days_ago: i64,
}

const fn factors(parties: u32, earlier: u32, violence: bool, petitioned: bool) -> RiskFactors {
    RiskFactors {
        threat_of_violence: violence,
        threat_of_self_harm: false,
        parties,
        earlier_reports: earlier,
        petitioned_higher: petitioned,
        vulnerable_party: false,
    }
}

const DISPUTES: [Demo; 9] = [
    Demo {
        kind: DisputeKind::Consumer,
        origin: DisputeOrigin::WalkIn,
        summary: "居民在小区门口理发店办理储值卡后店铺停业，要求退还余额",
        place: "和平里小区东门商铺",
        parties: &[("陈立新", true, false), ("刘老板", false, false)],
        factors: factors(2, 0, false, false),
        stage: Stage::Registered,
        days_ago: 2,
    },
    Demo {
        kind: DisputeKind::Neighbours,
        origin: DisputeOrigin::Screening,
        summary: "楼上住户夜间跳绳噪音扰民，楼下老人多次上门沟通未果",
        place: "和平里小区5号楼",
        parties: &[("王桂兰", true, true), ("赵磊", false, false)],
        factors: factors(2, 1, false, false),
        stage: Stage::Mediating,
        days_ago: 9,
    },
    Demo {
        kind: DisputeKind::Family,
        origin: DisputeOrigin::Screening,
        summary: "兄弟二人因父母房屋居住权争执，一方扬言要动手",
        place: "南池子胡同12号院",
        parties: &[("孙建军", true, false), ("孙建华", false, false)],
        factors: factors(2, 0, true, false),
        stage: Stage::Mediating,
        days_ago: 4,
    },
    Demo {
        kind: DisputeKind::Property,
        origin: DisputeOrigin::WalkIn,
        summary: "六户业主与物业就停车位收费标准争执，已多次反映",
        place: "南池子小区停车场",
        parties: &[("周明", true, false), ("吴芳", true, false), ("物业项目经理", false, false)],
        factors: factors(6, 3, false, false),
        stage: Stage::Agreed,
        days_ago: 20,
    },
    Demo {
        kind: DisputeKind::Neighbours,
        origin: DisputeOrigin::Screening,
        summary: "楼上卫生间漏水殃及楼下天花板，双方就维修费用争执",
        place: "和平里小区3号楼",
        parties: &[("李秀英", true, true), ("钱伟", false, false)],
        factors: factors(2, 0, false, false),
        stage: Stage::Settled,
        days_ago: 45,
    },
    Demo {
        kind: DisputeKind::Neighbours,
        origin: DisputeOrigin::WalkIn,
        summary: "楼道堆放杂物占用消防通道，清理约定未履行",
        place: "和平里小区8号楼2单元",
        parties: &[("郑红", true, false), ("冯大爷", false, true)],
        factors: factors(2, 1, false, false),
        stage: Stage::Broken,
        days_ago: 30,
    },
    Demo {
        kind: DisputeKind::LandHousing,
        origin: DisputeOrigin::WalkIn,
        summary: "平房院内违建影响邻居采光，当事人已到市里上访",
        place: "东华门胡同7号院",
        parties: &[("何志强", true, false), ("邓某", false, false)],
        factors: factors(2, 0, false, true),
        stage: Stage::AtStreet,
        days_ago: 12,
    },
    Demo {
        kind: DisputeKind::Labour,
        origin: DisputeOrigin::WalkIn,
        summary: "十二名装修工人被拖欠工资，集体到社区反映",
        place: "辖区某装饰公司项目部",
        parties: &[("工人代表许某", true, false), ("装饰公司", false, false)],
        factors: factors(12, 0, false, false),
        stage: Stage::Arbitration,
        days_ago: 25,
    },
    Demo {
        kind: DisputeKind::Traffic,
        origin: DisputeOrigin::WalkIn,
        summary: "胡同内电动自行车与行人剐蹭，就医药费赔偿未谈拢",
        place: "东华门大街路口",
        parties: &[("曹某", true, false), ("彭某", false, false)],
        factors: factors(2, 0, false, false),
        stage: Stage::Failed,
        days_ago: 18,
    },
];

async fn register(
    store: &dyn Store,
    worker: &Actor,
    grid: &GridRow,
    demo: &Demo,
    case: Option<Uuid>,
    at: DateTime<Utc>,
) -> anyhow::Result<DisputeRecord> {
    let parties: Vec<DisputeParty> = demo
        .parties
        .iter()
        .map(|(name, applicant, vulnerable)| DisputeParty {
            name: (*name).to_string(),
            phone: None,
            side: if *applicant { PartySide::Applicant } else { PartySide::Respondent },
            vulnerable: *vulnerable,
        })
        .collect();
    let factors = RiskFactors { vulnerable_party: parties.iter().any(|p| p.vulnerable), ..demo.factors };
    let (grade, reasons) = grade(&factors);
    let new = NewDispute {
        community_code: grid.community_code.clone(),
        grid_code: Some(grid.code.clone()),
        kind: demo.kind,
        origin: demo.origin,
        case_id: case,
        summary: demo.summary.to_string(),
        place: demo.place.to_string(),
        parties,
        factors,
        grade,
        reasons,
    };
    Ok(store.create_dispute(worker, &new, at).await?)
}

/// A move of the demo's, made on its day.
#[derive(Clone, Copy)]
enum Made {
    Assign,
    Session,
    Agree,
    FollowUp {
        kept: bool,
    },
    Escalate,
    /// By the street (the supervisor).
    Refer,
    Fail,
    Withdraw,
}

fn moves_to(stage: Stage) -> &'static [Made] {
    use Made::*;
    match stage {
        Stage::Registered => &[],
        Stage::Mediating => &[Assign, Session],
        Stage::Agreed => &[Assign, Session, Agree],
        Stage::Settled => &[Assign, Session, Agree, FollowUp { kept: true }],
        Stage::Broken => &[Assign, Session, Agree, FollowUp { kept: false }],
        Stage::AtStreet => &[Escalate],
        Stage::Arbitration => &[Escalate, Refer],
        Stage::Failed => &[Assign, Session, Fail],
        Stage::Withdrawn => &[Withdraw],
    }
}

fn step(made: Made, on: chrono::NaiveDate, mediators: &[Uuid]) -> DisputeStep {
    let note = |n: &str| n.to_string();
    match made {
        Made::Assign => DisputeStep::Assign { mediators: mediators.to_vec() },
        Made::Session => {
            DisputeStep::Session { on, present: vec![0, 1], note: note("双方到场陈述，调解员释法说理") }
        }
        Made::Agree => DisputeStep::Agree {
            on,
            terms: note("双方同意按约定分担费用并互不干扰，于两周内履行完毕"),
            follow_up_on: on + Duration::days(14),
        },
        Made::FollowUp { kept } => {
            DisputeStep::FollowUp {
                on, kept, note: (!kept).then(|| note("回访发现约定未履行，重新组织调解"))
            }
        }
        Made::Escalate => DisputeStep::Escalate { note: note("社区调解未果，报街道调处") },
        Made::Refer => DisputeStep::Refer {
            to: ReferredTo::Arbitration,
            note: note("引导申请劳动争议仲裁，街道司法所跟进"),
        },
        Made::Fail => DisputeStep::Fail { note: note("双方分歧较大，已告知可向法院起诉") },
        Made::Withdraw => DisputeStep::Withdraw { note: note("当事人自行和解，申请撤回") },
    }
}

/// Moves a dispute as far as its stage, two days apart from its registration on.
async fn advance(
    store: &dyn Store,
    worker: &Actor,
    supervisor: &Actor,
    mut d: DisputeRecord,
    stage: Stage,
    mediators: &[Uuid],
) -> anyhow::Result<()> {
    let mut at = d.created_at;
    for made in moves_to(stage) {
        at += Duration::days(2);
        let by = if matches!(made, Made::Refer) { supervisor } else { worker };
        d = store.move_dispute(by, d.id, (d.state, d.level), &step(*made, beijing_day(at), mediators), at).await?;
    }
    Ok(())
}

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.disputes(&PlaceFilter::Everywhere, DisputeSelection::All, 1).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?;
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let grid = grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?;
    let (supervisor, worker_actor) = (supervisor.actor(), worker.actor());
    let community = grid.community_code.clone();
    let street = community[..9].to_string();
    let since = now - Duration::days(60);
    let roster = [
        (community.as_str(), MediatorKind::PeoplesMediator, "马淑琴"),
        (community.as_str(), MediatorKind::Elder, "高德明"),
        (community.as_str(), MediatorKind::GridWorker, worker.display_name.as_str()),
        (street.as_str(), MediatorKind::LegalAdviser, "林律师"),
        (&community[..6], MediatorKind::PeoplesMediator, "区人民调解委员会·罗调解"),
    ];
    let mut mediators = Vec::new();
    for (region, kind, name) in roster {
        mediators.push(store.add_mediator(&supervisor, region, kind, name, since).await?.id);
    }
    let mut made = 0;
    for demo in &DISPUTES {
        let d = register(store, &worker_actor, grid, demo, None, now - Duration::days(demo.days_ago)).await?;
        advance(store, &worker_actor, &supervisor, d, demo.stage, &mediators[..2]).await?;
        made += 1;
    }
    // A hotline case of the grid converted, and later withdrawn by the parties.
    let filter = CaseFilter { limit: 1, ..CaseFilter::default() };
    if let Some(case) = store.list_cases(&worker.scope, &filter).await?.cases.first() {
        let demo = Demo {
            kind: DisputeKind::Neighbours,
            origin: DisputeOrigin::Case,
            summary: "来电反映邻居装修占用公共走廊，协商未果",
            place: "和平里小区",
            parties: &[("来电人", true, false), ("装修户", false, false)],
            factors: factors(2, 0, false, false),
            stage: Stage::Withdrawn,
            days_ago: 6,
        };
        let d = register(store, &worker_actor, grid, &demo, Some(case.record.id), now - Duration::days(6)).await?;
        advance(store, &worker_actor, &supervisor, d, demo.stage, &mediators[..2]).await?;
        made += 1;
    }
    writeln!(
        out,
        "矛盾纠纷调处: {made} disputes in every grade and stage, {} mediators on the rosters",
        mediators.len()
    )?;
    Ok(out)
}
