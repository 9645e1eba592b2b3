//! Residents' accounts: codes, residents and their sessions.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use grassroots_domain::personal::mask_phone;
use grassroots_domain::residents::{
    counted_since, may_send, untriable, CodeTry, KeptCode, Mobile, RecentSends, MAX_TRIES,
};
use grassroots_domain::{Actor, CaseState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, uuid_column};
use super::{from_ms, ms, SqlStore};
use crate::crypto::context;
use crate::residents::{CodeKept, Resident, ResidentReport, SignIn};
use crate::{Backend, Result, StoreError};

/// What a resident's number is sealed for, with their id.
pub(super) const PHONE: &str = "resident.phone";

fn resident(r: &AnyRow) -> Result<Resident> {
    Ok(Resident {
        id: uuid_column(r, "id")?,
        phone_masked: r.try_get("phone_masked")?,
        created_at: from_ms(r.try_get("created_at")?),
        signed_in_at: from_ms(r.try_get("signed_in_at")?),
    })
}

const SENT_TO_NUMBER: &str =
    "SELECT sent_at FROM resident_codes WHERE phone_tag = $1 AND sent_at > $2 AND sent_at <= $3";
const SENT_FROM_ADDRESS: &str =
    "SELECT sent_at FROM resident_codes WHERE address_tag = $1 AND sent_at > $2 AND sent_at <= $3";

const RESIDENT_COLUMNS: &str = "r.id, r.phone_masked, r.created_at, r.signed_in_at";

