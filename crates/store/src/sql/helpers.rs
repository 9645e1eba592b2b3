//! Helpers, their skills and their points: registration, verification, the helpers of a
//! skill for matching, redemptions checked against the balance in the statement that takes
//! them, and rankings by hours confirmed.

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::helpers::{
    Availability, Commitment, HelperKind, HelperState, Qualification, Registration, Skill,
};
use grassroots_domain::needs::may_redeem;
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, date_column, optional_uuid, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::crypto::context;
use crate::helpers::{
    Available, CommitmentRecord, Delivery, Helper, HelperContact, Points, PointsEntry, PointsKind, RankedHelper,
    Registrant,
};
use crate::{PlaceFilter, Result, StoreError};

/// What binds a helper's sealed value to them.
pub(super) const PERSONAL: &str = "helper.personal";
const HELPER_KIND: &str = "helper";

const HELPER_COLUMNS: &str = "h.id, h.kind, h.region_code, h.shown_name, h.resident_id, h.credit_code, \
     h.qualification, h.certificate_no, h.affiliation, h.availability, h.about, h.state, h.state_reason, h.state_at, \
     h.minutes_confirmed, h.points_earned, h.points_redeemed, h.created_at";
const POINTS_COLUMNS: &str = "id, kind, need_id, minutes, points, item, balance_after, recorded_at";

/// The helper context of a sealed value (for re-sealing too).
pub(super) fn personal_context(id: Uuid) -> Vec<u8> {
    context(id, PERSONAL)
}

fn helper(r: &AnyRow, skills: Vec<Skill>) -> Result<Helper> {
    let availability: i64 = r.try_get("availability")?;
    Ok(Helper {
        id: uuid_column(r, "id")?,
        kind: coded(HelperKind::parse, "helper kind", r.try_get("kind")?)?,
        region_code: r.try_get("region_code")?,
        shown_name: r.try_get("shown_name")?,
        resident_id: optional_uuid(r, "resident_id")?,
        credit_code: r.try_get("credit_code")?,
        qualification: r
            .try_get::<Option<String>, _>("qualification")?
            .map(|q| coded(Qualification::parse, "qualification", q))
            .transpose()?,
        certificate_no: r.try_get("certificate_no")?,
        affiliation: r.try_get("affiliation")?,
        skills,
        availability: Availability::from_bits(availability)
            .ok_or_else(|| StoreError::Corrupt(format!("availability: {availability}")))?,
        about: r.try_get("about")?,
        state: coded(HelperState::parse, "helper state", r.try_get("state")?)?,
        state_reason: r.try_get("state_reason")?,
        state_at: r.try_get::<Option<i64>, _>("state_at")?.map(from_ms),
        points: Points {
            minutes_confirmed: r.try_get("minutes_confirmed")?,
            earned: r.try_get("points_earned")?,
            redeemed: r.try_get("points_redeemed")?,
        },
        created_at: from_ms(r.try_get("created_at")?),
    })
}

fn points_entry(r: &AnyRow) -> Result<PointsEntry> {
    let kind: String = r.try_get("kind")?;
    Ok(PointsEntry {
        id: uuid_column(r, "id")?,
        kind: match kind.as_str() {
            "earned" => PointsKind::Earned,
            "redeemed" => PointsKind::Redeemed,
            other => return Err(StoreError::Corrupt(format!("points kind: {other}"))),
        },
        need_id: optional_uuid(r, "need_id")?,
        minutes: r.try_get("minutes")?,
        points: r.try_get("points")?,
        item: r.try_get("item")?,
        balance_after: r.try_get("balance_after")?,
        recorded_at: from_ms(r.try_get("recorded_at")?),
    })
}

/// The helpers of `condition` (on `h`), with their skills.
/// How many ids one `IN (…)` lists.
const IN_LIST: usize = 500;

