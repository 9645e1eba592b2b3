//! 防治微腐败: staff of a place keep its 小微权力清单 and publish its affairs and finances
//! (corrections as new versions, the old ones kept); residents read both on the public pages,
//! and report misconduct of staff — sealed, routed to the discipline unit of the level above,
//! followed with a tracking number and query code like a case — which that unit's handlers
//! accept or decline and conclude with a finding and a reply. The rules are
//! `grassroots_domain::oversight`.

use chrono::{Duration, NaiveDate, Utc};
use grassroots_domain::oversight::{
    check_procedure, discipline_region, parse_finance_lines, DisclosureKind, Finding, MisconductKind, MisconductMove,
    PowerArea, PowerHolder, ACCEPT_DAYS, CONCLUDE_DAYS,
};
use grassroots_domain::personal::normalize_phone;
use grassroots_domain::{Capability, FieldError, RegionCode, RegionLevel, Scope};
use grassroots_store::oversight::{
    Disclosure, MisconductAccount, MisconductReceipt, MisconductReport, NewDisclosure, NewMisconduct, NewSmallPower,
    SmallPower,
};
use grassroots_store::{StoreError, User};
use uuid::Uuid;

use crate::fields::short_text;
use crate::{require, AppError, Platform, Result};

/// A small power as a form gives it.
#[derive(Debug, Clone, Default)]
pub struct PowerForm {
    pub region_code: String,
    pub area: String,
    pub title: String,
    pub holder: String,
    /// Steps, one a line.
    pub procedure: String,
    pub basis: String,
}

/// A disclosure as a form publishes it.
#[derive(Debug, Clone, Default)]
pub struct DisclosureForm {
    pub community_code: String,
    pub kind: String,
    /// Any day of the period (`YYYY-MM-DD`); the last period due when absent.
    pub of: Option<String>,
    pub title: String,
    pub body: String,
    /// A finance disclosure's lines, one a line.
    pub lines: Option<String>,
}

/// A resident's report of misconduct.
#[derive(Debug, Clone, Default)]
pub struct MisconductForm {
    /// Where the reported staff work: a community or street (or a grid).
    pub place_code: String,
    pub kind: String,
    pub reported: String,
    pub what: String,
    pub name: Option<String>,
    pub phone: Option<String>,
}

fn trimmed(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

/// Adds a small power to the list of a district or community the caller holds.
pub async fn add_power(platform: &Platform, staff: &User, form: PowerForm) -> Result<SmallPower> {
    require(staff, Capability::RunParticipation)?;
    let region = RegionCode::parse(&form.region_code)
        .ok()
        .filter(|r| matches!(r.level(), RegionLevel::County | RegionLevel::Community))
        .ok_or_else(|| AppError::invalid("region_code", "请选择区或社区", "choose a district or community"))?;
    let new = NewSmallPower {
        region_code: region.as_str().to_string(),
        area: PowerArea::parse_field("area", &form.area)?,
        title: short_text("title", &form.title, 60)?,
        holder: PowerHolder::parse_field("holder", &form.holder)?,
        procedure: check_procedure(&form.procedure)?,
        basis: short_text("basis", &form.basis, 200)?,
    };
    match platform.store.add_small_power(&staff.actor(), &new, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("region_code", "只能维护您负责地区的清单", "keep the list of your own places"))
        }
        added => Ok(added?),
    }
}

fn community(field: &'static str, raw: &str) -> Result<RegionCode> {
    RegionCode::parse(raw)
        .ok()
        .filter(|c| c.level() == RegionLevel::Community)
        .ok_or_else(|| AppError::invalid(field, "请选择社区", "choose a community"))
}

/// The small powers that apply to a community, for anyone (they are public).
pub async fn powers(platform: &Platform, community_code: &str) -> Result<Vec<SmallPower>> {
    let community = community("community", community_code)?;
    Ok(platform.store.small_powers(community.as_str()).await?)
}

