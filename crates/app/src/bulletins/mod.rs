//! 通报 from the data (减负): the weekly and monthly bulletin of a district, street or unit,
//! made once from the same counts the dashboard reads (the three rates of the period and the
//! one before, the parts ranked by the composite score, overdue cases by unit, repeated
//! complaints, the month's theme), kept, and printed alike as a page, a PDF (`pdf.rs`) and a
//! workbook (`xlsx.rs`). A schedule makes the last whole week's and month's for every district,
//! street and unit; staff who read statistics make one on demand; `grassroots report` prints
//! one. The rules are `grassroots_domain::bulletins`.

mod pdf;
mod xlsx;

use chrono::{NaiveDate, Utc};
use grassroots_domain::bulletins::{
    rank, theme, Bulletin, BulletinPeriod, BulletinSubject, CategoryGrowth, OverdueLine, RankedPart, RateLine, Span,
    SubjectKind,
};
use grassroots_domain::{Capability, RegionCode, RegionLevel, Scope};
use grassroots_store::bulletins::{BulletinEntry, KeptBulletin};
use grassroots_store::{Grouping, RateFilter, User};
use uuid::Uuid;

pub use pdf::render as pdf;
pub use xlsx::render as xlsx;

use crate::{require, AppError, Platform, Result};

/// Units listed as overdue: the ten with most.
const OVERDUE_UNITS: usize = 10;

/// Who generated a scheduled bulletin.
pub const SCHEDULE: &str = "schedule";

/// The subject named by kind and code: a district or street known to the atlas, or a unit of
/// the reference data.
pub fn subject(platform: &Platform, kind: &str, code: &str) -> Result<BulletinSubject> {
    let kind = SubjectKind::parse_field("subject", kind)?;
    let code = code.trim();
    let unknown = || AppError::invalid("code", "没有这个区、街道或承办单位", "no such district, street or unit");
    let name = match kind {
        SubjectKind::District | SubjectKind::Street => {
            let level = if kind == SubjectKind::District { RegionLevel::County } else { RegionLevel::Township };
            let region = RegionCode::parse(code).ok().filter(|r| r.level() == level).ok_or_else(unknown)?;
            platform.atlas().outline(region.as_str()).map(|o| o.name.clone()).ok_or_else(unknown)?
        }
        SubjectKind::Unit => platform.reference().unit(code).map(|u| u.name_zh.clone()).ok_or_else(unknown)?,
    };
    Ok(BulletinSubject { kind, code: code.to_string(), name })
}

/// Whether the staff member's scope holds the subject: a region it covers, or a unit of it.
fn holds(platform: &Platform, staff: &User, subject: &BulletinSubject) -> bool {
    match subject.kind {
        SubjectKind::District | SubjectKind::Street => staff.scope.covers_place(&subject.code),
        SubjectKind::Unit => match &staff.scope {
            Scope::Unit { unit } => *unit == subject.code,
            scope => platform.reference().unit(&subject.code).is_some_and(|u| scope.covers_place(&u.region_code)),
        },
    }
}

fn filter(subject: &BulletinSubject, span: Span) -> Result<RateFilter> {
    let region = match subject.kind {
        SubjectKind::Unit => None,
        SubjectKind::District | SubjectKind::Street => Some(RegionCode::parse(&subject.code)?),
    };
    Ok(RateFilter {
        region,
        unit: (subject.kind == SubjectKind::Unit).then(|| subject.code.clone()),
        from: Some(crate::fields::time("from", &span.from.to_string(), false)?),
        to: Some(crate::fields::time("to", &span.to.to_string(), true)?),
        ..RateFilter::default()
    })
}

/// What a subject's parts are ranked among: a district's streets, a street's communities, a
/// unit among its district's units.
fn ranking_of(platform: &Platform, subject: &BulletinSubject, now: &RateFilter) -> (RankedPart, RateFilter, Grouping) {
    match subject.kind {
        SubjectKind::District => (RankedPart::Street, now.clone(), Grouping::Street),
        SubjectKind::Street => (RankedPart::Community, now.clone(), Grouping::Community),
        SubjectKind::Unit => {
            let reference = platform.reference();
            let region = reference.unit(&subject.code).and_then(|u| RegionCode::parse(&u.region_code).ok());
            let district = region.and_then(|r| r.ancestor(RegionLevel::County));
            (RankedPart::Unit, RateFilter { unit: None, region: district, ..now.clone() }, Grouping::Unit)
        }
    }
}