#[async_trait::async_trait]
impl crate::ResidentStore for SqlStore {
    async fn keep_code(
        &self,
        mobile: &Mobile,
        address: IpAddr,
        code: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<CodeKept> {
        let (phone_tag, address_tag) = (self.cipher.phone_tag(mobile.as_str()), self.cipher.address_tag(address));
        let mut tx = self.write.begin().await?;
        // SQLite's one writer already runs these one at a time; PostgreSQL's transactions take
        // the number's and the address's locks, always in that order, until they end.
        if self.backend == Backend::Postgres {
            sqlx::query("SELECT pg_advisory_xact_lock(1, hashtext($1)), pg_advisory_xact_lock(2, hashtext($2))")
                .bind(phone_tag.clone())
                .bind(address_tag.clone())
                .execute(&mut *tx)
                .await?;
        }
        let (number_since, address_since) = counted_since(now);
        let sent = |sql: &'static str, tag: &str, since: DateTime<Utc>| {
            sqlx::query(sql).bind(tag.to_string()).bind(ms(since)).bind(ms(now))
        };
        let times = |rows: Vec<AnyRow>| -> Result<Vec<DateTime<Utc>>> {
            rows.iter().map(|r| Ok(from_ms(r.try_get("sent_at")?))).collect()
        };
        let recent = RecentSends {
            to_number: times(sent(SENT_TO_NUMBER, &phone_tag, number_since).fetch_all(&mut *tx).await?)?,
            from_address: times(sent(SENT_FROM_ADDRESS, &address_tag, address_since).fetch_all(&mut *tx).await?)?,
        };
        if let Err(refusal) = may_send(&recent, now) {
            return Ok(CodeKept::Refused(refusal));
        }
        sqlx::query(
            "INSERT INTO resident_codes (id, phone_tag, address_tag, code_tag, sent_at, expires_at, tries) \
             VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(phone_tag)
        .bind(address_tag)
        .bind(self.cipher.sign_in_code_tag(mobile.as_str(), code))
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(CodeKept::Kept)
    }

    async fn sign_in_resident(
        &self,
        mobile: &Mobile,
        code: &str,
        token_hash: &str,
        now: DateTime<Utc>,
        session_expires: DateTime<Utc>,
    ) -> Result<SignIn> {
        let phone_tag = self.cipher.phone_tag(mobile.as_str());
        let mut tx = self.write.begin().await?;
        let newest = sqlx::query(
            "SELECT id, code_tag, expires_at, tries, used_at FROM resident_codes WHERE phone_tag = $1 \
             ORDER BY sent_at DESC, id DESC LIMIT 1",
        )
        .bind(phone_tag.clone())
        .fetch_optional(&mut *tx)
        .await?;
        let kept = newest
            .as_ref()
            .map(|r| -> Result<KeptCode> {
                Ok(KeptCode {
                    expires_at: from_ms(r.try_get("expires_at")?),
                    tries: r.try_get("tries")?,
                    used: r.try_get::<Option<i64>, _>("used_at")?.is_some(),
                })
            })
            .transpose()?;
        if let Some(refusal) = untriable(kept, now) {
            return Ok(SignIn::Refused(refusal));
        }
        let (Some(row), Some(kept)) = (newest, kept) else { return Ok(SignIn::Refused(CodeTry::NoneSent)) };
        let id: String = row.try_get("id")?;
        let right = row.try_get::<String, _>("code_tag")? == self.cipher.sign_in_code_tag(mobile.as_str(), code);
        // Each statement takes the try only while the code is still triable: of concurrent
        // tries, the database lets through no more than the code allows.
        let taken = sqlx::query(&format!(
            "UPDATE resident_codes SET tries = tries + 1{} WHERE id = $1 AND used_at IS NULL AND tries < {MAX_TRIES} \
             AND expires_at > $2",
            if right { ", used_at = $2" } else { "" }
        ))
        .bind(id)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if taken == 0 {
            tx.commit().await?;
            return Ok(SignIn::Refused(CodeTry::Spent));
        }
        if !right {
            tx.commit().await?;
            return Ok(SignIn::Refused(CodeTry::Wrong { tries_left: MAX_TRIES - kept.tries - 1 }));
        }
        let resident = signed_in(&mut tx, self, mobile, &phone_tag, now).await?;
        sqlx::query(
            "INSERT INTO resident_sessions (token_hash, resident_id, created_at, expires_at) VALUES ($1, $2, $3, $4)",
        )
        .bind(token_hash.to_string())
        .bind(resident.id.to_string())
        .bind(ms(now))
        .bind(ms(session_expires))
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(SignIn::SignedIn(resident))
    }

    async fn resident_by_phone(&self, mobile: &Mobile) -> Result<Option<Resident>> {
        let row = sqlx::query(&format!("SELECT {RESIDENT_COLUMNS} FROM residents r WHERE r.phone_tag = $1"))
            .bind(self.cipher.phone_tag(mobile.as_str()))
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(resident).transpose()
    }

    async fn resident_session(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<Resident>> {
        let row = sqlx::query(&format!(
            "SELECT {RESIDENT_COLUMNS} FROM resident_sessions s JOIN residents r ON r.id = s.resident_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        ))
        .bind(token_hash.to_string())
        .bind(ms(now))
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(resident).transpose()
    }

    async fn end_resident_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM resident_sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }

    async fn resident_reports(&self, resident: Uuid, limit: i64) -> Result<Vec<ResidentReport>> {
        let rows = sqlx::query(
            "SELECT c.id, c.tracking_no, c.state, c.category_code, c.received_at FROM residents r \
             JOIN cases c ON c.reporter_phone_tag = r.phone_tag WHERE r.id = $1 ORDER BY c.id DESC LIMIT $2",
        )
        .bind(resident.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(ResidentReport {
                    id: uuid_column(r, "id")?,
                    tracking_no: r.try_get("tracking_no")?,
                    state: coded(CaseState::parse, "state", r.try_get("state")?)?,
                    category_code: r.try_get("category_code")?,
                    received_at: from_ms(r.try_get("received_at")?),
                })
            })
            .collect()
    }

    async fn close_resident_account(
        &self,
        actor: &Actor,
        resident: Uuid,
        reference: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let id = resident.to_string();
        let Some(row) = sqlx::query("SELECT phone_tag FROM residents WHERE id = $1")
            .bind(id.clone())
            .fetch_optional(&mut *tx)
            .await?
        else {
            return Err(StoreError::NotFound);
        };
        let phone_tag: String = row.try_get("phone_tag")?;
        sqlx::query("DELETE FROM resident_sessions WHERE resident_id = $1").bind(id.clone()).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM resident_codes WHERE phone_tag = $1").bind(phone_tag).execute(&mut *tx).await?;
        sqlx::query("DELETE FROM resident_households WHERE resident_id = $1")
            .bind(id.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query("DELETE FROM residents WHERE id = $1").bind(id).execute(&mut *tx).await?;
        let subject = Some(Subject { kind: "resident", id: resident });
        let detail = serde_json::json!({ "reference": reference });
        events::audit(&mut tx, now, actor, "resident_account_closed", subject, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn forget_codes_before(&self, before: DateTime<Utc>) -> Result<u64> {
        let done =
            sqlx::query("DELETE FROM resident_codes WHERE sent_at < $1").bind(ms(before)).execute(&self.write).await?;
        Ok(done.rows_affected())
    }
}

/// The resident of this number, made now if new, marked signed in.
async fn signed_in(
    conn: &mut AnyConnection,
    store: &SqlStore,
    mobile: &Mobile,
    phone_tag: &str,
    now: DateTime<Utc>,
) -> Result<Resident> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO residents (id, phone_tag, phone_enc, phone_masked, created_at, signed_in_at) \
         VALUES ($1, $2, $3, $4, $5, $5) ON CONFLICT (phone_tag) DO UPDATE SET signed_in_at = excluded.signed_in_at",
    )
    .bind(id.to_string())
    .bind(phone_tag.to_string())
    .bind(store.cipher.seal(&context(id, PHONE), mobile.as_str()))
    .bind(mask_phone(mobile.as_str()))
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    let row = sqlx::query(&format!("SELECT {RESIDENT_COLUMNS} FROM residents r WHERE r.phone_tag = $1"))
        .bind(phone_tag.to_string())
        .fetch_one(&mut *conn)
        .await?;
    resident(&row)
}
