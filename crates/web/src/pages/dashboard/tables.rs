//! The three rates per part of the region (a district's streets, a street's communities) and
//! per unit.

use grassroots_domain::RegionLevel;
use grassroots_store::Grouping;

use super::{cells, Board, RateRow};
use crate::error::ApiError;
use crate::pages::unit_name;

pub struct Tables {
    /// The region's parts one level down, each linking to its own dashboard.
    pub parts: Vec<RateRow>,
    /// The parts' table: its heading and its first column's.
    pub parts_heading: String,
    pub parts_column: String,
    pub units: Vec<RateRow>,
}

pub(super) async fn read(board: &Board<'_>) -> Result<Tables, ApiError> {
    let (store, scope, filter) = (&board.state.store, board.scope, &board.filter);
    let (parts_heading, parts_column, grouping) = match board.region.level() {
        RegionLevel::County => {
            (board.lang.t("各街道", "By street"), board.lang.t("街道", "Street"), Some(Grouping::Street))
        }
        RegionLevel::Township => {
            (board.lang.t("各社区", "By community"), board.lang.t("社区", "Community"), Some(Grouping::Community))
        }
        _ => ("", "", None),
    };
    let per_part = async {
        match grouping {
            Some(grouping) => store.rate_counts_by(scope, filter, grouping).await,
            None => Ok(Vec::new()),
        }
    };
    let (per_part, per_unit) = tokio::try_join!(per_part, store.rate_counts_by(scope, filter, Grouping::Unit))?;
    let parts = per_part
        .into_iter()
        .map(|(code, c)| RateRow {
            name: board.atlas.outline(&code).map_or(code.clone(), |o| o.name.clone()),
            href: Some(board.link(&code, None)),
            dispatched: c.dispatched,
            cells: cells(c),
        })
        .collect();
    let mut units: Vec<RateRow> = per_unit
        .into_iter()
        .map(|(id, c)| RateRow {
            name: unit_name(&board.reference, &id, &board.lang),
            href: None,
            dispatched: c.dispatched,
            cells: cells(c),
        })
        .collect();
    units.sort_by_key(|u| std::cmp::Reverse(u.dispatched));
    Ok(Tables { parts, parts_heading: parts_heading.to_string(), parts_column: parts_column.to_string(), units })
}
