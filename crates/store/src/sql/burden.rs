//! The 准入清单 and the impositions registered against it; totals per community counted in SQL.

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::burden::{flags, BurdenKind, BurdenTotals, PlatformData};
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, date_column, holding, optional_uuid, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::burden::{CommunityBurden, Imposition, ListEntry, NewImposition, NewListEntry};
use crate::{PlaceFilter, Result, StoreError};

const ENTRY_COLUMNS: &str = "id, district_code, kind, title, issuer, basis, withdrawn_at";
const IMPOSITION_COLUMNS: &str =
    "id, community_code, kind, title, issuer, imposed_on, half_hours, entry_id, asks, note";

fn entry(r: &AnyRow) -> Result<ListEntry> {
    Ok(ListEntry {
        id: uuid_column(r, "id")?,
        district_code: r.try_get("district_code")?,
        kind: coded(BurdenKind::parse, "burden kind", r.try_get("kind")?)?,
        title: r.try_get("title")?,
        issuer: r.try_get("issuer")?,
        basis: r.try_get("basis")?,
        withdrawn_at: r.try_get::<Option<i64>, _>("withdrawn_at")?.map(from_ms),
    })
}

fn imposition(r: &AnyRow) -> Result<Imposition> {
    let asks: String = r.try_get("asks")?;
    let asks = asks
        .split(',')
        .filter(|a| !a.is_empty())
        .map(|a| coded(PlatformData::parse, "platform data", a.to_string()))
        .collect::<Result<Vec<_>>>()?;
    let entry_id = optional_uuid(r, "entry_id")?;
    Ok(Imposition {
        id: uuid_column(r, "id")?,
        community_code: r.try_get("community_code")?,
        kind: coded(BurdenKind::parse, "burden kind", r.try_get("kind")?)?,
        title: r.try_get("title")?,
        issuer: r.try_get("issuer")?,
        imposed_on: date_column(r, "imposed_on")?,
        half_hours: u32::try_from(r.try_get::<i64, _>("half_hours")?)
            .map_err(|e| StoreError::Corrupt(e.to_string()))?,
        flags: flags(entry_id.is_some(), &asks),
        entry_id,
        asks,
        note: r.try_get("note")?,
    })
}

