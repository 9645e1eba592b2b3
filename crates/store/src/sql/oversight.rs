//! Small powers, disclosures as versions, and reports of misconduct sealed and routed.

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::oversight::{
    DisclosureKind, Finding, MisconductKind, MisconductMove, MisconductState, PowerArea, PowerHolder,
};
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::cases::{new_query_code, new_tracking_no};
use super::events::{self, Subject};
use super::rows::{coded, date_column, holding, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::crypto::context;
use crate::oversight::{
    Disclosure, MisconductAccount, MisconductMoveRecord, MisconductReceipt, MisconductReport, NewDisclosure,
    NewMisconduct, NewSmallPower, SmallPower,
};
use crate::{PlaceFilter, Result, StoreError};

const REPORT_KIND: &str = "misconduct_report";
const POWER_COLUMNS: &str = "id, region_code, area, title, holder, procedure, basis";
const DISCLOSURE_COLUMNS: &str = "id, community_code, kind, period_from, period_to, period_label, version, title, \
     body, lines, published_at, superseded_at";
const REPORT_COLUMNS: &str = "id, tracking_no, place_code, kind, unit_id, state, finding, reply, received_at, \
     accept_due, conclude_due, ended_at";

/// The context of a report's sealed account (for re-sealing too).
pub(super) fn account_context(id: Uuid) -> Vec<u8> {
    context(id, "misconduct.account")
}

fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn power(r: &AnyRow) -> Result<SmallPower> {
    let procedure: String = r.try_get("procedure")?;
    Ok(SmallPower {
        id: uuid_column(r, "id")?,
        region_code: r.try_get("region_code")?,
        area: coded(PowerArea::parse, "power area", r.try_get("area")?)?,
        title: r.try_get("title")?,
        holder: coded(PowerHolder::parse, "power holder", r.try_get("holder")?)?,
        procedure: procedure.lines().map(str::to_string).collect(),
        basis: r.try_get("basis")?,
    })
}

fn disclosure(r: &AnyRow) -> Result<Disclosure> {
    let lines: String = r.try_get("lines")?;
    Ok(Disclosure {
        id: uuid_column(r, "id")?,
        community_code: r.try_get("community_code")?,
        kind: coded(DisclosureKind::parse, "disclosure kind", r.try_get("kind")?)?,
        period_from: date_column(r, "period_from")?,
        period_to: date_column(r, "period_to")?,
        period_label: r.try_get("period_label")?,
        version: r.try_get("version")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        lines: serde_json::from_str(&lines).map_err(corrupt)?,
        published_at: from_ms(r.try_get("published_at")?),
        superseded_at: r.try_get::<Option<i64>, _>("superseded_at")?.map(from_ms),
    })
}

fn report(r: &AnyRow) -> Result<MisconductReport> {
    Ok(MisconductReport {
        id: uuid_column(r, "id")?,
        tracking_no: r.try_get("tracking_no")?,
        place_code: r.try_get("place_code")?,
        kind: coded(MisconductKind::parse, "misconduct kind", r.try_get("kind")?)?,
        unit_id: r.try_get("unit_id")?,
        state: coded(MisconductState::parse, "misconduct state", r.try_get("state")?)?,
        finding: r.try_get::<Option<String>, _>("finding")?.map(|f| coded(Finding::parse, "finding", f)).transpose()?,
        reply: r.try_get("reply")?,
        received_at: from_ms(r.try_get("received_at")?),
        accept_due: from_ms(r.try_get("accept_due")?),
        conclude_due: r.try_get::<Option<i64>, _>("conclude_due")?.map(from_ms),
        ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(from_ms),
        moves: Vec::new(),
    })
}

async fn report_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<MisconductReport>> {
    let row = sqlx::query(&format!("SELECT {REPORT_COLUMNS} FROM misconduct_reports WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut found = report(&row)?;
    found.moves = sqlx::query("SELECT seq, move, note, at FROM misconduct_moves WHERE report_id = $1 ORDER BY seq")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(MisconductMoveRecord {
                seq: r.try_get("seq")?,
                kind: coded(MisconductMove::parse, "misconduct move", r.try_get("move")?)?,
                note: r.try_get("note")?,
                at: from_ms(r.try_get("at")?),
            })
        })
        .collect::<Result<_>>()?;
    Ok(Some(found))
}

/// `NotFound` unless the actor is staff of the unit the report was routed to.
fn of_unit(actor: &Actor, unit_id: &str) -> Result<()> {
    match actor {
        Actor::Staff { scope: grassroots_domain::Scope::Unit { unit }, .. } if unit == unit_id => Ok(()),
        _ => Err(StoreError::NotFound),
    }
}

#[async_trait::async_trait]
impl crate::OversightStore for SqlStore {
    async fn add_small_power(&self, actor: &Actor, new: &NewSmallPower, now: DateTime<Utc>) -> Result<SmallPower> {
        holding(actor, &new.region_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO small_powers (id, region_code, area, title, holder, procedure, basis, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(new.region_code.clone())
        .bind(new.area.as_str())
        .bind(new.title.clone())
        .bind(new.holder.as_str())
        .bind(new.procedure.join("\n"))
        .bind(new.basis.clone())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "region_code": new.region_code, "title": new.title });
        events::audit(&mut tx, now, actor, "small_power_added", Some(Subject { kind: "small_power", id }), detail)
            .await?;
        tx.commit().await?;
        Ok(SmallPower {
            id,
            region_code: new.region_code.clone(),
            area: new.area,
            title: new.title.clone(),
            holder: new.holder,
            procedure: new.procedure.clone(),
            basis: new.basis.clone(),
        })
    }

    async fn small_powers(&self, community_code: &str) -> Result<Vec<SmallPower>> {
        let district = community_code.get(..6).unwrap_or(community_code).to_string();
        sqlx::query(&format!(
            "SELECT {POWER_COLUMNS} FROM small_powers WHERE region_code = $1 OR region_code = $2 \
             ORDER BY area, LENGTH(region_code), title, id"
        ))
        .bind(district)
        .bind(community_code.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(power)
        .collect()
    }

    async fn publish_disclosure(&self, actor: &Actor, new: &NewDisclosure, now: DateTime<Utc>) -> Result<Disclosure> {
        reaching(actor, &new.community_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        let version: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(version), 0) AS BIGINT) + 1 FROM disclosures \
             WHERE community_code = $1 AND kind = $2 AND period_from = $3",
        )
        .bind(new.community_code.clone())
        .bind(new.kind.as_str())
        .bind(new.period_from.to_string())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE disclosures SET superseded_at = $1 WHERE community_code = $2 AND kind = $3 AND period_from = $4 \
             AND superseded_at IS NULL",
        )
        .bind(ms(now))
        .bind(new.community_code.clone())
        .bind(new.kind.as_str())
        .bind(new.period_from.to_string())
        .execute(&mut *tx)
        .await?;
        let inserted = sqlx::query(
            "INSERT INTO disclosures (community_code, id, kind, period_from, period_to, period_label, version, title, \
             body, lines, published_at, published_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(new.community_code.clone())
        .bind(id.to_string())
        .bind(new.kind.as_str())
        .bind(new.period_from.to_string())
        .bind(new.period_to.to_string())
        .bind(new.period_label.clone())
        .bind(version)
        .bind(new.title.clone())
        .bind(new.body.clone())
        .bind(serde_json::to_string(&new.lines).map_err(corrupt)?)
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from);
        // Two corrections at once on PostgreSQL: the version's unique key keeps one.
        match inserted {
            Err(e) if e.is_unique_violation() => return Err(StoreError::Contention),
            other => other?,
        };
        let detail = serde_json::json!({ "kind": new.kind.as_str(), "period": new.period_label, "version": version });
        events::audit(&mut tx, now, actor, "disclosure_published", Some(Subject { kind: "disclosure", id }), detail)
            .await?;
        let row = sqlx::query(&format!("SELECT {DISCLOSURE_COLUMNS} FROM disclosures WHERE id = $1"))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        disclosure(&row)
    }

    async fn disclosures(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Disclosure>> {
        let mut args = Args::default();
        let condition = args.places("community_code", places);
        let sql = format!(
            "SELECT {DISCLOSURE_COLUMNS} FROM disclosures WHERE superseded_at IS NULL AND {condition} \
             ORDER BY period_from DESC, community_code, kind LIMIT {}",
            args.int(limit)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(disclosure).collect()
    }

    async fn disclosure_history(&self, id: Uuid) -> Result<Vec<Disclosure>> {
        sqlx::query(&format!(
            "SELECT {DISCLOSURE_COLUMNS} FROM disclosures d WHERE EXISTS (SELECT 1 FROM disclosures o WHERE o.id = $1 \
             AND o.community_code = d.community_code AND o.kind = d.kind AND o.period_from = d.period_from) \
             ORDER BY version DESC"
        ))
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(disclosure)
        .collect()
    }

    async fn missing_disclosures(
        &self,
        places: &PlaceFilter,
        kind: DisclosureKind,
        from: NaiveDate,
    ) -> Result<Vec<String>> {
        let mut args = Args::default();
        let condition = args.places("g.community_code", places);
        let sql = format!(
            "SELECT DISTINCT g.community_code FROM grids g WHERE {condition} AND NOT EXISTS (SELECT 1 FROM disclosures d \
             WHERE d.community_code = g.community_code AND d.kind = {} AND d.period_from = {}) ORDER BY g.community_code",
            args.text(kind.as_str()),
            args.text(from.to_string())
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter().map(|r| Ok(r.try_get("community_code")?)).collect()
    }

    async fn receive_misconduct(&self, new: &NewMisconduct, now: DateTime<Utc>) -> Result<MisconductReceipt> {
        let id = Uuid::now_v7();
        let sealed = serde_json::to_string(&new.account).map_err(corrupt)?;
        let query_code = new_query_code();
        let mut tx = self.write.begin().await?;
        // A tracking number drawn twice is drawn again.
        let mut tracking_no = new_tracking_no(now);
        for _ in 0..8 {
            let taken: Option<String> = sqlx::query_scalar("SELECT id FROM misconduct_reports WHERE tracking_no = $1")
                .bind(tracking_no.clone())
                .fetch_optional(&mut *tx)
                .await?;
            if taken.is_none() {
                break;
            }
            tracking_no = new_tracking_no(now);
        }
        sqlx::query(
            "INSERT INTO misconduct_reports (id, tracking_no, query_code_tag, place_code, kind, unit_id, account_enc, \
             state, received_at, accept_due) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(tracking_no.clone())
        .bind(self.cipher.query_code_tag(&tracking_no, &query_code))
        .bind(new.place_code.clone())
        .bind(new.kind.as_str())
        .bind(new.unit_id.clone())
        .bind(self.cipher.seal(&account_context(id), &sealed))
        .bind(MisconductState::Received.as_str())
        .bind(ms(now))
        .bind(ms(new.accept_due))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "unit_id": new.unit_id, "kind": new.kind.as_str() });
        events::audit_as(
            &mut tx,
            now,
            "resident",
            None,
            "misconduct_received",
            Some(Subject { kind: REPORT_KIND, id }),
            detail,
        )
        .await?;
        tx.commit().await?;
        Ok(MisconductReceipt { tracking_no, query_code, accept_due: from_ms(ms(new.accept_due)) })
    }

    async fn misconduct_reports(&self, unit_id: &str, limit: i64) -> Result<Vec<MisconductReport>> {
        sqlx::query(&format!(
            "SELECT {REPORT_COLUMNS} FROM misconduct_reports WHERE unit_id = $1 \
             ORDER BY CASE WHEN ended_at IS NULL THEN 0 ELSE 1 END, received_at LIMIT $2"
        ))
        .bind(unit_id.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(report)
        .collect()
    }

    async fn misconduct_report(&self, id: Uuid) -> Result<Option<MisconductReport>> {
        let mut conn = self.read.acquire().await?;
        report_in(&mut conn, id).await
    }

    async fn track_misconduct(&self, tracking_no: &str, query_code: &str) -> Result<Option<MisconductReport>> {
        let id: Option<String> =
            sqlx::query_scalar("SELECT id FROM misconduct_reports WHERE tracking_no = $1 AND query_code_tag = $2")
                .bind(tracking_no.to_string())
                .bind(self.cipher.query_code_tag(tracking_no, query_code))
                .fetch_optional(&self.read)
                .await?;
        let Some(id) = id else { return Ok(None) };
        let mut conn = self.read.acquire().await?;
        report_in(&mut conn, Uuid::parse_str(&id).map_err(corrupt)?).await
    }

    async fn open_misconduct(&self, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<MisconductAccount> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT unit_id, account_enc FROM misconduct_reports WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        of_unit(actor, &row.try_get::<String, _>("unit_id")?)?;
        let plain = self
            .cipher
            .open(&account_context(id), &row.try_get::<Vec<u8>, _>("account_enc")?)
            .map_err(StoreError::Crypto)?;
        events::audit(
            &mut tx,
            now,
            actor,
            "misconduct_opened",
            Some(Subject { kind: REPORT_KIND, id }),
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        serde_json::from_str(&plain).map_err(corrupt)
    }

    async fn move_misconduct(
        &self,
        actor: &Actor,
        id: Uuid,
        kind: MisconductMove,
        note: &str,
        finding: Option<Finding>,
        conclude_due: Option<DateTime<Utc>>,
        now: DateTime<Utc>,
    ) -> Result<MisconductReport> {
        let (from, to) = kind.from_to();
        let mut tx = self.write.begin().await?;
        let before = report_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        of_unit(actor, &before.unit_id)?;
        let ends = matches!(to, MisconductState::Concluded | MisconductState::Declined);
        // The reply and the end are written only when it ends (values, not a flag compared in
        // SQL, so both backends type them alike).
        let moved = sqlx::query(
            "UPDATE misconduct_reports SET state = $1, finding = COALESCE($2, finding), reply = COALESCE($3, reply), \
             conclude_due = COALESCE($4, conclude_due), ended_at = COALESCE($5, ended_at) WHERE id = $6 AND state = $7",
        )
        .bind(to.as_str())
        .bind(finding.map(|f| f.as_str()))
        .bind(ends.then(|| note.to_string()))
        .bind(conclude_due.map(ms))
        .bind(ends.then(|| ms(now)))
        .bind(id.to_string())
        .bind(from.as_str())
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() == 0 {
            return Err(FieldError::new(
                "move",
                format!("该举报{}，不能{}", before.state.label_zh(), kind.label_zh()),
                format!("the report is {}: it cannot be {}", before.state.label_en(), kind.label_en()),
            )
            .into());
        }
        let seq = i64::try_from(before.moves.len()).unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO misconduct_moves (report_id, seq, move, note, by_id, at) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(seq)
        .bind(kind.as_str())
        .bind(note.to_string())
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "move": kind.as_str(), "finding": finding.map(|f| f.as_str()) });
        events::audit(&mut tx, now, actor, "misconduct_moved", Some(Subject { kind: REPORT_KIND, id }), detail).await?;
        let after = report_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }
}
