//! The warnings waiting in the region (风险预警), counted by kind: leaders see how many, and
//! those who work on cases follow the link to the queue.

use grassroots_domain::warnings::{WarningKind, WarningState};
use grassroots_domain::RegionCode;

use super::Board;
use crate::error::ApiError;

/// Open warnings of one kind in the region.
pub struct WarningCount {
    pub kind: String,
    pub count: usize,
}

/// How many open warnings the store reads at most for the count.
const READ_AT_MOST: i64 = 1000;

pub(super) async fn read(board: &Board<'_>) -> Result<Vec<WarningCount>, ApiError> {
    let warnings = board.state.store.warnings(board.scope, &WarningState::OPEN, READ_AT_MOST).await?;
    let in_region = |codes: [&Option<String>; 4]| {
        codes
            .into_iter()
            .flatten()
            .next()
            .and_then(|c| RegionCode::parse(c).ok())
            .is_some_and(|c| board.region.contains(&c))
    };
    Ok(WarningKind::ALL
        .iter()
        .map(|kind| WarningCount {
            kind: board.lang.t(kind.label_zh(), kind.label_en()).to_string(),
            count: warnings
                .iter()
                .filter(|w| w.kind == *kind)
                .filter(|w| in_region([&w.grid_code, &w.community_code, &w.street_code, &w.district_code]))
                .count(),
        })
        .collect())
}
