//! Intake with group commit: reports queue for one writer task, which writes each waiting
//! batch in a single transaction and answers every report only after the commit. Durability
//! stays per report; the cost of the commit's sync is shared by everyone who arrived meanwhile.
//!
//! Each report is made ready before the transaction: its case as the platform's moves leave it
//! (registered and dispatched, where the matrix says so), its events with their audit entries,
//! outbox rows and messages, its sealed texts, decisions and photos. The batch's rows then go
//! in multi-row statements, a few per table for the whole batch, where writing report by report
//! took a score of statements each, every one a round trip to the database's thread or server.
//! If the batch is refused, each report is written again alone, in a savepoint of its own, so
//! that a bad report fails alone.
//!
//! A report sent with an idempotency key already kept, in the store or earlier in its batch,
//! is not written again: it is answered as the first was.

use std::collections::hash_map::Entry;
use std::collections::HashMap;

use chrono::{DateTime, Utc};
use grassroots_domain::case::to_millis;
use grassroots_domain::workflow::{decide, evolve, CaseEvent, EventKind, MoveContext};
use grassroots_domain::{Actor, CaseRecord, CaseState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AnyPool, Connection, Row};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::attachments::StoredAttachment;
use super::cases::{
    case_change, new_query_code, new_tracking_no, seal_free_texts, seal_personal, sealed_text_inserts, NewCaseRow,
    Personal, SealedText,
};
use super::messages::{message_inserts, MessageRow};
use super::rows::{coded, uuid_column};
use super::{anonymous_placeholders, events, from_ms, ms, Inserts, SqlStore};
use crate::crypto::{context, Cipher};
use crate::{CreatedCase, FollowUp, IntakeKey, KeyedCase, NewCase, Result, StoreError};

/// The most reports one transaction takes.
const MAX_BATCH: usize = 256;
/// Reports waiting beyond this make callers wait to enqueue (back-pressure).
const QUEUE: usize = 4096;
/// How often a batch draws tracking numbers again after drawing one already taken.
const MAX_DRAWS: usize = 5;

pub(super) struct IntakeJob {
    pub new: NewCase,
    /// The report's photos, their files written already.
    pub files: Vec<StoredAttachment>,
    pub actor: Actor,
    pub reply: oneshot::Sender<Result<CreatedCase>>,
}

pub(super) fn spawn_writer(pool: AnyPool, cipher: Cipher) -> mpsc::Sender<IntakeJob> {
    let (tx, mut rx) = mpsc::channel::<IntakeJob>(QUEUE);
    tokio::spawn(async move {
        while let Some(first) = rx.recv().await {
            let mut batch = vec![first];
            while batch.len() < MAX_BATCH {
                match rx.try_recv() {
                    Ok(job) => batch.push(job),
                    Err(_) => break,
                }
            }
            let outcomes = write_batch(&pool, &cipher, &batch).await;
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(outcome);
            }
        }
    });
    tx
}

/// A report made ready to write: every row it adds, drawn, decided and sealed.
struct Ready<'a> {
    job: &'a IntakeJob,
    query_code: String,
    query_code_hash: String,
    personal: Personal,
    /// The case as written: as received, then as the platform's moves left it.
    record: CaseRecord,
    /// Each event, by whom, and the case after it.
    events: Vec<(CaseEvent, Actor, CaseRecord)>,
    /// The originals of masked free text, by event sequence.
    sealed: Vec<(i64, SealedText)>,
}

