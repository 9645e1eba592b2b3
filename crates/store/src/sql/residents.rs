//! Residents' accounts: codes, residents and their sessions.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use grassroots_domain::personal::mask_phone;
use grassroots_domain::residents::{counted_since, untriable, CodeTry, KeptCode, Mobile, RecentSends, MAX_TRIES};
use grassroots_domain::{Actor, CaseState};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, uuid_column};
use super::{from_ms, ms, SqlStore};
use crate::crypto::context;
use crate::residents::{Resident, ResidentReport, SignIn};
use crate::{Result, StoreError};

/// What a resident's number is sealed for, with their id.
const PHONE: &str = "resident.phone";

fn resident(r: &AnyRow) -> Result<Resident> {
    Ok(Resident {
        id: uuid_column(r, "id")?,
        phone_masked: r.try_get("phone_masked")?,
        created_at: from_ms(r.try_get("created_at")?),
        signed_in_at: from_ms(r.try_get("signed_in_at")?),
    })
}

const RESIDENT_COLUMNS: &str = "r.id, r.phone_masked, r.created_at, r.signed_in_at";

#[async_trait::async_trait]
impl crate::ResidentStore for SqlStore {
    async fn code_sends(&self, mobile: &Mobile, address: IpAddr, now: DateTime<Utc>) -> Result<RecentSends> {
        let (number_since, address_since) = counted_since(now);
        let times = |rows: Vec<AnyRow>| -> Result<Vec<DateTime<Utc>>> {
            rows.iter().map(|r| Ok(from_ms(r.try_get("sent_at")?))).collect()
        };
        // Read on the write connection: a send kept a moment ago by this server is counted.
        let to_number = sqlx::query("SELECT sent_at FROM resident_codes WHERE phone_tag = $1 AND sent_at > $2")
            .bind(self.cipher.phone_tag(mobile.as_str()))
            .bind(ms(number_since))
            .fetch_all(&self.write)
            .await?;
        let from_address = sqlx::query("SELECT sent_at FROM resident_codes WHERE address_tag = $1 AND sent_at > $2")
            .bind(self.cipher.address_tag(address))
            .bind(ms(address_since))
            .fetch_all(&self.write)
            .await?;
        Ok(RecentSends { to_number: times(to_number)?, from_address: times(from_address)? })
    }

    async fn keep_code(
        &self,
        mobile: &Mobile,
        address: IpAddr,
        code: &str,
        now: DateTime<Utc>,
        expires_at: DateTime<Utc>,
    ) -> Result<()> {
        sqlx::query(
            "INSERT INTO resident_codes (id, phone_tag, address_tag, code_tag, sent_at, expires_at, tries) \
             VALUES ($1, $2, $3, $4, $5, $6, 0)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(self.cipher.phone_tag(mobile.as_str()))
        .bind(self.cipher.address_tag(address))
        .bind(self.cipher.sign_in_code_tag(mobile.as_str(), code))
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&self.write)
        .await?;
        Ok(())
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

    async fn close_resident_account(&self, resident: Uuid, now: DateTime<Utc>) -> Result<()> {
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
        events::audit(&mut tx, now, &Actor::Resident, "resident_account_closed", subject, serde_json::json!({}))
            .await?;
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
