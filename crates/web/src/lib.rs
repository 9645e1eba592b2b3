//! HTTP for grassroots: the JSON API under `/api` (`api/`, a module and router per resource,
//! its OpenAPI document generated at `/api/docs`), the pages (`pages/`), Open311, sessions and
//! the public rate limit. Handlers are thin: they read the request into a use case's input,
//! call the use case (`grassroots_app`), and answer; errors are mapped once (`error.rs`) and
//! shown as JSON or as a page.

#![warn(clippy::too_many_lines)]

mod api;
pub mod error;
mod extract;
mod guard;
mod open311;
mod pages;
mod ratelimit;
mod session;
mod svg;
mod tracing_layer;
mod views;

use std::sync::Arc;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use grassroots_app::{Limiter, Platform};

pub use grassroots_app::RateLimit;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Config {
    /// Requests per minute per client address on the public endpoints, with this burst.
    pub public_rate: RateLimit,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self { public_rate: RateLimit { per_minute: 60, burst: 20 }, secure_cookies: false }
    }
}

/// What every handler reaches: the platform the use cases run on, and the HTTP layer's own
/// settings and per-address limiter.
pub struct AppState {
    pub platform: Arc<Platform>,
    pub config: Config,
    limiter: Limiter,
}

impl AppState {
    pub fn new(platform: Arc<Platform>, config: Config) -> Arc<Self> {
        Arc::new(Self { platform, limiter: Limiter::new(config.public_rate), config })
    }
}

impl std::ops::Deref for AppState {
    type Target = Platform;

    fn deref(&self) -> &Platform {
        &self.platform
    }
}

/// A report with its photos (6 × 5 MB) and form fields.
const PHOTO_FORM_LIMIT: usize = 32 * 1024 * 1024;

/// 五社联动 and services: a resident's help page, needs and helpers, the service centres'
/// catalogue, applications and bookings, the services the government buys, compounds and their
/// management. Forms that carry photos take them at a report's size.
fn service_pages() -> Router<Arc<AppState>> {
    let photos = || DefaultBodyLimit::max(PHOTO_FORM_LIMIT);
    Router::new()
        .route("/services", get(pages::services::catalogue))
        .route("/services/{code}", get(pages::services::item))
        .route("/services/{code}/applications", post(pages::services::apply).layer(photos()))
        .route("/services/{code}/appointments", post(pages::services::book))
        .route("/appointments/{id}/cancel", post(pages::services::cancel_booking))
        .route("/applications", get(pages::services::queue))
        .route("/applications/{id}", get(pages::services::application))
        .route("/applications/{id}/moves", post(pages::services::act).layer(photos()))
        .route("/compounds", get(pages::compounds::list).post(pages::compounds::add))
        .route("/compounds/{id}", get(pages::compounds::show))
        .route("/compounds/{id}/ratings", post(pages::compounds::rate))
        .route("/projects", get(pages::projects::list).post(pages::projects::create))
        .route("/projects/{id}", get(pages::projects::show))
        .route("/projects/{id}/reports", post(pages::projects::report))
        .route("/projects/{id}/milestones/{n}", post(pages::projects::reach))
        .route("/projects/{id}/evaluation", post(pages::projects::evaluate))
        .route("/help", get(pages::help::show))
        .route("/help/register", post(pages::help::register))
        .route("/help/needs", post(pages::help::ask))
        .route("/needs", get(pages::needs::list).post(pages::needs::record))
        .route("/needs/{id}", get(pages::needs::show))
        .route("/needs/{id}/moves", post(pages::needs::act).layer(photos()))
        .route("/helpers", get(pages::helpers::list).post(pages::helpers::register))
        .route("/helpers/{id}", get(pages::helpers::show))
        .route("/helpers/{id}/state", post(pages::helpers::set_state))
        .route("/helpers/{id}/redemptions", post(pages::helpers::redeem))
        .route("/helpers/{id}/commitments", post(pages::helpers::commit))
        .route("/helpers/{id}/commitments/{n}/deliveries", post(pages::helpers::deliver))
}

