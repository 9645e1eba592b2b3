//! The responsibility matrix (派单目录): which unit takes a category where, and whether the
//! platform dispatches such cases at once.

use grassroots_app::{reference, AppError};
use grassroots_store::{Reference, Responsibility};

use super::{choice, input, Layout, Line, Saved};
use crate::pages::{case_unit_options, category_name, unit_name, Lang, Typed};
use crate::AppState;
use grassroots_geo::atlas::Atlas;

pub(super) fn layout(reference: &Reference, lang: Lang) -> Layout {
    let t = |zh: &str, en: &str| lang.t(zh, en).to_string();
    let units = case_unit_options(reference, &lang);
    let auto = vec![("no".into(), t("否", "no")), ("yes".into(), t("是：到达即派遣", "yes: dispatch on arrival"))];
    Layout {
        heading: t("派单目录", "Responsibility matrix"),
        columns: vec![
            t("类别", "Category"),
            t("区划/网格", "Region or grid"),
            t("承办单位", "Unit"),
            t("自动派遣", "Auto-dispatch"),
        ],
        form: vec![
            input("category_code", t("类别代码", "Category code")),
            input("region_code", t("区划或网格代码（越具体越优先）", "Region or grid code (the most specific wins)")),
            choice("unit_id", t("承办单位", "Unit"), units),
            choice("auto_dispatch", t("自动派遣", "Auto-dispatch"), auto),
        ],
    }
}

/// The lines in words (the codes beside the names), each with a button that removes it.
pub(super) fn lines(reference: &Reference, atlas: &Atlas, lang: Lang) -> Vec<Line> {
    reference
        .responsibilities
        .iter()
        .map(|r| {
            let region = atlas.outline(&r.region_code).map_or(r.region_code.clone(), |o| o.name.clone());
            Line::new(vec![
                format!("{} {}", category_name(reference, &r.category_code, &lang), r.category_code),
                format!("{region} {}", r.region_code),
                unit_name(reference, &r.unit_id, &lang),
                if r.auto_dispatch { lang.t("是", "yes").to_string() } else { String::new() },
            ])
            .with_action(
                lang.t("删除", "Remove").to_string(),
                vec![
                    ("do", "remove".to_string()),
                    ("category_code", r.category_code.clone()),
                    ("region_code", r.region_code.clone()),
                ],
            )
        })
        .collect()
}

/// Adds or replaces a line; with `do=remove`, removes the line of the category and region.
pub(super) async fn save(state: &AppState, typed: &Typed) -> Result<Saved, AppError> {
    let (category_code, region_code) = (typed.get("category_code"), typed.get("region_code"));
    if typed.is("do", "remove") {
        reference::remove_matrix_line(state, category_code, region_code).await?;
        return Ok(Saved::Done);
    }
    let line = Responsibility {
        category_code: category_code.to_string(),
        region_code: region_code.to_string(),
        unit_id: typed.get("unit_id").to_string(),
        auto_dispatch: typed.is("auto_dispatch", "yes"),
    };
    reference::save_matrix_lines(state, vec![line]).await?;
    Ok(Saved::Done)
}
