//! Disputes of the region registered in the period (矛盾纠纷): by grade, the high-risk ones
//! still open, and the success rate of mediation.

use grassroots_domain::disputes::{success_rate, RiskGrade};
use grassroots_store::disputes::DisputeTally;
use grassroots_store::PlaceFilter;

use super::Board;
use crate::error::ApiError;
use crate::pages::percent;

pub struct Disputes {
    pub tally: DisputeTally,
    /// (grade's label, its code, how many), the highest first.
    pub by_grade: Vec<(String, &'static str, i64)>,
    pub success: String,
}

pub(super) async fn read(board: &Board<'_>) -> Result<Disputes, ApiError> {
    let (Some(from), Some(to)) = (board.filter.from, board.filter.to) else {
        return Err(ApiError::not_found());
    };
    let places = PlaceFilter::Within(vec![board.region.as_str().to_string()]);
    let tally = board.state.store.dispute_tally(&places, from, to).await?;
    let lang = &board.lang;
    let by_grade = RiskGrade::ALL
        .iter()
        .rev()
        .map(|g| {
            let n = tally.by_kind_and_grade.iter().filter(|c| c.grade == *g).map(|c| c.count).sum();
            (lang.t(g.label_zh(), g.label_en()).to_string(), g.as_str(), n)
        })
        .collect();
    Ok(Disputes { success: percent(success_rate(tally.agreed, tally.referred, tally.failed)), by_grade, tally })
}
