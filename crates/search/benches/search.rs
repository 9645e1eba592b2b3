//! Ranked searches with filters over a district's cases, timed on the platform's index and on
//! the alternatives a team would reach for: SQLite FTS5 and PostgreSQL full-text search, over
//! the same cases, with the same words (each text cut by jieba, as FTS5 and PostgreSQL
//! cannot cut Chinese), each answer with its 20 best cases and their highlighted passage.
//!
//! `cargo bench -p grassroots-search --bench search` builds the cases once (1,000,000 by
//! default, `SEARCH_BENCH_CASES`) into target/tmp/search-bench-N (reused by later runs), loads
//! PostgreSQL when `SEARCH_BENCH_POSTGRES_URL` names a database, then runs each query on each
//! engine in turn and prints the percentiles. Cases are drawn from data/requests-corpus.csv,
//! with 东城区's communities as their places and the notes and results staff write.

use std::path::{Path, PathBuf};
use std::time::Instant;

use chrono::{DateTime, Duration, TimeZone, Utc};
use grassroots_domain::case::Place;
use grassroots_domain::search::SearchDocument;
use grassroots_domain::{CaseState, RegionCode, Scope};
use grassroots_search::tokens::Words;
use grassroots_search::{Position, Ranking, SearchIndex, SearchRequest};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use sqlx::{Connection, Executor, Row};
use tantivy::tokenizer::{TokenStream, Tokenizer};
use uuid::Uuid;

const NOTES: &[&str] = &[
    "现场核实属实，已派单",
    "已联系物业公司，约定明日上门",
    "已安排维修人员到场处理",
    "经协调，相关单位已整改完毕",
    "已电话回访，居民表示满意",
    "已清理完毕并拍照留存",
    "涉及多个部门，已转区城管委协调",
    "已告知居民处理进度",
    "市政部门已更换损坏设施",
    "经核查不属实，已向居民解释",
];

struct Corpus {
    texts: Vec<(String, String)>,
    communities: Vec<(String, String)>,
    landmarks: Vec<String>,
}

fn corpus() -> Corpus {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../data");
    let read = |file: &'static str| {
        csv::Reader::from_path(root.join(file)).expect(file).into_records().map(|r| r.expect(file))
    };
    Corpus {
        texts: read("requests-corpus.csv").map(|r| (r[0].to_string(), r[1].to_string())).collect(),
        communities: read("beijing-regions.csv")
            .filter(|r| r[0].starts_with("110101") && r[0].len() == 12)
            .map(|r| (r[0].to_string(), grassroots_domain::region::spoken_name(&r[1]).to_string()))
            .collect(),
        landmarks: read("dongcheng-landmarks.csv").map(|r| r[0].to_string()).collect(),
    }
}

/// Four cases in five closed, the rest spread over the open states.
fn pick_state(rng: &mut StdRng) -> CaseState {
    if rng.gen_bool(0.8) {
        CaseState::Closed
    } else {
        OPEN[rng.gen_range(0..OPEN.len())]
    }
}

fn start() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap()
}

