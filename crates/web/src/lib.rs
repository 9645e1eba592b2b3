//! HTTP for grassroots: the JSON API under `/api/v1`, its OpenAPI document at `/api/docs`,
//! staff authentication, and rate limiting of the public endpoints. Handlers are thin: they
//! validate input into domain types, call the store, and map errors once (`error.rs`).

mod auth;
mod cases;
pub mod error;
mod extract;
mod grids;
mod intake;
mod open311;
mod pages;
mod ratelimit;
mod stats;
mod svg;
mod track;
mod views;

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, RwLock};

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use grassroots_domain::workflow::MoveContext;
use grassroots_geo::atlas::Atlas;
use grassroots_geo::placement::Placer;
use grassroots_geo::{parse_geometry, Boundary, GridShape};
use grassroots_store::{Reference, Store, StoreError};

pub use ratelimit::RateLimit;

/// Settings of the HTTP layer.
#[derive(Debug, Clone)]
pub struct Config {
    /// Requests per minute per client address on the public endpoints, with this burst.
    pub public_rate: RateLimit,
    pub session_ttl: chrono::Duration,
    /// How long after dispatch a unit may return a case.
    pub return_window: chrono::Duration,
    pub max_extension_days: u32,
    /// Mark the session cookie `Secure` (behind HTTPS).
    pub secure_cookies: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            public_rate: RateLimit { per_minute: 60, burst: 20 },
            session_ttl: chrono::Duration::hours(12),
            return_window: chrono::Duration::hours(24),
            max_extension_days: 15,
            secure_cookies: false,
        }
    }
}

/// Ten tries at a tracking number's query code, then one a minute: a resident who mistypes is
/// not hindered, guessing a 6-digit code takes years.
const QUERY_CODE_ATTEMPTS: RateLimit = RateLimit { per_minute: 1, burst: 10 };

pub struct AppState {
    pub store: Arc<dyn Store>,
    pub config: Config,
    reference: RwLock<Arc<Reference>>,
    /// Grids, served districts and region names, with the stamp they were loaded at.
    places: RwLock<Places>,
    limiter: ratelimit::Limiter,
    /// Attempts at a tracking number's query code, wherever they come from.
    code_attempts: ratelimit::Limiter<String>,
}

impl AppState {
    pub async fn new(store: Arc<dyn Store>, config: Config) -> Result<Arc<Self>, StoreError> {
        let reference = store.reference().await?;
        let places = load_places(&*store).await?;
        Ok(Arc::new(Self {
            store,
            limiter: ratelimit::Limiter::new(config.public_rate),
            code_attempts: ratelimit::Limiter::new(QUERY_CODE_ATTEMPTS),
            config,
            reference: RwLock::new(Arc::new(reference)),
            places: RwLock::new(places),
        }))
    }

    pub fn placer(&self) -> Arc<Placer> {
        self.places.read().unwrap_or_else(|e| e.into_inner()).placer.clone()
    }

    pub fn atlas(&self) -> Arc<Atlas> {
        self.places.read().unwrap_or_else(|e| e.into_inner()).atlas.clone()
    }

    /// Rebuilds the placement index when grids, boundaries or regions have changed.
    /// Returns whether it did.
    pub async fn refresh_places(&self) -> Result<bool, StoreError> {
        let stamp = self.store.grids_stamp().await?;
        if self.places.read().unwrap_or_else(|e| e.into_inner()).stamp == stamp {
            return Ok(false);
        }
        let fresh = load_places(&*self.store).await?;
        *self.places.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(true)
    }

    pub fn reference(&self) -> Arc<Reference> {
        self.reference.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    /// Reloads taxonomy, calendar and units after they change.
    pub async fn refresh_reference(&self) -> Result<(), StoreError> {
        let fresh = Arc::new(self.store.reference().await?);
        *self.reference.write().unwrap_or_else(|e| e.into_inner()) = fresh;
        Ok(())
    }

    pub fn move_context<'a>(&self, reference: &'a Reference, now: chrono::DateTime<chrono::Utc>) -> MoveContext<'a> {
        MoveContext {
            now,
            calendar: &reference.calendar,
            taxonomy: &reference.taxonomy,
            return_window: self.config.return_window,
            max_extension_days: self.config.max_extension_days,
        }
    }
}

/// Where things are, as loaded from the store at `stamp`: the placement index and the maps'
/// outlines.
struct Places {
    placer: Arc<Placer>,
    atlas: Arc<Atlas>,
    stamp: String,
}

