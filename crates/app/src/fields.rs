//! Checks of free-text fields shared by the use cases.

use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};

use crate::{AppError, Result};

/// A field's text, trimmed (of invisible characters too): required, at most `max` characters.
pub fn short_text(field: &'static str, value: &str, max: usize) -> Result<String> {
    let v = grassroots_domain::text::trimmed(value);
    if v.is_empty() || v.chars().count() > max {
        return Err(AppError::invalid(
            field,
            format!("请填写（最多{max}个字符）"),
            format!("required, at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}

/// A moment to the minute: RFC 3339, or Beijing wall-clock time as a form's date-and-time field
/// sends it (`2026-12-03T09:00`).
pub fn moment(field: &'static str, raw: &str) -> Result<DateTime<Utc>> {
    grassroots_domain::calendar::parse_moment(raw).ok_or_else(|| {
        AppError::invalid(field, "时间格式应为 2026-12-03T09:00", "a time such as 2026-12-03T09:00 (Beijing)")
    })
}

/// A day (`YYYY-MM-DD`, Beijing time: its start, or with `end` the start of the next day) or
/// an RFC 3339 time, in the years 2000 to 2100.
pub fn time(field: &'static str, raw: &str, end: bool) -> Result<DateTime<Utc>> {
    let bad = || {
        AppError::invalid(
            field,
            "日期格式应为YYYY-MM-DD（2000至2100年）",
            "expected a date YYYY-MM-DD (years 2000 to 2100) or an RFC 3339 time",
        )
    };
    let time = match DateTime::parse_from_rfc3339(raw) {
        Ok(t) => t.with_timezone(&Utc),
        Err(_) => {
            let day = NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| bad())?;
            let day = if end { day.succ_opt().ok_or_else(bad)? } else { day };
            grassroots_domain::calendar::beijing()
                .from_local_datetime(&day.and_hms_opt(0, 0, 0).ok_or_else(bad)?)
                .single()
                .ok_or_else(bad)?
                .with_timezone(&Utc)
        }
    };
    // Far-off years are typing slips, and arithmetic on them would overflow.
    if !(2000..=2100).contains(&time.year()) {
        return Err(bad());
    }
    Ok(time)
}
