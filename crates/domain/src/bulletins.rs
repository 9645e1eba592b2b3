//! 通报 generated from data, never typed (减负): the weekly and monthly bulletin of a district,
//! street or unit — the three rates against the period before, the ranking of its parts by the
//! composite score, cases overdue by unit, repeated complaints, and the month's theme (每月一题)
//! from the categories that grew most. The numbers are made once into a `Bulletin`; the page,
//! the PDF and the workbook all print that one value.

use chrono::{Datelike, Duration, NaiveDate, Weekday};
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::rates::{RateCounts, Rates};
use crate::FieldError;

/// The weights of the composite score, as Beijing's 接诉即办 assessment weighs the three
/// rates: response 10 %, resolution 45 %, satisfaction 45 %.
pub const WEIGHTS: [f64; 3] = [0.10, 0.45, 0.45];

/// Categories listed as the month's theme: the most grown, at most this many.
pub const THEME_CATEGORIES: usize = 3;

/// A category enters the theme only with at least this many cases in the period: growth from
/// 1 to 3 is noise.
pub const THEME_MIN_CASES: i64 = 5;

coded_enum! {
    /// How long a bulletin's period is.
    BulletinPeriod {
        Week = "week" / "周通报" / "weekly bulletin",
        Month = "month" / "月通报" / "monthly bulletin",
    }
}

coded_enum! {
    /// What a bulletin is of.
    SubjectKind {
        District = "district" / "区" / "district",
        Street = "street" / "街道" / "street",
        Unit = "unit" / "承办单位" / "unit",
    }
}

coded_enum! {
    /// What a bulletin's ranking ranks: a district's streets, a street's communities, or units.
    RankedPart {
        Street = "street" / "街道" / "street",
        Community = "community" / "社区" / "community",
        Unit = "unit" / "承办单位" / "unit",
    }
}

/// A period's first and last days, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Span {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Span {
    pub fn days(&self) -> i64 {
        (self.to - self.from).num_days() + 1
    }
}

impl BulletinPeriod {
    /// The week (Monday to Sunday) or calendar month holding `day`.
    pub fn containing(self, day: NaiveDate) -> Span {
        match self {
            Self::Week => {
                let from = day - Duration::days(i64::from(day.weekday().num_days_from_monday()));
                Span { from, to: from + Duration::days(6) }
            }
            Self::Month => {
                let from = day.with_day(1).unwrap_or(day);
                let next = if from.month() == 12 {
                    NaiveDate::from_ymd_opt(from.year() + 1, 1, 1)
                } else {
                    NaiveDate::from_ymd_opt(from.year(), from.month() + 1, 1)
                };
                Span { from, to: next.map_or(from, |n| n - Duration::days(1)) }
            }
        }
    }

    /// The period before `span`.
    pub fn before(self, span: Span) -> Span {
        self.containing(span.from - Duration::days(1))
    }

    /// The last whole period before `today`'s: what a schedule reports on.
    pub fn last_complete(self, today: NaiveDate) -> Span {
        self.before(self.containing(today))
    }

    /// The period a user names: a month as `YYYY-MM`, a week by any of its days
    /// (`YYYY-MM-DD`); complete, not after `today`'s period's start.
    pub fn parse_span(self, raw: &str, today: NaiveDate) -> Result<Span, FieldError> {
        let raw = raw.trim();
        let day = match self {
            Self::Month => NaiveDate::parse_from_str(&format!("{raw}-01"), "%Y-%m-%d").ok(),
            Self::Week => NaiveDate::parse_from_str(raw, "%Y-%m-%d").ok(),
        };
        let span = day.filter(|d| d.year() >= 2000).map(|d| self.containing(d)).ok_or_else(|| match self {
            Self::Month => FieldError::new("of", "月份格式应为YYYY-MM", "a month YYYY-MM"),
            Self::Week => FieldError::new("of", "请填写该周任一日期YYYY-MM-DD", "any day of the week, YYYY-MM-DD"),
        })?;
        if span.to >= today {
            return Err(FieldError::new("of", "只能通报已结束的周期", "only a period that has ended is reported"));
        }
        Ok(span)
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}至{}", self.from, self.to)
    }
}

/// The three rates of some cases with their composite score.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateLine {
    pub counts: RateCounts,
    pub response: Option<f64>,
    pub resolution: Option<f64>,
    pub satisfaction: Option<f64>,
    /// Weighted by `WEIGHTS` over the rates that have a denominator (their weights scaled up);
    /// none when no rate has one.
    pub score: Option<f64>,
}

