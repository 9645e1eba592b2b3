//! 矛盾纠纷多元化解 (the 枫桥经验: 小事不出村、大事不出镇、矛盾不上交): a dispute's kind and
//! origin, its risk grade by stated rules (`grade`), the level that handles it and escalation
//! community → street → district, its moves from registration through mediation, an agreement
//! and the visits that check it is kept, or a hand-over to the court (诉调对接) or arbitration.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::text::trimmed;
use crate::{free_text, FieldError, RegionLevel};

coded_enum! {
    /// What a dispute is about.
    DisputeKind {
        Neighbours = "neighbours" / "邻里纠纷" / "between neighbours",
        Family = "family" / "婚姻家庭纠纷" / "marriage and family",
        Property = "property" / "物业纠纷" / "property management",
        Labour = "labour" / "劳动争议" / "labour",
        LandHousing = "land_housing" / "土地房屋纠纷" / "land and housing",
        Consumer = "consumer" / "消费纠纷" / "consumer",
        Traffic = "traffic" / "交通事故纠纷" / "traffic accident",
        Medical = "medical" / "医疗纠纷" / "medical",
        Other = "other" / "其他纠纷" / "other",
    }
}

coded_enum! {
    /// How a dispute came to the register.
    DisputeOrigin {
        Case = "case" / "工单转入" / "converted from a case",
        Screening = "screening" / "网格排查发现" / "found by a grid worker's screening (排查)",
        WalkIn = "walk_in" / "群众来访" / "a walk-in",
    }
}

coded_enum! {
    /// The risk grade, lowest first (the order compares them).
    RiskGrade {
        Blue = "blue" / "蓝色（低风险）" / "blue (low risk)",
        Yellow = "yellow" / "黄色（一般风险）" / "yellow (some risk)",
        Orange = "orange" / "橙色（较大风险）" / "orange (serious risk)",
        Red = "red" / "红色（重大风险）" / "red (grave risk)",
    }
}

impl RiskGrade {
    /// One grade higher, red staying red.
    pub fn raised(self) -> Self {
        match self {
            Self::Blue => Self::Yellow,
            Self::Yellow => Self::Orange,
            Self::Orange | Self::Red => Self::Red,
        }
    }

    /// The supervisor's queue holds these: orange and red.
    pub fn is_high(self) -> bool {
        self >= Self::Orange
    }
}

coded_enum! {
    /// The level that handles a dispute: where it arose first, then higher only by escalation.
    DisputeLevel {
        Community = "community" / "社区（村）" / "community",
        Street = "street" / "街道（乡镇）" / "street",
        District = "district" / "区" / "district",
    }
}

impl DisputeLevel {
    /// The level an escalation takes it to, if any is left.
    pub fn above(self) -> Option<Self> {
        match self {
            Self::Community => Some(Self::Street),
            Self::Street => Some(Self::District),
            Self::District => None,
        }
    }

    /// The region that handles a dispute of this community at this level.
    pub fn region_of(self, community_code: &str) -> &str {
        let digits = match self {
            Self::Community => RegionLevel::Community.digits(),
            Self::Street => RegionLevel::Township.digits(),
            Self::District => RegionLevel::County.digits(),
        };
        community_code.get(..digits).unwrap_or(community_code)
    }
}

coded_enum! {
    /// Where a dispute stands.
    DisputeState {
        Registered = "registered" / "已登记，待调解" / "registered, awaiting mediation",
        Mediating = "mediating" / "调解中" / "in mediation",
        Agreed = "agreed" / "已达成协议，回访中" / "agreed, being followed up",
        Settled = "settled" / "已化解" / "settled",
        Referred = "referred" / "已移交" / "handed over",
        Failed = "failed" / "调解不成，已告知其他途径" / "mediation failed, other routes explained",
        Withdrawn = "withdrawn" / "当事人撤回" / "withdrawn by the parties",
    }
}