impl<'a> Ready<'a> {
    /// The report's case with a tracking number and query code drawn afresh.
    fn of(cipher: &Cipher, job: &'a IntakeJob) -> Result<Self> {
        let new = &job.new;
        let received_at = to_millis(new.received_at);
        let id = Uuid::now_v7();
        let tracking_no = new_tracking_no(received_at);
        let query_code = new_query_code();
        let mut event = CaseEvent {
            id: Uuid::now_v7(),
            case_id: id,
            seq: 1,
            at: received_at,
            actor_kind: job.actor.kind().to_string(),
            actor_id: job.actor.id(),
            kind: EventKind::Received {
                tracking_no: tracking_no.clone(),
                category_code: new.category_code.clone(),
                request_type: new.request_type,
                priority: new.priority,
                channel: new.channel,
                description: new.description.clone(),
                place: new.place.clone(),
                response_due: to_millis(new.response_due),
                resolve_due: to_millis(new.resolve_due),
            },
        };
        let sealed = seal_free_texts(cipher, id, event.seq, &mut event.kind);
        let record = evolve(None, &event).map_err(StoreError::Corrupt)?;
        let personal =
            seal_personal(cipher, id, new.reporter_name.as_deref(), new.reporter_phone.as_deref(), new.notify_reporter);
        let mut ready = Self {
            job,
            query_code_hash: cipher.query_code_tag(&tracking_no, &query_code),
            query_code,
            personal,
            record: record.clone(),
            events: vec![(event, job.actor.clone(), record)],
            sealed: sealed.into_iter().map(|t| (1, t)).collect(),
        };
        if let Some(follow) = &new.then {
            ready.follow_up(cipher, follow);
        }
        Ok(ready)
    }

    /// Makes the platform's moves on the new case: all of them, or, if the rules refuse one,
    /// none, and the case stays as received for a person to take up.
    fn follow_up(&mut self, cipher: &Cipher, follow: &FollowUp) {
        let ctx = MoveContext {
            now: to_millis(Utc::now()).max(self.record.updated_at),
            calendar: &follow.reference.calendar,
            taxonomy: &follow.reference.taxonomy,
            return_window: follow.return_window,
            max_extension_days: follow.max_extension_days,
        };
        let actor = Actor::System;
        let mut current = self.record.clone();
        let (mut events, mut sealed) = (Vec::new(), Vec::new());
        for mv in &follow.moves {
            let kind = match decide(&current, &actor, mv, &ctx) {
                Ok(kind) => kind,
                Err(e) => {
                    tracing::warn!(case = %current.id, error = %e, "auto-dispatch refused; the case waits for a dispatcher");
                    return;
                }
            };
            let mut event = CaseEvent {
                id: Uuid::now_v7(),
                case_id: current.id,
                seq: current.version + 1,
                at: ctx.now,
                actor_kind: actor.kind().to_string(),
                actor_id: actor.id(),
                kind,
            };
            sealed.extend(
                seal_free_texts(cipher, current.id, event.seq, &mut event.kind).into_iter().map(|t| (event.seq, t)),
            );
            let after = match evolve(Some(current.clone()), &event) {
                Ok(after) => after,
                Err(e) => {
                    tracing::warn!(case = %current.id, error = %e, "auto-dispatch failed; the case waits for a dispatcher");
                    return;
                }
            };
            events.push((event, actor.clone(), after.clone()));
            current = after;
        }
        self.events.extend(events);
        self.sealed.extend(sealed);
        self.record = current;
    }

    fn created(&self) -> CreatedCase {
        CreatedCase {
            id: self.record.id,
            tracking_no: self.record.tracking_no.clone(),
            query_code: self.query_code.clone(),
            status: self.record.state,
            response_due: self.record.response_due,
            resolve_due: self.record.resolve_due,
            replayed: false,
        }
    }
}

/// Where a report's idempotency key was given before.
enum Seen {
    /// Kept in the store, with the case it made.
    Stored(KeyedCase),
    /// By the report at this index of the batch.
    Earlier(usize),
}

