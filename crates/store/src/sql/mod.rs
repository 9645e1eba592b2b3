//! The SQL implementation of [`Store`](crate::Store), over sqlx's `Any` driver so the same
//! statements serve SQLite and PostgreSQL. What differs between the two lives in
//! [`Backend`]: connection setup, migrations, and how writers are serialised.
//!
//! Writes use optimistic concurrency: a move reads the case, decides in the domain, then
//! updates the row only if its version is unchanged, so concurrent writers (several server
//! processes included) never interleave a case's events; the loser retries.

mod accountability;
mod attachments;
mod audit;
mod backup;
mod bulletins;
mod burden;
mod care;
mod cases;
mod charity;
mod compounds;
mod deliberation;
mod disputes;
mod duplicates;
mod duty;
mod emergencies;
mod events;
mod grids;
mod helpers;
mod history;
mod households;
mod identity;
mod inspect;
mod intake;
mod jobs;
mod keys;
mod meetings;
mod messages;
mod models;
mod needs;
mod outbox;
mod oversight;
mod party;
mod privacy;
mod projects;
mod reference;
mod replica;
mod residents;
mod rollups;
mod rows;
mod search;
mod services;
mod stats;
mod support;
mod surveys;
mod votes;
mod warnings;
mod workforce;

/// Both backends' test databases and the tests' small world, for the tests here that need
/// the SQL underneath.
#[cfg(test)]
#[path = "../../tests/support/mod.rs"]
mod test_support;

pub use backup::{attachment_digests, check_backup};

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::crypto::{Cipher, Keyring};
use crate::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    pub fn from_url(url: &str) -> Option<Self> {
        if url.starts_with("sqlite:") {
            Some(Self::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Some(Self::Postgres)
        } else {
            None
        }
    }
}

pub struct StoreOptions {
    /// `sqlite://path/to/file.db` or `postgres://…`
    pub url: String,
    pub keys: Keyring,
    /// Read connections (SQLite) or all connections (PostgreSQL).
    pub max_connections: u32,
    /// The directory of attachment files, shared by every server of the store.
    pub attachments_dir: std::path::PathBuf,
}

pub struct SqlStore {
    backend: Backend,
    /// SQLite allows one writer at a time: a single-connection pool queues writers in
    /// process instead of letting them fight over the file lock. PostgreSQL shares `read`.
    write: AnyPool,
    read: AnyPool,
    cipher: Cipher,
    intake: tokio::sync::mpsc::Sender<intake::IntakeJob>,
    files: crate::files::FileStore,
    /// A standby for the figures, when one is given.
    replica: Option<replica::Replica>,
}

/// The page cache of every SQLite connection, 64 MiB (bulk imports raise it for a while).
pub(crate) const USUAL_CACHE: &str = "PRAGMA cache_size = -65536";

