//! Text messages about a case (短信通知): which events a resident who asked to be kept informed
//! hears about, the warning of danger sent to the street's dispatcher on duty, the invitation
//! to a 问效 survey about a unit's handling of the case, and what each message says. The
//! gateway that sends them (a provider or the development sink) lives outside the domain.

use crate::workflow::EventKind;

/// How long a link to a resident's case opens it (without the query code): long enough to
/// evaluate the case after it closes.
pub const LINK_VALID_DAYS: i64 = 90;

/// Why a message is sent about a case.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CaseNotice {
    /// Sent to the unit that must act (the first dispatch or a later one).
    Dispatched,
    /// Not accepted, with the reason on the tracking page.
    Rejected,
    /// The unit reports it handled, or a grid worker fixed it on the spot.
    Handled,
    /// Closed: the resident is asked to evaluate.
    Closed,
    /// To the street's dispatcher on duty, not a resident: the report holds words of danger and
    /// was made urgent.
    Danger,
    /// To the reporter of a case a unit closed: a 问效 survey asks how the unit handled it.
    SurveyInvite,
}

impl CaseNotice {
    pub const ALL: [CaseNotice; 6] =
        [Self::Dispatched, Self::Rejected, Self::Handled, Self::Closed, Self::Danger, Self::SurveyInvite];

    /// The notice an event gives, if any. Internal steps (acceptance, supervision, deadlines,
    /// extensions) are not news to the resident; a redispatch is, since the unit changed.
    pub fn for_event(event: &EventKind) -> Option<Self> {
        match event {
            EventKind::Dispatched { .. } | EventKind::Redispatched { .. } => Some(Self::Dispatched),
            EventKind::Rejected { .. } => Some(Self::Rejected),
            EventKind::Handled { .. } | EventKind::ResolvedOnSpot { .. } => Some(Self::Handled),
            EventKind::Verified { passed: true, .. } | EventKind::Closed { .. } => Some(Self::Closed),
            EventKind::Received { .. }
            | EventKind::Registered { .. }
            | EventKind::Reclassified { .. }
            | EventKind::Merged { .. }
            | EventKind::Returned { .. }
            | EventKind::Accepted { .. }
            | EventKind::Contacted { .. }
            | EventKind::ExtensionRequested { .. }
            | EventKind::ExtensionApproved { .. }
            | EventKind::ExtensionRejected { .. }
            | EventKind::Supervised { .. }
            | EventKind::Verified { passed: false, .. }
            | EventKind::VerificationStarted
            | EventKind::Evaluated { .. }
            | EventKind::Supplemented { .. }
            | EventKind::Reopened { .. }
            | EventKind::DueStatusChanged { .. }
            | EventKind::Imported { .. } => None,
        }
    }

    /// The name kept with a message (`case.dispatched`, …).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dispatched => "case.dispatched",
            Self::Rejected => "case.rejected",
            Self::Handled => "case.handled",
            Self::Closed => "case.closed",
            Self::Danger => "warning.danger",
            Self::SurveyInvite => "survey.invite",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|n| n.as_str() == s)
    }

    /// What the message is about, for the staff's list of messages.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::Dispatched => ("已派遣", "dispatched"),
            Self::Rejected => ("不予受理", "not accepted"),
            Self::Handled => ("已办结", "handled"),
            Self::Closed => ("已结案，请评价", "closed, please evaluate"),
            Self::Danger => ("危险信号，告知值班人员", "danger, to the dispatcher on duty"),
            Self::SurveyInvite => ("问效：请评价办理情况", "asked how the unit handled it"),
        }
    }

    /// The message: the tracking number, what happened (the unit's name when sent to one) and
    /// the link that opens the case (a resident's without its query code, staff's after they
    /// sign in). Residents read Chinese; the text stays within two SMS segments with a link of
    /// up to about 100 characters. A warning names no words and no one: a text message is not
    /// the place for what the resident wrote.
    pub fn text(self, tracking_no: &str, unit: Option<&str>, link: &str) -> String {
        let what = match (self, unit) {
            (Self::Dispatched, Some(unit)) => format!("已派至{unit}办理"),
            (Self::Dispatched, None) => "已派至承办单位办理".to_string(),
            (Self::Rejected, _) => "未予受理，原因请查看".to_string(),
            (Self::Handled, _) => "已办结，结果请查看".to_string(),
            (Self::Closed, _) => "已结案，请您评价办理结果".to_string(),
            (Self::Danger, _) => {
                return format!("【风险预警】编号{tracking_no}的诉求含危险信号，已列为紧急，请立即处置：{link}")
            }
            (Self::SurveyInvite, unit) => {
                let unit = unit.unwrap_or("承办单位");
                return format!("【问效】您反映的问题（编号{tracking_no}）由{unit}办理，请告诉我们办得怎样：{link}");
            }
        };
        format!("【接诉即办】您反映的问题（编号{tracking_no}）{what}：{link}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_read_back() {
        for notice in CaseNotice::ALL {
            assert_eq!(CaseNotice::parse(notice.as_str()), Some(notice));
        }
        assert_eq!(CaseNotice::parse("case.accepted"), None);
    }

    #[test]
    fn a_message_names_the_case_the_unit_and_the_link() {
        let text = CaseNotice::Dispatched.text("20261203000042", Some("东城区城市管理委员会"), "https://x/t?t=abc");
        assert_eq!(
            text,
            "【接诉即办】您反映的问题（编号20261203000042）已派至东城区城市管理委员会办理：https://x/t?t=abc"
        );
        assert!(CaseNotice::Closed.text("1", None, "L").contains("请您评价"));
    }

    #[test]
    fn a_warning_of_danger_names_the_case_and_nothing_it_says() {
        let text = CaseNotice::Danger.text("20261203000042", None, "https://x/cases/abc");
        assert_eq!(text, "【风险预警】编号20261203000042的诉求含危险信号，已列为紧急，请立即处置：https://x/cases/abc");
    }

    #[test]
    fn a_survey_invitation_names_the_case_the_unit_and_the_survey() {
        let text =
            CaseNotice::SurveyInvite.text("20261203000042", Some("东城区城市管理委员会"), "https://x/surveys/abc");
        assert_eq!(
            text,
            "【问效】您反映的问题（编号20261203000042）由东城区城市管理委员会办理，请告诉我们办得怎样：https://x/surveys/abc"
        );
    }

    #[test]
    fn only_what_a_resident_waits_for_is_news() {
        let dispatched = EventKind::Dispatched { unit: "u".into(), co_units: vec![], note: None };
        assert_eq!(CaseNotice::for_event(&dispatched), Some(CaseNotice::Dispatched));
        let accepted = EventKind::Accepted { unit: "u".into() };
        assert_eq!(CaseNotice::for_event(&accepted), None);
    }
}