/// Writes the batch's reports, those whose key was given before answered as the first was;
/// the outcome of each, in order.
///
/// The batch keeps one connection from its reading of the keys to its commit: taking the
/// pool's connection costs a round trip or two to the database's thread, each time.
async fn write_batch(pool: &AnyPool, cipher: &Cipher, jobs: &[IntakeJob]) -> Vec<Result<CreatedCase>> {
    let mut conn = match pool.acquire().await {
        Ok(conn) => conn,
        Err(e) => return all_unavailable(jobs.len(), &e),
    };
    let seen = match seen_keys(&mut conn, cipher, jobs).await {
        Ok(seen) => seen,
        Err(e) => return all_unavailable(jobs.len(), &e),
    };
    let fresh: Vec<&IntakeJob> = jobs.iter().zip(&seen).filter(|(_, s)| s.is_none()).map(|(job, _)| job).collect();
    let mut written = write_fresh(&mut conn, cipher, &fresh).await.into_iter();
    let mut outcomes: Vec<Result<CreatedCase>> = Vec::with_capacity(jobs.len());
    for (job, seen) in jobs.iter().zip(seen) {
        // Only a report with a key can have been seen before.
        let fingerprint = job.new.key.as_ref().map(|k| k.fingerprint.as_str()).unwrap_or_default();
        let outcome = match seen {
            None => written
                .next()
                .unwrap_or_else(|| Err(StoreError::Corrupt("a report of the batch has no outcome".into()))),
            Some(Seen::Stored(keyed)) => keyed.answer(fingerprint),
            Some(Seen::Earlier(first)) => match (&outcomes[first], &jobs[first].new.key) {
                (Ok(created), Some(given)) => {
                    KeyedCase { fingerprint: given.fingerprint.clone(), created: created.clone() }.answer(fingerprint)
                }
                // The first failed: this one may be sent again.
                _ => Err(StoreError::Unavailable("the report sent first under this key was not written".into())),
            },
        };
        outcomes.push(outcome);
    }
    outcomes
}

/// The outcome of each of `reports` when none could be written, for `reason`.
fn all_unavailable(reports: usize, reason: &dyn std::fmt::Display) -> Vec<Result<CreatedCase>> {
    (0..reports).map(|_| Err(StoreError::Unavailable(reason.to_string()))).collect()
}

/// For each report, where its key was given before, if it was.
async fn seen_keys(conn: &mut AnyConnection, cipher: &Cipher, jobs: &[IntakeJob]) -> Result<Vec<Option<Seen>>> {
    let keys: Vec<&IntakeKey> = jobs.iter().filter_map(|job| job.new.key.as_ref()).collect();
    if keys.is_empty() {
        return Ok(jobs.iter().map(|_| None).collect());
    }
    let placeholders: Vec<String> = (1..=keys.len()).map(|i| format!("${i}")).collect();
    let sql = format!("{KEYED_SELECT} WHERE key IN ({})", placeholders.join(", "));
    let stored = keys
        .iter()
        .fold(sqlx::query(&sql), |q, k| q.bind(k.key.clone()))
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|row| {
            Ok(((row.try_get::<String, _>("client")?, row.try_get::<String, _>("key")?), keyed_case(cipher, row)?))
        })
        .collect::<Result<HashMap<_, _>>>()?;
    let mut first: HashMap<(String, String), usize> = HashMap::new();
    Ok(jobs
        .iter()
        .enumerate()
        .map(|(i, job)| {
            let key = job.new.key.as_ref()?;
            let id = (key.client.clone(), key.key.clone());
            if let Some(keyed) = stored.get(&id) {
                return Some(Seen::Stored(keyed.clone()));
            }
            match first.entry(id) {
                Entry::Occupied(earlier) => Some(Seen::Earlier(*earlier.get())),
                Entry::Vacant(this) => {
                    this.insert(i);
                    None
                }
            }
        })
        .collect())
}

const KEYED_SELECT: &str =
    "SELECT client, key, fingerprint, case_id, tracking_no, query_code_enc, state, response_due, \
                            resolve_due FROM intake_keys";

/// One client's key.
fn one_key() -> String {
    format!("{KEYED_SELECT} WHERE client = $1 AND key = $2")
}

/// A kept key's case, its query code opened.
fn keyed_case(cipher: &Cipher, row: &AnyRow) -> Result<KeyedCase> {
    let id = uuid_column(row, "case_id")?;
    let sealed: Vec<u8> = row.try_get("query_code_enc")?;
    Ok(KeyedCase {
        fingerprint: row.try_get("fingerprint")?,
        created: CreatedCase {
            id,
            tracking_no: row.try_get("tracking_no")?,
            query_code: cipher.open(&context(id, QUERY_CODE), &sealed).map_err(StoreError::Crypto)?,
            status: coded(CaseState::parse, "state", row.try_get("state")?)?,
            response_due: from_ms(row.try_get("response_due")?),
            resolve_due: from_ms(row.try_get("resolve_due")?),
            replayed: false,
        },
    })
}

/// What a kept query code is sealed for, with its case's id.
pub(super) const QUERY_CODE: &str = "intake_key.query_code";

