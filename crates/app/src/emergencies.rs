//! 应急管理: those who command open an incident over an area (grids, whole communities or
//! streets, or a polygon drawn on the map) with the plan of its kind, send notices, keep
//! shelters, supplies and the log, and close it with an after-action summary drawn from the
//! figures; grid workers check the households of their grids one by one on their phones; a
//! resident chooses to receive the notices of their household's area. A drill runs the same
//! flow and texts no resident. The rules are `grassroots_domain::emergencies`.

use std::collections::BTreeSet;

use chrono::Utc;
use grassroots_domain::emergencies::{
    builtin_plans, check_polygon, check_text, plan_for, summarise, HouseholdStatus, IncidentKind, Progress, Severity,
    SummaryFacts, SummaryLine,
};
use grassroots_domain::{Capability, FieldError, RegionLevel};
use grassroots_store::emergencies::{
    GridProgress, HouseholdCheck, IncidentRecord, IncidentTask, LogEntry, NewIncident, NoticeRecord, Shelter, Supply,
};
use grassroots_store::residents::Resident;
use grassroots_store::{StoreError, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::{require, AppError, Platform, Result};

const LISTED: i64 = 200;

/// An incident as a form opens it.
#[derive(Debug, Clone, Default)]
pub struct IncidentForm {
    pub kind: String,
    pub severity: String,
    pub title: String,
    pub drill: bool,
    /// Regions whose grids are the area: streets, communities or single grids.
    pub places: Vec<String>,
    /// Or the corners drawn on the map, `lng,lat` separated by `;` or spaces.
    pub polygon: Option<String>,
}

/// An incident with what its command page shows.
#[derive(Debug, Clone)]
pub struct IncidentView {
    pub incident: IncidentRecord,
    pub grids: Vec<GridProgress>,
    /// The area's communities, each the sum of its grids.
    pub communities: Vec<(String, Progress)>,
    pub total: Progress,
    pub tasks: Vec<IncidentTask>,
    pub notices: Vec<NoticeRecord>,
    pub shelters: Vec<Shelter>,
    pub supplies: Vec<Supply>,
    pub log: Vec<LogEntry>,
}

fn may_command(staff: &User) -> Result<()> {
    require(staff, Capability::CommandEmergencies)
}

/// Commanders, and grid workers for the check: refused with the reason otherwise (asked first
/// by interfaces, before they read the ids they are given).
pub fn may_follow(staff: &User) -> Result<()> {
    match staff.role.may(Capability::CommandEmergencies) || staff.role.may(Capability::RecordVisits) {
        true => Ok(()),
        false => Err(AppError::lacks(Capability::CommandEmergencies)),
    }
}

fn parse_polygon(raw: &str) -> Result<Vec<(f64, f64)>> {
    let bad =
        || AppError::invalid("polygon", "区域的点应写作 经度,纬度；经度,纬度", "corners are written lng,lat; lng,lat");
    let corners = raw
        .split([';', '；', '\n', ' '])
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .map(|c| {
            let (lng, lat) = c.split_once([',', '，']).ok_or_else(bad)?;
            Ok((lng.trim().parse::<f64>().map_err(|_| bad())?, lat.trim().parse::<f64>().map_err(|_| bad())?))
        })
        .collect::<Result<Vec<_>>>()?;
    check_polygon(&corners)?;
    Ok(corners)
}

/// The grids of the area: those of the places named, or whose centre lies in the polygon.
async fn area(platform: &Platform, form: &IncidentForm) -> Result<(Vec<String>, Option<Vec<[f64; 2]>>)> {
    let grids = platform.store.grids().await?;
    let polygon = match form.polygon.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => Some(parse_polygon(raw)?),
        None => None,
    };
    let mut chosen = BTreeSet::new();
    if let Some(corners) = &polygon {
        let mut ring = corners.clone();
        ring.push(corners[0]);
        let drawn = grassroots_geo::Polygon { rings: vec![ring] };
        chosen.extend(grids.iter().filter(|g| drawn.contains(g.centroid.0, g.centroid.1)).map(|g| g.code.clone()));
    }
    for place in form.places.iter().map(|p| p.trim()).filter(|p| !p.is_empty()) {
        chosen.extend(grids.iter().filter(|g| g.code.starts_with(place)).map(|g| g.code.clone()));
    }
    if chosen.is_empty() {
        return Err(AppError::invalid(
            "places",
            "区域内没有网格，请选择街道、社区或网格",
            "the area holds no grid: choose streets, communities or grids",
        ));
    }
    Ok((chosen.into_iter().collect(), polygon.map(|p| p.into_iter().map(|(lng, lat)| [lng, lat]).collect())))
}

