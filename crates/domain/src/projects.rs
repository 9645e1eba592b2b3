//! 政府购买服务: a service project a street office or a district department buys from a social
//! organisation — its budget and contract period, the indicators it must deliver (how many
//! served, visits, events) written one a line, its milestones with the payment each releases
//! and the indicator it needs reached, the plan against what was delivered by a day, and the
//! third party's evaluation at its end.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::charity::parse_yuan;
use crate::text::trimmed;
use crate::FieldError;

/// What a project must deliver: "服务人次|人次|1200".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Indicator {
    pub name: String,
    pub unit: String,
    pub target: i64,
}

/// A milestone: "首期款|2026-03-31|30000|服务人次>=300" — its name, the day it is due, the
/// payment (yuan) it releases, and the indicator it needs reached, if any.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Milestone {
    pub name: String,
    pub due_on: NaiveDate,
    pub payment_fen: i64,
    /// (the indicator's position, the least delivered).
    pub requires: Option<(usize, i64)>,
}

/// A project's plan, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    pub budget_fen: i64,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
    pub indicators: Vec<Indicator>,
    pub milestones: Vec<Milestone>,
}

coded_enum! {
    /// Where a project stands on a day.
    ProjectPhase {
        NotStarted = "not_started" / "未开始" / "not started",
        Running = "running" / "执行中" / "running",
        AwaitingEvaluation = "awaiting_evaluation" / "已到期，待评估" / "ended, awaiting evaluation",
        Evaluated = "evaluated" / "已评估" / "evaluated",
    }
}

coded_enum! {
    /// A third party's grade, from its score.
    Grade {
        Excellent = "excellent" / "优秀" / "excellent",
        Good = "good" / "良好" / "good",
        Pass = "pass" / "合格" / "pass",
        Fail = "fail" / "不合格" / "fail",
    }
}

impl Grade {
    /// 90 and above excellent, 80 good, 60 pass, below 60 fail.
    pub fn of(score: u8) -> Self {
        match score {
            90.. => Self::Excellent,
            80..=89 => Self::Good,
            60..=79 => Self::Pass,
            _ => Self::Fail,
        }
    }
}

/// The phase of a project on `today`.
pub fn phase(starts_on: NaiveDate, ends_on: NaiveDate, evaluated: bool, today: NaiveDate) -> ProjectPhase {
    match (evaluated, today) {
        (true, _) => ProjectPhase::Evaluated,
        (false, t) if t < starts_on => ProjectPhase::NotStarted,
        (false, t) if t <= ends_on => ProjectPhase::Running,
        (false, _) => ProjectPhase::AwaitingEvaluation,
    }
}

/// How much of an indicator the plan expects delivered by `today`: its target pro rata of the
/// contract's days gone, whole.
pub fn expected_by(target: i64, starts_on: NaiveDate, ends_on: NaiveDate, today: NaiveDate) -> i64 {
    let total = (ends_on - starts_on).num_days().max(1);
    let gone = (today - starts_on).num_days().clamp(0, total);
    target * gone / total
}

fn bad(field: &'static str, zh: String, en: String) -> FieldError {
    FieldError::new(field, zh, en)
}

fn date(field: &'static str, raw: &str) -> Result<NaiveDate, FieldError> {
    NaiveDate::parse_from_str(trimmed(raw), "%Y-%m-%d")
        .map_err(|_| bad(field, "日期格式应为YYYY-MM-DD".into(), "expected a date YYYY-MM-DD".into()))
}

/// Reads the indicators, one a line: `name|unit|target`.
pub fn parse_indicators(text: &str) -> Result<Vec<Indicator>, FieldError> {
    let mut indicators = Vec::new();
    for (n, line) in text.lines().map(trimmed).filter(|l| !l.is_empty()).enumerate() {
        let parts: Vec<&str> = line.split('|').map(trimmed).collect();
        let target = parts.get(2).and_then(|t| t.parse::<i64>().ok()).filter(|t| *t > 0);
        match (parts.as_slice(), target) {
            ([name, unit, _], Some(target)) if !name.is_empty() && !unit.is_empty() && name.chars().count() <= 30 => {
                indicators.push(Indicator { name: name.to_string(), unit: unit.to_string(), target })
            }
            _ => {
                return Err(bad(
                    "indicators",
                    format!("第{}行应为“指标|单位|目标数”，如“服务人次|人次|1200”", n + 1),
                    format!("line {} should be name|unit|target, as 服务人次|人次|1200", n + 1),
                ))
            }
        }
    }
    if indicators.is_empty() {
        return Err(bad("indicators", "请至少写一项指标".into(), "give at least one indicator".into()));
    }
    Ok(indicators)
}