/// Per helper of `ids`, the values a query gives in its order: `sql` selects `helper_id`, with
/// `{ids}` standing for the list.
async fn per_helper<T>(
    conn: &mut AnyConnection,
    ids: &[String],
    sql: &str,
    value: impl Fn(&AnyRow) -> Result<T>,
) -> Result<std::collections::HashMap<String, Vec<T>>> {
    let mut found: std::collections::HashMap<String, Vec<T>> = std::collections::HashMap::new();
    for chunk in ids.chunks(IN_LIST) {
        let mut args = Args::default();
        let list: Vec<String> = chunk.iter().map(|id| args.text(id.clone())).collect();
        let sql = sql.replace("{ids}", &list.join(", "));
        for row in args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await? {
            found.entry(row.try_get("helper_id")?).or_default().push(value(&row)?);
        }
    }
    Ok(found)
}

/// The helpers of `condition` (on `h`), with their skills (read in one query, not one a helper).
async fn helpers_where(conn: &mut AnyConnection, condition: &str, args: Args, tail: &str) -> Result<Vec<Helper>> {
    let sql = format!("SELECT {HELPER_COLUMNS} FROM helpers h WHERE {condition} {tail}");
    let rows = args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    let ids = rows.iter().map(|r| r.try_get("id")).collect::<Result<Vec<String>, _>>()?;
    let mut skills = per_helper(
        conn,
        &ids,
        "SELECT helper_id, skill FROM helper_skills WHERE helper_id IN ({ids}) ORDER BY skill",
        |r| coded(Skill::parse, "skill", r.try_get("skill")?),
    )
    .await?;
    rows.iter().zip(&ids).map(|(row, id)| helper(row, skills.remove(id).unwrap_or_default())).collect()
}

pub(super) async fn helper_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Helper>> {
    let mut args = Args::default();
    let condition = format!("h.id = {}", args.text(id.to_string()));
    Ok(helpers_where(conn, &condition, args, "").await?.pop())
}

/// Credits a helper the minutes of a confirmed need and their points, in the caller's
/// transaction, with the ledger's entry.
pub(super) async fn credit(
    conn: &mut AnyConnection,
    helper: Uuid,
    need: Uuid,
    minutes: i64,
    points: i64,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    let balance: i64 = sqlx::query_scalar(
        "UPDATE helpers SET minutes_confirmed = minutes_confirmed + $1, points_earned = points_earned + $2 \
         WHERE id = $3 RETURNING points_earned - points_redeemed",
    )
    .bind(minutes)
    .bind(points)
    .bind(helper.to_string())
    .fetch_one(&mut *conn)
    .await?;
    insert_points(conn, helper, PointsKind::Earned, Some(need), minutes, points, None, balance, by, now).await
}

#[allow(clippy::too_many_arguments)]
async fn insert_points(
    conn: &mut AnyConnection,
    helper: Uuid,
    kind: PointsKind,
    need: Option<Uuid>,
    minutes: i64,
    points: i64,
    item: Option<&str>,
    balance_after: i64,
    by: Option<Uuid>,
    now: DateTime<Utc>,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO helper_points (helper_id, id, kind, need_id, minutes, points, item, balance_after, \
         recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
    )
    .bind(helper.to_string())
    .bind(Uuid::now_v7().to_string())
    .bind(match kind {
        PointsKind::Earned => "earned",
        PointsKind::Redeemed => "redeemed",
    })
    .bind(need.map(|n| n.to_string()))
    .bind(minutes)
    .bind(points)
    .bind(item.map(str::to_string))
    .bind(balance_after)
    .bind(by.map(|b| b.to_string()).unwrap_or_default())
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(())
}

