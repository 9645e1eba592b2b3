//! Party organisation in the region (党建引领): grids with a branch or group, members in the
//! grids, households linked to a member and reached in the last 30 days, activities held in the
//! period and their attendance.

use grassroots_app::party::{figures_in_scope, PartyFigures};
use grassroots_domain::party::attendance_rate;

use super::Board;
use crate::error::ApiError;
use crate::pages::percent;

pub struct Party {
    pub figures: PartyFigures,
    pub linked: String,
    pub reached: String,
    pub attendance: String,
    pub href: String,
}

pub(super) async fn read(board: &Board<'_>) -> Result<Party, ApiError> {
    let figures = figures_in_scope(board.state, board.scope, &board.region, board.from_day, board.to_day).await?;
    Ok(Party {
        linked: percent(figures.coverage.linked_share()),
        reached: percent(figures.coverage.reached_share()),
        attendance: percent(attendance_rate(figures.tally.present, figures.tally.expected)),
        href: format!("/party/figures?region={}", board.region.as_str()),
        figures,
    })
}
