//! Compounds, their ratings and the property cases that name them.

use chrono::{DateTime, Utc};
use grassroots_domain::property::{Compound, PROPERTY_CATEGORY};
use grassroots_domain::{Actor, CaseState, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::compounds::{CompoundCase, CompoundRecord};
use crate::{PlaceFilter, Result, StoreError};

const COMPOUND_COLUMNS: &str = "id, community_code, name, company, company_code";

/// `%name%` for LIKE, its own `%`, `_` and `\` taken literally.
fn naming(name: &str) -> String {
    format!("%{}%", name.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_"))
}

/// The cases about a compound: the community's property cases whose address or words name it.
const ABOUT: &str = "community_code = $1 AND category_code LIKE $2 AND (address LIKE $3 ESCAPE '\\' \
     OR description LIKE $3 ESCAPE '\\')";

async fn record(conn: &mut AnyConnection, r: &AnyRow, year: i32) -> Result<CompoundRecord> {
    let id = uuid_column(r, "id")?;
    let community: String = r.try_get("community_code")?;
    let name: String = r.try_get("name")?;
    let rated = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(score), 0) AS BIGINT) AS total FROM compound_ratings \
         WHERE compound_id = $1 AND year = $2",
    )
    .bind(id.to_string())
    .bind(i64::from(year))
    .fetch_one(&mut *conn)
    .await?;
    let (ratings, total): (i64, i64) = (rated.try_get("n")?, rated.try_get("total")?);
    let cases = sqlx::query(&format!(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(CASE WHEN state IN ('closed', 'rejected', 'merged') THEN 0 ELSE 1 END), 0) \
         AS BIGINT) AS open FROM cases WHERE {ABOUT}"
    ))
    .bind(community.clone())
    .bind(format!("{PROPERTY_CATEGORY}%"))
    .bind(naming(&name))
    .fetch_one(&mut *conn)
    .await?;
    #[allow(clippy::cast_precision_loss)]
    let mean_score = (ratings > 0).then(|| total as f64 / ratings as f64);
    Ok(CompoundRecord {
        id,
        community_code: community,
        name,
        company: r.try_get("company")?,
        company_code: r.try_get("company_code")?,
        year,
        ratings,
        mean_score,
        cases: cases.try_get("n")?,
        open_cases: cases.try_get("open")?,
    })
}

async fn compound_in(conn: &mut AnyConnection, id: Uuid, year: i32) -> Result<Option<CompoundRecord>> {
    let row = sqlx::query(&format!("SELECT {COMPOUND_COLUMNS} FROM compounds WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    match row {
        None => Ok(None),
        Some(r) => Ok(Some(record(conn, &r, year).await?)),
    }
}

#[async_trait::async_trait]
impl crate::CompoundStore for SqlStore {
    async fn add_compound(
        &self,
        actor: &Actor,
        community_code: &str,
        c: &Compound,
        now: DateTime<Utc>,
    ) -> Result<CompoundRecord> {
        reaching(actor, community_code)?;
        let mut tx = self.write.begin().await?;
        let taken = sqlx::query("SELECT 1 FROM compounds WHERE community_code = $1 AND name = $2")
            .bind(community_code.to_string())
            .bind(c.name.clone())
            .fetch_optional(&mut *tx)
            .await?;
        if taken.is_some() {
            return Err(
                FieldError::new("name", "本社区已有同名小区", "the community has a compound of that name").into()
            );
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO compounds (id, community_code, name, company, company_code, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(community_code.to_string())
        .bind(c.name.clone())
        .bind(c.company.clone())
        .bind(c.company_code.clone())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "community_code": community_code, "name": c.name, "company": c.company });
        events::audit(&mut tx, now, actor, "compound_added", Some(Subject { kind: "compound", id }), detail).await?;
        let year = chrono::Datelike::year(&grassroots_domain::calendar::beijing_day(now));
        let added = compound_in(&mut tx, id, year).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(added)
    }

    async fn compounds(&self, places: &PlaceFilter, year: i32) -> Result<Vec<CompoundRecord>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let sql = format!(
            "SELECT {COMPOUND_COLUMNS} FROM compounds WHERE {} ORDER BY community_code, name",
            args.places("community_code", places)
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
        let mut listed = Vec::with_capacity(rows.len());
        for row in &rows {
            listed.push(record(&mut conn, row, year).await?);
        }
        Ok(listed)
    }

    async fn compound(&self, id: Uuid, year: i32) -> Result<Option<CompoundRecord>> {
        let mut conn = self.read.acquire().await?;
        compound_in(&mut conn, id, year).await
    }

    async fn rate_compound(
        &self,
        resident: Uuid,
        id: Uuid,
        year: i32,
        score: u8,
        comment: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<CompoundRecord> {
        let mut tx = self.write.begin().await?;
        compound_in(&mut tx, id, year).await?.ok_or(StoreError::NotFound)?;
        sqlx::query(
            "INSERT INTO compound_ratings (compound_id, resident_id, year, score, comment, rated_at) \
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (compound_id, resident_id, year) \
             DO UPDATE SET score = $4, comment = $5, rated_at = $6",
        )
        .bind(id.to_string())
        .bind(resident.to_string())
        .bind(i64::from(year))
        .bind(i64::from(score))
        .bind(comment.map(str::to_string))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let rated = compound_in(&mut tx, id, year).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(rated)
    }

    async fn compound_cases(&self, id: Uuid, limit: i64) -> Result<Vec<CompoundCase>> {
        let mut conn = self.read.acquire().await?;
        let row = sqlx::query("SELECT community_code, name FROM compounds WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?
            .ok_or(StoreError::NotFound)?;
        let (community, name): (String, String) = (row.try_get("community_code")?, row.try_get("name")?);
        sqlx::query(&format!(
            "SELECT id, tracking_no, category_code, state, received_at FROM cases WHERE {ABOUT} \
             ORDER BY received_at DESC, id LIMIT $4"
        ))
        .bind(community)
        .bind(format!("{PROPERTY_CATEGORY}%"))
        .bind(naming(&name))
        .bind(limit)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(CompoundCase {
                id: uuid_column(r, "id")?,
                tracking_no: r.try_get("tracking_no")?,
                category_code: r.try_get("category_code")?,
                state: coded(CaseState::parse, "case state", r.try_get("state")?)?,
                received_at: from_ms(r.try_get("received_at")?),
            })
        })
        .collect()
    }
}