impl DisputeState {
    /// Still to be resolved: before an agreement or an end.
    pub fn is_open(self) -> bool {
        match self {
            Self::Registered | Self::Mediating => true,
            Self::Agreed | Self::Settled | Self::Referred | Self::Failed | Self::Withdrawn => false,
        }
    }
}

coded_enum! {
    /// Where a dispute mediation could not settle is handed.
    ReferredTo {
        Court = "court" / "法院诉调对接" / "the court (诉调对接)",
        Arbitration = "arbitration" / "仲裁机构" / "arbitration",
    }
}

coded_enum! {
    /// Who mediates (the roster of a community, street or district).
    MediatorKind {
        PeoplesMediator = "peoples_mediator" / "人民调解员" / "people's mediator",
        GridWorker = "grid_worker" / "网格员" / "grid worker",
        LegalAdviser = "legal_adviser" / "法律顾问（一村（社区）一法律顾问）" / "the community's legal adviser",
        Elder = "elder" / "乡贤" / "respected local figure (乡贤)",
    }
}

coded_enum! {
    /// A party's side.
    PartySide {
        Applicant = "applicant" / "申请人" / "applicant",
        Respondent = "respondent" / "被申请人" / "respondent",
    }
}

coded_enum! {
    /// A move of a dispute.
    DisputeMove {
        Assign = "assign" / "指派调解员" / "assign mediators",
        Session = "session" / "记录调解" / "record a session",
        Agree = "agree" / "达成调解协议" / "record an agreement",
        FollowUp = "follow_up" / "回访" / "follow up",
        Escalate = "escalate" / "上报上级调解" / "escalate",
        Refer = "refer" / "移交诉讼或仲裁" / "hand over to the court or arbitration",
        Fail = "fail" / "终止调解" / "end mediation as failed",
        Withdraw = "withdraw" / "撤回" / "withdraw",
    }
}

impl DisputeMove {
    /// The states a move is made from. Where it leaves the dispute is `to`, since a follow-up
    /// goes one of two ways.
    pub fn made_from(self) -> &'static [DisputeState] {
        use DisputeState::*;
        match self {
            Self::Assign | Self::Escalate | Self::Refer | Self::Withdraw => &[Registered, Mediating],
            Self::Session | Self::Agree | Self::Fail => &[Mediating],
            Self::FollowUp => &[Agreed, Settled],
        }
    }

    /// The state the move leaves from `from` (`kept` says how a follow-up found the
    /// agreement), or why it cannot be made.
    pub fn to(self, from: DisputeState, kept: bool) -> Result<DisputeState, FieldError> {
        if !self.made_from().contains(&from) {
            return Err(FieldError::new(
                "move",
                format!("纠纷当前为“{}”，不能{}", from.label_zh(), self.label_zh()),
                format!("the dispute is {}: it cannot {}", from.label_en(), self.label_en()),
            ));
        }
        Ok(match self {
            Self::Assign | Self::Session => DisputeState::Mediating,
            Self::Agree => DisputeState::Agreed,
            Self::FollowUp if kept => DisputeState::Settled,
            // Broken: the dispute has come back, and mediation starts again.
            Self::FollowUp => DisputeState::Mediating,
            Self::Escalate => DisputeState::Registered,
            Self::Refer => DisputeState::Referred,
            Self::Fail => DisputeState::Failed,
            Self::Withdraw => DisputeState::Withdrawn,
        })
    }
}

/// What the risk grade is decided on.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RiskFactors {
    /// A party threatens violence or revenge (扬言报复、有暴力倾向).
    pub threat_of_violence: bool,
    /// A party threatens to harm themselves (扬言自伤自杀).
    pub threat_of_self_harm: bool,
    /// How many parties (people or households) it involves.
    pub parties: u32,
    /// How many times the matter was reported before (反复反映).
    pub earlier_reports: u32,
    /// A party has petitioned a higher level over it (越级上访).
    pub petitioned_higher: bool,
    /// A party is elderly, disabled, a minor, pregnant or seriously ill (弱势群体).
    pub vulnerable_party: bool,
}

