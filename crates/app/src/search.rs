//! 全文检索: staff find cases by what residents and staff wrote about them, within their scope,
//! filtered and ranked, with the matching words marked. The side index is kept in step with
//! the store by [`follow`] (the outbox, within seconds) and rebuilt from it by [`rebuild`]; it is
//! never the source of truth.

use std::collections::{HashSet, VecDeque};
use std::path::Path;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use grassroots_domain::{Capability, CaseState, RegionCode};
use grassroots_search::{Found, Position, Ranking, SearchError, SearchIndex, SearchRequest};
use grassroots_store::search::FeedKey;
use grassroots_store::User;
use uuid::Uuid;

use crate::{fields, AppError, Platform, Result};

/// Characters a query may have.
const QUERY_CHARS: std::ops::RangeInclusive<usize> = 2..=100;
/// Hits on a page.
pub const PAGE_SIZE: usize = 20;
/// Pages one may turn to: a search that needs more is too broad.
const MAX_PAGE: u32 = 50;
/// How far back each step re-reads the outbox: a change committed after a later one (two
/// writers on PostgreSQL) is still taken up. What was taken already is remembered and skipped.
const OVERLAP_MS: i64 = 5_000;
/// Changes read, and cases indexed, per step.
const BATCH: i64 = 2_000;

/// A search as a person or a client asked for it, every field as typed (named as in a
/// query string).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Asked {
    #[serde(rename = "q", default)]
    pub text: String,
    /// States, comma-separated.
    #[serde(rename = "state")]
    pub states: Option<String>,
    pub category: Option<String>,
    pub region: Option<String>,
    pub unit: Option<String>,
    /// A day (YYYY-MM-DD) or an RFC 3339 time.
    pub from: Option<String>,
    /// The last day, included.
    pub to: Option<String>,
    /// `relevance` (default) or `newest`.
    pub order: Option<String>,
    /// From 1.
    pub page: Option<u32>,
}

/// A search checked whole.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    pub text: String,
    pub states: Vec<CaseState>,
    pub category: Option<String>,
    pub region: Option<RegionCode>,
    pub unit: Option<String>,
    pub from: Option<DateTime<Utc>>,
    pub before: Option<DateTime<Utc>>,
    pub ranking: Ranking,
    pub page: u32,
}

fn optional(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

impl Search {
    /// Checks every field, naming the first that is wrong.
    pub fn check(platform: &Platform, asked: &Asked) -> Result<Self> {
        let text = grassroots_domain::text::trimmed(&asked.text).to_string();
        if !QUERY_CHARS.contains(&text.chars().count()) {
            return Err(AppError::invalid(
                "q",
                "检索词应为2到100个字",
                "the words to find must be 2 to 100 characters",
            ));
        }
        let states = match optional(&asked.states) {
            None => Vec::new(),
            Some(list) => {
                list.split(',').map(|s| CaseState::parse_field("state", s.trim())).collect::<Result<_, _>>()?
            }
        };
        let reference = platform.reference();
        let category = optional(&asked.category).map(str::to_string);
        if let Some(code) = &category {
            if reference.taxonomy.get(code).is_none() {
                return Err(AppError::invalid(
                    "category",
                    format!("未知的类别代码“{code}”"),
                    format!("unknown category code '{code}'"),
                ));
            }
        }
        let unit = optional(&asked.unit).map(str::to_string);
        if let Some(id) = &unit {
            if !reference.units.iter().any(|u| &u.id == id) {
                return Err(AppError::invalid("unit", format!("未知的单位“{id}”"), format!("unknown unit '{id}'")));
            }
        }
        let from = optional(&asked.from).map(|d| fields::time("from", d, false)).transpose()?;
        let before = optional(&asked.to).map(|d| fields::time("to", d, true)).transpose()?;
        if let (Some(from), Some(before)) = (from, before) {
            if before <= from {
                return Err(AppError::invalid("to", "截止日期不能早于起始日期", "the last day is before the first"));
            }
        }
        let ranking = match optional(&asked.order) {
            None | Some("relevance") => Ranking::Relevance,
            Some("newest") => Ranking::Newest,
            Some(_) => {
                return Err(AppError::invalid("order", "排序应为 relevance 或 newest", "order is relevance or newest"))
            }
        };
        let page = asked.page.unwrap_or(1);
        if !(1..=MAX_PAGE).contains(&page) {
            return Err(AppError::invalid(
                "page",
                format!("页码应为1到{MAX_PAGE}"),
                format!("page is 1 to {MAX_PAGE}"),
            ));
        }
        Ok(Self {
            text,
            states,
            category,
            region: optional(&asked.region).map(RegionCode::parse).transpose()?,
            unit,
            from,
            before,
            ranking,
            page,
        })
    }
}

/// What a search found, and how current the index is.
#[derive(Debug, Clone)]
pub struct Results {
    pub found: Found,
    pub page: u32,
    pub pages: u32,
    /// Cases in the index, and the time of the last change it has read.
    pub indexed: u64,
    pub current_to: Option<DateTime<Utc>>,
}

/// The cases within the user's scope that match, a page at a time.
#[tracing::instrument(skip_all, fields(user = %user.username))]
pub fn search(platform: &Platform, user: &User, search: &Search) -> Result<Results> {
    if !user.role.may(Capability::WorkOnCases) {
        return Err(AppError::lacks(Capability::WorkOnCases));
    }
    let index = platform.search_index().ok_or_else(unavailable)?;
    let request = SearchRequest {
        text: &search.text,
        scope: &user.scope,
        states: &search.states,
        category: search.category.as_deref(),
        region: search.region.as_ref(),
        unit: search.unit.as_deref(),
        received_from: search.from,
        received_before: search.before,
        ranking: search.ranking,
        offset: (search.page as usize - 1) * PAGE_SIZE,
        limit: PAGE_SIZE,
    };
    let found = index.search(&request).map_err(internal)?;
    let pages = found.total.div_ceil(PAGE_SIZE).min(MAX_PAGE as usize) as u32;
    let current_to = index.position().and_then(|p| DateTime::from_timestamp_millis(p.at_ms));
    Ok(Results { found, page: search.page, pages, indexed: index.len(), current_to })
}

fn unavailable() -> AppError {
    AppError::Busy { retry_after_secs: 30 }
}

fn internal(e: SearchError) -> AppError {
    tracing::error!(error = %e, "search index");
    AppError::Internal(e.to_string())
}

/// Opens the index in `dir` for this process, with the store's place names in its
/// dictionary. It writes the index if no other process does.
pub async fn open(platform: &Platform, dir: &Path) -> Result<Arc<SearchIndex>> {
    let names = platform.store.place_names().await?;
    let dir = dir.to_path_buf();
    let index = tokio::task::spawn_blocking(move || SearchIndex::open(&dir, names))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(internal)?;
    let index = Arc::new(index);
    platform.set_search_index(index.clone());
    Ok(index)
}

/// Keeps the index in step with the store: what was read of the outbox and not yet passed.
#[derive(Debug, Default)]
pub struct Follower {
    /// Outbox rows taken within the overlap, oldest first, to skip when read again.
    taken: VecDeque<FeedKey>,
    taken_ids: HashSet<String>,
    /// When erasures were last looked for.
    erasures_from: Option<DateTime<Utc>>,
}

/// What one step of following took up.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Step {
    pub cases: usize,
    /// Whether more changes wait than one step takes.
    pub more: bool,
}

