//! Cases: intake, reads within scope, moves, the resident's view, reveal of personal data.

use chrono::{DateTime, Utc};
use grassroots_domain::case::DueStatus;
use grassroots_domain::decisions::Decision;
use grassroots_domain::personal::{mask_name, mask_phone};
use grassroots_domain::queue::{Queue, QueueFacets};
use grassroots_domain::workflow::{check_photos, decide, evolve, CaseEvent, EventKind, Move, MoveContext};
use grassroots_domain::{Actor, CaseRecord, CaseState, FieldError, MoveError, Role, Scope};
use rand::Rng;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use std::collections::BTreeMap;
use uuid::Uuid;

use super::rows::{
    bind_mutable, category_clause, coded, district_of, record_from_row, reporter_from_row, scope_clause,
    scoped_region_clauses, AnyQuery, CASE_COLUMNS, MUTABLE_COLUMNS,
};
use grassroots_domain::case::to_millis;

use super::attachments::StoredAttachment;
use super::events::{self, Change, EventRow, Subject};
use super::intake::IntakeJob;
use super::{anonymous_placeholders, ms, Args, Inserts, SqlStore};
use crate::crypto::{context, Cipher};
use tokio::sync::oneshot;

use crate::export::ExportedCase;
use crate::{
    CaseDetail, CaseFilter, CasePage, CaseSummary, CreatedCase, HistoricCase, KeyedCase, NewAttachment, NewCase,
    ResidentPass, Result, RevealedPersonalData, RevealedText, StoreError,
};

/// The states in which deadlines are watched (`CaseState::is_pending`), as SQL. A literal,
/// because SQLite uses the overdue partial indexes only when the query repeats their text.
pub(super) const PENDING_STATES: &str = "'received', 'registered', 'dispatched', 'in_progress'";

/// How often a move is retried after losing a race for the same case.
const MAX_ATTEMPTS: usize = 8;

pub(super) fn new_tracking_no(now: DateTime<Utc>) -> String {
    grassroots_domain::case::tracking_no(now, rand::thread_rng().gen_range(0..100_000_000u32))
}

pub(super) fn new_query_code() -> String {
    grassroots_domain::case::query_code(rand::thread_rng().gen())
}

/// Where a move finds its case: within a staff member's scope, or by the resident's codes.
enum Locator<'a> {
    Scoped(&'a Scope, Uuid),
    Resident(ResidentPass<'a>),
}

/// The SQL form of `Queue::holds` (literals only: nothing here comes from a user).
fn queue_condition(queue: Queue, role: Role, state: CaseState) -> String {
    let extra = match queue {
        Queue::ToDispatch => " AND c.return_count = 0",
        Queue::Returned => " AND c.return_count > 0",
        Queue::DueSoon => " AND c.due_status = 'due_soon'",
        Queue::Overdue => " AND c.due_status = 'overdue'",
        Queue::Mine if role == Role::Supervisor && state == CaseState::InProgress => " AND c.extension_pending = 1",
        Queue::ToRegister | Queue::Mine => "",
    };
    // One state at a time, as an equality: each reads its own index, partial ones included.
    format!("(c.state = '{}'{extra})", state.as_str())
}

pub(super) fn seal_personal(
    cipher: &Cipher,
    id: Uuid,
    name: Option<&str>,
    phone: Option<&str>,
    notify: bool,
) -> Personal {
    Personal {
        // Messages need a number to go to.
        notify: notify && phone.is_some(),
        name_enc: name.map(|n| cipher.seal(&context(id, "reporter_name"), n)),
        phone_enc: phone.map(|p| cipher.seal(&context(id, "reporter_phone"), p)),
        name_masked: name.map(mask_name),
        phone_masked: phone.map(mask_phone),
        phone_tag: phone.map(|p| cipher.phone_tag(p)),
    }
}

/// The original of a free-text field whose personal data was masked, sealed.
pub(super) struct SealedText {
    field: &'static str,
    sealed: Vec<u8>,
}

/// Masks the personal data people typed into the event's free text, in place, and returns
/// the originals sealed, to be kept beside the event (`sealed_texts`).
pub(super) fn seal_free_texts(cipher: &Cipher, case_id: Uuid, seq: i64, kind: &mut EventKind) -> Vec<SealedText> {
    kind.free_texts_mut()
        .into_iter()
        .filter_map(|(field, text)| {
            let masked = grassroots_domain::free_text::mask(text)?;
            let original = std::mem::replace(text, masked);
            Some(SealedText { field, sealed: cipher.seal(&context(case_id, &format!("{field}@{seq}")), &original) })
        })
        .collect()
}

/// The texts sealed out of events, each as (case, event sequence, text), many to a statement.
pub(super) fn sealed_text_inserts<'a>(
    anonymous: bool,
    texts: impl IntoIterator<Item = (Uuid, i64, &'a SealedText), IntoIter: ExactSizeIterator>,
) -> Result<Inserts> {
    let head = "INSERT INTO sealed_texts (case_id, seq, field, sealed)";
    Inserts::build(anonymous, head, 4, "", texts, |q, (case_id, seq, t)| {
        q.bind(case_id.to_string()).bind(seq).bind(t.field).bind(t.sealed.clone())
    })
}

pub(super) async fn insert_sealed_texts(
    conn: &mut AnyConnection,
    case_id: Uuid,
    seq: i64,
    texts: &[SealedText],
) -> Result<()> {
    let rows = texts.iter().map(|t| (case_id, seq, t));
    sealed_text_inserts(anonymous_placeholders(conn), rows)?.execute(conn).await
}

#[derive(Clone)]
pub(super) struct Personal {
    name_enc: Option<Vec<u8>>,
    phone_enc: Option<Vec<u8>>,
    name_masked: Option<String>,
    phone_masked: Option<String>,
    phone_tag: Option<String>,
    /// The reporter asked for text messages about the case.
    notify: bool,
}

impl Personal {
    /// Whether the reporter is to be sent text messages as the case moves on.
    pub(super) fn notify(&self) -> bool {
        self.notify
    }
}

/// A case as first written: its record, the tag of its query code and its reporter, sealed.
pub(super) struct NewCaseRow<'a> {
    pub record: &'a CaseRecord,
    pub query_code_hash: String,
    pub anonymous: bool,
    pub personal: Personal,
}