/// 矛盾纠纷调处 and 应急管理: the disputes of staff's places, a case converted, the rosters, the
/// figures; incidents, their command page and the check of households on a phone.
fn dispute_pages() -> Router<Arc<AppState>> {
    Router::new()
        .route("/disputes", get(pages::disputes::list).post(pages::disputes::register))
        .route("/disputes/figures", get(pages::disputes::figures))
        .route("/disputes/{id}", get(pages::disputes::show))
        .route("/disputes/{id}/moves", post(pages::disputes::act))
        .route("/cases/{id}/dispute", post(pages::disputes::convert))
        .route("/mediators", get(pages::disputes::mediators).post(pages::disputes::add_mediator))
        .route("/incidents", get(pages::emergencies::list).post(pages::emergencies::open))
        .route("/incidents/{id}", get(pages::emergencies::show))
        .route("/incidents/{id}/progress", get(pages::emergencies::progress))
        .route("/incidents/{id}/act", post(pages::emergencies::act))
        .route("/incidents/{id}/check", get(pages::emergencies::check_page))
        .route("/incidents/{id}/checks", post(pages::emergencies::check))
        .route("/incidents/{id}/households", post(pages::emergencies::add_household))
}

/// 党建引领: the organisations, members, registrations and activities of staff's places; a
/// member's households and contacts; a registration's service; the figures by grid. 减负: the
/// bulletins generated from the data (page, PDF, workbook), the list and the impositions.
fn party_pages() -> Router<Arc<AppState>> {
    Router::new()
        .route("/party", get(pages::party::show).post(pages::party::submit))
        .route("/party/figures", get(pages::party::figures))
        .route("/party/members/{id}", get(pages::party::member).post(pages::party::member_submit))
        .route("/party/registrations/{id}", get(pages::party::registration))
        .route("/party/registrations/{id}/services", post(pages::party::record_service))
        .route("/bulletins", get(pages::bulletins::list).post(pages::bulletins::generate))
        .route("/bulletins/{id}", get(pages::bulletins::show))
        .route("/bulletins/{id}/pdf", get(api::bulletins::pdf))
        .route("/bulletins/{id}/xlsx", get(api::bulletins::xlsx))
        .route("/burden", get(pages::burden::show).post(pages::burden::submit))
        .route("/burden/list/{id}/withdraw", post(pages::burden::withdraw))
        .route("/oversight", get(pages::oversight::staff).post(pages::oversight::staff_submit))
        .route("/oversight/reports/{id}", get(pages::oversight::report).post(pages::oversight::act))
        .route("/workforce", get(pages::workforce::team).post(pages::workforce::submit))
        .route("/workforce/staffing", get(pages::workforce::staffing))
        .route("/workforce/staff/{username}", get(pages::workforce::person).post(pages::workforce::person_submit))
}

/// 防治微腐败 in public: a community's small powers and disclosures with their history, and the
/// form to report misconduct of staff and follow a report (its posts count against the public
/// limit).
fn oversight_public_pages(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let limited = || axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit_public);
    Router::new()
        .route("/public/oversight", get(pages::oversight::public))
        .route("/public/disclosures/{id}", get(pages::oversight::history))
        .route(
            "/integrity",
            get(pages::oversight::integrity).merge(post(pages::oversight::integrity_submit).route_layer(limited())),
        )
}

