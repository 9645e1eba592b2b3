//! The demo's 减负: the district's 准入清单, what was imposed on the grid worker's community over
//! the last months (most on the list, some not, two forms asking again for what the platform
//! holds), and the bulletins (通报) of the last whole week and month, made as the schedule makes
//! them. Made only into a store without a list.

use std::fmt::Write as _;
use std::sync::Arc;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::burden::{BurdenKind, PlatformData};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::Role;
use grassroots_store::burden::{NewImposition, NewListEntry};
use grassroots_store::{GridRow, Store, User};

const DISTRICT: &str = "110101";

/// (kind, title, issuer, basis) of the list.
const LIST: [(BurdenKind, &str, &str, &str); 8] = [
    (BurdenKind::Task, "最低生活保障入户调查", "区民政局", "《社会救助暂行办法》第十一条"),
    (BurdenKind::Task, "基本公共卫生服务宣传", "区卫生健康委", "国家基本公共卫生服务规范"),
    (BurdenKind::Task, "征兵宣传动员", "区人民武装部", "《征兵工作条例》"),
    (BurdenKind::Inspection, "消防安全检查配合", "区消防救援支队", "《消防法》第三十二条"),
    (BurdenKind::Inspection, "门前三包责任检查", "区城市管理委", "《北京市市容环境卫生条例》"),
    (BurdenKind::Meeting, "社区工作年度部署会", "街道办事处", "区社区工作事项准入清单（2026版）"),
    (BurdenKind::Form, "社区服务站月度工作统计", "区民政局", "区社区工作事项准入清单（2026版）"),
    (BurdenKind::Form, "居民议事协商年度报告", "区民政局", "《北京市社区议事厅工作规程》"),
];

/// (kind, title, issuer, days ago, hours, listed as entry n, asks again)
type Imposed = (BurdenKind, &'static str, &'static str, i64, f64, Option<usize>, &'static [PlatformData]);

const IMPOSED: [Imposed; 10] = [
    (BurdenKind::Task, "最低生活保障入户调查", "区民政局", 70, 12.0, Some(0), &[]),
    (BurdenKind::Inspection, "冬季消防安全检查配合", "区消防救援支队", 12, 6.0, Some(3), &[]),
    (BurdenKind::Meeting, "社区工作年度部署会", "街道办事处", 80, 3.0, Some(5), &[]),
    (BurdenKind::Form, "社区服务站月度工作统计", "区民政局", 35, 2.0, Some(6), &[]),
    (BurdenKind::Form, "社区服务站月度工作统计", "区民政局", 5, 2.0, Some(6), &[]),
    (BurdenKind::Task, "征兵宣传动员", "区人民武装部", 50, 4.0, Some(2), &[]),
    (BurdenKind::Inspection, "创建文明城区迎检台账整理", "区文明办", 25, 16.0, None, &[]),
    (
        BurdenKind::Form,
        "独居老人情况摸底表",
        "某委办局",
        18,
        8.0,
        None,
        &[PlatformData::Care, PlatformData::Households],
    ),
    (BurdenKind::Form, "党员联系群众情况统计", "街道办事处", 9, 5.0, None, &[PlatformData::Party]),
    (BurdenKind::Meeting, "临时工作推进会", "区某部门", 3, 2.5, None, &[]),
];

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.list_entries(DISTRICT).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let community = grids
        .iter()
        .find(|g| worker.scope.covers_place(&g.code))
        .map(|g| g.community_code.clone())
        .context("the grid worker's community")?;
    let mut entries = Vec::new();
    for (kind, title, issuer, basis) in LIST {
        let new = NewListEntry {
            district_code: DISTRICT.into(),
            kind,
            title: title.into(),
            issuer: issuer.into(),
            basis: basis.into(),
        };
        entries.push(store.add_list_entry(&supervisor, &new, now - Duration::days(200)).await?.id);
    }
    let mut flagged = 0;
    for (kind, title, issuer, days_ago, hours, entry, asks) in IMPOSED {
        let at = now - Duration::days(days_ago);
        let new = NewImposition {
            community_code: community.clone(),
            kind,
            title: title.into(),
            issuer: issuer.into(),
            imposed_on: beijing_day(at),
            half_hours: (hours * 2.0) as u32,
            entry_id: entry.map(|n| entries[n]),
            asks: asks.to_vec(),
            note: None,
        };
        flagged += usize::from(entry.is_none() || !asks.is_empty());
        store.register_imposition(&worker.actor(), &new, at).await?;
    }
    writeln!(
        out,
        "减负: {} entries on the district's list, {} impositions registered ({flagged} flagged)",
        LIST.len(),
        IMPOSED.len()
    )?;
    Ok(out)
}

/// The bulletins of the last whole week and month, as the schedule would make them.
pub async fn bulletins(store: Arc<dyn Store>) -> anyhow::Result<String> {
    let platform = grassroots_app::Platform::new(store, grassroots_app::Settings::default()).await?;
    let made = grassroots_app::bulletins::run_schedule(&platform, beijing_day(Utc::now())).await?;
    Ok(format!("通报: {made} bulletins of the last whole week and month generated"))
}
