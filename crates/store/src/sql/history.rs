//! Cases brought over from other hotline systems (`grassroots import cases`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use grassroots_domain::workflow::EventKind;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::cases::new_tracking_no;
use super::{anonymous_placeholders, ms, Args, Inserts, SqlStore, IN_LIST};
use crate::{
    bulk_import_ttl, HistoricCase, HistoricVisit, ImportBatch, ImportedCase, JobStore, Result, StoreError,
    BULK_IMPORT_LEASE,
};

/// How often a batch draws tracking numbers again before giving up: each draw leaves only
/// numbers already taken, a handful in a million.
const MAX_DRAWS: usize = 10;

/// The connection that imports: a 1 GiB page cache, statement journals in memory.
const BULK_PRAGMAS: [&str; 2] = ["PRAGMA cache_size = -1048576", "PRAGMA temp_store = MEMORY"];

/// The secondary indexes of the cases table, by name, with the statement that creates each:
/// all but those of the primary key and the UNIQUE constraints, which the import needs.
const SQLITE_CASE_INDEXES: &str = "SELECT name, sql AS definition FROM sqlite_master \
     WHERE type = 'index' AND tbl_name = 'cases' AND sql IS NOT NULL ORDER BY name";
const POSTGRES_CASE_INDEXES: &str = "SELECT i.relname::text AS name, pg_get_indexdef(i.oid) AS definition \
     FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid \
     WHERE x.indrelid = 'cases'::regclass \
       AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid) ORDER BY 1";

/// The tables an import fills, the counters included.
const IMPORTED_TABLES: [&str; 7] =
    ["cases", "events", "case_imports", "case_co_units", "machine_decisions", "case_rollups", "case_open_counts"];

/// Indexes as (name, definition) rows.
fn names_and_definitions(rows: Vec<sqlx::any::AnyRow>) -> Result<Vec<(String, String)>> {
    rows.iter().map(|row| Ok((row.try_get("name")?, row.try_get("definition")?))).collect()
}

impl SqlStore {
    /// The statements that write the cases and their events.
    fn historic_inserts_of(&self, cases: &[ImportedCase]) -> Result<Vec<Inserts>> {
        let anonymous = self.backend == crate::Backend::Sqlite;
        Self::historic_inserts(anonymous, &self.cipher, cases.iter().map(|c| &c.case))
    }

    /// Writes a batch of imported cases in `tx`, with the statements built for them ahead of
    /// it, if any: leaves out the cases imported before and draws again the tracking numbers a
    /// writer took in between, building the statements (again) if either changed anything.
    async fn write_imports(
        &self,
        tx: &mut AnyConnection,
        source: &str,
        cases: &mut Vec<ImportedCase>,
        built: Option<Vec<Inserts>>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let left_out = Self::record_imports(tx, source, cases, now).await?;
        let redrawn = Self::draw_free_tracking_numbers(tx, cases).await? > 0;
        let inserts = match built {
            Some(inserts) if !(left_out || redrawn) => inserts,
            _ => self.historic_inserts_of(cases)?,
        };
        for statements in inserts {
            statements.execute(tx).await?;
        }
        let records: Vec<_> = cases.iter().map(|c| &c.case.record).collect();
        Self::write_new_cases_apart(tx, &records).await
    }

    /// Records the external ids of `cases` as imported from `source`, in the caller's
    /// transaction, and leaves out those recorded before (the batch holds no repeats). A
    /// unique-key insert answers what a look-up of the ids would, with no plan to go wrong:
    /// PostgreSQL, without statistics for a table an import is filling, read every id of the
    /// source for each look-up (50 ms for 400 ids at 200,000 cases). Returns whether any left.
    async fn record_imports(
        conn: &mut AnyConnection,
        source: &str,
        cases: &mut Vec<ImportedCase>,
        now: DateTime<Utc>,
    ) -> Result<bool> {
        let head = "INSERT INTO case_imports (source, external_id, case_id, imported_at)";
        let tail = "ON CONFLICT (source, external_id) DO NOTHING RETURNING external_id";
        let rows = Inserts::build(anonymous_placeholders(conn), head, 4, tail, cases.iter(), |q, c| {
            q.bind(source.to_string()).bind(c.external_id.clone()).bind(c.case.record.id.to_string()).bind(ms(now))
        })?
        .fetch_all(conn)
        .await?;
        let new: HashSet<String> = rows.iter().map(|row| row.try_get("external_id")).collect::<sqlx::Result<_>>()?;
        let before = cases.len();
        cases.retain(|c| new.contains(&c.external_id));
        Ok(cases.len() != before)
    }

