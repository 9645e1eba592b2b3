//! 防治微腐败: daily supervision of grassroots power. The 小微权力清单 (the community's small
//! powers, each with its procedure and who may exercise it); 居务、财务公开 (community affairs
//! quarterly and finances monthly, published for residents, corrections kept as versions); and
//! residents' reports of staff misconduct, sealed and routed to the discipline unit of the level
//! above the one reported — never to the person reported or their unit — and handled as a case
//! is, with a tracking number and deadlines.

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::charity::parse_yuan;
use crate::text::trimmed;
use crate::{FieldError, RegionCode, RegionLevel};

coded_enum! {
    /// What a small power is about.
    PowerArea {
        Assets = "assets" / "集体资产资源管理" / "collective assets and resources",
        Welfare = "welfare" / "民生保障审核" / "welfare eligibility",
        Projects = "projects" / "小型工程项目" / "small works",
        Finance = "finance" / "财务收支" / "income and spending",
        Certificates = "certificates" / "证明出具" / "certificates",
        Decisions = "decisions" / "社区重大事项决策" / "major community decisions",
    }
}

coded_enum! {
    /// Who may exercise a small power.
    PowerHolder {
        PartySecretary = "party_secretary" / "社区党组织书记" / "the community's party secretary",
        Director = "director" / "居委会主任" / "the residents' committee's director",
        TwoCommittees = "two_committees" / "社区“两委”联席会议" / "the joint meeting of the two committees",
        ResidentsMeeting = "residents_meeting" / "居民（代表）会议" / "the residents' (representatives') meeting",
        Staff = "staff" / "社区工作者" / "community workers",
    }
}

/// Steps of a procedure, one a line (a leading number or bullet is dropped): 2 to 12, each 2
/// to 100 characters.
pub fn check_procedure(raw: &str) -> Result<Vec<String>, FieldError> {
    let steps: Vec<String> = raw
        .lines()
        .map(|l| trimmed(l).trim_start_matches(|c: char| c.is_ascii_digit() || ".、)）·-•".contains(c)))
        .map(|l| trimmed(l).to_string())
        .filter(|l| !l.is_empty())
        .collect();
    let fits = |s: &String| (2..=100).contains(&s.chars().count());
    match (2..=12).contains(&steps.len()) && steps.iter().all(fits) {
        true => Ok(steps),
        false => Err(FieldError::new(
            "procedure",
            "请逐行填写2到12个步骤，每步2到100字",
            "write 2 to 12 steps, one a line, each 2 to 100 characters",
        )),
    }
}

coded_enum! {
    /// What a disclosure (公开) makes public.
    DisclosureKind {
        Affairs = "affairs" / "居务公开" / "community affairs",
        Finance = "finance" / "财务公开" / "finances",
    }
}

/// The days after a period's end by which its disclosure is due.
pub const DISCLOSURE_GRACE_DAYS: i64 = 10;

impl DisclosureKind {
    /// The period a disclosure covers holding `day`: finances by month, affairs by quarter.
    pub fn period(self, day: NaiveDate) -> (NaiveDate, NaiveDate) {
        let months = match self {
            Self::Finance => 1,
            Self::Affairs => 3,
        };
        let first_month = (day.month0() / months) * months;
        let from = NaiveDate::from_ymd_opt(day.year(), first_month + 1, 1).unwrap_or(day);
        let next = if first_month + months >= 12 {
            NaiveDate::from_ymd_opt(day.year() + 1, 1, 1)
        } else {
            NaiveDate::from_ymd_opt(day.year(), first_month + months + 1, 1)
        };
        (from, next.map_or(from, |n| n - Duration::days(1)))
    }

    /// How the period is named on the notice board: 2026年11月, 2026年第4季度.
    pub fn label(self, from: NaiveDate) -> String {
        match self {
            Self::Finance => format!("{}年{}月", from.year(), from.month()),
            Self::Affairs => format!("{}年第{}季度", from.year(), from.month0() / 3 + 1),
        }
    }

    /// The last period whose disclosure is due by `today`: the one before today's, once its
    /// grace days have passed.
    pub fn last_due(self, today: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
        let (current, _) = self.period(today);
        let previous = self.period(current - Duration::days(1));
        (today > previous.1 + Duration::days(DISCLOSURE_GRACE_DAYS)).then_some(previous)
    }
}

/// A line of a finance disclosure.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct FinanceLine {
    pub income: bool,
    pub item: String,
    pub fen: i64,
}

/// Finance lines, one a line: `收入` or `支出`, the item, the amount in yuan (`支出 办公用品
/// 1,280.50`).
pub fn parse_finance_lines(raw: &str) -> Result<Vec<FinanceLine>, FieldError> {
    let bad = || {
        FieldError::new(
            "lines",
            "每行填写：收入或支出、项目、金额（元），如“支出 办公用品 1280.50”",
            "one a line: 收入 (income) or 支出 (spending), the item, the amount in yuan",
        )
    };
    let lines: Vec<FinanceLine> = raw
        .lines()
        .map(trimmed)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let mut parts = l.split_whitespace();
            let income = match parts.next() {
                Some("收入") => true,
                Some("支出") => false,
                _ => return Err(bad()),
            };
            let rest: Vec<&str> = parts.collect();
            let (amount, item) = rest.split_last().ok_or_else(bad)?;
            let item = item.join(" ");
            if item.is_empty() || item.chars().count() > 60 {
                return Err(bad());
            }
            let fen = parse_yuan("lines", amount).map_err(|_| bad())?;
            Ok(FinanceLine { income, item, fen })
        })
        .collect::<Result<_, _>>()?;
    match (1..=100).contains(&lines.len()) {
        true => Ok(lines),
        false => Err(bad()),
    }
}