/// The columns written once, when a case is received; `MUTABLE_COLUMNS` follow them.
const IMMUTABLE_COLUMNS: [&str; 22] = [
    "id",
    "tracking_no",
    "query_code_hash",
    "request_type",
    "channel",
    "description",
    "district_code",
    "street_code",
    "community_code",
    "grid_code",
    "lat",
    "lng",
    "address",
    "located_by",
    "anonymous",
    "reporter_name_enc",
    "reporter_phone_enc",
    "reporter_name_masked",
    "reporter_phone_masked",
    "reporter_phone_tag",
    "notify_reporter",
    "received_at",
];

/// The aggregate type of cases in the events, audit and outbox tables.
pub(super) const CASE: &str = "case";

/// A case's event as the events table holds it.
pub(super) fn event_row(event: &CaseEvent) -> EventRow {
    EventRow {
        id: event.id,
        subject: Subject { kind: CASE, id: event.case_id },
        seq: event.seq,
        at: event.at,
        actor_kind: event.actor_kind.clone(),
        actor_id: event.actor_id,
        name: event.kind.name(),
        payload: serde_json::to_string(&event.kind).expect("events serialise"),
    }
}

/// What every change of a case writes besides its row: the event, an audit entry naming the
/// state reached, and the outbox row other systems receive.
pub(super) fn case_change<'a>(after: &CaseRecord, event: &CaseEvent, actor: &'a Actor) -> Change<'a> {
    Change {
        event: event_row(event),
        actor,
        audit: serde_json::json!({ "state": after.state.as_str() }),
        publish: Some(serde_json::json!({
            "event_id": event.id,
            "case_id": event.case_id,
            "tracking_no": after.tracking_no,
            "seq": event.seq,
            "at": event.at,
            "actor_kind": event.actor_kind,
            "state": after.state.as_str(),
            "event": event.kind,
        })),
    }
}

/// Writes a change of a case beside its row: the event, audit entry and outbox row, and the
/// message to the reporter it gives, if any.
pub(super) async fn record_case_change(
    conn: &mut AnyConnection,
    after: &CaseRecord,
    event: &CaseEvent,
    actor: &Actor,
) -> Result<()> {
    events::record(conn, &case_change(after, event, actor)).await?;
    super::messages::enqueue_case_notice(conn, event).await
}

fn bind_case_row<'q>(q: AnyQuery<'q>, row: NewCaseRow<'_>) -> AnyQuery<'q> {
    let (record, p) = (row.record, &row.record.place);
    let q = q
        .bind(record.id.to_string())
        .bind(record.tracking_no.clone())
        .bind(row.query_code_hash)
        .bind(record.request_type.as_str())
        .bind(record.channel.as_str())
        .bind(record.description.clone())
        .bind(p.district_code.clone())
        .bind(p.street_code.clone())
        .bind(p.community_code.clone())
        .bind(p.grid_code.clone());
    // A missing coordinate's column is left out of the statement (`case_row_inserts`).
    let q = [p.lat, p.lng].into_iter().flatten().fold(q, |q, v| q.bind(v));
    let q = q
        .bind(p.address.clone())
        .bind(p.located_by.map(|l| l.as_str()))
        .bind(i64::from(row.anonymous))
        .bind(row.personal.name_enc)
        .bind(row.personal.phone_enc)
        .bind(row.personal.name_masked)
        .bind(row.personal.phone_masked)
        .bind(row.personal.phone_tag)
        .bind(i64::from(row.personal.notify))
        .bind(ms(record.received_at));
    bind_mutable(q, record)
}

impl SqlStore {
    async fn events_of(&self, id: Uuid) -> Result<Vec<CaseEvent>> {
        let stored = events::events_of(&self.read, CASE, id).await?;
        stored
            .into_iter()
            .map(|e| {
                let kind: EventKind = serde_json::from_str(&e.payload)
                    .map_err(|err| StoreError::Corrupt(format!("event payload: {err}")))?;
                Ok(CaseEvent {
                    id: e.id,
                    case_id: e.aggregate_id,
                    seq: e.seq,
                    at: e.at,
                    actor_kind: e.actor_kind,
                    actor_id: e.actor_id,
                    kind,
                })
            })
            .collect()
    }

    /// What new cases' rows do not hold: their co-handling units, and their counts.
    pub(super) async fn write_new_cases_apart(conn: &mut AnyConnection, records: &[&CaseRecord]) -> Result<()> {
        Self::write_all_co_units(conn, records).await?;
        let mut sums = grassroots_domain::rollups::Sums::default();
        for record in records {
            sums.add(record, 1);
        }
        super::rollups::apply(conn, sums.into_changes()).await
    }

