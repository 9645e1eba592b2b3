//! The service catalogue, applications and appointments.

use chrono::{DateTime, NaiveDate, NaiveTime, Utc};
use grassroots_domain::personal::mask_name;
use grassroots_domain::services::{ApplicationMove, ApplicationState, ServiceItem};
use grassroots_domain::FieldError;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, date_column, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::crypto::context;
use crate::services::{
    ApplicantData, Application, ApplicationActor, ApplicationFile, ApplicationMoveRecord, ApplicationStep, Appointment,
    NewApplication, SlotTaken,
};
use crate::{NewAttachment, PlaceFilter, Result, StoreError};

/// What binds an application's sealed applicant to it.
pub(super) const APPLICANT: &str = "application.applicant";
const APPLICATION_KIND: &str = "application";

const ITEM_COLUMNS: &str =
    "code, name, department, who_may_apply, materials, time_limit_days, fee, place, online, keywords";
const APPLICATION_COLUMNS: &str = "a.id, a.street_code, a.item_code, i.name AS item_name, a.resident_id, \
     a.applicant_masked, a.note, a.state, a.due_at, a.received_at, a.accepted_at, a.decided_at";
const APPLICATION_FROM: &str = "applications a JOIN service_items i ON i.code = a.item_code";

/// The application context of a sealed applicant (for re-sealing too).
pub(super) fn applicant_context(id: Uuid) -> Vec<u8> {
    context(id, APPLICANT)
}

fn item(r: &AnyRow) -> Result<ServiceItem> {
    let materials: String = r.try_get("materials")?;
    Ok(ServiceItem {
        code: r.try_get("code")?,
        name: r.try_get("name")?,
        department: r.try_get("department")?,
        who_may_apply: r.try_get("who_may_apply")?,
        materials: materials.lines().map(str::to_string).collect(),
        time_limit_days: u32::try_from(r.try_get::<i64, _>("time_limit_days")?).unwrap_or(0),
        fee: r.try_get("fee")?,
        place: r.try_get("place")?,
        online: r.try_get::<i64, _>("online")? != 0,
        keywords: r.try_get("keywords")?,
    })
}

fn application(r: &AnyRow) -> Result<Application> {
    Ok(Application {
        id: uuid_column(r, "id")?,
        street_code: r.try_get("street_code")?,
        item_code: r.try_get("item_code")?,
        item_name: r.try_get("item_name")?,
        resident_id: uuid_column(r, "resident_id")?,
        applicant_masked: r.try_get("applicant_masked")?,
        note: r.try_get("note")?,
        state: coded(ApplicationState::parse, "application state", r.try_get("state")?)?,
        due_at: r.try_get::<Option<i64>, _>("due_at")?.map(from_ms),
        received_at: from_ms(r.try_get("received_at")?),
        accepted_at: r.try_get::<Option<i64>, _>("accepted_at")?.map(from_ms),
        decided_at: r.try_get::<Option<i64>, _>("decided_at")?.map(from_ms),
        files: Vec::new(),
        moves: Vec::new(),
    })
}

fn appointment(r: &AnyRow) -> Result<Appointment> {
    let slot: String = r.try_get("slot")?;
    Ok(Appointment {
        id: uuid_column(r, "id")?,
        street_code: r.try_get("street_code")?,
        day: date_column(r, "day")?,
        slot: NaiveTime::parse_from_str(&slot, "%H:%M").map_err(|_| StoreError::Corrupt(format!("slot: {slot}")))?,
        item_code: r.try_get("item_code")?,
        booked_at: from_ms(r.try_get("booked_at")?),
    })
}

async fn applications_where(
    conn: &mut AnyConnection,
    condition: &str,
    args: Args,
    tail: &str,
) -> Result<Vec<Application>> {
    let sql = format!("SELECT {APPLICATION_COLUMNS} FROM {APPLICATION_FROM} WHERE {condition} {tail}");
    args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?.iter().map(application).collect()
}

