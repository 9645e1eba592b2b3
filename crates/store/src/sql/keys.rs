//! Key holders and re-sealing. Each batch of re-sealed values is one transaction, and each
//! update is guarded by the value it replaces, so a correction or an erasure made meanwhile wins.

use chrono::{DateTime, Utc};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::care::personal_context as care_context;
use super::disputes::parties_context;
use super::helpers::personal_context as helper_context;
use super::identity::staff_phone_context;
use super::needs::contact_context as need_context;
use super::outbox::secret_context;
use super::oversight::account_context;
use super::party::{member_context, registration_context};
use super::rows::uuid_column;
use super::services::applicant_context;
use super::support::phone_context as supporter_phone_context;
use super::{from_ms, ms, SqlStore};
use crate::crypto::{context, KeyError, KeyHolding, KeyId, Keyring, Resealed};
use crate::keys::{KeyHolder, ResealBatch, ResealCursor, RotationRecord};
use crate::{Result, StoreError};

/// One sealed value read for re-sealing: where it lives and what binds it there.
struct SealedValue {
    update: &'static str,
    context: Vec<u8>,
    sealed: Vec<u8>,
    /// The row's key, bound after the new and the old value.
    row: Vec<String>,
}

#[async_trait::async_trait]
impl crate::KeyStore for SqlStore {
    fn install_keys(&self, keys: &Keyring) -> std::result::Result<bool, KeyError> {
        self.cipher.install(keys)
    }

    fn key_holding(&self) -> KeyHolding {
        self.cipher.holding()
    }

