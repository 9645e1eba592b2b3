//! Extractors whose rejections speak the API's error format, naming the field when they can.

use axum::body::Bytes;
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
            return Err(ApiError::unsupported_media_type("application/json"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| ApiError::payload_too_large())?;
        if has_nul_escape(&bytes) {
            return Err(nul_error(&field_with_nul(&bytes)));
        }
        decode_json(&bytes).map(Self)
    }
}

/// A JSON body as `T`, or a `multipart/form-data` body whose part `json_part` holds it and
/// whose `photo` parts are photos (checked as a report's are).
pub struct JsonWithPhotos<T> {
    pub value: T,
    pub photos: Vec<grassroots_store::NewAttachment>,
}

/// The multipart part that holds the JSON of a [`JsonWithPhotos`].
pub const JSON_PART: &str = "json";

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for JsonWithPhotos<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        if is_json(req.headers()) {
            let ApiJson(value) = ApiJson::from_request(req, state).await?;
            return Ok(Self { value, photos: Vec::new() });
        }
        let form = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|_| ApiError::unsupported_media_type("application/json or multipart/form-data"));
        let read = crate::api::intake::read_form(Ok(form?)).await?;
        let mut json = None;
        for (name, text) in read.fields {
            match name.as_str() {
                JSON_PART => json = Some(text),
                other => return Err(ApiError::field(other, "未知字段", "unknown field")),
            }
        }
        let json = json.ok_or_else(|| ApiError::field(JSON_PART, "缺少JSON部分", "the JSON part is missing"))?;
        if has_nul_escape(json.as_bytes()) {
            return Err(nul_error(&field_with_nul(json.as_bytes())));
        }
        Ok(Self { value: decode_json(json.as_bytes())?, photos: read.photos })
    }
}

/// A JSON body as `T`: 400 for broken JSON, 422 naming the field for anything else.
fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let malformed = |e: &serde_json::Error| {
        let why = without_position(&e.to_string()).to_string();
        ApiError::bad_request(format!("JSON格式错误：{why}"), format!("malformed JSON: {why}"), None)
    };
    let mut json = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut json).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            return malformed(&inner);
        }
        field_error(&path, &inner.to_string())
    })?;
    json.end().map_err(|e| malformed(&e))?;
    Ok(value)
}

/// A form post (`application/x-www-form-urlencoded`), rejected like JSON: 413 when too large,
/// 415 for another media type, 422 naming the field.
pub struct ApiForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiForm<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let form_type = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        if !form_type {
            return Err(ApiError::unsupported_media_type("application/x-www-form-urlencoded"));
        }
        let bytes = Bytes::from_request(req, state).await.map_err(|_| ApiError::payload_too_large())?;
        let fields = serde_urlencoded::Deserializer::new(form_urlencoded::parse(&bytes));
        serde_path_to_error::deserialize(fields).map(Self).map_err(|e| {
            let path = e.path().to_string();
            field_error(&path, &e.into_inner().to_string())
        })
    }
}

/// A page form's fields in order, and its photos: sent urlencoded, or as `multipart/form-data`
/// where the form has a file input (the photos checked as a report's are).
pub struct PageForm {
    pub fields: Vec<(String, String)>,
    pub photos: Vec<grassroots_store::NewAttachment>,
}

impl<S: Send + Sync> FromRequest<S> for PageForm {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let multipart = req
            .headers()
            .get(axum::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("multipart/form-data"));
        if multipart {
            let read = crate::api::intake::read_form(axum::extract::Multipart::from_request(req, state).await).await?;
            return Ok(Self { fields: read.fields, photos: read.photos });
        }
        let ApiForm(fields) = ApiForm::<Vec<(String, String)>>::from_request(req, state).await?;
        Ok(Self { fields, photos: Vec::new() })
    }
}

/// Query parameters, rejected with the parameter's name. A parameter given empty
/// (`category=`, as a form's empty field sends it) is as if it were absent.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequestParts<S> for ApiQuery<T> {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let query = parts.uri.query().unwrap_or_default();
        if query.contains("%00") {
            return Err(nul_error("query"));
        }
        let given = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form_urlencoded::parse(query.as_bytes()).filter(|(_, value)| !value.is_empty()))
            .finish();
        let params = serde_urlencoded::Deserializer::new(form_urlencoded::parse(given.as_bytes()));
        serde_path_to_error::deserialize(params).map(Self).map_err(|e| {
            let path = e.path().to_string();
            field_error(&path, &e.into_inner().to_string())
        })
    }
}

