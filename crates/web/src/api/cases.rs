//! Staff work on cases: the scoped queue, a case with its events, moves, and reveal.

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, Path, State};
use axum::Json;
use chrono::Utc;
use grassroots_domain::queue::Queue;
use grassroots_domain::workflow::Move;
use grassroots_domain::{CaseState, RegionCode, Role};
use grassroots_store::export::{header, rows, ExportFormat, Reporters, Walk};
use grassroots_store::CaseFilter;
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use grassroots_app::cases::FullExport;
use grassroots_app::AppError;

use crate::error::{ApiError, ErrorBody};
use crate::extract::{ApiJson, ApiQuery, JsonWithPhotos};
use crate::session::{need, Can, Staff};
use crate::views::{staff_case, Event, Label, StaffCase};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    // A move may bring photos.
    let moves = OpenApiRouter::new().routes(routes!(act)).layer(DefaultBodyLimit::max(crate::PHOTO_FORM_LIMIT));
    OpenApiRouter::new()
        .merge(moves)
        .routes(routes!(list))
        .routes(routes!(queues))
        .routes(routes!(show))
        .routes(routes!(reveal))
        .routes(routes!(export, export_revealed))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// One state or several, comma-separated.
    state: Option<String>,
    /// A category code; a top-level code includes its sub-categories.
    category: Option<String>,
    /// A lead unit's id.
    unit: Option<String>,
    /// A district, street, community or grid code.
    #[param(pattern = "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})$")]
    region: Option<String>,
    overdue: Option<bool>,
    /// A workbench queue of the caller's role.
    queue: Option<String>,
    /// Words of the description, or a tracking number.
    text: Option<String>,
    /// The `next_cursor` of the page before.
    after: Option<String>,
    /// 1 to 100; 50 by default.
    #[param(minimum = 1, maximum = 100)]
    limit: Option<u32>,
}

/// A page of cases, newest first.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseList {
    pub cases: Vec<StaffCase>,
    /// Pass as `after` for the next page; absent on the last.
    pub next_cursor: Option<Uuid>,
}

/// The caller's workbench queues, each with how many cases it holds.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueList {
    pub queues: Vec<QueueCount>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct QueueCount {
    /// `to_register`, `to_dispatch`, `returned`, `mine`, `due_soon`, `overdue`.
    pub queue: &'static str,
    pub label: Label,
    pub count: i64,
}

/// A case with its history.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseAnswer {
    pub case: StaffCase,
    pub events: Vec<Event>,
}

/// A move made: the case as it is now, or — when the move took it out of the caller's scope
/// (a unit returning it) — only where it stands.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(untagged)]
pub enum MoveAnswer {
    InScope(Box<CaseAnswer>),
    LeftScope(LeftScope),
}

/// The case no longer in the caller's scope: where it stands, and nothing more.
#[derive(Debug, Serialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LeftScope {
    pub case: CaseStub,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct CaseStub {
    pub id: Uuid,
    pub state: CaseState,
    pub version: i64,
}

#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealRequest {
    /// Why the reporter's personal data is needed: 2 to 500 characters, kept in the audit.
    #[schema(min_length = 2, max_length = 500)]
    reason: String,
}

/// The reporter in full, for this once, and what was typed into the case's free text where
/// personal data in it was masked; the reveal is audited.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Revealed {
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    pub texts: Vec<grassroots_store::RevealedText>,
    pub audited: bool,
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

