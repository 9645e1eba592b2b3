//! The JSON API under `/api`: one module per resource, each with its own router whose
//! handlers carry their `#[utoipa::path]`, so that the OpenAPI document at `/api/docs` is
//! generated from the handlers and the types they answer with, and cannot drift from them.

pub(crate) mod audit;
pub(crate) mod auth;
pub(crate) mod bulletins;
pub(crate) mod burden;
pub(crate) mod care;
pub(crate) mod cases;
pub(crate) mod classify;
pub(crate) mod compounds;
pub(crate) mod disputes;
pub(crate) mod duty;
pub(crate) mod emergencies;
pub(crate) mod funds;
pub(crate) mod grids;
pub(crate) mod helpers;
pub(crate) mod households;
pub(crate) mod intake;
pub(crate) mod meetings;
pub(crate) mod needs;
pub(crate) mod oversight;
pub(crate) mod party;
pub(crate) mod privacy;
pub(crate) mod projects;
pub(crate) mod residents;
pub(crate) mod search;
pub(crate) mod services;
pub(crate) mod stats;
pub(crate) mod support;
pub(crate) mod surveys;
pub(crate) mod topics;
pub(crate) mod track;
pub(crate) mod votes;
pub(crate) mod warnings;
pub(crate) mod workforce;

use std::sync::Arc;

use axum::http::header::CONTENT_TYPE;
use axum::routing::get;
use axum::Router;
use utoipa::openapi::path::Paths;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::openapi::OpenApi;
use utoipa_axum::router::OpenApiRouter;

use crate::error::ApiError;
use crate::session::{RESIDENT_COOKIE, SESSION_COOKIE};
use crate::AppState;

#[derive(utoipa::OpenApi)]
#[openapi(
    info(
        title = "grassroots API",
        description = "基层治理一体化平台的接口 / The API of the platform for grassroots governance: residents report and follow their requests; staff work the closed loop (受理 → 立案 → 派遣 → 处置 → 核查 → 结案 → 评价) within their scope; figures of the three rates. Staff authenticate with the bearer token of `POST /api/v1/auth/login` (or its cookie). Errors answer `{\"error\": {\"code\", \"message\", \"zh\", \"en\", \"field\"}}`.",
        license(name = "Apache-2.0")
    ),
    servers((url = "/")),
    components(schemas(crate::error::ErrorBody)),
    tags(
        (name = "intake", description = "Reports becoming cases (受理)"),
        (name = "residents", description = "Residents' accounts (a code texted to their mobile), following one's own case, and evaluating it"),
        (name = "cases", description = "Staff at work on cases within their scope"),
        (name = "grids", description = "Grids, household visits and patrols (网格化管理), residents linked to their households"),
        (name = "care", description = "Care for those who need it most (关爱服务): household members flagged with their consent, the visits due and missed, the audited reveal of who they are"),
        (name = "services", description = "Services and five-society linkage (五社联动): charity funds and their public ledgers"),
        (name = "participation", description = "Residents' participation (协商议事): topics, proposals, supports and comments, moderated; votes held by staff, cast by residents, published with turnout; meetings with their minutes; decisions carried out as tasks, in public; surveys (问需、问效)"),
        (name = "disputes", description = "Disputes resolved where they arise (矛盾纠纷调处): registered, graded by stated rules, mediated, agreed and followed up, escalated community → street → district or handed to the court or arbitration; the rosters of mediators; the figures"),
        (name = "emergencies", description = "Emergencies met house by house (应急管理): incidents with their plans, notices to the area, the house-by-house check and its progress, shelters, supplies, the log and the after-action summary; drills"),
        (name = "party", description = "Party organisation reaching every grid (党建引领): the tree of committees, branches and groups on regions and grids, members (names sealed), households each member keeps contact with (党员联户) and the contacts, in-service members registered with their community (双报到) and their service, activities with attendance; the figures"),
        (name = "burden", description = "Less paperwork (减负): the district's list of what upper levels may impose on communities (准入清单), impositions registered and flagged when not on it or asking for what the platform holds; bulletins (通报) generated from the data, weekly and monthly, for a district, street or unit, as numbers, PDF and workbook"),
        (name = "oversight", description = "Daily supervision against petty corruption (防治微腐败): the community's small powers with their procedures (小微权力清单) and its affairs and finances published with their history (居务、财务公开), in public; residents' reports of staff misconduct, sealed and routed to the discipline unit of the level above, followed like a case"),
        (name = "workforce", description = "The community workforce (队伍建设): staff profiles, training, work as the platform recorded it, the supervisor's yearly appraisal against stated indicators, staffing against the district's standard with vacancies, turnover and tenure, cadres sent down from agencies"),
        (name = "statistics", description = "The three rates and reference data"),
        (name = "auth", description = "Staff sessions"),
        (name = "audit", description = "The audit log and its hash chain, and residents' requests about their personal data, for administrators"),
    )
)]
struct ApiDoc;

