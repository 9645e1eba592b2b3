//! The SQL implementation of [`Store`](crate::Store), over sqlx's `Any` driver so the same
//! statements serve SQLite and PostgreSQL. What differs between the two lives in
//! [`Backend`]: connection setup, migrations, and how writers are serialised.
//!
//! Writes use optimistic concurrency: a move reads the case, decides in the domain, then
//! updates the row only if its version is unchanged, so concurrent writers (several server
//! processes included) never interleave a case's events; the loser retries.

mod cases;
mod grids;
mod imports;
mod intake;
mod reference;
mod relay;
mod rows;
mod stats;
mod users;
mod workers;

use std::str::FromStr;
use std::time::Duration;

use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyPool, Executor};

use crate::crypto::{Cipher, DataKey};
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
    pub key: DataKey,
    /// Read connections (SQLite) or all connections (PostgreSQL).
    pub max_connections: u32,
}

pub struct SqlStore {
    backend: Backend,
    /// SQLite allows one writer at a time: a single-connection pool queues writers in
    /// process instead of letting them fight over the file lock. PostgreSQL shares `read`.
    write: AnyPool,
    read: AnyPool,
    cipher: Cipher,
    intake: tokio::sync::mpsc::Sender<intake::IntakeJob>,
}

/// The page cache of every SQLite connection, 64 MiB (bulk imports raise it for a while).
pub(crate) const USUAL_CACHE: &str = "PRAGMA cache_size = -65536";

static SQLITE_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static POSTGRES_MIGRATIONS: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

impl SqlStore {
    pub async fn open(options: StoreOptions) -> Result<Self> {
        sqlx::any::install_default_drivers();
        let backend = Backend::from_url(&options.url).ok_or_else(|| {
            sqlx::Error::Configuration("database URL must start with sqlite:// or postgres://".into())
        })?;
        let cipher = Cipher::new(&options.key);
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
                Ok(Self { backend, write, read, cipher, intake })
            }
            Backend::Postgres => {
                let pool = AnyPoolOptions::new()
                    .max_connections(options.max_connections.max(2))
                    .acquire_timeout(Duration::from_secs(30))
                    .connect(&options.url)
                    .await?;
                let intake = intake::spawn_writer(pool.clone(), cipher.clone());
                Ok(Self { backend, write: pool.clone(), read: pool, cipher, intake })
            }
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
        let rebuilt = self.restore_case_indexes_impl(&holder, chrono::Utc::now()).await?;
        if rebuilt > 0 {
            tracing::warn!(rebuilt, "built again the case indexes an unfinished bulk import had set aside");
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
    /// The statement with as many rows as one may carry, and the one with the rows left over.
    full: String,
    last: String,
    statements: Vec<(bool, sqlx::any::AnyArguments<'static>)>,
}

impl Inserts {
    /// `{head} VALUES (…), (…) {tail}` for `rows`, each bound by `bind`, as many rows to a
    /// statement as `rows_per_statement` allows. `anonymous`: SQLite's `?` placeholders.
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
        let per_statement = rows_per_statement(columns).min(rows.len());
        let statement = |n: usize| format!("{head} VALUES {} {tail}", value_lists(anonymous, columns, n));
        let (full, last) = (statement(per_statement), statement(rows.len() % per_statement.max(1)));
        let mut statements = Vec::with_capacity(rows.len().div_ceil(per_statement.max(1)));
        while rows.len() > 0 {
            let n = rows.len().min(per_statement);
            let mut q = rows.by_ref().take(n).fold(sqlx::query(""), &bind);
            let args = q.take_arguments().map_err(sqlx::Error::Encode)?.unwrap_or_default();
            statements.push((n == per_statement, args));
        }
        Ok(Self { full, last, statements })
    }

    pub(crate) async fn execute(self, conn: &mut sqlx::AnyConnection) -> Result<()> {
        for (full, args) in self.statements {
            sqlx::query_with(if full { &self.full } else { &self.last }, args).execute(&mut *conn).await?;
        }
        Ok(())
    }
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

    pub fn bind<'q>(
        self,
        mut q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    ) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
        for a in self.0 {
            q = match a {
                Arg::Text(s) => q.bind(s),
                Arg::Int(i) => q.bind(i),
            };
        }
        q
    }
}