impl Follower {
    /// Indexes the cases changed since the index's position (a rebuild first if it has none)
    /// and commits them with the new position. A process that does not write the index only
    /// takes up the writer's commits.
    pub async fn step(&mut self, platform: &Platform, index: &Arc<SearchIndex>) -> Result<Step> {
        if !index.writes() {
            blocking(index, |index| index.refresh()).await?;
            return Ok(Step::default());
        }
        let Some(position) = index.position() else {
            let cases = rebuild(platform, index).await?;
            return Ok(Step { cases, more: false });
        };
        let from = FeedKey { at_ms: position.at_ms - OVERLAP_MS, id: String::new() };
        let changes = platform.store.case_changes(&from, BATCH).await?;
        let more = changes.len() as i64 == BATCH;
        let mut ids: Vec<Uuid> = Vec::new();
        let mut newest = position.at_ms;
        for change in changes {
            newest = newest.max(change.key.at_ms);
            if self.taken_ids.insert(change.key.id.clone()) {
                ids.push(change.case_id);
                self.taken.push_back(change.key);
            }
        }
        let now = Utc::now();
        let erasures_from = self.erasures_from.unwrap_or_else(|| from_ms(position.at_ms - OVERLAP_MS));
        ids.extend(platform.store.erased_since(erasures_from).await?);
        self.erasures_from = Some(now - chrono::Duration::milliseconds(OVERLAP_MS));
        ids.sort();
        ids.dedup();
        // Forget what fell out of the overlap.
        while self.taken.front().is_some_and(|k| k.at_ms < newest - OVERLAP_MS) {
            if let Some(old) = self.taken.pop_front() {
                self.taken_ids.remove(&old.id);
            }
        }
        if ids.is_empty() && newest == position.at_ms {
            return Ok(Step::default());
        }
        for chunk in ids.chunks(BATCH as usize) {
            let documents = platform.store.search_documents(chunk).await?;
            blocking(index, move |index| index.put(&documents)).await?;
        }
        blocking(index, move |index| index.commit(Position::at(newest))).await?;
        Ok(Step { cases: ids.len(), more })
    }
}

/// Index work off the async workers: cutting and writing documents takes the CPU, and a
/// commit waits for the disk.
async fn blocking<T: Send + 'static>(
    index: &Arc<SearchIndex>,
    work: impl FnOnce(&SearchIndex) -> Result<T, SearchError> + Send + 'static,
) -> Result<T> {
    let index = index.clone();
    tokio::task::spawn_blocking(move || work(&index))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(internal)
}

fn from_ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Builds the index again from every case in the store. Changes made meanwhile are taken up
/// by following from the time it began. Returns the cases indexed.
#[tracing::instrument(skip_all)]
pub async fn rebuild(platform: &Platform, index: &Arc<SearchIndex>) -> Result<usize> {
    let began = Utc::now();
    blocking(index, |index| index.clear()).await?;
    let mut after = None;
    let mut cases = 0;
    loop {
        let documents = platform.store.search_documents_after(after, BATCH).await?;
        let Some(last) = documents.last() else { break };
        after = Some(last.id);
        cases += documents.len();
        blocking(index, move |index| index.add(&documents)).await?;
    }
    blocking(index, move |index| index.commit(Position::at(began.timestamp_millis()))).await?;
    tracing::info!(cases, "search index rebuilt");
    Ok(cases)
}