/// Reads the milestones, one a line: `name|YYYY-MM-DD|yuan` and optionally `|indicator>=N`
/// naming one of the indicators.
pub fn parse_milestones(text: &str, indicators: &[Indicator]) -> Result<Vec<Milestone>, FieldError> {
    let mut milestones = Vec::new();
    for (n, line) in text.lines().map(trimmed).filter(|l| !l.is_empty()).enumerate() {
        let wrong = || {
            bad(
                "milestones",
                format!("第{}行应为“名称|日期|金额（元）|指标>=数量（可选）”", n + 1),
                format!("line {} should be name|YYYY-MM-DD|yuan|indicator>=N (the last optional)", n + 1),
            )
        };
        let parts: Vec<&str> = line.split('|').map(trimmed).collect();
        let (name, due, amount, condition) = match parts.as_slice() {
            [name, due, amount] => (*name, *due, *amount, None),
            [name, due, amount, condition] => (*name, *due, *amount, Some(*condition)),
            _ => return Err(wrong()),
        };
        let due_on = NaiveDate::parse_from_str(due, "%Y-%m-%d").map_err(|_| wrong())?;
        let payment_fen = parse_yuan("milestones", amount).map_err(|_| wrong())?;
        let requires = match condition {
            None => None,
            Some(c) => {
                let (indicator, least) = c.split_once(">=").ok_or_else(wrong)?;
                let at = indicators.iter().position(|i| i.name == trimmed(indicator)).ok_or_else(|| {
                    bad(
                        "milestones",
                        format!("第{}行的指标“{}”不在指标中", n + 1, trimmed(indicator)),
                        format!("line {}: '{}' is none of the indicators", n + 1, trimmed(indicator)),
                    )
                })?;
                Some((at, trimmed(least).parse::<i64>().ok().filter(|l| *l > 0).ok_or_else(wrong)?))
            }
        };
        if name.is_empty() {
            return Err(wrong());
        }
        milestones.push(Milestone { name: name.to_string(), due_on, payment_fen, requires });
    }
    Ok(milestones)
}

impl Plan {
    /// Checks a plan: a name; a budget; a period that ends after it starts and lasts at most
    /// three years; milestones due within it whose payments together stay within the budget.
    pub fn check(
        name: &str,
        budget: &str,
        starts_on: &str,
        ends_on: &str,
        indicators: &str,
        milestones: &str,
    ) -> Result<Self, FieldError> {
        let name = trimmed(name);
        if name.chars().count() < 4 || name.chars().count() > 80 {
            return Err(bad("name", "项目名称应为4到80个字符".into(), "the name has 4 to 80 characters".into()));
        }
        let budget_fen = parse_yuan("budget", budget)?;
        if budget_fen <= 0 {
            return Err(bad("budget", "预算应大于0".into(), "the budget is above nothing".into()));
        }
        let (starts_on, ends_on) = (date("starts_on", starts_on)?, date("ends_on", ends_on)?);
        if ends_on <= starts_on || (ends_on - starts_on).num_days() > 3 * 366 {
            return Err(bad(
                "ends_on",
                "合同期应在开始之后结束，最长三年".into(),
                "the contract ends after it starts, within three years".into(),
            ));
        }
        let indicators = parse_indicators(indicators)?;
        let milestones = parse_milestones(milestones, &indicators)?;
        if let Some(m) = milestones.iter().find(|m| m.due_on < starts_on || m.due_on > ends_on) {
            return Err(bad(
                "milestones",
                format!("节点“{}”应在合同期内", m.name),
                format!("milestone '{}' falls outside the contract", m.name),
            ));
        }
        let paid: i64 = milestones.iter().map(|m| m.payment_fen).sum();
        if paid > budget_fen {
            return Err(bad(
                "milestones",
                format!(
                    "各节点付款合计{}元，超过预算{}元",
                    crate::charity::yuan(paid),
                    crate::charity::yuan(budget_fen)
                ),
                format!(
                    "the milestones pay {} yuan in all, beyond the budget of {}",
                    crate::charity::yuan(paid),
                    crate::charity::yuan(budget_fen)
                ),
            ));
        }
        Ok(Self { name: name.to_string(), budget_fen, starts_on, ends_on, indicators, milestones })
    }
}

/// Whether a milestone may be marked reached with what has been delivered (`actuals`, by
/// indicator).
pub fn may_reach(milestone: &Milestone, indicators: &[Indicator], actuals: &[i64]) -> Result<(), FieldError> {
    match milestone.requires {
        None => Ok(()),
        Some((at, least)) => {
            let done = actuals.get(at).copied().unwrap_or(0);
            let name = indicators.get(at).map_or("", |i| i.name.as_str());
            match done >= least {
                true => Ok(()),
                false => Err(bad(
                    "milestone",
                    format!("“{name}”已完成{done}，节点要求至少{least}"),
                    format!("'{name}' stands at {done}; the milestone needs {least}"),
                )),
            }
        }
    }
}