/// A resident's own pages (我的: signing in, their household) and residents' participation:
/// the households' page, topics, votes, councils and their decisions, surveys.
fn resident_pages(state: &Arc<AppState>) -> Router<Arc<AppState>> {
    let limited = || axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit_public);
    Router::new()
        .route("/me", get(pages::residents::show))
        .route("/me/code", post(pages::residents::send_code).route_layer(limited()))
        .route("/me/sign-in", post(pages::residents::sign_in).route_layer(limited()))
        .route("/me/sign-out", post(pages::residents::sign_out))
        .route("/me/close", post(pages::residents::close_account))
        .route("/me/household", post(pages::residents::ask_household))
        .route("/me/alerts", post(pages::residents::set_alerts))
        .route("/households", get(pages::households::show))
        .route("/funds", get(pages::funds::list).post(pages::funds::create))
        .route("/funds/{id}", get(pages::funds::show))
        .route("/funds/{id}/entries", post(pages::funds::record))
        .route("/care", get(pages::care::show))
        .route("/care/members", post(pages::care::add_member))
        .route("/care/members/{id}", get(pages::care::member))
        .route("/care/members/{id}/flags", post(pages::care::flag))
        .route("/care/members/{id}/end", post(pages::care::end))
        .route("/care/members/{id}/visits", post(pages::care::visit))
        .route("/care/members/{id}/reveal", post(pages::care::reveal))
        .route("/households/link", post(pages::households::link))
        .route("/households/{resident}/decide", post(pages::households::decide))
        .route("/topics", get(pages::topics::list).post(pages::topics::raise))
        .route("/topics/{id}", get(pages::topics::show))
        .route("/topics/{id}/proposals", post(pages::topics::propose).route_layer(limited()))
        .route("/topics/{id}/comments", post(pages::topics::comment).route_layer(limited()))
        .route("/topics/{id}/moderate", post(pages::topics::moderate))
        .route("/proposals/{id}/support", post(pages::topics::support).route_layer(limited()))
        .route("/moderation/{what}/{id}/hide", post(pages::topics::hide))
        .route("/cases/{id}/topic", post(pages::topics::from_case))
        .route("/meetings", get(pages::meetings::list).post(pages::meetings::plan))
        .route("/meetings/{id}", get(pages::meetings::show))
        .route("/meetings/{id}/print", get(pages::meetings::print))
        .route("/meetings/{id}/minutes", post(pages::meetings::record))
        .route("/decisions", get(pages::meetings::decisions))
        .route("/decisions/{id}", get(pages::meetings::decision))
        .route(
            "/decisions/{id}/progress",
            post(pages::meetings::report).layer(axum::extract::DefaultBodyLimit::max(PHOTO_FORM_LIMIT)),
        )
        .route("/decisions/photos/{digest}", get(pages::meetings::photo))
        .route("/votes/{id}/decision", post(pages::meetings::from_vote))
        .route("/surveys", get(pages::surveys::list).post(pages::surveys::create))
        .route("/surveys/{id}", get(pages::surveys::show))
        .route("/surveys/{id}/answers", post(pages::surveys::answer).route_layer(limited()))
        .route("/surveys/{id}/withdraw", post(pages::surveys::withdraw))
        .route("/votes", get(pages::votes::list).post(pages::votes::create))
        .route("/votes/{id}", get(pages::votes::show))
        .route("/votes/{id}/ballot", post(pages::votes::cast).route_layer(limited()))
        .route("/votes/{id}/run", get(pages::votes::run))
        .route("/votes/{id}/paper-voters", post(pages::votes::mark_paper_voter))
        .route("/votes/{id}/paper-counts", post(pages::votes::enter_paper_count))
        .route("/votes/{id}/publish", post(pages::votes::publish))
        .route("/votes/{id}/withdraw", post(pages::votes::withdraw))
}

