//! Extractors whose rejections speak the API's error format, naming the field when they can.

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
        match axum::Json::<T>::from_request(req, state).await {
            Ok(axum::Json(v)) => Ok(Self(v)),
            Err(JsonRejection::JsonDataError(e)) => Err(data_error(&e.body_text())),
            Err(JsonRejection::JsonSyntaxError(e)) => Err(ApiError::BadRequest {
                message: format!(
                    "JSON格式错误 / malformed JSON: {}",
                    e.body_text().rsplit(": ").next().unwrap_or_default()
                ),
                field: None,
            }),
            Err(JsonRejection::MissingJsonContentType(_)) => Err(ApiError::UnsupportedMediaType),
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

/// Turns serde's message into a field error: `unknown field `x``, `missing field `x``, or a
/// path prefix `x: invalid type …`.
fn data_error(text: &str) -> ApiError {
    let detail = ["target type: ", "query string: "]
        .iter()
        .find_map(|p| text.split_once(p).map(|(_, rest)| rest))
        .unwrap_or(text);
    let backticked = detail.split('`').nth(1).map(str::to_string);
    let (field, reason_en) = if detail.contains("unknown field") {
        (backticked.clone().unwrap_or_default(), format!("unknown field '{}'", backticked.unwrap_or_default()))
    } else if detail.contains("missing field") {
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
