//! The audit log, for administrators: entries by actor, case, kind and period, as JSON or as
//! a file, and the check of its hash chain.

use std::sync::Arc;

use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::Json;
use grassroots_app::audit::{self, AuditLine, AuditQuery};
use grassroots_store::{AuditEntry, ChainReport};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(entries)).routes(routes!(export)).routes(routes!(verify))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditParams {
    /// A staff member's username.
    actor: Option<String>,
    /// A case's tracking number or id.
    case: Option<String>,
    /// The kind of entry: `reveal`, `login`, `login_failed`, `login_burst`, a move's name, …
    action: Option<String>,
    /// From this day (YYYY-MM-DD, Beijing) or instant.
    from: Option<String>,
    /// To this day, inclusive, or instant.
    to: Option<String>,
    /// The `next_before` of the previous page.
    before: Option<String>,
    /// Entries a page, 1 to 1,000 (100 when absent).
    #[param(minimum = 1, maximum = 1000)]
    limit: Option<i64>,
}

impl AuditParams {
    fn query(self) -> AuditQuery {
        AuditQuery {
            actor: self.actor,
            case: self.case,
            action: self.action,
            from: self.from,
            to: self.to,
            before: self.before,
            limit: self.limit,
        }
    }
}

/// An audit entry, with the username of the staff member who acted.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditLineView {
    #[serde(flatten)]
    pub entry: AuditEntry,
    pub actor_username: Option<String>,
}

impl From<AuditLine> for AuditLineView {
    fn from(line: AuditLine) -> Self {
        Self { entry: line.entry, actor_username: line.actor_username }
    }
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AuditAnswer {
    /// Newest first.
    pub entries: Vec<AuditLineView>,
    /// Pass as `before` for the next page; absent on the last.
    pub next_before: Option<Uuid>,
}

/// Audit entries, newest first.
#[utoipa::path(get, path = "/v1/audit", tag = "audit", params(AuditParams), security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = AuditAnswer), (status = "default", description = "Not an administrator (403), a bad filter (422), …", body = ErrorBody)))]
pub async fn entries(
    State(state): State<Arc<AppState>>,
    admin: Can<need::Administer>,
    ApiQuery(p): ApiQuery<AuditParams>,
) -> Result<Json<AuditAnswer>, ApiError> {
    let page = audit::search(&state, Some(&admin.user), &p.query()).await?;
    Ok(Json(AuditAnswer { entries: page.lines.into_iter().map(Into::into).collect(), next_before: page.next_before }))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct AuditExportParams {
    actor: Option<String>,
    case: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
}

/// The matching entries as JSON lines, newest first, every page of them.
#[utoipa::path(get, path = "/v1/audit/export", tag = "audit", params(AuditExportParams), security(("bearer" = []), ("cookie" = [])),
    responses(
        (status = 200, description = "One entry a line", content((String = "application/x-ndjson"))),
        (status = "default", body = ErrorBody),
    ))]
pub async fn export(
    State(state): State<Arc<AppState>>,
    admin: Can<need::Administer>,
    ApiQuery(p): ApiQuery<AuditExportParams>,
) -> Result<Response, ApiError> {
    let query = AuditQuery {
        actor: p.actor,
        case: p.case,
        action: p.action,
        from: p.from,
        to: p.to,
        before: None,
        limit: Some(1000),
    };
    // Checked, and the first page read, before answering: a bad filter is a 422, not a cut file.
    let search = audit::prepare(&state, Some(&admin.user), &query).await?;
    let first = search.page(&state).await?;
    let pages = futures_util::stream::unfold(Some((first, search)), move |next| {
        let state = state.clone();
        async move {
            let (page, mut search) = next?;
            let mut bytes = Vec::new();
            for line in page.lines {
                bytes.extend(serde_json::to_vec(&AuditLineView::from(line)).unwrap_or_default());
                bytes.push(b'\n');
            }
            let following = match page.next_before {
                Some(before) => {
                    search.continue_before(before);
                    match search.page(&state).await {
                        Ok(page) => Some((page, search)),
                        Err(e) => {
                            tracing::error!(error = %e, "audit export stopped");
                            return Some((Err(std::io::Error::other(e.to_string())), None));
                        }
                    }
                }
                None => None,
            };
            Some((Ok::<_, std::io::Error>(axum::body::Bytes::from(bytes)), following))
        }
    });
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/x-ndjson"),
            (axum::http::header::CONTENT_DISPOSITION, "attachment; filename=\"audit.jsonl\""),
        ],
        axum::body::Body::from_stream(pages),
    )
        .into_response())
}

/// Seals the entries written since the last sealing into the hash chain, then checks the
/// whole chain: every entry against its hash and its predecessor's.
#[utoipa::path(post, path = "/v1/audit/verify", tag = "audit", security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = ChainReport), (status = "default", body = ErrorBody)))]
pub async fn verify(
    State(state): State<Arc<AppState>>,
    admin: Can<need::Administer>,
) -> Result<Json<ChainReport>, ApiError> {
    Ok(Json(audit::verify(&state, Some(&admin.user)).await?))
}