/// Publishes a community's affairs or finances for a period (a correction if one was
/// published already).
pub async fn publish(platform: &Platform, staff: &User, form: DisclosureForm) -> Result<Disclosure> {
    require(staff, Capability::RunParticipation)?;
    let community = community("community_code", &form.community_code)?;
    let kind = DisclosureKind::parse_field("kind", &form.kind)?;
    let today = crate::care::today();
    let (from, to) = match trimmed(form.of.as_deref()) {
        Some(day) => {
            let day = NaiveDate::parse_from_str(day, "%Y-%m-%d")
                .map_err(|_| AppError::invalid("of", "日期格式应为YYYY-MM-DD", "a date YYYY-MM-DD"))?;
            kind.period(day)
        }
        None => kind.period(kind.period(today).0 - Duration::days(1)),
    };
    if from > today {
        return Err(AppError::invalid("of", "不能公开尚未开始的时段", "a period that has not begun"));
    }
    let lines = match (kind, trimmed(form.lines.as_deref())) {
        (DisclosureKind::Finance, Some(raw)) => parse_finance_lines(raw)?,
        (DisclosureKind::Finance, None) => {
            return Err(AppError::invalid("lines", "财务公开须逐项列出收支", "a finance disclosure lists its lines"))
        }
        (DisclosureKind::Affairs, _) => Vec::new(),
    };
    let new = NewDisclosure {
        community_code: community.as_str().to_string(),
        kind,
        period_from: from,
        period_to: to,
        period_label: kind.label(from),
        title: short_text("title", &form.title, 100)?,
        body: short_text("body", &form.body, 5000)?,
        lines,
    };
    match platform.store.publish_disclosure(&staff.actor(), &new, Utc::now()).await {
        Err(StoreError::NotFound) => {
            Err(AppError::invalid("community_code", "只能公开您负责社区的事项", "publish for your own communities"))
        }
        done => Ok(done?),
    }
}

/// The latest disclosures of a community, for anyone.
pub async fn disclosures(platform: &Platform, community_code: &str) -> Result<Vec<Disclosure>> {
    let community = community("community", community_code)?;
    let places = grassroots_store::PlaceFilter::Of(vec![community.as_str().to_string()]);
    Ok(platform.store.disclosures(&places, 100).await?)
}

/// Every version of a disclosure, the latest first, for anyone.
pub async fn history(platform: &Platform, id: Uuid) -> Result<Vec<Disclosure>> {
    let versions = platform.store.disclosure_history(id).await?;
    match versions.is_empty() {
        true => Err(AppError::NotFound),
        false => Ok(versions),
    }
}

/// The communities of the caller's places that have not published the last period due.
pub async fn overdue(platform: &Platform, staff: &User) -> Result<Vec<(DisclosureKind, Vec<String>)>> {
    require(staff, Capability::RunParticipation)?;
    let places = crate::staff_places(staff);
    let mut out = Vec::new();
    for kind in DisclosureKind::ALL {
        if let Some((from, _)) = kind.last_due(crate::care::today()) {
            out.push((*kind, platform.store.missing_disclosures(&places, *kind, from).await?));
        }
    }
    Ok(out)
}

/// The discipline unit of the level above the place reported.
fn discipline_unit(platform: &Platform, place: &RegionCode) -> Result<String> {
    let region = discipline_region(place)
        .ok_or_else(|| AppError::invalid("place_code", "请选择社区或街道", "choose a community or street"))?;
    platform
        .reference()
        .units
        .iter()
        .find(|u| u.kind == grassroots_domain::reference::DISCIPLINE && u.region_code == region.as_str())
        .map(|u| u.id.clone())
        .ok_or_else(|| {
            AppError::invalid(
                "place_code",
                "该地区尚未设置纪检监察受理机构",
                "no discipline unit receives reports there yet",
            )
        })
}