/// The i-th case: a request of the corpus, at a building of one of 东城区's communities,
/// within a year, with the notes its state implies.
fn case(i: usize, corpus: &Corpus, rng: &mut StdRng) -> SearchDocument {
    let (category, text) = &corpus.texts[rng.gen_range(0..corpus.texts.len())];
    let (community, community_name) = &corpus.communities[rng.gen_range(0..corpus.communities.len())];
    let building = rng.gen_range(1..40);
    let description = match rng.gen_range(0..4) {
        0 => format!("{community_name}{building}号楼，{text}"),
        1 => format!("{}附近，{text}", corpus.landmarks[rng.gen_range(0..corpus.landmarks.len())]),
        _ => text.clone(),
    };
    let state = pick_state(rng);
    let mut texts = vec![description, format!("{community_name}{building}号楼{}单元", rng.gen_range(1..7))];
    let notes = match state {
        CaseState::Received | CaseState::Rejected => 0,
        CaseState::Registered | CaseState::Dispatched => 1,
        _ => rng.gen_range(2..4),
    };
    texts.extend((0..notes).map(|_| NOTES[rng.gen_range(0..NOTES.len())].to_string()));
    let unit = format!("unit-{:02}", rng.gen_range(0..40));
    SearchDocument {
        id: Uuid::from_u128(i as u128 + 1),
        tracking_no: format!("BJ{:014}", i + 1),
        state,
        category_code: category.clone(),
        place: Place {
            district_code: Some("110101".into()),
            street_code: Some(community[..9].to_string()),
            community_code: Some(community.clone()),
            ..Place::default()
        },
        units: (state != CaseState::Received).then_some(unit).into_iter().collect(),
        received_at: start() + Duration::minutes(rng.gen_range(0..365 * 24 * 60)),
        texts,
    }
}

/// The text as FTS5 and PostgreSQL are given it: the words jieba cuts, space-separated.
fn cut(words: &mut Words, text: &str) -> String {
    let mut stream = words.token_stream(text);
    let mut out = String::with_capacity(text.len() * 2);
    while stream.advance() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(&stream.token().text);
    }
    out
}

/// A query: its words, and the filters it carries.
#[derive(Clone)]
struct Query {
    words: Vec<String>,
    street: Option<String>,
    open_only: bool,
    top_category: Option<String>,
    since: Option<DateTime<Utc>>,
}

const OPEN: [CaseState; 6] = [
    CaseState::Received,
    CaseState::Registered,
    CaseState::Dispatched,
    CaseState::InProgress,
    CaseState::Handled,
    CaseState::Verifying,
];

/// Queries as staff type them: one or two words of a request, each with a street, the open
/// states, a category or the last 90 days (in turn), and a fifth of them without filters.
fn queries(corpus: &Corpus, words: &Words, count: usize) -> Vec<Query> {
    let mut rng = StdRng::seed_from_u64(7);
    let mut out = Vec::new();
    while out.len() < count {
        let (category, text) = &corpus.texts[rng.gen_range(0..corpus.texts.len())];
        let candidates: Vec<String> =
            words.of_query(text).into_iter().filter(|w| (2..=4).contains(&w.chars().count())).collect();
        if candidates.is_empty() {
            continue;
        }
        let mut chosen = vec![candidates[rng.gen_range(0..candidates.len())].clone()];
        if rng.gen_bool(0.3) && candidates.len() > 1 {
            let other = candidates[rng.gen_range(0..candidates.len())].clone();
            if other != chosen[0] {
                chosen.push(other);
            }
        }
        let street = format!("110101{:03}", rng.gen_range(1..=17));
        let mut query = Query { words: chosen, street: None, open_only: false, top_category: None, since: None };
        match out.len() % 5 {
            0 => query.street = Some(street),
            1 => {
                query.street = Some(street);
                query.open_only = true;
            }
            2 => query.top_category = Some(category[..2].to_string()),
            3 => query.since = Some(start() + Duration::days(275)),
            _ => {}
        }
        out.push(query);
    }
    out
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut times: Vec<f64>, found: usize) {
    times.sort_by(|a, b| a.total_cmp(b));
    println!(
        "{name:<28} p50 {:>7.2} ms  p95 {:>7.2} ms  p99 {:>7.2} ms  max {:>8.2} ms  ({} queries, {found} answered with hits)",
        percentile(&times, 0.5),
        percentile(&times, 0.95),
        percentile(&times, 0.99),
        times.last().copied().unwrap_or_default(),
        times.len()
    );
}

struct Built {
    index: SearchIndex,
    sqlite: sqlx::SqliteConnection,
    postgres: Option<sqlx::PgConnection>,
}