    /// The statements that insert new cases' rows; their co-handling units are written apart.
    /// Rows with and without coordinates go in statements of their own, which leave out the
    /// columns they lack: no statement binds a NULL double, so each can be kept prepared (see
    /// `keeps_statements_with_null_doubles`).
    pub(super) fn case_row_inserts<'a>(
        anonymous: bool,
        rows: impl IntoIterator<Item = NewCaseRow<'a>>,
    ) -> Result<Vec<Inserts>> {
        let mut by_coordinates: BTreeMap<(bool, bool), Vec<NewCaseRow<'a>>> = BTreeMap::new();
        for row in rows {
            let coordinates = (row.record.place.lat.is_some(), row.record.place.lng.is_some());
            by_coordinates.entry(coordinates).or_default().push(row);
        }
        by_coordinates
            .into_iter()
            .map(|((lat, lng), rows)| {
                let columns: Vec<&str> = IMMUTABLE_COLUMNS
                    .iter()
                    .chain(MUTABLE_COLUMNS)
                    .filter(|c| (lat || **c != "lat") && (lng || **c != "lng"))
                    .copied()
                    .collect();
                let head = format!("INSERT INTO cases ({})", columns.join(", "));
                Inserts::build(anonymous, &head, columns.len(), "", rows, bind_case_row)
            })
            .collect()
    }

    /// The co-handling units of new cases, for those that have any.
    async fn write_all_co_units(conn: &mut AnyConnection, records: &[&CaseRecord]) -> Result<()> {
        for record in records.iter().filter(|r| !r.co_units.is_empty()) {
            Self::write_co_units(conn, record).await?;
        }
        Ok(())
    }

    async fn write_co_units(conn: &mut AnyConnection, record: &CaseRecord) -> Result<()> {
        sqlx::query("DELETE FROM case_co_units WHERE case_id = $1")
            .bind(record.id.to_string())
            .execute(&mut *conn)
            .await?;
        for unit in &record.co_units {
            sqlx::query("INSERT INTO case_co_units (unit_id, case_id) VALUES ($1, $2)")
                .bind(unit.clone())
                .bind(record.id.to_string())
                .execute(&mut *conn)
                .await?;
        }
        Ok(())
    }

    async fn fetch_one(&self, sql: &str, args: Args) -> Result<Option<AnyRow>> {
        Ok(args.bind(sqlx::query(sql)).fetch_optional(&self.read).await?)
    }

    async fn locate(&self, locator: &Locator<'_>) -> Result<Option<AnyRow>> {
        let mut args = Args::default();
        let sql = match locator {
            Locator::Scoped(scope, id) => {
                let id = args.text(id.to_string());
                let scope = scope_clause(scope, &mut args);
                format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.id = {id} AND {scope}")
            }
            Locator::Resident(ResidentPass::Code { tracking_no, code }) => {
                let t = args.text(*tracking_no);
                let h = args.text(self.cipher.query_code_tag(tracking_no, code));
                format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.tracking_no = {t} AND c.query_code_hash = {h}")
            }
            Locator::Resident(ResidentPass::Link { token, now }) => {
                let Some(tracking_no) = self.link_tracking_no(token, *now) else { return Ok(None) };
                let t = args.text(tracking_no);
                format!("SELECT {CASE_COLUMNS} FROM cases c WHERE c.tracking_no = {t}")
            }
        };
        self.fetch_one(&sql, args).await
    }

    async fn detail_of(&self, row: Option<AnyRow>) -> Result<Option<CaseDetail>> {
        let Some(row) = row else { return Ok(None) };
        let record = record_from_row(&row)?;
        let events = self.events_of(record.id).await?;
        Ok(Some(CaseDetail { reporter: reporter_from_row(&row)?, record, events }))
    }

    /// A unit's queues counted from its cases, one count per queue and state: each walks its
    /// own index (state, due status, returned or extension), where one query summing over
    /// every open case would read them all.
    async fn unit_queue_counts(&self, unit: &str, role: Role) -> Result<Vec<(Queue, i64)>> {
        let mut counts = Vec::new();
        for queue in Queue::for_role(role) {
            let mut n = 0;
            for state in queue.states(role) {
                n += match queue {
                    // Registered cases not returned: all registered ones, less the few returned
                    // (counting "never returned" directly would read every registered row).
                    Queue::ToDispatch => {
                        self.count_of_unit(unit, &format!("c.state = '{}'", state.as_str())).await?
                            - self.count_of_unit(unit, &queue_condition(Queue::Returned, role, *state)).await?
                    }
                    _ => self.count_of_unit(unit, &queue_condition(*queue, role, *state)).await?,
                };
            }
            counts.push((*queue, n));
        }
        Ok(counts)
    }

    /// The open cases of a scope of places, by queue facets (`case_open_counts`).
    async fn open_counts(&self, scope: &Scope) -> Result<Vec<(QueueFacets, i64)>> {
        let mut args = Args::default();
        let clauses = scoped_region_clauses(scope, None, &mut args);
        let sql = format!(
            "SELECT state, due_status, returned, extension_pending, CAST(SUM(n) AS BIGINT) AS n \
             FROM case_open_counts c WHERE {} GROUP BY state, due_status, returned, extension_pending",
            clauses.join(" AND ")
        );
        args.bind(sqlx::query(&sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|row| {
                let facets = QueueFacets {
                    state: coded(CaseState::parse, "state", row.try_get("state")?)?,
                    due_status: coded(DueStatus::parse, "due_status", row.try_get("due_status")?)?,
                    returned: row.try_get::<i64, _>("returned")? != 0,
                    extension_pending: row.try_get::<i64, _>("extension_pending")? != 0,
                };
                Ok((facets, row.try_get::<i64, _>("n")?))
            })
            .collect()
    }

    /// How many of a unit's cases meet `condition` (SQL made of literals only): those it leads
    /// and those it co-handles, counted apart, as each part walks an index where one OR over
    /// both would read every case meeting the condition.
    async fn count_of_unit(&self, unit: &str, condition: &str) -> Result<i64> {
        let mut lead = Args::default();
        let led = led_by(unit, &mut lead);
        let mut co = Args::default();
        let co_handled = co_handled_by(unit, &mut co);
        let mut n = 0;
        for (clause, args) in [(led, lead), (co_handled, co)] {
            let sql = format!("SELECT COUNT(*) AS n FROM cases c WHERE {clause} AND {condition}");
            n += args.bind(sqlx::query(&sql)).fetch_one(&self.read).await?.try_get::<i64, _>("n")?;
        }
        Ok(n)
    }

    /// Checks a move's references that need the database: units and merge targets.
    async fn check_references(&self, actor: &Actor, mv: &Move) -> Result<()> {
        match mv {
            Move::Dispatch { unit, co_units, .. } | Move::Redispatch { unit, co_units, .. } => {
                for (field, u) in std::iter::once(("unit", unit)).chain(co_units.iter().map(|u| ("co_units", u))) {
                    let kind: Option<String> = sqlx::query("SELECT kind FROM units WHERE id = $1")
                        .bind(u.trim().to_string())
                        .fetch_optional(&self.read)
                        .await?
                        .map(|row| row.try_get("kind"))
                        .transpose()?;
                    let Some(kind) = kind else {
                        return Err(
                            FieldError::new(field, format!("未知的单位“{u}”"), format!("unknown unit '{u}'")).into()
                        );
                    };
                    grassroots_domain::reference::check_takes_cases(field, &kind)?;
                }
            }
            Move::Merge { into, .. } => {
                // Only dispatchers merge (the domain has checked), into a case they can see.
                let Actor::Staff { scope, .. } = actor else { return Ok(()) };
                let target = self.locate(&Locator::Scoped(scope, *into)).await?;
                match target.as_ref().map(record_from_row).transpose()? {
                    None => {
                        return Err(
                            FieldError::new("into", "找不到要合并到的案件", "no such case to merge into").into()
                        );
                    }
                    Some(t) if matches!(t.state, CaseState::Rejected | CaseState::Merged) => {
                        return Err(FieldError::new(
                            "into",
                            "目标案件已不予受理或已合并",
                            "the target case was rejected or merged",
                        )
                        .into());
                    }
                    Some(_) => {}
                }
            }
            _ => {}
        }
        Ok(())
    }

    async fn transition(
        &self,
        locator: Locator<'_>,
        actor: &Actor,
        mv: &Move,
        ctx: &MoveContext<'_>,
        photos: &[NewAttachment],
    ) -> Result<CaseRecord> {
        let row = self.locate(&locator).await?.ok_or(StoreError::NotFound)?;
        self.transition_from(record_from_row(&row)?, &locator, actor, mv, ctx, photos).await
    }

    /// Makes the move on `case` as it was read, reading it again after each race lost to
    /// another writer. A case the locator no longer finds then was taken out of the mover's
    /// scope by the winner: a conflict, not a case that never was.
    async fn transition_from(
        &self,
        mut case: CaseRecord,
        locator: &Locator<'_>,
        actor: &Actor,
        mv: &Move,
        ctx: &MoveContext<'_>,
        photos: &[NewAttachment],
    ) -> Result<CaseRecord> {
        let ctx = &MoveContext { now: to_millis(ctx.now), ..*ctx };
        let mut files = None;
        for _ in 0..MAX_ATTEMPTS {
            let kind = decide(&case, actor, mv, ctx)?;
            check_photos(mv, ctx.taxonomy.get(&case.category_code), photos.len())?;
            self.check_references(actor, mv).await?;
            let live_target = match mv {
                Move::Merge { into, .. } => Some(*into),
                _ => None,
            };
            // The files are written once the move is allowed, before its transaction, and
            // once only, whatever the retries.
            if files.is_none() {
                files = Some(self.store_files(photos).await?);
            }
            let stored = files.as_deref().unwrap_or_default();
            if let Some(after) = self.commit_event(&case, kind, actor, ctx.now, live_target, stored).await? {
                return Ok(after);
            }
            let row = self.locate(locator).await?.ok_or(StoreError::MovedAway)?;
            case = record_from_row(&row)?;
        }
        Err(StoreError::Contention)
    }

    /// Writes one event for `case` if its version is still current. `None` when another
    /// writer got there first (or the database asks for a retry). `live_target` names a case
    /// that must still be open when this commits (the target of a merge).
    pub(super) async fn commit_event(
        &self,
        case: &CaseRecord,
        kind: EventKind,
        actor: &Actor,
        at: DateTime<Utc>,
        live_target: Option<Uuid>,
        photos: &[StoredAttachment],
    ) -> Result<Option<CaseRecord>> {
        // Events of one case never go back in time, even if clocks of two servers disagree.
        let at = to_millis(at).max(case.updated_at);
        let event = CaseEvent {
            id: Uuid::now_v7(),
            case_id: case.id,
            seq: case.version + 1,
            at,
            actor_kind: actor.kind().to_string(),
            actor_id: actor.id(),
            kind,
        };
        let mut event = event;
        let sealed = seal_free_texts(&self.cipher, case.id, event.seq, &mut event.kind);
        let after = evolve(Some(case.clone()), &event).map_err(StoreError::Corrupt)?;
        let mut tx = self.write.begin().await?;
        let written = async {
            let current = Self::write_event(&mut tx, case, &after, &event, actor, live_target, &sealed).await?;
            if current {
                Self::insert_attachments(&mut tx, case.id, event.seq, photos, at).await?;
            }
            Ok(current)
        }
        .await;
        events::finish(tx, written.map(|current| current.then_some(after))).await
    }

    /// The statements of one change; false when the case's version moved on.
    pub(super) async fn write_event(
        conn: &mut AnyConnection,
        before: &CaseRecord,
        after: &CaseRecord,
        event: &CaseEvent,
        actor: &Actor,
        live_target: Option<Uuid>,
        sealed: &[SealedText],
    ) -> Result<bool> {
        let assignments: Vec<String> =
            MUTABLE_COLUMNS.iter().enumerate().map(|(i, c)| format!("{c} = ${}", i + 1)).collect();
        let n = MUTABLE_COLUMNS.len();
        let sql = format!("UPDATE cases SET {} WHERE id = ${} AND version = ${}", assignments.join(", "), n + 1, n + 2);
        let updated = bind_mutable(sqlx::query(&sql), after)
            .bind(before.id.to_string())
            .bind(before.version)
            .execute(&mut *conn)
            .await?;
        if updated.rows_affected() == 0 {
            return Ok(false);
        }
        if let Some(target) = live_target {
            // Locks the target row until commit, so two cases cannot be merged into each other.
            let live =
                sqlx::query("UPDATE cases SET version = version WHERE id = $1 AND state NOT IN ('rejected', 'merged')")
                    .bind(target.to_string())
                    .execute(&mut *conn)
                    .await?;
            if live.rows_affected() == 0 {
                return Err(FieldError::new(
                    "into",
                    "目标案件已不予受理或已合并",
                    "the target case was rejected or merged",
                )
                .into());
            }
        }
        if after.co_units != before.co_units {
            Self::write_co_units(conn, after).await?;
        }
        super::rollups::apply(conn, grassroots_domain::rollups::delta(Some(before), after)).await?;
        record_case_change(conn, after, event, actor).await?;
        insert_sealed_texts(conn, after.id, event.seq, sealed).await?;
        Ok(true)
    }

    /// Cases with their whole history, as one batch of multi-row statements.
    pub(super) async fn insert_historic(
        conn: &mut AnyConnection,
        cipher: &Cipher,
        cases: &[HistoricCase],
    ) -> Result<()> {
        for inserts in Self::historic_inserts(anonymous_placeholders(conn), cipher, cases.iter())? {
            inserts.execute(conn).await?;
        }
        let records: Vec<&CaseRecord> = cases.iter().map(|h| &h.record).collect();
        Self::write_new_cases_apart(conn, &records).await
    }

    /// The statements that insert the cases' rows and their events, built ahead of their
    /// transaction. Co-handling units are left to `write_co_units`.
    pub(super) fn historic_inserts<'a>(
        anonymous: bool,
        cipher: &Cipher,
        cases: impl ExactSizeIterator<Item = &'a HistoricCase> + Clone,
    ) -> Result<Vec<Inserts>> {
        let rows = cases.clone().map(|h| {
            let r = &h.record;
            NewCaseRow {
                record: r,
                query_code_hash: cipher.query_code_tag(&r.tracking_no, &h.query_code),
                anonymous: h.anonymous,
                personal: seal_personal(cipher, r.id, h.reporter_name.as_deref(), h.reporter_phone.as_deref(), false),
            }
        });
        let mut inserts = Self::case_row_inserts(anonymous, rows)?;
        let decisions: Vec<(&CaseRecord, &Decision)> =
            cases.clone().flat_map(|h| h.decisions.iter().map(move |d| (&h.record, d))).collect();
        let decisions = Self::decision_inserts(anonymous, decisions)?;
        let events: Vec<&CaseEvent> = cases.flat_map(|h| &h.events).collect();
        let events: Vec<EventRow> = events.into_iter().map(event_row).collect();
        inserts.extend([events::event_inserts(anonymous, &events)?, decisions]);
        Ok(inserts)
    }
}

