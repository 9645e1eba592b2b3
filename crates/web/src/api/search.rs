//! `GET /api/v1/search`: cases found by what was written about them (全文检索), within the
//! caller's scope, filtered and ranked, with the matching words marked.

use std::sync::Arc;

use axum::extract::State;
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;
use uuid::Uuid;

use grassroots_app::search::{Asked, Results, Search};

use crate::error::{ApiError, ErrorBody};
use crate::extract::ApiQuery;
use crate::session::{need, Can};
use crate::AppState;

pub(crate) fn router() -> OpenApiRouter<Arc<AppState>> {
    OpenApiRouter::new().routes(routes!(search))
}

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct SearchParams {
    /// The words to find (2 to 100 characters), or a tracking number.
    q: String,
    /// One state or several, comma-separated.
    state: Option<String>,
    /// A category code; a top-level code includes its sub-categories.
    category: Option<String>,
    /// A district, street, community or grid code.
    region: Option<String>,
    /// A unit's id: cases it leads or co-handles.
    unit: Option<String>,
    /// Received on or after this day (YYYY-MM-DD, Beijing time).
    from: Option<String>,
    /// Received on or before this day.
    to: Option<String>,
    /// `relevance` (default) or `newest`.
    order: Option<String>,
    /// 1 to 50.
    #[param(minimum = 1, maximum = 50)]
    page: Option<u32>,
}

/// A piece of a passage; `hit` when it matched the query.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PassagePiece {
    pub text: String,
    pub hit: bool,
}

/// A case found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchHit {
    pub id: Uuid,
    pub tracking_no: String,
    pub state: String,
    pub category_code: String,
    pub category_name: String,
    pub received_at: DateTime<Utc>,
    /// BM25 relevance; 0 when ordered by time.
    pub score: f32,
    /// A passage of what was written about the case, cut at the words that matched.
    pub passage: Vec<PassagePiece>,
}

/// A page of cases found.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct SearchAnswer {
    /// Cases found in all.
    pub total: usize,
    pub page: u32,
    pub pages: u32,
    /// Cases in the index.
    pub indexed: u64,
    /// The time of the latest change the index has taken up.
    pub current_to: Option<DateTime<Utc>>,
    pub hits: Vec<SearchHit>,
}

impl SearchAnswer {
    pub(crate) fn of(results: Results, state: &AppState) -> Self {
        let reference = state.reference();
        let hits = results
            .found
            .hits
            .into_iter()
            .map(|h| SearchHit {
                id: h.id,
                tracking_no: h.tracking_no,
                state: h.state.as_str().to_string(),
                category_name: reference.taxonomy.get(&h.category_code).map(|c| c.name_zh.clone()).unwrap_or_default(),
                category_code: h.category_code,
                received_at: h.received_at,
                score: h.score,
                passage: h.passage.into_iter().map(|m| PassagePiece { text: m.text, hit: m.hit }).collect(),
            })
            .collect();
        Self {
            total: results.found.total,
            page: results.page,
            pages: results.pages,
            indexed: results.indexed,
            current_to: results.current_to,
            hits,
        }
    }
}

impl From<SearchParams> for Asked {
    fn from(p: SearchParams) -> Self {
        Asked {
            text: p.q,
            states: p.state,
            category: p.category,
            region: p.region,
            unit: p.unit,
            from: p.from,
            to: p.to,
            order: p.order,
            page: p.page,
        }
    }
}

/// Cases within the caller's scope whose description, address, notes, results or comments
/// hold the words (or whose tracking number it is), best match first or newest first.
#[utoipa::path(get, path = "/v1/search", tag = "cases", params(SearchParams),
    security(("bearer" = []), ("cookie" = [])),
    responses((status = 200, body = SearchAnswer), (status = "default", body = ErrorBody)))]
pub async fn search(
    State(state): State<Arc<AppState>>,
    staff: Can<need::WorkOnCases>,
    ApiQuery(p): ApiQuery<SearchParams>,
) -> Result<Json<SearchAnswer>, ApiError> {
    let search = Search::check(&state, &p.into())?;
    let results = grassroots_app::search::search(&state, &staff.user, &search)?;
    Ok(Json(SearchAnswer::of(results, &state)))
}
