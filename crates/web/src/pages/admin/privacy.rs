//! 个人信息请求: an administrator records a resident's request to see, correct or delete their
//! personal data (verified outside the platform) and sees it carried out across every case
//! with the resident's phone number.

use std::sync::Arc;

use askama::Template;
use axum::extract::State;
use axum::http::header::CACHE_CONTROL;
use axum::http::{HeaderValue, StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::privacy::{self, SubjectCase, SubjectRequest, SubjectRequestKind};
use serde::Deserialize;

use super::tabs;
use crate::error::ApiError;
use crate::extract::ApiForm;
use crate::pages::{form_error, Chrome, FormError, Lang};
use crate::session::{need, Can};
use crate::AppState;

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequestForm {
    phone: String,
    kind: String,
    reference: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    new_phone: String,
}

struct Row {
    tracking_no: String,
    id: String,
    /// What was done, or what the platform holds (for a request to see).
    outcome: String,
}

#[derive(Template)]
#[template(path = "privacy.html")]
struct PrivacyPage {
    lang: Lang,
    chrome: Chrome,
    tabs: Vec<(String, String, bool)>,
    form: RequestForm,
    error: Option<FormError>,
    done: Option<Vec<Row>>,
    /// A request to erase closed the number's resident account.
    account_closed: bool,
}

impl PrivacyPage {
    fn error_for(&self, field: &str) -> Option<&str> {
        self.error.as_ref().filter(|e| e.field == field).map(|e| e.message.as_str())
    }

    fn is_kind(&self, kind: &str) -> bool {
        self.form.kind == kind
    }
}

fn page(admin: &Can<need::Administer>, lang: Lang, uri: &Uri, form: RequestForm) -> PrivacyPage {
    PrivacyPage {
        tabs: tabs(lang, "privacy"),
        form,
        error: None,
        done: None,
        account_closed: false,
        chrome: Chrome::new(lang, Some(admin), uri),
        lang,
    }
}

pub async fn show(admin: Can<need::Administer>, lang: Lang, uri: Uri) -> Result<Html<String>, ApiError> {
    let form = RequestForm { kind: "see".into(), ..RequestForm::default() };
    Ok(Html(page(&admin, lang, &uri, form).render()?))
}

fn row(case: SubjectCase, kind: &SubjectRequestKind, lang: Lang) -> Row {
    let outcome = match (kind, &case.personal) {
        (SubjectRequestKind::See, Some(p)) => {
            let texts = p.texts.iter().map(|t| t.text.as_str()).collect::<Vec<_>>().join(" | ");
            format!("{} · {} {}", p.name.as_deref().unwrap_or("—"), p.phone.as_deref().unwrap_or("—"), texts)
        }
        (SubjectRequestKind::Correct { .. }, _) => lang.t("已更正", "corrected").to_string(),
        (SubjectRequestKind::Delete, _) => lang.t("已删除个人信息", "personal data erased").to_string(),
        (SubjectRequestKind::See, None) => "—".to_string(),
    };
    Row { tracking_no: case.tracking_no, id: case.id.to_string(), outcome }
}

/// Carries the request out and shows each case it reached; a refused field is shown beside
/// it with what was typed. Never cached: the answer to a request to see holds personal data.
pub async fn carry_out(
    State(state): State<Arc<AppState>>,
    admin: Can<need::Administer>,
    lang: Lang,
    uri: Uri,
    ApiForm(form): ApiForm<RequestForm>,
) -> Result<Response, ApiError> {
    let kind = match form.kind.as_str() {
        "see" => Ok(SubjectRequestKind::See),
        "correct" => {
            Ok(SubjectRequestKind::Correct { name: Some(form.name.clone()), phone: Some(form.new_phone.clone()) })
        }
        "delete" => Ok(SubjectRequestKind::Delete),
        _ => Err(ApiError::field("kind", "请选择请求类型", "choose what is asked")),
    };
    let request =
        kind.clone().map(|kind| SubjectRequest { phone: form.phone.clone(), kind, reference: form.reference.clone() });
    let outcome = match request {
        Ok(request) => privacy::subject_request(&state, &admin.user, request).await.map_err(ApiError::from),
        Err(e) => Err(e),
    };
    let mut page = page(&admin, lang, &uri, form);
    let status = match (outcome, kind) {
        (Ok(outcome), Ok(kind)) => {
            page.done = Some(outcome.cases.into_iter().map(|c| row(c, &kind, lang)).collect());
            page.account_closed = outcome.account_closed;
            StatusCode::OK
        }
        (Err(e), _) if e.field.is_some() => {
            page.error = Some(form_error(e, &lang)?);
            StatusCode::UNPROCESSABLE_ENTITY
        }
        (Err(e), _) => return Err(e),
        (Ok(_), Err(e)) => return Err(e),
    };
    let mut response = (status, Html(page.render()?)).into_response();
    response.headers_mut().insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
