//! 全文检索: the side index of everything residents and staff wrote about cases, ranked by
//! BM25 over words (jieba, with the store's place names) and pairs of characters, and
//! filtered by the facets a case page shows and a scope is checked against. It is kept in
//! step with the store by the application and can always be rebuilt from it: never the
//! source of truth.

mod query;
pub mod tokens;

use std::path::Path;
use std::sync::Mutex;

use chrono::{DateTime, Utc};
use grassroots_domain::search::SearchDocument;
use grassroots_domain::{CaseState, RegionCode, RegionLevel, Scope};
use serde::{Deserialize, Serialize};
use tantivy::collector::{Count, TopDocs};
use tantivy::directory::MmapDirectory;
use tantivy::schema::{
    Field, IndexRecordOption, Schema, TextFieldIndexing, TextOptions, Value, FAST, INDEXED, STORED, STRING,
};
use tantivy::{Index, IndexReader, IndexWriter, Order, ReloadPolicy, TantivyDocument, Term};
use uuid::Uuid;

pub use query::SearchRequest;
use tokens::{Pairs, Words};

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("search index: {0}")]
    Index(#[from] tantivy::TantivyError),
    #[error("search index directory {path}: {reason}")]
    Directory { path: String, reason: String },
    /// Another process writes this index; this one only reads it.
    #[error("the search index is written by another process")]
    ReadOnly,
    #[error("search index document: {0}")]
    Corrupt(String),
}

pub type Result<T, E = SearchError> = std::result::Result<T, E>;

/// Changes the schema's version when the fields change: an index of another version is
/// dropped and rebuilt from the store.
const SCHEMA_VERSION: u32 = 1;
/// The writer's memory for documents not yet flushed.
const WRITER_MEMORY: usize = 64 * 1024 * 1024;

/// How far the index has read the store's changes, committed with the documents it read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Position {
    /// Changes made at or before this time (Unix milliseconds), less the store's overlap,
    /// are in the index.
    pub at_ms: i64,
    schema: u32,
}

impl Position {
    pub fn at(at_ms: i64) -> Self {
        Self { at_ms, schema: SCHEMA_VERSION }
    }
}

#[derive(Clone, Copy)]
struct Fields {
    id: Field,
    tracking_no: Field,
    state: Field,
    /// The category's code and its top level's.
    categories: Field,
    /// The district, street, community and grid, and the city and province above them.
    areas: Field,
    units: Field,
    received: Field,
    /// Every text, cut into words; stored for the highlights.
    words: Field,
    /// The same texts, cut into pairs of characters.
    pairs: Field,
}

fn schema() -> (Schema, Fields) {
    let mut builder = Schema::builder();
    let text = |tokenizer: &str| {
        TextFieldIndexing::default().set_tokenizer(tokenizer).set_index_option(IndexRecordOption::WithFreqs)
    };
    let fields = Fields {
        id: builder.add_text_field("id", STRING | STORED),
        tracking_no: builder.add_text_field("tracking_no", STRING | STORED),
        state: builder.add_text_field("state", STRING | STORED),
        categories: builder.add_text_field("categories", STRING | STORED),
        areas: builder.add_text_field("areas", STRING),
        units: builder.add_text_field("units", STRING),
        received: builder.add_i64_field("received", INDEXED | FAST | STORED),
        words: builder.add_text_field("words", TextOptions::default().set_indexing_options(text("words")).set_stored()),
        pairs: builder.add_text_field("pairs", TextOptions::default().set_indexing_options(text("pairs"))),
    };
    (builder.build(), fields)
}

/// A case found, with the words that matched marked in a passage of its texts.
#[derive(Debug, Clone, PartialEq)]
pub struct Hit {
    pub id: Uuid,
    pub tracking_no: String,
    pub state: CaseState,
    pub category_code: String,
    pub received_at: DateTime<Utc>,
    pub score: f32,
    pub passage: Vec<Marked>,
}

/// A piece of a passage, marked when it matched the query.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Marked {
    pub text: String,
    pub hit: bool,
}

/// One page of what a search found, and how many it found in all.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub total: usize,
    pub hits: Vec<Hit>,
}

/// How hits are ordered.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Ranking {
    /// Best match first.
    Relevance,
    /// Latest received first.
    Newest,
}