impl RateLine {
    pub fn of(counts: RateCounts) -> Self {
        let rates = Rates::from_counts(counts);
        let values = [rates.response.value, rates.resolution.value, rates.satisfaction.value];
        let (sum, weight) = values
            .iter()
            .zip(WEIGHTS)
            .filter_map(|(v, w)| v.map(|v| (v * w, w)))
            .fold((0.0, 0.0), |(s, t), (v, w)| (s + v, t + w));
        Self {
            counts,
            response: values[0],
            resolution: values[1],
            satisfaction: values[2],
            score: (weight > 0.0).then(|| sum / weight),
        }
    }
}

/// A part of the subject in the ranking: a street of a district, a unit, a community by its
/// cases.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RankLine {
    /// From 1; parts without a score share the last place.
    pub rank: usize,
    pub code: String,
    pub name: String,
    pub rates: RateLine,
}

/// Orders parts by their score, the highest first, then by cases dispatched; parts without a
/// score last. Equal scores share a rank.
pub fn rank(mut parts: Vec<(String, String, RateLine)>) -> Vec<RankLine> {
    parts.sort_by(|a, b| {
        let score = |l: &RateLine| l.score.unwrap_or(-1.0);
        score(&b.2).total_cmp(&score(&a.2)).then(b.2.counts.dispatched.cmp(&a.2.counts.dispatched)).then(a.0.cmp(&b.0))
    });
    let mut lines: Vec<RankLine> = Vec::with_capacity(parts.len());
    for (i, (code, name, rates)) in parts.into_iter().enumerate() {
        let shared = lines.last().filter(|l| l.rates.score == rates.score).map(|l| l.rank);
        lines.push(RankLine { rank: shared.unwrap_or(i + 1), code, name, rates });
    }
    lines
}

/// Cases received in the period still open and past their deadline, for a unit.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct OverdueLine {
    pub code: String,
    pub name: String,
    pub pending: i64,
    pub overdue: i64,
}

/// Repeated complaints of the period: callers who called about two cases or more, their cases,
/// and cases reopened after the resident said it was not resolved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Repeats {
    pub callers: i64,
    pub cases: i64,
    pub reopened: i64,
}

/// A category of the month's theme: its cases in the period and the period before.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CategoryGrowth {
    pub code: String,
    pub name: String,
    pub now: i64,
    pub before: i64,
}

impl CategoryGrowth {
    pub fn growth(&self) -> i64 {
        self.now - self.before
    }
}

/// 每月一题: the categories that grew most from the period before (by cases added), each with
/// at least `THEME_MIN_CASES` now; none that shrank or stayed.
pub fn theme(mut categories: Vec<CategoryGrowth>) -> Vec<CategoryGrowth> {
    categories.retain(|c| c.now >= THEME_MIN_CASES && c.growth() > 0);
    categories.sort_by(|a, b| b.growth().cmp(&a.growth()).then(b.now.cmp(&a.now)).then(a.code.cmp(&b.code)));
    categories.truncate(THEME_CATEGORIES);
    categories
}

/// Who a bulletin is of.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct BulletinSubject {
    pub kind: SubjectKind,
    /// A region code, or a unit's id.
    pub code: String,
    pub name: String,
}

/// A bulletin's numbers, made once and printed alike as a page, a PDF and a workbook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Bulletin {
    pub subject: BulletinSubject,
    pub period: BulletinPeriod,
    pub span: Span,
    pub rates: RateLine,
    /// The same over the period before, to compare.
    pub previous: RateLine,
    /// Cases received in the period, those still open and those of them past their deadline.
    pub received: i64,
    pub pending: i64,
    pub overdue: i64,
    /// What the ranking ranks: streets, communities or units.
    pub ranked: RankedPart,
    pub ranking: Vec<RankLine>,
    /// Units with cases overdue, the most first.
    pub overdue_by_unit: Vec<OverdueLine>,
    pub repeats: Repeats,
    pub theme: Vec<CategoryGrowth>,
}

/// A share as a percentage with one decimal, or a dash: how every rendering prints a rate.
pub fn percent(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{:.1}%", v * 100.0))
}

/// A score out of 100 with one decimal, or a dash.
pub fn score(value: Option<f64>) -> String {
    value.map_or_else(|| "—".to_string(), |v| format!("{:.1}", v * 100.0))
}

/// The change from before to now in percentage points, signed, or nothing to compare.
pub fn change(now: Option<f64>, before: Option<f64>) -> String {
    match (now, before) {
        (Some(n), Some(b)) => format!("{:+.1}", (n - b) * 100.0),
        _ => "—".to_string(),
    }
}

/// A cell of a bulletin's table: what it holds decides how each rendering prints it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Count(i64),
    /// A rate, printed as a percentage with one decimal.
    Share(Option<f64>),
    /// A composite score out of 100.
    Score(Option<f64>),
    /// A change in percentage points, signed.
    Points(String),
}

