//! The three rates week by week from the first day of the period.

use chrono::Duration;
use grassroots_domain::rates::{Rate, RateCounts, Rates};
use grassroots_store::Grouping;

use super::Board;
use crate::error::ApiError;
use crate::svg::{line_chart, Share};

pub(super) async fn read(board: &Board<'_>) -> Result<String, ApiError> {
    let lang = board.lang;
    let weeks = ((board.to_day - board.from_day).num_days() / 7 + 1) as usize;
    let by_week = board.state.store.rate_counts_by(board.scope, &board.filter, Grouping::Week).await?;
    let mut per_week = vec![RateCounts::default(); weeks];
    for (key, c) in by_week {
        if let Some(slot) = key.parse::<usize>().ok().and_then(|i| per_week.get_mut(i)) {
            *slot = c;
        }
    }
    let labels: Vec<String> =
        (0..weeks).map(|i| (board.from_day + Duration::days(7 * i as i64)).format("%m-%d").to_string()).collect();
    let series = |pick: fn(&Rates) -> &Rate| {
        per_week
            .iter()
            .map(|c| {
                let rates = Rates::from_counts(*c);
                let rate = pick(&rates);
                rate.value.map(|value| Share { value, of: rate.denominator })
            })
            .collect()
    };
    let names = Rates::from_counts(RateCounts::default());
    let name = |r: &Rate| lang.t(r.name_zh, r.name_en).to_string();
    Ok(line_chart(
        lang.t("三率周趋势", "The three rates by week"),
        &labels,
        &[
            (name(&names.response), "#08519c", series(|r| &r.response)),
            (name(&names.resolution), "#31a354", series(|r| &r.resolution)),
            (name(&names.satisfaction), "#de7b00", series(|r| &r.satisfaction)),
        ],
    ))
}
