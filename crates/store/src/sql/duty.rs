//! The duty roster: shifts per street, read by street and period.

use chrono::{DateTime, Utc};
use grassroots_domain::Actor;
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::uuid_column;
use super::{from_ms, ms, Args, SqlStore};
use crate::duty::{NewShift, Shift};
use crate::{Result, StoreError};

const COLUMNS: &str =
    "d.id, d.street_code, d.user_id, u.username, u.display_name, u.phone_masked, d.starts_at, d.ends_at";

/// One shift by its id.
fn by_id() -> String {
    format!("SELECT {COLUMNS} FROM duty_shifts d JOIN users u ON u.id = d.user_id WHERE d.id = $1")
}

fn shift(r: &AnyRow) -> Result<Shift> {
    Ok(Shift {
        id: uuid_column(r, "id")?,
        street_code: r.try_get("street_code")?,
        user_id: uuid_column(r, "user_id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        phone_masked: r.try_get("phone_masked")?,
        starts_at: from_ms(r.try_get("starts_at")?),
        ends_at: from_ms(r.try_get("ends_at")?),
    })
}

fn detail(shift: &Shift) -> serde_json::Value {
    serde_json::json!({
        "street": shift.street_code, "user": shift.username,
        "starts_at": shift.starts_at, "ends_at": shift.ends_at,
    })
}

#[async_trait::async_trait]
impl crate::DutyStore for SqlStore {
    async fn add_shift(&self, new: &NewShift, actor: &Actor, now: DateTime<Utc>) -> Result<Shift> {
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO duty_shifts (id, street_code, user_id, starts_at, ends_at, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(new.street_code.clone())
        .bind(new.user_id.to_string())
        .bind(ms(new.starts_at))
        .bind(ms(new.ends_at))
        .bind(actor.id().map_or_else(|| actor.kind().to_string(), |id| id.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let added = shift(&sqlx::query(&by_id()).bind(id.to_string()).fetch_one(&mut *tx).await?)?;
        events::audit(&mut tx, now, actor, "duty_planned", Some(Subject { kind: "duty", id }), detail(&added)).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn remove_shift(&self, id: Uuid, actor: &Actor, now: DateTime<Utc>) -> Result<Shift> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(&by_id()).bind(id.to_string()).fetch_optional(&mut *tx).await?;
        let removed = shift(&row.ok_or(StoreError::NotFound)?)?;
        sqlx::query("DELETE FROM duty_shifts WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        events::audit(&mut tx, now, actor, "duty_removed", Some(Subject { kind: "duty", id }), detail(&removed))
            .await?;
        tx.commit().await?;
        Ok(removed)
    }

    async fn shift(&self, id: Uuid) -> Result<Option<Shift>> {
        let row = sqlx::query(&by_id()).bind(id.to_string()).fetch_optional(&self.read).await?;
        row.as_ref().map(shift).transpose()
    }

    async fn shifts(&self, streets: Option<&[String]>, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<Vec<Shift>> {
        let mut args = Args::default();
        let (from, to) = (args.int(ms(from)), args.int(ms(to)));
        let mut clauses = vec![format!("d.ends_at > {from}"), format!("d.starts_at < {to}")];
        if let Some(streets) = streets {
            if streets.is_empty() {
                return Ok(Vec::new());
            }
            let list: Vec<String> = streets.iter().map(|s| args.text(s.as_str())).collect();
            clauses.push(format!("d.street_code IN ({})", list.join(", ")));
        }
        let sql = format!(
            "SELECT {COLUMNS} FROM duty_shifts d JOIN users u ON u.id = d.user_id WHERE {} \
             ORDER BY d.starts_at, d.street_code, d.id",
            clauses.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter().map(shift).collect()
    }
}
