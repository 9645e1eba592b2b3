//! Bulletins kept once per subject, period and start (an upsert on that key), their numbers as
//! JSON; the repeated complaints of a period counted over the cases.

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::bulletins::{Bulletin, BulletinPeriod, Repeats, SubjectKind};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::rows::{coded, date_column, region_clause, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::bulletins::{BulletinEntry, KeptBulletin};
use crate::{RateFilter, Result, StoreError};

fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn kept(r: &AnyRow) -> Result<KeptBulletin> {
    let body: String = r.try_get("body")?;
    Ok(KeptBulletin {
        id: uuid_column(r, "id")?,
        bulletin: serde_json::from_str(&body).map_err(corrupt)?,
        generated_at: from_ms(r.try_get("generated_at")?),
        generated_by: r.try_get("generated_by")?,
    })
}

fn entry(r: &AnyRow) -> Result<BulletinEntry> {
    Ok(BulletinEntry {
        id: uuid_column(r, "id")?,
        subject_kind: coded(SubjectKind::parse, "bulletin subject", r.try_get("subject_kind")?)?,
        subject_code: r.try_get("subject_code")?,
        subject_name: r.try_get("subject_name")?,
        period: coded(BulletinPeriod::parse, "bulletin period", r.try_get("period")?)?,
        from: date_column(r, "period_from")?,
        to: date_column(r, "period_to")?,
        generated_at: from_ms(r.try_get("generated_at")?),
    })
}

#[async_trait::async_trait]
impl crate::BulletinStore for SqlStore {
    async fn keep_bulletin(&self, b: &Bulletin, by: &str, now: DateTime<Utc>) -> Result<KeptBulletin> {
        let body = serde_json::to_string(b).map_err(corrupt)?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO bulletins (id, subject_kind, subject_code, subject_name, period, period_from, period_to, body, \
             generated_at, generated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) \
             ON CONFLICT (subject_kind, subject_code, period, period_from) DO UPDATE SET body = excluded.body, \
             subject_name = excluded.subject_name, generated_at = excluded.generated_at, \
             generated_by = excluded.generated_by",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(b.subject.kind.as_str())
        .bind(b.subject.code.clone())
        .bind(b.subject.name.clone())
        .bind(b.period.as_str())
        .bind(b.span.from.to_string())
        .bind(b.span.to.to_string())
        .bind(body)
        .bind(ms(now))
        .bind(by.to_string())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(
            "SELECT id, body, generated_at, generated_by FROM bulletins WHERE subject_kind = $1 AND subject_code = $2 \
             AND period = $3 AND period_from = $4",
        )
        .bind(b.subject.kind.as_str())
        .bind(b.subject.code.clone())
        .bind(b.period.as_str())
        .bind(b.span.from.to_string())
        .fetch_one(&mut *tx)
        .await?;
        tx.commit().await?;
        kept(&row)
    }

    async fn bulletin(&self, id: Uuid) -> Result<Option<KeptBulletin>> {
        sqlx::query("SELECT id, body, generated_at, generated_by FROM bulletins WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?
            .as_ref()
            .map(kept)
            .transpose()
    }

    async fn bulletin_exists(
        &self,
        kind: SubjectKind,
        code: &str,
        period: BulletinPeriod,
        from: NaiveDate,
    ) -> Result<bool> {
        let found: Option<String> = sqlx::query_scalar(
            "SELECT id FROM bulletins WHERE subject_kind = $1 AND subject_code = $2 AND period = $3 AND period_from = $4",
        )
        .bind(kind.as_str())
        .bind(code.to_string())
        .bind(period.as_str())
        .bind(from.to_string())
        .fetch_optional(&self.read)
        .await?;
        Ok(found.is_some())
    }

    async fn bulletins(&self, regions: &[String], units: &[String], limit: i64) -> Result<Vec<BulletinEntry>> {
        let mut args = Args::default();
        let mut any: Vec<String> = regions
            .iter()
            .map(|r| format!("(subject_kind <> 'unit' AND subject_code LIKE {})", args.text(format!("{r}%"))))
            .collect();
        any.extend(
            units.iter().map(|u| format!("(subject_kind = 'unit' AND subject_code = {})", args.text(u.clone()))),
        );
        if any.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT id, subject_kind, subject_code, subject_name, period, period_from, period_to, generated_at \
             FROM bulletins WHERE {} ORDER BY period_from DESC, period, subject_kind, subject_code LIMIT {}",
            any.join(" OR "),
            args.int(limit)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(entry).collect()
    }

    async fn repeats(&self, filter: &RateFilter) -> Result<Repeats> {
        let mut args = Args::default();
        let mut conditions = Vec::new();
        if let Some(region) = &filter.region {
            conditions.push(region_clause(region, &mut args));
        }
        if let Some(unit) = &filter.unit {
            conditions.push(format!("c.lead_unit = {}", args.text(unit.clone())));
        }
        if let Some(from) = filter.from {
            conditions.push(format!("c.received_at >= {}", args.int(ms(from))));
        }
        if let Some(to) = filter.to {
            conditions.push(format!("c.received_at < {}", args.int(ms(to))));
        }
        let within = if conditions.is_empty() { "1 = 1".to_string() } else { conditions.join(" AND ") };
        let sql = format!(
            "SELECT \
               (SELECT COUNT(*) FROM (SELECT c.reporter_phone_tag FROM cases c WHERE {within} \
                  AND c.reporter_phone_tag IS NOT NULL GROUP BY c.reporter_phone_tag HAVING COUNT(*) >= 2) x) AS callers, \
               (SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM (SELECT COUNT(*) AS n FROM cases c WHERE {within} \
                  AND c.reporter_phone_tag IS NOT NULL GROUP BY c.reporter_phone_tag HAVING COUNT(*) >= 2) y) AS cases, \
               (SELECT COUNT(*) FROM cases c WHERE {within} AND c.reopen_count > 0) AS reopened"
        );
        // The conditions appear three times with the same placeholders, bound once.
        let row = args.bind(sqlx::query(&sql)).fetch_one(&self.read).await?;
        Ok(Repeats {
            callers: row.try_get("callers")?,
            cases: row.try_get("cases")?,
            reopened: row.try_get("reopened")?,
        })
    }
}