#[async_trait::async_trait]
impl crate::HelperStore for SqlStore {
    async fn register_helper(
        &self,
        by: Registrant<'_>,
        r: &Registration,
        contact: &HelperContact,
        now: DateTime<Utc>,
    ) -> Result<Helper> {
        let (resident, actor_kind, actor_id) = match by {
            Registrant::Resident(resident) => (Some(resident), "resident", Some(resident)),
            Registrant::Staff(actor) => {
                reaching(actor, &r.region_code)?;
                (None, actor.kind(), actor.id())
            }
        };
        let mut tx = self.write.begin().await?;
        if let Some(resident) = resident {
            if sqlx::query("SELECT 1 FROM helpers WHERE resident_id = $1")
                .bind(resident.to_string())
                .fetch_optional(&mut *tx)
                .await?
                .is_some()
            {
                return Err(FieldError::new("kind", "您已登记过，无需重复登记", "you are registered already").into());
            }
        }
        if let Some(code) = &r.credit_code {
            if sqlx::query("SELECT 1 FROM helpers WHERE credit_code = $1")
                .bind(code.clone())
                .fetch_optional(&mut *tx)
                .await?
                .is_some()
            {
                return Err(FieldError::new(
                    "credit_code",
                    "该统一社会信用代码已登记",
                    "an organisation with this code is registered already",
                )
                .into());
            }
        }
        let id = Uuid::now_v7();
        let plain = serde_json::to_string(contact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO helpers (id, kind, region_code, shown_name, personal_enc, resident_id, credit_code, \
             qualification, certificate_no, availability, about, state, created_at, created_by, affiliation) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(id.to_string())
        .bind(r.kind.as_str())
        .bind(r.region_code.clone())
        .bind(r.shown_name())
        .bind(self.cipher.seal(&personal_context(id), &plain))
        .bind(resident.map(|u| u.to_string()))
        .bind(r.credit_code.clone())
        .bind(r.qualification.map(|q| q.as_str().to_string()))
        .bind(r.certificate_no.clone())
        .bind(r.availability.bits())
        .bind(r.about.clone())
        .bind(HelperState::Pending.as_str())
        .bind(ms(now))
        .bind(actor_id.map(|u| u.to_string()).unwrap_or_default())
        .bind(r.affiliation.clone())
        .execute(&mut *tx)
        .await?;
        for skill in &r.skills {
            sqlx::query("INSERT INTO helper_skills (skill, helper_id) VALUES ($1, $2)")
                .bind(skill.as_str())
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({ "kind": r.kind.as_str(), "region_code": r.region_code });
        let subject = Some(Subject { kind: HELPER_KIND, id });
        events::audit_as(&mut tx, now, actor_kind, actor_id, "helper_registered", subject, detail).await?;
        let registered = helper_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(registered)
    }

    async fn helper(&self, id: Uuid) -> Result<Option<Helper>> {
        let mut conn = self.read.acquire().await?;
        helper_in(&mut conn, id).await
    }

    async fn helper_of_resident(&self, resident: Uuid) -> Result<Option<Helper>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let condition = format!("h.resident_id = {}", args.text(resident.to_string()));
        Ok(helpers_where(&mut conn, &condition, args, "").await?.pop())
    }

    async fn helper_contact(&self, id: Uuid) -> Result<HelperContact> {
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT personal_enc FROM helpers WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let plain = self.cipher.open(&personal_context(id), &sealed).map_err(StoreError::Crypto)?;
        serde_json::from_str(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn helpers(&self, places: &PlaceFilter, state: Option<HelperState>, limit: i64) -> Result<Vec<Helper>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let mut condition = args.places("h.region_code", places);
        if let Some(state) = state {
            condition = format!("{condition} AND h.state = {}", args.text(state.as_str()));
        }
        let tail = format!(
            "ORDER BY CASE h.state WHEN 'pending' THEN 0 WHEN 'verified' THEN 1 ELSE 2 END, h.created_at DESC, h.id \
             LIMIT {}",
            args.int(limit)
        );
        helpers_where(&mut conn, &condition, args, &tail).await
    }

    async fn set_helper_state(
        &self,
        actor: &Actor,
        id: Uuid,
        state: HelperState,
        reason: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<Helper> {
        let mut tx = self.write.begin().await?;
        let before = helper_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &before.region_code)?;
        sqlx::query("UPDATE helpers SET state = $1, state_reason = $2, state_by = $3, state_at = $4 WHERE id = $5")
            .bind(state.as_str())
            .bind(reason.map(str::to_string))
            .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "from": before.state.as_str(), "to": state.as_str(), "reason": reason });
        events::audit(&mut tx, now, actor, "helper_state", Some(Subject { kind: HELPER_KIND, id }), detail).await?;
        let after = helper_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn helpers_with_skill(&self, skill: Skill, within: &str) -> Result<Vec<Available>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let condition = format!(
            "h.state = 'verified' AND h.region_code LIKE {} AND h.id IN \
             (SELECT helper_id FROM helper_skills WHERE skill = {})",
            args.text(format!("{within}%")),
            args.text(skill.as_str())
        );
        let helpers = helpers_where(&mut conn, &condition, args, "ORDER BY h.id").await?;
        let ids: Vec<String> = helpers.iter().map(|h| h.id.to_string()).collect();
        let open = per_helper(
            &mut conn,
            &ids,
            "SELECT helper_id, COUNT(*) AS n FROM needs WHERE helper_id IN ({ids}) \
             AND state IN ('offered', 'accepted', 'done') GROUP BY helper_id",
            |r| Ok(r.try_get::<i64, _>("n")?),
        )
        .await?;
        Ok(helpers
            .into_iter()
            .map(|helper| {
                let n = open.get(&helper.id.to_string()).and_then(|n| n.first().copied()).unwrap_or(0);
                Available { helper, open_tasks: u32::try_from(n).unwrap_or(u32::MAX) }
            })
            .collect())
    }