impl SqlStore {
    /// Read beside the writer (on SQLite its one connection is the intake writer's): a key
    /// committed after this reading is still found by the writer before it writes the report.
    pub(super) async fn kept_key(&self, client: &str, key: &str) -> Result<Option<KeyedCase>> {
        let row = sqlx::query(&one_key()).bind(client).bind(key).fetch_optional(&self.read).await?;
        row.map(|row| keyed_case(&self.cipher, &row)).transpose()
    }

    pub(super) async fn forget_keys_before(&self, before: DateTime<Utc>) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM intake_keys WHERE created_at < $1").bind(ms(before)).execute(&self.write).await?;
        Ok(done.rows_affected())
    }
}

/// The kept keys of the reports that have one, with their first answers.
fn intake_key_inserts(anonymous: bool, cipher: &Cipher, ready: &[&Ready<'_>]) -> Result<Inserts> {
    let keyed = ready.iter().filter_map(|r| r.job.new.key.as_ref().map(|key| (key, r)));
    Inserts::build(anonymous, KEY_HEAD, 10, "", keyed.collect::<Vec<_>>(), |q, (key, r)| {
        let created = r.created();
        q.bind(key.client.clone())
            .bind(key.key.clone())
            .bind(key.fingerprint.clone())
            .bind(created.id.to_string())
            .bind(created.tracking_no)
            .bind(cipher.seal(&context(created.id, QUERY_CODE), &created.query_code))
            .bind(created.status.as_str())
            .bind(ms(created.response_due))
            .bind(ms(created.resolve_due))
            .bind(ms(Utc::now()))
    })
}

const KEY_HEAD: &str =
    "INSERT INTO intake_keys (client, key, fingerprint, case_id, tracking_no, query_code_enc, state, \
                        response_due, resolve_due, created_at)";

/// Writes the reports, together if the database takes them, else each alone; the outcome of
/// each, in order.
async fn write_fresh(conn: &mut AnyConnection, cipher: &Cipher, jobs: &[&IntakeJob]) -> Vec<Result<CreatedCase>> {
    if jobs.is_empty() {
        return Vec::new();
    }
    for attempt in 1.. {
        let prepared: Vec<Result<Ready>> = jobs.iter().map(|job| Ready::of(cipher, job)).collect();
        let ready: Vec<&Ready> = prepared.iter().filter_map(|r| r.as_ref().ok()).collect();
        match write_together(conn, cipher, &ready).await {
            Ok(()) => return prepared.into_iter().map(|r| r.map(|r| r.created())).collect(),
            // A tracking number drawn twice: the batch draws again.
            Err(Unwritten::Before(e)) if e.is_unique_violation() && attempt < MAX_DRAWS => {}
            Err(Unwritten::Before(e)) => {
                tracing::warn!(error = %e, reports = ready.len(), "a batch of reports was refused; writing each alone");
                return write_apart(conn, cipher, prepared).await;
            }
            Err(Unwritten::AtCommit(e)) => {
                // Whether it committed is unknown (a lost connection): writing again could
                // store a report twice.
                tracing::error!(error = %e, "intake commit failed");
                return all_unavailable(jobs.len(), &e);
            }
        }
    }
    unreachable!("the loop returns")
}

/// Why a batch was not written.
enum Unwritten {
    /// Refused before its commit: nothing was written.
    Before(StoreError),
    /// Its commit failed.
    AtCommit(StoreError),
}

async fn write_together(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    ready: &[&Ready<'_>],
) -> std::result::Result<(), Unwritten> {
    let mut tx = conn.begin().await.map_err(|e| Unwritten::Before(e.into()))?;
    if let Err(e) = write_rows(&mut tx, cipher, ready).await {
        // Dropping the transaction rolls it back.
        drop(tx);
        return Err(Unwritten::Before(e));
    }
    tx.commit().await.map_err(|e| Unwritten::AtCommit(e.into()))
}

/// Writes each report in a savepoint of its own, drawing its tracking number again if it was
/// taken; a report the database refuses fails alone.
async fn write_apart(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    prepared: Vec<Result<Ready<'_>>>,
) -> Vec<Result<CreatedCase>> {
    let mut tx = match conn.begin().await {
        Ok(tx) => tx,
        Err(e) => return all_unavailable(prepared.len(), &e),
    };
    let mut written = Vec::with_capacity(prepared.len());
    for ready in prepared {
        written.push(match ready {
            Ok(ready) => write_alone(&mut tx, cipher, ready).await,
            Err(e) => Err(e),
        });
    }
    let committed = tx.commit().await;
    written
        .into_iter()
        .map(|outcome| {
            let created = outcome?.created();
            match &committed {
                Ok(()) => Ok(created),
                Err(e) => Err(StoreError::Unavailable(e.to_string())),
            }
        })
        .collect()
}

async fn write_alone<'a>(conn: &mut AnyConnection, cipher: &Cipher, mut ready: Ready<'a>) -> Result<Ready<'a>> {
    for attempt in 1.. {
        sqlx::query("SAVEPOINT intake").execute(&mut *conn).await?;
        match write_rows(conn, cipher, &[&ready]).await {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT intake").execute(&mut *conn).await?;
                return Ok(ready);
            }
            Err(e) => {
                sqlx::query("ROLLBACK TO SAVEPOINT intake").execute(&mut *conn).await?;
                if !(e.is_unique_violation() && attempt < MAX_DRAWS) {
                    return Err(e);
                }
                if key_kept_meanwhile(conn, ready.job.new.key.as_ref()).await? {
                    // Another server wrote this key since the batch began: the client's next
                    // sending is answered with that case.
                    return Err(StoreError::Unavailable("a report with this idempotency key was being written".into()));
                }
                ready = Ready::of(cipher, ready.job)?;
            }
        }
    }
    unreachable!("the loop returns")
}

