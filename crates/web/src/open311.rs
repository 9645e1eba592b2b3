//! Open311 GeoReport v2 at `/open311/v2` (http://wiki.open311.org/GeoReport_v2), in JSON and
//! XML by the path's extension. Services are the taxonomy's categories; requests are cases,
//! identified by their tracking number; a posted request enters the closed loop like any
//! other (channel Open311). Nothing of a reporter is ever given out, and a request's
//! description only to callers with a key.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Datelike, NaiveDate, TimeZone, Utc};
use grassroots_domain::calendar::beijing;
use grassroots_domain::{CaseRecord, CaseState, Scope};
use grassroots_store::auth::digest;
use grassroots_store::{ApiKey, CaseFilter, CaseSummary, Reference, StoreError};

use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::AppState;
use grassroots_app::intake::{self, Report, Reporter};
use grassroots_app::public;
use grassroots_domain::public::day_start as public_day_start;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// `requests.json` → ("requests", Json); anything else names no resource.
fn split_format(file: &str) -> Result<(&str, Format), Open311Error> {
    match file.rsplit_once('.') {
        Some((name, "json")) => Ok((name, Format::Json)),
        Some((name, "xml")) => Ok((name, Format::Xml)),
        _ => Err(Open311Error::new(Format::Json, 404, "unknown resource; add .json or .xml")),
    }
}

/// An error as the specification writes them: a list of code and description.
#[derive(Debug)]
pub struct Open311Error {
    format: Format,
    code: u16,
    description: String,
}

impl Open311Error {
    fn new(format: Format, code: u16, description: impl Into<String>) -> Self {
        Self { format, code, description: description.into() }
    }

    fn from_api(format: Format, e: ApiError) -> Self {
        // The specification's clients read one description: the English, which names the field.
        let code = match e.status.as_u16() {
            422 => 400,
            other => other,
        };
        Self::new(format, code, e.text.en)
    }
}

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let status = StatusCode::from_u16(self.code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
        let item = vec![("code", Value::Int(i64::from(self.code))), ("description", Value::Text(self.description))];
        (status, render(self.format, "errors", "error", vec![item])).into_response()
    }
}