#[async_trait::async_trait]
impl crate::Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn upsert_regions(&self, regions: &[grassroots_domain::region::Region]) -> Result<crate::RegionImport> {
        self.upsert_regions_impl(regions).await
    }
    async fn region_names(&self, code: &str) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
        self.region_names_impl(code).await
    }
    async fn upsert_categories(&self, categories: &[grassroots_domain::Category]) -> Result<u64> {
        self.upsert_categories_impl(categories).await
    }
    async fn upsert_units(&self, units: &[crate::Unit]) -> Result<u64> {
        self.upsert_units_impl(units).await
    }
    async fn upsert_responsibilities(&self, rows: &[crate::Responsibility]) -> Result<u64> {
        self.upsert_responsibilities_impl(rows).await
    }
    async fn delete_responsibility(&self, category_code: &str, region_code: &str) -> Result<()> {
        self.delete_responsibility_impl(category_code, region_code).await
    }
    async fn regions(&self) -> Result<Vec<grassroots_domain::region::Region>> {
        self.regions_impl().await
    }
    async fn replace_calendar(&self, days: &[grassroots_domain::calendar::CalendarDay]) -> Result<()> {
        self.replace_calendar_impl(days).await
    }
    async fn reference(&self) -> Result<crate::Reference> {
        self.reference_impl().await
    }

    async fn upsert_boundaries(&self, rows: &[crate::BoundaryRow]) -> Result<u64> {
        self.upsert_boundaries_impl(rows).await
    }
    async fn boundaries(&self) -> Result<Vec<crate::BoundaryRow>> {
        self.boundaries_impl().await
    }
    async fn replace_grids(&self, communities: &[String], grids: &[crate::GridRow]) -> Result<crate::GridImport> {
        self.replace_grids_impl(communities, grids).await
    }
    async fn grids(&self) -> Result<Vec<crate::GridRow>> {
        self.grids_impl().await
    }
    async fn grid(&self, code: &str) -> Result<Option<crate::GridRow>> {
        self.grid_impl(code).await
    }
    async fn grids_stamp(&self) -> Result<String> {
        self.grids_stamp_impl().await
    }
    async fn grid_workers(&self, grid_code: &str) -> Result<Vec<crate::User>> {
        self.grid_workers_impl(grid_code).await
    }
    async fn households(&self, grid_code: &str) -> Result<Vec<crate::Household>> {
        self.households_impl(grid_code).await
    }
    async fn add_households(&self, grid_code: &str, labels: &[String]) -> Result<u64> {
        self.add_households_impl(grid_code, labels).await
    }
    async fn insert_visit_history(
        &self,
        households: &[(String, String)],
        visits: &[crate::HistoricVisit],
    ) -> Result<()> {
        self.insert_visit_history_impl(households, visits).await
    }
    async fn record_visit(
        &self,
        actor: &grassroots_domain::Actor,
        visit: &crate::NewVisit,
        at: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::Visit> {
        self.record_visit_impl(actor, visit, at).await
    }
    async fn visits(&self, scope: &grassroots_domain::Scope, grid_code: &str, limit: i64) -> Result<Vec<crate::Visit>> {
        self.visits_impl(scope, grid_code, limit).await
    }
    async fn coverage(&self, within: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Vec<crate::GridCoverage>> {
        self.coverage_impl(within, now).await
    }
    async fn attachments(
        &self,
        scope: &grassroots_domain::Scope,
        case_id: uuid::Uuid,
    ) -> Result<Vec<crate::AttachmentInfo>> {
        self.attachments_impl(scope, case_id).await
    }
    async fn attachment(
        &self,
        scope: &grassroots_domain::Scope,
        case_id: uuid::Uuid,
        id: uuid::Uuid,
    ) -> Result<(String, Vec<u8>)> {
        self.attachment_impl(scope, case_id, id).await
    }
    async fn region_counts(
        &self,
        scope: &grassroots_domain::Scope,
        level: grassroots_domain::RegionLevel,
        filter: &crate::RateFilter,
    ) -> Result<Vec<crate::RegionCount>> {
        self.region_counts_impl(scope, level, filter).await
    }
    async fn patrol_counts(
        &self,
        scope: &grassroots_domain::Scope,
        filter: &crate::RateFilter,
    ) -> Result<crate::PatrolCounts> {
        self.patrol_counts_impl(scope, filter).await
    }
    async fn case_points(
        &self,
        scope: &grassroots_domain::Scope,
        filter: &crate::RateFilter,
        limit: i64,
    ) -> Result<Vec<crate::CasePoint>> {
        self.case_points_impl(scope, filter, limit).await
    }

    async fn upsert_user(&self, user: &crate::NewUser) -> Result<crate::User> {
        self.upsert_user_impl(user).await
    }
    async fn user_by_username(&self, username: &str) -> Result<Option<crate::UserWithHash>> {
        self.user_by_username_impl(username).await
    }
    async fn users(&self) -> Result<Vec<crate::StaffAccount>> {
        self.users_impl().await
    }
    async fn set_user_disabled(
        &self,
        username: &str,
        disabled: bool,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.set_user_disabled_impl(username, disabled, now).await
    }
    async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        scope: &crate::KeyScope,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::ApiKey> {
        self.create_api_key_impl(name, key_hash, scope, now).await
    }
    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<crate::ApiKey>> {
        self.api_key_by_hash_impl(key_hash).await
    }
    async fn api_keys(&self) -> Result<Vec<crate::ApiKey>> {
        self.api_keys_impl().await
    }
    async fn revoke_api_key(&self, id: uuid::Uuid, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.revoke_api_key_impl(id, now).await
    }
    async fn create_session(
        &self,
        user_id: uuid::Uuid,
        token_hash: &str,
        expires_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.create_session_impl(user_id, token_hash, expires_at).await
    }
    async fn record_failed_login(&self, username: &str, at: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.record_failed_login_impl(username, at).await
    }
    async fn recent_audit(&self, limit: i64) -> Result<Vec<crate::AuditEntry>> {
        self.recent_audit_impl(limit).await
    }
    async fn session_user(&self, token_hash: &str, now: chrono::DateTime<chrono::Utc>) -> Result<Option<crate::User>> {
        self.session_user_impl(token_hash, now).await
    }
    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        self.delete_session_impl(token_hash).await
    }

    async fn create_case(&self, new: crate::NewCase, actor: &grassroots_domain::Actor) -> Result<crate::CreatedCase> {
        self.create_case_impl(new, actor).await
    }
    async fn case_detail(&self, scope: &grassroots_domain::Scope, id: uuid::Uuid) -> Result<Option<crate::CaseDetail>> {
        self.case_detail_impl(scope, id).await
    }
    async fn list_cases(
        &self,
        scope: &grassroots_domain::Scope,
        filter: &crate::CaseFilter,
    ) -> Result<crate::CasePage> {
        self.list_cases_impl(scope, filter).await
    }
    async fn queue_counts(
        &self,
        scope: &grassroots_domain::Scope,
        role: grassroots_domain::Role,
    ) -> Result<Vec<(grassroots_domain::queue::Queue, i64)>> {
        self.queue_counts_impl(scope, role).await
    }
    async fn apply_move(
        &self,
        actor: &grassroots_domain::Actor,
        id: uuid::Uuid,
        mv: &grassroots_domain::Move,
        ctx: &grassroots_domain::workflow::MoveContext<'_>,
    ) -> Result<grassroots_domain::CaseRecord> {
        self.apply_move_impl(actor, id, mv, ctx).await
    }
    async fn track(&self, tracking_no: &str, query_code: &str) -> Result<Option<crate::CaseDetail>> {
        self.track_impl(tracking_no, query_code).await
    }
    async fn resident_evaluate(
        &self,
        tracking_no: &str,
        query_code: &str,
        mv: &grassroots_domain::Move,
        ctx: &grassroots_domain::workflow::MoveContext<'_>,
    ) -> Result<grassroots_domain::CaseRecord> {
        self.resident_evaluate_impl(tracking_no, query_code, mv, ctx).await
    }
    async fn reveal(
        &self,
        actor: &grassroots_domain::Actor,
        id: uuid::Uuid,
        reason: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::RevealedPersonalData> {
        self.reveal_impl(actor, id, reason, now).await
    }
    async fn case_events(&self, id: uuid::Uuid) -> Result<Vec<grassroots_domain::CaseEvent>> {
        self.events_of(id).await
    }
    async fn audit_entries(&self, case_id: uuid::Uuid) -> Result<Vec<crate::AuditEntry>> {
        self.audit_entries_impl(case_id).await
    }
    async fn outbox_count(&self, case_id: uuid::Uuid) -> Result<i64> {
        self.outbox_count_impl(case_id).await
    }
    async fn case_record(&self, id: uuid::Uuid) -> Result<Option<grassroots_domain::CaseRecord>> {
        self.case_record_impl(id).await
    }

    async fn rate_counts(
        &self,
        scope: &grassroots_domain::Scope,
        filter: &crate::RateFilter,
    ) -> Result<grassroots_domain::rates::RateCounts> {
        self.rate_counts_impl(scope, filter).await
    }
    async fn rate_counts_by(
        &self,
        scope: &grassroots_domain::Scope,
        filter: &crate::RateFilter,
        grouping: crate::Grouping,
    ) -> Result<Vec<(String, grassroots_domain::rates::RateCounts)>> {
        self.rate_counts_by_impl(scope, filter, grouping).await
    }
    async fn case_counts_by(
        &self,
        scope: &grassroots_domain::Scope,
        filter: &crate::RateFilter,
        grouping: crate::Grouping,
    ) -> Result<Vec<crate::RegionCount>> {
        self.case_counts_by_impl(scope, filter, grouping).await
    }

    async fn claim_lease(
        &self,
        name: &str,
        holder: &str,
        now: chrono::DateTime<chrono::Utc>,
        ttl: chrono::Duration,
    ) -> Result<bool> {
        self.claim_lease_impl(name, holder, now, ttl).await
    }
    async fn tick_deadlines(&self, now: chrono::DateTime<chrono::Utc>, limit: i64) -> Result<usize> {
        self.tick_deadlines_impl(now, limit).await
    }

    async fn insert_history(&self, cases: &[crate::HistoricCase]) -> Result<()> {
        self.insert_history_impl(cases).await
    }
    async fn import_cases(
        &self,
        source: &str,
        cases: Vec<crate::ImportedCase>,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::ImportBatch> {
        self.import_cases_impl(source, cases, now).await
    }
    async fn count_cases(&self) -> Result<i64> {
        self.count_cases_impl().await
    }
    async fn count_imported(&self, source: &str) -> Result<i64> {
        self.count_imported_impl(source).await
    }
    async fn set_aside_case_indexes(&self, holder: &str, now: chrono::DateTime<chrono::Utc>) -> Result<usize> {
        self.set_aside_case_indexes_impl(holder, now).await
    }
    async fn restore_case_indexes(&self, holder: &str, now: chrono::DateTime<chrono::Utc>) -> Result<usize> {
        self.restore_case_indexes_impl(holder, now).await
    }
    async fn create_webhook(
        &self,
        name: &str,
        url: &str,
        topics: &[String],
        secret: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<crate::Webhook> {
        self.create_webhook_impl(name, url, topics, secret, now).await
    }
    async fn webhooks(&self) -> Result<Vec<crate::Webhook>> {
        self.webhooks_impl().await
    }
    async fn webhook_secret(&self, id: uuid::Uuid) -> Result<Option<String>> {
        self.webhook_secret_impl(id).await
    }
    async fn disable_webhook(&self, id: uuid::Uuid, now: chrono::DateTime<chrono::Utc>) -> Result<()> {
        self.disable_webhook_impl(id, now).await
    }
    async fn fan_out(&self, nats: bool, limit: i64, now: chrono::DateTime<chrono::Utc>) -> Result<usize> {
        self.fan_out_impl(nats, limit, now).await
    }
    async fn due_deliveries(
        &self,
        target: &str,
        now: chrono::DateTime<chrono::Utc>,
        limit: i64,
    ) -> Result<Vec<crate::Delivery>> {
        self.due_deliveries_impl(target, now, limit).await
    }
    async fn record_attempt(
        &self,
        delivery: &crate::Delivery,
        outcome: &crate::AttemptOutcome,
        duration_ms: i64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<()> {
        self.record_attempt_impl(delivery, outcome, duration_ms, now).await
    }
    async fn delivery_attempts(&self, target: &str, limit: i64) -> Result<Vec<crate::DeliveryAttempt>> {
        self.delivery_attempts_impl(target, limit).await
    }
    async fn undelivered(&self, target: &str) -> Result<i64> {
        self.undelivered_impl(target).await
    }
}
