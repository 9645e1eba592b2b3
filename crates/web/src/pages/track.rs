//! The resident's own case (查询进度): opened by its tracking number and query code, or by the
//! link of a text message. Once the code was right the page moves to its own link (a signed
//! token, not the code), so that it can be bookmarked and the forms on it need no code.

use std::sync::Arc;

use askama::Template;
use axum::extract::multipart::MultipartRejection;
use axum::extract::{Multipart, Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::http::{StatusCode, Uri};
use axum::response::{Html, IntoResponse, Response};
use grassroots_app::track::{self, Evaluation, Pass};
use serde::Deserialize;

use super::{beijing_minutes, see_other, Chrome, Lang};
use crate::api::intake::read_form;
use crate::api::track::find_case;
use crate::error::ApiError;
use crate::extract::{ApiForm, ApiQuery};
use crate::ratelimit::Client;
use crate::views::ResidentCase;
use crate::AppState;

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    lang: Lang,
    chrome: Chrome,
    /// What the code form holds.
    tracking_no: String,
    code: String,
    /// The link token the forms on a shown case carry.
    token: String,
    error: Option<String>,
    case: Option<TrackedCase>,
    done: Option<Done>,
    /// What the addition form held when it came back with an error.
    added: String,
}

/// What the resident just did, said at the top of the page they come back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Done {
    Rated,
    Added,
}

impl Done {
    fn message(self, lang: &Lang) -> &'static str {
        match self {
            Self::Rated => lang.t("感谢您的评价！", "Thank you for your rating!"),
            Self::Added => lang.t("已补充，承办单位会看到。", "Added: the unit handling it will see it."),
        }
    }
}

/// A case as the resident sees it, with its words in the page's language.
pub struct TrackedCase {
    pub tracking_no: String,
    pub state: String,
    pub category: String,
    pub description: String,
    pub address: Option<String>,
    /// Where each photo is served, through the page's link.
    pub photos: Vec<String>,
    pub received: String,
    pub response_due: String,
    pub resolve_due: String,
    pub result: Option<String>,
    pub timeline: Vec<(String, String)>,
    pub evaluation: Option<String>,
    pub can_evaluate: bool,
    pub can_add: bool,
    pub handled_with: Option<String>,
}

fn tracked(case: ResidentCase, token: &str, lang: &Lang) -> TrackedCase {
    let state = lang.t(case.state.label_zh(), case.state.label_en()).to_string();
    TrackedCase {
        tracking_no: case.tracking_no,
        state,
        category: case.category.map(|c| lang.t(&c.zh, &c.en).to_string()).unwrap_or_default(),
        description: case.description,
        address: case.address,
        photos: case.photos.iter().map(|id| format!("/track/photos/{id}?t={token}")).collect(),
        received: beijing_minutes(case.received_at),
        response_due: beijing_minutes(case.response_due),
        resolve_due: beijing_minutes(case.resolve_due),
        result: case.result,
        timeline: case
            .timeline
            .into_iter()
            .map(|t| (beijing_minutes(t.at), lang.t(&t.zh, &t.en).to_string()))
            .collect(),
        evaluation: case.evaluation.map(|e| {
            let resolved =
                if e.resolved { lang.t("已解决", "resolved") } else { lang.t("未解决", "not resolved") };
            format!("{resolved} · {}", lang.t(e.satisfaction.label_zh(), e.satisfaction.label_en()))
        }),
        can_evaluate: case.can_evaluate,
        can_add: case.can_add,
        handled_with: case
            .handled_with
            .map(|m| format!("{} · {}", lang.t(m.state.label_zh(), m.state.label_en()), m.result.unwrap_or_default())),
    }
}