/// An evaluation, checked: by a named third party, a score from 0 to 100, a summary; only once
/// the contract has ended.
pub fn check_evaluation(
    evaluator: &str,
    score: &str,
    summary: &str,
    ends_on: NaiveDate,
    today: NaiveDate,
) -> Result<(String, u8, String), FieldError> {
    if today <= ends_on {
        return Err(bad(
            "evaluation",
            "合同期满后才能进行末期评估".into(),
            "the final evaluation comes after the contract ends".into(),
        ));
    }
    let evaluator = trimmed(evaluator);
    if evaluator.chars().count() < 2 || evaluator.chars().count() > 60 {
        return Err(bad("evaluator", "请填写第三方评估机构".into(), "name the third party that evaluated".into()));
    }
    let score = trimmed(score).parse::<u8>().ok().filter(|s| *s <= 100).ok_or_else(|| {
        bad("score", "评分应为0到100的整数".into(), "the score is a whole number from 0 to 100".into())
    })?;
    let summary = trimmed(summary);
    if summary.chars().count() < 4 || summary.chars().count() > 1000 {
        return Err(bad(
            "summary",
            "请填写评估结论（4到1000个字符）".into(),
            "give the conclusion (4 to 1000 characters)".into(),
        ));
    }
    Ok((evaluator.to_string(), score, summary.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    const INDICATORS: &str = "服务人次|人次|1200\n入户探访|次|300\n社区活动|场|24";

    #[test]
    fn a_plan_pays_no_more_than_its_budget_within_its_period() {
        let plan = Plan::check(
            "东华门街道一老一小社工服务项目",
            "300000",
            "2026-01-01",
            "2026-12-31",
            INDICATORS,
            "首期款|2026-01-15|90000\n中期款|2026-06-30|120000|服务人次>=500\n尾款|2026-12-31|90000|入户探访>=300",
        )
        .unwrap();
        assert_eq!((plan.budget_fen, plan.indicators.len(), plan.milestones.len()), (30_000_000, 3, 3));
        assert_eq!(plan.milestones[1].requires, Some((0, 500)));
        let over = Plan::check(
            "一老一小社工服务项目",
            "100000",
            "2026-01-01",
            "2026-12-31",
            INDICATORS,
            "首期款|2026-01-15|90000\n尾款|2026-12-31|20000",
        );
        assert_eq!(over.unwrap_err().field, "milestones");
        let outside = Plan::check(
            "一老一小社工服务项目",
            "100000",
            "2026-01-01",
            "2026-12-31",
            INDICATORS,
            "尾款|2027-01-15|1000",
        );
        assert_eq!(outside.unwrap_err().field, "milestones");
        let unknown = Plan::check(
            "一老一小社工服务项目",
            "100000",
            "2026-01-01",
            "2026-12-31",
            INDICATORS,
            "尾款|2026-12-31|1000|志愿时长>=5",
        );
        assert!(unknown.unwrap_err().reason_zh.contains("志愿时长"));
        let backwards = Plan::check("一老一小社工服务项目", "100000", "2026-12-31", "2026-01-01", INDICATORS, "");
        assert_eq!(backwards.unwrap_err().field, "ends_on");
        assert_eq!(parse_indicators("服务人次|人次|多").unwrap_err().field, "indicators");
        assert_eq!(parse_indicators("").unwrap_err().field, "indicators");
    }

    #[test]
    fn a_milestone_is_reached_only_with_its_indicator_delivered() {
        let indicators = parse_indicators(INDICATORS).unwrap();
        let milestones = parse_milestones("中期款|2026-06-30|120000|服务人次>=500", &indicators).unwrap();
        assert_eq!(may_reach(&milestones[0], &indicators, &[499, 0, 0]).unwrap_err().field, "milestone");
        assert!(may_reach(&milestones[0], &indicators, &[500, 0, 0]).is_ok());
    }

    #[test]
    fn the_plan_expects_delivery_pro_rata_and_the_phase_follows_the_calendar() {
        let (start, end) = (day("2026-01-01"), day("2026-12-31"));
        assert_eq!(expected_by(1200, start, end, day("2025-12-01")), 0);
        assert_eq!(expected_by(1200, start, end, day("2026-07-02")), 1200 * 182 / 364);
        assert_eq!(expected_by(1200, start, end, day("2027-03-01")), 1200);
        assert_eq!(phase(start, end, false, day("2025-12-31")), ProjectPhase::NotStarted);
        assert_eq!(phase(start, end, false, day("2026-12-31")), ProjectPhase::Running);
        assert_eq!(phase(start, end, false, day("2027-01-01")), ProjectPhase::AwaitingEvaluation);
        assert_eq!(phase(start, end, true, day("2027-01-01")), ProjectPhase::Evaluated);
    }

    #[test]
    fn an_evaluation_comes_after_the_end_with_a_score_that_grades_it() {
        let end = day("2026-12-31");
        assert_eq!(check_evaluation("北京某评估中心", "86", "服务扎实", end, end).unwrap_err().field, "evaluation");
        let (_, score, _) =
            check_evaluation("北京某评估中心", "86", "服务扎实，档案完整", end, day("2027-01-10")).unwrap();
        assert_eq!(Grade::of(score), Grade::Good);
        assert_eq!(
            check_evaluation("北京某评估中心", "101", "服务扎实", end, day("2027-01-10")).unwrap_err().field,
            "score"
        );
        assert_eq!((Grade::of(90), Grade::of(60), Grade::of(59)), (Grade::Excellent, Grade::Pass, Grade::Fail));
    }
}