/// Opens an incident over an area the commander holds, with the plan of its kind.
pub async fn open(platform: &Platform, staff: &User, form: IncidentForm) -> Result<IncidentRecord> {
    may_command(staff)?;
    let kind = IncidentKind::parse_field("kind", &form.kind)?;
    let severity = Severity::parse_field("severity", &form.severity)?;
    let title = check_text("title", &form.title)?;
    let (grids, polygon) = area(platform, &form).await?;
    let district_code = grids[0][..RegionLevel::County.digits()].to_string();
    let tasks = plan_for(&builtin_plans(), kind, &grids, &platform.reference().units);
    let new = NewIncident { district_code, kind, severity, title, drill: form.drill, grids, polygon, tasks };
    match platform.store.open_incident(&staff.actor(), &new, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("places", "区域超出您的管辖范围", "the area lies outside your places"))
        }
        opened => Ok(opened?),
    }
}

/// Incidents of the caller's places, the active first.
pub async fn list(platform: &Platform, staff: &User) -> Result<Vec<IncidentRecord>> {
    may_follow(staff)?;
    Ok(platform.store.incidents(&crate::staff_places(staff), LISTED).await?)
}

async fn reached(platform: &Platform, staff: &User, id: Uuid) -> Result<IncidentRecord> {
    let incident = platform.store.incident(id).await?.ok_or(AppError::NotFound)?;
    match incident.grids.iter().any(|g| staff.scope.covers_place(g)) {
        true => Ok(incident),
        false => Err(AppError::NotFound),
    }
}

/// The progress of the check alone, by grid and community: what the command page refreshes.
pub async fn progress(
    platform: &Platform,
    staff: &User,
    id: Uuid,
) -> Result<(Vec<GridProgress>, Vec<(String, Progress)>, Progress)> {
    may_command(staff)?;
    reached(platform, staff, id).await?;
    Ok(by_community(platform.store.incident_progress(id).await?))
}

/// A check's grids with their communities' sums and the area's.
fn by_community(grids: Vec<GridProgress>) -> (Vec<GridProgress>, Vec<(String, Progress)>, Progress) {
    let mut communities: Vec<(String, Progress)> = Vec::new();
    let mut total = Progress::default();
    for g in &grids {
        total.add(&g.progress);
        match communities.iter_mut().find(|(c, _)| *c == g.community_code) {
            Some((_, p)) => p.add(&g.progress),
            None => communities.push((g.community_code.clone(), g.progress)),
        }
    }
    (grids, communities, total)
}

/// Everything the command page shows of an incident of the caller's places.
pub async fn view(platform: &Platform, staff: &User, id: Uuid) -> Result<IncidentView> {
    may_command(staff)?;
    let incident = reached(platform, staff, id).await?;
    let store = &platform.store;
    let (grids, communities, total) = by_community(store.incident_progress(id).await?);
    Ok(IncidentView {
        incident,
        grids,
        communities,
        total,
        tasks: store.incident_tasks(id).await?,
        notices: store.notices(id).await?,
        shelters: store.shelters(id).await?,
        supplies: store.supplies(id).await?,
        log: store.incident_log(id).await?,
    })
}

