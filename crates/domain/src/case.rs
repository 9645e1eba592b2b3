//! A case and the vocabulary that describes it.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Defines a string-coded enum with its wire name and its Chinese and English labels.
macro_rules! coded_enum {
    ($(#[$m:meta])* $name:ident { $($variant:ident = $code:literal / $zh:literal / $en:literal),+ $(,)? }) => {
        $(#[$m])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
        #[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
        #[serde(rename_all = "snake_case")]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];
            pub const CODES: &'static [&'static str] = &[$($code),+];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code),+ }
            }

            pub fn label_zh(self) -> &'static str {
                match self { $($name::$variant => $zh),+ }
            }

            pub fn label_en(self) -> &'static str {
                match self { $($name::$variant => $en),+ }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s { $($code => Some($name::$variant),)+ _ => None }
            }

            /// The value whose code or Chinese label is `s`, as other systems' data may give either.
            pub fn parse_code_or_label(s: &str) -> Option<Self> {
                Self::parse(s).or_else(|| Self::ALL.iter().copied().find(|v| v.label_zh() == s))
            }

            /// Parses user input for `field`, naming the allowed values on failure.
            pub fn parse_field(field: &'static str, s: &str) -> Result<Self, $crate::FieldError> {
                Self::parse(s.trim()).ok_or_else(|| {
                    let allowed = [$($code),+].join(", ");
                    $crate::FieldError::new(field, format!("无效的取值“{}”，可选：{allowed}", s.trim()),
                        format!("invalid value '{}', expected one of: {allowed}", s.trim()))
                })
            }
        }
    };
}

pub(crate) use coded_enum;

coded_enum! {
    /// How intake placed a case (定位方式).
    LocatedBy {
        Point = "point" / "坐标落入网格" / "point in a grid",
        Address = "address" / "按地址中的地名" / "by the place names in the address",
        Patrol = "patrol" / "网格员所在网格" / "the grid worker's grid",
        OutsideGrids = "outside_grids" / "不在任何网格内，转区指挥中心" / "outside every grid: to the district command centre",
    }
}

coded_enum! {
    /// Where a case is in the closed loop (DESIGN §4).
    CaseState {
        Received = "received" / "已受理" / "received",
        Registered = "registered" / "已立案" / "registered",
        Rejected = "rejected" / "不予受理" / "rejected",
        Merged = "merged" / "已合并" / "merged",
        Dispatched = "dispatched" / "已派遣" / "dispatched",
        InProgress = "in_progress" / "处置中" / "in progress",
        Handled = "handled" / "已办结" / "handled",
        Verifying = "verifying" / "核查中" / "being verified",
        Closed = "closed" / "已结案" / "closed",
    }
}

impl CaseState {
    /// States from which nothing moves on except, for `Closed`, evaluation and reopening.
    pub fn is_terminal(self) -> bool {
        matches!(self, Self::Rejected | Self::Merged | Self::Closed)
    }

    /// States in which a responsible unit still owes work, so deadlines are watched.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Received | Self::Registered | Self::Dispatched | Self::InProgress)
    }
}

coded_enum! {
    /// 诉求性质.
    RequestType {
        Consult = "consult" / "咨询" / "consult",
        Help = "help" / "求助" / "help",
        Complaint = "complaint" / "投诉" / "complaint",
        Report = "report" / "举报" / "report",
        Suggestion = "suggestion" / "建议" / "suggestion",
        Praise = "praise" / "表扬" / "praise",
    }
}

coded_enum! {
    Channel {
        Web = "web" / "网站" / "website",
        Mobile = "mobile" / "移动端" / "mobile",
        Phone = "phone" / "电话" / "phone",
        GridPatrol = "grid_patrol" / "网格巡查" / "grid patrol",
        Open311 = "open311" / "Open311" / "Open311",
        Import = "import" / "导入" / "import",
        OtherSystem = "other_system" / "其他系统" / "other system",
    }
}

coded_enum! {
    Priority {
        Normal = "normal" / "一般" / "normal",
        Urgent = "urgent" / "紧急" / "urgent",
        Emergency = "emergency" / "特急" / "emergency",
    }
}

