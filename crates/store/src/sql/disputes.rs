//! Disputes, their rosters, moves and grades: each move made only from the state and level it
//! was decided on, logged in order with what it carried; parties sealed, their masked names
//! kept beside them for lists.

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::disputes::{
    DisputeKind, DisputeLevel, DisputeMove, DisputeOrigin, DisputeState, GradeReason, MediatorKind, ReferredTo,
    RiskFactors, RiskGrade,
};
use grassroots_domain::personal::mask_name;
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Change, EventRow, Subject};
use super::rows::{coded, holding, optional_day, optional_uuid, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::crypto::context;
use crate::disputes::{
    DisputeCount, DisputeMoveRecord, DisputeParty, DisputeRecord, DisputeSelection, DisputeStep, DisputeTally,
    GradeRecord, Mediator, NewDispute, PartyShown,
};
use crate::{PlaceFilter, Result, StoreError};

const PARTIES: &str = "dispute.parties";
const DISPUTE_KIND: &str = "dispute";

/// The dispute context of its sealed parties (for re-sealing too).
pub(super) fn parties_context(id: Uuid) -> Vec<u8> {
    context(id, PARTIES)
}

const DISPUTE_COLUMNS: &str = "id, community_code, grid_code, kind, origin, case_id, summary, place, parties_shown, \
     party_count, threat_of_violence, threat_of_self_harm, earlier_reports, petitioned_higher, vulnerable_party, grade, \
     level, state, recurrences, referred_to, created_at, follow_up_on, agreed_at, ended_at, updated_at";

const MEDIATOR_COLUMNS: &str = "id, region_code, kind, name, created_at";

fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn flag(r: &AnyRow, column: &str) -> Result<bool> {
    Ok(r.try_get::<i64, _>(column)? != 0)
}

fn count_of(r: &AnyRow, column: &str) -> Result<u32> {
    Ok(u32::try_from(r.try_get::<i64, _>(column)?).unwrap_or(0))
}

fn mediator(r: &AnyRow) -> Result<Mediator> {
    Ok(Mediator {
        id: uuid_column(r, "id")?,
        region_code: r.try_get("region_code")?,
        kind: coded(MediatorKind::parse, "mediator kind", r.try_get("kind")?)?,
        name: r.try_get("name")?,
        created_at: from_ms(r.try_get("created_at")?),
    })
}

fn dispute(r: &AnyRow) -> Result<DisputeRecord> {
    let shown: String = r.try_get("parties_shown")?;
    Ok(DisputeRecord {
        id: uuid_column(r, "id")?,
        community_code: r.try_get("community_code")?,
        grid_code: r.try_get("grid_code")?,
        kind: coded(DisputeKind::parse, "dispute kind", r.try_get("kind")?)?,
        origin: coded(DisputeOrigin::parse, "dispute origin", r.try_get("origin")?)?,
        case_id: optional_uuid(r, "case_id")?,
        summary: r.try_get("summary")?,
        place: r.try_get("place")?,
        parties: serde_json::from_str(&shown).map_err(corrupt)?,
        factors: RiskFactors {
            threat_of_violence: flag(r, "threat_of_violence")?,
            threat_of_self_harm: flag(r, "threat_of_self_harm")?,
            parties: count_of(r, "party_count")?,
            earlier_reports: count_of(r, "earlier_reports")?,
            petitioned_higher: flag(r, "petitioned_higher")?,
            vulnerable_party: flag(r, "vulnerable_party")?,
        },
        grade: coded(RiskGrade::parse, "risk grade", r.try_get("grade")?)?,
        level: coded(DisputeLevel::parse, "dispute level", r.try_get("level")?)?,
        state: coded(DisputeState::parse, "dispute state", r.try_get("state")?)?,
        recurrences: r.try_get("recurrences")?,
        referred_to: r
            .try_get::<Option<String>, _>("referred_to")?
            .map(|t| coded(ReferredTo::parse, "referred to", t))
            .transpose()?,
        mediators: Vec::new(),
        moves: Vec::new(),
        grades: Vec::new(),
        created_at: from_ms(r.try_get("created_at")?),
        follow_up_on: optional_day(r, "follow_up_on")?,
        agreed_at: r.try_get::<Option<i64>, _>("agreed_at")?.map(from_ms),
        ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(from_ms),
        updated_at: from_ms(r.try_get("updated_at")?),
    })
}

fn move_record(r: &AnyRow) -> Result<DisputeMoveRecord> {
    let present: Option<String> = r.try_get("present")?;
    Ok(DisputeMoveRecord {
        seq: r.try_get("seq")?,
        kind: coded(DisputeMove::parse, "dispute move", r.try_get("move")?)?,
        state_after: coded(DisputeState::parse, "dispute state", r.try_get("state_after")?)?,
        level_after: coded(DisputeLevel::parse, "dispute level", r.try_get("level_after")?)?,
        on: optional_day(r, "on_day")?,
        present: present
            .unwrap_or_default()
            .split(',')
            .filter(|p| !p.is_empty())
            .map(|p| p.parse().map_err(|_| corrupt(format!("present: {p}"))))
            .collect::<Result<_>>()?,
        terms: r.try_get("terms")?,
        follow_up_on: optional_day(r, "follow_up_on")?,
        kept: r.try_get::<Option<i64>, _>("kept")?.map(|k| k != 0),
        referred_to: r
            .try_get::<Option<String>, _>("referred_to")?
            .map(|t| coded(ReferredTo::parse, "referred to", t))
            .transpose()?,
        note: r.try_get("note")?,
        by: r.try_get("by_kind")?,
        at: from_ms(r.try_get("at")?),
    })
}

fn grade_record(r: &AnyRow) -> Result<GradeRecord> {
    let factors: String = r.try_get("factors")?;
    let reasons: String = r.try_get("reasons")?;
    Ok(GradeRecord {
        seq: r.try_get("seq")?,
        grade: coded(RiskGrade::parse, "risk grade", r.try_get("grade")?)?,
        factors: serde_json::from_str(&factors).map_err(corrupt)?,
        reasons: serde_json::from_str(&reasons).map_err(corrupt)?,
        note: r.try_get("note")?,
        by: r.try_get("by_kind")?,
        at: from_ms(r.try_get("at")?),
    })
}

/// A dispute with its mediators, moves and grades.
async fn dispute_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<DisputeRecord>> {
    let row = sqlx::query(&format!("SELECT {DISPUTE_COLUMNS} FROM disputes WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut found = dispute(&row)?;
    found.mediators = sqlx::query(
        "SELECT m.id, m.region_code, m.kind, m.name, m.created_at FROM dispute_mediators d \
         JOIN mediators m ON m.id = d.mediator_id WHERE d.dispute_id = $1 ORDER BY m.name, m.id",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(mediator)
    .collect::<Result<_>>()?;
    found.moves = sqlx::query(
        "SELECT seq, move, state_after, level_after, on_day, present, terms, follow_up_on, kept, referred_to, note, \
         by_kind, at FROM dispute_moves WHERE dispute_id = $1 ORDER BY seq",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(move_record)
    .collect::<Result<_>>()?;
    found.grades = sqlx::query(
        "SELECT seq, grade, factors, reasons, note, by_kind, at FROM dispute_grades WHERE dispute_id = $1 ORDER BY seq",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(grade_record)
    .collect::<Result<_>>()?;
    Ok(Some(found))
}

/// A change of a dispute beside its row: its event, the audit entry, and the outbox row other
/// systems receive (what happened, where, its grade and state; never the parties).
async fn record_change(
    conn: &mut AnyConnection,
    actor: &Actor,
    d: &DisputeRecord,
    name: &'static str,
    audit: serde_json::Value,
    now: DateTime<Utc>,
) -> Result<()> {
    let seq: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) + 1 FROM events WHERE aggregate_type = $1 AND aggregate_id = $2",
    )
    .bind(DISPUTE_KIND)
    .bind(d.id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    let event_id = Uuid::now_v7();
    let publish = serde_json::json!({
        "event_id": event_id, "dispute_id": d.id, "seq": seq, "at": now, "actor_kind": actor.kind(), "event": name,
        "community_code": d.community_code, "kind": d.kind.as_str(), "grade": d.grade.as_str(),
        "level": d.level.as_str(), "state": d.state.as_str(), "case_id": d.case_id,
    });
    let event = EventRow {
        id: event_id,
        subject: Subject { kind: DISPUTE_KIND, id: d.id },
        seq,
        at: now,
        actor_kind: actor.kind().to_string(),
        actor_id: actor.id(),
        name,
        payload: publish.to_string(),
    };
    events::record(conn, &Change { event, actor, audit, publish: Some(publish) }).await
}

/// Logs a grade with its factors and reasons.
#[allow(clippy::too_many_arguments)]
async fn log_grade(
    conn: &mut AnyConnection,
    id: Uuid,
    grade: RiskGrade,
    factors: &RiskFactors,
    reasons: &[GradeReason],
    note: Option<&str>,
    actor: &Actor,
    now: DateTime<Utc>,
) -> Result<()> {
    let seq: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) + 1 FROM dispute_grades WHERE dispute_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO dispute_grades (dispute_id, seq, grade, factors, reasons, note, by_kind, by_id, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(seq)
    .bind(grade.as_str())
    .bind(serde_json::to_string(factors).map_err(corrupt)?)
    .bind(serde_json::to_string(reasons).map_err(corrupt)?)
    .bind(note.map(str::to_string))
    .bind(actor.kind())
    .bind(actor.id().map(|u| u.to_string()))
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// What a move writes into its log row besides who and when.
#[derive(Default)]
struct Carried {
    on: Option<NaiveDate>,
    present: Option<String>,
    terms: Option<String>,
    follow_up_on: Option<NaiveDate>,
    kept: Option<bool>,
    referred_to: Option<ReferredTo>,
    note: Option<String>,
}

fn carried(step: &DisputeStep) -> Carried {
    match step {
        DisputeStep::Assign { .. } => Carried::default(),
        DisputeStep::Session { on, present, note } => Carried {
            on: Some(*on),
            present: Some(present.iter().map(u32::to_string).collect::<Vec<_>>().join(",")),
            note: Some(note.clone()),
            ..Carried::default()
        },
        DisputeStep::Agree { on, terms, follow_up_on } => Carried {
            on: Some(*on),
            terms: Some(terms.clone()),
            follow_up_on: Some(*follow_up_on),
            ..Carried::default()
        },
        DisputeStep::FollowUp { on, kept, note } => {
            Carried { on: Some(*on), kept: Some(*kept), note: note.clone(), ..Carried::default() }
        }
        DisputeStep::Refer { to, note } => {
            Carried { referred_to: Some(*to), note: Some(note.clone()), ..Carried::default() }
        }
        DisputeStep::Escalate { note } | DisputeStep::Fail { note } | DisputeStep::Withdraw { note } => {
            Carried { note: Some(note.clone()), ..Carried::default() }
        }
    }
}

/// The columns a move sets besides state and level, bound into `args`.
fn set_columns(step: &DisputeStep, to: DisputeState, now: DateTime<Utc>, args: &mut Args) -> String {
    let mut set = String::new();
    match step {
        DisputeStep::Agree { follow_up_on, .. } => set.push_str(&format!(
            ", agreed_at = {}, follow_up_on = {}",
            args.int(ms(now)),
            args.text(follow_up_on.to_string())
        )),
        DisputeStep::FollowUp { kept: false, .. } => set.push_str(", recurrences = recurrences + 1"),
        DisputeStep::Refer { to, .. } => set.push_str(&format!(", referred_to = {}", args.text(to.as_str()))),
        DisputeStep::Assign { .. }
        | DisputeStep::Session { .. }
        | DisputeStep::FollowUp { kept: true, .. }
        | DisputeStep::Escalate { .. }
        | DisputeStep::Fail { .. }
        | DisputeStep::Withdraw { .. } => {}
    }
    match to {
        // Settled once, it stays settled from the first kept follow-up.
        DisputeState::Settled => set.push_str(&format!(", ended_at = COALESCE(ended_at, {})", args.int(ms(now)))),
        DisputeState::Referred | DisputeState::Failed | DisputeState::Withdrawn => {
            set.push_str(&format!(", ended_at = {}", args.int(ms(now))));
        }
        DisputeState::Mediating | DisputeState::Registered | DisputeState::Agreed => set.push_str(", ended_at = NULL"),
    }
    // A follow-up waits only while the agreement does.
    if to != DisputeState::Agreed {
        set.push_str(", follow_up_on = NULL");
    }
    set
}

/// Replaces the mediators of a dispute with some from its rosters.
async fn assign(conn: &mut AnyConnection, id: Uuid, community: &str, mediators: &[Uuid]) -> Result<()> {
    let rosters = rosters_of(community);
    for m in mediators {
        let region: Option<String> =
            sqlx::query_scalar("SELECT region_code FROM mediators WHERE id = $1 AND active = 1")
                .bind(m.to_string())
                .fetch_optional(&mut *conn)
                .await?;
        if !region.is_some_and(|r| rosters.contains(&r)) {
            return Err(FieldError::new(
                "mediators",
                "调解员应来自本社区、街道或区的调解员名册",
                "mediators come from the rosters of the dispute's community, street or district",
            )
            .into());
        }
    }
    sqlx::query("DELETE FROM dispute_mediators WHERE dispute_id = $1").bind(id.to_string()).execute(&mut *conn).await?;
    for m in mediators {
        sqlx::query("INSERT INTO dispute_mediators (dispute_id, mediator_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
            .bind(id.to_string())
            .bind(m.to_string())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// The community, its street and its district.
fn rosters_of(community: &str) -> Vec<String> {
    [DisputeLevel::Community, DisputeLevel::Street, DisputeLevel::District]
        .iter()
        .map(|l| l.region_of(community).to_string())
        .collect()
}

fn selection_condition(selection: DisputeSelection) -> &'static str {
    match selection {
        DisputeSelection::Open => " AND state IN ('registered', 'mediating')",
        DisputeSelection::HighRisk => " AND state IN ('registered', 'mediating') AND grade IN ('orange', 'red')",
        DisputeSelection::FollowingUp => " AND state = 'agreed'",
        DisputeSelection::All => "",
    }
}

#[async_trait::async_trait]
impl crate::DisputeStore for SqlStore {
    async fn add_mediator(
        &self,
        actor: &Actor,
        region_code: &str,
        kind: MediatorKind,
        name: &str,
        now: DateTime<Utc>,
    ) -> Result<Mediator> {
        reaching(actor, region_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO mediators (id, region_code, kind, name, active, created_at, created_by) \
             VALUES ($1, $2, $3, $4, 1, $5, $6)",
        )
        .bind(id.to_string())
        .bind(region_code.to_string())
        .bind(kind.as_str())
        .bind(name.to_string())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "region_code": region_code, "kind": kind.as_str() });
        events::audit(&mut tx, now, actor, "mediator_added", Some(Subject { kind: "mediator", id }), detail).await?;
        tx.commit().await?;
        Ok(Mediator {
            id,
            region_code: region_code.to_string(),
            kind,
            name: name.to_string(),
            created_at: from_ms(ms(now)),
        })
    }

    async fn mediators_for(&self, community_code: &str) -> Result<Vec<Mediator>> {
        let rosters = rosters_of(community_code);
        let mut all = sqlx::query(&format!(
            "SELECT {MEDIATOR_COLUMNS} FROM mediators WHERE active = 1 AND region_code IN ($1, $2, $3) ORDER BY name, id"
        ))
        .bind(rosters[0].clone())
        .bind(rosters[1].clone())
        .bind(rosters[2].clone())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(mediator)
        .collect::<Result<Vec<_>>>()?;
        all.sort_by_key(|m| std::cmp::Reverse(m.region_code.len()));
        Ok(all)
    }

    async fn mediators(&self, places: &PlaceFilter) -> Result<Vec<Mediator>> {
        let mut args = Args::default();
        let condition = args.places("region_code", places);
        let sql = format!(
            "SELECT {MEDIATOR_COLUMNS} FROM mediators WHERE active = 1 AND {condition} ORDER BY region_code, name, id"
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(mediator).collect()
    }

    async fn create_dispute(&self, actor: &Actor, new: &NewDispute, now: DateTime<Utc>) -> Result<DisputeRecord> {
        reaching(actor, &new.community_code)?;
        let id = Uuid::now_v7();
        let shown: Vec<PartyShown> = new
            .parties
            .iter()
            .map(|p| PartyShown { name_masked: mask_name(&p.name), side: p.side, vulnerable: p.vulnerable })
            .collect();
        let sealed = serde_json::to_string(&new.parties).map_err(corrupt)?;
        let f = &new.factors;
        let mut tx = self.write.begin().await?;
        if let Some(case) = new.case_id {
            let converted: Option<String> = sqlx::query_scalar("SELECT id FROM disputes WHERE case_id = $1")
                .bind(case.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if converted.is_some() {
                return Err(FieldError::new(
                    "case",
                    "该工单已转为矛盾纠纷",
                    "the case was already converted to a dispute",
                )
                .into());
            }
        }
        sqlx::query(
            "INSERT INTO disputes (id, community_code, grid_code, kind, origin, case_id, summary, place, parties_enc, \
             parties_shown, party_count, threat_of_violence, threat_of_self_harm, earlier_reports, petitioned_higher, \
             vulnerable_party, grade, level, state, recurrences, created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, 0, $20, $21, $20)",
        )
        .bind(id.to_string())
        .bind(new.community_code.clone())
        .bind(new.grid_code.clone())
        .bind(new.kind.as_str())
        .bind(new.origin.as_str())
        .bind(new.case_id.map(|c| c.to_string()))
        .bind(new.summary.clone())
        .bind(new.place.clone())
        .bind(self.cipher.seal(&parties_context(id), &sealed))
        .bind(serde_json::to_string(&shown).map_err(corrupt)?)
        .bind(i64::from(f.parties))
        .bind(i64::from(f.threat_of_violence))
        .bind(i64::from(f.threat_of_self_harm))
        .bind(i64::from(f.earlier_reports))
        .bind(i64::from(f.petitioned_higher))
        .bind(i64::from(f.vulnerable_party))
        .bind(new.grade.as_str())
        .bind(DisputeLevel::Community.as_str())
        .bind(DisputeState::Registered.as_str())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        log_grade(&mut tx, id, new.grade, f, &new.reasons, None, actor, now).await?;
        let created = dispute_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        let detail = serde_json::json!({ "origin": new.origin.as_str(), "grade": new.grade.as_str() });
        record_change(&mut tx, actor, &created, "registered", detail, now).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn dispute(&self, id: Uuid) -> Result<Option<DisputeRecord>> {
        let mut conn = self.read.acquire().await?;
        dispute_in(&mut conn, id).await
    }

    async fn dispute_of_case(&self, case_id: Uuid) -> Result<Option<Uuid>> {
        let id: Option<String> = sqlx::query_scalar("SELECT id FROM disputes WHERE case_id = $1")
            .bind(case_id.to_string())
            .fetch_optional(&self.read)
            .await?;
        id.map(|i| Uuid::parse_str(&i).map_err(corrupt)).transpose()
    }

    async fn reveal_dispute_parties(
        &self,
        actor: &Actor,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<Vec<DisputeParty>> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT community_code, parties_enc FROM disputes WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let community: String = row.try_get("community_code")?;
        reaching(actor, &community)?;
        let sealed: Vec<u8> = row.try_get("parties_enc")?;
        let plain = self.cipher.open(&parties_context(id), &sealed).map_err(StoreError::Crypto)?;
        let detail = serde_json::json!({ "reason": reason });
        events::audit(
            &mut tx,
            now,
            actor,
            "dispute_parties_revealed",
            Some(Subject { kind: DISPUTE_KIND, id }),
            detail,
        )
        .await?;
        tx.commit().await?;
        serde_json::from_str(&plain).map_err(corrupt)
    }

    async fn disputes(
        &self,
        places: &PlaceFilter,
        selection: DisputeSelection,
        limit: i64,
    ) -> Result<Vec<DisputeRecord>> {
        let mut args = Args::default();
        let condition = args.places("community_code", places);
        let sql = format!(
            "SELECT {DISPUTE_COLUMNS} FROM disputes WHERE {condition}{} ORDER BY {}CASE grade WHEN 'red' THEN 0 \
             WHEN 'orange' THEN 1 WHEN 'yellow' THEN 2 ELSE 3 END, created_at, id LIMIT {}",
            selection_condition(selection),
            // The follow-ups due soonest first.
            if selection == DisputeSelection::FollowingUp { "follow_up_on, " } else { "" },
            args.int(limit)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(dispute).collect()
    }

    async fn move_dispute(
        &self,
        actor: &Actor,
        id: Uuid,
        from: (DisputeState, DisputeLevel),
        step: &DisputeStep,
        now: DateTime<Utc>,
    ) -> Result<DisputeRecord> {
        let kind = step.kind();
        let kept = matches!(step, DisputeStep::FollowUp { kept: true, .. });
        let to = kind.to(from.0, kept)?;
        let mut tx = self.write.begin().await?;
        let before = dispute_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        // A grid worker acts in their community; a street or the district only at its level.
        match from.1 {
            DisputeLevel::Community => reaching(actor, &before.community_code)?,
            DisputeLevel::Street | DisputeLevel::District => holding(actor, from.1.region_of(&before.community_code))?,
        }
        let level = match step {
            DisputeStep::Escalate { .. } => from.1.above().ok_or_else(|| {
                FieldError::new("move", "纠纷已在区级调处，不能再上报", "the dispute is at the district already")
            })?,
            _ => from.1,
        };
        let mut args = Args::default();
        let sql = format!(
            "UPDATE disputes SET state = {}, level = {}, updated_at = {}{} WHERE id = {} AND state = {} AND level = {}",
            args.text(to.as_str()),
            args.text(level.as_str()),
            args.int(ms(now)),
            set_columns(step, to, now, &mut args),
            args.text(id.to_string()),
            args.text(from.0.as_str()),
            args.text(from.1.as_str()),
        );
        if args.bind(sqlx::query(&sql)).execute(&mut *tx).await?.rows_affected() != 1 {
            return Err(FieldError::new(
                "move",
                format!("纠纷已变为“{}”（{}），请刷新后再操作", before.state.label_zh(), before.level.label_zh()),
                format!(
                    "the dispute is {} at the {} level now: reload and try again",
                    before.state.label_en(),
                    before.level.label_en()
                ),
            )
            .into());
        }
        match step {
            DisputeStep::Assign { mediators } => assign(&mut tx, id, &before.community_code, mediators).await?,
            // The level above names its own mediators.
            DisputeStep::Escalate { .. } => {
                sqlx::query("DELETE FROM dispute_mediators WHERE dispute_id = $1")
                    .bind(id.to_string())
                    .execute(&mut *tx)
                    .await?;
            }
            _ => {}
        }
        let c = carried(step);
        let seq: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) + 1 FROM dispute_moves WHERE dispute_id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO dispute_moves (dispute_id, seq, move, state_after, level_after, on_day, present, terms, \
             follow_up_on, kept, referred_to, note, by_kind, by_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(id.to_string())
        .bind(seq)
        .bind(kind.as_str())
        .bind(to.as_str())
        .bind(level.as_str())
        .bind(c.on.map(|d| d.to_string()))
        .bind(c.present)
        .bind(c.terms)
        .bind(c.follow_up_on.map(|d| d.to_string()))
        .bind(c.kept.map(i64::from))
        .bind(c.referred_to.map(|t| t.as_str().to_string()))
        .bind(c.note.clone())
        .bind(actor.kind())
        .bind(actor.id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let after = dispute_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        let detail = serde_json::json!({ "state": to.as_str(), "level": level.as_str(), "note": c.note });
        record_change(&mut tx, actor, &after, kind.as_str(), detail, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn regrade_dispute(
        &self,
        actor: &Actor,
        id: Uuid,
        factors: &RiskFactors,
        grade: RiskGrade,
        reasons: &[GradeReason],
        note: &str,
        now: DateTime<Utc>,
    ) -> Result<DisputeRecord> {
        let mut tx = self.write.begin().await?;
        let before = dispute_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &before.community_code)?;
        sqlx::query(
            "UPDATE disputes SET party_count = $2, threat_of_violence = $3, threat_of_self_harm = $4, earlier_reports = $5, \
             petitioned_higher = $6, vulnerable_party = $7, grade = $8, updated_at = $9 WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(i64::from(factors.parties))
        .bind(i64::from(factors.threat_of_violence))
        .bind(i64::from(factors.threat_of_self_harm))
        .bind(i64::from(factors.earlier_reports))
        .bind(i64::from(factors.petitioned_higher))
        .bind(i64::from(factors.vulnerable_party))
        .bind(grade.as_str())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        log_grade(&mut tx, id, grade, factors, reasons, Some(note), actor, now).await?;
        let after = dispute_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        let detail = serde_json::json!({ "from": before.grade.as_str(), "to": grade.as_str(), "note": note });
        record_change(&mut tx, actor, &after, "regraded", detail, now).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn dispute_tally(
        &self,
        places: &PlaceFilter,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
    ) -> Result<DisputeTally> {
        let mut args = Args::default();
        let condition = format!(
            "{} AND created_at >= {} AND created_at < {}",
            args.places("community_code", places),
            args.int(ms(from)),
            args.int(ms(to))
        );
        let sql = format!(
            "SELECT kind, grade, state, COUNT(*) AS n, CAST(COALESCE(SUM(recurrences), 0) AS BIGINT) AS recurrences, \
             CAST(COALESCE(SUM(CASE WHEN agreed_at IS NULL THEN 0 ELSE (agreed_at - created_at) / 86400000 END), 0) AS BIGINT) \
             AS days, CAST(COALESCE(SUM(CASE WHEN agreed_at IS NULL THEN 0 ELSE 1 END), 0) AS BIGINT) AS timed FROM disputes WHERE {condition} GROUP BY kind, grade, state"
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        let mut tally = DisputeTally {
            by_kind_and_grade: Vec::new(),
            open: 0,
            high_risk_open: 0,
            agreed: 0,
            settled: 0,
            referred: 0,
            failed: 0,
            withdrawn: 0,
            days_to_agreement: 0,
            timed_agreements: 0,
            recurrences: 0,
        };
        for r in &rows {
            let kind = coded(DisputeKind::parse, "dispute kind", r.try_get("kind")?)?;
            let grade = coded(RiskGrade::parse, "risk grade", r.try_get("grade")?)?;
            let state = coded(DisputeState::parse, "dispute state", r.try_get("state")?)?;
            let n: i64 = r.try_get("n")?;
            match tally.by_kind_and_grade.iter_mut().find(|c| c.kind == kind && c.grade == grade) {
                Some(c) => c.count += n,
                None => tally.by_kind_and_grade.push(DisputeCount { kind, grade, count: n }),
            }
            tally.recurrences += r.try_get::<i64, _>("recurrences")?;
            tally.days_to_agreement += r.try_get::<i64, _>("days")?;
            tally.timed_agreements += r.try_get::<i64, _>("timed")?;
            match state {
                DisputeState::Registered | DisputeState::Mediating => {
                    tally.open += n;
                    tally.high_risk_open += if grade.is_high() { n } else { 0 };
                }
                DisputeState::Agreed => tally.agreed += n,
                DisputeState::Settled => {
                    tally.agreed += n;
                    tally.settled += n;
                }
                DisputeState::Referred => tally.referred += n,
                DisputeState::Failed => tally.failed += n,
                DisputeState::Withdrawn => tally.withdrawn += n,
            }
        }
        tally.by_kind_and_grade.sort_by_key(|c| (c.kind, std::cmp::Reverse(c.grade)));
        Ok(tally)
    }
}