/// A rule that applied, with the grade it sets.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct GradeReason {
    pub grade: RiskGrade,
    pub zh: String,
    pub en: String,
}

/// Parties from which a dispute counts as a group one (群体性).
pub const GROUP_PARTIES: u32 = 10;
/// Parties from which a dispute counts as involving many.
pub const MANY_PARTIES: u32 = 5;
/// Earlier reports from which a matter counts as reported again and again.
pub const REPEATED_REPORTS: u32 = 3;

/// The rules of the register, in the order they are shown (DESIGN: stated, not learned):
/// - red: a threat of violence or of self-harm; a group dispute (10 parties or more) that was
///   also petitioned to a higher level;
/// - orange: petitioned to a higher level; a group dispute; reported 3 times or more before;
/// - yellow: 5 parties or more; reported before;
/// - blue: none of these;
/// - a vulnerable party raises the grade the others give by one.
pub fn grade(f: &RiskFactors) -> (RiskGrade, Vec<GradeReason>) {
    use RiskGrade::*;
    let rule =
        |applies: bool, grade: RiskGrade, zh: String, en: String| applies.then_some(GradeReason { grade, zh, en });
    let group = f.parties >= GROUP_PARTIES;
    let mut reasons: Vec<GradeReason> = [
        rule(f.threat_of_violence, Red, "有暴力倾向或扬言报复".into(), "a threat of violence or revenge".into()),
        rule(f.threat_of_self_harm, Red, "扬言自伤自杀".into(), "a threat of self-harm".into()),
        rule(
            group && f.petitioned_higher,
            Red,
            format!("{GROUP_PARTIES}方及以上的群体性纠纷且已越级上访"),
            format!("a group dispute of {GROUP_PARTIES} parties or more, petitioned to a higher level"),
        ),
        rule(f.petitioned_higher, Orange, "已越级上访".into(), "petitioned to a higher level".into()),
        rule(
            group,
            Orange,
            format!("涉及{}方及以上（群体性）", f.parties),
            format!("{} parties: a group dispute", f.parties),
        ),
        rule(
            f.earlier_reports >= REPEATED_REPORTS,
            Orange,
            format!("此前已反复反映{}次", f.earlier_reports),
            format!("reported {} times before", f.earlier_reports),
        ),
        rule(
            !group && f.parties >= MANY_PARTIES,
            Yellow,
            format!("涉及{}方", f.parties),
            format!("{} parties", f.parties),
        ),
        rule(
            (1..REPEATED_REPORTS).contains(&f.earlier_reports),
            Yellow,
            format!("此前已反映{}次", f.earlier_reports),
            format!("reported {} times before", f.earlier_reports),
        ),
    ]
    .into_iter()
    .flatten()
    .collect();
    let base = reasons.iter().map(|r| r.grade).max().unwrap_or(Blue);
    if !f.vulnerable_party {
        return (base, reasons);
    }
    let raised = base.raised();
    reasons.push(GradeReason {
        grade: raised,
        zh: "当事人中有老弱病残孕或未成年人，风险等级提高一级".into(),
        en: "a vulnerable party raises the grade by one".into(),
    });
    (raised, reasons)
}

/// The longest summary of a dispute, of a session's notes, of an agreement's terms.
pub const TEXT_CHARS: usize = 1000;
/// Parties a dispute names at most (a group dispute names its representatives).
pub const MAX_NAMED_PARTIES: usize = 20;

/// Checks a text staff write about a dispute, read by whoever works on it: within its length,
/// without phone or ID numbers (the parties' are sealed apart).
pub fn check_text(field: &'static str, raw: &str, min: usize) -> Result<String, FieldError> {
    let text = trimmed(raw);
    let chars = text.chars().count();
    if chars < min || chars > TEXT_CHARS || !free_text::find(text).is_empty() {
        return Err(FieldError::new(
            field,
            format!("请填写{min}到{TEXT_CHARS}个字符，不写电话或证件号"),
            format!("write {min} to {TEXT_CHARS} characters, no phone or ID numbers"),
        ));
    }
    Ok(text.to_string())
}