/// The options of every PostgreSQL pool: without JIT compilation. The platform's statements
/// are short, and the planner compiles any whose estimate passes `jit_above_cost` (on by
/// default in PostgreSQL 12 and later): patrol coverage of every grid at ten million cases
/// spent 10 ms compiling a statement that runs in 20 (DEVELOPERS.md, the scale bench).
pub(super) fn postgres_pool() -> AnyPoolOptions {
    AnyPoolOptions::new().after_connect(|conn, _| {
        Box::pin(async move {
            conn.execute("SET jit = off").await?;
            Ok(())
        })
    })
}

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl SqlStore {
    pub async fn open(options: StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&options.url).ok_or_else(|| {
            sqlx::Error::Configuration("database URL must start with sqlite:// or postgres://".into())
        })?;
        let cipher = Cipher::from_keyring(&options.keys);
        let files = crate::files::FileStore::new(options.attachments_dir.clone());
        match backend {
            Backend::Sqlite => {
                let url =
                    if options.url.contains('?') { options.url.clone() } else { format!("{}?mode=rwc", options.url) };
                let connect = AnyConnectOptions::from_str(&url)?;
                let pool = |max: u32| {
                    AnyPoolOptions::new()
                        .max_connections(max)
                        .min_connections(1)
                        .acquire_timeout(Duration::from_secs(30))
                        // The pool's check of an idle connection is a round trip to its
                        // thread before every statement; an in-process database has no
                        // far end to lose.
                        .test_before_acquire(false)
                        .after_connect(|conn, _| {
                            Box::pin(async move {
                                // WAL lets readers run beside the writer; FULL makes every
                                // acknowledged commit durable across power loss.
                                conn.execute("PRAGMA journal_mode = WAL").await?;
                                conn.execute("PRAGMA synchronous = FULL").await?;
                                conn.execute("PRAGMA busy_timeout = 10000").await?;
                                conn.execute("PRAGMA foreign_keys = ON").await?;
                                conn.execute(USUAL_CACHE).await?;
                                Ok(())
                            })
                        })
                };
                let write = pool(1).connect_with(connect.clone()).await?;
                let read = pool(options.max_connections.max(1)).connect_with(connect).await?;
                let intake = intake::spawn_writer(write.clone(), cipher.clone());
                Ok(Self { backend, write, read, cipher, intake, files, replica: None })
            }
            Backend::Postgres => {
                let pool = postgres_pool()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(&options.url)
                    .await?;
                let intake = intake::spawn_writer(pool.clone(), cipher.clone());
                Ok(Self { backend, write: pool.clone(), read: pool, cipher, intake, files, replica: None })
            }
        }
    }

    /// Reads the figures (dashboards, rates, maps, rankings) from the PostgreSQL standby at
    /// `url` while it lags this store's primary by at most `max_lag`.
    pub fn with_replica(self, url: &str, max_lag: Duration) -> Result<Self> {
        if self.backend != Backend::Postgres || Backend::from_url(url) != Some(Backend::Postgres) {
            return Err(sqlx::Error::Configuration(
                "a read replica is a PostgreSQL standby of a PostgreSQL store (postgres://…)".into(),
            )
            .into());
        }
        let connections = self.read.options().get_max_connections();
        Ok(Self { replica: Some(replica::Replica::new(url, max_lag, connections)?), ..self })
    }

    /// Where the figures are read: the standby while it is within its bound, else the primary.
    pub(crate) async fn figures(&self) -> &AnyPool {
        match &self.replica {
            Some(replica) if replica.fresh().await => &replica.pool,
            _ => &self.read,
        }
    }

    /// Applies this backend's migrations, and builds again any index a bulk import set aside
    /// and did not live to restore.
    pub async fn migrate(&self) -> Result<()> {
        match self.backend {
            Backend::Sqlite => SQLITE_MIGRATIONS.run(&self.write).await?,
            Backend::Postgres => POSTGRES_MIGRATIONS.run(&self.write).await?,
        }
        let holder = format!("migrate-{}", uuid::Uuid::now_v7());
        let rebuilt = crate::HistoryStore::restore_case_indexes(self, &holder, chrono::Utc::now()).await?;
        if rebuilt > 0 {
            tracing::warn!(rebuilt, "built again the case indexes an unfinished bulk import had set aside");
        }
        if self.fill_empty_rollups().await? {
            tracing::info!("counted the cases into counters the store did not have yet");
        }
        let moved = self.move_attachments_into_files().await?;
        if moved > 0 {
            tracing::info!(moved, "moved attachments out of the database into files");
        }
        Ok(())
    }

    /// How commits are made durable, read from the connection that writes: SQLite
    /// `wal, synchronous=2` (FULL: every commit synced), PostgreSQL `synchronous_commit=on`.
    pub async fn durability(&self) -> Result<String> {
        use sqlx::Row;
        Ok(match self.backend {
            Backend::Sqlite => {
                let mut conn = self.write.acquire().await?;
                let journal: String = sqlx::query("PRAGMA journal_mode").fetch_one(&mut *conn).await?.try_get(0)?;
                let sync: i64 = sqlx::query("PRAGMA synchronous").fetch_one(&mut *conn).await?.try_get(0)?;
                format!("{journal}, synchronous={sync}")
            }
            Backend::Postgres => {
                let on: String = sqlx::query("SHOW synchronous_commit").fetch_one(&self.write).await?.try_get(0)?;
                format!("synchronous_commit={on}")
            }
        })
    }

    pub async fn close(&self) {
        self.write.close().await;
        self.read.close().await;
        if let Some(replica) = &self.replica {
            replica.pool.close().await;
        }
    }
}