/// Cases within the caller's scope, filtered, a page at a time.
#[utoipa::path(get, path = "/v1/cases", tag = "cases", params(ListParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CaseList), (status = "default", body = ErrorBody)))]
pub async fn list(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    ApiQuery(p): ApiQuery<ListParams>,
) -> Result<Json<CaseList>, ApiError> {
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
    let filter = CaseFilter {
        states: states_param(p.state.as_deref())?,
        category: p.category.as_deref().map(|c| category_param(&reference, c)).transpose()?,
        unit: p.unit,
        region: p.region.as_deref().map(RegionCode::parse).transpose()?,
        overdue: p.overdue,
        queue: p.queue.as_deref().map(|q| queue_param(&staff, q)).transpose()?,
        received_from: None,
        received_to: None,
        text: p.text,
        after,
        limit,
        ..CaseFilter::default()
    };
    let page = state.store.list_cases(&staff.user.scope, &filter).await?;
    let (actor, ctx) = (staff.actor(), state.move_context(&reference, Utc::now()));
    let cases = page.cases.iter().map(|c| staff_case(&c.record, &c.reporter, &actor, &ctx, &reference)).collect();
    Ok(Json(CaseList { cases, next_cursor: page.next_cursor }))
}

/// States given as `a,b,c`.
fn states_param(raw: Option<&str>) -> Result<Vec<CaseState>, ApiError> {
    match raw.filter(|s| !s.is_empty()) {
        None => Ok(Vec::new()),
        Some(list) => Ok(list.split(',').map(|s| CaseState::parse_field("state", s)).collect::<Result<Vec<_>, _>>()?),
    }
}

/// The caller's workbench queues and how many cases each holds.
#[utoipa::path(get, path = "/v1/queues", tag = "cases", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = QueueList), (status = "default", body = ErrorBody)))]
pub async fn queues(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
) -> Result<Json<QueueList>, ApiError> {
    let counts = state.store.queue_counts(&staff.user.scope, staff.user.role).await?;
    let queues = counts
        .into_iter()
        .map(|(q, count)| QueueCount {
            queue: q.as_str(),
            label: Label { zh: q.label_zh().into(), en: q.label_en().into() },
            count,
        })
        .collect();
    Ok(Json(QueueList { queues }))
}

/// A case within the caller's scope, with its history; outside it, not found.
#[utoipa::path(get, path = "/v1/cases/{id}", tag = "cases", params(("id" = Uuid, Path)), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = CaseAnswer), (status = "default", body = ErrorBody)))]
pub async fn show(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
) -> Result<Json<CaseAnswer>, ApiError> {
    let id = parse_case_id(&id)?;
    let detail = state.store.case_detail(&staff.user.scope, id).await?.ok_or(ApiError::not_found())?;
    let reference = state.reference();
    let ctx = state.move_context(&reference, Utc::now());
    let case = staff_case(&detail.record, &detail.reporter, &staff.actor(), &ctx, &reference);
    Ok(Json(CaseAnswer { case, events: detail.events.iter().map(Event::from).collect() }))
}

/// A move with photos, as a multipart body: the move as JSON in the part `json`, and the
/// photos (JPEG, PNG or WebP, 5 MB each, at most 6) in parts `photo`. Reporting a case handled
/// takes photos of the result (required for the categories that say so).
#[derive(utoipa::ToSchema)]
#[allow(dead_code)] // Describes the multipart form for the document; the form is read part by part.
pub struct MoveWithPhotos {
    json: Move,
    #[schema(value_type = Vec<String>, format = Binary)]
    photo: Vec<Vec<u8>>,
}

/// Makes a move of the closed loop (`action` names it), as JSON, or as a multipart body with
/// photos. Refused moves change nothing: 403 for a role that may never make it, 409 for one
/// that does not apply now, 422 naming the field.
#[utoipa::path(post, path = "/v1/cases/{id}/actions", tag = "cases", params(("id" = Uuid, Path)),
    request_body(content((Move = "application/json"), (MoveWithPhotos = "multipart/form-data"))),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = MoveAnswer), (status = "default", body = ErrorBody)))]