/// The bulletin's numbers, read as the dashboard reads them (every count within the subject).
pub async fn compose(
    platform: &Platform,
    subject: BulletinSubject,
    period: BulletinPeriod,
    span: Span,
) -> Result<Bulletin> {
    let store = &platform.store;
    let all = Scope::All;
    let now = filter(&subject, span)?;
    let before = filter(&subject, period.before(span))?;
    let (ranked, ranking_filter, grouping) = ranking_of(platform, &subject, &now);
    let counts = async {
        match subject.kind {
            SubjectKind::Unit => store.case_counts_by(&all, &now, Grouping::Unit).await,
            SubjectKind::District => store.region_counts(&all, RegionLevel::County, &now).await,
            SubjectKind::Street => store.region_counts(&all, RegionLevel::Township, &now).await,
        }
    };
    let (rates, previous, ranking, counts, by_unit, repeats, categories, categories_before) = tokio::try_join!(
        store.rate_counts(&all, &now),
        store.rate_counts(&all, &before),
        store.rate_counts_by(&all, &ranking_filter, grouping),
        counts,
        store.case_counts_by(&all, &now, Grouping::Unit),
        store.repeats(&now),
        store.case_counts_by(&all, &now, Grouping::TopCategory),
        store.case_counts_by(&all, &before, Grouping::TopCategory),
    )?;
    let reference = platform.reference();
    let atlas = platform.atlas();
    let unit_name = |id: &str| reference.unit(id).map_or_else(|| id.to_string(), |u| u.name_zh.clone());
    let ranking = rank(
        ranking
            .into_iter()
            .map(|(code, c)| {
                let name = match ranked {
                    RankedPart::Unit => unit_name(&code),
                    RankedPart::Street | RankedPart::Community => {
                        atlas.outline(&code).map_or_else(|| code.clone(), |o| o.name.clone())
                    }
                };
                (code, name, RateLine::of(c))
            })
            .collect(),
    );
    let (received, pending, overdue) =
        counts.iter().fold((0, 0, 0), |(r, p, o), c| (r + c.total, p + c.pending, o + c.overdue));
    let mut overdue_by_unit: Vec<OverdueLine> = by_unit
        .into_iter()
        .filter(|c| c.overdue > 0)
        .map(|c| OverdueLine { name: unit_name(&c.code), code: c.code, pending: c.pending, overdue: c.overdue })
        .collect();
    overdue_by_unit.sort_by(|a, b| b.overdue.cmp(&a.overdue).then(a.code.cmp(&b.code)));
    overdue_by_unit.truncate(OVERDUE_UNITS);
    let growth = categories
        .iter()
        .map(|c| CategoryGrowth {
            code: c.code.clone(),
            name: reference.taxonomy.get(&c.code).map_or_else(|| c.code.clone(), |t| t.name_zh.clone()),
            now: c.total,
            before: categories_before.iter().find(|b| b.code == c.code).map_or(0, |b| b.total),
        })
        .collect();
    Ok(Bulletin {
        subject,
        period,
        span,
        rates: RateLine::of(rates),
        previous: RateLine::of(previous),
        received,
        pending,
        overdue,
        ranked,
        ranking,
        overdue_by_unit,
        repeats,
        theme: theme(growth),
    })
}

/// Makes and keeps a bulletin.
pub async fn generate(
    platform: &Platform,
    subject: BulletinSubject,
    period: BulletinPeriod,
    span: Span,
    by: &str,
) -> Result<KeptBulletin> {
    let bulletin = compose(platform, subject, period, span).await?;
    Ok(platform.store.keep_bulletin(&bulletin, by, Utc::now()).await?)
}