impl TrackPage {
    fn new(lang: Lang, uri: &Uri) -> Self {
        Self {
            tracking_no: String::new(),
            code: String::new(),
            token: String::new(),
            error: None,
            case: None,
            done: None,
            added: String::new(),
            chrome: Chrome::new(lang, None, uri),
            lang,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackParams {
    /// A link's token.
    t: Option<String>,
    done: Option<Done>,
}

/// The code form, or the case a link opens.
pub async fn show(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    Client(client): Client,
    ApiQuery(params): ApiQuery<TrackParams>,
) -> Result<Response, ApiError> {
    let mut page = TrackPage::new(lang, &uri);
    let Some(token) = params.t.filter(|t| !t.trim().is_empty()) else {
        return Ok(Html(page.render()?).into_response());
    };
    let status = match find_case(&state, &Pass::Link { token: token.clone() }, client).await {
        Ok(case) => {
            page.case = Some(tracked(case, &token, &lang));
            page.token = token;
            page.done = params.done;
            StatusCode::OK
        }
        Err(e) if e.status == StatusCode::NOT_FOUND => {
            page.error = Some(
                lang.t(
                    "链接已过期或不完整，请输入受理编号和查询码",
                    "this link has expired or is incomplete: enter the tracking number and query code",
                )
                .to_string(),
            );
            StatusCode::NOT_FOUND
        }
        Err(e) => return Err(e),
    };
    Ok((status, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
pub struct CodeForm {
    tracking_no: String,
    code: String,
}

/// The number and code checked: the page moves to the case's own link.
pub async fn open(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    Client(client): Client,
    ApiForm(form): ApiForm<CodeForm>,
) -> Result<Response, ApiError> {
    let pass = Pass::Code { tracking_no: form.tracking_no.trim().to_string(), code: form.code.trim().to_string() };
    match track::find(&state, &pass, client).await {
        Ok(found) => {
            let token = track::link_token(&state, &found.detail.record.tracking_no);
            Ok(see_other(&format!("/track?t={token}"), None))
        }
        Err(e) => {
            let e = ApiError::from(e);
            if e.status != StatusCode::NOT_FOUND {
                return Err(e);
            }
            let mut page = TrackPage::new(lang, &uri);
            page.tracking_no = form.tracking_no;
            page.code = form.code;
            page.error =
                Some(lang.t("受理编号或查询码不正确", "no case has this tracking number and query code").to_string());
            Ok((StatusCode::NOT_FOUND, Html(page.render()?)).into_response())
        }
    }
}

#[derive(Deserialize)]
pub struct EvaluationForm {
    t: String,
    resolved: Option<String>,
    satisfaction: Option<String>,
    comment: Option<String>,
}

/// The resident's rating of their closed case; the page then says thank you.
pub async fn evaluate(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    Client(client): Client,
    ApiForm(form): ApiForm<EvaluationForm>,
) -> Result<Response, ApiError> {
    let pass = Pass::Link { token: form.t.clone() };
    let evaluation = Evaluation {
        resolved: form.resolved.as_deref() == Some("yes"),
        satisfaction: form.satisfaction.unwrap_or_default(),
        comment: form.comment.filter(|c| !c.trim().is_empty()),
    };
    match track::evaluate(&state, &pass, client, evaluation).await.map_err(ApiError::from) {
        Ok(()) => Ok(see_other(&format!("/track?t={}&done=rated", form.t), None)),
        Err(e) => refused(&state, lang, &uri, client, form.t, e, String::new()).await,
    }
}

/// The case's page again after a refused rating or addition: the reason, what was typed kept.
/// Only a refusal about the form (a field, a conflict) is shown this way.
async fn refused(
    state: &AppState,
    lang: Lang,
    uri: &Uri,
    client: std::net::IpAddr,
    token: String,
    error: ApiError,
    added: String,
) -> Result<Response, ApiError> {
    if error.field.is_none() && error.status != StatusCode::CONFLICT {
        return Err(error);
    }
    let mut page = TrackPage::new(lang, uri);
    page.error = Some(lang.t(&error.text.zh, &error.text.en).to_string());
    let pass = Pass::Link { token: token.clone() };
    page.case = find_case(state, &pass, client).await.ok().map(|c| tracked(c, &token, &lang));
    page.token = token;
    page.added = added;
    Ok((StatusCode::UNPROCESSABLE_ENTITY, Html(page.render()?)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhotoParams {
    t: String,
}

/// One of the case's photos, for the page its link opens.
pub async fn photo(
    State(state): State<Arc<AppState>>,
    Client(client): Client,
    Path(id): Path<String>,
    ApiQuery(params): ApiQuery<PhotoParams>,
) -> Result<Response, ApiError> {
    let id = uuid::Uuid::parse_str(&id).map_err(|_| ApiError::not_found())?;
    let (media_type, bytes) = track::photo(&state, &Pass::Link { token: params.t }, client, id).await?;
    Ok(([(CONTENT_TYPE, media_type), (CACHE_CONTROL, "private, max-age=3600".to_string())], bytes).into_response())
}

/// The resident adds words or photos to their open case; the page then says it was added.
pub async fn add(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    uri: Uri,
    Client(client): Client,
    form: Result<Multipart, MultipartRejection>,
) -> Result<Response, ApiError> {
    let mut token = String::new();
    let mut text = String::new();
    let result = async {
        let form = read_form(form).await;
        let (fields, photos) = match form {
            Ok(f) => (f.fields, Ok(f.photos)),
            Err(e) => (Vec::new(), Err(e)),
        };
        for (name, value) in fields {
            match name.as_str() {
                "t" => token = value,
                "text" => text = value,
                other => return Err(ApiError::field(other, "未知字段", "unknown field")),
            }
        }
        let photos = photos?;
        let pass = Pass::Link { token: token.clone() };
        let words = Some(text.clone()).filter(|t| !t.trim().is_empty());
        Ok(track::add(&state, &pass, client, words, photos).await?)
    }
    .await;
    match result {
        Ok(()) => Ok(see_other(&format!("/track?t={token}&done=added"), None)),
        Err(e) => refused(&state, lang, &uri, client, token, e, text).await,
    }
}