impl Cell {
    /// The cell as every rendering shows it.
    pub fn shown(&self) -> String {
        match self {
            Self::Text(t) | Self::Points(t) => t.clone(),
            Self::Count(n) => n.to_string(),
            Self::Share(v) => percent(*v),
            Self::Score(v) => score(*v),
        }
    }

    /// The number a workbook keeps: as shown (so a rounding never differs), a share as a
    /// fraction; none for text or an empty rate.
    pub fn number(&self) -> Option<f64> {
        let shown = self.shown();
        match self {
            Self::Text(_) => None,
            Self::Count(n) => Some(*n as f64),
            Self::Share(_) => shown.trim_end_matches('%').parse::<f64>().ok().map(|v| v / 100.0),
            Self::Score(_) | Self::Points(_) => shown.parse().ok(),
        }
    }
}

/// One table of a bulletin, as the page, the PDF and the workbook print it.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    pub title: &'static str,
    pub headers: Vec<&'static str>,
    pub rows: Vec<Vec<Cell>>,
}

impl Bulletin {
    /// The bulletin's title: its subject, kind and period.
    pub fn title(&self) -> String {
        format!("{}{}（{}）", self.subject.name, self.period.label_zh(), self.span)
    }

    /// The tables every rendering prints, in order.
    pub fn tables(&self) -> Vec<Table> {
        let rate_row = |name: &str, now: Option<f64>, before: Option<f64>, n: i64, d: i64| {
            vec![
                Cell::Text(name.to_string()),
                Cell::Share(now),
                Cell::Share(before),
                Cell::Points(change(now, before)),
                Cell::Text(format!("{n}/{d}")),
            ]
        };
        let (c, p) = (&self.rates.counts, &self.previous);
        let ranked = self.ranked.label_zh();
        vec![
            Table {
                title: "总体情况",
                headers: vec!["受理", "在办", "超期", "派遣"],
                rows: vec![vec![
                    Cell::Count(self.received),
                    Cell::Count(self.pending),
                    Cell::Count(self.overdue),
                    Cell::Count(c.dispatched),
                ]],
            },
            Table {
                title: "三率",
                headers: vec!["指标", "本期", "上期", "变化（百分点）", "分子/分母"],
                rows: vec![
                    rate_row("响应率", self.rates.response, p.response, c.responded_on_time, c.response_due_or_made),
                    rate_row("解决率", self.rates.resolution, p.resolution, c.resolved, c.evaluated),
                    rate_row("满意率", self.rates.satisfaction, p.satisfaction, c.satisfied, c.evaluated),
                    vec![
                        Cell::Text("综合得分".into()),
                        Cell::Score(self.rates.score),
                        Cell::Score(p.score),
                        Cell::Points(change(self.rates.score, p.score)),
                        Cell::Text("10%·45%·45%".into()),
                    ],
                ],
            },
            Table {
                title: "排名",
                headers: vec!["名次", ranked, "派遣", "响应率", "解决率", "满意率", "综合得分"],
                rows: self
                    .ranking
                    .iter()
                    .map(|l| {
                        vec![
                            Cell::Count(l.rank as i64),
                            Cell::Text(l.name.clone()),
                            Cell::Count(l.rates.counts.dispatched),
                            Cell::Share(l.rates.response),
                            Cell::Share(l.rates.resolution),
                            Cell::Share(l.rates.satisfaction),
                            Cell::Score(l.rates.score),
                        ]
                    })
                    .collect(),
            },
            Table {
                title: "超期未办结",
                headers: vec!["承办单位", "在办", "超期"],
                rows: self
                    .overdue_by_unit
                    .iter()
                    .map(|o| vec![Cell::Text(o.name.clone()), Cell::Count(o.pending), Cell::Count(o.overdue)])
                    .collect(),
            },
            Table {
                title: "重复投诉",
                headers: vec!["重复来电人", "涉及工单", "重办工单"],
                rows: vec![vec![
                    Cell::Count(self.repeats.callers),
                    Cell::Count(self.repeats.cases),
                    Cell::Count(self.repeats.reopened),
                ]],
            },
            Table {
                title: "每月一题（增长最多的类别）",
                headers: vec!["类别", "本期", "上期", "增加"],
                rows: self
                    .theme
                    .iter()
                    .map(|g| {
                        vec![
                            Cell::Text(g.name.clone()),
                            Cell::Count(g.now),
                            Cell::Count(g.before),
                            Cell::Count(g.growth()),
                        ]
                    })
                    .collect(),
            },
        ]
    }
}

