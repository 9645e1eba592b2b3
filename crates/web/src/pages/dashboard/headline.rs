//! The three rates of the region and period, with their formulas and counts, and what grid
//! workers found on patrol.

use grassroots_domain::rates::Rates;

use super::Board;
use crate::error::ApiError;
use crate::pages::percent;

pub struct Headline {
    pub name: String,
    pub value: String,
    pub numerator: i64,
    pub denominator: i64,
    pub formula: String,
}

pub struct Headlines {
    pub rates: Vec<Headline>,
    /// The three rates' names, for the tables' columns.
    pub rate_names: Vec<String>,
    pub dispatched: i64,
    pub patrol_reports: i64,
    pub patrol_on_spot: i64,
}

pub(super) async fn read(board: &Board<'_>) -> Result<Headlines, ApiError> {
    let (store, scope, lang) = (&board.state.store, board.scope, board.lang);
    let (counts, patrol) =
        tokio::try_join!(store.rate_counts(scope, &board.filter), store.patrol_counts(scope, &board.filter))?;
    let rates = Rates::from_counts(counts);
    let three = [&rates.response, &rates.resolution, &rates.satisfaction];
    Ok(Headlines {
        rate_names: three.iter().map(|r| lang.t(r.name_zh, r.name_en).to_string()).collect(),
        rates: three
            .into_iter()
            .map(|r| Headline {
                name: lang.t(r.name_zh, r.name_en).to_string(),
                value: percent(r.value),
                numerator: r.numerator,
                denominator: r.denominator,
                formula: lang.t(r.formula_zh, r.formula_en).to_string(),
            })
            .collect(),
        dispatched: counts.dispatched,
        patrol_reports: patrol.reports,
        patrol_on_spot: patrol.resolved_on_spot,
    })
}