/// The conditions of a filter within a scope, for one state (or any), and its queue's test.
fn filter_conditions(scope: &Scope, f: &CaseFilter, state: Option<CaseState>, args: &mut Args) -> Vec<String> {
    let mut conditions = scoped_region_clauses(scope, f.region.as_ref(), args);
    match (state, f.queue) {
        (Some(state), Some((queue, role))) => conditions.push(queue_condition(queue, role, state)),
        (Some(state), None) => conditions.push(format!("c.state = '{}'", state.as_str())),
        (None, _) => {}
    }
    if let Some(category) = &f.category {
        conditions.push(category_clause(category, args));
    }
    if !f.excluded_categories.is_empty() {
        let codes: Vec<String> = f.excluded_categories.iter().map(|c| args.text(c.clone())).collect();
        conditions.push(format!("c.category_code NOT IN ({})", codes.join(", ")));
    }
    if let Some(unit) = &f.unit {
        conditions.push(format!("c.lead_unit = {}", args.text(unit.clone())));
    }
    match f.overdue {
        // Overdue means a unit still owes work past a deadline, not that it once did.
        Some(true) => conditions.push(format!("c.due_status = 'overdue' AND c.state IN ({PENDING_STATES})")),
        Some(false) => conditions.push(format!("NOT (c.due_status = 'overdue' AND c.state IN ({PENDING_STATES}))")),
        None => {}
    }
    if let Some(from) = f.received_from {
        conditions.push(format!("c.received_at >= {}", args.int(ms(from))));
    }
    if let Some(to) = f.received_to {
        conditions.push(format!("c.received_at < {}", args.int(ms(to))));
    }
    let text = f.text.as_deref().map(str::trim).filter(|t| !t.is_empty());
    // A tracking number is looked up by its unique index, not searched for in every text.
    if let Some(no) = text.filter(|t| grassroots_domain::case::is_tracking_no(t)) {
        conditions.push(format!("c.tracking_no = {}", args.text(no)));
    } else if let Some(text) = text {
        let escaped = text.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_");
        let like = args.text(format!("%{escaped}%"));
        let exact = args.text(text);
        // LOWER on both sides: SQLite's LIKE ignores ASCII case and PostgreSQL's does not.
        conditions.push(format!("(LOWER(c.description) LIKE LOWER({like}) ESCAPE '\\' OR c.tracking_no = {exact})"));
    }
    if let Some(after) = f.after {
        conditions.push(format!("c.id < {}", args.text(after.to_string())));
    }
    conditions
}