    async fn report_keys(&self, instance: &str, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()> {
        let holding = self.cipher.holding();
        let opening: Vec<&str> = holding.opening.iter().map(|k| k.0.as_str()).collect();
        sqlx::query(
            "INSERT INTO key_holders (instance, sealing, opening, seen_at, expires_at) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (instance) DO UPDATE SET sealing = excluded.sealing, opening = excluded.opening, \
             seen_at = excluded.seen_at, expires_at = excluded.expires_at",
        )
        .bind(instance)
        .bind(&holding.sealing.0)
        .bind(opening.join(","))
        .bind(ms(now))
        .bind(ms(expires_at))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn forget_key_holder(&self, instance: &str) -> Result<()> {
        sqlx::query("DELETE FROM key_holders WHERE instance = $1").bind(instance).execute(&self.write).await?;
        Ok(())
    }

    async fn key_holders(&self, now: DateTime<Utc>) -> Result<Vec<KeyHolder>> {
        sqlx::query(
            "SELECT instance, sealing, opening, seen_at FROM key_holders WHERE expires_at > $1 ORDER BY instance",
        )
        .bind(ms(now))
        .fetch_all(&self.write)
        .await?
        .iter()
        .map(|r| {
            let opening: String = r.try_get("opening")?;
            Ok(KeyHolder {
                instance: r.try_get("instance")?,
                holding: KeyHolding {
                    sealing: KeyId(r.try_get("sealing")?),
                    opening: opening.split(',').filter(|k| !k.is_empty()).map(|k| KeyId(k.to_string())).collect(),
                },
                seen_at: from_ms(r.try_get("seen_at")?),
            })
        })
        .collect()
    }

    async fn reseal(&self, from: &ResealCursor, limit: i64) -> Result<ResealBatch> {
        let limit = limit.clamp(1, 5_000);
        let (values, next) = match from {
            ResealCursor::Cases { after } => {
                let rows = self
                    .page(
                        "SELECT id, reporter_name_enc, reporter_phone_enc FROM cases",
                        Some("(reporter_name_enc IS NOT NULL OR reporter_phone_enc IS NOT NULL)"),
                        "id",
                        after.map(|id| vec![id.to_string()]),
                        limit,
                    )
                    .await?;
                let mut values = Vec::new();
                for r in &rows {
                    let id = uuid_column(r, "id")?;
                    for (field, update) in [
                        (
                            "reporter_name",
                            "UPDATE cases SET reporter_name_enc = $1 WHERE reporter_name_enc = $2 AND id = $3",
                        ),
                        (
                            "reporter_phone",
                            "UPDATE cases SET reporter_phone_enc = $1 WHERE reporter_phone_enc = $2 AND id = $3",
                        ),
                    ] {
                        if let Some(sealed) = r.try_get::<Option<Vec<u8>>, _>(format!("{field}_enc").as_str())? {
                            values.push(SealedValue {
                                update,
                                context: context(id, field),
                                sealed,
                                row: vec![id.to_string()],
                            });
                        }
                    }
                }
                let next = match rows.last() {
                    Some(last) if rows.len() as i64 == limit => {
                        ResealCursor::Cases { after: Some(uuid_column(last, "id")?) }
                    }
                    _ => ResealCursor::SealedTexts { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::SealedTexts { after } => {
                let rows = self
                    .page(
                        "SELECT case_id, seq, field, sealed FROM sealed_texts",
                        None,
                        "case_id, seq, field",
                        after.as_ref().map(|(id, seq, field)| vec![id.to_string(), seq.to_string(), field.clone()]),
                        limit,
                    )
                    .await?;
                let (values, last) = sealed_page(&rows, limit, |r| {
                    let (case_id, seq, field): (Uuid, i64, String) =
                        (uuid_column(r, "case_id")?, r.try_get("seq")?, r.try_get("field")?);
                    let value = SealedValue {
                        update: "UPDATE sealed_texts SET sealed = $1 WHERE sealed = $2 \
                                 AND case_id = $3 AND seq = CAST($4 AS BIGINT) AND field = $5",
                        context: context(case_id, &format!("{field}@{seq}")),
                        sealed: r.try_get("sealed")?,
                        row: vec![case_id.to_string(), seq.to_string(), field.clone()],
                    };
                    Ok((value, (case_id, seq, field)))
                })?;
                let next = match last {
                    Some(after) => ResealCursor::SealedTexts { after: Some(after) },
                    None => ResealCursor::Webhooks { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::Webhooks { after } => {
                let (values, last) = self.sealed_column(&WEBHOOK_SECRETS, *after, limit, secret_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::Webhooks { after: Some(after) },
                    None => ResealCursor::Supporters { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::Supporters { after } => {
                let (values, last) =
                    self.sealed_column(&SUPPORTER_PHONES, *after, limit, supporter_phone_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::Supporters { after: Some(after) },
                    None => ResealCursor::StaffPhones { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::StaffPhones { after } => {
                let (values, last) = self.sealed_column(&STAFF_PHONES, *after, limit, staff_phone_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::StaffPhones { after: Some(after) },
                    None => ResealCursor::IntakeKeys { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::IntakeKeys { after } => {
                let rows = self
                    .page(
                        "SELECT key, client, case_id, query_code_enc FROM intake_keys",
                        None,
                        "key, client",
                        after.as_ref().map(|(key, client)| vec![key.clone(), client.clone()]),
                        limit,
                    )
                    .await?;
                let (values, last) = sealed_page(&rows, limit, |r| {
                    let (key, client): (String, String) = (r.try_get("key")?, r.try_get("client")?);
                    let value = SealedValue {
                        update: "UPDATE intake_keys SET query_code_enc = $1 WHERE query_code_enc = $2 \
                                 AND client = $3 AND key = $4",
                        context: context(uuid_column(r, "case_id")?, super::intake::QUERY_CODE),
                        sealed: r.try_get("query_code_enc")?,
                        row: vec![client.clone(), key.clone()],
                    };
                    Ok((value, (key, client)))
                })?;
                let next = match last {
                    Some(after) => ResealCursor::IntakeKeys { after: Some(after) },
                    None => ResealCursor::CareMembers { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::CareMembers { after } => {
                let (values, last) = self.sealed_column(&CARE_MEMBERS, *after, limit, care_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::CareMembers { after: Some(after) },
                    None => ResealCursor::Helpers { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::Helpers { after } => {
                let (values, last) = self.sealed_column(&HELPERS, *after, limit, helper_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::Helpers { after: Some(after) },
                    None => ResealCursor::NeedContacts { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::NeedContacts { after } => {
                let (values, last) = self.sealed_column(&NEED_CONTACTS, *after, limit, need_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::NeedContacts { after: Some(after) },
                    None => ResealCursor::Applicants { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::Applicants { after } => {
                let (values, last) = self.sealed_column(&APPLICANTS, *after, limit, applicant_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::Applicants { after: Some(after) },
                    None => ResealCursor::DisputeParties { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::DisputeParties { after } => {
                let (values, last) = self.sealed_column(&DISPUTE_PARTIES, *after, limit, parties_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::DisputeParties { after: Some(after) },
                    None => ResealCursor::PartyMembers { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::PartyMembers { after } => {
                let (values, last) = self.sealed_column(&PARTY_MEMBERS, *after, limit, member_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::PartyMembers { after: Some(after) },
                    None => ResealCursor::PartyRegistrations { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::PartyRegistrations { after } => {
                let (values, last) =
                    self.sealed_column(&PARTY_REGISTRATIONS, *after, limit, registration_context).await?;
                let next = match last {
                    Some(after) => ResealCursor::PartyRegistrations { after: Some(after) },
                    None => ResealCursor::MisconductAccounts { after: None },
                };
                (values, Some(next))
            }
            ResealCursor::MisconductAccounts { after } => {
                let (values, last) = self.sealed_column(&MISCONDUCT_ACCOUNTS, *after, limit, account_context).await?;
                (values, last.map(|after| ResealCursor::MisconductAccounts { after: Some(after) }))
            }
        };
        let examined = values.len();
        let mut resealed = 0;
        let mut tx = self.write.begin().await?;
        for value in values {
            let again = match self.cipher.reseal(&value.context, &value.sealed).map_err(StoreError::Crypto)? {
                Resealed::Current => continue,
                Resealed::Again(again) => again,
            };
            let mut update = sqlx::query(value.update).bind(again).bind(value.sealed);
            for key in value.row {
                update = update.bind(key);
            }
            resealed += update.execute(&mut *tx).await?.rows_affected() as usize;
        }
        tx.commit().await?;
        Ok(ResealBatch { examined, resealed, next })
    }

    async fn record_key_rotation(&self, step: &RotationRecord, at: DateTime<Utc>) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        let detail = serde_json::to_value(step).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        super::events::audit_as(&mut conn, at, "system", None, "key_rotation", None, detail).await
    }
}

/// The sealed values of a page of rows, each read with its place in the walk, and the last
/// place when the page was full (more may follow).
fn sealed_page<T>(
    rows: &[AnyRow],
    limit: i64,
    value_of: impl Fn(&AnyRow) -> Result<(SealedValue, T)>,
) -> Result<(Vec<SealedValue>, Option<T>)> {
    let mut values = Vec::with_capacity(rows.len());
    let mut last = None;
    for row in rows {
        let (value, at) = value_of(row)?;
        values.push(value);
        last = Some(at);
    }
    Ok((values, last.filter(|_| rows.len() as i64 == limit)))
}

/// A table whose rows, keyed by `id`, hold one sealed value each.
struct SealedColumn {
    select: &'static str,
    filter: Option<&'static str>,
    column: &'static str,
    update: &'static str,
}

const WEBHOOK_SECRETS: SealedColumn = SealedColumn {
    select: "SELECT id, secret_enc FROM webhooks",
    filter: None,
    column: "secret_enc",
    update: "UPDATE webhooks SET secret_enc = $1 WHERE secret_enc = $2 AND id = $3",
};

const SUPPORTER_PHONES: SealedColumn = SealedColumn {
    select: "SELECT id, phone_enc FROM case_supporters",
    filter: Some("phone_enc IS NOT NULL"),
    column: "phone_enc",
    update: "UPDATE case_supporters SET phone_enc = $1 WHERE phone_enc = $2 AND id = $3",
};

const CARE_MEMBERS: SealedColumn = SealedColumn {
    select: "SELECT id, personal_enc FROM care_members",
    filter: Some("personal_enc IS NOT NULL"),
    column: "personal_enc",
    update: "UPDATE care_members SET personal_enc = $1 WHERE personal_enc = $2 AND id = $3",
};

const HELPERS: SealedColumn = SealedColumn {
    select: "SELECT id, personal_enc FROM helpers",
    filter: None,
    column: "personal_enc",
    update: "UPDATE helpers SET personal_enc = $1 WHERE personal_enc = $2 AND id = $3",
};

const NEED_CONTACTS: SealedColumn = SealedColumn {
    select: "SELECT id, contact_enc FROM needs",
    filter: None,
    column: "contact_enc",
    update: "UPDATE needs SET contact_enc = $1 WHERE contact_enc = $2 AND id = $3",
};

const APPLICANTS: SealedColumn = SealedColumn {
    select: "SELECT id, applicant_enc FROM applications",
    filter: None,
    column: "applicant_enc",
    update: "UPDATE applications SET applicant_enc = $1 WHERE applicant_enc = $2 AND id = $3",
};

const DISPUTE_PARTIES: SealedColumn = SealedColumn {
    select: "SELECT id, parties_enc FROM disputes",
    filter: None,
    column: "parties_enc",
    update: "UPDATE disputes SET parties_enc = $1 WHERE parties_enc = $2 AND id = $3",
};

const PARTY_MEMBERS: SealedColumn = SealedColumn {
    select: "SELECT id, personal_enc FROM party_members",
    filter: None,
    column: "personal_enc",
    update: "UPDATE party_members SET personal_enc = $1 WHERE personal_enc = $2 AND id = $3",
};

const PARTY_REGISTRATIONS: SealedColumn = SealedColumn {
    select: "SELECT id, personal_enc FROM party_registrations",
    filter: None,
    column: "personal_enc",
    update: "UPDATE party_registrations SET personal_enc = $1 WHERE personal_enc = $2 AND id = $3",
};

const MISCONDUCT_ACCOUNTS: SealedColumn = SealedColumn {
    select: "SELECT id, account_enc FROM misconduct_reports",
    filter: None,
    column: "account_enc",
    update: "UPDATE misconduct_reports SET account_enc = $1 WHERE account_enc = $2 AND id = $3",
};

const STAFF_PHONES: SealedColumn = SealedColumn {
    select: "SELECT id, phone_enc FROM users",
    filter: Some("phone_enc IS NOT NULL"),
    column: "phone_enc",
    update: "UPDATE users SET phone_enc = $1 WHERE phone_enc = $2 AND id = $3",
};

impl SqlStore {
    /// A page of a sealed column from `after` on, and the last id when the page was full (more
    /// may follow).
    async fn sealed_column(
        &self,
        table: &SealedColumn,
        after: Option<Uuid>,
        limit: i64,
        context_of: fn(Uuid) -> Vec<u8>,
    ) -> Result<(Vec<SealedValue>, Option<Uuid>)> {
        let rows = self.page(table.select, table.filter, "id", after.map(|id| vec![id.to_string()]), limit).await?;
        sealed_page(&rows, limit, |r| {
            let id = uuid_column(r, "id")?;
            let value = SealedValue {
                update: table.update,
                context: context_of(id),
                sealed: r.try_get(table.column)?,
                row: vec![id.to_string()],
            };
            Ok((value, id))
        })
    }

    /// Up to `limit` rows of `select` meeting `filter`, after the row whose `order` columns
    /// are `after`, in that order. Re-sealing reads from the writer, so that it sees every
    /// value sealed before it began.
    async fn page(
        &self,
        select: &str,
        filter: Option<&str>,
        order: &str,
        after: Option<Vec<String>>,
        limit: i64,
    ) -> Result<Vec<AnyRow>> {
        let mut conditions: Vec<String> = filter.map(str::to_string).into_iter().collect();
        let binds = match after {
            None => Vec::new(),
            Some(keys) => {
                let columns: Vec<&str> = order.split(", ").collect();
                // seq is an integer column: compare it as one.
                let params: Vec<String> = columns
                    .iter()
                    .enumerate()
                    .map(
                        |(i, c)| {
                            if *c == "seq" {
                                format!("CAST(${} AS BIGINT)", i + 1)
                            } else {
                                format!("${}", i + 1)
                            }
                        },
                    )
                    .collect();
                conditions.push(format!("({order}) > ({})", params.join(", ")));
                keys
            }
        };
        let condition =
            if conditions.is_empty() { String::new() } else { format!(" WHERE {}", conditions.join(" AND ")) };
        let sql = format!("{select}{condition} ORDER BY {order} LIMIT ${}", binds.len() + 1);
        let mut query = sqlx::query(&sql);
        for b in binds {
            query = query.bind(b);
        }
        Ok(query.bind(limit).fetch_all(&self.write).await?)
    }
}
