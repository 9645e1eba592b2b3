//! 需求清单 → 资源清单: a resident's need (from a case asking for help, a household visit, a
//! survey, or the resident's own request), its moves from open to confirmed, the hours a helper
//! reports and the points (积分) they earn, and redeeming points. Who may make each move is
//! `NeedMove::made_by`; the order helpers are suggested in is `helpers::rank`.

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::case::coded_enum;
use crate::helpers::{DayPart, Skill};
use crate::text::trimmed;
use crate::{free_text, FieldError};

coded_enum! {
    /// Where a need was found.
    NeedSource {
        Case = "case" / "求助工单" / "a case asking for help",
        Visit = "visit" / "入户走访发现" / "a household visit",
        Survey = "survey" / "问卷调查" / "a survey",
        Resident = "resident" / "居民自主申请" / "the resident's own request",
    }
}

coded_enum! {
    /// How soon help must come.
    Urgency {
        Urgent = "urgent" / "紧急" / "urgent",
        Soon = "soon" / "较急" / "soon",
        Routine = "routine" / "一般" / "routine",
    }
}

coded_enum! {
    /// Where a need stands.
    NeedState {
        Open = "open" / "待匹配" / "waiting for a helper",
        Offered = "offered" / "已派单，待接单" / "offered to a helper",
        Accepted = "accepted" / "已接单" / "accepted",
        Done = "done" / "已完成，待确认" / "done, to be confirmed",
        Confirmed = "confirmed" / "已确认" / "confirmed",
        Cancelled = "cancelled" / "已取消" / "cancelled",
    }
}

impl NeedState {
    /// Still waiting on someone: not confirmed or cancelled.
    pub fn is_open(self) -> bool {
        match self {
            Self::Open | Self::Offered | Self::Accepted | Self::Done => true,
            Self::Confirmed | Self::Cancelled => false,
        }
    }

    /// With a helper who has it in hand (offered, accepted, or done and not yet confirmed).
    pub fn with_helper(self) -> bool {
        matches!(self, Self::Offered | Self::Accepted | Self::Done)
    }
}

coded_enum! {
    /// A move of a need.
    NeedMove {
        Offer = "offer" / "派单" / "offer to a helper",
        Accept = "accept" / "接单" / "accept",
        Decline = "decline" / "婉拒" / "decline",
        Withdraw = "withdraw" / "收回重派" / "take back",
        Report = "report" / "反馈完成" / "report it done",
        SendBack = "send_back" / "未完成，退回" / "send back as not done",
        Confirm = "confirm" / "确认并评价" / "confirm and rate",
        Cancel = "cancel" / "取消" / "cancel",
    }
}

/// Who makes a move on a need.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// Staff matching needs in the place.
    Coordinator,
    /// The helper it was offered to (a person, on their phone).
    Helper,
    /// The resident whose own request it is.
    Requester,
}

impl NeedMove {
    /// The states a move is made from, and the state it leaves.
    pub fn rule(self) -> (&'static [NeedState], NeedState) {
        use NeedState::*;
        match self {
            Self::Offer => (&[Open], Offered),
            Self::Accept => (&[Offered], Accepted),
            Self::Decline => (&[Offered], Open),
            Self::Withdraw => (&[Offered, Accepted], Open),
            Self::Report => (&[Accepted], Done),
            Self::SendBack => (&[Done], Accepted),
            Self::Confirm => (&[Done], Confirmed),
            Self::Cancel => (&[Open, Offered, Accepted], Cancelled),
        }
    }

    /// Who may make it. The helper's moves are made by staff for a helper that is an
    /// organisation (it has no phone of its own on the platform); the requester may confirm,
    /// send back, or cancel while nobody has accepted.
    pub fn made_by(self, party: Party, helper_is_person: bool) -> bool {
        match (self, party) {
            (Self::Offer | Self::Withdraw, Party::Coordinator) => true,
            (Self::Accept | Self::Decline | Self::Report, Party::Helper) => helper_is_person,
            (Self::Accept | Self::Decline | Self::Report, Party::Coordinator) => !helper_is_person,
            (Self::Confirm | Self::SendBack | Self::Cancel, Party::Coordinator | Party::Requester) => true,
            (Self::Offer | Self::Withdraw, Party::Helper | Party::Requester)
            | (Self::Accept | Self::Decline | Self::Report, Party::Requester)
            | (Self::Confirm | Self::SendBack | Self::Cancel, Party::Helper) => false,
        }
    }