/// A day a query may name (`YYYY-MM-DD`), or none when it is absent or blank.
pub(crate) fn optional_day(
    field: &'static str,
    raw: Option<&str>,
) -> Result<Option<chrono::NaiveDate>, crate::error::ApiError> {
    raw.map(str::trim)
        .filter(|d| !d.is_empty())
        .map(|d| {
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| {
                crate::error::ApiError::field(field, "日期格式应为YYYY-MM-DD", "expected a date YYYY-MM-DD")
            })
        })
        .transpose()
}

/// The id of a resource named in a path: one that is not an id names nothing (404).
pub(crate) fn id_in_path(id: &str) -> Result<uuid::Uuid, crate::error::ApiError> {
    uuid::Uuid::parse_str(id).map_err(|_| crate::error::ApiError::not_found())
}

/// The API's routes with their document: the modules' routers joined, their paths put under
/// `/api` in the document as the router nests them there.
fn routes(state: &Arc<AppState>) -> (Router<Arc<AppState>>, OpenApi) {
    let (router, modules) = OpenApiRouter::new()
        .merge(intake::router(state))
        .merge(track::router(state))
        .merge(support::router(state))
        .merge(residents::router(state))
        .merge(cases::router())
        .merge(classify::router())
        .merge(search::router())
        .merge(warnings::router())
        .merge(duty::router())
        .merge(grids::router())
        .merge(households::router())
        .merge(care::router())
        .merge(funds::router(state))
        .merge(helpers::router(state))
        .merge(needs::router())
        .merge(services::router(state))
        .merge(projects::router(state))
        .merge(compounds::router(state))
        .merge(disputes::router())
        .merge(emergencies::router())
        .merge(party::router())
        .merge(bulletins::router())
        .merge(burden::router())
        .merge(oversight::router(state))
        .merge(workforce::router())
        .merge(votes::router(state))
        .merge(topics::router(state))
        .merge(meetings::router(state))
        .merge(surveys::router(state))
        .merge(stats::router())
        .merge(auth::router(state))
        .merge(audit::router())
        .merge(privacy::router())
        .split_for_parts();
    let mut doc = <ApiDoc as utoipa::OpenApi>::openapi();
    let mut modules = modules;
    let mut paths = Paths::new();
    paths.paths = std::mem::take(&mut modules.paths.paths)
        .into_iter()
        .map(|(path, item)| (format!("/api{path}"), item))
        .collect();
    modules.paths = paths;
    doc.merge(modules);
    doc.info.version = env!("CARGO_PKG_VERSION").to_string();
    let bearer = HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("a staff session's token")).build();
    let cookie =
        ApiKey::Cookie(ApiKeyValue::with_description(SESSION_COOKIE, "the pages' session cookie (the same token)"));
    let components = doc.components.get_or_insert_with(Default::default);
    components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
    components.add_security_scheme("cookie", SecurityScheme::ApiKey(cookie));
    let resident_bearer =
        HttpBuilder::new().scheme(HttpAuthScheme::Bearer).description(Some("a resident's session token")).build();
    let resident_cookie = ApiKey::Cookie(ApiKeyValue::with_description(RESIDENT_COOKIE, "a resident's session cookie"));
    components.add_security_scheme("resident_bearer", SecurityScheme::Http(resident_bearer));
    components.add_security_scheme("resident_cookie", SecurityScheme::ApiKey(resident_cookie));
    (router, doc)
}

/// The API under `/api`: its routes, the document at `/api/docs`, and answers for unknown
/// paths (JSON, or a page for a browser that went there) and methods.
pub(crate) fn router(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let (routes, doc) = routes(state);
    // Serialised once; each answer shares the bytes.
    let json = axum::body::Bytes::from(doc.to_json().unwrap_or_else(|e| {
        tracing::error!(error = %e, "the OpenAPI document does not serialise");
        String::from("{}")
    }));
    let docs = move || std::future::ready(([(CONTENT_TYPE, "application/json")], json.clone()));
    let api = routes
        .route("/docs", get(docs))
        .fallback(unknown_path)
        .method_not_allowed_fallback(|| async { ApiError::method_not_allowed() });
    Router::new().nest("/api", api)
}

/// A path under the API that does not exist: JSON for programs, a page for a person whose
/// browser went there (a mistyped address).
async fn unknown_path(headers: axum::http::HeaderMap) -> axum::response::Response {
    use axum::response::IntoResponse;
    let error = ApiError::not_found();
    if crate::pages::is_navigation(&headers) {
        crate::pages::error_page(crate::pages::Lang::of(&headers), &error)
    } else {
        error.into_response()
    }
}