/// A field's value, for both formats.
enum Value {
    Text(String),
    Int(i64),
    Float(f64),
    Bool(bool),
    Null,
    /// Nested items, each an element of this name in XML.
    List(&'static str, Vec<Item>),
}

type Item = Vec<(&'static str, Value)>;

fn xml_escape(text: &str) -> String {
    text.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// A list of items as a JSON array of objects or an XML root of elements.
fn render(format: Format, root: &str, element: &str, items: Vec<Item>) -> Response {
    let (content_type, body) = body(format, root, element, items);
    ([(CONTENT_TYPE, content_type)], body).into_response()
}

fn body(format: Format, root: &str, element: &str, items: Vec<Item>) -> (&'static str, String) {
    match format {
        Format::Json => ("application/json; charset=utf-8", json_list(items).to_string()),
        Format::Xml => {
            let mut xml = String::from("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n");
            xml_list(&mut xml, root, element, items);
            ("text/xml; charset=utf-8", xml)
        }
    }
}

fn json_list(items: Vec<Item>) -> serde_json::Value {
    let objects = items.into_iter().map(|item| {
        let object = item.into_iter().map(|(k, v)| {
            let v = match v {
                Value::Text(s) => serde_json::Value::from(s),
                Value::Int(n) => serde_json::Value::from(n),
                Value::Float(x) => serde_json::Value::from(x),
                Value::Bool(b) => serde_json::Value::from(b),
                Value::Null => serde_json::Value::Null,
                Value::List(_, nested) => json_list(nested),
            };
            (k.to_string(), v)
        });
        serde_json::Value::Object(object.collect())
    });
    serde_json::Value::Array(objects.collect())
}

fn xml_list(xml: &mut String, root: &str, element: &str, items: Vec<Item>) {
    xml.push_str(&format!("<{root}>"));
    for item in items {
        xml.push_str(&format!("<{element}>"));
        for (k, v) in item {
            match v {
                Value::List(inner, nested) => xml_list(xml, k, inner, nested),
                v => {
                    let text = match v {
                        Value::Text(s) => xml_escape(&s),
                        Value::Int(n) => n.to_string(),
                        Value::Float(x) => x.to_string(),
                        Value::Bool(b) => b.to_string(),
                        _ => String::new(),
                    };
                    xml.push_str(&format!("<{k}>{text}</{k}>"));
                }
            }
        }
        xml.push_str(&format!("</{element}>"));
    }
    xml.push_str(&format!("</{root}>"));
}

fn iso(t: DateTime<Utc>) -> String {
    t.with_timezone(&beijing()).to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// `GET /open311/v2/{discovery|services|requests}.{json|xml}`
pub async fn resource(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, Open311Error> {
    let (name, format) = split_format(&file)?;
    match name {
        "discovery" => Ok(discovery(format)),
        "services" => Ok(services(format, &state.reference())),
        "requests" => requests(&state, format, query.as_deref().unwrap_or("")).await,
        _ => Err(Open311Error::new(format, 404, format!("no resource {name}"))),
    }
}

fn discovery(format: Format) -> Response {
    let endpoint = vec![
        ("specification", Value::Text("http://wiki.open311.org/GeoReport_v2".into())),
        ("url", Value::Text("/open311/v2".into())),
        ("changeset", Value::Text("2026-11-27T00:00:00+08:00".into())),
        ("type", Value::Text("production".into())),
        ("formats", Value::Text("text/xml, application/json".into())),
    ];
    match format {
        Format::Json => {
            let body = serde_json::json!({
                "changeset": "2026-11-27T00:00:00+08:00",
                "contact": "基层治理一体化平台 / grassroots",
                "key_service": "API keys are issued by the platform's administrators (grassroots apikey create).",
                "endpoints": [{
                    "specification": "http://wiki.open311.org/GeoReport_v2",
                    "url": "/open311/v2",
                    "changeset": "2026-11-27T00:00:00+08:00",
                    "type": "production",
                    "formats": ["text/xml", "application/json"],
                }],
            });
            ([(CONTENT_TYPE, "application/json; charset=utf-8")], body.to_string()).into_response()
        }
        Format::Xml => {
            let mut xml = String::from(
                "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<discovery><changeset>2026-11-27T00:00:00+08:00</changeset>\
                 <contact>基层治理一体化平台 / grassroots</contact>\
                 <key_service>API keys are issued by the platform's administrators.</key_service><endpoints><endpoint>",
            );
            for (k, v) in endpoint {
                if let Value::Text(t) = v {
                    if k == "formats" {
                        xml.push_str("<formats><format>text/xml</format><format>application/json</format></formats>");
                    } else {
                        xml.push_str(&format!("<{k}>{}</{k}>", xml_escape(&t)));
                    }
                }
            }
            xml.push_str("</endpoint></endpoints></discovery>");
            ([(CONTENT_TYPE, "text/xml; charset=utf-8")], xml).into_response()
        }
    }
}

/// One service per category that cases are filed under: the sub-categories, and top-level
/// categories without any.
fn services(format: Format, reference: &Reference) -> Response {
    let taxonomy = &reference.taxonomy;
    let items = taxonomy
        .iter()
        .filter(|c| c.parent.is_some() || !taxonomy.iter().any(|s| s.parent.as_ref() == Some(&c.code)))
        .map(|c| {
            let group = c
                .parent
                .as_ref()
                .and_then(|p| taxonomy.get(p.as_str()))
                .map_or(c.name_zh.clone(), |p| p.name_zh.clone());
            vec![
                ("service_code", Value::Text(c.code.as_str().to_string())),
                ("service_name", Value::Text(c.name_zh.clone())),
                ("description", Value::Text(c.name_en.clone())),
                ("metadata", Value::Bool(false)),
                ("type", Value::Text("realtime".into())),
                ("keywords", Value::Text(String::new())),
                ("group", Value::Text(group)),
            ]
        })
        .collect();
    render(format, "services", "service", items)
}

/// `GET /open311/v2/services/{code}.{format}`: no service has attributes here.
pub async fn service_definition(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
) -> Result<Response, Open311Error> {
    let (code, format) = split_format(&file)?;
    let known = state.reference().taxonomy.get(code).is_some();
    Err(Open311Error::new(
        format,
        404,
        if known { "this service has no attributes (metadata is false)" } else { "no such service_code" },
    ))
}

/// Open311's two states: a case is closed once nothing more will happen to it.
fn status(state: CaseState) -> &'static str {
    if state.is_terminal() {
        "closed"
    } else {
        "open"
    }
}

/// A request as callers see it: in full with a key whose region holds it; otherwise as the
/// public sees it (`grassroots_app::public`: no description or address, days for times, no
/// community or point in a small group, nothing at all of a sensitive category).
fn request_item(state: &AppState, groups: &public::Groups, r: &CaseRecord, key: &Option<ApiKey>) -> Option<Item> {
    let reference = state.reference();
    let category = reference.taxonomy.get(&r.category_code);
    let unit = r.lead_unit.as_deref().and_then(|u| reference.unit(u)).map(|u| u.name_zh.clone());
    let text = |v: Option<String>| v.map_or(Value::Null, Value::Text);
    let float = |v: Option<f64>| v.map_or(Value::Null, Value::Float);
    let (description, address, times, point) = if in_full(key, r) {
        let point = r.place.lat.zip(r.place.lng);
        (
            text(Some(r.description.clone())),
            text(r.place.address.clone()),
            [r.received_at, r.updated_at, r.resolve_due],
            point,
        )
    } else {
        let p = public::view(state, groups, r)?;
        (Value::Null, Value::Null, [p.received_day, p.updated_day, p.due_day], p.point)
    };
    Some(vec![
        ("service_request_id", Value::Text(r.tracking_no.clone())),
        ("status", Value::Text(status(r.state).into())),
        ("status_notes", Value::Text(format!("{} / {}", r.state.label_zh(), r.state.label_en()))),
        ("service_name", text(category.map(|c| c.name_zh.clone()))),
        ("service_code", Value::Text(r.category_code.clone())),
        ("description", description),
        ("agency_responsible", text(unit)),
        ("service_notice", Value::Null),
        ("requested_datetime", Value::Text(iso(times[0]))),
        ("updated_datetime", Value::Text(iso(times[1]))),
        ("expected_datetime", Value::Text(iso(times[2]))),
        ("address", address),
        ("address_id", Value::Null),
        ("zipcode", Value::Null),
        ("lat", float(point.map(|(lat, _)| lat))),
        ("long", float(point.map(|(_, lng)| lng))),
        ("media_url", Value::Null),
    ])
}

/// The valid key the call carries (`api_key`, in the query or the form), if any.
async fn key_of(state: &AppState, key: Option<&str>) -> Result<Option<ApiKey>, ApiError> {
    match key.map(str::trim).filter(|k| !k.is_empty()) {
        Some(k) => Ok(state.store.api_key_by_hash(&digest(k)).await?),
        None => Ok(None),
    }
}

/// Whether the caller sees the request in full: with a key whose region holds it.
fn in_full(key: &Option<ApiKey>, record: &CaseRecord) -> bool {
    key.as_ref().is_some_and(|k| k.covers(&record.place))
}

const DEFAULT_WINDOW_DAYS: i64 = 90;
const MAX_PAGE_SIZE: u32 = 200;
/// How deep pages may reach into one listing.
const MAX_DEPTH: u64 = 10_000;

/// `GET requests`: by ids, or by service, period (the last 90 days by default) and status,
/// newest first, paged with `page` and `page_size`.
async fn requests(state: &AppState, format: Format, query: &str) -> Result<Response, Open311Error> {
    let bad = |m: &str| Open311Error::new(format, 400, m);
    let params: Vec<(String, String)> =
        serde_urlencoded::from_str(query).map_err(|_| bad("the query string cannot be read"))?;
    let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let key = key_of(state, get("api_key")).await.map_err(|e| Open311Error::from_api(format, e))?;
    let reference = state.reference();
    let groups = public::groups(state).await.map_err(|e| Open311Error::from_api(format, e.into()))?;
    if let Some(ids) = get("service_request_id") {
        let mut items = Vec::new();
        for id in ids.split(',').map(str::trim).filter(|i| !i.is_empty()) {
            if let Some(r) = by_tracking_no(state, id).await.map_err(|e| Open311Error::from_api(format, e))? {
                items.extend(request_item(state, &groups, &r, &key));
            }
        }
        return Ok(render(format, "service_requests", "request", items));
    }
    let mut query = RequestQuery::read(&params, &reference).map_err(|m| bad(&m))?;
    if key.is_none() {
        query.excluded_categories = public::excluded_categories(state);
    }
    let found = query.page(state).await.map_err(|e| Open311Error::from_api(format, e.into()))?;
    let items = found.iter().filter_map(|c| request_item(state, &groups, &c.record, &key)).collect();
    Ok(render(format, "service_requests", "request", items))
}

/// A search of requests: by status, service codes and period, a page of them.
struct RequestQuery {
    states: Vec<CaseState>,
    codes: Vec<String>,
    /// Left out of the search: the sensitive categories, for callers without a key.
    excluded_categories: Vec<String>,
    start: DateTime<Utc>,
    end: DateTime<Utc>,
    page: u32,
    page_size: u32,
}

impl RequestQuery {
    /// The search's parameters, checked; a refusal says which and why.
    fn read(params: &[(String, String)], reference: &Reference) -> Result<Self, String> {
        let get = |name: &str| params.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
        let date = |name: &str| -> Result<Option<DateTime<Utc>>, String> {
            let Some(v) = get(name) else { return Ok(None) };
            // An unencoded `+` of a time zone arrives as a space.
            let v = v.replace(' ', "+");
            let parsed = DateTime::parse_from_rfc3339(&v).map(|t| t.with_timezone(&Utc)).ok().or_else(|| {
                let day = NaiveDate::parse_from_str(&v, "%Y-%m-%d").ok()?;
                beijing().from_local_datetime(&day.and_hms_opt(0, 0, 0)?).single().map(|t| t.with_timezone(&Utc))
            });
            match parsed {
                Some(t) if (2000..=2100).contains(&t.year()) => Ok(Some(t)),
                _ => Err(format!(
                    "{name}: expected a w3c date-time between 2000 and 2100, such as 2026-11-01T00:00:00+08:00"
                )),
            }
        };
        let end = date("end_date")?.unwrap_or_else(Utc::now);
        let start = date("start_date")?.unwrap_or(end - chrono::Duration::days(DEFAULT_WINDOW_DAYS));
        if start >= end {
            return Err("end_date must be after start_date".into());
        }
        let mut states = Vec::new();
        for s in get("status").map(|l| l.split(',').map(str::trim).collect::<Vec<_>>()).unwrap_or_default() {
            match s {
                "open" => states.extend(CaseState::ALL.iter().filter(|s| !s.is_terminal())),
                "closed" => states.extend(CaseState::ALL.iter().filter(|s| s.is_terminal())),
                _ => return Err("status: open or closed".into()),
            }
        }
        let codes: Vec<String> =
            get("service_code").map(|c| c.split(',').map(|c| c.trim().to_string()).collect()).unwrap_or_default();
        if let Some(unknown) = codes.iter().find(|c| reference.taxonomy.get(c).is_none()) {
            return Err(format!("service_code: no such service {unknown}"));
        }
        let number = |name: &str, default: u32| -> Result<u32, String> {
            get(name).map_or(Ok(default), |v| {
                v.parse::<u32>().ok().filter(|n| *n >= 1).ok_or_else(|| format!("{name}: a whole number from 1"))
            })
        };
        let (page, page_size) = (number("page", 1)?, number("page_size", 50)?.min(MAX_PAGE_SIZE));
        if u64::from(page) * u64::from(page_size) > MAX_DEPTH {
            return Err(format!("page × page_size may reach {MAX_DEPTH} requests at most; narrow the dates instead"));
        }
        Ok(Self { states, codes, excluded_categories: Vec::new(), start, end, page, page_size })
    }

    /// The requested page. Keyset pages underneath, one service code after the other when
    /// several are given: walk to the requested page; past the end it is empty.
    async fn page(&self, state: &AppState) -> Result<Vec<CaseSummary>, StoreError> {
        let mut found = Vec::new();
        let mut skip = u64::from(self.page - 1) * u64::from(self.page_size);
        let categories: Vec<Option<String>> =
            if self.codes.is_empty() { vec![None] } else { self.codes.iter().cloned().map(Some).collect() };
        for category in categories {
            let mut filter = CaseFilter {
                states: self.states.clone(),
                category,
                excluded_categories: self.excluded_categories.clone(),
                received_from: Some(self.start),
                received_to: Some(self.end),
                limit: MAX_PAGE_SIZE,
                ..Default::default()
            };
            loop {
                let batch = state.store.list_cases(&Scope::All, &filter).await?;
                for case in batch.cases {
                    if skip > 0 {
                        skip -= 1;
                    } else if found.len() < self.page_size as usize {
                        found.push(case);
                    } else {
                        return Ok(found);
                    }
                }
                match batch.next_cursor {
                    Some(cursor) => filter.after = Some(cursor),
                    None => break,
                }
            }
        }
        Ok(found)
    }
}

async fn by_tracking_no(state: &AppState, no: &str) -> Result<Option<CaseRecord>, ApiError> {
    if !grassroots_domain::case::is_tracking_no(no) {
        return Ok(None);
    }
    let filter = CaseFilter { text: Some(no.to_string()), limit: 1, ..Default::default() };
    Ok(state.store.list_cases(&Scope::All, &filter).await?.cases.into_iter().next().map(|c| c.record))
}

/// `GET requests/{id}.{format}` and `GET tokens/{token}.{format}`.
pub async fn request(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Result<Response, Open311Error> {
    let (id, format) = split_format(&file)?;
    let params: Vec<(String, String)> = serde_urlencoded::from_str(query.as_deref().unwrap_or("")).unwrap_or_default();
    let key = params.iter().find(|(k, _)| k == "api_key").map(|(_, v)| v.as_str());
    let key = key_of(&state, key).await.map_err(|e| Open311Error::from_api(format, e))?;
    let not_found = || Open311Error::new(format, 404, format!("no service request {id}"));
    let record =
        by_tracking_no(&state, id).await.map_err(|e| Open311Error::from_api(format, e))?.ok_or_else(not_found)?;
    let groups = public::groups(&state).await.map_err(|e| Open311Error::from_api(format, e.into()))?;
    let mut item = request_item(&state, &groups, &record, &key).ok_or_else(not_found)?;
    let full = in_full(&key, &record);
    // The common extension: the request's history of updates, in the resident's words.
    if params.iter().any(|(k, v)| k == "extensions" && v == "true") {
        let events = state.store.case_events(record.id).await.map_err(|e| Open311Error::from_api(format, e.into()))?;
        let notes = events
            .iter()
            .filter_map(|e| {
                e.kind.public_summary().map(|(zh, en)| {
                    vec![
                        ("datetime", Value::Text(iso(if full { e.at } else { public_day_start(e.at) }))),
                        ("type", Value::Text(e.kind.name().into())),
                        ("summary", Value::Text(format!("{zh} / {en}"))),
                    ]
                })
            })
            .collect();
        item.push(("notes", Value::List("note", notes)));
    }
    Ok(render(format, "service_requests", "request", vec![item]))
}

/// Requests get their id at once, so no token is ever pending.
pub async fn token(Path(file): Path<String>) -> Result<Response, Open311Error> {
    let (token, format) = split_format(&file)?;
    Err(Open311Error::new(
        format,
        404,
        format!("no pending token {token}: requests get their service_request_id at once"),
    ))
}

/// `POST requests.{format}` (form-encoded): a new request, which needs an API key.
pub async fn post_request(
    State(state): State<Arc<AppState>>,
    Path(file): Path<String>,
    headers: HeaderMap,
    ApiForm(fields): ApiForm<Vec<(String, String)>>,
) -> Result<Response, Open311Error> {
    let (name, format) = split_format(&file)?;
    if name != "requests" {
        return Err(Open311Error::new(format, 404, format!("no resource {name}")));
    }
    let get = |name: &str| fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty());
    let err = |e: ApiError| Open311Error::from_api(format, e);
    let Some(key) = key_of(&state, get("api_key")).await.map_err(err)? else {
        return Err(Open311Error::new(format, 403, "api_key is missing, unknown or revoked"));
    };
    let reference = state.reference();
    // Without a service code the platform sorts the request by its words (智能分类).
    let category = get("service_code")
        .map(|service| {
            reference
                .taxonomy
                .get(service)
                .ok_or_else(|| Open311Error::new(format, 400, "service_code: no such service"))
        })
        .transpose()?;
    if category.is_none() && get("description").is_none() {
        return Err(Open311Error::new(format, 400, "service_code or description is required"));
    }
    // No service has attributes, so any attribute is one the definition does not have.
    if let Some((k, _)) = fields.iter().find(|(k, _)| k.starts_with("attribute[")) {
        return Err(Open311Error::new(format, 400, format!("{k}: no service has attributes")));
    }
    let number = |name: &str| {
        get(name)
            .map(|v| v.parse::<f64>().map_err(|_| Open311Error::new(format, 400, format!("{name}: not a number"))))
            .transpose()
    };
    let (lat, lng) = (number("lat")?, number("long")?);
    if lat.is_some() != lng.is_some() {
        return Err(Open311Error::new(format, 400, "lat and long go together"));
    }
    let name = [get("first_name"), get("last_name")].into_iter().flatten().collect::<Vec<_>>().join("");
    let report = Report {
        description: get("description").or(category.map(|c| c.name_zh.as_str())).unwrap_or_default().to_string(),
        category_code: category.map(|c| c.code.as_str().to_string()),
        lat,
        lng,
        address: get("address_string").map(str::to_string),
        reporter_name: (!name.is_empty()).then_some(name),
        reporter_phone: get("phone").map(str::to_string),
        key: crate::api::intake::idempotency_key(&headers).map_err(err)?,
        ..Report::default()
    };
    let created = intake::submit(&state, Reporter::System(&key), report).await.map_err(|e| err(e.into()))?;
    let item = vec![
        ("service_request_id", Value::Text(created.tracking_no.clone())),
        (
            "service_notice",
            Value::Text(format!(
                "已受理，将于{}前答复 / received; a response is due by {}",
                iso(created.response_due),
                iso(created.response_due)
            )),
        ),
        ("account_id", Value::Null),
    ];
    Ok((StatusCode::CREATED, render(format, "service_requests", "request", vec![item])).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resources_are_named_with_their_format() {
        assert_eq!(split_format("requests.json").unwrap(), ("requests", Format::Json));
        assert_eq!(split_format("26112736291941.xml").unwrap(), ("26112736291941", Format::Xml));
        assert!(split_format("requests.html").is_err() && split_format("requests").is_err());
    }

    #[test]
    fn xml_lists_escape_their_text() {
        let item = vec![("description", Value::Text("a < b & \"c\"".into())), ("code", Value::Int(400))];
        let (content_type, xml) = body(Format::Xml, "errors", "error", vec![item]);
        assert_eq!(content_type, "text/xml; charset=utf-8");
        assert!(xml.ends_with(
            "<errors><error><description>a &lt; b &amp; &quot;c&quot;</description><code>400</code></error></errors>"
        ));
        let (_, json) = body(Format::Json, "errors", "error", vec![vec![("code", Value::Int(403))]]);
        assert_eq!(json, r#"[{"code":403}]"#);
    }
}