pub async fn act(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    Path(id): Path<String>,
    body: JsonWithPhotos<Move>,
) -> Result<Json<MoveAnswer>, ApiError> {
    let id = parse_case_id(&id)?;
    let mv = body.value;
    let record = grassroots_app::cases::act_with_photos(&state, &staff.user, id, &mv, body.photos).await?;
    let (reference, actor) = (state.reference(), staff.actor());
    let ctx = state.move_context(&reference, Utc::now());
    Ok(Json(match state.store.case_detail(&staff.user.scope, id).await? {
        Some(d) => MoveAnswer::InScope(Box::new(CaseAnswer {
            case: staff_case(&d.record, &d.reporter, &actor, &ctx, &reference),
            events: d.events.iter().map(Event::from).collect(),
        })),
        // A move can take a case out of the actor's scope (a unit returning it).
        None => MoveAnswer::LeftScope(LeftScope {
            case: CaseStub { id: record.id, state: record.state, version: record.version },
        }),
    }))
}

/// The reporter's name and phone, for a stated reason; the reveal is audited.
#[utoipa::path(post, path = "/v1/cases/{id}/reveal", tag = "cases", params(("id" = Uuid, Path)),
    request_body = RevealRequest, security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = Revealed), (status = "default", body = ErrorBody)))]
pub async fn reveal(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RevealPersonalData>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<RevealRequest>,
) -> Result<Json<Revealed>, ApiError> {
    let id = parse_case_id(&id)?;
    let revealed = grassroots_app::cases::reveal(&state, &staff.user, id, Some(&req.reason)).await?;
    Ok(Json(Revealed {
        reporter_name: revealed.name,
        reporter_phone: revealed.phone,
        texts: revealed.texts,
        audited: true,
    }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ExportParams {
    /// csv (default) or jsonl.
    #[param(pattern = "^(csv|jsonl)$")]
    format: Option<String>,
    state: Option<String>,
    category: Option<String>,
    #[param(pattern = "^([0-9]{2}|[0-9]{4}|[0-9]{6}|[0-9]{9}|[0-9]{12}|[0-9]{15})$")]
    region: Option<String>,
    /// Received on or after this day (YYYY-MM-DD, Beijing time).
    from: Option<String>,
    /// Received on or before this day.
    to: Option<String>,
}

/// What a full export needs besides its selection.
#[derive(Debug, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RevealedExportRequest {
    /// Why the reporters' personal data is needed: 2 to 500 characters, kept in the audit of
    /// every case exported.
    #[schema(min_length = 2, max_length = 500)]
    reason: String,
    /// `true`: the caller confirms that every reporter of the selection is revealed.
    #[serde(default)]
    confirm: bool,
}

/// The caller's cases as CSV or JSON lines, streamed a page at a time (constant memory at any
/// size), personal data masked.
#[utoipa::path(get, path = "/v1/export/cases", tag = "cases", params(ExportParams), security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "CSV (a header line, then a case a line) or JSON lines",
            content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = "default", body = ErrorBody),
    ))]
pub async fn export(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    ApiQuery(p): ApiQuery<ExportParams>,
) -> Result<axum::response::Response, ApiError> {
    export_stream(state, &staff, p, None)
}

/// The same export with the reporters' names and phones in full, for a stated and confirmed
/// reason, each case's reveal audited as a reveal on its page would be. A POST (never a link
/// that another site could make a logged-in browser follow), the selection in the query.
#[utoipa::path(post, path = "/v1/export/cases", tag = "cases", params(ExportParams), request_body = RevealedExportRequest,
    security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "CSV (a header line, then a case a line) or JSON lines",
            content((String = "text/csv"), (String = "application/x-ndjson"))),
        (status = "default", description = "No reason (422), not confirmed (422), a role that may not reveal (403), …", body = ErrorBody),
    ))]
