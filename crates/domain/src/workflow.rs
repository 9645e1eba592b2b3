//! The closed loop as a state machine: `decide` checks a move against the case, the actor
//! and the table of DESIGN §4 and returns the event it causes; `evolve` applies an event to
//! the case. Live moves and replays use the same `evolve`, so the row always equals the fold
//! of its events.

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::access::{Actor, Role, Scope};
use crate::calendar::{deadlines, WorkCalendar};
use crate::case::{
    CaseRecord, CaseState, Channel, DueStatus, Evaluation, PendingExtension, Place, Priority, RequestType, Satisfaction,
};
use crate::category::{Category, Taxonomy};
use crate::FieldError;

/// A move a person makes on a case, as posted to `/api/v1/cases/{id}/actions`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Move {
    /// 立案: accept the request as a case.
    Register {
        note: Option<String>,
    },
    /// 改类: correct the category or priority before dispatch; deadlines follow.
    Reclassify {
        category_code: Option<String>,
        priority: Option<Priority>,
        reason: String,
    },
    /// 不予受理: out of scope or invalid.
    Reject {
        reason: String,
    },
    /// A duplicate: fold into another open case.
    Merge {
        into: Uuid,
        reason: Option<String>,
    },
    /// 派遣 to a lead unit, optionally with co-handlers (协办).
    Dispatch {
        unit: String,
        #[serde(default)]
        co_units: Vec<String>,
        note: Option<String>,
    },
    /// 改派: send a dispatched case to another unit.
    Redispatch {
        unit: String,
        #[serde(default)]
        co_units: Vec<String>,
        reason: String,
    },
    /// 退单: the unit says the case is not theirs (before accepting, within the return window).
    Return {
        reason: String,
    },
    /// 签收: the lead unit accepts the case.
    Accept {},
    /// 联系群众: contact with the resident; the first one is the "response".
    Contact {
        note: String,
    },
    /// 申请延期.
    RequestExtension {
        days: u32,
        reason: String,
    },
    ApproveExtension {
        note: Option<String>,
    },
    RejectExtension {
        reason: String,
    },
    /// 督办, optionally escalated (升级督办).
    Supervise {
        note: String,
        #[serde(default)]
        escalate: bool,
    },
    /// 办结: the unit reports the result.
    ReportHandled {
        result: String,
        #[serde(default)]
        evidence: Vec<String>,
    },
    /// 就地解决: a grid worker fixed the problem they found on patrol, and closes it at once.
    ResolveOnSpot {
        result: String,
    },
    /// 核查: a grid worker or supervisor takes up verification.
    StartVerification {},
    /// 核查结果: passed closes the case, failed sends it back to the unit (返工).
    Verify {
        passed: bool,
        note: String,
    },
    /// 结案 without on-site verification.
    Close {
        note: Option<String>,
    },
    /// 评价: the resident (or an operator on a callback) evaluates a closed case.
    Evaluate {
        resolved: bool,
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    /// 重办 after an unresolved or dissatisfied evaluation.
    Reopen {
        reason: String,
    },
    /// 补充情况: the resident adds to their open case, in words, photos or both; `photos` is
    /// how many come with it (the store keeps them with the event).
    Supplement {
        text: Option<String>,
        #[serde(default)]
        photos: u32,
    },
}

/// The kinds of move, one per variant of [`Move`]: what the rule table, the labels and the
/// pages work with when no move has been made yet.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(rename_all = "snake_case")]
pub enum MoveKind {
    Register,
    Reclassify,
    Reject,
    Merge,
    Dispatch,
    Redispatch,
    Return,
    Accept,
    Contact,
    RequestExtension,
    ApproveExtension,
    RejectExtension,
    Supervise,
    ReportHandled,
    ResolveOnSpot,
    StartVerification,
    Verify,
    Close,
    Evaluate,
    Reopen,
    Supplement,
}

/// Who may make a move, and from which states.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rule {
    pub roles: &'static [Role],
    /// A resident may make it on their own case (found by tracking number and query code).
    pub resident: bool,
    /// The platform itself may make it: auto-dispatch rules register and dispatch.
    pub system: bool,
    pub from: &'static [CaseState],
}

impl MoveKind {
    /// Every kind, in the order of the closed loop.
    pub const ALL: [MoveKind; 21] = [
        Self::Register,
        Self::Reclassify,
        Self::Reject,
        Self::Merge,
        Self::Dispatch,
        Self::Redispatch,
        Self::Return,
        Self::Accept,
        Self::Contact,
        Self::RequestExtension,
        Self::ApproveExtension,
        Self::RejectExtension,
        Self::Supervise,
        Self::ReportHandled,
        Self::ResolveOnSpot,
        Self::StartVerification,
        Self::Verify,
        Self::Close,
        Self::Evaluate,
        Self::Reopen,
        Self::Supplement,
    ];