/// The households of one of the caller's grids in the area, for the check on a phone.
pub async fn households(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    grid: &str,
) -> Result<(IncidentRecord, Vec<HouseholdCheck>)> {
    may_follow(staff)?;
    let incident = reached(platform, staff, id).await?;
    if !incident.grids.iter().any(|g| g == grid) || !staff.scope.covers_place(grid) {
        return Err(AppError::NotFound);
    }
    Ok((incident, platform.store.households_to_check(id, grid).await?))
}

/// A household found at the door that the grid's register lacks, added to it so that it is
/// checked like the others: by a grid worker (or commander) whose scope holds the grid.
pub async fn add_household(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    grid: &str,
    label: &str,
) -> Result<HouseholdCheck> {
    households(platform, staff, id, grid).await?;
    let label = grassroots_domain::households::check_label(label).map_err(|e| FieldError { field: "label", ..e })?;
    platform.store.add_households(grid, std::slice::from_ref(&label)).await?;
    let (_, listed) = households(platform, staff, id, grid).await?;
    listed.into_iter().find(|h| h.label == label).ok_or(AppError::NotFound)
}

/// The grids of the area the caller checks.
pub fn own_grids(staff: &User, incident: &IncidentRecord) -> Vec<String> {
    incident.grids.iter().filter(|g| staff.scope.covers_place(g)).cloned().collect()
}

/// A household's status, set by a grid worker (or a commander) whose scope holds its grid.
pub async fn check(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    household: Uuid,
    status: &str,
    note: Option<&str>,
) -> Result<HouseholdCheck> {
    may_follow(staff)?;
    let status = HouseholdStatus::parse_field("status", status)?;
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(check_text("note", n)?),
        None => None,
    };
    match platform.store.check_household(&staff.actor(), id, household, status, note.as_deref(), Utc::now()).await {
        Err(StoreError::NotFound) => Err(AppError::NotFound),
        checked => Ok(checked?),
    }
}

pub async fn complete_task(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    task: Uuid,
    note: Option<&str>,
) -> Result<IncidentTask> {
    may_follow(staff)?;
    let note = match note.map(str::trim).filter(|n| !n.is_empty()) {
        Some(n) => Some(check_text("note", n)?),
        None => None,
    };
    Ok(platform.store.complete_task(&staff.actor(), id, task, note.as_deref(), Utc::now()).await?)
}

/// A notice to the area's grid workers and, unless a drill, its subscribed residents.
pub async fn notify(platform: &Platform, staff: &User, id: Uuid, text: &str) -> Result<NoticeRecord> {
    may_command(staff)?;
    let text = check_text("text", text)?;
    Ok(platform.store.send_notice(&staff.actor(), id, &text, Utc::now()).await?)
}

fn whole(field: &'static str, raw: &str) -> Result<i64> {
    raw.trim().parse().map_err(|_| AppError::invalid(field, "请填写整数", "a whole number"))
}

pub async fn add_shelter(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    name: &str,
    address: &str,
    capacity: &str,
) -> Result<Shelter> {
    may_command(staff)?;
    let capacity = whole("capacity", capacity)?;
    if capacity <= 0 {
        return Err(AppError::invalid("capacity", "容量应大于0", "the capacity is above 0"));
    }
    let (name, address) = (short_text("name", name, 60)?, short_text("address", address, 100)?);
    Ok(platform.store.add_shelter(&staff.actor(), id, &name, &address, capacity, Utc::now()).await?)
}

pub async fn set_occupancy(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    shelter: Uuid,
    occupancy: &str,
) -> Result<Shelter> {
    may_command(staff)?;
    let occupancy = whole("occupancy", occupancy)?;
    Ok(platform.store.set_occupancy(&staff.actor(), id, shelter, occupancy, Utc::now()).await?)
}

