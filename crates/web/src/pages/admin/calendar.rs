//! The working-day calendar: holidays and worked weekend days (调休), one day at a time.

use chrono::NaiveDate;
use grassroots_app::reference::{self, DayChange};
use grassroots_app::AppError;
use grassroots_domain::calendar::{day_name_in_english, DayKind};
use grassroots_store::Reference;

use super::{choice, input, Layout, Line, Saved};
use crate::pages::{Lang, Typed};
use crate::AppState;

pub(super) fn layout(lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let kinds = vec![
        ("holiday".into(), t("节假日", "holiday")),
        ("workday".into(), t("调休上班", "working weekend day")),
        ("remove".into(), t("删除此日", "remove this day")),
    ];
    Layout {
        heading: t("工作日历", "Working-day calendar"),
        columns: vec![t("日期", "Date"), t("类型", "Kind"), t("名称", "Name")],
        form: vec![
            input("date", t("日期（YYYY-MM-DD）", "Date (YYYY-MM-DD)")),
            choice("kind", t("类型", "Kind"), kinds),
            input("name", t("名称（如 春节）", "Name (e.g. Spring Festival)")),
        ],
    }
}

pub(super) fn lines(reference: &Reference, lang: Lang) -> Vec<Line> {
    reference
        .calendar_days
        .iter()
        .map(|d| {
            let kind = match d.kind {
                DayKind::Holiday => lang.t("节假日", "holiday"),
                DayKind::Workday => lang.t("调休上班", "working weekend day"),
            };
            let name = match (lang, day_name_in_english(&d.name)) {
                (Lang::En, Some(english)) => format!("{} ({english})", d.name),
                _ => d.name.clone(),
            };
            Line::new(vec![d.date.to_string(), kind.to_string(), name])
        })
        .collect()
}

pub(super) async fn save(state: &AppState, typed: &Typed) -> Result<Saved, AppError> {
    let date = NaiveDate::parse_from_str(typed.get("date").trim(), "%Y-%m-%d")
        .map_err(|_| AppError::invalid("date", "日期格式应为YYYY-MM-DD", "a date YYYY-MM-DD"))?;
    let change = match typed.get("kind").trim() {
        "remove" => DayChange::Remove,
        kind => DayChange::Set {
            kind: DayKind::parse(kind).ok_or_else(|| AppError::invalid("kind", "请选择类型", "choose a kind"))?,
            name: typed.get("name").to_string(),
        },
    };
    reference::set_calendar_day(state, date, change).await?;
    Ok(Saved::Done)
}
