//! Cases brought over from other hotline systems (`grassroots import cases`).

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use grassroots_domain::workflow::EventKind;
use sqlx::{AnyConnection, Row};

use super::cases::new_tracking_no;
use super::{ms, rows_per_statement, value_lists, Args, SqlStore, IN_LIST};
use crate::{HistoricCase, ImportBatch, ImportedCase, Result, StoreError};

/// How often a batch draws tracking numbers again before giving up: each draw leaves only
/// numbers already taken, a handful in a million.
const MAX_DRAWS: usize = 10;

/// The connection that imports: a 1 GiB page cache, statement journals in memory.
const BULK_PRAGMAS: [&str; 2] = ["PRAGMA cache_size = -1048576", "PRAGMA temp_store = MEMORY"];

impl SqlStore {
    pub(crate) async fn import_cases_impl(
        &self,
        source: &str,
        cases: Vec<ImportedCase>,
        now: DateTime<Utc>,
    ) -> Result<ImportBatch> {
        if self.backend == crate::Backend::Sqlite {
            // A bulk load touches every index of the cases table all over: with the usual
            // 64 MiB cache it slows to a crawl past a few hundred thousand cases; and each
            // multi-row statement keeps a journal of its own, written to a file unless in memory.
            for pragma in BULK_PRAGMAS {
                sqlx::query(pragma).execute(&self.write).await?;
            }
        }
        let mut tx = self.write.begin().await?;
        let offered = cases.len() as u64;
        let known = Self::imported_before(&mut tx, source, &cases).await?;
        let mut seen = HashSet::new();
        let (external_ids, mut fresh): (Vec<String>, Vec<HistoricCase>) = cases
            .into_iter()
            .filter(|c| !known.contains(&c.external_id) && seen.insert(c.external_id.clone()))
            .map(|c| (c.external_id, c.case))
            .unzip();
        Self::draw_free_tracking_numbers(&mut tx, &mut fresh).await?;
        Self::insert_historic(&mut tx, &self.cipher, &fresh).await?;
        const COLUMNS: usize = 4;
        let links: Vec<(&String, &HistoricCase)> = external_ids.iter().zip(&fresh).collect();
        for chunk in links.chunks(rows_per_statement(COLUMNS)) {
            let sql = format!(
                "INSERT INTO case_imports (source, external_id, case_id, imported_at) VALUES {}",
                value_lists(&tx, COLUMNS, chunk.len())
            );
            let mut q = sqlx::query(&sql);
            for (external_id, case) in chunk {
                q = q
                    .bind(source.to_string())
                    .bind((*external_id).clone())
                    .bind(case.record.id.to_string())
                    .bind(ms(now));
            }
            q.execute(&mut *tx).await?;
        }
        tx.commit().await?;
        let added = fresh.len() as u64;
        Ok(ImportBatch { added, already_imported: offered - added })
    }

    async fn imported_before(
        conn: &mut AnyConnection,
        source: &str,
        cases: &[ImportedCase],
    ) -> Result<HashSet<String>> {
        let mut known = HashSet::new();
        for chunk in cases.chunks(IN_LIST) {
            let mut args = Args::default();
            let source = args.text(source);
            let list: Vec<String> = chunk.iter().map(|c| args.text(c.external_id.clone())).collect();
            let sql = format!(
                "SELECT external_id FROM case_imports WHERE source = {source} AND external_id IN ({})",
                list.join(", ")
            );
            for row in args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await? {
                known.insert(row.try_get::<String, _>("external_id")?);
            }
        }
        Ok(known)
    }

    /// Gives a new random tracking number to every case whose number is taken, by a stored
    /// case or by an earlier one of the batch.
    async fn draw_free_tracking_numbers(conn: &mut AnyConnection, cases: &mut [HistoricCase]) -> Result<()> {
        for _ in 0..MAX_DRAWS {
            let mut taken = HashSet::new();
            for chunk in cases.chunks(IN_LIST) {
                let mut args = Args::default();
                let list: Vec<String> = chunk.iter().map(|c| args.text(c.record.tracking_no.clone())).collect();
                let sql = format!("SELECT tracking_no FROM cases WHERE tracking_no IN ({})", list.join(", "));
                for row in args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await? {
                    taken.insert(row.try_get::<String, _>("tracking_no")?);
                }
            }
            let mut clashes = 0;
            for case in cases.iter_mut() {
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
                return Ok(());
            }
        }
        Err(StoreError::Corrupt("no free tracking numbers left for the imported cases".into()))
    }
}