    async fn case_indexes(&self, conn: &mut AnyConnection) -> Result<Vec<(String, String)>> {
        let sql = match self.backend {
            crate::Backend::Sqlite => SQLITE_CASE_INDEXES,
            crate::Backend::Postgres => POSTGRES_CASE_INDEXES,
        };
        names_and_definitions(sqlx::query(sql).fetch_all(&mut *conn).await?)
    }

    /// Runs the pragmas on the connection that writes, on SQLite only.
    async fn sqlite_pragmas(&self, pragmas: &[&str]) -> Result<()> {
        if self.backend == crate::Backend::Sqlite {
            for pragma in pragmas {
                sqlx::query(pragma).execute(&self.write).await?;
            }
        }
        Ok(())
    }

    /// Gives a new random tracking number to every case whose number is taken, by a stored
    /// case or by an earlier one of the batch. Returns how many it gave.
    async fn draw_free_tracking_numbers(conn: &mut AnyConnection, cases: &mut [ImportedCase]) -> Result<usize> {
        let mut redrawn = 0;
        for _ in 0..MAX_DRAWS {
            let mut taken = HashSet::new();
            for chunk in cases.chunks(IN_LIST) {
                let mut args = Args::default();
                let list: Vec<String> = chunk.iter().map(|c| args.text(c.case.record.tracking_no.clone())).collect();
                let sql = format!("SELECT tracking_no FROM cases WHERE tracking_no IN ({})", list.join(", "));
                // Planned for its values each time: a plan kept from when the table was small
                // would go on scanning it whole as an import fills it.
                for row in args.bind(sqlx::query(&sql)).persistent(false).fetch_all(&mut *conn).await? {
                    taken.insert(row.try_get::<String, _>("tracking_no")?);
                }
            }
            let mut clashes = 0;
            for case in cases.iter_mut().map(|c| &mut c.case) {
                if taken.insert(case.record.tracking_no.clone()) {
                    continue;
                }
                clashes += 1;
                let number = new_tracking_no(case.record.received_at);
                for event in &mut case.events {
                    if let EventKind::Received { tracking_no, .. } = &mut event.kind {
                        tracking_no.clone_from(&number);
                    }
                }
                case.record.tracking_no = number;
            }
            if clashes == 0 {
                return Ok(redrawn);
            }
            redrawn += clashes;
        }
        Err(StoreError::Corrupt("no free tracking numbers left for the imported cases".into()))
    }
}

#[async_trait::async_trait]
impl crate::HistoryStore for SqlStore {
    async fn insert_history(&self, cases: &[HistoricCase]) -> Result<()> {
        let mut tx = self.write.begin().await?;
        Self::insert_historic(&mut tx, &self.cipher, cases).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn import_cases(
        &self,
        source: &str,
        mut cases: Vec<ImportedCase>,
        now: DateTime<Utc>,
    ) -> Result<ImportBatch> {
        let offered = cases.len() as u64;
        // Draw free tracking numbers and build the statements before the transaction, so that
        // a batch gets ready while the one before it is being written.
        let mut seen = HashSet::new();
        cases.retain(|c| seen.insert(c.external_id.clone()));
        Self::draw_free_tracking_numbers(&mut *self.read.acquire().await?, &mut cases).await?;
        let mut built = Some(self.historic_inserts_of(&cases)?);
        // A bulk load touches every index of the cases table all over: with the usual 64 MiB
        // cache it slows to a crawl past a few hundred thousand cases; and each multi-row
        // statement keeps a journal of its own, written to a file unless in memory.
        self.sqlite_pragmas(&BULK_PRAGMAS).await?;
        // PostgreSQL runs this batch's transaction beside the one before it, each on a core of
        // its own: a case imported by both is kept by the first to commit (the other waits on
        // the unique key, then leaves it out), and a tracking number both drew fails the
        // second, which draws again.
        for attempt in 1.. {
            let mut tx = self.write.begin().await?;
            // A retry builds its statements within, once it has drawn again.
            match self.write_imports(&mut tx, source, &mut cases, built.take(), now).await {
                Ok(()) => {
                    tx.commit().await?;
                    break;
                }
                Err(e) if e.is_unique_violation() && attempt < MAX_DRAWS => tx.rollback().await?,
                Err(e) => return Err(e),
            }
        }
        let added = cases.len() as u64;
        Ok(ImportBatch { added, already_imported: offered - added })
    }

    async fn count_cases(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) AS n FROM cases").fetch_one(&self.read).await?.try_get("n")?)
    }

