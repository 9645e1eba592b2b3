//! Administration of the reference data the rules use: units, the deadlines of categories,
//! the responsibility matrix and the working-day calendar. Each change is checked whole,
//! written, and the platform's copy reloaded (other servers pick it up within a minute). The
//! administration page and the command line's imports go through the same checks.

use chrono::NaiveDate;
use grassroots_domain::calendar::{CalendarDay, DayKind};
use grassroots_domain::reference::{check_takes_cases, Responsibility, Unit, UNIT_KINDS};
use grassroots_domain::RegionCode;

use crate::fields::short_text;
use crate::{AppError, Platform, Result};

/// Adds or updates a unit.
#[tracing::instrument(skip_all, fields(unit = %unit.id))]
pub async fn save_unit(platform: &Platform, unit: Unit) -> Result<()> {
    let id = unit.id.trim().to_string();
    if !(2..=60).contains(&id.len()) || !id.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-') {
        return Err(AppError::invalid("id", "2到60位小写字母、数字或 -", "2 to 60 lower-case letters, digits or -"));
    }
    let kind = unit.kind.trim();
    if !UNIT_KINDS.contains(&kind) {
        return Err(AppError::invalid("kind", "请选择类型", "choose a kind"));
    }
    let region = RegionCode::parse(unit.region_code.trim())
        .map_err(|e| AppError::invalid("region_code", e.reason_zh, e.reason_en))?;
    let unit = Unit {
        id,
        name_zh: short_text("name_zh", &unit.name_zh, 60)?,
        name_en: short_text("name_en", &unit.name_en, 120)?,
        kind: kind.to_string(),
        region_code: region.as_str().to_string(),
    };
    platform.store.upsert_units(&[unit]).await?;
    Ok(platform.refresh_reference().await?)
}

/// What an administrator sets of a category.
#[derive(Debug, Clone)]
pub struct CategorySettings {
    /// Hours to respond, 1 to 720.
    pub response_hours: u32,
    /// Working days to resolve, 1 to 365.
    pub resolve_days: u32,
    /// Never published.
    pub sensitive: bool,
    /// Days the personal data is kept after a case is finished, 30 to 3650; unchanged when `None`.
    pub retention_days: Option<u32>,
    /// Reporting a case handled needs a photo of the result.
    pub photo_on_handling: bool,
    /// The classifier's confidence in percent (50 to 99) at which a report naming no category
    /// is given this one without a person; 0 for never; unchanged when `None`.
    pub auto_percent: Option<u32>,
}

/// Sets a category's deadlines, whether it is sensitive, how long its personal data is kept
/// and whether its results must be shown in a photo.
#[tracing::instrument(skip_all, fields(category = code))]
pub async fn save_category(platform: &Platform, code: &str, settings: CategorySettings) -> Result<()> {
    let CategorySettings { response_hours, resolve_days, sensitive, retention_days, photo_on_handling, auto_percent } =
        settings;
    let mut category = platform
        .reference()
        .taxonomy
        .get(code.trim())
        .cloned()
        .ok_or_else(|| AppError::invalid("code", "请选择类别", "choose a category"))?;
    category.response_hours = within("response_hours", response_hours, 1..=720)?;
    category.resolve_days = within("resolve_days", resolve_days, 1..=365)?;
    category.sensitive = sensitive;
    category.photo_on_handling = photo_on_handling;
    if let Some(days) = retention_days {
        category.retention_days = within("retention_days", days, 30..=3650)?;
    }
    match auto_percent {
        None => {}
        Some(0) => category.auto_percent = None,
        Some(percent) => category.auto_percent = u8::try_from(within("auto_percent", percent, 50..=99)?).ok(),
    }
    platform.store.upsert_categories(&[category]).await?;
    Ok(platform.refresh_reference().await?)
}

fn within(field: &'static str, n: u32, range: std::ops::RangeInclusive<u32>) -> Result<u32> {
    if range.contains(&n) {
        return Ok(n);
    }
    Err(AppError::invalid(
        field,
        format!("应为{}到{}之间的整数", range.start(), range.end()),
        format!("a whole number from {} to {}", range.start(), range.end()),
    ))
}

