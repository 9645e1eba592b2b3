//! 审计日志: the audit log for administrators, searched by actor, case, kind and period, a
//! page at a time, with the security alerts of the last week on top, the file of what is
//! shown, and the check of the hash chain on request.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use chrono::Utc;
use grassroots_app::audit::{self, AuditLine, AuditQuery};
use grassroots_store::ChainReport;
use serde::Deserialize;

use super::tabs;
use crate::error::ApiError;
use crate::extract::ApiQuery;
use crate::pages::{beijing_minutes, encode, form_error, Chrome, FormError, Lang};
use crate::session::{need, Can};
use crate::AppState;

/// Kinds offered as suggestions in the filter (any kind may be typed).
const KINDS: [&str; 9] =
    ["reveal", "login", "login_failed", "login_burst", "dispatch", "close", "merge", "reclassify", "key_rotation"];

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Filter {
    actor: Option<String>,
    case: Option<String>,
    action: Option<String>,
    from: Option<String>,
    to: Option<String>,
    before: Option<String>,
}

impl Filter {
    fn query(&self) -> AuditQuery {
        AuditQuery {
            actor: self.actor.clone(),
            case: self.case.clone(),
            action: self.action.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            before: self.before.clone(),
            limit: None,
        }
    }

    /// The filter as query pairs, without the page.
    fn pairs(&self) -> Vec<(&'static str, &str)> {
        [("actor", &self.actor), ("case", &self.case), ("action", &self.action), ("from", &self.from), ("to", &self.to)]
            .into_iter()
            .filter_map(|(k, v)| v.as_deref().filter(|v| !v.is_empty()).map(|v| (k, v)))
            .collect()
    }
}

struct Row {
    at: String,
    actor: String,
    action: String,
    /// A case's page, when the entry is about a case.
    case: Option<String>,
    detail: String,
}

fn row(line: AuditLine) -> Row {
    let e = line.entry;
    Row {
        at: beijing_minutes(e.at),
        actor: line.actor_username.unwrap_or_else(|| e.actor_kind.clone()),
        action: e.action,
        case: e.subject_id.filter(|_| e.subject_type.as_deref() == Some("case")).map(|id| id.to_string()),
        detail: e.detail.to_string(),
    }
}

#[derive(Template)]
#[template(path = "audit.html")]
struct AuditPage {
    lang: Lang,
    chrome: Chrome,
    tabs: Vec<(String, String, bool)>,
    kinds: [&'static str; 9],
    filter: Filter,
    error: Option<FormError>,
    rows: Vec<Row>,
    alerts: Vec<Row>,
    next: Option<String>,
    export: String,
    chain: Option<ChainReport>,
}

impl AuditPage {
    fn value<'a>(&'a self, field: &str) -> &'a str {
        let v = match field {
            "actor" => &self.filter.actor,
            "case" => &self.filter.case,
            "action" => &self.filter.action,
            "from" => &self.filter.from,
            _ => &self.filter.to,
        };
        v.as_deref().unwrap_or_default()
    }

    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }
}

async fn page(
    state: &AppState,
    admin: &Can<need::Administer>,
    lang: Lang,
    uri: &Uri,
    filter: Filter,
) -> Result<AuditPage, ApiError> {
    let week_ago = (Utc::now() - chrono::Duration::days(7)).to_rfc3339();
    let alerts = AuditQuery {
        action: Some("login_burst".into()),
        from: Some(week_ago),
        limit: Some(10),
        ..AuditQuery::default()
    };
    let alerts = audit::search(state, Some(&admin.user), &alerts).await?.lines.into_iter().map(row).collect();
    let found = audit::search(state, Some(&admin.user), &filter.query()).await;
    let (rows, next, error) = match found {
        Ok(page) => {
            let next = page.next_before.map(|before| {
                let mut pairs = filter.pairs();
                let before = before.to_string();
                pairs.push(("before", &before));
                format!("/admin/audit?{}", encode(&pairs))
            });
            (page.lines.into_iter().map(row).collect(), next, None)
        }
        Err(e) if e.field().is_some() => (Vec::new(), None, Some(form_error(e.into(), &lang)?)),
        Err(e) => return Err(e.into()),
    };
    Ok(AuditPage {
        tabs: tabs(lang, "audit"),
        kinds: KINDS,
        export: format!("/api/v1/audit/export?{}", encode(&filter.pairs())),
        filter,
        error,
        rows,
        alerts,
        next,
        chain: None,
        chrome: Chrome::new(lang, Some(admin), uri),
        lang,
    })
}

pub async fn show(
    State(state): State<Arc<AppState>>,
    admin: Can<need::Administer>,
    lang: Lang,
    uri: Uri,
    ApiQuery(filter): ApiQuery<Filter>,
) -> Result<Response, ApiError> {
    let page = page(&state, &admin, lang, &uri, filter).await?;
    let status = if page.error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    Ok((status, Html(page.render()?)).into_response())
}

/// Seals what is pending and checks the chain, then shows the log with the result.
pub async fn verify(
    State(state): State<Arc<AppState>>,
    admin: Can<need::Administer>,
    lang: Lang,
    uri: Uri,
) -> Result<Html<String>, ApiError> {
    let chain = audit::verify(&state, Some(&admin.user)).await?;
    let mut page = page(&state, &admin, lang, &uri, Filter::default()).await?;
    page.chain = Some(chain);
    Ok(Html(page.render()?))
}