/// The whole HTTP application: the JSON API under `/api`, Open311 under `/open311/v2`, and
/// the pages, whose errors are shown as pages.
pub fn router(state: Arc<AppState>) -> Router {
    let limited = || axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit_public);
    let open311 = Router::new()
        .route("/open311/v2/{file}", get(open311::resource).merge(post(open311::post_request).route_layer(limited())))
        .route("/open311/v2/services/{file}", get(open311::service_definition))
        .route("/open311/v2/requests/{file}", get(open311::request))
        .route("/open311/v2/tokens/{file}", get(open311::token));
    // Form posts of the public pages count against the same limit as the public API; reading
    // pages does not.
    let pages = Router::new()
        .route("/", get(pages::portal::home))
        .route("/login", get(pages::login_form).merge(post(pages::login).route_layer(limited())))
        .route("/report", get(pages::portal::report_place))
        .route("/report/map.svg", get(pages::portal::picker_svg))
        .route(
            "/report/details",
            get(pages::portal::report_details).merge(
                post(pages::portal::submit_report)
                    .route_layer(limited())
                    .layer(DefaultBodyLimit::max(PHOTO_FORM_LIMIT)),
            ),
        )
        .route("/track", get(pages::track::show).merge(post(pages::track::open).route_layer(limited())))
        .route("/track/evaluation", post(pages::track::evaluate).route_layer(limited()))
        .route(
            "/track/additions",
            post(pages::track::add).route_layer(limited()).layer(DefaultBodyLimit::max(PHOTO_FORM_LIMIT)),
        )
        .route("/track/photos/{id}", get(pages::track::photo))
        .route("/report/join", post(pages::support::join).route_layer(limited()))
        .route("/report/categories", post(pages::classify::proposals).route_layer(limited()))
        .route("/public", get(pages::portal::public_cases))
        .route("/public/cases/{tracking_no}", get(pages::support::show))
        .route("/healthz", get(|| async { "ok" }))
        .route("/assets/app.css", get(pages::stylesheet))
        .route("/assets/app.js", get(pages::script))
        .route("/intake", get(pages::intake::intake_form).post(pages::intake::take_call))
        .route(
            "/patrol",
            get(pages::intake::patrol_form)
                .merge(post(pages::intake::report_patrol).layer(DefaultBodyLimit::max(PHOTO_FORM_LIMIT))),
        )
        .route("/lang/{to}", get(pages::switch_lang))
        .route("/logout", post(pages::logout))
        .route("/map", get(pages::map::show))
        .route("/work", get(pages::work::queues))
        .route("/search", get(pages::search::show))
        .route("/warnings", get(pages::warnings::show))
        .route("/warnings/{id}", post(pages::warnings::act))
        .route("/duty", get(pages::duty::show).post(pages::duty::plan))
        .route("/duty/{id}/remove", post(pages::duty::remove))
        .route("/work/dispatch", post(pages::work::dispatch_chosen))
        .route("/dashboard", get(pages::dashboard::show))
        .route("/dashboard/forecast", get(pages::dashboard::forecast::show))
        .route("/admin", get(|| async { pages::see_other("/admin/users", None) }))
        .route("/admin/audit", get(pages::admin::audit::show))
        .route("/admin/audit/verify", post(pages::admin::audit::verify))
        .route("/admin/privacy", get(pages::admin::privacy::show).post(pages::admin::privacy::carry_out))
        .route("/admin/{section}", get(pages::admin::show).post(pages::admin::save))
        .route("/cases/{id}", get(pages::work::show_case))
        .route("/cases/{id}/act", post(pages::work::act).layer(DefaultBodyLimit::max(PHOTO_FORM_LIMIT)))
        .route("/cases/{id}/reveal", post(pages::work::reveal))
        .route("/grids/{code}", get(pages::grid::show))
        .route("/grids/{code}/visits", post(pages::grid::record_visit))
        .merge(resident_pages(&state))
        .merge(service_pages())
        .merge(dispute_pages())
        .merge(party_pages())
        .merge(oversight_public_pages(&state))
        .fallback(|| async { error::ApiError::not_found() })
        .method_not_allowed_fallback(|| async { error::ApiError::method_not_allowed() })
        .layer(axum::middleware::from_fn(guard::refuse_cross_site_writes))
        .layer(axum::middleware::from_fn(pages::errors_as_pages));
    Router::new()
        .merge(api::router(&state))
        .merge(open311)
        .layer(axum::middleware::from_fn(guard::refuse_cross_site_writes))
        .merge(pages)
        .layer(DefaultBodyLimit::max(64 * 1024))
        .layer(axum::middleware::from_fn(guard::security_headers))
        .route_layer(axum::middleware::from_fn(tracing_layer::trace_requests))
        .with_state(state)
}
