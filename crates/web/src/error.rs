//! Every error the HTTP layer answers, mapped once: a status, a stable code, what to tell the
//! person in Chinese and English, and the field it is about. It answers JSON,
//! `{"error": {"code", "message", "zh", "en", "field"}}`; the pages' layer
//! (`pages::errors_as_pages`) shows the same error as a page in the reader's language, or
//! sends them to log in.

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use grassroots_app::{AppError, Text};
use grassroots_domain::{FieldError, MoveError};
use grassroots_store::StoreError;
use serde::Serialize;

#[derive(Debug, Clone)]
pub struct ApiError {
    pub status: StatusCode,
    /// Stable for clients: `invalid_field`, `not_found`, `rate_limited`, …
    pub code: &'static str,
    pub text: Text,
    /// The field of the input the error is about, for forms to show it beside.
    pub field: Option<String>,
    /// Seconds to wait, for `rate_limited` and `busy`.
    pub retry_after: Option<u64>,
}

/// The JSON form, as the OpenAPI document describes it.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorDetail {
    /// Stable for clients: `invalid_field`, `not_found`, `forbidden`, `conflict`, `unauthorized`, …
    pub code: &'static str,
    /// "中文 / English".
    pub message: String,
    pub zh: String,
    pub en: String,
    /// The input field the error is about.
    pub field: Option<String>,
}

/// The answer of a rate-limited endpoint refused for too many requests, as the document
/// describes it (one place for every such endpoint).
#[derive(utoipa::IntoResponses)]
#[response(
    status = 429,
    description = "Too many requests from this address (or at this tracking number's code)",
    headers(("Retry-After" = u64, description = "seconds to wait"))
)]
#[allow(dead_code)] // Describes an answer for the document; `ApiError` makes the answer itself.
pub struct RateLimited(ErrorBody);

impl ApiError {
    fn new(status: StatusCode, code: &'static str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        Self { status, code, text: Text::new(zh, en), field: None, retry_after: None }
    }

    pub fn unauthorized() -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", "请先登录", "log in first")
    }

    pub fn not_found() -> Self {
        AppError::NotFound.into()
    }

    pub fn method_not_allowed() -> Self {
        Self::new(StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed", "不支持该请求方法", "method not allowed")
    }

    pub fn payload_too_large() -> Self {
        Self::new(StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", "请求体过大", "request body too large")
    }

    /// The body is not of the media type this endpoint reads.
    pub fn unsupported_media_type(expected: &str) -> Self {
        Self::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            format!("请以 {expected} 提交"),
            format!("send {expected}"),
        )
    }

    /// Malformed: broken JSON, a bad path parameter, an unreadable form.
    pub fn bad_request(zh: impl Into<String>, en: impl Into<String>, field: Option<&str>) -> Self {
        Self { field: field.map(str::to_string), ..Self::new(StatusCode::BAD_REQUEST, "bad_request", zh, en) }
    }

    pub fn field(field: &str, zh: impl Into<String>, en: impl Into<String>) -> Self {
        AppError::invalid(field, zh, en).into()
    }

    pub fn forbidden(zh: impl Into<String>, en: impl Into<String>) -> Self {
        AppError::Forbidden(Text::new(zh, en)).into()
    }

    pub fn too_many_requests(retry_after_secs: u64) -> Self {
        AppError::TooManyAttempts { retry_after_secs }.into()
    }

    pub fn internal() -> Self {
        AppError::Internal(String::new()).into()
    }

    pub fn body(&self) -> ErrorBody {
        ErrorBody {
            error: ErrorDetail {
                code: self.code,
                message: self.text.to_string(),
                zh: self.text.zh.clone(),
                en: self.text.en.clone(),
                field: self.field.clone(),
            },
        }
    }
}

impl From<AppError> for ApiError {
    fn from(e: AppError) -> Self {
        let status = match &e {
            AppError::Invalid { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooManyAttempts { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Busy { .. } | AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        };
        let retry_after = match &e {
            AppError::TooManyAttempts { retry_after_secs } | AppError::Busy { retry_after_secs } => {
                Some(*retry_after_secs)
            }
            _ => None,
        };
        Self { status, code: e.code(), text: e.text(), field: e.field().map(str::to_string), retry_after }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        AppError::from(e).into()
    }
}

impl From<FieldError> for ApiError {
    fn from(e: FieldError) -> Self {
        AppError::from(e).into()
    }
}

impl From<MoveError> for ApiError {
    fn from(e: MoveError) -> Self {
        AppError::from(e).into()
    }
}

impl From<askama::Error> for ApiError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template failed");
        Self::internal()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut response = (self.status, axum::Json(self.body())).into_response();
        if let Some(secs) = self.retry_after {
            response.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        // Kept with the answer, so that the pages' layer can show it as a page instead.
        response.extensions_mut().insert(self);
        response
    }
}