async fn entry_in(conn: &mut sqlx::AnyConnection, id: Uuid) -> Result<Option<ListEntry>> {
    sqlx::query(&format!("SELECT {ENTRY_COLUMNS} FROM burden_entries WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .as_ref()
        .map(entry)
        .transpose()
}

#[async_trait::async_trait]
impl crate::BurdenStore for SqlStore {
    async fn add_list_entry(&self, actor: &Actor, new: &NewListEntry, now: DateTime<Utc>) -> Result<ListEntry> {
        holding(actor, &new.district_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO burden_entries (id, district_code, kind, title, issuer, basis, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(new.district_code.clone())
        .bind(new.kind.as_str())
        .bind(new.title.clone())
        .bind(new.issuer.clone())
        .bind(new.basis.clone())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "kind": new.kind.as_str(), "title": new.title, "issuer": new.issuer });
        events::audit(&mut tx, now, actor, "burden_entry_added", Some(Subject { kind: "burden_entry", id }), detail)
            .await?;
        let added = entry_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(added)
    }

    async fn withdraw_list_entry(&self, actor: &Actor, id: Uuid, now: DateTime<Utc>) -> Result<ListEntry> {
        let mut tx = self.write.begin().await?;
        let found = entry_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &found.district_code)?;
        sqlx::query("UPDATE burden_entries SET withdrawn_at = $1 WHERE id = $2 AND withdrawn_at IS NULL")
            .bind(ms(now))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        let subject = Some(Subject { kind: "burden_entry", id });
        events::audit(&mut tx, now, actor, "burden_entry_withdrawn", subject, serde_json::json!({})).await?;
        let withdrawn = entry_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(withdrawn)
    }

    async fn list_entries(&self, district_code: &str) -> Result<Vec<ListEntry>> {
        sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM burden_entries WHERE district_code = $1 \
             ORDER BY CASE WHEN withdrawn_at IS NULL THEN 0 ELSE 1 END, kind, title, id"
        ))
        .bind(district_code.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(entry)
        .collect()
    }

    async fn list_entry(&self, id: Uuid) -> Result<Option<ListEntry>> {
        let mut conn = self.read.acquire().await?;
        entry_in(&mut conn, id).await
    }

    async fn register_imposition(&self, actor: &Actor, new: &NewImposition, now: DateTime<Utc>) -> Result<Imposition> {
        reaching(actor, &new.community_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        if let Some(entry_id) = new.entry_id {
            let listed = entry_in(&mut tx, entry_id).await?;
            if !listed.is_some_and(|e| e.withdrawn_at.is_none() && new.community_code.starts_with(&e.district_code)) {
                return Err(FieldError::new(
                    "entry_id",
                    "所选事项不在本区现行准入清单中",
                    "the entry is not on the district's current list",
                )
                .into());
            }
        }
        let asks: Vec<&str> = new.asks.iter().map(|a| a.as_str()).collect();
        sqlx::query(
            "INSERT INTO burden_impositions (community_code, id, kind, title, issuer, imposed_on, half_hours, entry_id, \
             asks, note, recorded_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
        )
        .bind(new.community_code.clone())
        .bind(id.to_string())
        .bind(new.kind.as_str())
        .bind(new.title.clone())
        .bind(new.issuer.clone())
        .bind(new.imposed_on.to_string())
        .bind(i64::from(new.half_hours))
        .bind(new.entry_id.map(|e| e.to_string()))
        .bind(asks.join(","))
        .bind(new.note.clone())
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!(
            "SELECT {IMPOSITION_COLUMNS} FROM burden_impositions WHERE community_code = $1 AND id = $2"
        ))
        .bind(new.community_code.clone())
        .bind(id.to_string())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        imposition(&row)
    }

    async fn impositions(
        &self,
        places: &PlaceFilter,
        from: NaiveDate,
        to: NaiveDate,
        limit: i64,
    ) -> Result<Vec<Imposition>> {
        let mut args = Args::default();
        let condition = args.places("community_code", places);
        let sql = format!(
            "SELECT {IMPOSITION_COLUMNS} FROM burden_impositions WHERE {condition} AND imposed_on >= {} \
             AND imposed_on <= {} ORDER BY imposed_on DESC, id DESC LIMIT {}",
            args.text(from.to_string()),
            args.text(to.to_string()),
            args.int(limit)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(imposition).collect()
    }

    async fn burden_by_community(
        &self,
        places: &PlaceFilter,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<Vec<CommunityBurden>> {
        let mut args = Args::default();
        let condition = args.places("community_code", places);
        let sql = format!(
            "SELECT community_code, COUNT(*) AS impositions, CAST(COALESCE(SUM(half_hours), 0) AS BIGINT) AS half_hours, \
               CAST(COALESCE(SUM(CASE WHEN entry_id IS NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS not_listed, \
               CAST(COALESCE(SUM(CASE WHEN entry_id IS NULL THEN half_hours ELSE 0 END), 0) AS BIGINT) AS not_listed_half_hours, \
               CAST(COALESCE(SUM(CASE WHEN asks <> '' THEN 1 ELSE 0 END), 0) AS BIGINT) AS duplicates \
             FROM burden_impositions WHERE {condition} AND imposed_on >= {} AND imposed_on <= {} \
             GROUP BY community_code ORDER BY community_code",
            args.text(from.to_string()),
            args.text(to.to_string()),
        );
        args.bind(sqlx::query(&sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(CommunityBurden {
                    community_code: r.try_get("community_code")?,
                    totals: BurdenTotals {
                        impositions: r.try_get("impositions")?,
                        half_hours: r.try_get("half_hours")?,
                        not_listed: r.try_get("not_listed")?,
                        not_listed_half_hours: r.try_get("not_listed_half_hours")?,
                        duplicates: r.try_get("duplicates")?,
                    },
                })
            })
            .collect()
    }
}