/// Checks a line of the matrix against the stored categories, regions, grids and units.
async fn check_line(platform: &Platform, line: &Responsibility) -> Result<()> {
    let reference = platform.reference();
    if reference.taxonomy.get(&line.category_code).is_none() {
        return Err(AppError::invalid("category_code", "未知的类别代码", "unknown category code"));
    }
    let known = platform.store.region(&line.region_code).await?.is_some()
        || platform.store.grid(&line.region_code).await?.is_some();
    if !known {
        return Err(AppError::invalid("region_code", "未知的区划或网格代码", "not a known region or grid"));
    }
    match reference.unit(&line.unit_id) {
        None => Err(AppError::invalid("unit_id", "请选择承办单位", "choose a unit")),
        Some(unit) => Ok(check_takes_cases("unit_id", &unit.kind)?),
    }
}

/// Adds matrix lines (a line for the same category and region replaces the stored one), all
/// or none: a bad line is reported with its position (from 0) and nothing is written.
#[tracing::instrument(skip_all, fields(lines = lines.len()))]
pub async fn save_matrix_lines(platform: &Platform, lines: Vec<Responsibility>) -> Result<u64, MatrixError> {
    let lines: Vec<Responsibility> = lines
        .into_iter()
        .map(|l| Responsibility {
            category_code: l.category_code.trim().to_string(),
            region_code: l.region_code.trim().to_string(),
            unit_id: l.unit_id.trim().to_string(),
            ..l
        })
        .collect();
    for (i, line) in lines.iter().enumerate() {
        check_line(platform, line).await.map_err(|e| MatrixError::Line(i, e))?;
    }
    let written = platform.store.upsert_responsibilities(&lines).await.map_err(|e| MatrixError::Store(e.into()))?;
    platform.refresh_reference().await.map_err(|e| MatrixError::Store(e.into()))?;
    Ok(written)
}

/// Why matrix lines were not saved: one of them (by position, from 0), or the store.
#[derive(Debug)]
pub enum MatrixError {
    Line(usize, AppError),
    Store(AppError),
}

impl From<MatrixError> for AppError {
    fn from(e: MatrixError) -> Self {
        match e {
            MatrixError::Line(_, e) | MatrixError::Store(e) => e,
        }
    }
}

/// Removes the matrix line for this category and region.
pub async fn remove_matrix_line(platform: &Platform, category_code: &str, region_code: &str) -> Result<()> {
    platform.store.delete_responsibility(category_code.trim(), region_code.trim()).await.map_err(|e| match e {
        grassroots_store::StoreError::NotFound => AppError::invalid(
            "region_code",
            "派单目录中没有这一行（类别与区划）",
            "no matrix line has this category and region",
        ),
        e => e.into(),
    })?;
    Ok(platform.refresh_reference().await?)
}

/// What a day of the calendar becomes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DayChange {
    /// A holiday or a worked weekend day, with its name (春节, …).
    Set { kind: DayKind, name: String },
    /// An ordinary day again.
    Remove,
}

/// Changes one day of the calendar, leaving the others as they are now in the store (not as
/// a copy read earlier had them).
#[tracing::instrument(skip_all, fields(date = %date))]
pub async fn set_calendar_day(platform: &Platform, date: NaiveDate, change: DayChange) -> Result<()> {
    let day = match change {
        DayChange::Set { kind, name } => Some((kind, short_text("name", &name, 40)?)),
        DayChange::Remove => None,
    };
    platform.store.set_calendar_day(date, day).await?;
    Ok(platform.refresh_reference().await?)
}

/// Replaces the whole calendar (an imported State Council notice).
pub async fn replace_calendar(platform: &Platform, days: &[CalendarDay]) -> Result<()> {
    platform.store.replace_calendar(days).await?;
    Ok(platform.refresh_reference().await?)
}