    async fn count_imported(&self, source: &str) -> Result<i64> {
        let sql = "SELECT COUNT(*) AS n FROM case_imports WHERE source = $1";
        Ok(sqlx::query(sql).bind(source.to_string()).fetch_one(&self.read).await?.try_get("n")?)
    }

    /// Drops the cases table's secondary indexes, recording their definitions in the same
    /// transaction, and takes the bulk-import lease for `holder`. Returns how many; none while
    /// another holder has the lease.
    async fn set_aside_case_indexes(&self, holder: &str, now: DateTime<Utc>) -> Result<usize> {
        if !self.claim_lease(BULK_IMPORT_LEASE, holder, now, bulk_import_ttl()).await? {
            return Ok(0);
        }
        let mut tx = self.write.begin().await?;
        let indexes = self.case_indexes(&mut tx).await?;
        for (name, definition) in &indexes {
            let mut args = Args::default();
            let sql = format!(
                "INSERT INTO set_aside_indexes (name, definition, set_aside_at) VALUES ({}, {}, {})",
                args.text(name.clone()),
                args.text(definition.clone()),
                args.int(ms(now))
            );
            args.bind(sqlx::query(&sql)).execute(&mut *tx).await?;
            sqlx::query(&format!("DROP INDEX \"{name}\"")).execute(&mut *tx).await?;
        }
        tx.commit().await?;
        Ok(indexes.len())
    }

    /// Builds again every index set aside, one transaction each, so writers wait for one
    /// index at a time. Returns how many it built; none while another holder has the
    /// bulk-import lease (an import still writing).
    async fn restore_case_indexes(&self, holder: &str, now: DateTime<Utc>) -> Result<usize> {
        let rows = sqlx::query("SELECT name, definition FROM set_aside_indexes ORDER BY name").fetch_all(&self.read);
        let set_aside = names_and_definitions(rows.await?)?;
        if set_aside.is_empty() || !self.claim_lease(BULK_IMPORT_LEASE, holder, now, bulk_import_ttl()).await? {
            return Ok(0);
        }
        // SQLite sorts an index's keys in temporary files with a helper thread per core when
        // the cache is small, and alone in memory when it is large: the first took about two
        // thirds as long for these indexes over a million cases (36 s against 55 s).
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        self.sqlite_pragmas(&[super::USUAL_CACHE, "PRAGMA temp_store = DEFAULT", &format!("PRAGMA threads = {cores}")])
            .await?;
        let mut built = 0;
        for (name, definition) in &set_aside {
            let mut tx = self.write.begin().await?;
            let present = self.case_indexes(&mut tx).await?.iter().any(|(n, _)| n == name);
            if !present {
                sqlx::query(definition).execute(&mut *tx).await?;
                built += 1;
            }
            sqlx::query("DELETE FROM set_aside_indexes WHERE name = $1").bind(name.clone()).execute(&mut *tx).await?;
            tx.commit().await?;
            // Each index takes seconds: the lease lasts until the last is built.
            self.claim_lease(BULK_IMPORT_LEASE, holder, Utc::now(), bulk_import_ttl()).await?;
        }
        // Let the lease go (it ran out at the epoch): the import is over.
        self.claim_lease(BULK_IMPORT_LEASE, holder, DateTime::UNIX_EPOCH, chrono::Duration::zero()).await?;
        Ok(built)
    }

    async fn gather_statistics(&self) -> Result<()> {
        if self.backend == crate::Backend::Postgres {
            for table in IMPORTED_TABLES {
                // VACUUM cannot run inside a transaction: sent as a simple query, not prepared.
                sqlx::raw_sql(&format!("VACUUM (ANALYZE) {table}")).execute(&self.write).await?;
            }
        }
        Ok(())
    }

    async fn insert_visit_history(&self, households: &[(String, String)], visits: &[HistoricVisit]) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let now = ms(Utc::now());
        let labels =
            households.iter().cloned().chain(visits.iter().map(|v| (v.grid_code.clone(), v.household_label.clone())));
        for (grid_code, label) in labels {
            Self::insert_household(&mut tx, &grid_code, &label, Utc::now()).await?;
        }
        for v in visits {
            sqlx::query(
                "INSERT INTO visits (id, household_id, grid_code, worker_id, visited_on, topic, follow_up, case_id, \
                 created_at) SELECT $1, h.id, h.grid_code, $2, $3, $4, $5, NULL, $6 FROM households h \
                 WHERE h.grid_code = $7 AND h.label = $8",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(v.worker_id.to_string())
            .bind(v.visited_on.to_string())
            .bind(v.topic.clone())
            .bind(v.follow_up.clone())
            .bind(now)
            .bind(v.grid_code.clone())
            .bind(v.household_label.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }
}