async fn build(n: usize, dir: &Path, corpus: &Corpus, words: &Words) -> Built {
    let done = dir.join("built");
    let fresh = !done.exists();
    if fresh {
        let _ = std::fs::remove_dir_all(dir);
    }
    std::fs::create_dir_all(dir).unwrap();
    let index = SearchIndex::open(&dir.join("tantivy"), Vec::new()).unwrap();
    let options = sqlx::sqlite::SqliteConnectOptions::new()
        .filename(dir.join("fts5.db"))
        .create_if_missing(true)
        .journal_mode(sqlx::sqlite::SqliteJournalMode::Wal);
    let sqlite = sqlx::SqliteConnection::connect_with(&options).await.unwrap();
    let postgres = match std::env::var("SEARCH_BENCH_POSTGRES_URL") {
        Ok(url) => Some(sqlx::PgConnection::connect(&url).await.expect("SEARCH_BENCH_POSTGRES_URL")),
        Err(_) => None,
    };
    let mut built = Built { index, sqlite, postgres };
    let pg_count = match built.postgres.as_mut() {
        Some(pg) => sqlx::query("SELECT count(*) AS n FROM search_bench_docs")
            .fetch_one(pg)
            .await
            .map(|r| r.get::<i64, _>("n") as usize)
            .unwrap_or(0),
        None => n,
    };
    if !fresh && pg_count == n {
        println!("reusing the {n} cases in {}", dir.display());
        return built;
    }
    load(n, &mut built, fresh, pg_count != n, corpus, words).await;
    std::fs::write(&done, n.to_string()).unwrap();
    built
}

async fn load(n: usize, built: &mut Built, fresh: bool, postgres: bool, corpus: &Corpus, words: &Words) {
    let mut words = words.clone();
    let mut rng = StdRng::seed_from_u64(42);
    if fresh {
        built
            .sqlite
            .execute(
                "CREATE TABLE docs (id INTEGER PRIMARY KEY, street TEXT, state TEXT, top TEXT, received INTEGER); \
             CREATE VIRTUAL TABLE docs_fts USING fts5(words, tokenize = 'unicode61');",
            )
            .await
            .unwrap();
    }
    if let (true, Some(pg)) = (postgres, built.postgres.as_mut()) {
        pg.execute(
            "DROP TABLE IF EXISTS search_bench_docs; \
             CREATE TABLE search_bench_docs (id BIGINT PRIMARY KEY, street TEXT, state TEXT, top TEXT, received BIGINT, \
             words TEXT, tsv TSVECTOR GENERATED ALWAYS AS (to_tsvector('simple', words)) STORED)",
        )
        .await
        .unwrap();
    }
    let (mut tantivy_s, mut sqlite_s, mut pg_s) = (0.0, 0.0, 0.0);
    let batch = 20_000;
    for from in (0..n).step_by(batch) {
        let documents: Vec<SearchDocument> = (from..(from + batch).min(n)).map(|i| case(i, corpus, &mut rng)).collect();
        let rows: Vec<(i64, &SearchDocument, String)> = documents
            .iter()
            .enumerate()
            .map(|(k, d)| ((from + k + 1) as i64, d, cut(&mut words, &d.texts.join("\n"))))
            .collect();
        if fresh {
            let t = Instant::now();
            built.index.add(&documents).unwrap();
            tantivy_s += t.elapsed().as_secs_f64();
            let t = Instant::now();
            sqlite_insert(&mut built.sqlite, &rows).await;
            sqlite_s += t.elapsed().as_secs_f64();
        }
        if let (true, Some(pg)) = (postgres, built.postgres.as_mut()) {
            let t = Instant::now();
            postgres_copy(pg, &rows).await;
            pg_s += t.elapsed().as_secs_f64();
        }
        eprint!("\rloaded {} of {n}", (from + batch).min(n));
    }
    eprintln!();
    if fresh {
        let t = Instant::now();
        built.index.commit(Position::at(0)).unwrap();
        tantivy_s += t.elapsed().as_secs_f64();
        let t = Instant::now();
        built
            .sqlite
            .execute("CREATE INDEX docs_street ON docs (street, state); CREATE INDEX docs_received ON docs (received);")
            .await
            .unwrap();
        sqlite_s += t.elapsed().as_secs_f64();
        println!("built: tantivy {tantivy_s:.0} s, SQLite FTS5 {sqlite_s:.0} s (jieba's cutting for FTS5 not counted)");
    }
    if let (true, Some(pg)) = (postgres, built.postgres.as_mut()) {
        let t = Instant::now();
        pg.execute(
            "CREATE INDEX search_bench_tsv ON search_bench_docs USING GIN (tsv); \
             CREATE INDEX search_bench_street ON search_bench_docs (street, state); \
             CREATE INDEX search_bench_received ON search_bench_docs (received); ANALYZE search_bench_docs;",
        )
        .await
        .unwrap();
        pg_s += t.elapsed().as_secs_f64();
        println!("built: PostgreSQL {pg_s:.0} s");
    }
}