async fn application_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Application>> {
    let mut args = Args::default();
    let condition = format!("a.id = {}", args.text(id.to_string()));
    let Some(mut found) = applications_where(conn, &condition, args, "").await?.pop() else { return Ok(None) };
    found.files = sqlx::query(
        "SELECT digest, media_type, added_at FROM application_files WHERE application_id = $1 ORDER BY added_at, digest",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ApplicationFile {
            digest: r.try_get("digest")?,
            media_type: r.try_get("media_type")?,
            added_at: from_ms(r.try_get("added_at")?),
        })
    })
    .collect::<Result<_>>()?;
    found.moves = sqlx::query(
        "SELECT seq, move, state_after, by_kind, note, at FROM application_moves WHERE application_id = $1 ORDER BY seq",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(ApplicationMoveRecord {
            seq: r.try_get("seq")?,
            kind: coded(ApplicationMove::parse, "application move", r.try_get("move")?)?,
            state_after: coded(ApplicationState::parse, "application state", r.try_get("state_after")?)?,
            by: r.try_get("by_kind")?,
            note: r.try_get("note")?,
            at: from_ms(r.try_get("at")?),
        })
    })
    .collect::<Result<_>>()?;
    Ok(Some(found))
}

impl SqlStore {
    /// Writes the files of materials (before the transaction that names them commits) and
    /// names them in it.
    async fn keep_materials(
        &self,
        conn: &mut AnyConnection,
        id: Uuid,
        files: &[NewAttachment],
        now: DateTime<Utc>,
    ) -> Result<()> {
        for file in files {
            let digest = self.files.put(file.bytes.clone()).await?.digest;
            sqlx::query(
                "INSERT INTO application_files (application_id, digest, media_type, added_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (application_id, digest) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(digest)
            .bind(file.media_type.clone())
            .bind(ms(now))
            .execute(&mut *conn)
            .await?;
        }
        Ok(())
    }
}

#[allow(clippy::too_many_arguments)]
async fn log_move(
    conn: &mut AnyConnection,
    id: Uuid,
    kind: ApplicationMove,
    state_after: ApplicationState,
    by_kind: &str,
    by_id: Option<Uuid>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let seq: i64 = sqlx::query_scalar(
        "SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) + 1 FROM application_moves WHERE application_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    sqlx::query(
        "INSERT INTO application_moves (application_id, seq, move, state_after, by_kind, by_id, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(seq)
    .bind(kind.as_str())
    .bind(state_after.as_str())
    .bind(by_kind.to_string())
    .bind(by_id.map(|u| u.to_string()))
    .bind(note.map(str::to_string))
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    let detail = serde_json::json!({ "state": state_after.as_str(), "note": note });
    let subject = Some(Subject { kind: APPLICATION_KIND, id });
    events::audit_as(conn, now, by_kind, by_id, &format!("application_{}", kind.as_str()), subject, detail).await
}

#[async_trait::async_trait]
impl crate::ServiceStore for SqlStore {
    async fn upsert_service_items(&self, items: &[ServiceItem], now: DateTime<Utc>) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        for i in items {
            sqlx::query(&format!(
                "INSERT INTO service_items ({ITEM_COLUMNS}, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) \
                 ON CONFLICT (code) DO UPDATE SET name = $2, department = $3, who_may_apply = $4, materials = $5, \
                 time_limit_days = $6, fee = $7, place = $8, online = $9, keywords = $10, updated_at = $11"
            ))
            .bind(i.code.clone())
            .bind(i.name.clone())
            .bind(i.department.clone())
            .bind(i.who_may_apply.clone())
            .bind(i.materials.join("\n"))
            .bind(i64::from(i.time_limit_days))
            .bind(i.fee.clone())
            .bind(i.place.clone())
            .bind(i64::from(i.online))
            .bind(i.keywords.clone())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        let detail = serde_json::json!({ "items": items.len() });
        events::audit_as(&mut tx, now, "system", None, "service_items_loaded", None, detail).await?;
        tx.commit().await?;
        Ok(items.len() as u64)
    }

    async fn service_items(&self) -> Result<Vec<ServiceItem>> {
        sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM service_items ORDER BY code"))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(item)
            .collect()
    }

    async fn service_item(&self, code: &str) -> Result<Option<ServiceItem>> {
        let row = sqlx::query(&format!("SELECT {ITEM_COLUMNS} FROM service_items WHERE code = $1"))
            .bind(code.to_string())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(item).transpose()
    }

    async fn submit_application(&self, new: &NewApplication, now: DateTime<Utc>) -> Result<Application> {
        let id = Uuid::now_v7();
        let plain = serde_json::to_string(&new.applicant).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO applications (id, street_code, item_code, resident_id, applicant_masked, applicant_enc, note, \
             state, due_at, received_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10)",
        )
        .bind(id.to_string())
        .bind(new.street_code.clone())
        .bind(new.item_code.clone())
        .bind(new.resident_id.to_string())
        .bind(mask_name(&new.applicant.name))
        .bind(self.cipher.seal(&applicant_context(id), &plain))
        .bind(new.note.clone())
        .bind(ApplicationState::Received.as_str())
        .bind(ms(new.due_at))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        self.keep_materials(&mut tx, id, &new.files, now).await?;
        let detail =
            serde_json::json!({ "item": new.item_code, "street_code": new.street_code, "files": new.files.len() });
        let subject = Some(Subject { kind: APPLICATION_KIND, id });
        events::audit_as(&mut tx, now, "resident", Some(new.resident_id), "application_submitted", subject, detail)
            .await?;
        let submitted = application_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(submitted)
    }

    async fn application(&self, id: Uuid) -> Result<Option<Application>> {
        let mut conn = self.read.acquire().await?;
        application_in(&mut conn, id).await
    }

    async fn applicant(&self, id: Uuid) -> Result<ApplicantData> {
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT applicant_enc FROM applications WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let plain = self.cipher.open(&applicant_context(id), &sealed).map_err(StoreError::Crypto)?;
        serde_json::from_str(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn applications_of_resident(&self, resident: Uuid, limit: i64) -> Result<Vec<Application>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let condition = format!("a.resident_id = {}", args.text(resident.to_string()));
        let tail = format!("ORDER BY a.received_at DESC, a.id LIMIT {}", args.int(limit));
        applications_where(&mut conn, &condition, args, &tail).await
    }

    async fn applications(&self, places: &PlaceFilter, open_only: bool, limit: i64) -> Result<Vec<Application>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let mut condition = args.places("a.street_code", places);
        if open_only {
            condition.push_str(" AND a.state IN ('received', 'more_materials', 'accepted', 'approved')");
        }
        let tail = format!(
            "ORDER BY CASE WHEN a.due_at IS NULL THEN 1 ELSE 0 END, a.due_at, a.received_at, a.id LIMIT {}",
            args.int(limit)
        );
        applications_where(&mut conn, &condition, args, &tail).await
    }

    async fn move_application(
        &self,
        by: ApplicationActor<'_>,
        id: Uuid,
        from: ApplicationState,
        step: &ApplicationStep,
        now: DateTime<Utc>,
    ) -> Result<Application> {
        let to = step.kind.from(from)?;
        let (by_kind, by_id) = match by {
            ApplicationActor::Staff(actor) => (actor.kind(), actor.id()),
            ApplicationActor::Resident(resident) => ("resident", Some(resident)),
        };
        let mut tx = self.write.begin().await?;
        let stamp = match step.kind {
            ApplicationMove::Accept => ", accepted_at = $5",
            ApplicationMove::Approve | ApplicationMove::Refuse | ApplicationMove::Withdraw => ", decided_at = $5",
            ApplicationMove::AskForMore | ApplicationMove::Resubmit | ApplicationMove::Complete => "",
        };
        let moved = sqlx::query(&format!(
            "UPDATE applications SET state = $1, due_at = $2, updated_at = $5{stamp} WHERE id = $3 AND state = $4"
        ))
        .bind(to.as_str())
        .bind(step.due_at.map(ms))
        .bind(id.to_string())
        .bind(from.as_str())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        if moved.rows_affected() != 1 {
            return Err(FieldError::new(
                "move",
                "办件已被他人处理，请刷新后再操作",
                "the application has moved meanwhile: reload and try again",
            )
            .into());
        }
        self.keep_materials(&mut tx, id, &step.files, now).await?;
        log_move(&mut tx, id, step.kind, to, by_kind, by_id, step.note.as_deref(), now).await?;
        let after = application_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn application_file(&self, id: Uuid, digest: &str) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query("SELECT media_type FROM application_files WHERE application_id = $1 AND digest = $2")
            .bind(id.to_string())
            .bind(digest.to_string())
            .fetch_optional(&self.read)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((r.try_get("media_type")?, self.files.get(digest).await?))),
        }
    }

    async fn book_appointment(
        &self,
        resident: Uuid,
        street_code: &str,
        day: NaiveDate,
        slot: NaiveTime,
        item_code: Option<&str>,
        capacity: i64,
        now: DateTime<Utc>,
    ) -> Result<Appointment> {
        let slot_text = slot.format("%H:%M").to_string();
        // Two bookings at once may pick the same seat: the primary key refuses one, which
        // tries again with the seats then taken.
        for _ in 0..3 {
            let mut tx = self.write.begin().await?;
            let same_day = sqlx::query("SELECT 1 FROM appointments WHERE resident_id = $1 AND day = $2")
                .bind(resident.to_string())
                .bind(day.to_string())
                .fetch_optional(&mut *tx)
                .await?;
            if same_day.is_some() {
                return Err(FieldError::new("day", "您当天已有预约", "you have a booking that day already").into());
            }
            let id = Uuid::now_v7();
            let inserted = sqlx::query(
                "INSERT INTO appointments (street_code, day, slot, seat, id, resident_id, item_code, booked_at) \
                 SELECT $1, $2, $3, CAST(COALESCE(MAX(seat), 0) AS BIGINT) + 1, $4, $5, $6, $7 FROM appointments \
                 WHERE street_code = $1 AND day = $2 AND slot = $3 HAVING COUNT(*) < $8",
            )
            .bind(street_code.to_string())
            .bind(day.to_string())
            .bind(slot_text.clone())
            .bind(id.to_string())
            .bind(resident.to_string())
            .bind(item_code.map(str::to_string))
            .bind(ms(now))
            .bind(capacity)
            .execute(&mut *tx)
            .await;
            match inserted {
                Err(sqlx::Error::Database(db)) if db.is_unique_violation() => continue,
                Err(e) => return Err(e.into()),
                Ok(done) if done.rows_affected() == 0 => {
                    return Err(FieldError::new(
                        "slot",
                        "该时段已约满，请选择其他时段",
                        "that slot is full: choose another",
                    )
                    .into())
                }
                Ok(_) => {}
            }
            let detail = serde_json::json!({ "street_code": street_code, "day": day, "slot": slot_text });
            let subject = Some(Subject { kind: "appointment", id });
            events::audit_as(&mut tx, now, "resident", Some(resident), "appointment_booked", subject, detail).await?;
            let row =
                sqlx::query("SELECT id, street_code, day, slot, item_code, booked_at FROM appointments WHERE id = $1")
                    .bind(id.to_string())
                    .fetch_one(&mut *tx)
                    .await?;
            let booked = appointment(&row)?;
            tx.commit().await?;
            return Ok(booked);
        }
        Err(StoreError::Contention)
    }

    async fn cancel_appointment(&self, resident: Uuid, id: Uuid) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let gone = sqlx::query("DELETE FROM appointments WHERE id = $1 AND resident_id = $2")
            .bind(id.to_string())
            .bind(resident.to_string())
            .execute(&mut *tx)
            .await?;
        if gone.rows_affected() != 1 {
            return Err(StoreError::NotFound);
        }
        let subject = Some(Subject { kind: "appointment", id });
        events::audit_as(
            &mut tx,
            Utc::now(),
            "resident",
            Some(resident),
            "appointment_cancelled",
            subject,
            serde_json::json!({}),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn appointments_of_resident(&self, resident: Uuid, from: NaiveDate) -> Result<Vec<Appointment>> {
        sqlx::query(
            "SELECT id, street_code, day, slot, item_code, booked_at FROM appointments \
             WHERE resident_id = $1 AND day >= $2 ORDER BY day, slot",
        )
        .bind(resident.to_string())
        .bind(from.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(appointment)
        .collect()
    }

    async fn appointments_on(&self, places: &PlaceFilter, day: NaiveDate) -> Result<Vec<Appointment>> {
        let mut args = Args::default();
        let sql = format!(
            "SELECT id, street_code, day, slot, item_code, booked_at FROM appointments WHERE day = {} AND {} \
             ORDER BY slot, street_code, seat",
            args.text(day.to_string()),
            args.places("street_code", places)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(appointment).collect()
    }

    async fn slots_taken(&self, street_code: &str, from: NaiveDate, to: NaiveDate) -> Result<Vec<SlotTaken>> {
        sqlx::query(
            "SELECT day, slot, COUNT(*) AS taken FROM appointments WHERE street_code = $1 AND day >= $2 AND day <= $3 \
             GROUP BY day, slot ORDER BY day, slot",
        )
        .bind(street_code.to_string())
        .bind(from.to_string())
        .bind(to.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            let slot: String = r.try_get("slot")?;
            Ok(SlotTaken {
                day: date_column(r, "day")?,
                slot: NaiveTime::parse_from_str(&slot, "%H:%M")
                    .map_err(|_| StoreError::Corrupt(format!("slot: {slot}")))?,
                taken: r.try_get("taken")?,
            })
        })
        .collect()
    }
}