    /// The state the move leaves from `from`, or why it cannot be made.
    pub fn from(self, from: NeedState) -> Result<NeedState, FieldError> {
        let (allowed, to) = self.rule();
        match allowed.contains(&from) {
            true => Ok(to),
            false => Err(FieldError::new(
                "move",
                format!("需求当前为“{}”，不能{}", from.label_zh(), self.label_zh()),
                format!("the need is {}: it cannot be {}", from.label_en(), self.label_en()),
            )),
        }
    }
}

/// The longest description of a need.
pub const WHAT_CHARS: usize = 300;
/// The longest note of a report or a rating.
pub const NOTE_CHARS: usize = 300;
/// At most this many hours are reported for one task.
pub const MAX_TASK_MINUTES: i64 = 8 * 60;
/// Points earned per hour of help confirmed (时间银行: one hour, ten points).
pub const POINTS_PER_HOUR: i64 = 10;

/// A need as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Need {
    pub source: NeedSource,
    pub skill: Skill,
    pub what: String,
    /// The community where help is needed.
    pub community_code: String,
    pub on: NaiveDate,
    pub part: DayPart,
    pub urgency: Urgency,
}

impl Need {
    /// Checks a need's description (read by staff and the helper: no phone or ID numbers, which
    /// go in the sealed contact instead) and its day: not before today, within 90 days.
    pub fn check(self, today: NaiveDate) -> Result<Self, FieldError> {
        let what = trimmed(&self.what);
        if what.chars().count() < 4 || what.chars().count() > WHAT_CHARS || !free_text::find(what).is_empty() {
            return Err(FieldError::new(
                "what",
                format!("请说明需要什么帮助（4到{WHAT_CHARS}个字符，不写电话或证件号）"),
                format!("say what help is needed (4 to {WHAT_CHARS} characters, no phone or ID numbers)"),
            ));
        }
        if self.on < today || (self.on - today).num_days() > 90 {
            return Err(FieldError::new("on", "日期应在今天到90天之内", "the day lies between today and 90 days on"));
        }
        Ok(Self { what: what.to_string(), ..self })
    }
}

/// Checks the hours a helper reports: in half hours, from half an hour to eight.
pub fn check_hours(raw: &str) -> Result<i64, FieldError> {
    let bad = || FieldError::new("hours", "服务时长应为0.5到8小时，以半小时计", "hours are 0.5 to 8, in half hours");
    let hours: f64 = trimmed(raw).parse().map_err(|_| bad())?;
    let halves = hours * 2.0;
    if !(1.0..=16.0).contains(&halves) || halves.fract() != 0.0 {
        return Err(bad());
    }
    // Exact: a whole number of halves between 1 and 16.
    Ok(halves as i64 * 30)
}

/// A note to a report, a rating or a send-back, checked.
pub fn check_note(field: &'static str, raw: &str, required: bool) -> Result<Option<String>, FieldError> {
    let note = trimmed(raw);
    if note.chars().count() > NOTE_CHARS || (required && note.is_empty()) || !free_text::find(note).is_empty() {
        return Err(FieldError::new(
            field,
            format!("{}最多{NOTE_CHARS}个字符，不写电话或证件号", if required { "请填写说明，" } else { "说明" }),
            format!(
                "{}at most {NOTE_CHARS} characters, no phone or ID numbers",
                if required { "say why; " } else { "" }
            ),
        ));
    }
    Ok(Some(note.to_string()).filter(|n| !n.is_empty()))
}

/// A rating from 1 to 5 stars.
pub fn check_rating(raw: &str) -> Result<u8, FieldError> {
    match trimmed(raw).parse::<u8>() {
        Ok(r @ 1..=5) => Ok(r),
        _ => Err(FieldError::new("rating", "请评1到5星", "rate from 1 to 5 stars")),
    }
}

/// The points an amount of confirmed help earns: ten an hour, in whole points.
pub fn points_for(minutes: i64) -> i64 {
    minutes * POINTS_PER_HOUR / 60
}

/// What redeeming points takes: a whole number of points, no more than the helper holds, for
/// something named.
pub fn check_redemption(points: &str, item: &str, balance: i64) -> Result<(i64, String), FieldError> {
    let points: i64 = trimmed(points).parse().ok().filter(|p| *p > 0).ok_or_else(|| {
        FieldError::new("points", "兑换积分应为正整数", "points to redeem are a whole number above 0")
    })?;
    may_redeem(balance, points)?;
    let item = trimmed(item);
    if item.chars().count() < 2 || item.chars().count() > 100 {
        return Err(FieldError::new(
            "item",
            "请填写兑换的物品或服务（2到100个字符）",
            "name what is redeemed (2 to 100 characters)",
        ));
    }
    Ok((points, item.to_string()))
}