    /// The name the API uses (`"action"` of a move).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Register => "register",
            Self::Reclassify => "reclassify",
            Self::Reject => "reject",
            Self::Merge => "merge",
            Self::Dispatch => "dispatch",
            Self::Redispatch => "redispatch",
            Self::Return => "return",
            Self::Accept => "accept",
            Self::Contact => "contact",
            Self::RequestExtension => "request_extension",
            Self::ApproveExtension => "approve_extension",
            Self::RejectExtension => "reject_extension",
            Self::Supervise => "supervise",
            Self::ReportHandled => "report_handled",
            Self::ResolveOnSpot => "resolve_on_spot",
            Self::StartVerification => "start_verification",
            Self::Verify => "verify",
            Self::Close => "close",
            Self::Evaluate => "evaluate",
            Self::Reopen => "reopen",
            Self::Supplement => "supplement",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// The move's name in Chinese and English, for messages and pages.
    pub fn label(self) -> (&'static str, &'static str) {
        match self {
            Self::Register => ("立案", "Register"),
            Self::Reclassify => ("改类", "Reclassify"),
            Self::Reject => ("不予受理", "Reject"),
            Self::Merge => ("合并", "Merge"),
            Self::Dispatch => ("派遣", "Dispatch"),
            Self::Redispatch => ("改派", "Redispatch"),
            Self::Return => ("退单", "Return"),
            Self::Accept => ("签收", "Accept"),
            Self::Contact => ("联系群众", "Contact the resident"),
            Self::RequestExtension => ("申请延期", "Request an extension"),
            Self::ApproveExtension => ("批准延期", "Approve the extension"),
            Self::RejectExtension => ("驳回延期", "Refuse the extension"),
            Self::Supervise => ("督办", "Supervise"),
            Self::ReportHandled => ("办结", "Report the result"),
            Self::ResolveOnSpot => ("就地解决", "Resolve on the spot"),
            Self::StartVerification => ("开始核查", "Start verification"),
            Self::Verify => ("核查", "Verify"),
            Self::Close => ("结案", "Close"),
            Self::Evaluate => ("评价", "Evaluate"),
            Self::Reopen => ("重办", "Reopen"),
            Self::Supplement => ("补充情况", "Add information"),
        }
    }

    pub fn label_zh(self) -> &'static str {
        self.label().0
    }

    /// The table of DESIGN §4: who may make each move, from which states.
    pub fn rule(self) -> Rule {
        use CaseState::*;
        use Role::*;
        let r =
            |roles: &'static [Role], from: &'static [CaseState]| Rule { roles, resident: false, system: false, from };
        match self {
            Self::Register => Rule { system: true, ..r(&[Dispatcher], &[Received]) },
            Self::Reclassify | Self::Reject | Self::Merge => r(&[Dispatcher], &[Received, Registered]),
            Self::Dispatch => Rule { system: true, ..r(&[Dispatcher], &[Registered]) },
            Self::Redispatch => r(&[Dispatcher], &[Dispatched, InProgress]),
            Self::Return | Self::Accept => r(&[Handler], &[Dispatched]),
            Self::Contact | Self::RequestExtension | Self::ReportHandled => r(&[Handler], &[InProgress]),
            Self::ApproveExtension | Self::RejectExtension => r(&[Supervisor], &[InProgress]),
            Self::Supervise => r(&[Supervisor], &[Dispatched, InProgress, Handled, Verifying]),
            Self::ResolveOnSpot => r(&[GridWorker], &[Received]),
            Self::StartVerification => r(&[Supervisor, GridWorker], &[Handled]),
            Self::Verify => r(&[Supervisor, GridWorker], &[Verifying]),
            Self::Close => r(&[Supervisor], &[Handled]),
            Self::Evaluate => Rule { resident: true, ..r(&[Operator], &[Closed]) },
            Self::Reopen => r(&[Supervisor], &[Closed]),
            // The resident adds to an open case; an operator writes down what they add by phone.
            Self::Supplement => Rule {
                resident: true,
                ..r(&[Operator], &[Received, Registered, Dispatched, InProgress, Handled, Verifying])
            },
        }
    }
}

impl std::fmt::Display for MoveKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl Move {
    pub fn kind(&self) -> MoveKind {
        match self {
            Self::Register { .. } => MoveKind::Register,
            Self::Reclassify { .. } => MoveKind::Reclassify,
            Self::Reject { .. } => MoveKind::Reject,
            Self::Merge { .. } => MoveKind::Merge,
            Self::Dispatch { .. } => MoveKind::Dispatch,
            Self::Redispatch { .. } => MoveKind::Redispatch,
            Self::Return { .. } => MoveKind::Return,
            Self::Accept {} => MoveKind::Accept,
            Self::Contact { .. } => MoveKind::Contact,
            Self::RequestExtension { .. } => MoveKind::RequestExtension,
            Self::ApproveExtension { .. } => MoveKind::ApproveExtension,
            Self::RejectExtension { .. } => MoveKind::RejectExtension,
            Self::Supervise { .. } => MoveKind::Supervise,
            Self::ReportHandled { .. } => MoveKind::ReportHandled,
            Self::ResolveOnSpot { .. } => MoveKind::ResolveOnSpot,
            Self::StartVerification {} => MoveKind::StartVerification,
            Self::Verify { .. } => MoveKind::Verify,
            Self::Close { .. } => MoveKind::Close,
            Self::Evaluate { .. } => MoveKind::Evaluate,
            Self::Reopen { .. } => MoveKind::Reopen,
            Self::Supplement { .. } => MoveKind::Supplement,
        }
    }

    pub fn name(&self) -> &'static str {
        self.kind().as_str()
    }

    pub fn label_zh(&self) -> &'static str {
        self.kind().label_zh()
    }

    /// The states this move may start from (for showing only the actions that apply).
    pub fn allowed_from(&self) -> &'static [CaseState] {
        self.kind().rule().from
    }

    pub fn allowed_roles(&self) -> &'static [Role] {
        self.kind().rule().roles
    }
}

/// The most photos one move brings, as a report does.
pub const MAX_PHOTOS: usize = 6;

/// Checks the photos a move brings: a resident's addition brings the number it announces; a
/// unit reporting handled a case whose category requires it (数字城管) shows the result in at
/// least one; other moves bring none.
pub fn check_photos(mv: &Move, category: Option<&Category>, given: usize) -> Result<(), FieldError> {
    let refuse = |zh: String, en: String| Err(FieldError::new("photo", zh, en));
    match mv {
        _ if given > MAX_PHOTOS => refuse(format!("最多{MAX_PHOTOS}张照片"), format!("at most {MAX_PHOTOS} photos")),
        Move::Supplement { photos, .. } if *photos as usize != given => refuse(
            format!("照片数量不符：应为{photos}张"),
            format!("{given} photos given where the move announces {photos}"),
        ),
        Move::ReportHandled { .. } if given == 0 && category.is_some_and(|c| c.photo_on_handling) => refuse(
            "此类问题办结时须上传处置后的照片".into(),
            "this category needs a photo of the result when it is reported handled".into(),
        ),
        Move::Supplement { .. } | Move::ReportHandled { .. } | Move::ResolveOnSpot { .. } => Ok(()),
        _ if given > 0 => {
            refuse(format!("“{}”不附照片", mv.label_zh()), format!("'{}' takes no photos", mv.kind().label().1))
        }
        _ => Ok(()),
    }
}