/// More arms than this in one list query and the scope is read whole: each arm is a query.
const MAX_LIST_ARMS: usize = 120;

/// One share of a scope, read by an arm of its own.
enum ScopePart {
    Within(Scope),
    /// The cases a unit leads or, if not `led`, co-handles and does not lead.
    OfUnit {
        unit: String,
        led: bool,
    },
}

impl ScopePart {
    fn conditions(&self, f: &CaseFilter, state: CaseState, args: &mut Args) -> Vec<String> {
        match self {
            ScopePart::Within(scope) => filter_conditions(scope, f, Some(state), args),
            ScopePart::OfUnit { unit, led } => {
                let mut conditions = filter_conditions(&Scope::All, f, Some(state), args);
                conditions.push(if *led { led_by(unit, args) } else { co_handled_by(unit, args) });
                conditions
            }
        }
    }
}

/// The cases `unit` leads.
fn led_by(unit: &str, args: &mut Args) -> String {
    format!("c.lead_unit = {}", args.text(unit.to_string()))
}

/// The cases `unit` co-handles and does not lead, so that no case is both led and co-handled.
fn co_handled_by(unit: &str, args: &mut Args) -> String {
    let (a, b) = (args.text(unit.to_string()), args.text(unit.to_string()));
    format!("c.id IN (SELECT case_id FROM case_co_units WHERE unit_id = {a}) AND c.lead_unit <> {b}")
}

