//! Why a use case refused or failed, with what to tell the person in Chinese and English, kept
//! apart so that each interface (JSON, a page, a terminal) shows them as it should.

use grassroots_domain::{Capability, FieldError, MoveError};
use grassroots_store::StoreError;

/// A message in both languages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Text {
    pub zh: String,
    pub en: String,
}

impl Text {
    pub fn new(zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { zh: zh.into(), en: en.into() }
    }
}

impl std::fmt::Display for Text {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} / {}", self.zh, self.en)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// A field of the input is wrong; nothing was changed.
    #[error("{field}: {}", reason.en)]
    Invalid { field: String, reason: Text },
    /// The actor may not do this.
    #[error("{}", .0.en)]
    Forbidden(Text),
    /// Absent, or outside the actor's scope: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    /// The act does not apply to the thing as it stands (a case's state, a pending request).
    #[error("{}", .0.en)]
    Conflict(Text),
    /// Too many attempts at something that must not be guessed; try again after this long.
    #[error("too many attempts; try again in {retry_after_secs} s")]
    TooManyAttempts { retry_after_secs: u64 },
    /// Too much of this work is under way; nothing was done, try again after this long.
    #[error("busy; try again in {retry_after_secs} s")]
    Busy { retry_after_secs: u64 },
    /// The write was not committed; nothing was acknowledged.
    #[error("could not be saved: {0}")]
    Unavailable(String),
    /// A fault of the platform, logged where it happened.
    #[error("internal error: {0}")]
    Internal(String),
}

pub type Result<T, E = AppError> = std::result::Result<T, E>;

/// How long a caller is asked to wait when the database is out of reach: about what a
/// PostgreSQL failover under Patroni takes (README, "Running as a cluster").
const RETRY_AFTER_FAILOVER_SECS: u64 = 10;

impl AppError {
    pub fn invalid(field: impl Into<String>, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::Invalid { field: field.into(), reason: Text::new(zh, en) }
    }

    /// A refused field of one item among several (the n-th decision of the minutes, say): the
    /// reason names the item first. Other errors are as they were.
    pub fn of_item(self, zh: &str, en: &str) -> Self {
        match self {
            Self::Invalid { field, reason } => Self::Invalid {
                field,
                reason: Text::new(format!("{zh}：{}", reason.zh), format!("{en}: {}", reason.en)),
            },
            other => other,
        }
    }

    /// Refused for want of a capability, saying which.
    pub fn lacks(capability: Capability) -> Self {
        let (zh, en) = capability.refusal();
        Self::Forbidden(Text::new(zh, en))
    }

    /// The stable code interfaces report (`invalid_field`, `forbidden`, …).
    pub fn code(&self) -> &'static str {
        match self {
            Self::Invalid { .. } => "invalid_field",
            Self::Forbidden(_) => "forbidden",
            Self::NotFound => "not_found",
            Self::Conflict(_) => "conflict",
            Self::TooManyAttempts { .. } => "rate_limited",
            Self::Busy { .. } => "busy",
            Self::Unavailable(_) => "unavailable",
            Self::Internal(_) => "internal",
        }
    }

    /// What to tell the person, in both languages; a field error names its field.
    pub fn text(&self) -> Text {
        match self {
            Self::Invalid { field, reason } => {
                Text::new(format!("{field}：{}", reason.zh), format!("{field}: {}", reason.en))
            }
            Self::Forbidden(t) | Self::Conflict(t) => t.clone(),
            Self::NotFound => Text::new("不存在或无权查看", "not found, or not yours to see"),
            Self::TooManyAttempts { .. } => Text::new("请求过于频繁，请稍后再试", "too many requests, try again later"),
            Self::Busy { .. } => Text::new("系统繁忙，请稍后再试", "busy, try again shortly"),
            Self::Unavailable(_) => Text::new("暂时无法保存，请稍后重试", "could not be saved; try again shortly"),
            Self::Internal(_) => Text::new("服务器内部错误", "internal error"),
        }
    }

    /// The field a form should show the error beside.
    pub fn field(&self) -> Option<&str> {
        match self {
            Self::Invalid { field, .. } => Some(field),
            _ => None,
        }
    }
}

impl From<FieldError> for AppError {
    fn from(e: FieldError) -> Self {
        Self::Invalid { field: e.field.to_string(), reason: Text::new(e.reason_zh, e.reason_en) }
    }
}

impl From<MoveError> for AppError {
    fn from(e: MoveError) -> Self {
        let (zh, en) = e.texts();
        match e {
            MoveError::Invalid(f) => f.into(),
            MoveError::Forbidden { .. } => Self::Forbidden(Text::new(zh, en)),
            MoveError::IllegalState { .. } | MoveError::Conflict { .. } => Self::Conflict(Text::new(zh, en)),
        }
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => Self::NotFound,
            StoreError::Move(m) => m.into(),
            StoreError::Invalid(f) => f.into(),
            StoreError::MovedAway => Self::Conflict(Text::new(
                "案件刚被他人处理，已不在你的范围内",
                "another move took the case out of your scope meanwhile",
            )),
            StoreError::Contention => Self::Conflict(Text::new(
                "案件正被他人同时处理，请重试",
                "the case changed while this move was being made; try again",
            )),
            StoreError::Unavailable(reason) => {
                tracing::error!(%reason, "write not committed");
                Self::Unavailable(reason)
            }
            // A failover takes seconds: the caller is asked to come back, not told of a fault.
            transient if transient.is_transient() => {
                tracing::warn!(error = %transient, "the database is out of reach");
                Self::Busy { retry_after_secs: RETRY_AFTER_FAILOVER_SECS }
            }
            other => {
                tracing::error!(error = %other, "store failure");
                Self::Internal(other.to_string())
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_asks_the_caller_to_come_back() {
        let away = AppError::from(StoreError::Database(sqlx::Error::PoolTimedOut));
        assert!(matches!(away, AppError::Busy { retry_after_secs: RETRY_AFTER_FAILOVER_SECS }), "{away:?}");
        let fault = AppError::from(StoreError::Database(sqlx::Error::RowNotFound));
        assert!(matches!(fault, AppError::Internal(_)), "{fault:?}");
    }
}