pub async fn add_supply(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    item: &str,
    unit: &str,
    stock: &str,
) -> Result<Supply> {
    may_command(staff)?;
    let stock = whole("stock", stock)?;
    if stock < 0 {
        return Err(AppError::invalid("stock", "库存不能为负", "stock is not below 0"));
    }
    let (item, unit) = (short_text("item", item, 40)?, short_text("unit", unit, 10)?);
    Ok(platform.store.add_supply(&staff.actor(), id, &item, &unit, stock, Utc::now()).await?)
}

pub async fn change_supply(platform: &Platform, staff: &User, id: Uuid, supply: Uuid, change: &str) -> Result<Supply> {
    may_command(staff)?;
    let change = whole("change", change)?;
    if change == 0 {
        return Err(AppError::invalid("change", "请填写增减数量", "say how many in or out"));
    }
    Ok(platform.store.change_supply(&staff.actor(), id, supply, change, Utc::now()).await?)
}

pub async fn add_log(platform: &Platform, staff: &User, id: Uuid, text: &str) -> Result<LogEntry> {
    may_command(staff)?;
    let text = check_text("text", text)?;
    Ok(platform.store.add_log_entry(&staff.actor(), id, &text, Utc::now()).await?)
}

/// The after-action summary of an incident closing at `closed_at`, drawn from what the store
/// holds of it: the check, the tasks, the texts, shelters, supplies and the log.
pub async fn after_action(
    store: &dyn grassroots_store::Store,
    incident: &IncidentRecord,
    closed_at: chrono::DateTime<Utc>,
) -> Result<Vec<SummaryLine>> {
    let id = incident.id;
    let mut progress = Progress::default();
    for g in store.incident_progress(id).await? {
        progress.add(&g.progress);
    }
    let (tasks, notices) = (store.incident_tasks(id).await?, store.notices(id).await?);
    let (shelters, supplies) = (store.shelters(id).await?, store.supplies(id).await?);
    let count = |f: fn(&NoticeRecord) -> i64| notices.iter().map(f).sum::<i64>();
    let facts = SummaryFacts {
        kind: incident.kind,
        severity: incident.severity,
        drill: incident.drill,
        started_at: incident.started_at,
        closed_at,
        grids: incident.grids.len(),
        progress,
        tasks: i64::try_from(tasks.len()).unwrap_or(i64::MAX),
        tasks_done: i64::try_from(tasks.iter().filter(|t| t.done).count()).unwrap_or(i64::MAX),
        alerts: (count(|n| n.to_staff + n.to_residents), count(|n| n.sent), count(|n| n.failed)),
        sheltered_peak: shelters.iter().map(|s| s.peak).sum(),
        shelter_capacity: shelters.iter().map(|s| s.capacity).sum(),
        supplies_used: supplies
            .iter()
            .filter(|s| s.handed_out > 0)
            .map(|s| (s.item.clone(), s.unit.clone(), s.handed_out))
            .collect(),
        // The closing entry is logged with it.
        log_entries: store.incident_log(id).await?.len() + 1,
    };
    Ok(summarise(&facts))
}

/// Closes an active incident with its after-action summary, drawn from the figures now.
pub async fn close(platform: &Platform, staff: &User, id: Uuid) -> Result<IncidentRecord> {
    may_command(staff)?;
    let incident = reached(platform, staff, id).await?;
    if !incident.active {
        return Err(AppError::invalid("incident", "事件已结束", "the incident is closed"));
    }
    let now = Utc::now();
    let summary = after_action(platform.store.as_ref(), &incident, now).await?;
    Ok(platform.store.close_incident(&staff.actor(), id, &summary, now).await?)
}

/// A resident's choice to receive the notices of their household's area.
pub async fn subscribe(platform: &Platform, resident: &Resident, subscribed: bool) -> Result<bool> {
    platform.store.set_alert_subscription(resident.id, subscribed, Utc::now()).await?;
    Ok(subscribed)
}

pub async fn subscribed(platform: &Platform, resident: &Resident) -> Result<bool> {
    Ok(platform.store.alert_subscribed(resident.id).await?)
}