/// The index in a directory, its reader, and its writer when this process holds it.
pub struct SearchIndex {
    index: Index,
    reader: IndexReader,
    fields: Fields,
    words: Words,
    writer: Mutex<Option<IndexWriter>>,
    /// The last commit's position, read when the index is opened or taken up again, so that a
    /// search does not read the index's metadata file.
    position: Mutex<Option<Position>>,
}

impl SearchIndex {
    /// Opens the index in `dir` (created if missing; dropped and created again if it was
    /// built with other fields), with `names` added to the words' dictionary. The writer is
    /// taken if no other process holds it.
    pub fn open(dir: &Path, names: impl IntoIterator<Item = String>) -> Result<Self> {
        let directory_error = |e: &dyn std::fmt::Display| SearchError::Directory {
            path: dir.display().to_string(),
            reason: e.to_string(),
        };
        std::fs::create_dir_all(dir).map_err(|e| directory_error(&e))?;
        let (schema, fields) = schema();
        let open = || -> Result<Index> {
            let directory = MmapDirectory::open(dir).map_err(|e| directory_error(&e))?;
            Ok(Index::open_or_create(directory, schema.clone())?)
        };
        let index = match open() {
            Ok(index) => index,
            Err(SearchError::Index(tantivy::TantivyError::SchemaError(_))) => {
                std::fs::remove_dir_all(dir).map_err(|e| directory_error(&e))?;
                std::fs::create_dir_all(dir).map_err(|e| directory_error(&e))?;
                open()?
            }
            Err(e) => return Err(e),
        };
        let words = Words::new(names);
        index.tokenizers().register("words", words.clone());
        index.tokenizers().register("pairs", Pairs);
        let writer = match index.writer(WRITER_MEMORY) {
            Ok(writer) => Some(writer),
            Err(tantivy::TantivyError::LockFailure(..)) => None,
            Err(e) => return Err(e.into()),
        };
        let reader = index.reader_builder().reload_policy(ReloadPolicy::OnCommitWithDelay).try_into()?;
        let position = Mutex::new(committed_position(&index)?);
        Ok(Self { index, reader, fields, words, writer: Mutex::new(writer), position })
    }

    /// Whether this process writes the index.
    pub fn writes(&self) -> bool {
        self.writer.lock().unwrap_or_else(|e| e.into_inner()).is_some()
    }

