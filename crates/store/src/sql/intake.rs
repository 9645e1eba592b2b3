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

use chrono::Utc;
use grassroots_domain::case::to_millis;
use grassroots_domain::workflow::{decide, evolve, CaseEvent, EventKind, MoveContext};
use grassroots_domain::{Actor, CaseRecord};
use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::attachments::StoredAttachment;
use super::cases::{
    case_change, new_query_code, new_tracking_no, seal_free_texts, seal_personal, sealed_text_inserts, NewCaseRow,
    Personal, SealedText,
};
use super::messages::{message_inserts, MessageRow};
use super::{anonymous_placeholders, events, SqlStore};
use crate::crypto::Cipher;
use crate::{CreatedCase, FollowUp, NewCase, Result, StoreError};

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
        }
    }
}

/// Writes the batch's reports, together if the database takes them, else each alone; the
/// outcome of each, in order.
async fn write_batch(pool: &AnyPool, cipher: &Cipher, jobs: &[IntakeJob]) -> Vec<Result<CreatedCase>> {
    for attempt in 1.. {
        let prepared: Vec<Result<Ready>> = jobs.iter().map(|job| Ready::of(cipher, job)).collect();
        let ready: Vec<&Ready> = prepared.iter().filter_map(|r| r.as_ref().ok()).collect();
        match write_together(pool, &ready).await {
            Ok(()) => return prepared.into_iter().map(|r| r.map(|r| r.created())).collect(),
            // A tracking number drawn twice: the batch draws again.
            Err(Unwritten::Before(e)) if e.is_unique_violation() && attempt < MAX_DRAWS => {}
            Err(Unwritten::Before(e)) => {
                tracing::warn!(error = %e, reports = ready.len(), "a batch of reports was refused; writing each alone");
                return write_apart(pool, cipher, prepared).await;
            }
            Err(Unwritten::AtCommit(e)) => {
                // Whether it committed is unknown (a lost connection): writing again could
                // store a report twice.
                tracing::error!(error = %e, "intake commit failed");
                return jobs.iter().map(|_| Err(StoreError::Unavailable(e.to_string()))).collect();
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

async fn write_together(pool: &AnyPool, ready: &[&Ready<'_>]) -> std::result::Result<(), Unwritten> {
    let mut tx = pool.begin().await.map_err(|e| Unwritten::Before(e.into()))?;
    if let Err(e) = write_rows(&mut tx, ready).await {
        // Dropping the transaction rolls it back.
        drop(tx);
        return Err(Unwritten::Before(e));
    }
    tx.commit().await.map_err(|e| Unwritten::AtCommit(e.into()))
}

/// Writes each report in a savepoint of its own, drawing its tracking number again if it was
/// taken; a report the database refuses fails alone.
async fn write_apart(pool: &AnyPool, cipher: &Cipher, prepared: Vec<Result<Ready<'_>>>) -> Vec<Result<CreatedCase>> {
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => return prepared.iter().map(|_| Err(StoreError::Unavailable(e.to_string()))).collect(),
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
        match write_rows(conn, &[&ready]).await {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT intake").execute(&mut *conn).await?;
                return Ok(ready);
            }
            Err(e) => {
                sqlx::query("ROLLBACK TO SAVEPOINT intake").execute(&mut *conn).await?;
                if !(e.is_unique_violation() && attempt < MAX_DRAWS) {
                    return Err(e);
                }
                ready = Ready::of(cipher, ready.job)?;
            }
        }
    }
    unreachable!("the loop returns")
}

/// Writes the reports' rows, a few multi-row statements per table (cases first, as the rest
/// refer to them), and their counts, summed over the reports.
async fn write_rows(conn: &mut AnyConnection, ready: &[&Ready<'_>]) -> Result<()> {
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
    for statements in inserts {
        statements.execute(conn).await?;
    }
    let records: Vec<&CaseRecord> = ready.iter().map(|r| &r.record).collect();
    SqlStore::write_new_cases_apart(conn, &records).await
}