/// Receives a resident's report (signed in or not; anonymous unless they give a name or
/// phone), sealed and routed to the discipline unit of the level above the place reported.
pub async fn report(platform: &Platform, form: MisconductForm) -> Result<MisconductReceipt> {
    let place = RegionCode::parse(&form.place_code)
        .ok()
        .filter(|p| matches!(p.level(), RegionLevel::Grid | RegionLevel::Community | RegionLevel::Township))
        .ok_or_else(|| AppError::invalid("place_code", "请选择社区或街道", "choose a community or street"))?;
    let phone = match trimmed(form.phone.as_deref()) {
        None => None,
        Some(raw) => Some(normalize_phone(raw).map_err(|e| FieldError { field: "phone", ..e })?),
    };
    let account = MisconductAccount {
        reported: short_text("reported", &form.reported, 60)?,
        what: short_text("what", &form.what, 2000)?,
        reporter_name: trimmed(form.name.as_deref()).map(|n| short_text("name", n, 30)).transpose()?,
        reporter_phone: phone,
    };
    let new = NewMisconduct {
        unit_id: discipline_unit(platform, &place)?,
        place_code: place.as_str().to_string(),
        kind: MisconductKind::parse_field("kind", &form.kind)?,
        account,
        accept_due: Utc::now() + Duration::days(ACCEPT_DAYS),
    };
    Ok(platform.store.receive_misconduct(&new, Utc::now()).await?)
}

/// A report as its reporter follows it: where it stands and, once ended, the finding and reply.
pub async fn track(platform: &Platform, tracking_no: &str, query_code: &str) -> Result<MisconductReport> {
    let (tracking_no, query_code) = (tracking_no.trim(), query_code.trim());
    if !grassroots_domain::case::is_tracking_no(tracking_no) {
        return Err(AppError::invalid("tracking_no", "编号应为14位数字", "the number has 14 digits"));
    }
    if query_code.len() != 6 || !query_code.bytes().all(|b| b.is_ascii_digit()) {
        return Err(AppError::invalid("query_code", "查询码应为6位数字", "the query code has 6 digits"));
    }
    let found = platform.store.track_misconduct(tracking_no, query_code).await?;
    found.ok_or(AppError::NotFound)
}

fn unit_of(staff: &User) -> Result<&str> {
    require(staff, Capability::InvestigateMisconduct)?;
    match &staff.scope {
        Scope::Unit { unit } => Ok(unit),
        _ => Err(AppError::NotFound),
    }
}

/// The reports routed to the caller's unit.
pub async fn queue(platform: &Platform, staff: &User) -> Result<Vec<MisconductReport>> {
    let unit = unit_of(staff)?;
    Ok(platform.store.misconduct_reports(unit, 500).await?)
}

/// A report of the caller's unit with what it says (the opening audited); 404 for anyone else.
pub async fn open(platform: &Platform, staff: &User, id: Uuid) -> Result<(MisconductReport, MisconductAccount)> {
    let unit = unit_of(staff)?;
    let report = platform.store.misconduct_report(id).await?.filter(|r| r.unit_id == unit).ok_or(AppError::NotFound)?;
    let account = platform.store.open_misconduct(&staff.actor(), id, Utc::now()).await?;
    Ok((report, account))
}

/// Accepts, declines or concludes a report of the caller's unit: a decline and a conclusion
/// carry the reply the reporter reads, a conclusion its finding.
pub async fn act(
    platform: &Platform,
    staff: &User,
    id: Uuid,
    action: &str,
    note: &str,
    finding: Option<&str>,
) -> Result<MisconductReport> {
    let unit = unit_of(staff)?;
    platform.store.misconduct_report(id).await?.filter(|r| r.unit_id == unit).ok_or(AppError::NotFound)?;
    let kind = MisconductMove::parse_field("move", action)?;
    let note = short_text("note", note, 2000)?;
    let finding = match kind {
        MisconductMove::Conclude => Some(Finding::parse_field("finding", finding.unwrap_or_default())?),
        MisconductMove::Accept | MisconductMove::Decline => None,
    };
    let conclude_due = (kind == MisconductMove::Accept).then(|| Utc::now() + Duration::days(CONCLUDE_DAYS));
    Ok(platform.store.move_misconduct(&staff.actor(), id, kind, &note, finding, conclude_due, Utc::now()).await?)
}
