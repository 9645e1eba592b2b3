//! Funds and their ledger: totals kept on the fund row, each payment checked against the
//! balance in the statement that records it.

use chrono::{DateTime, Utc};
use grassroots_domain::charity::{may_pay, Entry, EntryKind, Totals};
use grassroots_domain::Actor;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::charity::{Fund, FundEntry};
use crate::{PlaceFilter, Result, StoreError};

const FUND_COLUMNS: &str =
    "f.id, f.region_code, f.name, f.purpose, f.money_in, f.money_out, f.goods_in, f.goods_out, f.created_at";
const ENTRY_COLUMNS: &str =
    "e.id, e.kind, e.fen, e.description, e.donor, e.donor_public, e.balance_after, e.recorded_at";

fn fund(r: &AnyRow) -> Result<Fund> {
    Ok(Fund {
        id: uuid_column(r, "id")?,
        region_code: r.try_get("region_code")?,
        name: r.try_get("name")?,
        purpose: r.try_get("purpose")?,
        totals: Totals {
            money_in: r.try_get("money_in")?,
            money_out: r.try_get("money_out")?,
            goods_in: r.try_get("goods_in")?,
            goods_out: r.try_get("goods_out")?,
        },
        created_at: from_ms(r.try_get("created_at")?),
    })
}

fn entry(r: &AnyRow) -> Result<FundEntry> {
    Ok(FundEntry {
        id: uuid_column(r, "id")?,
        kind: coded(EntryKind::parse, "fund entry kind", r.try_get("kind")?)?,
        fen: r.try_get("fen")?,
        description: r.try_get("description")?,
        donor: r.try_get("donor")?,
        donor_public: r.try_get::<i64, _>("donor_public")? != 0,
        balance_after: r.try_get("balance_after")?,
        recorded_at: from_ms(r.try_get("recorded_at")?),
    })
}

async fn fund_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Fund>> {
    let row = sqlx::query(&format!("SELECT {FUND_COLUMNS} FROM funds f WHERE f.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    row.as_ref().map(fund).transpose()
}

/// The totals' column an entry adds to.
fn column(kind: EntryKind) -> &'static str {
    match kind {
        EntryKind::Donation => "money_in",
        EntryKind::Spending => "money_out",
        EntryKind::GoodsDonation => "goods_in",
        EntryKind::GoodsDistribution => "goods_out",
    }
}

#[async_trait::async_trait]
impl crate::CharityStore for SqlStore {
    async fn create_fund(
        &self,
        actor: &Actor,
        region_code: &str,
        name: &str,
        purpose: &str,
        now: DateTime<Utc>,
    ) -> Result<Fund> {
        super::rows::holding(actor, region_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO funds (id, region_code, name, purpose, created_at, created_by) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(region_code.to_string())
        .bind(name.to_string())
        .bind(purpose.to_string())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "region_code": region_code, "name": name });
        events::audit(&mut tx, now, actor, "fund_created", Some(Subject { kind: "fund", id }), detail).await?;
        let created = fund_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(created)
    }

    async fn funds(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Fund>> {
        let mut args = Args::default();
        let sql = format!(
            "SELECT {FUND_COLUMNS} FROM funds f WHERE {} ORDER BY f.created_at DESC, f.id DESC LIMIT {}",
            args.places("f.region_code", places),
            args.int(limit)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(fund).collect()
    }

    async fn fund(&self, id: Uuid) -> Result<Option<Fund>> {
        let mut conn = self.read.acquire().await?;
        fund_in(&mut conn, id).await
    }

    async fn record_entry(&self, actor: &Actor, id: Uuid, e: &Entry, now: DateTime<Utc>) -> Result<FundEntry> {
        let mut tx = self.write.begin().await?;
        let before = fund_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &before.region_code)?;
        let column = column(e.kind);
        // A payment is taken only while the fund holds it: the condition and the change are
        // one statement, so two payments at once cannot both pass the same balance.
        let guard = if e.kind == EntryKind::Spending { " AND money_in - money_out >= $1" } else { "" };
        let balance: Option<i64> = sqlx::query_scalar(&format!(
            "UPDATE funds SET {column} = {column} + $1 WHERE id = $2{guard} RETURNING money_in - money_out"
        ))
        .bind(e.fen)
        .bind(id.to_string())
        .fetch_optional(&mut *tx)
        .await?;
        let Some(balance) = balance else {
            let now_held = fund_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
            may_pay(now_held.totals.balance(), e.fen)?;
            return Err(StoreError::Contention);
        };
        let entry_id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO fund_entries (fund_id, id, kind, fen, description, donor, donor_public, balance_after, \
             recorded_by, recorded_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(entry_id.to_string())
        .bind(e.kind.as_str())
        .bind(e.fen)
        .bind(e.description.clone())
        .bind(e.donor.clone())
        .bind(i64::from(e.donor_public))
        .bind(balance)
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "entry": entry_id, "kind": e.kind.as_str(), "fen": e.fen });
        events::audit(&mut tx, now, actor, "fund_entry", Some(Subject { kind: "fund", id }), detail).await?;
        tx.commit().await?;
        Ok(FundEntry {
            id: entry_id,
            kind: e.kind,
            fen: e.fen,
            description: e.description.clone(),
            donor: e.donor.clone(),
            donor_public: e.donor_public,
            balance_after: balance,
            recorded_at: now,
        })
    }

    async fn fund_entries(&self, id: Uuid, limit: i64) -> Result<Vec<FundEntry>> {
        sqlx::query(&format!(
            "SELECT {ENTRY_COLUMNS} FROM fund_entries e WHERE e.fund_id = $1 ORDER BY e.id DESC LIMIT $2"
        ))
        .bind(id.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(entry)
        .collect()
    }
}