impl SqlStore {
    /// Sets `column` of the row `id` of `table` to `now` where it is still empty (a revocation,
    /// a stop); `NotFound` when there is no such row or it is set already. Names are literals.
    pub(crate) async fn stamp_once(
        &self,
        table: &'static str,
        column: &'static str,
        id: uuid::Uuid,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        let sql = format!("UPDATE {table} SET {column} = $1 WHERE id = $2 AND {column} IS NULL");
        let done = sqlx::query(&sql).bind(ms(now)).bind(id.to_string()).execute(&self.write).await?;
        if done.rows_affected() == 0 {
            return Err(crate::StoreError::NotFound);
        }
        Ok(())
    }
}

/// Unix milliseconds, the stored form of every time.
pub(crate) fn ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// Bound values per multi-row statement, within SQLite's 32,766 and PostgreSQL's 65,535.
const VALUES_PER_STATEMENT: usize = 4_000;
/// Values in one `IN (…)` list, which are numbered (`$N`): see `value_lists` for why few.
pub(crate) const IN_LIST: usize = 400;

/// How many rows of `columns` values one multi-row statement may carry.
fn rows_per_statement(columns: usize) -> usize {
    (VALUES_PER_STATEMENT / columns).max(1)
}

/// Multi-row INSERT statements with their values bound, ready to run. Built outside a
/// transaction, they keep the copying and serialising of a bulk load out of it.
pub(crate) struct Inserts {
    /// The statement for each number of rows used, with that number.
    sql: Vec<(usize, String)>,
    /// Each statement to run: its index in `sql`, and its values.
    statements: Vec<(usize, sqlx::any::AnyArguments<'static>)>,
    /// Whether the rows bind doubles that may be NULL (see `keeps_statements_with_null_doubles`).
    optional_doubles: bool,
}

impl Inserts {
    /// `{head} VALUES (…), (…) {tail}` for `rows`, each bound by `bind`, as many rows to a
    /// statement as `rows_per_statement` allows. `anonymous`: SQLite's `?` placeholders.
    ///
    /// The rows left over after the full statements go in statements of 2ⁿ rows (37 rows are
    /// 32 + 4 + 1): batches of every size then share a few statements, which stay prepared, where
    /// a statement per size would be parsed anew for most batches of intake.
    pub(crate) fn build<T>(
        anonymous: bool,
        head: &str,
        columns: usize,
        tail: &str,
        rows: impl IntoIterator<Item = T, IntoIter: ExactSizeIterator>,
        bind: impl Fn(rows::AnyQuery<'static>, T) -> rows::AnyQuery<'static>,
    ) -> Result<Self> {
        use sqlx::Execute;
        let mut rows = rows.into_iter();
        let per_statement = rows_per_statement(columns);
        let mut sql: Vec<(usize, String)> = Vec::new();
        let mut statements = Vec::new();
        while rows.len() > 0 {
            let left = rows.len();
            let n = if left >= per_statement { per_statement } else { 1 << left.ilog2() };
            let shape = sql.iter().position(|(size, _)| *size == n).unwrap_or_else(|| {
                sql.push((n, format!("{head} VALUES {} {tail}", value_lists(anonymous, columns, n))));
                sql.len() - 1
            });
            let mut q = rows.by_ref().take(n).fold(sqlx::query(""), &bind);
            let args = q.take_arguments().map_err(sqlx::Error::Encode)?.unwrap_or_default();
            statements.push((shape, args));
        }
        Ok(Self { sql, statements, optional_doubles: false })
    }

    /// Marks rows that bind doubles that may be NULL (a case without a point, then one with):
    /// on PostgreSQL their statements are prepared afresh at each run.
    pub(crate) fn with_optional_doubles(self) -> Self {
        Self { optional_doubles: true, ..self }
    }

    pub(crate) async fn execute(self, conn: &mut sqlx::AnyConnection) -> Result<()> {
        self.fetch_all(conn).await.map(drop)
    }

    /// Runs the statements and returns the rows they return (a `RETURNING` tail's).
    pub(crate) async fn fetch_all(self, conn: &mut sqlx::AnyConnection) -> Result<Vec<sqlx::any::AnyRow>> {
        // Kept prepared, as every statement is, unless it binds optional doubles: parsing and
        // planning a statement of thousands of values afresh at each run is most of a bulk
        // load's time on PostgreSQL.
        let persistent = !self.optional_doubles || keeps_statements_with_null_doubles(conn);
        let mut rows = Vec::new();
        for (shape, args) in self.statements {
            rows.extend(sqlx::query_with(&self.sql[shape].1, args).persistent(persistent).fetch_all(&mut *conn).await?);
        }
        Ok(rows)
    }
}

/// Whether a statement binding an optional double may be kept prepared on this connection. On
/// PostgreSQL a prepared statement keeps the parameter types of its first run, and sqlx's Any
/// driver sends a NULL double as a 4-byte float: a later run with a value then fails ("incorrect
/// binary data format"). There such statements are prepared afresh at each run.
pub(crate) fn keeps_statements_with_null_doubles(conn: &sqlx::AnyConnection) -> bool {
    conn.backend_name() == "SQLite"
}

/// Whether the connection takes anonymous placeholders (`?`, SQLite) in multi-row statements:
/// see `value_lists`.
pub(crate) fn anonymous_placeholders(conn: &sqlx::AnyConnection) -> bool {
    conn.backend_name() == "SQLite"
}

/// Inserts `rows` with multi-row statements (see `Inserts::build`).
pub(crate) async fn insert_rows<T>(
    conn: &mut sqlx::AnyConnection,
    head: &str,
    columns: usize,
    tail: &str,
    rows: impl IntoIterator<Item = T, IntoIter: ExactSizeIterator>,
    bind: impl Fn(rows::AnyQuery<'static>, T) -> rows::AnyQuery<'static>,
) -> Result<()> {
    Inserts::build(anonymous_placeholders(conn), head, columns, tail, rows, bind)?.execute(conn).await
}

/// The placeholders of `rows` rows of `columns` values: `($1, $2), ($3, $4)`, or on SQLite
/// `(?, ?), (?, ?)`. sqlx looks each numbered parameter up by name in a list SQLite scans from
/// the start, so binding a statement of n numbered parameters takes n² steps (at 2,000 it was
/// the largest cost in stack samples of a bulk import); anonymous ones are bound in order.
fn value_lists(anonymous: bool, columns: usize, rows: usize) -> String {
    let mut out = String::with_capacity(rows * columns * 6);
    for r in 0..rows {
        out.push_str(if r == 0 { "(" } else { ", (" });
        for c in 0..columns {
            if c > 0 {
                out.push_str(", ");
            }
            if anonymous {
                out.push('?');
            } else {
                out.push_str(&format!("${}", r * columns + c + 1));
            }
        }
        out.push(')');
    }
    out
}

pub(crate) fn from_ms(v: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(v).unwrap_or_default()
}

/// A value bound to a dynamically built statement.
#[derive(Debug, Clone)]
pub(crate) enum Arg {
    Text(String),
    Int(i64),
    Real(f64),
}

/// Builds the `$n` placeholders both backends understand, collecting the values.
#[derive(Debug, Default)]
pub(crate) struct Args(Vec<Arg>);

impl Args {
    pub fn push(&mut self, arg: Arg) -> String {
        self.0.push(arg);
        format!("${}", self.0.len())
    }

    pub fn text(&mut self, s: impl Into<String>) -> String {
        self.push(Arg::Text(s.into()))
    }

    pub fn int(&mut self, v: i64) -> String {
        self.push(Arg::Int(v))
    }

    pub fn real(&mut self, v: f64) -> String {
        self.push(Arg::Real(v))
    }

    /// The condition that `column` (a place's code) passes the filter, its codes bound here.
    pub fn places(&mut self, column: &str, filter: &crate::PlaceFilter) -> String {
        let (codes, like) = match filter {
            crate::PlaceFilter::Everywhere => return "1 = 1".to_string(),
            crate::PlaceFilter::Within(prefixes) => (prefixes, true),
            crate::PlaceFilter::Of(codes) => (codes, false),
        };
        let any: Vec<String> = codes
            .iter()
            .map(|c| match like {
                true => format!("{column} LIKE {}", self.text(format!("{c}%"))),
                false => format!("{column} = {}", self.text(c.clone())),
            })
            .collect();
        if any.is_empty() {
            "1 = 0".to_string()
        } else {
            format!("({})", any.join(" OR "))
        }
    }

    pub fn bind<'q>(
        self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for a in self.0 {
            q = match a {
                Arg::Text(s) => q.bind(s),
                Arg::Int(i) => q.bind(i),
                Arg::Real(r) => q.bind(r),
            };
        }
        q
    }
}

impl crate::Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }
}
