//! The demo's 慈善资源: the first community's fund and its street's, with donations in money and
//! in kind (some donors named with their consent, some not) and what was paid and given out.
//! Made only into a store without funds.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Duration, Utc};
use grassroots_domain::charity::{yuan, Entry, EntryKind};
use grassroots_domain::Role;
use grassroots_store::{GridRow, PlaceFilter, Store, User};

/// (days ago, kind, yuan, what, donor, named in public)
type Line = (i64, EntryKind, &'static str, &'static str, Option<&'static str>, bool);

const COMMUNITY_LEDGER: [Line; 8] = [
    (60, EntryKind::Donation, "20000", "社区关爱基金启动捐赠", Some("东华门商会"), true),
    (52, EntryKind::Donation, "500", "个人捐款", Some("王先生"), false),
    (45, EntryKind::GoodsDonation, "3200", "大米100袋、食用油50桶", Some("京客隆超市"), true),
    (40, EntryKind::Spending, "4800", "重阳节慰问独居老人（24户）", None, false),
    (38, EntryKind::GoodsDistribution, "1600", "重阳节发放大米50袋、食用油25桶", None, false),
    (20, EntryKind::Donation, "1000", "居民捐款", None, false),
    (12, EntryKind::Spending, "6000", "困难家庭冬季取暖补贴（12户）", None, false),
    (5, EntryKind::Spending, "1280", "楼道适老化扶手加装", None, false),
];

const STREET_LEDGER: [Line; 3] = [
    (90, EntryKind::Donation, "50000", "街道慈善超市年度捐赠", Some("北京某科技有限公司"), true),
    (30, EntryKind::Spending, "12000", "残疾人家庭无障碍改造（4户）", None, false),
    (10, EntryKind::GoodsDonation, "8000", "冬衣200件", None, false),
];

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.funds(&PlaceFilter::Everywhere, 1).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let community =
        &grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?.community_code;
    let street = &community[..9];
    for (place, name, purpose, ledger) in [
        (community.as_str(), "社区关爱基金", "帮扶困难家庭、慰问独居老人、社区适老化小改造", &COMMUNITY_LEDGER[..]),
        (street, "街道慈善基金", "街道困难群众救助和无障碍改造", &STREET_LEDGER[..]),
    ] {
        let fund = store.create_fund(&supervisor, place, name, purpose, now - Duration::days(100)).await?;
        for (days, kind, amount, what, donor, public) in ledger {
            let entry = Entry::check(*kind, amount, what, *donor, *public).map_err(|e| anyhow::anyhow!(e.message()))?;
            store.record_entry(&supervisor, fund.id, &entry, now - Duration::days(*days)).await?;
        }
        let held = store.fund(fund.id).await?.context("the fund just made")?;
        writeln!(
            out,
            "慈善资源: {name} of {place}, {} entries, {} yuan held",
            ledger.len(),
            yuan(held.totals.balance())
        )?;
    }
    Ok(out)
}
