//! Care for those who need it most: members, their flags and consent, the visits due.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::care::{next_visit_due, CareEnd, CareFlag, CarePlan, Consent, ConsentBy, ConsentForm, Member};
use grassroots_domain::{Actor, FieldError, Scope};
use serde::{Deserialize, Serialize};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::households::household_in;
use super::rows::{coded, date_column, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::care::{CareDue, CareFlagRecord, CareMember, GridCare, RevealedMember};
use crate::crypto::context;
use crate::{PlaceFilter, Result, StoreError};

/// What binds a member's sealed value to them.
pub(super) const PERSONAL: &str = "care_member.personal";
/// The name a member keeps once their data is erased.
const ERASED_NAME: &str = "—";
const MEMBER_KIND: &str = "care_member";

const MEMBER_COLUMNS: &str = "m.id, m.household_id, h.label AS household_label, m.grid_code, m.name_masked, \
     m.birth_year, m.created_at, m.erased_at";
const FLAG_COLUMNS: &str = "f.id, f.member_id, f.flag, f.visit_every_days, f.consent_by, f.consent_form, \
     f.consent_on, f.consent_reference, f.began_on, f.last_visited_on, f.next_visit_on, f.recorded_at, \
     f.ended_at, f.end_reason";

/// The sealed part of a member.
#[derive(Serialize, Deserialize)]
struct Personal {
    name: String,
    phone: Option<String>,
    note: Option<String>,
}

/// The member context of a sealed value (for re-sealing too).
pub(super) fn personal_context(id: Uuid) -> Vec<u8> {
    context(id, PERSONAL)
}

/// The grids a scope keeps care in: a grid worker's own grids (not their whole community, as
/// for participation), a region's grids, none for a unit.
fn care_places(scope: &Scope) -> PlaceFilter {
    match scope {
        Scope::All => PlaceFilter::Everywhere,
        Scope::Regions { codes } => PlaceFilter::Within(codes.iter().map(|c| c.as_str().to_string()).collect()),
        Scope::Grids { codes } => PlaceFilter::Of(codes.clone()),
        Scope::Unit { .. } => PlaceFilter::Of(Vec::new()),
    }
}

fn optional_date(r: &AnyRow, column: &str) -> Result<Option<NaiveDate>> {
    match r.try_get::<Option<String>, _>(column)? {
        None => Ok(None),
        Some(_) => date_column(r, column).map(Some),
    }
}

fn flag_record(r: &AnyRow) -> Result<CareFlagRecord> {
    Ok(CareFlagRecord {
        id: uuid_column(r, "id")?,
        flag: coded(CareFlag::parse, "care flag", r.try_get("flag")?)?,
        visit_every_days: u32::try_from(r.try_get::<i64, _>("visit_every_days")?).unwrap_or(0),
        consent: Consent {
            by: coded(ConsentBy::parse, "consent by", r.try_get("consent_by")?)?,
            form: coded(ConsentForm::parse, "consent form", r.try_get("consent_form")?)?,
            given_on: date_column(r, "consent_on")?,
            reference: r.try_get("consent_reference")?,
        },
        began_on: date_column(r, "began_on")?,
        last_visited_on: optional_date(r, "last_visited_on")?,
        next_visit_on: date_column(r, "next_visit_on")?,
        recorded_at: from_ms(r.try_get("recorded_at")?),
        ended_at: r.try_get::<Option<i64>, _>("ended_at")?.map(from_ms),
        end_reason: r
            .try_get::<Option<String>, _>("end_reason")?
            .map(|e| coded(CareEnd::parse, "care end", e))
            .transpose()?,
    })
}

fn member(r: &AnyRow, flags: Vec<CareFlagRecord>) -> Result<CareMember> {
    Ok(CareMember {
        id: uuid_column(r, "id")?,
        household_id: uuid_column(r, "household_id")?,
        household_label: r.try_get("household_label")?,
        grid_code: r.try_get("grid_code")?,
        name_masked: r.try_get("name_masked")?,
        birth_year: r.try_get::<Option<i64>, _>("birth_year")?.and_then(|y| i32::try_from(y).ok()),
        created_at: from_ms(r.try_get("created_at")?),
        erased_at: r.try_get::<Option<i64>, _>("erased_at")?.map(from_ms),
        flags,
    })
}

/// The members of `condition` (on `m`), with their flags, active first, each newest first.
async fn members_where(conn: &mut AnyConnection, condition: &str, args: Args) -> Result<Vec<CareMember>> {
    let sql = format!(
        "SELECT {MEMBER_COLUMNS} FROM care_members m JOIN households h ON h.id = m.household_id \
         WHERE {condition} ORDER BY m.created_at, m.id"
    );
    let rows = args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    let mut members = Vec::with_capacity(rows.len());
    for row in &rows {
        let id = uuid_column(row, "id")?;
        let flags = sqlx::query(&format!(
            "SELECT {FLAG_COLUMNS} FROM care_flags f WHERE f.member_id = $1 \
             ORDER BY CASE WHEN f.ended_at IS NULL THEN 0 ELSE 1 END, f.recorded_at DESC, f.id DESC"
        ))
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(flag_record)
        .collect::<Result<Vec<_>>>()?;
        members.push(member(row, flags)?);
    }
    Ok(members)
}

/// One member within the scope, or `NotFound`.
async fn member_in(conn: &mut AnyConnection, scope: &Scope, id: Uuid) -> Result<CareMember> {
    let mut args = Args::default();
    let condition =
        format!("m.id = {} AND {}", args.text(id.to_string()), args.places("m.grid_code", &care_places(scope)));
    members_where(conn, &condition, args).await?.pop().ok_or(StoreError::NotFound)
}

fn staff_scope(actor: &Actor) -> Result<(&Scope, Uuid)> {
    match actor {
        Actor::Staff { scope, user_id, .. } => Ok((scope, *user_id)),
        _ => Err(StoreError::NotFound),
    }
}

/// Moves the next visit of the household's active flags on after a visit on `visited_on`
/// (in the visit's transaction).
pub(super) async fn visited(conn: &mut AnyConnection, household: Uuid, visited_on: NaiveDate) -> Result<()> {
    let flags = sqlx::query(
        "SELECT grid_code, id, began_on, last_visited_on, visit_every_days FROM care_flags \
         WHERE household_id = $1 AND ended_at IS NULL",
    )
    .bind(household.to_string())
    .fetch_all(&mut *conn)
    .await?;
    for f in &flags {
        let last = optional_date(f, "last_visited_on")?;
        if last.is_some_and(|l| l >= visited_on) {
            continue;
        }
        let every = u32::try_from(f.try_get::<i64, _>("visit_every_days")?).unwrap_or(0);
        let next = next_visit_due(date_column(f, "began_on")?, Some(visited_on), every);
        sqlx::query("UPDATE care_flags SET last_visited_on = $1, next_visit_on = $2 WHERE grid_code = $3 AND id = $4")
            .bind(visited_on.to_string())
            .bind(next.to_string())
            .bind(f.try_get::<String, _>("grid_code")?)
            .bind(f.try_get::<String, _>("id")?)
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

#[async_trait::async_trait]
impl crate::CareStore for SqlStore {
    async fn add_care_member(
        &self,
        actor: &Actor,
        grid_code: &str,
        household_label: &str,
        person: &Member,
        now: DateTime<Utc>,
    ) -> Result<CareMember> {
        let (scope, user_id) = staff_scope(actor)?;
        let mut tx = self.write.begin().await?;
        let household = household_in(&mut tx, scope, grid_code, household_label).await?;
        let id = Uuid::now_v7();
        let personal = Personal { name: person.name.clone(), phone: person.phone.clone(), note: person.note.clone() };
        let plain = serde_json::to_string(&personal).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query(
            "INSERT INTO care_members (grid_code, id, household_id, name_masked, personal_enc, birth_year, created_at, \
             created_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(grid_code.to_string())
        .bind(id.to_string())
        .bind(household.to_string())
        .bind(person.masked_name())
        .bind(self.cipher.seal(&personal_context(id), &plain))
        .bind(person.birth_year.map(i64::from))
        .bind(ms(now))
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
        let subject = Some(Subject { kind: MEMBER_KIND, id });
        let detail = serde_json::json!({ "grid_code": grid_code, "household": household });
        events::audit(&mut tx, now, actor, "care_member_added", subject, detail).await?;
        let added = member_in(&mut tx, scope, id).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn care_member(&self, scope: &Scope, id: Uuid) -> Result<CareMember> {
        let mut conn = self.read.acquire().await?;
        member_in(&mut conn, scope, id).await
    }

    async fn care_members_of(&self, scope: &Scope, household: Uuid) -> Result<Vec<CareMember>> {
        let mut args = Args::default();
        let condition = format!(
            "m.household_id = {} AND {}",
            args.text(household.to_string()),
            args.places("m.grid_code", &care_places(scope))
        );
        let mut conn = self.read.acquire().await?;
        members_where(&mut conn, &condition, args).await
    }

    async fn flag_care(
        &self,
        actor: &Actor,
        id: Uuid,
        plan: &CarePlan,
        today: NaiveDate,
        now: DateTime<Utc>,
    ) -> Result<CareMember> {
        let (scope, user_id) = staff_scope(actor)?;
        let mut tx = self.write.begin().await?;
        let before = member_in(&mut tx, scope, id).await?;
        if before.erased_at.is_some() {
            return Err(FieldError::new(
                "member",
                "此人已撤回同意，信息已删除；如再次同意，请重新登记",
                "this person withdrew consent and their data was erased; record them anew if they consent again",
            )
            .into());
        }
        let already = || {
            StoreError::from(FieldError::new(
                "flag",
                format!("此人已标记为{}", plan.flag.label_zh()),
                format!("this person is already flagged as {}", plan.flag.label_en()),
            ))
        };
        if before.flags.iter().any(|f| f.flag == plan.flag && f.ended_at.is_none()) {
            return Err(already());
        }
        let flag_id = Uuid::now_v7();
        let c = &plan.consent;
        let inserted = sqlx::query(
            "INSERT INTO care_flags (grid_code, id, member_id, household_id, flag, visit_every_days, consent_by, \
             consent_form, consent_on, consent_reference, began_on, next_visit_on, recorded_by, recorded_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
        )
        .bind(before.grid_code.clone())
        .bind(flag_id.to_string())
        .bind(id.to_string())
        .bind(before.household_id.to_string())
        .bind(plan.flag.as_str())
        .bind(i64::from(plan.visit_every_days))
        .bind(c.by.as_str())
        .bind(c.form.as_str())
        .bind(c.given_on.to_string())
        .bind(c.reference.clone())
        .bind(today.to_string())
        .bind(next_visit_due(today, None, plan.visit_every_days).to_string())
        .bind(user_id.to_string())
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from);
        // Flagged by someone else meanwhile (PostgreSQL; SQLite's one writer serialises them).
        match inserted {
            Err(e) if e.is_unique_violation() => return Err(already()),
            other => other?,
        };
        let detail = serde_json::json!({
            "flag": plan.flag.as_str(), "visit_every_days": plan.visit_every_days, "consent": c,
        });
        events::audit(&mut tx, now, actor, "care_flagged", Some(Subject { kind: MEMBER_KIND, id }), detail).await?;
        let flagged = member_in(&mut tx, scope, id).await?;
        tx.commit().await?;
        Ok(flagged)
    }

    async fn end_care(
        &self,
        actor: &Actor,
        id: Uuid,
        flag: Option<CareFlag>,
        end: CareEnd,
        now: DateTime<Utc>,
    ) -> Result<CareMember> {
        let (scope, user_id) = staff_scope(actor)?;
        let mut tx = self.write.begin().await?;
        let before = member_in(&mut tx, scope, id).await?;
        let active: Vec<&CareFlagRecord> = before.flags.iter().filter(|f| f.ended_at.is_none()).collect();
        let ending: Vec<&CareFlagRecord> = match (end, flag) {
            (CareEnd::ConsentWithdrawn, _) => active,
            (_, Some(kind)) => active.into_iter().filter(|f| f.flag == kind).collect(),
            (_, None) => return Err(FieldError::new("flag", "请选择要结束的关爱类别", "choose the flag to end").into()),
        };
        if ending.is_empty() && end != CareEnd::ConsentWithdrawn {
            return Err(FieldError::new("flag", "此人没有该类关爱标记", "this person has no such active flag").into());
        }
        for f in &ending {
            sqlx::query(
                "UPDATE care_flags SET ended_at = $1, ended_by = $2, end_reason = $3 \
                 WHERE grid_code = $4 AND id = $5 AND ended_at IS NULL",
            )
            .bind(ms(now))
            .bind(user_id.to_string())
            .bind(end.as_str())
            .bind(before.grid_code.clone())
            .bind(f.id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        if end == CareEnd::ConsentWithdrawn {
            sqlx::query(
                "UPDATE care_members SET personal_enc = NULL, name_masked = $1, birth_year = NULL, erased_at = $2 \
                 WHERE grid_code = $3 AND id = $4",
            )
            .bind(ERASED_NAME)
            .bind(ms(now))
            .bind(before.grid_code.clone())
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        }
        let ended: Vec<&str> = ending.iter().map(|f| f.flag.as_str()).collect();
        let detail = serde_json::json!({ "end": end.as_str(), "flags": ended });
        events::audit(&mut tx, now, actor, "care_ended", Some(Subject { kind: MEMBER_KIND, id }), detail).await?;
        let after = member_in(&mut tx, scope, id).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn care_due(&self, scope: &Scope, grid: Option<&str>, until: NaiveDate, limit: i64) -> Result<Vec<CareDue>> {
        let mut args = Args::default();
        let mut conditions = vec![
            "f.ended_at IS NULL".to_string(),
            format!("f.next_visit_on <= {}", args.text(until.to_string())),
            args.places("f.grid_code", &care_places(scope)),
        ];
        if let Some(grid) = grid {
            conditions.push(format!("f.grid_code = {}", args.text(grid)));
        }
        let sql = format!(
            "SELECT f.member_id, f.flag, f.next_visit_on, f.last_visited_on, m.name_masked, m.birth_year, \
             m.household_id, h.label AS household_label, m.grid_code \
             FROM care_flags f JOIN care_members m ON m.grid_code = f.grid_code AND m.id = f.member_id \
             JOIN households h ON h.id = m.household_id WHERE {} ORDER BY f.next_visit_on, f.member_id LIMIT {}",
            conditions.join(" AND "),
            // Enough rows for `limit` people with every flag each.
            limit.saturating_mul(CareFlag::ALL.len() as i64)
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        // A member with several flags due is one visit: their row keeps the earliest day.
        let mut due: Vec<CareDue> = Vec::new();
        let mut at: BTreeMap<Uuid, usize> = BTreeMap::new();
        for r in &rows {
            let member_id = uuid_column(r, "member_id")?;
            let flag = coded(CareFlag::parse, "care flag", r.try_get("flag")?)?;
            if let Some(&i) = at.get(&member_id) {
                due[i].flags.push(flag);
                continue;
            }
            if due.len() as i64 == limit {
                continue;
            }
            at.insert(member_id, due.len());
            due.push(CareDue {
                member_id,
                name_masked: r.try_get("name_masked")?,
                birth_year: r.try_get::<Option<i64>, _>("birth_year")?.and_then(|y| i32::try_from(y).ok()),
                household_id: uuid_column(r, "household_id")?,
                household_label: r.try_get("household_label")?,
                grid_code: r.try_get("grid_code")?,
                flags: vec![flag],
                next_visit_on: date_column(r, "next_visit_on")?,
                last_visited_on: optional_date(r, "last_visited_on")?,
            });
        }
        Ok(due)
    }

    async fn grid_care(&self, scope: &Scope, grid: Option<&str>, today: NaiveDate) -> Result<Vec<GridCare>> {
        let mut args = Args::default();
        let today = args.text(today.to_string());
        let mut conditions = vec!["f.ended_at IS NULL".to_string(), args.places("f.grid_code", &care_places(scope))];
        if let Some(grid) = grid {
            conditions.push(format!("f.grid_code = {}", args.text(grid)));
        }
        let sql = format!(
            "SELECT f.grid_code, COUNT(DISTINCT f.member_id) AS members, \
             COUNT(DISTINCT CASE WHEN f.next_visit_on < {today} THEN f.member_id END) AS missed \
             FROM care_flags f WHERE {} GROUP BY f.grid_code ORDER BY f.grid_code",
            conditions.join(" AND ")
        );
        args.bind(sqlx::query(&sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(GridCare {
                    grid_code: r.try_get("grid_code")?,
                    members: r.try_get("members")?,
                    missed: r.try_get("missed")?,
                })
            })
            .collect()
    }

    async fn erase_lapsed_care(
        &self,
        ended_before: DateTime<Utc>,
        recorded_before: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let erased = sqlx::query(
            "UPDATE care_members SET personal_enc = NULL, name_masked = $1, birth_year = NULL, erased_at = $2 \
             WHERE erased_at IS NULL \
             AND NOT EXISTS (SELECT 1 FROM care_flags f WHERE f.member_id = care_members.id AND f.ended_at IS NULL) \
             AND ((SELECT MAX(f.ended_at) FROM care_flags f WHERE f.member_id = care_members.id) < $3 \
                  OR (created_at < $4 AND NOT EXISTS (SELECT 1 FROM care_flags f WHERE f.member_id = care_members.id)))",
        )
        .bind(ERASED_NAME)
        .bind(ms(now))
        .bind(ms(ended_before))
        .bind(ms(recorded_before))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if erased > 0 {
            let detail = serde_json::json!({ "erased": erased });
            events::audit_as(&mut tx, now, "system", None, "care_erased", None, detail).await?;
        }
        tx.commit().await?;
        Ok(erased)
    }

    async fn reveal_care_member(
        &self,
        actor: &Actor,
        id: Uuid,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<RevealedMember> {
        let (scope, _) = staff_scope(actor)?;
        let mut args = Args::default();
        let sql = format!(
            "SELECT m.personal_enc FROM care_members m WHERE m.id = {} AND {}",
            args.text(id.to_string()),
            args.places("m.grid_code", &care_places(scope))
        );
        let row = args.bind(sqlx::query(&sql)).fetch_optional(&self.read).await?.ok_or(StoreError::NotFound)?;
        let sealed: Vec<u8> = row.try_get::<Option<Vec<u8>>, _>("personal_enc")?.ok_or(StoreError::NotFound)?;
        let plain = self.cipher.open(&personal_context(id), &sealed).map_err(StoreError::Crypto)?;
        let personal: Personal = serde_json::from_str(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write.begin().await?;
        let detail = serde_json::json!({ "reason": reason });
        events::audit(&mut tx, now, actor, "care_revealed", Some(Subject { kind: MEMBER_KIND, id }), detail).await?;
        tx.commit().await?;
        Ok(RevealedMember { name: personal.name, phone: personal.phone, note: personal.note })
    }
}