/// The places as the store holds them now: the served districts (those with regions,
/// bounded by stored boundaries or, where none were imported, the shipped Beijing ones), the
/// grids, and the region names.
async fn load_places(store: &dyn Store) -> Result<Places, StoreError> {
    let stamp = store.grids_stamp().await?;
    let regions = store.regions().await?;
    let served: Vec<&str> =
        regions.iter().filter(|r| r.level == grassroots_domain::RegionLevel::County).map(|r| r.code.as_str()).collect();
    let stored = store.boundaries().await?;
    let boundaries: Vec<Boundary> = if stored.is_empty() {
        grassroots_geo::beijing_districts()
    } else {
        stored
            .into_iter()
            .map(|b| Ok(Boundary::new(b.code, b.name, parse_geometry(&b.geometry, 0).map_err(corrupt)?)))
            .collect::<Result<_, StoreError>>()?
    };
    let districts: Vec<Boundary> = boundaries.into_iter().filter(|b| served.contains(&b.code.as_str())).collect();
    let rows = store.grids().await?;
    let grids = rows
        .iter()
        .map(|g| Ok(GridShape { polygons: parse_geometry(&g.geometry, 0).map_err(corrupt)?, code: g.code.clone() }))
        .collect::<Result<Vec<_>, StoreError>>()?;
    // Names for the outlines only: the regions table may hold the whole country.
    let grid_names: HashMap<&str, &str> = rows.iter().map(|g| (g.code.as_str(), g.name.as_str())).collect();
    let drawn: HashSet<&str> = rows.iter().flat_map(|g| [g.code.get(..9), g.code.get(..12)]).flatten().collect();
    let region_names: HashMap<&str, &str> = regions
        .iter()
        .filter(|r| drawn.contains(r.code.as_str()))
        .map(|r| (r.code.as_str(), r.name.as_str()))
        .collect();
    let atlas = Atlas::new(&districts, &grids, |code| {
        grid_names.get(code).or_else(|| region_names.get(code)).map(|n| n.to_string())
    });
    Ok(Places { placer: Arc::new(Placer::new(districts, grids, regions)), atlas: Arc::new(atlas), stamp })
}

/// The placer of the stored districts, grids and region names, for work outside the server
/// (bulk imports).
pub async fn placer(store: &dyn Store) -> Result<Arc<Placer>, StoreError> {
    Ok(load_places(store).await?.placer)
}

fn corrupt(e: grassroots_geo::GeoError) -> StoreError {
    StoreError::Corrupt(format!("stored geometry: {e}"))
}

/// A report with its photos (6 × 5 MB) and form fields.
const PHOTO_FORM_LIMIT: usize = 32 * 1024 * 1024;

/// The whole HTTP application.
pub fn router(state: Arc<AppState>) -> Router {
    let public = Router::new()
        .route("/api/v1/cases", post(intake::create_case))
        .route("/api/v1/track/{tracking_no}", get(track::show))
        .route("/api/v1/track/{tracking_no}/evaluation", post(track::evaluate))
        .route("/api/v1/auth/login", post(auth::login))
        .route_layer(axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit_public));
    // Form posts of the public pages count against the same limit; reading pages does not.
    let limited = || axum::middleware::from_fn_with_state(state.clone(), ratelimit::limit_public);
    Router::new()
        .merge(public)
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
        .route("/track", get(pages::portal::track_form).merge(post(pages::portal::track).route_layer(limited())))
        .route("/public", get(pages::portal::public_cases))
        .route("/open311/v2/{file}", get(open311::resource).merge(post(open311::post_request).route_layer(limited())))
        .route("/open311/v2/services/{file}", get(open311::service_definition))
        .route("/open311/v2/requests/{file}", get(open311::request))
        .route("/open311/v2/tokens/{file}", get(open311::token))
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
        .route("/dashboard", get(pages::dashboard::show))
        .route("/admin", get(|| async { pages::see_other("/admin/users", None) }))
        .route("/admin/{section}", get(pages::admin::show).post(pages::admin::save))
        .route("/cases/{id}", get(pages::work::show_case))
        .route("/cases/{id}/act", post(pages::work::act))
        .route("/cases/{id}/reveal", post(pages::work::reveal))
        .route("/grids/{code}", get(pages::grid::show))
        .route("/api/docs", get(openapi))
        .route("/api/v1/auth/logout", post(auth::logout))
        .route("/api/v1/auth/me", get(auth::me))
        .route("/api/v1/cases", get(cases::list))
        .route("/api/v1/queues", get(cases::queues))
        .route("/api/v1/export/cases", get(cases::export))
        .route("/api/v1/cases/{id}", get(cases::show))
        .route("/api/v1/cases/{id}/actions", post(cases::act))
        .route("/api/v1/cases/{id}/reveal", post(cases::reveal))
        .route("/api/v1/cases/{id}/attachments", get(grids::attachments))
        .route("/api/v1/cases/{id}/attachments/{attachment}", get(grids::attachment))
        .route("/api/v1/patrol", post(intake::patrol).layer(DefaultBodyLimit::max(PHOTO_FORM_LIMIT)))
        .route("/api/v1/grids", get(grids::list))
        .route("/api/v1/grids/{code}", get(grids::show))
        .route("/api/v1/grids/{code}/visits", get(grids::visits).post(grids::record_visit))
        .route("/api/v1/stats/coverage", get(grids::coverage))
        .route("/api/v1/reference", get(stats::reference))
        .route("/api/v1/stats/rates", get(stats::rates))
        .fallback(|| async { error::ApiError::NotFound })
        .method_not_allowed_fallback(|| async { error::ApiError::MethodNotAllowed })
        .layer(DefaultBodyLimit::max(64 * 1024))
        .with_state(state)
}

/// The OpenAPI 3.1 document describing `/api/v1`.
pub const OPENAPI: &str = include_str!("openapi.json");

async fn openapi() -> impl axum::response::IntoResponse {
    ([(axum::http::header::CONTENT_TYPE, "application/json")], OPENAPI)
}