coded_enum! {
    /// The resident's satisfaction (满意度).
    Satisfaction {
        Satisfied = "satisfied" / "满意" / "satisfied",
        Basic = "basic" / "基本满意" / "mostly satisfied",
        Dissatisfied = "dissatisfied" / "不满意" / "dissatisfied",
    }
}

impl Satisfaction {
    /// Counted as satisfied in 满意率.
    pub fn counts_as_satisfied(self) -> bool {
        matches!(self, Self::Satisfied | Self::Basic)
    }
}

coded_enum! {
    /// How close a case is to its deadlines, maintained by the deadline worker.
    DueStatus {
        OnTime = "on_time" / "正常" / "on time",
        DueSoon = "due_soon" / "即将超期" / "due soon",
        Overdue = "overdue" / "已超期" / "overdue",
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Evaluation {
    pub resolved: bool,
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
    pub at: DateTime<Utc>,
    /// Which round of handling this evaluates: the case's `reopen_count` at the time.
    pub round: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct PendingExtension {
    pub days: u32,
    pub reason: String,
}

/// Case times are kept to the millisecond, the precision both stores hold, so that what an
/// event says equals what the row holds.
pub fn to_millis(t: DateTime<Utc>) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(t.timestamp_millis()).unwrap_or(t)
}

/// A tracking number: `YYMMDD` of the Beijing day of receipt and 8 digits, readable over the
/// phone; `serial` should be random so numbers cannot be enumerated.
pub fn tracking_no(received_at: DateTime<Utc>, serial: u32) -> String {
    let day = received_at.with_timezone(&crate::calendar::beijing()).format("%y%m%d");
    format!("{day}{:08}", serial % 100_000_000)
}

/// A query code (查询码) from a random draw: six digits, given once to the reporter and kept
/// only as a keyed digest.
pub fn query_code(draw: u32) -> String {
    format!("{:06}", draw % 1_000_000)
}

/// Whether `s` has the form of a tracking number (14 digits).
pub fn is_tracking_no(s: &str) -> bool {
    s.len() == 14 && s.bytes().all(|b| b.is_ascii_digit())
}

/// Where a case is. Region columns are denormalised so scope filters use plain indexes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Place {
    pub district_code: Option<String>,
    pub street_code: Option<String>,
    pub community_code: Option<String>,
    pub grid_code: Option<String>,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub address: Option<String>,
    /// How the place was found; `None` for history loaded without it.
    #[serde(default)]
    pub located_by: Option<LocatedBy>,
}

/// The current row of a case: everything the closed loop changes, rebuilt exactly by
/// replaying the case's events (personal data is kept apart, see `personal`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CaseRecord {
    pub id: Uuid,
    pub tracking_no: String,
    pub state: CaseState,
    pub category_code: String,
    pub request_type: RequestType,
    pub priority: Priority,
    pub channel: Channel,
    pub description: String,
    pub place: Place,
    pub received_at: DateTime<Utc>,
    /// When the current deadlines started running: receipt, or the last reopening.
    pub clock_started_at: DateTime<Utc>,
    pub response_due: DateTime<Utc>,
    pub resolve_due: DateTime<Utc>,
    pub lead_unit: Option<String>,
    pub co_units: Vec<String>,
    pub first_dispatched_at: Option<DateTime<Utc>>,
    pub dispatched_at: Option<DateTime<Utc>>,
    /// The first contact with the resident in the current round (a reopening starts a new one).
    pub first_contact_at: Option<DateTime<Utc>>,
    /// Whether the case's very first contact came before its response deadline, kept for the
    /// response rate whatever later rounds do. `None` until the first contact.
    pub responded_on_time: Option<bool>,
    pub handled_at: Option<DateTime<Utc>>,
    pub closed_at: Option<DateTime<Utc>>,
    pub result: Option<String>,
    pub reject_reason: Option<String>,
    pub merged_into: Option<Uuid>,
    pub pending_extension: Option<PendingExtension>,
    /// Closed by the grid worker who found the problem (就地解决), never dispatched.
    #[serde(default)]
    pub resolved_on_spot: bool,
    pub return_count: u32,
    pub reopen_count: u32,
    pub supervision_count: u32,
    pub escalated: bool,
    pub evaluation: Option<Evaluation>,
    pub due_status: DueStatus,
    /// Number of events applied; the next event gets `version + 1` as its sequence number.
    pub version: i64,
    pub updated_at: DateTime<Utc>,
}