/// Whether a balance covers a redemption.
pub fn may_redeem(balance: i64, points: i64) -> Result<(), FieldError> {
    match points <= balance {
        true => Ok(()),
        false => Err(FieldError::new(
            "points",
            format!("积分余额为{balance}，不足{points}"),
            format!("the balance is {balance} points, short of {points}"),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_need_goes_from_open_to_confirmed_and_back_to_open_when_declined() {
        use NeedMove::*;
        let mut state = NeedState::Open;
        for (mv, to) in [
            (Offer, NeedState::Offered),
            (Decline, NeedState::Open),
            (Offer, NeedState::Offered),
            (Accept, NeedState::Accepted),
            (Report, NeedState::Done),
            (SendBack, NeedState::Accepted),
            (Report, NeedState::Done),
            (Confirm, NeedState::Confirmed),
        ] {
            state = mv.from(state).unwrap();
            assert_eq!(state, to, "{mv:?}");
        }
        assert_eq!(Cancel.from(NeedState::Done).unwrap_err().field, "move");
        assert_eq!(Accept.from(NeedState::Open).unwrap_err().field, "move");
        assert!(!NeedState::Confirmed.is_open() && NeedState::Done.with_helper());
    }

    #[test]
    fn each_party_makes_only_its_own_moves() {
        use NeedMove::*;
        for mv in NeedMove::ALL {
            let coordinator = mv.made_by(Party::Coordinator, true);
            let helper = mv.made_by(Party::Helper, true);
            let requester = mv.made_by(Party::Requester, true);
            match mv {
                Offer | Withdraw => assert!(coordinator && !helper && !requester),
                Accept | Decline | Report => assert!(!coordinator && helper && !requester),
                Confirm | SendBack | Cancel => assert!(coordinator && !helper && requester),
            }
        }
        // Staff answer for an organisation.
        assert!(Accept.made_by(Party::Coordinator, false) && !Accept.made_by(Party::Helper, false));
    }

    #[test]
    fn hours_come_in_half_hours_and_earn_ten_points_an_hour() {
        assert_eq!(check_hours("1.5").unwrap(), 90);
        assert_eq!(check_hours("8").unwrap(), 480);
        for bad in ["0", "0.25", "8.5", "-1", "一小时", "NaN"] {
            assert_eq!(check_hours(bad).unwrap_err().field, "hours", "{bad}");
        }
        assert_eq!(points_for(90), 15);
        assert_eq!(points_for(30), 5);
    }

    #[test]
    fn a_redemption_never_takes_more_than_the_balance() {
        assert_eq!(check_redemption("20", "理发服务一次", 25).unwrap(), (20, "理发服务一次".to_string()));
        assert_eq!(check_redemption("30", "理发服务一次", 25).unwrap_err().field, "points");
        assert_eq!(check_redemption("0", "理发服务一次", 25).unwrap_err().field, "points");
        assert_eq!(check_redemption("5", "", 25).unwrap_err().field, "item");
    }

    #[test]
    fn a_need_says_what_without_numbers_and_when_within_ninety_days() {
        let today = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        let need = |what: &str, on: NaiveDate| {
            Need {
                source: NeedSource::Resident,
                skill: Skill::Meals,
                what: what.to_string(),
                community_code: "110101001001".to_string(),
                on,
                part: DayPart::Morning,
                urgency: Urgency::Soon,
            }
            .check(today)
        };
        assert_eq!(need("每天中午送一份午餐", today).unwrap().what, "每天中午送一份午餐");
        assert_eq!(need("送餐，电话13800138000", today).unwrap_err().field, "what");
        assert_eq!(need("每天中午送一份午餐", today.pred_opt().unwrap()).unwrap_err().field, "on");
        assert_eq!(need("每天中午送一份午餐", today + chrono::Duration::days(91)).unwrap_err().field, "on");
        assert_eq!(check_rating("6").unwrap_err().field, "rating");
        assert_eq!(check_note("reason", " ", true).unwrap_err().field, "reason");
        assert_eq!(check_note("note", "", false).unwrap(), None);
    }
}
