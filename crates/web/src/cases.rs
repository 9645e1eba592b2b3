//! Staff work on cases: the scoped queue, a case with its events, moves, and reveal.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::Json;
use chrono::Utc;
use grassroots_domain::queue::Queue;
use grassroots_domain::workflow::Move;
use grassroots_domain::{Capability, CaseState, RegionCode, Role};
use grassroots_store::CaseFilter;
use serde::Deserialize;
use serde_json::{json, Value};
use uuid::Uuid;

use grassroots_app::cases::FullExport;
use grassroots_app::AppError;

use crate::auth::{need, Can, Staff};
use crate::error::ApiError;
use crate::extract::{ApiJson, ApiQuery};
use crate::views::staff_case;
use crate::AppState;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ListParams {
    /// One state or several, comma-separated.
    state: Option<String>,
    category: Option<String>,
    unit: Option<String>,
    region: Option<String>,
    overdue: Option<bool>,
    /// A workbench queue of the caller's role.
    queue: Option<String>,
    text: Option<String>,
    after: Option<String>,
    limit: Option<u32>,
}

/// A queue named in a request, as it stands for the caller's role.
pub fn queue_param(staff: &Staff, raw: &str) -> Result<(Queue, Role), ApiError> {
    let role = staff.user.role;
    Queue::parse(raw.trim()).filter(|q| Queue::for_role(role).contains(q)).map(|q| (q, role)).ok_or_else(|| {
        let allowed: Vec<&str> = Queue::for_role(role).iter().map(|q| q.as_str()).collect();
        ApiError::field(
            "queue",
            format!("该角色的队列为：{}", allowed.join(", ")),
            format!("this role's queues are: {}", allowed.join(", ")),
        )
    })
}

pub fn parse_case_id(raw: &str) -> Result<Uuid, ApiError> {
    Uuid::parse_str(raw).map_err(|_| {
        ApiError::bad_request(format!("“{raw}”不是有效的案件编号"), format!("'{raw}' is not a case id"), Some("id"))
    })
}

/// A category code given as a filter, checked against the taxonomy.
pub fn category_param(reference: &grassroots_store::Reference, raw: &str) -> Result<String, ApiError> {
    let code = raw.trim();
    match reference.taxonomy.get(code) {
        Some(c) => Ok(c.code.0.clone()),
        None => Err(ApiError::field(
            "category",
            format!("未知的类别代码“{code}”"),
            format!("unknown category code '{code}'"),
        )),
    }
}

/// Leaders work with aggregates (DESIGN §2): individual cases, with their places, words and
/// reporters, are not theirs to read.
pub(crate) fn works_on_cases(staff: &Staff) -> Result<(), ApiError> {
    staff.require(Capability::WorkOnCases)
}

pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<Value>, ApiError> {
    let states = match p.state.as_deref().filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(list) => list.split(',').map(|s| CaseState::parse_field("state", s)).collect::<Result<Vec<_>, _>>()?,
    };
    let limit = p.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::field("limit", "每页1到100条", "must be between 1 and 100"));
    }
    let after = p
        .after
        .as_deref()
        .map(|a| Uuid::parse_str(a).map_err(|_| ApiError::field("after", "无效的翻页游标", "not a valid cursor")))
        .transpose()?;
    let reference = state.reference();
    let category = p.category.as_deref().map(|c| category_param(&reference, c)).transpose()?;
    let filter = CaseFilter {
        states,
        category,
        unit: p.unit,
        region: p.region.as_deref().map(RegionCode::parse).transpose()?,
        overdue: p.overdue,
        queue: p.queue.as_deref().map(|q| queue_param(&staff, q)).transpose()?,
        received_from: None,
        received_to: None,
        text: p.text,
        after,
        limit,
    };
    let page = state.store.list_cases(&staff.user.scope, &filter).await?;
    let actor = staff.actor();
    let ctx = state.move_context(&reference, Utc::now());
    let cases: Vec<_> =
        page.cases.iter().map(|c| staff_case(&c.record, &c.reporter, &actor, &ctx, &reference)).collect();
    Ok(Json(json!({ "cases": cases, "next_cursor": page.next_cursor })))
}

/// The caller's workbench queues and how many cases each holds.
pub async fn queues(State(state): State<Arc<AppState>>, staff: Staff) -> Result<Json<Value>, ApiError> {
    works_on_cases(&staff)?;
    let counts = state.store.queue_counts(&staff.user.scope, staff.user.role).await?;
    let queues: Vec<Value> = counts
        .into_iter()
        .map(|(q, count)| json!({ "queue": q.as_str(), "label": { "zh": q.label_zh(), "en": q.label_en() }, "count": count }))
        .collect();
    Ok(Json(json!({ "queues": queues })))
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_case_id(&id)?;
    let detail = state.store.case_detail(&staff.user.scope, id).await?.ok_or(ApiError::not_found())?;
    let reference = state.reference();
    let ctx = state.move_context(&reference, Utc::now());
    let view = staff_case(&detail.record, &detail.reporter, &staff.actor(), &ctx, &reference);
    Ok(Json(json!({ "case": view, "events": detail.events })))
}

pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Staff,
    Path(id): Path<String>,
    ApiJson(mv): ApiJson<Move>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_case_id(&id)?;
    let record = grassroots_app::cases::act(&state, &staff.user, id, &mv).await?;
    let (reference, actor) = (state.reference(), staff.actor());
    let ctx = state.move_context(&reference, Utc::now());
    let detail = state.store.case_detail(&staff.user.scope, id).await?;
    match detail {
        Some(d) => {
            let view = staff_case(&d.record, &d.reporter, &actor, &ctx, &reference);
            Ok(Json(json!({ "case": view, "events": d.events })))
        }
        // A move can take a case out of the actor's scope (a unit returning it).
        None => Ok(Json(json!({ "case": { "id": record.id, "state": record.state, "version": record.version } }))),
    }
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    reason: String,
}

pub async fn reveal(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RevealPersonalData>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> Result<Json<Value>, ApiError> {
    let id = parse_case_id(&id)?;
    let revealed = grassroots_app::cases::reveal(&state, &staff.user, id, Some(&req.reason)).await?;
    Ok(Json(json!({ "reporter_name": revealed.name, "reporter_phone": revealed.phone, "audited": true })))
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportParams {
    /// csv (default) or jsonl.
    format: Option<String>,
    state: Option<String>,
    category: Option<String>,
    region: Option<String>,
    /// Received on or after this day (YYYY-MM-DD, Beijing time).
    from: Option<String>,
    /// Received on or before this day.
    to: Option<String>,
    /// Reporters' names and phones in full; needs `reason`, and every case's reveal is audited.
    #[serde(default)]
    reveal: bool,
    reason: Option<String>,
}

/// The caller's cases as CSV or JSON lines, streamed a page at a time (constant memory at any
/// size), personal data masked — or, with `reveal` and a reason, in full, each case's reveal
/// audited as a reveal on its page would be.
pub async fn export(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    use futures_util::StreamExt;
    use grassroots_store::export::{header, rows, ExportFormat, Walk};

    let format = ExportFormat::parse(p.format.as_deref().unwrap_or("csv"))
        .ok_or_else(|| ApiError::field("format", "可选：csv, jsonl", "one of: csv, jsonl"))?;
    let reference = state.reference();
    let states = match p.state.as_deref().filter(|s| !s.is_empty()) {
        None => Vec::new(),
        Some(list) => list.split(',').map(|s| CaseState::parse_field("state", s)).collect::<Result<Vec<_>, _>>()?,
    };
    let day = |field: &'static str, raw: &Option<String>, end: bool| {
        raw.as_deref().map(|d| crate::stats::parse_time(field, d.trim(), end)).transpose()
    };
    let filter = CaseFilter {
        states,
        category: p.category.as_deref().map(|c| category_param(&reference, c)).transpose()?,
        region: p.region.as_deref().map(RegionCode::parse).transpose()?,
        received_from: day("from", &p.from, false)?,
        received_to: day("to", &p.to, true)?,
        ..CaseFilter::default()
    };
    // Checked before the first byte: once streaming, a refusal could only cut the file short.
    let reveal = p.reveal.then(|| FullExport::allow(&staff.user, p.reason.as_deref())).transpose()?;
    let scope = staff.user.scope.clone();
    let first = axum::body::Bytes::from(header(format));
    let pages = futures_util::stream::unfold(Some(Walk::new(filter)), move |walk| {
        let (state, scope, reference, reveal) = (state.clone(), scope.clone(), reference.clone(), reveal.clone());
        async move {
            let mut walk = walk?;
            let page: Result<_, AppError> = match walk.next(&*state.store, &scope).await {
                Ok(Some(mut page)) => match &reveal {
                    Some(full) => full.reveal_page(&state, &mut page).await.map(|()| Some(page)),
                    None => Ok(Some(page)),
                },
                other => other.map_err(AppError::from),
            };
            match page {
                Ok(Some(page)) => Some((Ok(axum::body::Bytes::from(rows(format, &page, &reference))), Some(walk))),
                Ok(None) => None,
                // The status is sent already: the stream stops and the client sees it cut short.
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    });
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(pages);
    Ok((
        [(axum::http::header::CONTENT_TYPE, format.media_type()), (axum::http::header::CACHE_CONTROL, "no-store")],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}
