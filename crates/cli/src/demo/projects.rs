//! The demo's 政府购买服务: the first street office buys a year of "一老一小" social work from
//! the demo's agency (running: reports in, the first payment made, one indicator behind), and
//! the district's civil affairs bureau bought home visits to the elderly from it last year
//! (ended, every payment made, evaluated 良好). Made only into a store without projects.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::calendar::beijing_day;
use grassroots_domain::helpers::{HelperKind, HelperState};
use grassroots_domain::projects::Plan;
use grassroots_domain::Role;
use grassroots_store::{GridRow, PlaceFilter, Store, User};

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.projects(&PlaceFilter::Everywhere, 1).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let street = grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?.code[..9]
        .to_string();
    let agency = store
        .helpers(&PlaceFilter::Within(vec![street.clone()]), Some(HelperState::Verified), 50)
        .await?
        .into_iter()
        .find(|h| h.kind == HelperKind::Organisation)
        .context("the demo's social work agency")?;
    let reference = store.reference().await?;
    let civil_affairs = reference
        .units
        .iter()
        .find(|u| u.kind == "department" && u.name_zh.contains("民政"))
        .context("the district's civil affairs bureau")?;
    let today = beijing_day(now);
    let day = |d: i64| (today + Duration::days(d)).to_string();

    // Running: started four months ago, a year long.
    let running = Plan::check(
        "“一老一小”社会工作服务项目",
        "300000",
        &day(-120),
        &day(245),
        "服务人次|人次|1200\n入户探访|次|300\n社区活动|场|24",
        &format!(
            "首期款|{}|90000\n中期款|{}|120000|服务人次>=500\n尾款|{}|90000|入户探访>=300",
            day(-110),
            day(62),
            day(245)
        ),
    )
    .map_err(|e| anyhow::anyhow!(e.message()))?;
    let unit = format!("street-{street}");
    let p = store.create_project(&supervisor, &unit, &street, agency.id, &running, now - Duration::days(125)).await?;
    store.reach_milestone(&supervisor, p.id, 0, now - Duration::days(108)).await?;
    for (ago, amounts, note) in [
        (90, [95, 30, 2], "建立服务对象档案，开展独居老人入户探访和“四点半课堂”"),
        (60, [120, 18, 2], "重阳节敬老活动一场；探访因人员调整减少"),
        (30, [110, 20, 3], "暑期课业辅导和防诈骗宣传"),
        (3, [105, 22, 2], "冬季安全入户检查与取暖补贴政策宣讲"),
    ] {
        store.report_project_progress(&supervisor, p.id, &amounts, note, now - Duration::days(ago)).await?;
    }

    // Ended last month, every payment made, evaluated.
    let ended = Plan::check(
        "居家养老探访服务项目",
        "150000",
        &day(-400),
        &day(-35),
        "入户探访|次|600\n服务对象|人|80",
        &format!("首期款|{}|60000\n尾款|{}|90000|入户探访>=600", day(-390), day(-35)),
    )
    .map_err(|e| anyhow::anyhow!(e.message()))?;
    let q = store
        .create_project(
            &supervisor,
            &civil_affairs.id,
            &civil_affairs.region_code,
            agency.id,
            &ended,
            now - Duration::days(405),
        )
        .await?;
    store.reach_milestone(&supervisor, q.id, 0, now - Duration::days(388)).await?;
    for (ago, amounts) in [(300, [150, 60]), (200, [160, 12]), (100, [170, 6]), (40, [140, 4])] {
        store
            .report_project_progress(&supervisor, q.id, &amounts, "按计划完成入户探访", now - Duration::days(ago))
            .await?;
    }
    store.reach_milestone(&supervisor, q.id, 1, now - Duration::days(34)).await?;
    let evaluation = ("北京市某社会组织评估中心", 86, "服务覆盖完整、档案规范；居民满意度高，建议加强专业督导。");
    store.evaluate_project(&supervisor, q.id, evaluation, now - Duration::days(20)).await?;
    writeln!(out, "政府购买服务: 2 projects from {} (one running, one ended and evaluated)", agency.shown_name)?;
    Ok(out)
}
