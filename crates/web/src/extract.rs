//! Extractors whose rejections speak the API's error format, naming the field when they can.

use axum::body::Bytes;
use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// `axum::Json` with errors as `ApiError`: 400 for broken JSON, 413 for a body that is too
/// large, 415 without a JSON content type, 422 naming the field for everything else.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if !is_json(req.headers()) {
            return Err(ApiError::UnsupportedMediaType { expected: "application/json" });
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| ApiError::PayloadTooLarge)?;
        if has_nul_escape(&bytes) {
            return Err(nul_error(&field_with_nul(&bytes)));
        }
        match axum::Json::<T>::from_bytes(&bytes) {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(data_error(&e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadRequest {
                message: format!(
                    "JSON格式错误 / malformed JSON: {}",
                    e.body_text().rsplit(": ").next().unwrap_or_default()
                ),
                field: None,
            }),
            Err(JsonRejection::MissingJsonContentType(_)) => {
                Err(ApiError::UnsupportedMediaType { expected: "application/json" })
            }
            Err(JsonRejection::BytesRejection(_)) => Err(ApiError::PayloadTooLarge),
            Err(_) => Err(ApiError::BadRequest {
                message: "无法读取请求体 / unreadable request body".into(),
                field: None,
            }),
        }
    }
}

/// Query parameters, rejected with the parameter's name.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        if parts.uri.query().is_some_and(|q| q.contains("%00")) {
            return Err(nul_error("query"));
        }
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(v)) => Ok(Self(v)),
            Err(QueryRejection::FailedToDeserializeQueryString(e)) => Err(data_error(&e.body_text())),
            Err(_) => Err(ApiError::BadRequest {
                message: "无效的查询参数 / invalid query string".into(),
                field: None,
            }),
        }
    }
}

fn is_json(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(axum::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .map(|mime| mime.trim().to_ascii_lowercase())
        .is_some_and(|mime| mime == "application/json" || (mime.starts_with("application/") && mime.ends_with("+json")))
}

/// Whether a JSON text holds the escape `\u0000` (raw NUL bytes are not valid JSON anyway).
/// Text with U+0000 is refused everywhere: PostgreSQL cannot store it, and no person types it.
fn has_nul_escape(json: &[u8]) -> bool {
    json.windows(6)
        .enumerate()
        .any(|(i, w)| w == b"\\u0000" && json[..i].iter().rev().take_while(|&&b| b == b'\\').count() % 2 == 0)
}

/// The path of the first string holding U+0000, for the error message.
fn field_with_nul(json: &[u8]) -> String {
    fn find(v: &serde_json::Value, path: &str) -> Option<String> {
        match v {
            serde_json::Value::String(s) if s.contains('\0') => Some(path.to_string()),
            serde_json::Value::Object(map) => map.iter().find_map(|(k, v)| {
                let here = if path.is_empty() { k.clone() } else { format!("{path}.{k}") };
                if k.contains('\0') {
                    Some(here)
                } else {
                    find(v, &here)
                }
            }),
            serde_json::Value::Array(items) => {
                items.iter().enumerate().find_map(|(i, v)| find(v, &format!("{path}[{i}]")))
            }
            _ => None,
        }
    }
    serde_json::from_slice(json)
        .ok()
        .and_then(|v| find(&v, ""))
        .filter(|p| !p.is_empty())
        .unwrap_or_else(|| "body".into())
}

fn nul_error(field: &str) -> ApiError {
    let zh = format!("{field}：不能包含空字符（U+0000）");
    ApiError::Invalid {
        message: format!("{zh} / {field}: must not contain the NUL character (U+0000)"),
        field: field.to_string(),
    }
}

/// Turns serde's message into a field error: `unknown field `x``, `missing field `x``, or a
/// path prefix `x: invalid type …`.
pub(crate) fn data_error(text: &str) -> ApiError {
    let detail = ["target type: ", "query string: "]
        .iter()
        .find_map(|p| text.split_once(p).map(|(_, rest)| rest))
        .unwrap_or(text);
    let backticked = detail.split('`').nth(1).map(str::to_string);
    let (field, reason_en) = if detail.starts_with("unknown field") {
        (backticked.clone().unwrap_or_default(), format!("unknown field '{}'", backticked.unwrap_or_default()))
    } else if detail.starts_with("missing field") {
        (backticked.clone().unwrap_or_default(), "is required".to_string())
    } else if let Some((path, reason)) =
        detail.split_once(": ").filter(|(p, _)| p.chars().all(|c| c.is_alphanumeric() || "_.[]".contains(c)))
    {
        (path.trim().to_string(), reason.to_string())
    } else {
        (String::new(), detail.to_string())
    };
    let field = if field.is_empty() || field == "." { "body".to_string() } else { field };
    ApiError::Invalid { message: format!("{field}：字段无效 / {field}: {reason_en}"), field }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(e: ApiError) -> String {
        match e {
            ApiError::Invalid { field, .. } => field,
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn nul_escapes_are_found_but_escaped_backslashes_are_not() {
        assert!(has_nul_escape(br#"{"a":"x\u0000y"}"#));
        assert!(!has_nul_escape(br#"{"a":"x\\u0000y"}"#), "an escaped backslash followed by u0000 is text");
        assert!(has_nul_escape(br#"{"a":"x\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a":"plain"}"#));
    }

    #[test]
    fn serde_messages_name_their_field() {
        let prefix = "Failed to deserialize the JSON body into the target type: ";
        assert_eq!(
            field_of(data_error(&format!(
                "{prefix}unknown field `colour`, expected one of `a`, `b` at line 1 column 9"
            ))),
            "colour"
        );
        assert_eq!(
            field_of(data_error(&format!("{prefix}missing field `description` at line 1 column 2"))),
            "description"
        );
        assert_eq!(
            field_of(data_error(&format!("{prefix}lat: invalid type: string \"x\", expected f64 at line 1 column 10"))),
            "lat"
        );
        // Inside an internally tagged enum serde gives no path: the body is named instead.
        assert_eq!(
            field_of(data_error(&format!("{prefix}invalid type: integer `5`, expected a string at line 1 column 30"))),
            "body"
        );
    }
}