/// The moves `actor` may make on `case` now: those whose preconditions hold (the table, the
/// lead unit, a pending extension, the evaluation round, …). What the move then carries is
/// checked when it is made.
pub fn open_actions(case: &CaseRecord, actor: &Actor, ctx: &MoveContext) -> Vec<MoveKind> {
    MoveKind::ALL.into_iter().filter(|kind| may_make(case, actor, *kind, ctx).is_ok()).collect()
}

/// What happened to a case. Each carries what `evolve` needs to rebuild the row, so a
/// replay needs neither the calendar nor the taxonomy.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventKind {
    Received {
        tracking_no: String,
        category_code: String,
        request_type: RequestType,
        priority: Priority,
        channel: Channel,
        description: String,
        place: Place,
        response_due: DateTime<Utc>,
        resolve_due: DateTime<Utc>,
    },
    Registered {
        note: Option<String>,
    },
    /// The category or priority was corrected; the deadlines are those they give.
    Reclassified {
        category_code: String,
        priority: Priority,
        response_due: DateTime<Utc>,
        resolve_due: DateTime<Utc>,
        reason: String,
    },
    Rejected {
        reason: String,
    },
    Merged {
        into: Uuid,
        reason: Option<String>,
    },
    Dispatched {
        unit: String,
        co_units: Vec<String>,
        note: Option<String>,
    },
    Redispatched {
        unit: String,
        co_units: Vec<String>,
        reason: String,
    },
    Returned {
        unit: String,
        reason: String,
    },
    Accepted {
        unit: String,
    },
    Contacted {
        note: String,
    },
    ExtensionRequested {
        days: u32,
        reason: String,
    },
    ExtensionApproved {
        days: u32,
        resolve_due: DateTime<Utc>,
        note: Option<String>,
    },
    ExtensionRejected {
        reason: String,
    },
    Supervised {
        note: String,
        escalate: bool,
    },
    Handled {
        result: String,
        evidence: Vec<String>,
    },
    ResolvedOnSpot {
        result: String,
    },
    VerificationStarted,
    Verified {
        passed: bool,
        note: String,
    },
    Closed {
        note: Option<String>,
    },
    Evaluated {
        resolved: bool,
        satisfaction: Satisfaction,
        comment: Option<String>,
    },
    Reopened {
        reason: String,
        response_due: DateTime<Utc>,
        resolve_due: DateTime<Utc>,
    },
    /// The resident added to the case; nothing else changes.
    Supplemented {
        text: Option<String>,
        photos: u32,
    },
    /// Written by the deadline worker when a case falls due soon or overdue.
    DueStatusChanged {
        due_status: DueStatus,
    },
    /// A case brought over from another hotline system (`grassroots import cases`), with what
    /// that system recorded of its handling. `at` is when it closed there, else its receipt.
    Imported {
        source: String,
        external_id: String,
        unit: Option<String>,
        responded_at: Option<DateTime<Utc>>,
        closed_at: Option<DateTime<Utc>>,
        result: Option<String>,
    },
}

impl EventKind {
    /// The free text people typed into this event (description, notes, reasons, results,
    /// comments), by field, for the store to mask what is personal in it.
    pub fn free_texts_mut(&mut self) -> Vec<(&'static str, &mut String)> {
        let mut texts: Vec<(&'static str, &mut String)> = Vec::new();
        match self {
            Self::Received { description, place, .. } => {
                texts.push(("description", description));
                if let Some(address) = place.address.as_mut() {
                    texts.push(("address", address));
                }
            }
            Self::Registered { note }
            | Self::Dispatched { note, .. }
            | Self::ExtensionApproved { note, .. }
            | Self::Closed { note } => texts.extend(note.as_mut().map(|n| ("note", n))),
            Self::Merged { reason, .. } => texts.extend(reason.as_mut().map(|r| ("reason", r))),
            Self::Reclassified { reason, .. }
            | Self::Rejected { reason }
            | Self::Redispatched { reason, .. }
            | Self::Returned { reason, .. }
            | Self::ExtensionRequested { reason, .. }
            | Self::ExtensionRejected { reason }
            | Self::Reopened { reason, .. } => texts.push(("reason", reason)),
            Self::Contacted { note } | Self::Supervised { note, .. } | Self::Verified { note, .. } => {
                texts.push(("note", note))
            }
            Self::Handled { result, .. } | Self::ResolvedOnSpot { result } => texts.push(("result", result)),
            Self::Evaluated { comment, .. } => texts.extend(comment.as_mut().map(|c| ("comment", c))),
            Self::Supplemented { text, .. } => texts.extend(text.as_mut().map(|t| ("text", t))),
            Self::Imported { result, .. } => texts.extend(result.as_mut().map(|r| ("result", r))),
            Self::Accepted { .. } | Self::VerificationStarted | Self::DueStatusChanged { .. } => {}
        }
        texts
    }

    pub fn name(&self) -> &'static str {
        match self {
            Self::Received { .. } => "received",
            Self::Registered { .. } => "registered",
            Self::Reclassified { .. } => "reclassified",
            Self::Rejected { .. } => "rejected",
            Self::Merged { .. } => "merged",
            Self::Dispatched { .. } => "dispatched",
            Self::Redispatched { .. } => "redispatched",
            Self::Returned { .. } => "returned",
            Self::Accepted { .. } => "accepted",
            Self::Contacted { .. } => "contacted",
            Self::ExtensionRequested { .. } => "extension_requested",
            Self::ExtensionApproved { .. } => "extension_approved",
            Self::ExtensionRejected { .. } => "extension_rejected",
            Self::Supervised { .. } => "supervised",
            Self::Handled { .. } => "handled",
            Self::ResolvedOnSpot { .. } => "resolved_on_spot",
            Self::VerificationStarted => "verification_started",
            Self::Verified { .. } => "verified",
            Self::Closed { .. } => "closed",
            Self::Evaluated { .. } => "evaluated",
            Self::Reopened { .. } => "reopened",
            Self::Supplemented { .. } => "supplemented",
            Self::DueStatusChanged { .. } => "due_status_changed",
            Self::Imported { .. } => "imported",
        }
    }