/// Checks a day a session was held or a follow-up made: not after today, not before the
/// dispute was registered.
pub fn check_past_day(
    field: &'static str,
    day: NaiveDate,
    registered: NaiveDate,
    today: NaiveDate,
) -> Result<NaiveDate, FieldError> {
    match (registered..=today).contains(&day) {
        true => Ok(day),
        false => {
            Err(FieldError::new(field, "日期应在登记之日到今天之间", "the day lies between registration and today"))
        }
    }
}

/// Checks the day an agreement is to be followed up: after it is signed, within 180 days.
pub fn check_follow_up_day(signed: NaiveDate, follow_up: NaiveDate) -> Result<NaiveDate, FieldError> {
    match follow_up > signed && (follow_up - signed).num_days() <= 180 {
        true => Ok(follow_up),
        false => Err(FieldError::new(
            "follow_up_on",
            "回访日期应在签订之后180天之内",
            "the follow-up falls after signing, within 180 days",
        )),
    }
}

/// 调解成功率: of the disputes mediation finished with (an agreement, a hand-over, a failure),
/// the share that ended in an agreement; withdrawn ones and those still open are not counted.
pub fn success_rate(agreed: i64, referred: i64, failed: i64) -> Option<f64> {
    let finished = agreed + referred + failed;
    #[allow(clippy::cast_precision_loss)]
    (finished > 0).then(|| agreed as f64 / finished as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn factors() -> RiskFactors {
        RiskFactors { parties: 2, ..RiskFactors::default() }
    }

    #[test]
    fn two_neighbours_with_nothing_else_are_blue_and_say_so() {
        let (g, reasons) = grade(&factors());
        assert_eq!(g, RiskGrade::Blue);
        assert!(reasons.is_empty());
    }

    #[test]
    fn each_rule_sets_its_grade_and_states_why() {
        let cases: [(RiskFactors, RiskGrade, &str); 9] = [
            (RiskFactors { threat_of_violence: true, ..factors() }, RiskGrade::Red, "暴力"),
            (RiskFactors { threat_of_self_harm: true, ..factors() }, RiskGrade::Red, "自伤"),
            (RiskFactors { petitioned_higher: true, ..factors() }, RiskGrade::Orange, "越级"),
            (RiskFactors { parties: 10, ..factors() }, RiskGrade::Orange, "群体性"),
            (RiskFactors { parties: 12, petitioned_higher: true, ..factors() }, RiskGrade::Red, "群体性纠纷且已越级"),
            (RiskFactors { earlier_reports: 3, ..factors() }, RiskGrade::Orange, "反复反映3次"),
            (RiskFactors { earlier_reports: 1, ..factors() }, RiskGrade::Yellow, "反映1次"),
            (RiskFactors { parties: 5, ..factors() }, RiskGrade::Yellow, "涉及5方"),
            (RiskFactors { parties: 9, ..factors() }, RiskGrade::Yellow, "涉及9方"),
        ];
        for (f, want, why) in cases {
            let (g, reasons) = grade(&f);
            assert_eq!(g, want, "{f:?}");
            assert!(reasons.iter().any(|r| r.zh.contains(why) && r.grade == want), "{f:?}: {reasons:?}");
        }
    }

    #[test]
    fn a_vulnerable_party_raises_the_grade_by_one_and_red_stays_red() {
        let vulnerable = |f: RiskFactors| grade(&RiskFactors { vulnerable_party: true, ..f }).0;
        assert_eq!(vulnerable(factors()), RiskGrade::Yellow);
        assert_eq!(vulnerable(RiskFactors { earlier_reports: 1, ..factors() }), RiskGrade::Orange);
        assert_eq!(vulnerable(RiskFactors { petitioned_higher: true, ..factors() }), RiskGrade::Red);
        assert_eq!(vulnerable(RiskFactors { threat_of_self_harm: true, ..factors() }), RiskGrade::Red);
        let (_, reasons) = grade(&RiskFactors { vulnerable_party: true, ..factors() });
        assert!(reasons.iter().any(|r| r.en.contains("vulnerable")));
    }

    #[test]
    fn the_highest_rule_wins() {
        let f = RiskFactors { parties: 6, earlier_reports: 4, threat_of_violence: true, ..factors() };
        let (g, reasons) = grade(&f);
        assert_eq!(g, RiskGrade::Red);
        assert_eq!(reasons.len(), 3, "violence, repeated, many parties: {reasons:?}");
        assert!(RiskGrade::Red.is_high() && RiskGrade::Orange.is_high() && !RiskGrade::Yellow.is_high());
    }

    #[test]
    fn a_dispute_is_mediated_agreed_followed_up_and_comes_back_if_broken() {
        use DisputeMove::*;
        use DisputeState::*;
        assert_eq!(Assign.to(Registered, false).unwrap(), Mediating);
        assert_eq!(Session.to(Mediating, false).unwrap(), Mediating);
        assert_eq!(Agree.to(Mediating, false).unwrap(), Agreed);
        assert_eq!(FollowUp.to(Agreed, false).unwrap(), Mediating, "broken: back to mediation");
        assert_eq!(FollowUp.to(Agreed, true).unwrap(), Settled);
        assert_eq!(FollowUp.to(Settled, true).unwrap(), Settled, "a later visit finds it still kept");
        assert_eq!(Escalate.to(Mediating, false).unwrap(), Registered, "the level above starts afresh");
        assert_eq!(Refer.to(Registered, false).unwrap(), Referred);
        assert_eq!(Agree.to(Registered, false).unwrap_err().field, "move", "no agreement without mediation");
        assert_eq!(Session.to(Settled, false).unwrap_err().field, "move");
        assert_eq!(Withdraw.to(Agreed, false).unwrap_err().field, "move");
        assert!(Mediating.is_open() && !Agreed.is_open() && !Referred.is_open());
    }

    #[test]
    fn the_success_rate_counts_only_what_mediation_finished() {
        assert_eq!(success_rate(0, 0, 0), None);
        assert_eq!(success_rate(3, 1, 0), Some(0.75));
        assert_eq!(success_rate(0, 1, 1), Some(0.0));
    }

    #[test]
    fn escalation_goes_community_street_district_and_stops() {
        assert_eq!(DisputeLevel::Community.above(), Some(DisputeLevel::Street));
        assert_eq!(DisputeLevel::Street.above(), Some(DisputeLevel::District));
        assert_eq!(DisputeLevel::District.above(), None);
        let community = "110101001001";
        assert_eq!(DisputeLevel::Community.region_of(community), community);
        assert_eq!(DisputeLevel::Street.region_of(community), "110101001");
        assert_eq!(DisputeLevel::District.region_of(community), "110101");
    }

    #[test]
    fn texts_and_days_are_checked() {
        assert_eq!(
            check_text("summary", "邻居装修噪音扰民，多次协商未果", 4).unwrap(),
            "邻居装修噪音扰民，多次协商未果"
        );
        assert_eq!(check_text("summary", "电话13800138000", 4).unwrap_err().field, "summary");
        assert_eq!(check_text("terms", "", 4).unwrap_err().field, "terms");
        let day = |d: u32| NaiveDate::from_ymd_opt(2026, 11, d).unwrap();
        assert!(check_past_day("held_on", day(10), day(5), day(20)).is_ok());
        assert_eq!(check_past_day("held_on", day(4), day(5), day(20)).unwrap_err().field, "held_on");
        assert_eq!(check_past_day("held_on", day(21), day(5), day(20)).unwrap_err().field, "held_on");
        assert!(check_follow_up_day(day(10), day(17)).is_ok());
        assert_eq!(check_follow_up_day(day(10), day(10)).unwrap_err().field, "follow_up_on");
    }
}