pub async fn export_revealed(
    State(state): State<Arc<AppState>>,
    staff: Can<need::RevealPersonalData>,
    ApiQuery(p): ApiQuery<ExportParams>,
    ApiJson(req): ApiJson<RevealedExportRequest>,
) -> Result<axum::response::Response, ApiError> {
    // Checked before the first byte: once streaming, a refusal could only cut the file short.
    let full = FullExport::allow(&staff.user, Some(&req.reason))?;
    if !req.confirm {
        return Err(ApiError::field(
            "confirm",
            "请确认：导出将显示所选每件案件举报人的姓名和电话，并逐件记入审计",
            "confirm: the export shows every selected reporter's name and phone, each audited",
        ));
    }
    export_stream(state, &staff, p, Some(full))
}

fn export_stream(
    state: Arc<AppState>,
    staff: &Staff,
    p: ExportParams,
    reveal: Option<FullExport>,
) -> Result<axum::response::Response, ApiError> {
    use axum::response::IntoResponse;
    use futures_util::StreamExt;

    let format = ExportFormat::parse(p.format.as_deref().unwrap_or("csv"))
        .ok_or_else(|| ApiError::field("format", "可选：csv, jsonl", "one of: csv, jsonl"))?;
    let reference = state.reference();
    let day = |field: &'static str, raw: &Option<String>, end: bool| {
        raw.as_deref().map(|d| grassroots_app::fields::time(field, d.trim(), end)).transpose()
    };
    let filter = CaseFilter {
        states: states_param(p.state.as_deref())?,
        category: p.category.as_deref().map(|c| category_param(&reference, c)).transpose()?,
        region: p.region.as_deref().map(RegionCode::parse).transpose()?,
        received_from: day("from", &p.from, false)?,
        received_to: day("to", &p.to, true)?,
        ..CaseFilter::default()
    };
    let reporters = if reveal.is_some() { Reporters::Revealed } else { Reporters::Masked };
    let first = axum::body::Bytes::from(header(format, reporters));
    let pages = export_pages(state.clone(), staff.user.scope.clone(), Walk::new(filter), reveal, format);
    let body = futures_util::stream::once(async move { Ok::<_, std::io::Error>(first) }).chain(pages);
    Ok((
        [(axum::http::header::CONTENT_TYPE, format.media_type()), (axum::http::header::CACHE_CONTROL, "no-store")],
        axum::body::Body::from_stream(body),
    )
        .into_response())
}

/// The rows of an export, a page at a time, revealed in full when allowed. Once streaming,
/// the status is sent: a failure stops the stream and the client sees the file cut short.
/// The next page is read while the one before is written out, so the store's reading and the
/// writing of rows share the machine's cores instead of taking turns.
fn export_pages(
    state: Arc<AppState>,
    scope: grassroots_domain::Scope,
    mut walk: Walk,
    reveal: Option<FullExport>,
    format: ExportFormat,
) -> impl futures_util::Stream<Item = Result<axum::body::Bytes, std::io::Error>> {
    let (pages, read) = tokio::sync::mpsc::channel(1);
    let reader = state.clone();
    let reporters = if reveal.is_some() { Reporters::Revealed } else { Reporters::Masked };
    tokio::spawn(async move {
        loop {
            let page: Result<_, AppError> = match walk.next(&*reader.store, &scope).await {
                Ok(Some(mut page)) => match &reveal {
                    Some(full) => full.reveal_page(&reader, &mut page).await.map(|()| Some(page)),
                    None => Ok(Some(page)),
                },
                other => other.map_err(AppError::from),
            };
            let stop = !matches!(page, Ok(Some(_)));
            // A client that went away closes the channel, and the walk ends with it.
            if pages.send(page).await.is_err() || stop {
                break;
            }
        }
    });
    futures_util::stream::unfold(Some(read), move |read| {
        let state = state.clone();
        async move {
            let mut read = read?;
            match read.recv().await? {
                Ok(Some(page)) => {
                    let bytes = axum::body::Bytes::from(rows(format, reporters, &page, &state.reference()));
                    Some((Ok(bytes), Some(read)))
                }
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "export stopped");
                    Some((Err(std::io::Error::other(e.to_string())), None))
                }
            }
        }
    })
}