    /// What happened, in Chinese and English, as staff read it in a case's history.
    pub fn label(&self) -> (&'static str, &'static str) {
        let name = self.name();
        EVENT_LABELS.iter().find(|(n, _, _)| *n == name).map_or(("事件", "event"), |(_, zh, en)| (*zh, *en))
    }

    /// The resident's timeline in plain words, or None for internal steps.
    pub fn public_summary(&self) -> Option<(String, String)> {
        let s = |zh: &str, en: &str| Some((zh.to_string(), en.to_string()));
        match self {
            Self::Received { .. } => s("您的诉求已受理", "Your request was received"),
            Self::Registered { .. } => s("已立案，等待派遣", "Registered as a case, awaiting dispatch"),
            Self::Rejected { reason } => Some((format!("不予受理：{reason}"), format!("Not accepted: {reason}"))),
            Self::Merged { .. } => s("与相同问题的诉求合并办理", "Merged with a request about the same problem"),
            Self::Dispatched { .. } | Self::Redispatched { .. } => {
                s("已派遣至承办单位", "Sent to the responsible unit")
            }
            Self::Accepted { .. } => s("承办单位已签收，正在处置", "The responsible unit has taken it on"),
            Self::Contacted { .. } => s("承办单位已与您联系", "The responsible unit contacted you"),
            Self::ExtensionApproved { .. } => s("办理时限已延长", "The deadline was extended"),
            Self::Handled { result, .. } => Some((format!("已办结：{result}"), format!("Handled: {result}"))),
            Self::ResolvedOnSpot { result } => {
                Some((format!("网格员已现场解决：{result}"), format!("Fixed on the spot by the grid worker: {result}")))
            }
            Self::Verified { passed: true, .. } => {
                s("核查通过，已结案，欢迎评价", "Verified on site and closed; please evaluate")
            }
            Self::Verified { passed: false, .. } => {
                s("核查未通过，重新处置", "Verification failed; being handled again")
            }
            Self::Closed { .. } => s("已结案，欢迎评价", "Closed; please evaluate"),
            Self::Evaluated { .. } => s("您已评价", "You evaluated the case"),
            Self::Reopened { .. } => s("根据您的评价重新办理", "Reopened after your evaluation"),
            Self::Supplemented { text, photos } => {
                let words = text.as_deref().unwrap_or_default();
                let (zh, en) = match photos {
                    0 => (String::new(), String::new()),
                    n => (format!("（附照片{n}张）"), format!(" ({n} photo{})", if *n == 1 { "" } else { "s" })),
                };
                Some((format!("您补充了情况：{words}{zh}"), format!("You added: {words}{en}")))
            }
            Self::Imported { .. } => {
                s("办理记录由原热线系统迁入", "The record was moved over from the former hotline system")
            }
            _ => None,
        }
    }
}

/// Every kind of event by name, with what it means in Chinese and English as staff read it in
/// a case's history. The names are also the topics other systems subscribe to (`case.NAME`).
pub const EVENT_LABELS: &[(&str, &str, &str)] = &[
    ("received", "受理", "received"),
    ("registered", "立案", "registered"),
    ("reclassified", "改类", "reclassified"),
    ("rejected", "不予受理", "rejected"),
    ("merged", "合并", "merged"),
    ("dispatched", "派遣", "dispatched"),
    ("redispatched", "改派", "redispatched"),
    ("returned", "退单", "returned by the unit"),
    ("accepted", "签收", "accepted by the unit"),
    ("contacted", "联系群众", "resident contacted"),
    ("extension_requested", "申请延期", "extension requested"),
    ("extension_approved", "批准延期", "extension approved"),
    ("extension_rejected", "驳回延期", "extension refused"),
    ("supervised", "督办", "supervised"),
    ("handled", "办结", "handled"),
    ("resolved_on_spot", "就地解决", "resolved on the spot"),
    ("verification_started", "开始核查", "verification started"),
    ("verified", "核查", "verified"),
    ("closed", "结案", "closed"),
    ("evaluated", "评价", "evaluated"),
    ("reopened", "重办", "reopened"),
    ("supplemented", "补充情况", "information added"),
    ("due_status_changed", "时限提醒", "deadline status changed"),
    ("imported", "从其他系统导入", "imported from another system"),
];

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseEvent {
    pub id: Uuid,
    pub case_id: Uuid,
    pub seq: i64,
    pub at: DateTime<Utc>,
    /// "dispatcher", "resident", "system", …
    pub actor_kind: String,
    pub actor_id: Option<Uuid>,
    pub kind: EventKind,
}

#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum MoveError {
    /// The actor's role may never make this move. (HTTP 403)
    #[error("role {role} may not {action}")]
    Forbidden { role: String, action: MoveKind },
    /// The move does not apply in the case's state. (HTTP 409)
    #[error("cannot {action} a case in state {}", state.as_str())]
    IllegalState { state: CaseState, action: MoveKind },
    /// The move applies to the state but a condition is not met. (HTTP 409)
    #[error("{reason_en}")]
    Conflict { reason_zh: String, reason_en: String },
    /// A field of the move is invalid. (HTTP 422)
    #[error(transparent)]
    Invalid(#[from] FieldError),
}