    /// How far the index has read, as last committed (none: never, or built with other
    /// fields).
    pub fn position(&self) -> Option<Position> {
        *self.position.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Cases in the index.
    pub fn len(&self) -> u64 {
        self.reader.searcher().num_docs()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Replaces these cases' documents; they are seen once committed.
    pub fn put(&self, documents: &[SearchDocument]) -> Result<()> {
        self.with_writer(|writer| {
            for document in documents {
                writer.delete_term(Term::from_field_text(self.fields.id, &document.id.to_string()));
                writer.add_document(self.document(document))?;
            }
            Ok(())
        })
    }

    /// Adds documents of cases not in the index (a rebuild after [`Self::clear`]).
    pub fn add(&self, documents: &[SearchDocument]) -> Result<()> {
        self.with_writer(|writer| {
            for document in documents {
                writer.add_document(self.document(document))?;
            }
            Ok(())
        })
    }

    /// Removes every document (before a rebuild); seen once committed.
    pub fn clear(&self) -> Result<()> {
        self.with_writer(|writer| writer.delete_all_documents().map(|_| ()).map_err(Into::into))
    }

    /// Makes what was put visible, with how far the store's changes were read.
    pub fn commit(&self, position: Position) -> Result<()> {
        self.with_writer(|writer| {
            let mut prepared = writer.prepare_commit()?;
            prepared.set_payload(&serde_json::to_string(&position).map_err(|e| SearchError::Corrupt(e.to_string()))?);
            prepared.commit()?;
            Ok(())
        })?;
        self.reader.reload()?;
        *self.position.lock().unwrap_or_else(|e| e.into_inner()) = Some(position);
        Ok(())
    }

    /// Takes up the index's latest commit, made here or by the process that writes it.
    pub fn refresh(&self) -> Result<()> {
        self.reader.reload()?;
        *self.position.lock().unwrap_or_else(|e| e.into_inner()) = committed_position(&self.index)?;
        Ok(())
    }

    fn with_writer<T>(&self, work: impl FnOnce(&mut IndexWriter) -> Result<T>) -> Result<T> {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        work(writer.as_mut().ok_or(SearchError::ReadOnly)?)
    }

    fn document(&self, document: &SearchDocument) -> TantivyDocument {
        let f = self.fields;
        let mut doc = TantivyDocument::default();
        doc.add_text(f.id, document.id.to_string());
        doc.add_text(f.tracking_no, &document.tracking_no);
        doc.add_text(f.state, document.state.as_str());
        doc.add_text(f.categories, &document.category_code);
        if let Some(top) = document.category_code.get(..2).filter(|t| *t != document.category_code) {
            doc.add_text(f.categories, top);
        }
        for area in areas(document) {
            doc.add_text(f.areas, area);
        }
        for unit in &document.units {
            doc.add_text(f.units, unit);
        }
        doc.add_i64(f.received, document.received_at.timestamp_millis());
        let text = document.texts.join("\n");
        doc.add_text(f.pairs, &text);
        doc.add_text(f.words, text);
        doc
    }

    /// The cases that match `request`, ranked, with their passages marked.
    pub fn search(&self, request: &SearchRequest<'_>) -> Result<Found> {
        let searcher = self.reader.searcher();
        let query = query::build(request, &self.fields, &self.words);
        let limit = request.limit.max(1);
        let top = TopDocs::with_limit(limit).and_offset(request.offset);
        let (total, addresses): (usize, Vec<(f32, tantivy::DocAddress)>) = match request.ranking {
            Ranking::Relevance => searcher.search(&query, &(Count, top.order_by_score()))?,
            Ranking::Newest => {
                let (total, newest) =
                    searcher.search(&query, &(Count, top.order_by_fast_field::<i64>("received", Order::Desc)))?;
                (total, newest.into_iter().map(|(_, address)| (0.0, address)).collect())
            }
        };
        let passages = query::Passages::new(&searcher, &*query, &self.fields)?;
        let hits = addresses
            .into_iter()
            .map(|(score, address)| {
                let doc: TantivyDocument = searcher.doc(address)?;
                self.hit(&doc, score, &passages)
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Found { total, hits })
    }

    fn hit(&self, doc: &TantivyDocument, score: f32, passages: &query::Passages) -> Result<Hit> {
        let f = self.fields;
        let text = |field: Field| doc.get_first(field).and_then(|v| v.as_str()).unwrap_or_default().to_string();
        let corrupt = |what: &str| SearchError::Corrupt(what.to_string());
        let received = doc.get_first(f.received).and_then(|v| v.as_i64()).ok_or_else(|| corrupt("received"))?;
        Ok(Hit {
            id: Uuid::parse_str(&text(f.id)).map_err(|e| corrupt(&e.to_string()))?,
            tracking_no: text(f.tracking_no),
            state: CaseState::parse(&text(f.state)).ok_or_else(|| corrupt("state"))?,
            category_code: text(f.categories),
            received_at: DateTime::from_timestamp_millis(received).ok_or_else(|| corrupt("received"))?,
            score,
            passage: passages.mark(&text(f.words)),
        })
    }
}

/// The position committed with the index's last commit (none: never, or built with other
/// fields).
fn committed_position(index: &Index) -> Result<Option<Position>> {
    let payload = index.load_metas()?.payload;
    Ok(payload.and_then(|p| serde_json::from_str::<Position>(&p).ok()).filter(|p| p.schema == SCHEMA_VERSION))
}

/// Every region a case lies in, from its grid to its province.
fn areas(document: &SearchDocument) -> Vec<String> {
    let place = &document.place;
    let mut areas: Vec<String> = [&place.grid_code, &place.community_code, &place.street_code, &place.district_code]
        .into_iter()
        .flatten()
        .cloned()
        .collect();
    if let Some(district) = place.district_code.as_deref().and_then(|d| RegionCode::parse(d).ok()) {
        for level in [RegionLevel::City, RegionLevel::Province] {
            areas.extend(district.ancestor(level).map(|code| code.as_str().to_string()));
        }
    }
    areas.sort();
    areas.dedup();
    areas
}

/// Which field a scope's or filter's region is matched in: all of them are in `areas`.
fn scope_terms(scope: &Scope, fields: &Fields) -> Option<Vec<Term>> {
    match scope {
        Scope::All => None,
        Scope::Regions { codes } => {
            Some(codes.iter().map(|c| Term::from_field_text(fields.areas, c.as_str())).collect())
        }
        Scope::Grids { codes } => Some(codes.iter().map(|c| Term::from_field_text(fields.areas, c)).collect()),
        Scope::Unit { unit } => Some(vec![Term::from_field_text(fields.units, unit)]),
    }
}