/// A scope split into shares that do not overlap, each read on its own and merged: the grids
/// of a grid worker, the regions of a region scope that do not overlap, a unit's led and
/// co-handled cases. Whole where a region inside it is asked for, or where it would make too
/// many arms.
fn scope_parts(scope: &Scope, region: Option<&grassroots_domain::RegionCode>, states: usize) -> Vec<ScopePart> {
    let whole = || vec![ScopePart::Within(scope.clone())];
    let parts: Vec<ScopePart> = match scope {
        Scope::Unit { unit } => [true, false].map(|led| ScopePart::OfUnit { unit: unit.clone(), led }).into(),
        _ if region.is_some() => return whole(),
        Scope::Grids { codes } => {
            codes.iter().map(|g| ScopePart::Within(Scope::Grids { codes: vec![g.clone()] })).collect()
        }
        Scope::Regions { codes } if !codes.iter().any(|a| codes.iter().any(|b| a != b && a.contains(b))) => {
            codes.iter().map(|c| ScopePart::Within(Scope::Regions { codes: vec![c.clone()] })).collect()
        }
        Scope::All | Scope::Regions { .. } => return whole(),
    };
    if parts.len() * states > MAX_LIST_ARMS {
        whole()
    } else {
        parts
    }
}

#[async_trait::async_trait]
impl crate::CaseStore for SqlStore {
    async fn create_case(&self, mut new: NewCase, actor: &Actor) -> Result<CreatedCase> {
        // Written before the report joins the queue, so the writer's batch syncs no file.
        let files = self.store_files(&std::mem::take(&mut new.attachments)).await?;
        let (reply, answer) = oneshot::channel();
        self.intake
            .send(IntakeJob { new, files, actor: actor.clone(), reply })
            .await
            .map_err(|_| StoreError::Unavailable("the intake writer has stopped".into()))?;
        answer.await.map_err(|_| StoreError::Unavailable("the intake writer has stopped".into()))?
    }

    async fn keyed_case(&self, client: &str, key: &str) -> Result<Option<KeyedCase>> {
        self.kept_key(client, key).await
    }

    async fn forget_intake_keys(&self, before: DateTime<Utc>) -> Result<u64> {
        self.forget_keys_before(before).await
    }

    async fn case_detail(&self, scope: &Scope, id: Uuid) -> Result<Option<CaseDetail>> {
        let row = self.locate(&Locator::Scoped(scope, id)).await?;
        self.detail_of(row).await
    }

