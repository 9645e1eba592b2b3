//! The demo's 物业管理: three compounds of the first community with their companies, rated by
//! the demo's residents there, and property cases that name two of them. Made only into a store
//! without compounds.

use std::fmt::Write as _;

use anyhow::Context;
use chrono::{DateTime, Datelike, Duration, Utc};
use grassroots_domain::calendar::{beijing_day, deadlines};
use grassroots_domain::case::Place;
use grassroots_domain::property::Compound;
use grassroots_domain::residents::Mobile;
use grassroots_domain::{Actor, Channel, Priority, RequestType, Role};
use grassroots_store::{GridRow, NewCase, PlaceFilter, Store, User};

use super::participation::resident_phone;

/// (compound, company, the scores of the first residents)
const COMPOUNDS: [(&str, &str, &[u8]); 3] = [
    ("和平里小区", "北京和家物业管理有限公司", &[4, 5, 3, 4, 4]),
    ("南池子小区", "北京某城建物业服务有限公司", &[2, 3, 2, 1]),
    ("菖蒲河公寓", "北京某房地产开发集团物业分公司", &[5, 4, 5]),
];

/// (compound, category, words)
const CASES: [(&str, &str, &str); 3] = [
    ("南池子小区", "0502", "南池子小区2号楼电梯停运三天，老人上下楼困难"),
    ("南池子小区", "0504", "南池子小区物业未经业主同意上调停车费"),
    ("和平里小区", "0502", "和平里小区垃圾清运不及时，楼道堆放杂物"),
];

pub async fn load(store: &dyn Store, users: &[User], grids: &[GridRow], now: DateTime<Utc>) -> anyhow::Result<String> {
    let mut out = String::new();
    if !store.compounds(&PlaceFilter::Everywhere, beijing_day(now).year()).await?.is_empty() {
        return Ok(out);
    }
    let supervisor = users.iter().find(|u| u.role == Role::Supervisor).context("the demo's supervisor")?.actor();
    let worker = users.iter().find(|u| u.username == "gridworker").context("the demo's grid worker")?;
    let grid = grids.iter().find(|g| worker.scope.covers_place(&g.code)).context("the grid worker's grid")?;
    let year = beijing_day(now).year();
    for (name, company, scores) in COMPOUNDS {
        let compound = Compound::check(name, company, None).map_err(|e| anyhow::anyhow!(e.message()))?;
        let added = store.add_compound(&supervisor, &grid.community_code, &compound, now - Duration::days(60)).await?;
        for (n, score) in (1..).zip(scores.iter()) {
            let mobile = Mobile::parse(&resident_phone(n)).map_err(|e| anyhow::anyhow!(e.message()))?;
            let who = store.resident_by_phone(&mobile).await?.context("a demo resident")?;
            store.rate_compound(who.id, added.id, year, *score, None, now - Duration::days(i64::from(n))).await?;
        }
    }
    let reference = store.reference().await?;
    for (compound, category, words) in CASES {
        // Received as they are made, as a live case is: its id follows its receipt.
        let at = Utc::now();
        let category = reference.taxonomy.get(category).context("a property category")?;
        let due = deadlines(&reference.calendar, category, Priority::Normal, at);
        let new = NewCase {
            category_code: category.code.0.clone(),
            request_type: RequestType::Complaint,
            priority: Priority::Normal,
            channel: Channel::Web,
            description: words.to_string(),
            place: Place {
                district_code: Some(grid.code[..6].to_string()),
                street_code: Some(grid.code[..9].to_string()),
                community_code: Some(grid.community_code.clone()),
                grid_code: Some(grid.code.clone()),
                lat: None,
                lng: None,
                address: Some(compound.to_string()),
                located_by: None,
            },
            reporter_name: None,
            reporter_phone: None,
            anonymous: true,
            notify_reporter: false,
            response_due: due.response_due,
            resolve_due: due.resolve_due,
            received_at: at,
            attachments: Vec::new(),
            decisions: Vec::new(),
            then: None,
            key: None,
        };
        store.create_case(new, &Actor::Resident).await?;
    }
    writeln!(
        out,
        "物业管理: {} compounds rated by their residents, {} property cases naming them",
        COMPOUNDS.len(),
        CASES.len()
    )?;
    Ok(out)
}