async fn sqlite_insert(conn: &mut sqlx::SqliteConnection, rows: &[(i64, &SearchDocument, String)]) {
    let mut tx = conn.begin().await.unwrap();
    for (id, d, words) in rows {
        sqlx::query("INSERT INTO docs (id, street, state, top, received) VALUES (?, ?, ?, ?, ?)")
            .bind(id)
            .bind(d.place.street_code.clone())
            .bind(d.state.as_str())
            .bind(&d.category_code[..2])
            .bind(d.received_at.timestamp_millis())
            .execute(&mut *tx)
            .await
            .unwrap();
        sqlx::query("INSERT INTO docs_fts (rowid, words) VALUES (?, ?)")
            .bind(id)
            .bind(words)
            .execute(&mut *tx)
            .await
            .unwrap();
    }
    tx.commit().await.unwrap();
}

async fn postgres_copy(conn: &mut sqlx::PgConnection, rows: &[(i64, &SearchDocument, String)]) {
    let mut data = String::new();
    for (id, d, words) in rows {
        let words = words.replace(['\t', '\n', '\\'], " ");
        data.push_str(&format!(
            "{id}\t{}\t{}\t{}\t{}\t{words}\n",
            d.place.street_code.as_deref().unwrap_or_default(),
            d.state.as_str(),
            &d.category_code[..2],
            d.received_at.timestamp_millis()
        ));
    }
    let mut copy =
        conn.copy_in_raw("COPY search_bench_docs (id, street, state, top, received, words) FROM STDIN").await.unwrap();
    copy.send(data.into_bytes()).await.unwrap();
    copy.finish().await.unwrap();
}

fn sql_filters(q: &Query, placeholder: &dyn Fn(usize) -> String, first: usize) -> (String, Vec<String>) {
    let mut clauses = Vec::new();
    let mut args = Vec::new();
    if let Some(street) = &q.street {
        args.push(street.clone());
        clauses.push(format!("d.street = {}", placeholder(first + args.len())));
    }
    if q.open_only {
        let states: Vec<String> = OPEN.iter().map(|s| format!("'{}'", s.as_str())).collect();
        clauses.push(format!("d.state IN ({})", states.join(", ")));
    }
    if let Some(top) = &q.top_category {
        args.push(top.clone());
        clauses.push(format!("d.top = {}", placeholder(first + args.len())));
    }
    if let Some(since) = q.since {
        clauses.push(format!("d.received >= {}", since.timestamp_millis()));
    }
    let sql = clauses.iter().map(|c| format!(" AND {c}")).collect::<String>();
    (sql, args)
}