    async fn list_cases(&self, scope: &Scope, f: &CaseFilter) -> Result<CasePage> {
        // Several states at once are read state by state, each walking its (…, state, id)
        // index newest first, and merged: one query over all of them would sort every match.
        let mut states: Vec<CaseState> = match f.queue {
            Some((queue, role)) => queue.states(role).to_vec(),
            // Every state, read state by state too: newest first over all of a scope's cases
            // would otherwise sort them all for each page.
            None if f.states.is_empty() => CaseState::ALL.to_vec(),
            None => f.states.clone(),
        };
        if f.queue.is_some() && !f.states.is_empty() {
            states.retain(|s| f.states.contains(s));
            if states.is_empty() {
                // The queue holds none of the states asked for.
                return Ok(CasePage { cases: Vec::new(), next_cursor: None });
            }
        }
        let limit = f.limit.clamp(1, 200);
        let mut args = Args::default();
        // A scope of several grids, regions or a unit's led and co-handled cases is read share
        // by share as well: with one `IN` or `OR` over them, the planner walks a state's whole
        // index in id order rather than sort the few cases of those places.
        let parts = scope_parts(scope, f.region.as_ref(), states.len());
        // Several arms read ids alone, which their indexes hold, and only the page's cases are
        // read whole: whole rows for every arm's page were read from the table, mostly to be
        // dropped by the merge (a grid worker's every case: 9 states × their grids × a page).
        let columns = if parts.len() * states.len() == 1 { CASE_COLUMNS } else { "c.id" };
        let mut arms = Vec::new();
        for part in &parts {
            for state in &states {
                let conditions = part.conditions(f, *state, &mut args).join(" AND ");
                arms.push(format!("SELECT {columns} FROM cases c WHERE {conditions} ORDER BY c.id DESC LIMIT {limit}"));
            }
        }
        let sql = match arms.as_slice() {
            [only] => only.clone(),
            _ => {
                let arms: Vec<String> =
                    arms.iter().enumerate().map(|(i, arm)| format!("SELECT * FROM ({arm}) AS arm{i}")).collect();
                // DISTINCT: arms may overlap (a state or a code given twice), and a case
                // counted twice in the page's ids would shorten the page and end the paging.
                format!(
                    "SELECT {CASE_COLUMNS} FROM cases c WHERE c.id IN \
                     (SELECT DISTINCT id FROM ({}) AS arms ORDER BY id DESC LIMIT {limit}) ORDER BY c.id DESC",
                    arms.join(" UNION ALL ")
                )
            }
        };
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        let cases = rows
            .iter()
            .map(|row| Ok(CaseSummary { record: record_from_row(row)?, reporter: reporter_from_row(row)? }))
            .collect::<Result<Vec<_>>>()?;
        let next_cursor = (cases.len() == limit as usize).then(|| cases.last().map(|c| c.record.id)).flatten();
        Ok(CasePage { cases, next_cursor })
    }

    async fn export_page(
        &self,
        scope: &Scope,
        f: &CaseFilter,
        before: Option<(DateTime<Utc>, Uuid)>,
        limit: u32,
    ) -> Result<Vec<ExportedCase>> {
        let mut args = Args::default();
        // Past the first page the cursor is the upper bound, tighter than the filter's: given
        // both, SQLite bounds its walk by the filter's and reads every page before again.
        let f = &CaseFilter { received_to: if before.is_some() { None } else { f.received_to }, ..f.clone() };
        let mut conditions = filter_conditions(scope, f, None, &mut args);
        if !f.states.is_empty() {
            let states: Vec<String> = f.states.iter().map(|s| format!("'{}'", s.as_str())).collect();
            conditions.push(format!("c.state IN ({})", states.join(", ")));
        }
        // The district every case of a street, community or grid lies in (its code's first six
        // digits), so that the walk can follow the district's index by time received.
        if let Some(district) = district_of(scope, f.region.as_ref()) {
            conditions.push(format!("c.district_code = {}", args.text(district)));
        }
        if let Some((at, id)) = before {
            let at = args.int(ms(at));
            conditions.push(format!(
                "c.received_at <= {at} AND (c.received_at, c.id) < ({at}, {})",
                args.text(id.to_string())
            ));
        }
        let inner: Vec<String> = ExportedCase::COLUMNS.iter().map(|c| format!("c.{c}")).collect();
        let outer: Vec<String> = ExportedCase::COLUMNS.iter().map(|c| format!("p.{c}")).collect();
        // One row for the page: the database builds the array of cases.
        let (array_of, array) = match self.backend {
            crate::Backend::Sqlite => ("json_group_array", "json_array"),
            crate::Backend::Postgres => ("json_agg", "json_build_array"),
        };
        let sql = format!(
            "SELECT CAST({array_of}({array}({})) AS TEXT) AS page FROM (SELECT {} FROM cases c WHERE {} \
             ORDER BY c.received_at DESC, c.id DESC LIMIT {}) p",
            outer.join(", "),
            inner.join(", "),
            conditions.join(" AND "),
            limit.clamp(1, 10_000)
        );
        // Read from a standby within its lag bound when there is one, like the figures: an
        // export walks much of a district, and a standby spares the primary's cache.
        let row = args.bind(sqlx::query(&sql)).fetch_one(self.figures().await).await?;
        let Some(page) = row.try_get::<Option<String>, _>("page")? else { return Ok(Vec::new()) };
        let mut cases: Vec<ExportedCase> =
            serde_json::from_str(&page).map_err(|e| StoreError::Corrupt(format!("an export page: {e}")))?;
        // An aggregate need not keep the order its rows came in.
        cases.sort_by_key(|c| std::cmp::Reverse((c.received_at, c.id)));
        Ok(cases)
    }

    async fn queue_counts(&self, scope: &Scope, role: Role) -> Result<Vec<(Queue, i64)>> {
        let open = match scope {
            // The open counts tell places apart, not units: a unit's cases are counted.
            Scope::Unit { unit } => return self.unit_queue_counts(unit, role).await,
            Scope::All | Scope::Regions { .. } | Scope::Grids { .. } => self.open_counts(scope).await?,
        };
        Ok(Queue::for_role(role)
            .iter()
            .map(|queue| (*queue, open.iter().filter(|(facets, _)| queue.admits(role, facets)).map(|(_, n)| n).sum()))
            .collect())
    }

    async fn apply_move_with_photos(
        &self,
        actor: &Actor,
        id: Uuid,
        mv: &Move,
        ctx: &MoveContext<'_>,
        photos: &[NewAttachment],
    ) -> Result<CaseRecord> {
        let scope = match actor {
            Actor::Staff { scope, .. } => scope,
            // The platform's own moves (auto-dispatch) reach every case; the rules limit them.
            Actor::System => &Scope::All,
            Actor::Resident | Actor::ApiKey { .. } => {
                return Err(MoveError::Forbidden { role: actor.kind().into(), action: mv.kind() }.into())
            }
        };
        self.transition(Locator::Scoped(scope, id), actor, mv, ctx, photos).await
    }