/// serde's reason without the value it quotes (`invalid type: string "13922223333", expected
/// a boolean` → `invalid type: string, expected a boolean`): the answer, and the logs that may
/// keep it, do not repeat what was sent, which may be someone's phone number.
fn without_value(reason: &str) -> String {
    let Some(expected) = reason.find(", expected") else { return reason.to_string() };
    let (head, rest) = reason.split_at(expected);
    match head.find(['`', '"']) {
        Some(quote) => format!("{}{rest}", head[..quote].trim_end()),
        None => reason.to_string(),
    }
}

/// serde's reason without the position it appends (" at line 1 column 9").
fn without_position(reason: &str) -> &str {
    reason.rsplit_once(" at line ").map_or(reason, |(before, _)| before)
}

/// A field error from where deserializing stopped (`lat`, `inner.a`, `list[1]`) and serde's
/// reason. Two cases have no path, and only serde's reason names the field: a missing field
/// stops at the object that lacks it, and inside an internally tagged enum (a move) serde
/// tracks nothing, so an unknown field is named by the reason too; otherwise the body is named.
fn field_error(path: &str, reason: &str) -> ApiError {
    let reason = without_position(reason);
    let named = |prefix: &str| reason.strip_prefix(prefix).and_then(|r| r.split('`').next());
    let (missing, unknown) = (named("missing field `"), named("unknown field `"));
    let field = match (path, missing.or(unknown)) {
        ("." | "", Some(name)) => name.to_string(),
        (prefix, Some(name)) if missing.is_some() => format!("{prefix}.{name}"),
        ("." | "", None) => "body".to_string(),
        (path, _) => path.to_string(),
    };
    let reason_en = match (missing, unknown) {
        (Some(_), _) => "is required".to_string(),
        (_, Some(name)) => format!("unknown field '{name}'"),
        _ => without_value(reason),
    };
    ApiError::field(&field, "字段无效", reason_en)
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
    ApiError::field(field, "不能包含空字符（U+0000）", "must not contain the NUL character (U+0000)")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_do_not_repeat_the_value_sent() {
        assert_eq!(
            without_value(r#"invalid type: string "13922223333", expected a boolean"#),
            "invalid type: string, expected a boolean"
        );
        assert_eq!(
            without_value("invalid type: integer `13922223333`, expected a string"),
            "invalid type: integer, expected a string"
        );
        assert_eq!(without_value("invalid digit found in string"), "invalid digit found in string");
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Report {
        description: String,
        lat: Option<f64>,
        photos: Option<Vec<Photo>>,
    }

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Photo {
        size: u32,
    }

    fn field_of(body: &str) -> (u16, Option<String>) {
        let e = decode_json::<Report>(body.as_bytes()).unwrap_err();
        (e.status.as_u16(), e.field)
    }

    #[test]
    fn nul_escapes_are_found_but_escaped_backslashes_are_not() {
        assert!(has_nul_escape(br#"{"a":"x\u0000y"}"#));
        assert!(!has_nul_escape(br#"{"a":"x\\u0000y"}"#), "an escaped backslash followed by u0000 is text");
        assert!(has_nul_escape(br#"{"a":"x\\\u0000"}"#));
        assert!(!has_nul_escape(br#"{"a":"plain"}"#));
    }

    #[test]
    fn errors_name_the_field_by_its_path() {
        let field = |f: &str| (422, Some(f.to_string()));
        assert_eq!(field_of(r#"{"description":"x","colour":1}"#), field("colour"));
        assert_eq!(field_of(r#"{"lat":1}"#), field("description"));
        assert_eq!(field_of(r#"{"description":"x","lat":"north"}"#), field("lat"));
        assert_eq!(field_of(r#"{"description":"x","photos":[{"size":1},{"size":"big"}]}"#), field("photos[1].size"));
        assert_eq!(field_of(r#"{"description":"x","photos":[{}]}"#), field("photos[0].size"));
        assert_eq!(field_of(r#"{"description":"x","#), (400, None));
        assert_eq!(field_of(r#"{"description":"x"} trailing"#), (400, None));
        // Inside an internally tagged enum serde gives no path: the body is named, unless the
        // reason names the field.
        let e = decode_json::<grassroots_domain::Move>(br#"{"action":"dispatch","unit":5}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("body"));
        let e = decode_json::<grassroots_domain::Move>(br#"{"action":"accept","colour":1}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("colour"));
        let e = decode_json::<grassroots_domain::Move>(br#"{"action":"dispatch"}"#).unwrap_err();
        assert_eq!(e.field.as_deref(), Some("unit"));
    }
}