/// The day a schedule makes a bulletin: weeks are reported on Mondays, months on the first.
pub fn due_on(period: BulletinPeriod, today: NaiveDate) -> bool {
    match period {
        BulletinPeriod::Week => today.weekday() == Weekday::Mon,
        BulletinPeriod::Month => today.day() == 1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn periods_are_whole_weeks_and_months() {
        let week = BulletinPeriod::Week.containing(day("2026-12-05"));
        assert_eq!((week.from, week.to), (day("2026-11-30"), day("2026-12-06")));
        assert_eq!(BulletinPeriod::Week.last_complete(day("2026-12-05")).from, day("2026-11-23"));
        let month = BulletinPeriod::Month.containing(day("2026-12-31"));
        assert_eq!((month.from, month.to, month.days()), (day("2026-12-01"), day("2026-12-31"), 31));
        assert_eq!(BulletinPeriod::Month.last_complete(day("2027-01-01")), month);
        assert_eq!(
            BulletinPeriod::Month.before(BulletinPeriod::Month.containing(day("2024-03-10"))).to,
            day("2024-02-29")
        );
        assert_eq!(BulletinPeriod::Month.parse_span("2026-11", day("2026-12-05")).unwrap().to, day("2026-11-30"));
        assert_eq!(BulletinPeriod::Month.parse_span("2026-12", day("2026-12-05")).unwrap_err().field, "of");
        assert_eq!(BulletinPeriod::Month.parse_span("11/2026", day("2026-12-05")).unwrap_err().field, "of");
        assert!(due_on(BulletinPeriod::Week, day("2026-11-30")) && !due_on(BulletinPeriod::Week, day("2026-12-01")));
        assert!(due_on(BulletinPeriod::Month, day("2026-12-01")));
    }

    #[test]
    fn the_score_weighs_the_rates_it_has() {
        let full = RateLine::of(RateCounts {
            dispatched: 10,
            response_due_or_made: 10,
            responded_on_time: 10,
            evaluated: 10,
            resolved: 8,
            satisfied: 6,
        });
        let expected = 0.10 * 1.0 + 0.45 * 0.8 + 0.45 * 0.6;
        assert!((full.score.unwrap() - expected).abs() < 1e-9);
        let unevaluated = RateLine::of(RateCounts {
            dispatched: 4,
            response_due_or_made: 4,
            responded_on_time: 3,
            ..RateCounts::default()
        });
        assert!(
            (unevaluated.score.unwrap() - 0.75).abs() < 1e-9,
            "only the response rate counts, its weight scaled up"
        );
        assert_eq!(RateLine::of(RateCounts::default()).score, None);
        assert_eq!(
            (percent(Some(0.8126)), score(Some(0.8126)), change(Some(0.8), Some(0.75))),
            ("81.3%".to_string(), "81.3".to_string(), "+5.0".to_string())
        );
    }

    #[test]
    fn parts_rank_by_score_and_share_a_rank_when_equal() {
        let line = |resolved: i64, dispatched: i64| {
            RateLine::of(RateCounts {
                dispatched,
                evaluated: 10,
                resolved,
                satisfied: resolved,
                ..RateCounts::default()
            })
        };
        let ranked = rank(vec![
            ("a".into(), "甲".into(), line(5, 10)),
            ("b".into(), "乙".into(), line(9, 10)),
            ("c".into(), "丙".into(), RateLine::default()),
            ("d".into(), "丁".into(), line(5, 20)),
        ]);
        let order: Vec<(&str, usize)> = ranked.iter().map(|l| (l.code.as_str(), l.rank)).collect();
        assert_eq!(order, [("b", 1), ("d", 2), ("a", 2), ("c", 4)]);
    }

    #[test]
    fn cells_keep_the_number_they_show() {
        assert_eq!(
            (Cell::Share(Some(0.81256)).shown(), Cell::Share(Some(0.81256)).number()),
            ("81.3%".to_string(), Some(0.813))
        );
        assert_eq!(Cell::Score(Some(0.9)).number(), Some(90.0));
        assert_eq!(Cell::Share(None).number(), None);
        assert_eq!(Cell::Points("+5.0".into()).number(), Some(5.0));
        assert_eq!(Cell::Count(12).number(), Some(12.0));
    }

    #[test]
    fn the_theme_is_what_grew_most() {
        let c =
            |code: &str, now: i64, before: i64| CategoryGrowth { code: code.into(), name: code.into(), now, before };
        let chosen =
            theme(vec![c("a", 40, 30), c("b", 25, 5), c("c", 4, 0), c("d", 10, 12), c("e", 15, 5), c("f", 9, 1)]);
        let codes: Vec<&str> = chosen.iter().map(|g| g.code.as_str()).collect();
        assert_eq!(codes, ["b", "a", "e"], "c is too small, d shrank, f grew less");
    }
}
