//! The three rates per street (in a district's dashboard) and per unit.

use grassroots_domain::RegionLevel;
use grassroots_store::Grouping;

use super::{cells, Board, RateRow};
use crate::error::ApiError;
use crate::pages::unit_name;

pub struct Tables {
    pub streets: Vec<RateRow>,
    pub units: Vec<RateRow>,
}

pub(super) async fn read(board: &Board<'_>) -> Result<Tables, ApiError> {
    let (store, scope, filter) = (&board.state.store, board.scope, &board.filter);
    let per_street = async {
        match board.region.level() {
            RegionLevel::County => store.rate_counts_by(scope, filter, Grouping::Street).await,
            _ => Ok(Vec::new()),
        }
    };
    let (per_street, per_unit) = tokio::try_join!(per_street, store.rate_counts_by(scope, filter, Grouping::Unit))?;
    let streets = per_street
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
    Ok(Tables { streets, units })
}