/// Income and spending of the lines, in fen.
pub fn totals(lines: &[FinanceLine]) -> (i64, i64) {
    lines.iter().fold((0, 0), |(i, s), l| if l.income { (i + l.fen, s) } else { (i, s + l.fen) })
}

coded_enum! {
    /// What a resident reports of staff.
    MisconductKind {
        Bribery = "bribery" / "吃拿卡要" / "asking for favours or bribes",
        Favouritism = "favouritism" / "优亲厚友、以权谋私" / "favouring relatives, abusing power",
        Funds = "funds" / "侵占挪用资金" / "misusing funds",
        Neglect = "neglect" / "不作为、慢作为" / "neglect of duty",
        Conduct = "conduct" / "作风粗暴" / "abusive conduct",
        Other = "other" / "其他" / "other",
    }
}

/// The region whose discipline unit handles a report about staff of `reported`: a grid's or
/// community's staff go to their street's (街道纪工委), a street office's to the district's
/// (区纪委监委), a district department's to the district's. Never the level reported.
pub fn discipline_region(reported: &RegionCode) -> Option<RegionCode> {
    match reported.level() {
        RegionLevel::Grid | RegionLevel::Community => reported.ancestor(RegionLevel::Township),
        RegionLevel::Township | RegionLevel::County => reported.ancestor(RegionLevel::County),
        RegionLevel::Province | RegionLevel::City => None,
    }
}

coded_enum! {
    /// Where a report of misconduct stands.
    MisconductState {
        Received = "received" / "已收到，待受理" / "received, awaiting acceptance",
        Investigating = "investigating" / "已受理，核查中" / "accepted, being looked into",
        Concluded = "concluded" / "已办结" / "concluded",
        Declined = "declined" / "不予受理，已说明理由" / "not taken up, with the reason",
    }
}

coded_enum! {
    /// What looking into a report found.
    Finding {
        Substantiated = "substantiated" / "反映属实" / "substantiated",
        Partly = "partly" / "部分属实" / "partly substantiated",
        Unsubstantiated = "unsubstantiated" / "反映不实" / "not substantiated",
    }
}

coded_enum! {
    /// What the discipline unit does with a report.
    MisconductMove {
        Accept = "accept" / "受理" / "accept",
        Decline = "decline" / "不予受理" / "decline",
        Conclude = "conclude" / "办结" / "conclude",
    }
}

impl MisconductMove {
    /// The state it is made from and the state it leaves.
    pub fn from_to(self) -> (MisconductState, MisconductState) {
        match self {
            Self::Accept => (MisconductState::Received, MisconductState::Investigating),
            Self::Decline => (MisconductState::Received, MisconductState::Declined),
            Self::Conclude => (MisconductState::Investigating, MisconductState::Concluded),
        }
    }
}

/// Days to accept or decline a report, and to conclude one accepted.
pub const ACCEPT_DAYS: i64 = 15;
pub const CONCLUDE_DAYS: i64 = 90;

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn procedures_are_steps_one_a_line() {
        let steps = check_procedure("1. 居民提出申请\n2、社区初审并公示\n\n3）两委会议研究").unwrap();
        assert_eq!(steps, ["居民提出申请", "社区初审并公示", "两委会议研究"]);
        assert_eq!(check_procedure("只有一步").unwrap_err().field, "procedure");
    }

    #[test]
    fn disclosures_follow_months_and_quarters() {
        assert_eq!(DisclosureKind::Finance.period(day("2026-11-17")), (day("2026-11-01"), day("2026-11-30")));
        assert_eq!(DisclosureKind::Affairs.period(day("2026-11-17")), (day("2026-10-01"), day("2026-12-31")));
        assert_eq!(DisclosureKind::Affairs.label(day("2026-10-01")), "2026年第4季度");
        assert_eq!(DisclosureKind::Finance.label(day("2026-11-01")), "2026年11月");
        assert_eq!(DisclosureKind::Finance.last_due(day("2026-12-05")), None, "November's is due by the 10th");
        assert_eq!(DisclosureKind::Finance.last_due(day("2026-12-11")), Some((day("2026-11-01"), day("2026-11-30"))));
        assert_eq!(DisclosureKind::Affairs.last_due(day("2027-01-11")).unwrap().0, day("2026-10-01"));
    }

    #[test]
    fn finance_lines_add_up() {
        let lines =
            parse_finance_lines("收入 上级拨付办公经费 12000\n支出 办公用品 1280.50\n支出 活动场地 水电 300").unwrap();
        assert_eq!(lines[2].item, "活动场地 水电");
        assert_eq!(totals(&lines), (1_200_000, 158_050));
        assert_eq!(parse_finance_lines("花费 办公用品 10").unwrap_err().field, "lines");
        assert_eq!(parse_finance_lines("支出 10").unwrap_err().field, "lines");
    }

    #[test]
    fn reports_go_one_level_up() {
        let code = |c: &str| RegionCode::parse(c).unwrap();
        assert_eq!(discipline_region(&code("110101001001001")), Some(code("110101001")));
        assert_eq!(discipline_region(&code("110101001001")), Some(code("110101001")));
        assert_eq!(discipline_region(&code("110101001")), Some(code("110101")));
        assert_eq!(discipline_region(&code("110101")), Some(code("110101")));
        assert_eq!(MisconductMove::Conclude.from_to().0, MisconductState::Investigating);
    }
}
