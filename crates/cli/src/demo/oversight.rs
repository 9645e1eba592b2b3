//! The demo's 防治微腐败: the district's 小微权力清单 and one community's own; that community's
//! finances published for the last three months (one corrected) and its affairs for the last
//! quarter; and a resident's report of misconduct at the street's 纪工委, accepted and being
//! looked into. Made only into a store without small powers.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::oversight::{
    parse_finance_lines, DisclosureKind, MisconductKind, MisconductMove, PowerArea, PowerHolder, ACCEPT_DAYS,
    CONCLUDE_DAYS,
};
use grassroots_domain::Role;
use grassroots_store::oversight::{MisconductAccount, NewDisclosure, NewMisconduct, NewSmallPower};
use grassroots_store::{GridRow, Store, User};

use super::{discipline_unit_id, DISTRICT};

/// (area, title, holder, steps, basis) of the district's list.
const POWERS: [(PowerArea, &str, PowerHolder, &str, &str); 5] = [
    (
        PowerArea::Welfare,
        "最低生活保障申请初审",
        PowerHolder::TwoCommittees,
        "居民提出书面申请\n社区入户调查核实\n两委联席会议评议\n社区公示七天\n报街道审核",
        "《社会救助暂行办法》",
    ),
    (
        PowerArea::Assets,
        "社区公共用房出租出借",
        PowerHolder::ResidentsMeeting,
        "两委提出方案\n居民代表会议表决\n签订协议并公示",
        "区社区公共用房管理办法",
    ),
    (
        PowerArea::Projects,
        "社区小型工程项目实施",
        PowerHolder::TwoCommittees,
        "征集居民意见\n两委研究并公示方案\n比选施工单位\n居民监督验收并公示",
        "区社区公益金使用管理办法",
    ),
    (
        PowerArea::Finance,
        "社区经费支出审批",
        PowerHolder::PartySecretary,
        "经办人提出申请\n社区书记审批\n每月财务公开",
        "区社区经费管理办法",
    ),
    (
        PowerArea::Certificates,
        "居住证明出具",
        PowerHolder::Staff,
        "居民提交申请和材料\n工作人员核实\n登记台账并出具",
        "区社区证明事项清单",
    ),
];

const FINANCES: [&str; 3] = [
    "收入 上级拨付社区办公经费 12000\n收入 社区公益金 30000\n支出 办公用品 1280.50\n支出 为老服务活动 4600\n支出 楼道照明维修 2350",
    "收入 上级拨付社区办公经费 12000\n支出 办公用品 860\n支出 环境整治 3200\n支出 党员活动 1500",
    "收入 上级拨付社区办公经费 12000\n支出 办公用品 940.20\n支出 冬季消防器材 5800",
];

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let community = grids
        .iter()
        .find(|g| worker.scope.covers_place(&g.code))
        .map(|g| g.community_code.clone())
        .context("the grid worker's community")?;
    if !store.small_powers(&community).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    for (area, title, holder, steps, basis) in POWERS {
        let new = NewSmallPower {
            region_code: DISTRICT.into(),
            area,
            title: title.into(),
            holder,
            procedure: steps.lines().map(str::to_string).collect(),
            basis: basis.into(),
        };
        store.add_small_power(&supervisor, &new, now - Duration::days(300)).await?;
    }
    let own = NewSmallPower {
        region_code: community.clone(),
        area: PowerArea::Decisions,
        title: "老旧小区加装电梯意见征集".into(),
        holder: PowerHolder::ResidentsMeeting,
        procedure: vec!["楼门居民提出意向".into(), "社区组织协商议事".into(), "公示征求意见十五天".into()],
        basis: "《北京市既有多层住宅增设电梯指导意见》".into(),
    };
    store.add_small_power(&supervisor, &own, now - Duration::days(200)).await?;

    // Each of the last three months' finances, published by the tenth of the next; the oldest
    // corrected once.
    let today = beijing_day(now);
    let mut month = DisclosureKind::Finance.period(today).0;
    let mut published = 0;
    for lines in FINANCES {
        month = DisclosureKind::Finance.period(month - Duration::days(1)).0;
        let (from, to) = DisclosureKind::Finance.period(month);
        let new = NewDisclosure {
            community_code: community.clone(),
            kind: DisclosureKind::Finance,
            period_from: from,
            period_to: to,
            period_label: DisclosureKind::Finance.label(from),
            title: format!("{}社区经费收支", DisclosureKind::Finance.label(from)),
            body: "本月社区经费收支如下，欢迎居民监督。".into(),
            lines: parse_finance_lines(lines).map_err(|e| anyhow::anyhow!(e.message()))?,
        };
        let at = now - (today - to) + Duration::days(5);
        store.publish_disclosure(&worker.actor(), &new, at.min(now)).await?;
        published += 1;
    }
    let (from, to) = DisclosureKind::Affairs.period(DisclosureKind::Affairs.period(today).0 - Duration::days(1));
    let affairs = NewDisclosure {
        community_code: community.clone(),
        kind: DisclosureKind::Affairs,
        period_from: from,
        period_to: to,
        period_label: DisclosureKind::Affairs.label(from),
        title: "本季度社区重要事项".into(),
        body: "1. 经居民代表会议表决，3号楼加装电梯方案通过；2. 社区公益金资助楼道照明维修，已验收；3. 新增低保户两户，已公示无异议。".into(),
        lines: Vec::new(),
    };
    store
        .publish_disclosure(&worker.actor(), &affairs, now - (today - to).min(Duration::days(90)) + Duration::days(3))
        .await?;

    // A report at the street's 纪工委, accepted.
    let street = &community[..9];
    let unit = discipline_unit_id(street);
    let report = NewMisconduct {
        place_code: community.clone(),
        kind: MisconductKind::Favouritism,
        unit_id: unit.clone(),
        account: MisconductAccount {
            reported: "社区某工作人员".into(),
            what: "低保评议时优先照顾亲属，评议过程没有公示。".into(),
            reporter_name: None,
            reporter_phone: None,
        },
        accept_due: now - Duration::days(6) + Duration::days(ACCEPT_DAYS),
    };
    let receipt = store.receive_misconduct(&report, now - Duration::days(6)).await?;
    let handler =
        users.iter().find(|u| u.username == format!("handler-{unit}")).context("the street's discipline handler")?;
    let found = store.misconduct_reports(&unit, 10).await?.into_iter().find(|r| r.tracking_no == receipt.tracking_no);
    if let Some(r) = found {
        let due = now - Duration::days(4) + Duration::days(CONCLUDE_DAYS);
        let note = "线索具体，予以受理，调阅评议记录";
        store
            .move_misconduct(
                &handler.actor(),
                r.id,
                MisconductMove::Accept,
                note,
                None,
                Some(due),
                now - Duration::days(4),
            )
            .await?;
    }
    writeln!(
        out,
        "防治微腐败: {} small powers, {published} months of finances and a quarter's affairs published, a report of \
         misconduct at handler-{unit} (tracking number {}, query code {})",
        POWERS.len() + 1,
        receipt.tracking_no,
        receipt.query_code
    )?;
    Ok(out)
}