/// A bulletin asked for by staff who read statistics, of a subject their scope holds: the
/// period `of` (a month `YYYY-MM`, or any day of a week), by default the last whole one.
pub async fn on_demand(
    platform: &Platform,
    staff: &User,
    kind: &str,
    code: &str,
    period: &str,
    of: Option<&str>,
) -> Result<KeptBulletin> {
    require(staff, Capability::ViewStatistics)?;
    let subject = subject(platform, kind, code)?;
    if !holds(platform, staff, &subject) {
        return Err(AppError::invalid("code", "只能通报您负责的地区或单位", "only a subject of your scope"));
    }
    let (period, span) = period_and_span(period, of)?;
    generate(platform, subject, period, span, staff.role.as_str()).await
}

/// The period named (`week` or `month`) and its span: `of` (a month `YYYY-MM`, or any day of a
/// week), by default the last whole one.
pub fn period_and_span(period: &str, of: Option<&str>) -> Result<(BulletinPeriod, Span)> {
    let period = BulletinPeriod::parse_field("period", period)?;
    let today = crate::care::today();
    let span = match of.map(str::trim).filter(|o| !o.is_empty()) {
        Some(of) => period.parse_span(of, today)?,
        None => period.last_complete(today),
    };
    Ok((period, span))
}

/// The bulletins of subjects the staff member's scope holds, the latest first.
pub async fn list(platform: &Platform, staff: &User, limit: i64) -> Result<Vec<BulletinEntry>> {
    require(staff, Capability::ViewStatistics)?;
    let reference = platform.reference();
    let (regions, units) = match &staff.scope {
        Scope::All => (vec![String::new()], reference.units.iter().map(|u| u.id.clone()).collect()),
        Scope::Unit { unit } => (Vec::new(), vec![unit.clone()]),
        scope => {
            let regions = scope.place_prefixes().unwrap_or_default();
            let units =
                reference.units.iter().filter(|u| scope.covers_place(&u.region_code)).map(|u| u.id.clone()).collect();
            (regions, units)
        }
    };
    let listed = platform.store.bulletins(&regions, &units, limit).await?;
    let subject = |e: &BulletinEntry| BulletinSubject {
        kind: e.subject_kind,
        code: e.subject_code.clone(),
        name: e.subject_name.clone(),
    };
    Ok(listed.into_iter().filter(|e| holds(platform, staff, &subject(e))).collect())
}

/// A kept bulletin of a subject the staff member's scope holds (404 otherwise).
pub async fn read(platform: &Platform, staff: &User, id: Uuid) -> Result<KeptBulletin> {
    require(staff, Capability::ViewStatistics)?;
    let kept = platform.store.bulletin(id).await?.ok_or(AppError::NotFound)?;
    match holds(platform, staff, &kept.bulletin.subject) {
        true => Ok(kept),
        false => Err(AppError::NotFound),
    }
}

/// The subjects a schedule reports on: every district the platform serves, its streets, and
/// the units of the reference data.
fn scheduled_subjects(platform: &Platform) -> Vec<BulletinSubject> {
    let atlas = platform.atlas();
    let mut subjects = Vec::new();
    for district in atlas.served_districts() {
        let code = district.code.as_str().to_string();
        subjects.push(BulletinSubject { kind: SubjectKind::District, code, name: district.name.clone() });
        for street in atlas.children(&district.code) {
            let code = street.code.as_str().to_string();
            subjects.push(BulletinSubject { kind: SubjectKind::Street, code, name: street.name.clone() });
        }
    }
    // Units that handle cases; discipline units take none.
    for unit in platform.reference().units.iter().filter(|u| u.takes_cases()) {
        subjects.push(BulletinSubject { kind: SubjectKind::Unit, code: unit.id.clone(), name: unit.name_zh.clone() });
    }
    subjects
}

/// Makes the last whole week's and month's bulletin of every subject that lacks it; run by the
/// schedule (any day: what exists is skipped, so a stopped server catches up). How many were
/// made.
pub async fn run_schedule(platform: &Platform, today: NaiveDate) -> Result<usize> {
    let mut made = 0;
    for period in BulletinPeriod::ALL {
        let span = period.last_complete(today);
        for subject in scheduled_subjects(platform) {
            if platform.store.bulletin_exists(subject.kind, &subject.code, *period, span.from).await? {
                continue;
            }
            generate(platform, subject, *period, span, SCHEDULE).await?;
            made += 1;
        }
    }
    Ok(made)
}
