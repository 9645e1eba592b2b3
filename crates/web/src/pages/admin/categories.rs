//! The deadlines of each category (hours to respond, working days to resolve), whether its
//! cases are sensitive (never published), how long their personal data is kept, and whether a
//! unit must show the result in a photo, and how sure the classifier must be to sort a report
//! into it without a person.

use grassroots_app::{reference, AppError};
use grassroots_store::Reference;

use super::{choice, input, Layout, Line, Saved};
use crate::pages::{Lang, Typed};
use crate::AppState;

pub(super) fn layout(reference: &Reference, lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let categories = reference
        .taxonomy
        .iter()
        .map(|c| (c.code.as_str().to_string(), format!("{} {}", c.code.as_str(), lang.t(&c.name_zh, &c.name_en))));
    Layout {
        heading: t("类别与时限", "Categories and their deadlines"),
        columns: vec![
            t("代码", "Code"),
            t("名称", "Name"),
            t("响应时限（小时）", "Respond within (hours)"),
            t("办结时限（工作日）", "Resolve within (working days)"),
            t("默认承办", "Default unit"),
            t("敏感（不公开）", "Sensitive (never published)"),
            t("个人信息保存期限（天）", "Personal data kept (days)"),
            t("办结须附照片", "Photo of the result required"),
            t("自动分类阈值", "Sorted automatically from"),
        ],
        form: vec![
            choice("code", t("类别", "Category"), categories.collect()),
            input("response_hours", t("响应时限（小时，1–720）", "Respond within (hours, 1–720)")),
            input("resolve_days", t("办结时限（工作日，1–365）", "Resolve within (working days, 1–365)")),
            choice(
                "sensitive",
                t(
                    "敏感类别（不在公开页面和开放接口中发布）",
                    "Sensitive (not on the public pages or the open interface)",
                ),
                vec![("no".into(), t("否", "No")), ("yes".into(), t("是", "Yes"))],
            ),
            input(
                "retention_days",
                t(
                    "办结后个人信息保存期限（天，30–3650，默认1095）",
                    "Personal data kept after a case is finished (days, 30–3650; 1095 by default)",
                ),
            ),
            choice(
                "photo_on_handling",
                t("办结时须上传处置后照片", "A photo of the result is required to report a case handled"),
                vec![("no".into(), t("否", "No")), ("yes".into(), t("是", "Yes"))],
            ),
            input(
                "auto_percent",
                t(
                    "智能分类自动采用的可信度（%，50–99；0为始终由人分类；留空不变）",
                    "Confidence at which the platform's category is used without a person (%, 50–99; 0: a person always sorts; blank: unchanged)",
                ),
            ),
        ],
    }
}

pub(super) fn lines(reference: &Reference, lang: Lang) -> Vec<Line> {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    reference
        .taxonomy
        .iter()
        .map(|c| {
            Line::new(vec![
                c.code.as_str().to_string(),
                lang.t(&c.name_zh, &c.name_en).to_string(),
                c.response_hours.to_string(),
                c.resolve_days.to_string(),
                default_unit_name(&c.default_unit, lang),
                if c.sensitive { t("是", "yes") } else { t("否", "no") },
                c.retention_days.to_string(),
                if c.photo_on_handling { t("是", "yes") } else { t("否", "no") },
                c.auto_percent.map_or_else(|| t("由人分类", "a person sorts"), |p| format!("{p}%")),
            ])
        })
        .collect()
}

pub(super) async fn save(state: &AppState, typed: &Typed) -> Result<Saved, AppError> {
    let number = |field: &'static str| {
        typed.get(field).trim().parse::<u32>().map_err(|_| AppError::invalid(field, "应为整数", "a whole number"))
    };
    let yes_or_no = |field: &'static str| match typed.get(field) {
        "yes" => Ok(true),
        "no" | "" => Ok(false),
        _ => Err(AppError::invalid(field, "应为“是”或“否”", "yes or no")),
    };
    let (response_hours, resolve_days) = (number("response_hours")?, number("resolve_days")?);
    // Left blank, the period stays as it is.
    let optional = |field: &'static str| match typed.get(field).trim() {
        "" => Ok(None),
        _ => number(field).map(Some),
    };
    let retention_days = optional("retention_days")?;
    let settings = reference::CategorySettings {
        response_hours,
        resolve_days,
        sensitive: yes_or_no("sensitive")?,
        retention_days,
        photo_on_handling: yes_or_no("photo_on_handling")?,
        auto_percent: optional("auto_percent")?,
    };
    reference::save_category(state, typed.get("code"), settings).await?;
    Ok(Saved::Done)
}

/// A category's default unit, named as the taxonomy names it (城市管理委员会, 街道办事处), in the
/// page's language.
fn default_unit_name(name: &str, lang: Lang) -> String {
    match (lang, grassroots_domain::reference::default_unit_in_english(name)) {
        (Lang::En, Some(english)) => english.to_string(),
        _ => name.to_string(),
    }
}
