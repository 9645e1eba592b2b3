//! Every error the API returns, mapped to HTTP once: `{"error": {"code", "message", "field"}}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use grassroots_app::AppError;
use grassroots_domain::{FieldError, MoveError};
use grassroots_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub enum ApiError {
    /// Malformed request (bad JSON, bad path parameter).
    BadRequest {
        message: String,
        field: Option<String>,
    },
    Unauthorized,
    Forbidden(String),
    /// Absent or outside the caller's scope.
    NotFound,
    MethodNotAllowed,
    Conflict(String),
    PayloadTooLarge,
    /// The body is not of the media type this endpoint reads.
    UnsupportedMediaType {
        expected: &'static str,
    },
    Invalid {
        field: String,
        message: String,
    },
    TooManyRequests {
        retry_after_secs: u64,
    },
    /// The write was not committed; nothing was acknowledged.
    Unavailable,
    Internal,
}

impl ApiError {
    pub fn invalid(e: FieldError) -> Self {
        Self::Invalid { field: e.field.to_string(), message: e.message() }
    }

    pub fn field(field: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self::invalid(FieldError::new(field, zh, en))
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        Self::invalid(e)
    }
}

impl From<MoveError> for ApiError {
    fn from(e: MoveError) -> Self {
        match e {
            MoveError::Forbidden { .. } => Self::Forbidden(e.message()),
            MoveError::IllegalState { .. } | MoveError::Conflict { .. } => Self::Conflict(e.message()),
            MoveError::Invalid(f) => Self::invalid(f),
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let text = e.text();
        match e {
            AppError::Invalid { field, .. } => Self::Invalid { field, message: text.to_string() },
            AppError::Forbidden(_) => Self::Forbidden(text.to_string()),
            AppError::NotFound => Self::NotFound,
            AppError::Conflict(_) => Self::Conflict(text.to_string()),
            AppError::TooManyAttempts { retry_after_secs } => Self::TooManyRequests { retry_after_secs },
            AppError::Unavailable(_) => Self::Unavailable,
            AppError::Internal(_) => Self::Internal,
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let (status, code, message, field) = match self {
            Self::BadRequest { message, field } => (StatusCode::BAD_REQUEST, "bad_request", message, field),
            Self::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "请先登录 / log in first".into(), None),
            Self::Forbidden(m) => (StatusCode::FORBIDDEN, "forbidden", m, None),
            Self::NotFound => (StatusCode::NOT_FOUND, "not_found", "不存在或无权查看 / not found".into(), None),
            Self::MethodNotAllowed => (
                StatusCode::METHOD_NOT_ALLOWED,
                "method_not_allowed",
                "不支持该请求方法 / method not allowed".into(),
                None,
            ),
            Self::Conflict(m) => (StatusCode::CONFLICT, "conflict", m, None),
            Self::PayloadTooLarge => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "请求体过大 / request body too large".into(), None)
            }
            Self::UnsupportedMediaType { expected } => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                format!("请以 {expected} 提交 / send {expected}"),
                None,
            ),
            Self::Invalid { field, message } => {
                (StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message, Some(field))
            }
            Self::TooManyRequests { retry_after_secs } => {
                let body = json!({ "error": { "code": "rate_limited", "message": "请求过于频繁，请稍后再试 / too many requests, try again later", "field": null } });
                return (
                    StatusCode::TOO_MANY_REQUESTS,
                    [(header::RETRY_AFTER, retry_after_secs.to_string())],
                    axum::Json(body),
                )
                    .into_response();
            }
            Self::Unavailable => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "暂时无法保存，请稍后重试 / could not be saved; try again shortly".into(),
                None,
            ),
            Self::Internal => {
                (StatusCode::INTERNAL_SERVER_ERROR, "internal", "服务器内部错误 / internal error".into(), None)
            }
        };
        (status, axum::Json(json!({ "error": { "code": code, "message": message, "field": field } }))).into_response()
    }
}