    async fn track(&self, pass: &ResidentPass<'_>) -> Result<Option<CaseDetail>> {
        let row = self.locate(&Locator::Resident(*pass)).await?;
        self.detail_of(row).await
    }

    async fn resident_move(
        &self,
        pass: &ResidentPass<'_>,
        mv: &Move,
        ctx: &MoveContext<'_>,
        photos: &[NewAttachment],
    ) -> Result<CaseRecord> {
        // The domain's rules say which moves a resident makes; this keeps the door narrow too.
        if !mv.kind().rule().resident {
            return Err(MoveError::Forbidden { role: "resident".into(), action: mv.kind() }.into());
        }
        self.transition(Locator::Resident(*pass), &Actor::Resident, mv, ctx, photos).await
    }

    async fn reveal(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<RevealedPersonalData> {
        let Actor::Staff { scope, .. } = actor else {
            return Err(StoreError::NotFound);
        };
        let mut args = Args::default();
        let idp = args.text(id.to_string());
        let scope_sql = scope_clause(scope, &mut args);
        let sql =
            format!("SELECT c.reporter_name_enc, c.reporter_phone_enc FROM cases c WHERE c.id = {idp} AND {scope_sql}");
        let row = self.fetch_one(&sql, args).await?.ok_or(StoreError::NotFound)?;
        let open = |field: &str, col: &str| -> Result<Option<String>> {
            row.try_get::<Option<Vec<u8>>, _>(col)?
                .map(|sealed| self.cipher.open(&context(id, field), &sealed).map_err(StoreError::Crypto))
                .transpose()
        };
        let texts = sqlx::query("SELECT seq, field, sealed FROM sealed_texts WHERE case_id = $1 ORDER BY seq, field")
            .bind(id.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                let (seq, field): (i64, String) = (r.try_get("seq")?, r.try_get("field")?);
                let sealed: Vec<u8> = r.try_get("sealed")?;
                let text =
                    self.cipher.open(&context(id, &format!("{field}@{seq}")), &sealed).map_err(StoreError::Crypto)?;
                Ok(RevealedText { seq, field, text })
            })
            .collect::<Result<Vec<_>>>()?;
        let mut fields = vec!["reporter_name".to_string(), "reporter_phone".to_string()];
        fields.extend(texts.iter().map(|t| format!("{}@{}", t.field, t.seq)));
        let revealed = RevealedPersonalData {
            name: open("reporter_name", "reporter_name_enc")?,
            phone: open("reporter_phone", "reporter_phone_enc")?,
            texts,
        };
        let mut tx = self.write.begin().await?;
        events::audit(
            &mut tx,
            now,
            actor,
            "reveal",
            Some(Subject { kind: CASE, id }),
            serde_json::json!({ "reason": reason, "fields": fields }),
        )
        .await?;
        tx.commit().await?;
        Ok(revealed)
    }

    async fn case_events(&self, id: Uuid) -> Result<Vec<CaseEvent>> {
        self.events_of(id).await
    }

    async fn case_record(&self, id: Uuid) -> Result<Option<CaseRecord>> {
        let row = self.locate(&Locator::Scoped(&Scope::All, id)).await?;
        row.as_ref().map(record_from_row).transpose()
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::{self as world, Fixture, UNIT_A, UNIT_B};
    use super::*;
    use crate::CaseStore;
    use grassroots_domain::CaseState;

    /// A handler starts a move on a case of their unit; before it commits, the dispatcher
    /// sends the case to another unit. The handler's move is told of the conflict (409), not
    /// that the case does not exist (404).
    async fn a_move_that_lost_the_case_to_another_s_move_is_a_conflict(db: world::TestDb) {
        let store = &db.store;
        let world = Fixture::new(&**store).await;
        let created = world.report(&**store, "井盖松动", None).await;
        world.dispatch_to(&**store, created.id, UNIT_A, &[]).await;
        let handler = world.handler(UNIT_A);
        let Actor::Staff { scope, .. } = &handler else { unreachable!() };
        let locator = Locator::Scoped(scope, created.id);
        let as_read = record_from_row(&store.locate(&locator).await.unwrap().unwrap()).unwrap();
        let ctx = world.ctx(Utc::now());
        let away = Move::Redispatch { unit: UNIT_B.into(), co_units: vec![], reason: "属B单位职责".into() };
        store.apply_move(&world.dispatcher(), created.id, &away, &ctx).await.unwrap();
        let late = store.transition_from(as_read, &locator, &handler, &Move::Accept {}, &ctx, &[]).await;
        assert!(matches!(late, Err(StoreError::MovedAway)), "{late:?}");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_a_move_that_lost_the_case_to_another_s_move_is_a_conflict() {
        a_move_that_lost_the_case_to_another_s_move_is_a_conflict(world::sqlite_db().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs GRASSROOTS_TEST_POSTGRES_URL; .ci/run runs these"]
    async fn postgres_a_move_that_lost_the_case_to_another_s_move_is_a_conflict() {
        a_move_that_lost_the_case_to_another_s_move_is_a_conflict(world::postgres_db().await).await
    }

    #[test]
    fn pending_states_in_sql_are_the_domain_s() {
        let quoted: Vec<String> =
            CaseState::ALL.iter().filter(|s| s.is_pending()).map(|s| format!("'{}'", s.as_str())).collect();
        assert_eq!(super::PENDING_STATES, quoted.join(", "));
    }
}
