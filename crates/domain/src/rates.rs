//! The three rates (DESIGN §4), always shown with their formula and the counts behind them.

use serde::{Deserialize, Serialize};

/// Counts over cases dispatched in a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateCounts {
    pub dispatched: i64,
    /// Dispatched cases whose response is settled: contact made, or the deadline passed.
    /// A case still inside its response window has not failed yet and does not count.
    pub response_due_or_made: i64,
    pub responded_on_time: i64,
    pub evaluated: i64,
    pub resolved: i64,
    pub satisfied: i64,
}

impl std::ops::AddAssign for RateCounts {
    fn add_assign(&mut self, o: Self) {
        self.dispatched += o.dispatched;
        self.response_due_or_made += o.response_due_or_made;
        self.responded_on_time += o.responded_on_time;
        self.evaluated += o.evaluated;
        self.resolved += o.resolved;
        self.satisfied += o.satisfied;
    }
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rate {
    pub name_zh: &'static str,
    pub name_en: &'static str,
    pub numerator: i64,
    pub denominator: i64,
    /// numerator / denominator, or None when nothing is in the denominator.
    pub value: Option<f64>,
    pub formula_zh: &'static str,
    pub formula_en: &'static str,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Rates {
    pub response: Rate,
    pub resolution: Rate,
    pub satisfaction: Rate,
}

fn ratio(n: i64, d: i64) -> Option<f64> {
    (d > 0).then(|| n as f64 / d as f64)
}

impl Rates {
    pub fn from_counts(c: RateCounts) -> Self {
        Self {
            response: Rate {
                name_zh: "响应率",
                name_en: "response rate",
                numerator: c.responded_on_time,
                denominator: c.response_due_or_made,
                value: ratio(c.responded_on_time, c.response_due_or_made),
                formula_zh: "在响应时限内首次联系群众的案件数 / 已联系或已到响应时限的派遣案件数",
                formula_en: "cases whose first contact with the resident was before the response deadline / cases dispatched whose contact was made or due",
            },
            resolution: Rate {
                name_zh: "解决率",
                name_en: "resolution rate",
                numerator: c.resolved,
                denominator: c.evaluated,
                value: ratio(c.resolved, c.evaluated),
                formula_zh: "群众评价为已解决的案件数 / 已评价案件数",
                formula_en: "cases the resident evaluated as resolved / cases evaluated",
            },
            satisfaction: Rate {
                name_zh: "满意率",
                name_en: "satisfaction rate",
                numerator: c.satisfied,
                denominator: c.evaluated,
                value: ratio(c.satisfied, c.evaluated),
                formula_zh: "评价为满意或基本满意的案件数 / 已评价案件数",
                formula_en: "cases rated satisfied or basically satisfied / cases evaluated",
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_divide_and_handle_empty_periods() {
        let r = Rates::from_counts(RateCounts {
            dispatched: 12,
            response_due_or_made: 10,
            responded_on_time: 9,
            evaluated: 4,
            resolved: 3,
            satisfied: 2,
        });
        assert_eq!(r.response.value, Some(0.9));
        assert_eq!(r.resolution.value, Some(0.75));
        assert_eq!(r.satisfaction.value, Some(0.5));
        assert_eq!(Rates::from_counts(RateCounts::default()).response.value, None);
    }
}