async fn fts5(conn: &mut sqlx::SqliteConnection, q: &Query) -> usize {
    let (filters, args) = sql_filters(q, &|_| "?".to_string(), 1);
    let sql = format!(
        "SELECT d.id, snippet(docs_fts, 0, '[', ']', '…', 16) AS passage FROM docs_fts JOIN docs d ON d.id = docs_fts.rowid \
         WHERE docs_fts MATCH ?{filters} ORDER BY bm25(docs_fts) LIMIT 20"
    );
    let matched: Vec<String> = q.words.iter().map(|w| format!("\"{w}\"")).collect();
    let mut query = sqlx::query(&sql).bind(matched.join(" "));
    for a in args {
        query = query.bind(a);
    }
    query.fetch_all(conn).await.unwrap().len()
}

async fn postgres(conn: &mut sqlx::PgConnection, q: &Query) -> usize {
    let (filters, args) = sql_filters(q, &|i| format!("${i}"), 1);
    let sql = format!(
        "SELECT id, ts_headline('simple', words, query, 'StartSel=[, StopSel=], MaxFragments=1') AS passage FROM ( \
           SELECT d.id, d.words, query, ts_rank(d.tsv, query) AS rank \
           FROM search_bench_docs d, plainto_tsquery('simple', $1) AS query \
           WHERE d.tsv @@ query{filters} ORDER BY rank DESC LIMIT 20) AS best ORDER BY rank DESC"
    );
    // The words are $1; the filters' placeholders follow.
    let mut query = sqlx::query(&sql).bind(q.words.join(" "));
    for a in args {
        query = query.bind(a);
    }
    query.fetch_all(conn).await.unwrap().len()
}

fn ours(index: &SearchIndex, q: &Query) -> usize {
    let text = q.words.join(" ");
    let street = q.street.as_ref().map(|s| RegionCode::parse(s).unwrap());
    let request = SearchRequest {
        text: &text,
        scope: &Scope::All,
        states: if q.open_only { &OPEN } else { &[] },
        category: q.top_category.as_deref(),
        region: street.as_ref(),
        unit: None,
        received_from: q.since,
        received_before: None,
        ranking: Ranking::Relevance,
        offset: 0,
        limit: 20,
    };
    index.search(&request).unwrap().hits.len()
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let n: usize = std::env::var("SEARCH_BENCH_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(1_000_000);
    let count: usize = std::env::var("SEARCH_BENCH_QUERIES").ok().and_then(|v| v.parse().ok()).unwrap_or(300);
    let dir: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../target/tmp/search-bench-{n}"));
    let corpus = corpus();
    let words = Words::new(Vec::new());
    let mut built = build(n, &dir, &corpus, &words).await;
    let queries = queries(&corpus, &words, count);
    // One pass to warm each engine's caches, then the timed pass, engine after engine per query.
    for q in &queries {
        ours(&built.index, q);
        fts5(&mut built.sqlite, q).await;
        if let Some(pg) = built.postgres.as_mut() {
            postgres(pg, q).await;
        }
    }
    let (mut t_ours, mut t_fts5, mut t_pg) = (Vec::new(), Vec::new(), Vec::new());
    let (mut h_ours, mut h_fts5, mut h_pg) = (0, 0, 0);
    for q in &queries {
        let t = Instant::now();
        h_ours += usize::from(ours(&built.index, q) > 0);
        t_ours.push(t.elapsed().as_secs_f64() * 1000.0);
        let t = Instant::now();
        h_fts5 += usize::from(fts5(&mut built.sqlite, q).await > 0);
        t_fts5.push(t.elapsed().as_secs_f64() * 1000.0);
        if let Some(pg) = built.postgres.as_mut() {
            let t = Instant::now();
            h_pg += usize::from(postgres(pg, q).await > 0);
            t_pg.push(t.elapsed().as_secs_f64() * 1000.0);
        }
    }
    println!("{n} cases, {count} ranked queries (4 in 5 with filters), 20 best with a highlighted passage each:");
    report("grassroots (tantivy+jieba)", t_ours, h_ours);
    report("SQLite FTS5", t_fts5, h_fts5);
    if !t_pg.is_empty() {
        report("PostgreSQL full-text", t_pg, h_pg);
    }
}