impl MoveError {
    fn conflict(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Conflict { reason_zh: zh.into(), reason_en: en.into() }
    }

    /// What went wrong in Chinese and English, naming the state and the move where that is the
    /// reason.
    pub fn texts(&self) -> (String, String) {
        match self {
            Self::Forbidden { role, action } => {
                (format!("角色“{role}”无权执行“{}”", action.label_zh()), format!("role {role} may not {action}"))
            }
            Self::IllegalState { state, action } => (
                format!("案件处于“{}”状态，不能执行“{}”", state.label_zh(), action.label_zh()),
                format!("cannot {action} a case in state {}", state.as_str()),
            ),
            Self::Conflict { reason_zh, reason_en } => (reason_zh.clone(), reason_en.clone()),
            Self::Invalid(e) => (format!("{}：{}", e.field, e.reason_zh), format!("{}: {}", e.field, e.reason_en)),
        }
    }

    /// "中文 / English".
    pub fn message(&self) -> String {
        let (zh, en) = self.texts();
        format!("{zh} / {en}")
    }
}

/// Policy and clock a decision needs.
pub struct MoveContext<'a> {
    pub now: DateTime<Utc>,
    pub calendar: &'a WorkCalendar,
    pub taxonomy: &'a Taxonomy,
    /// How long after dispatch a unit may still return a case (退单时限).
    pub return_window: Duration,
    pub max_extension_days: u32,
}

fn text(field: &'static str, value: &str, max: usize) -> Result<String, FieldError> {
    let v = crate::text::trimmed(value);
    let len = v.chars().count();
    if len == 0 {
        return Err(FieldError::new(field, "不能为空", "must not be empty"));
    }
    if len > max {
        return Err(FieldError::new(
            field,
            format!("不能超过{max}个字符"),
            format!("must be at most {max} characters"),
        ));
    }
    Ok(v.to_string())
}