async fn key_kept_meanwhile(conn: &mut AnyConnection, key: Option<&IntakeKey>) -> Result<bool> {
    let Some(key) = key else { return Ok(false) };
    let kept =
        sqlx::query(&one_key()).bind(key.client.clone()).bind(key.key.clone()).fetch_optional(&mut *conn).await?;
    Ok(kept.is_some())
}

/// Writes the reports' rows, a few multi-row statements per table (cases first, as the rest
/// refer to them), and their counts, summed over the reports.
async fn write_rows(conn: &mut AnyConnection, cipher: &Cipher, ready: &[&Ready<'_>]) -> Result<()> {
    let anonymous = anonymous_placeholders(conn);
    let rows = ready.iter().map(|r| NewCaseRow {
        record: &r.record,
        query_code_hash: r.query_code_hash.clone(),
        anonymous: r.job.new.anonymous,
        personal: r.personal.clone(),
    });
    let mut inserts = SqlStore::case_row_inserts(anonymous, rows)?;
    let decisions = ready.iter().flat_map(|r| r.job.new.decisions.iter().map(|d| (&r.record, d))).collect();
    inserts.push(SqlStore::decision_inserts(anonymous, decisions)?);
    let photos: Vec<_> =
        ready.iter().flat_map(|r| r.job.files.iter().map(|f| (r.record.id, 1, f, r.record.received_at))).collect();
    inserts.push(SqlStore::attachment_inserts(anonymous, photos)?);
    let changes: Vec<_> = ready
        .iter()
        .flat_map(|r| r.events.iter().map(|(event, actor, after)| case_change(after, event, actor)))
        .collect();
    inserts.extend(events::change_inserts(anonymous, &changes)?);
    let sealed: Vec<_> = ready.iter().flat_map(|r| r.sealed.iter().map(|(seq, t)| (r.record.id, *seq, t))).collect();
    inserts.push(sealed_text_inserts(anonymous, sealed)?);
    let messages = ready
        .iter()
        .flat_map(|r| {
            r.events.iter().filter_map(|(event, ..)| MessageRow::to_new_case_reporter(event, r.personal.notify()))
        })
        .collect();
    inserts.push(message_inserts(anonymous, messages)?);
    inserts.push(intake_key_inserts(anonymous, cipher, ready)?);
    for statements in inserts {
        statements.execute(conn).await?;
    }
    let records: Vec<&CaseRecord> = ready.iter().map(|r| &r.record).collect();
    SqlStore::write_new_cases_apart(conn, &records).await
}