    async fn redeem_points(
        &self,
        actor: &Actor,
        id: Uuid,
        points: i64,
        item: &str,
        now: DateTime<Utc>,
    ) -> Result<PointsEntry> {
        let mut tx = self.write.begin().await?;
        let before = helper_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &before.region_code)?;
        // Taken only while the balance holds it: the condition and the change are one
        // statement, so two redemptions at once cannot both pass the same balance.
        let balance: Option<i64> = sqlx::query_scalar(
            "UPDATE helpers SET points_redeemed = points_redeemed + $1 \
             WHERE id = $2 AND points_earned - points_redeemed >= $1 RETURNING points_earned - points_redeemed",
        )
        .bind(points)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(balance) = balance else {
            let now_held = helper_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
            may_redeem(now_held.points.balance(), points)?;
            return Err(StoreError::Contention);
        };
        insert_points(&mut tx, id, PointsKind::Redeemed, None, 0, points, Some(item), balance, actor.id(), now).await?;
        let detail = serde_json::json!({ "points": points, "item": item, "balance_after": balance });
        events::audit(&mut tx, now, actor, "points_redeemed", Some(Subject { kind: HELPER_KIND, id }), detail).await?;
        let entry = sqlx::query(&format!(
            "SELECT {POINTS_COLUMNS} FROM helper_points WHERE helper_id = $1 ORDER BY id DESC LIMIT 1"
        ))
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        let entry = points_entry(&entry)?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn commit_helper(&self, actor: &Actor, id: Uuid, c: &Commitment, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let helper = helper_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &helper.region_code)?;
        let seq: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) + 1 FROM helper_commitments WHERE helper_id = $1",
        )
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO helper_commitments (helper_id, seq, year, what, unit, target, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(seq)
        .bind(i64::from(c.year))
        .bind(c.what.clone())
        .bind(c.unit.clone())
        .bind(c.target)
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "year": c.year, "what": c.what, "target": c.target });
        events::audit(&mut tx, now, actor, "helper_committed", Some(Subject { kind: HELPER_KIND, id }), detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_delivery(
        &self,
        actor: &Actor,
        id: Uuid,
        seq: i64,
        on: NaiveDate,
        amount: i64,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let helper = helper_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &helper.region_code)?;
        let added =
            sqlx::query("UPDATE helper_commitments SET delivered = delivered + $1 WHERE helper_id = $2 AND seq = $3")
                .bind(amount)
                .bind(id.to_string())
                .bind(seq)
                .execute(&mut *tx)
                .await?;
        if added.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        let n: i64 = sqlx::query_scalar(
            "SELECT CAST(COALESCE(MAX(n), 0) AS BIGINT) + 1 FROM commitment_deliveries WHERE helper_id = $1 AND seq = $2",
        )
        .bind(id.to_string())
        .bind(seq)
        .fetch_one(&mut *tx)
        .await?;
        sqlx::query(
            "INSERT INTO commitment_deliveries (helper_id, seq, n, on_day, amount, note, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(seq)
        .bind(n)
        .bind(on.to_string())
        .bind(amount)
        .bind(note.map(str::to_string))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "commitment": seq, "on": on, "amount": amount });
        events::audit(&mut tx, now, actor, "commitment_delivered", Some(Subject { kind: HELPER_KIND, id }), detail)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn commitments(&self, helper: Uuid) -> Result<Vec<CommitmentRecord>> {
        let mut conn = self.read.acquire().await?;
        let rows = sqlx::query(
            "SELECT seq, year, what, unit, target, delivered FROM helper_commitments WHERE helper_id = $1 \
             ORDER BY year DESC, seq",
        )
        .bind(helper.to_string())
        .fetch_all(&mut *conn)
        .await?;
        let mut records = Vec::with_capacity(rows.len());
        for r in &rows {
            let seq: i64 = r.try_get("seq")?;
            let deliveries = sqlx::query(
                "SELECT on_day, amount, note FROM commitment_deliveries WHERE helper_id = $1 AND seq = $2 ORDER BY n",
            )
            .bind(helper.to_string())
            .bind(seq)
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|d| {
                Ok(Delivery { on: date_column(d, "on_day")?, amount: d.try_get("amount")?, note: d.try_get("note")? })
            })
            .collect::<Result<_>>()?;
            records.push(CommitmentRecord {
                seq,
                commitment: Commitment {
                    year: i32::try_from(r.try_get::<i64, _>("year")?).unwrap_or(0),
                    what: r.try_get("what")?,
                    unit: r.try_get("unit")?,
                    target: r.try_get("target")?,
                },
                delivered: r.try_get("delivered")?,
                deliveries,
            });
        }
        Ok(records)
    }

    async fn points_entries(&self, helper: Uuid, limit: i64) -> Result<Vec<PointsEntry>> {
        sqlx::query(&format!(
            "SELECT {POINTS_COLUMNS} FROM helper_points WHERE helper_id = $1 ORDER BY id DESC LIMIT $2"
        ))
        .bind(helper.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(points_entry)
        .collect()
    }

    async fn helper_ranking(&self, within: &str, since: DateTime<Utc>, limit: i64) -> Result<Vec<RankedHelper>> {
        sqlx::query(
            "SELECT h.id, h.shown_name, h.kind, h.region_code, CAST(SUM(p.minutes) AS BIGINT) AS minutes \
             FROM helper_points p JOIN helpers h ON h.id = p.helper_id \
             WHERE p.kind = 'earned' AND p.recorded_at >= $1 AND h.region_code LIKE $2 \
             GROUP BY h.id, h.shown_name, h.kind, h.region_code \
             ORDER BY SUM(p.minutes) DESC, h.id LIMIT $3",
        )
        .bind(ms(since))
        .bind(format!("{within}%"))
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(RankedHelper {
                helper_id: uuid_column(r, "id")?,
                shown_name: r.try_get("shown_name")?,
                kind: coded(HelperKind::parse, "helper kind", r.try_get("kind")?)?,
                region_code: r.try_get("region_code")?,
                minutes: r.try_get("minutes")?,
            })
        })
        .collect()
    }
}