fn optional_text(field: &'static str, value: &Option<String>, max: usize) -> Result<Option<String>, FieldError> {
    match value.as_deref().map(crate::text::trimmed) {
        None | Some("") => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

fn units(unit: &str, co_units: &[String]) -> Result<(String, Vec<String>), FieldError> {
    let unit = text("unit", unit, 64)?;
    let mut co: Vec<String> = Vec::new();
    for u in co_units {
        let u = text("co_units", u, 64)?;
        if u == unit {
            return Err(FieldError::new(
                "co_units",
                "协办单位不能与主办单位相同",
                "a co-handler cannot also be the lead unit",
            ));
        }
        if !co.contains(&u) {
            co.push(u);
        }
    }
    Ok((unit, co))
}

/// Checks `mv` by `actor` against `case` and returns the event it causes: first the move's
/// preconditions (`may_make`), then what it carries. The caller has already established that
/// the case is within the actor's scope.
pub fn decide(case: &CaseRecord, actor: &Actor, mv: &Move, ctx: &MoveContext) -> Result<EventKind, MoveError> {
    may_make(case, actor, mv.kind(), ctx)?;
    event_of(case, mv, ctx)
}

/// Whether `actor` may make a move of this kind on `case` now, whatever it will carry: the
/// table (role and state), then the conditions of the case and the clock.
pub fn may_make(case: &CaseRecord, actor: &Actor, kind: MoveKind, ctx: &MoveContext) -> Result<(), MoveError> {
    let rule = kind.rule();
    let permitted = match actor {
        Actor::Staff { role, .. } => rule.roles.contains(role),
        Actor::Resident => rule.resident,
        Actor::System => rule.system,
        Actor::ApiKey { .. } => false,
    };
    if !permitted {
        return Err(MoveError::Forbidden { role: actor.kind().to_string(), action: kind });
    }
    if !rule.from.contains(&case.state) {
        return Err(MoveError::IllegalState { state: case.state, action: kind });
    }
    let lead_unit_only = || match (actor, &case.lead_unit) {
        (Actor::Staff { scope: Scope::Unit { unit }, .. }, Some(lead)) if unit == lead => Ok(()),
        _ => Err(MoveError::conflict("只有主办单位可以执行此操作", "only the lead unit may do this")),
    };
    let no_pending_extension = || match case.pending_extension {
        None => Err(MoveError::conflict("没有待审批的延期申请", "no extension request is pending")),
        Some(_) => Ok(()),
    };
    match kind {
        MoveKind::Return => {
            lead_unit_only()?;
            let dispatched_at = case.dispatched_at.unwrap_or(case.received_at);
            if ctx.now - dispatched_at > ctx.return_window {
                return Err(MoveError::conflict(
                    format!("已超过退单时限（派遣后{}小时内）", ctx.return_window.num_hours()),
                    format!("the return window ({} hours after dispatch) has passed", ctx.return_window.num_hours()),
                ));
            }
            Ok(())
        }
        MoveKind::Accept | MoveKind::Contact => lead_unit_only(),
        MoveKind::RequestExtension => {
            lead_unit_only()?;
            match case.pending_extension {
                Some(_) => Err(MoveError::conflict("已有待审批的延期申请", "an extension request is already pending")),
                None => Ok(()),
            }
        }
        MoveKind::ApproveExtension | MoveKind::RejectExtension => no_pending_extension(),
        MoveKind::ReportHandled => {
            lead_unit_only()?;
            // 先联系后办结: the resident hears from the unit before it reports the case handled
            // (for an anonymous report, the contact note says that nobody could be reached).
            match case.first_contact_at {
                None => Err(MoveError::conflict(
                    "请先记录与群众的联系，再报告办结",
                    "record contact with the resident before reporting the case handled",
                )),
                Some(_) => Ok(()),
            }
        }
        MoveKind::ResolveOnSpot if case.channel != Channel::GridPatrol => Err(MoveError::conflict(
            "只有网格员巡查上报的问题可以就地解决",
            "only problems reported on grid patrol can be resolved on the spot",
        )),
        MoveKind::Evaluate if case.evaluation.as_ref().is_some_and(|e| e.round == case.reopen_count) => {
            Err(MoveError::conflict("本轮办理已评价", "this case has already been evaluated"))
        }
        MoveKind::Reopen => {
            let current = case.evaluation.as_ref().filter(|e| e.round == case.reopen_count);
            match current {
                Some(e) if !e.resolved || e.satisfaction == Satisfaction::Dissatisfied => Ok(()),
                _ => Err(MoveError::conflict(
                    "只有评价为未解决或不满意的案件可以重办",
                    "only a case evaluated as unresolved or dissatisfied can be reopened",
                )),
            }
        }
        MoveKind::Register
        | MoveKind::Reclassify
        | MoveKind::Reject
        | MoveKind::Merge
        | MoveKind::Dispatch
        | MoveKind::Redispatch
        | MoveKind::Supervise
        | MoveKind::ResolveOnSpot
        | MoveKind::StartVerification
        | MoveKind::Verify
        | MoveKind::Close
        | MoveKind::Evaluate
        | MoveKind::Supplement => Ok(()),
    }
}

/// The event a permitted move causes, once what it carries is checked.
fn event_of(case: &CaseRecord, mv: &Move, ctx: &MoveContext) -> Result<EventKind, MoveError> {
    Ok(match mv {
        Move::Register { note } => EventKind::Registered { note: optional_text("note", note, 1000)? },
        Move::Reclassify { category_code, priority, reason } => {
            if category_code.is_none() && priority.is_none() {
                return Err(FieldError::new(
                    "category_code",
                    "请给出新的类别或紧急程度",
                    "give a new category or priority",
                )
                .into());
            }
            let category = ctx.taxonomy.lookup(category_code.as_deref().unwrap_or(&case.category_code))?;
            let priority = priority.unwrap_or(case.priority);
            let due = deadlines(ctx.calendar, category, priority, case.clock_started_at);
            EventKind::Reclassified {
                category_code: category.code.0.clone(),
                priority,
                response_due: due.response_due,
                resolve_due: due.resolve_due,
                reason: text("reason", reason, 1000)?,
            }
        }
        Move::Reject { reason } => EventKind::Rejected { reason: text("reason", reason, 1000)? },
        Move::Merge { into, reason } => {
            if *into == case.id {
                return Err(FieldError::new("into", "不能与自身合并", "a case cannot be merged into itself").into());
            }
            EventKind::Merged { into: *into, reason: optional_text("reason", reason, 1000)? }
        }
        Move::Dispatch { unit, co_units, note } => {
            let (unit, co_units) = units(unit, co_units)?;
            EventKind::Dispatched { unit, co_units, note: optional_text("note", note, 1000)? }
        }
        Move::Redispatch { unit, co_units, reason } => {
            let (unit, co_units) = units(unit, co_units)?;
            if case.lead_unit.as_deref() == Some(unit.as_str()) {
                return Err(FieldError::new(
                    "unit",
                    "改派的单位与当前主办单位相同",
                    "the case is already with this unit",
                )
                .into());
            }
            EventKind::Redispatched { unit, co_units, reason: text("reason", reason, 1000)? }
        }
        Move::Return { reason } => {
            EventKind::Returned { unit: lead_unit(case)?, reason: text("reason", reason, 1000)? }
        }
        Move::Accept {} => EventKind::Accepted { unit: lead_unit(case)? },
        Move::Contact { note } => EventKind::Contacted { note: text("note", note, 1000)? },
        Move::RequestExtension { days, reason } => {
            if *days == 0 || *days > ctx.max_extension_days {
                return Err(FieldError::new(
                    "days",
                    format!("延期天数应为1到{}个工作日", ctx.max_extension_days),
                    format!("must be between 1 and {} working days", ctx.max_extension_days),
                )
                .into());
            }
            EventKind::ExtensionRequested { days: *days, reason: text("reason", reason, 1000)? }
        }
        Move::ApproveExtension { note } => {
            let days = case.pending_extension.as_ref().map_or(0, |p| p.days);
            EventKind::ExtensionApproved {
                days,
                resolve_due: ctx.calendar.add_working_days(case.resolve_due, days),
                note: optional_text("note", note, 1000)?,
            }
        }
        Move::RejectExtension { reason } => EventKind::ExtensionRejected { reason: text("reason", reason, 1000)? },
        Move::Supervise { note, escalate } => {
            EventKind::Supervised { note: text("note", note, 1000)?, escalate: *escalate }
        }
        Move::ReportHandled { result, evidence } => {
            let evidence = evidence.iter().map(|e| text("evidence", e, 500)).collect::<Result<Vec<_>, _>>()?;
            if evidence.len() > 20 {
                return Err(FieldError::new("evidence", "最多20项", "at most 20 items").into());
            }
            EventKind::Handled { result: text("result", result, 4000)?, evidence }
        }
        Move::ResolveOnSpot { result } => EventKind::ResolvedOnSpot { result: text("result", result, 4000)? },
        Move::StartVerification {} => EventKind::VerificationStarted,
        Move::Verify { passed, note } => EventKind::Verified { passed: *passed, note: text("note", note, 1000)? },
        Move::Close { note } => EventKind::Closed { note: optional_text("note", note, 1000)? },
        Move::Evaluate { resolved, satisfaction, comment } => EventKind::Evaluated {
            resolved: *resolved,
            satisfaction: *satisfaction,
            comment: optional_text("comment", comment, 1000)?,
        },
        Move::Supplement { text: added, photos } => {
            let added = optional_text("text", added, 2000)?;
            if added.is_none() && *photos == 0 {
                return Err(FieldError::new(
                    "text",
                    "请写下要补充的情况或附上照片",
                    "write what to add, or attach photos",
                )
                .into());
            }
            EventKind::Supplemented { text: added, photos: *photos }
        }
        Move::Reopen { reason } => {
            let category = ctx.taxonomy.lookup(&case.category_code)?;
            let due = deadlines(ctx.calendar, category, case.priority, ctx.now);
            EventKind::Reopened {
                reason: text("reason", reason, 1000)?,
                response_due: due.response_due,
                resolve_due: due.resolve_due,
            }
        }
    })
}

/// The lead unit a unit's move is recorded against (`may_make` has checked the actor is it).
fn lead_unit(case: &CaseRecord) -> Result<String, MoveError> {
    case.lead_unit.clone().ok_or_else(|| MoveError::conflict("案件没有主办单位", "the case has no lead unit"))
}

/// How close `case` is to its pending deadlines at `now`. A deadline is pending while the
/// unit still owes the step it measures; a warning starts when a quarter of the time is left.
pub fn due_status_at(case: &CaseRecord, now: DateTime<Utc>) -> DueStatus {
    if !case.state.is_pending() {
        return case.due_status;
    }
    let mut pending = vec![case.resolve_due];
    if case.first_contact_at.is_none() {
        pending.push(case.response_due);
    }
    let mut status = DueStatus::OnTime;
    for due in pending {
        if now > due {
            return DueStatus::Overdue;
        }
        if (due - now) * 4 <= due - case.clock_started_at {
            status = DueStatus::DueSoon;
        }
    }
    status
}

/// Applies an event. `case` is `None` only for the `Received` event that creates it.
pub fn evolve(case: Option<CaseRecord>, event: &CaseEvent) -> Result<CaseRecord, String> {
    let at = event.at;
    let mut c = match (case, &event.kind) {
        (
            None,
            EventKind::Received {
                tracking_no,
                category_code,
                request_type,
                priority,
                channel,
                description,
                place,
                response_due,
                resolve_due,
            },
        ) => CaseRecord {
            id: event.case_id,
            tracking_no: tracking_no.clone(),
            state: CaseState::Received,
            category_code: category_code.clone(),
            request_type: *request_type,
            priority: *priority,
            channel: *channel,
            description: description.clone(),
            place: place.clone(),
            received_at: at,
            clock_started_at: at,
            response_due: *response_due,
            resolve_due: *resolve_due,
            lead_unit: None,
            co_units: Vec::new(),
            first_dispatched_at: None,
            dispatched_at: None,
            first_contact_at: None,
            responded_on_time: None,
            handled_at: None,
            closed_at: None,
            result: None,
            reject_reason: None,
            merged_into: None,
            pending_extension: None,
            resolved_on_spot: false,
            return_count: 0,
            reopen_count: 0,
            supervision_count: 0,
            escalated: false,
            evaluation: None,
            due_status: DueStatus::OnTime,
            version: 0,
            updated_at: at,
        },
        (None, other) => return Err(format!("a case must start with a received event, not {}", other.name())),
        (Some(_), EventKind::Received { .. }) => return Err("a case can be received only once".into()),
        (Some(c), _) => c,
    };
    if event.seq != c.version + 1 {
        return Err(format!("event {} out of order: expected sequence {}", event.seq, c.version + 1));
    }
    if c.state.is_pending() {
        c.due_status = due_status_at(&c, at);
    }
    match &event.kind {
        EventKind::Received { .. } | EventKind::Supplemented { .. } => {}
        EventKind::Registered { .. } => c.state = CaseState::Registered,
        EventKind::Reclassified { category_code, priority, response_due, resolve_due, .. } => {
            c.category_code = category_code.clone();
            c.priority = *priority;
            c.response_due = *response_due;
            c.resolve_due = *resolve_due;
        }
        EventKind::Rejected { reason } => {
            c.state = CaseState::Rejected;
            c.reject_reason = Some(reason.clone());
        }
        EventKind::Merged { into, .. } => {
            c.state = CaseState::Merged;
            c.merged_into = Some(*into);
        }
        EventKind::Dispatched { unit, co_units, .. } | EventKind::Redispatched { unit, co_units, .. } => {
            c.state = CaseState::Dispatched;
            c.lead_unit = Some(unit.clone());
            c.co_units = co_units.clone();
            c.first_dispatched_at.get_or_insert(at);
            c.dispatched_at = Some(at);
            c.pending_extension = None;
        }
        EventKind::Returned { .. } => {
            c.state = CaseState::Registered;
            c.lead_unit = None;
            c.co_units.clear();
            c.dispatched_at = None;
            c.return_count += 1;
        }
        EventKind::Accepted { .. } => c.state = CaseState::InProgress,
        EventKind::Contacted { .. } => {
            c.first_contact_at.get_or_insert(at);
            if c.responded_on_time.is_none() {
                c.responded_on_time = Some(at <= c.response_due);
            }
        }
        EventKind::ExtensionRequested { days, reason } => {
            c.pending_extension = Some(PendingExtension { days: *days, reason: reason.clone() })
        }
        EventKind::ExtensionApproved { resolve_due, .. } => {
            c.pending_extension = None;
            c.resolve_due = *resolve_due;
        }
        EventKind::ExtensionRejected { .. } => c.pending_extension = None,
        EventKind::Supervised { escalate, .. } => {
            c.supervision_count += 1;
            c.escalated |= escalate;
        }
        EventKind::Handled { result, .. } => {
            c.state = CaseState::Handled;
            c.result = Some(result.clone());
            c.handled_at = Some(at);
            c.pending_extension = None;
        }
        EventKind::ResolvedOnSpot { result } => {
            c.state = CaseState::Closed;
            c.result = Some(result.clone());
            c.handled_at = Some(at);
            c.closed_at = Some(at);
            c.resolved_on_spot = true;
        }
        EventKind::VerificationStarted => c.state = CaseState::Verifying,
        EventKind::Verified { passed: true, .. } => {
            c.state = CaseState::Closed;
            c.closed_at = Some(at);
        }
        EventKind::Verified { passed: false, .. } => {
            c.state = CaseState::InProgress;
            c.handled_at = None;
            c.result = None;
        }
        EventKind::Closed { .. } => {
            c.state = CaseState::Closed;
            c.closed_at = Some(at);
        }
        EventKind::Evaluated { resolved, satisfaction, comment } => {
            c.evaluation = Some(Evaluation {
                resolved: *resolved,
                satisfaction: *satisfaction,
                comment: comment.clone(),
                at,
                round: c.reopen_count,
            })
        }
        EventKind::Reopened { response_due, resolve_due, .. } => {
            // Back to its unit; a case the grid worker had fixed on the spot never had one, so
            // it waits for dispatch like any registered case.
            let unit_known = c.lead_unit.is_some();
            c.state = if unit_known { CaseState::Dispatched } else { CaseState::Registered };
            c.dispatched_at = unit_known.then_some(at);
            c.resolved_on_spot = false;
            c.reopen_count += 1;
            c.response_due = *response_due;
            c.resolve_due = *resolve_due;
            c.handled_at = None;
            c.closed_at = None;
            c.result = None;
            // A new round: its response is measured afresh against the new deadlines.
            c.first_contact_at = None;
            c.clock_started_at = at;
            c.due_status = DueStatus::OnTime;
        }
        EventKind::DueStatusChanged { due_status } => c.due_status = *due_status,
        EventKind::Imported { unit, responded_at, closed_at, result, .. } => {
            // Imported as the other system left it: handled by `unit`, closed or still open.
            if let Some(unit) = unit {
                c.lead_unit = Some(unit.clone());
                c.first_dispatched_at = Some(c.received_at);
                c.dispatched_at = Some(c.received_at);
                c.state = CaseState::Dispatched;
            }
            if let Some(responded) = responded_at {
                c.first_contact_at = Some(*responded);
                c.responded_on_time = Some(*responded <= c.response_due);
            }
            if let Some(closed) = closed_at {
                c.state = CaseState::Closed;
                c.handled_at = Some(*closed);
                c.closed_at = Some(*closed);
                c.result = result.clone();
            }
        }
    }
    if c.state.is_pending() && !matches!(event.kind, EventKind::DueStatusChanged { .. }) {
        c.due_status = due_status_at(&c, at);
    }
    c.version = event.seq;
    c.updated_at = at;
    Ok(c)
}

/// Rebuilds a case from its events, in order.
pub fn replay<'a>(events: impl IntoIterator<Item = &'a CaseEvent>) -> Result<Option<CaseRecord>, String> {
    let mut case = None;
    for e in events {
        case = Some(evolve(case, e)?);
    }
    Ok(case)
}

/// The deadline worker's decision for one case: an event when its due status has changed.
pub fn due_status_change(case: &CaseRecord, now: DateTime<Utc>) -> Option<EventKind> {
    let status = due_status_at(case, now);
    (case.state.is_pending() && status != case.due_status).then_some(EventKind::DueStatusChanged { due_status: status })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::Place;

    fn actor(role: Role, scope: Scope) -> Actor {
        Actor::Staff { user_id: Uuid::nil(), username: role.as_str().into(), role, scope }
    }

    #[test]
    fn open_actions_follow_decide_not_just_the_table() {
        let (taxonomy, calendar) = (Taxonomy::builtin(), WorkCalendar::default());
        let now = chrono::Utc::now();
        let ctx = MoveContext {
            now,
            calendar: &calendar,
            taxonomy: &taxonomy,
            return_window: Duration::hours(24),
            max_extension_days: 15,
        };
        let received = CaseEvent {
            id: Uuid::nil(),
            case_id: Uuid::from_u128(1),
            seq: 1,
            at: now,
            actor_kind: "resident".into(),
            actor_id: None,
            kind: EventKind::Received {
                tracking_no: "26112600000001".into(),
                category_code: "0301".into(),
                request_type: RequestType::Complaint,
                priority: Priority::Normal,
                channel: Channel::Web,
                description: "路灯不亮".into(),
                place: Place::default(),
                response_due: now + Duration::hours(24),
                resolve_due: now + Duration::days(3),
            },
        };
        let mut case = evolve(None, &received).unwrap();
        let dispatcher = actor(Role::Dispatcher, Scope::All);
        let lead = actor(Role::Handler, Scope::Unit { unit: "a".into() });
        let co = actor(Role::Handler, Scope::Unit { unit: "b".into() });
        for mv in
            [Move::Register { note: None }, Move::Dispatch { unit: "a".into(), co_units: vec!["b".into()], note: None }]
        {
            let kind = decide(&case, &dispatcher, &mv, &ctx).unwrap();
            let event = CaseEvent {
                id: Uuid::nil(),
                case_id: case.id,
                seq: case.version + 1,
                at: now,
                actor_kind: "dispatcher".into(),
                actor_id: None,
                kind,
            };
            case = evolve(Some(case), &event).unwrap();
        }
        assert_eq!(open_actions(&case, &lead, &ctx), vec![MoveKind::Return, MoveKind::Accept]);
        assert!(open_actions(&case, &co, &ctx).is_empty(), "a co-handler cannot accept or return");
        assert_eq!(open_actions(&case, &dispatcher, &ctx), vec![MoveKind::Redispatch]);
        assert_eq!(
            open_actions(&case, &Actor::Resident, &ctx),
            vec![MoveKind::Supplement],
            "adding is all they may do"
        );
    }
}
