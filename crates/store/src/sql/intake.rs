//! Intake with group commit: reports queue for one writer task, which writes each waiting
//! batch in a single transaction (one savepoint per report, so a bad report fails alone) and
//! answers every report only after the commit. Durability stays per report; the cost of the
//! commit's sync is shared by everyone who arrived meanwhile.

use chrono::Utc;
use grassroots_domain::rollups::Sums;
use grassroots_domain::workflow::{decide, evolve, CaseEvent, EventKind, MoveContext};
use grassroots_domain::{Actor, CaseRecord};
use sqlx::{AnyConnection, AnyPool};
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use super::cases::{insert_sealed_texts, new_query_code, new_tracking_no, seal_free_texts, seal_personal};
use grassroots_domain::case::to_millis;

use super::attachments::StoredAttachment;
use super::SqlStore;
use crate::crypto::Cipher;
use crate::{CreatedCase, FollowUp, NewCase, Result, StoreError};

/// The most reports one transaction takes.
const MAX_BATCH: usize = 256;
/// Reports waiting beyond this make callers wait to enqueue (back-pressure).
const QUEUE: usize = 4096;

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
            write_batch(&pool, &cipher, batch).await;
        }
    });
    tx
}

async fn write_batch(pool: &AnyPool, cipher: &Cipher, batch: Vec<IntakeJob>) {
    let mut tx = match pool.begin().await {
        Ok(tx) => tx,
        Err(e) => {
            let reason = e.to_string();
            for job in batch {
                let _ = job.reply.send(Err(StoreError::Unavailable(reason.clone())));
            }
            return;
        }
    };
    let mut written = Vec::with_capacity(batch.len());
    // The batch's new cases are counted together: one upsert of the rows they share.
    let mut counts = Sums::default();
    for job in batch {
        match insert_one(&mut tx, cipher, job.new, &job.files, &job.actor).await {
            Ok((created, received)) => {
                counts.add(&received, 1);
                written.push((job.reply, created));
            }
            Err(e) => {
                let _ = job.reply.send(Err(e));
            }
        }
    }
    let committed = match super::rollups::apply(&mut tx, counts.into_changes()).await {
        Ok(()) => tx.commit().await.map_err(StoreError::from),
        Err(e) => Err(e),
    };
    match committed {
        Ok(()) => {
            for (reply, created) in written {
                let _ = reply.send(Ok(created));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "intake commit failed");
            for (reply, _) in written {
                let _ = reply.send(Err(StoreError::Unavailable(e.to_string())));
            }
        }
    }
}

async fn insert_one(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    mut new: NewCase,
    files: &[StoredAttachment],
    actor: &Actor,
) -> Result<(CreatedCase, CaseRecord)> {
    new.received_at = to_millis(new.received_at);
    new.response_due = to_millis(new.response_due);
    new.resolve_due = to_millis(new.resolve_due);
    for attempt in 1.. {
        let id = Uuid::now_v7();
        let tracking_no = new_tracking_no(new.received_at);
        let query_code = new_query_code();
        let event = CaseEvent {
            id: Uuid::now_v7(),
            case_id: id,
            seq: 1,
            at: new.received_at,
            actor_kind: actor.kind().to_string(),
            actor_id: actor.id(),
            kind: EventKind::Received {
                tracking_no: tracking_no.clone(),
                category_code: new.category_code.clone(),
                request_type: new.request_type,
                priority: new.priority,
                channel: new.channel,
                description: new.description.clone(),
                place: new.place.clone(),
                response_due: new.response_due,
                resolve_due: new.resolve_due,
            },
        };
        let mut event = event;
        let sealed = seal_free_texts(cipher, id, event.seq, &mut event.kind);
        let record = evolve(None, &event).map_err(StoreError::Corrupt)?;
        let personal =
            seal_personal(cipher, id, new.reporter_name.as_deref(), new.reporter_phone.as_deref(), new.notify_reporter);
        sqlx::query("SAVEPOINT intake").execute(&mut *conn).await?;
        let written = async {
            SqlStore::insert_case_row(
                conn,
                &record,
                &cipher.query_code_tag(&tracking_no, &query_code),
                new.anonymous,
                personal,
            )
            .await?;
            SqlStore::insert_attachments(conn, id, event.seq, files, new.received_at).await?;
            SqlStore::insert_decisions(conn, id, &new.decisions, new.received_at).await?;
            insert_sealed_texts(conn, id, event.seq, &sealed).await?;
            super::cases::record_case_change(conn, &record, &event, actor).await
        }
        .await;
        match written {
            Ok(()) => {
                sqlx::query("RELEASE SAVEPOINT intake").execute(&mut *conn).await?;
                let followed = match &new.then {
                    Some(follow) => Some(follow_up(conn, cipher, record.clone(), follow).await?),
                    None => None,
                };
                let now = followed.as_ref().unwrap_or(&record);
                let created = CreatedCase {
                    id,
                    tracking_no,
                    query_code,
                    status: now.state,
                    response_due: now.response_due,
                    resolve_due: now.resolve_due,
                };
                // The follow-up's moves counted their own changes; the case as received is the
                // batch's to count.
                return Ok((created, record));
            }
            Err(e) => {
                sqlx::query("ROLLBACK TO SAVEPOINT intake").execute(&mut *conn).await?;
                // A tracking number collision: draw another.
                if !(e.is_unique_violation() && attempt < 5) {
                    return Err(e);
                }
            }
        }
    }
    unreachable!("the loop returns")
}

/// The platform's moves on a new case, in a savepoint of their own: if the rules refuse one or
/// its write fails, none is kept and the case stays as received, for a person to take up.
async fn follow_up(
    conn: &mut AnyConnection,
    cipher: &Cipher,
    received: CaseRecord,
    follow: &FollowUp,
) -> Result<CaseRecord> {
    let ctx = MoveContext {
        now: to_millis(Utc::now()).max(received.updated_at),
        calendar: &follow.reference.calendar,
        taxonomy: &follow.reference.taxonomy,
        return_window: follow.return_window,
        max_extension_days: follow.max_extension_days,
    };
    let actor = Actor::System;
    sqlx::query("SAVEPOINT follow_up").execute(&mut *conn).await?;
    let mut current = received.clone();
    let moved = async {
        for mv in &follow.moves {
            let mut event = CaseEvent {
                id: Uuid::now_v7(),
                case_id: current.id,
                seq: current.version + 1,
                at: ctx.now,
                actor_kind: actor.kind().to_string(),
                actor_id: actor.id(),
                kind: decide(&current, &actor, mv, &ctx)?,
            };
            let sealed = seal_free_texts(cipher, current.id, event.seq, &mut event.kind);
            let after = evolve(Some(current.clone()), &event).map_err(StoreError::Corrupt)?;
            SqlStore::write_event(conn, &current, &after, &event, &actor, None, &sealed).await?;
            current = after;
        }
        Ok::<_, StoreError>(())
    }
    .await;
    match moved {
        Ok(()) => {
            sqlx::query("RELEASE SAVEPOINT follow_up").execute(&mut *conn).await?;
            Ok(current)
        }
        Err(e) => {
            tracing::warn!(case = %received.id, error = %e, "auto-dispatch failed; the case waits for a dispatcher");
            sqlx::query("ROLLBACK TO SAVEPOINT follow_up").execute(&mut *conn).await?;
            sqlx::query("RELEASE SAVEPOINT follow_up").execute(&mut *conn).await?;
            Ok(received)
        }
    }
}
