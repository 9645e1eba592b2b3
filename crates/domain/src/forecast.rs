//! 预见性: the coming weeks' cases, forecast from the weeks before — their level and trend by
//! Holt's linear exponential smoothing, and, where more than a year is known, the season: how
//! far the same weeks a year before stood above or below their own neighbourhood — with the
//! error such forecasts made on the past weeks, beside that of repeating last week's count.

/// How fast the level follows the latest weeks.
const ALPHA: f64 = 0.4;
/// How fast the trend follows the level's changes.
const BETA: f64 = 0.1;
/// Weeks in a year, for the season.
const YEAR: usize = 52;
/// Weeks on each side of a week a year before that make its neighbourhood.
const NEIGHBOURS: usize = 4;

/// The next `horizon` weeks' counts after `history` (weekly counts, oldest first), never below
/// nought.
pub fn forecast(history: &[f64], horizon: usize) -> Vec<f64> {
    let Some((&first, rest)) = history.split_first() else {
        return vec![0.0; horizon];
    };
    let (mut level, mut trend) = (first, 0.0);
    for &y in rest {
        let previous = level;
        level = ALPHA * y + (1.0 - ALPHA) * (level + trend);
        trend = BETA * (level - previous) + (1.0 - BETA) * trend;
    }
    let n = history.len();
    (1..=horizon)
        .map(|h| {
            let season = season(history, n + h - 1);
            (level + h as f64 * trend + season).max(0.0)
        })
        .collect()
}

/// How far week `at` (counted from the first of `history`) stood a year before above the mean
/// of its neighbours then (itself left out); nought without the whole neighbourhood.
fn season(history: &[f64], at: usize) -> f64 {
    let Some(then) = at.checked_sub(YEAR) else { return 0.0 };
    let (Some(from), to) = (then.checked_sub(NEIGHBOURS), then + NEIGHBOURS) else { return 0.0 };
    if to >= history.len() {
        return 0.0;
    }
    let neighbours: f64 = history[from..=to].iter().sum::<f64>() - history[then];
    history[then] - neighbours / (2 * NEIGHBOURS) as f64
}

/// The errors forecasts one week ahead made on the last weeks of a history.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Backtest {
    /// Weeks forecast.
    pub weeks: usize,
    /// Mean absolute error of the forecasts.
    pub mae: f64,
    /// Mean absolute error of repeating the week before's count.
    pub naive_mae: f64,
}

/// Each of the last `weeks` weeks of `history` forecast from the weeks before it; none if the
/// history is too short to leave at least 4 weeks before the first one.
pub fn backtest(history: &[f64], weeks: usize) -> Option<Backtest> {
    let start = history.len().checked_sub(weeks).filter(|s| *s >= 4 && weeks > 0)?;
    let (mut error, mut naive) = (0.0, 0.0);
    for t in start..history.len() {
        let predicted = forecast(&history[..t], 1)[0];
        error += (predicted - history[t]).abs();
        naive += (history[t - 1] - history[t]).abs();
    }
    Some(Backtest { weeks, mae: error / weeks as f64, naive_mae: naive / weeks as f64 })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_steady_count_is_forecast_steady() {
        let history = vec![40.0; 20];
        for f in forecast(&history, 4) {
            assert!((f - 40.0).abs() < 1e-9, "{f}");
        }
        assert_eq!(forecast(&[], 2), [0.0, 0.0]);
    }

    #[test]
    fn a_trend_is_carried_on() {
        let history: Vec<f64> = (0..30).map(|w| 10.0 + 2.0 * w as f64).collect();
        let next = forecast(&history, 3);
        assert!(next[0] > history[29] && next[1] > next[0] && next[2] > next[1], "{next:?}");
        assert!((next[0] - 70.0).abs() < 3.0, "{next:?}");
    }

    #[test]
    fn the_season_of_a_year_before_comes_back() {
        // Heating complaints: a bump in the same weeks each year on a steady level.
        let bump = |w: usize| if (44..48).contains(&(w % YEAR)) { 30.0 } else { 0.0 };
        let history: Vec<f64> = (0..YEAR + 44).map(|w| 20.0 + bump(w)).collect();
        let next = forecast(&history, 2);
        assert!(next[0] > 33.0, "the bump is foreseen: {next:?}");
        let without_a_year = forecast(&history[YEAR..], 2);
        assert!(without_a_year[0] < 25.0, "not without a year before: {without_a_year:?}");
    }

    #[test]
    fn the_backtest_compares_with_repeating_last_week() {
        let trend: Vec<f64> = (0..30).map(|w| 10.0 + 3.0 * w as f64).collect();
        let test = backtest(&trend, 8).unwrap();
        assert_eq!(test.weeks, 8);
        assert!(test.mae < test.naive_mae, "{test:?}");
        assert!(backtest(&trend[..6], 8).is_none(), "too short");
    }

    #[test]
    fn forecasts_are_never_below_nought() {
        let falling: Vec<f64> = (0..20).map(|w| (40.0 - 3.0 * w as f64).max(0.0)).collect();
        assert!(forecast(&falling, 6).iter().all(|f| *f >= 0.0));
    }
}
