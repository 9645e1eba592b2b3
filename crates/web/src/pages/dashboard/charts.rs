//! Cases by category (the largest twelve) and overdue cases by unit.

use grassroots_store::Grouping;

use super::Board;
use crate::error::ApiError;
use crate::pages::{category_name, unit_name};
use crate::svg::bar_chart;

pub struct Charts {
    pub categories: String,
    pub overdue: String,
}

pub(super) async fn read(board: &Board<'_>) -> Result<Charts, ApiError> {
    let (store, scope, filter, lang) = (&board.state.store, board.scope, &board.filter, board.lang);
    let (mut by_category, mut by_unit) = tokio::try_join!(
        store.case_counts_by(scope, filter, Grouping::TopCategory),
        store.case_counts_by(scope, filter, Grouping::Unit),
    )?;
    by_category.sort_by_key(|c| std::cmp::Reverse(c.total));
    let category_rows: Vec<(String, f64, String)> = by_category
        .iter()
        .take(12)
        .map(|c| (category_name(&board.reference, &c.code, &lang), c.total as f64, c.total.to_string()))
        .collect();
    by_unit.retain(|u| u.overdue > 0);
    by_unit.sort_by_key(|u| std::cmp::Reverse(u.overdue));
    let overdue_rows: Vec<(String, f64, String)> = by_unit
        .iter()
        .take(12)
        .map(|u| (unit_name(&board.reference, &u.code, &lang), u.overdue as f64, u.overdue.to_string()))
        .collect();
    let chart = |title: &str, rows: &[(String, f64, String)], colour: &str| {
        if rows.is_empty() {
            String::new()
        } else {
            bar_chart(title, rows, colour)
        }
    };
    Ok(Charts {
        categories: chart(lang.t("类别案件量", "Cases by category"), &category_rows, "#6baed6"),
        overdue: chart(lang.t("各单位超期案件", "Overdue cases by unit"), &overdue_rows, "#de2d26"),
    })
}
