//! Reference data: regions, categories, units, the responsibility matrix, the calendar.

use grassroots_domain::calendar::{CalendarDay, DayKind};
use grassroots_domain::category::{Category, CategoryCode};
use grassroots_domain::region::Region;
use grassroots_domain::{RegionCode, RegionLevel};
use grassroots_domain::{Taxonomy, WorkCalendar};
use sqlx::Row;

use super::SqlStore;
use crate::{Reference, RegionImport, Responsibility, Result, StoreError, Unit};
use sqlx::any::AnyRow;

#[async_trait::async_trait]
impl crate::ReferenceStore for SqlStore {
    /// Set-based: the regions go to a staging table in multi-row statements, then one
    /// statement keeps the former names of renamed regions and one writes the changes.
    async fn upsert_regions(&self, regions: &[Region]) -> Result<RegionImport> {
        /// Rows per INSERT: 4 parameters each, well inside both backends' limits.
        const ROWS: usize = 200;
        let now = super::ms(chrono::Utc::now());
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "CREATE TEMP TABLE IF NOT EXISTS region_staging \
             (code TEXT PRIMARY KEY, name TEXT NOT NULL, level TEXT NOT NULL, parent_code TEXT)",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM region_staging").execute(&mut *tx).await?;
        for rows in regions.chunks(ROWS) {
            let placeholders: Vec<String> = (0..rows.len())
                .map(|i| format!("(${}, ${}, ${}, ${})", 4 * i + 1, 4 * i + 2, 4 * i + 3, 4 * i + 4))
                .collect();
            // A code given twice in one import: the last line wins.
            let sql = format!(
                "INSERT INTO region_staging (code, name, level, parent_code) VALUES {} \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code",
                placeholders.join(", ")
            );
            let mut q = sqlx::query(&sql);
            for r in rows {
                q = q
                    .bind(r.code.as_str().to_string())
                    .bind(r.name.clone())
                    .bind(r.level.as_str())
                    .bind(r.parent.as_ref().map(|p| p.as_str().to_string()));
            }
            q.execute(&mut *tx).await?;
        }
        let renamed = sqlx::query(
            "INSERT INTO region_names (code, name, replaced_at) \
             SELECT r.code, r.name, $1 FROM regions r JOIN region_staging s ON s.code = r.code WHERE r.name <> s.name",
        )
        .bind(now)
        .execute(&mut *tx)
        .await?;
        let written = sqlx::query(
            "INSERT INTO regions (code, name, level, parent_code) SELECT code, name, level, parent_code FROM region_staging WHERE true \
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level, parent_code = excluded.parent_code \
             WHERE regions.name <> excluded.name OR regions.level <> excluded.level \
             OR COALESCE(regions.parent_code, '') <> COALESCE(excluded.parent_code, '')",
        )
        .execute(&mut *tx)
        .await?;
        sqlx::query("DELETE FROM region_staging").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(RegionImport { written: written.rows_affected(), renamed: renamed.rows_affected() })
    }

    async fn region_names(&self, code: &str) -> Result<Vec<(String, chrono::DateTime<chrono::Utc>)>> {
        let rows = sqlx::query("SELECT name, replaced_at FROM region_names WHERE code = $1 ORDER BY replaced_at")
            .bind(code.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(|r| Ok((r.try_get("name")?, super::from_ms(r.try_get("replaced_at")?)))).collect()
    }

    async fn regions(&self) -> Result<Vec<Region>> {
        let rows = sqlx::query("SELECT code, name, level, parent_code FROM regions ORDER BY code")
            .fetch_all(&self.read)
            .await?;
        rows.iter().map(region_from_row).collect()
    }

    async fn upsert_categories(&self, categories: &[Category]) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        for c in categories {
            sqlx::query(
                "INSERT INTO categories (code, parent_code, name_zh, name_en, default_unit, response_hours, resolve_days, sensitive, retention_days, photo_on_handling, auto_percent) \
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) ON CONFLICT (code) DO UPDATE SET parent_code = excluded.parent_code, \
                 name_zh = excluded.name_zh, name_en = excluded.name_en, default_unit = excluded.default_unit, \
                 response_hours = excluded.response_hours, resolve_days = excluded.resolve_days, sensitive = excluded.sensitive, \
                 retention_days = excluded.retention_days, photo_on_handling = excluded.photo_on_handling, \
                 auto_percent = excluded.auto_percent",
            )
            .bind(c.code.0.clone())
            .bind(c.parent.as_ref().map(|p| p.0.clone()))
            .bind(c.name_zh.clone())
            .bind(c.name_en.clone())
            .bind(c.default_unit.clone())
            .bind(i64::from(c.response_hours))
            .bind(i64::from(c.resolve_days))
            .bind(i64::from(c.sensitive))
            .bind(i64::from(c.retention_days))
            .bind(i64::from(c.photo_on_handling))
            .bind(c.auto_percent.map(i64::from))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(categories.len() as u64)
    }

    async fn upsert_units(&self, units: &[Unit]) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        for u in units {
            sqlx::query(
                "INSERT INTO units (id, name_zh, name_en, kind, region_code) VALUES ($1, $2, $3, $4, $5) \
                 ON CONFLICT (id) DO UPDATE SET name_zh = excluded.name_zh, name_en = excluded.name_en, \
                 kind = excluded.kind, region_code = excluded.region_code",
            )
            .bind(u.id.clone())
            .bind(u.name_zh.clone())
            .bind(u.name_en.clone())
            .bind(u.kind.clone())
            .bind(u.region_code.clone())
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(units.len() as u64)
    }

    async fn upsert_responsibilities(&self, rows: &[Responsibility]) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        for r in rows {
            sqlx::query(
                "INSERT INTO responsibilities (category_code, region_code, unit_id, auto_dispatch) \
                 VALUES ($1, $2, $3, $4) ON CONFLICT (category_code, region_code) \
                 DO UPDATE SET unit_id = excluded.unit_id, auto_dispatch = excluded.auto_dispatch",
            )
            .bind(r.category_code.clone())
            .bind(r.region_code.clone())
            .bind(r.unit_id.clone())
            .bind(i64::from(r.auto_dispatch))
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    async fn delete_responsibility(&self, category_code: &str, region_code: &str) -> Result<()> {
        let done = sqlx::query("DELETE FROM responsibilities WHERE category_code = $1 AND region_code = $2")
            .bind(category_code.to_string())
            .bind(region_code.to_string())
            .execute(&self.write)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        Ok(())
    }

    async fn set_calendar_day(&self, date: chrono::NaiveDate, day: Option<(DayKind, String)>) -> Result<()> {
        let date = date.format("%Y-%m-%d").to_string();
        match day {
            None => {
                sqlx::query("DELETE FROM calendar_days WHERE day = $1").bind(date).execute(&self.write).await?;
            }
            Some((kind, name)) => {
                sqlx::query(
                    "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3) \
                     ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
                )
                .bind(date)
                .bind(kind.as_str())
                .bind(name)
                .execute(&self.write)
                .await?;
            }
        }
        Ok(())
    }

    async fn region(&self, code: &str) -> Result<Option<Region>> {
        let row = sqlx::query("SELECT code, name, level, parent_code FROM regions WHERE code = $1")
            .bind(code.to_string())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(region_from_row).transpose()
    }

    async fn replace_calendar(&self, days: &[CalendarDay]) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM calendar_days").execute(&mut *tx).await?;
        for d in days {
            sqlx::query("INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3)")
                .bind(d.date.format("%Y-%m-%d").to_string())
                .bind(d.kind.as_str())
                .bind(d.name.clone())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn reference(&self) -> Result<Reference> {
        let categories = sqlx::query(
            "SELECT code, parent_code, name_zh, name_en, default_unit, response_hours, resolve_days, sensitive, retention_days, photo_on_handling, auto_percent FROM categories ORDER BY code",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(Category {
                code: CategoryCode(r.try_get("code")?),
                parent: r.try_get::<Option<String>, _>("parent_code")?.map(CategoryCode),
                name_zh: r.try_get("name_zh")?,
                name_en: r.try_get("name_en")?,
                default_unit: r.try_get("default_unit")?,
                response_hours: r.try_get::<i64, _>("response_hours")? as u32,
                resolve_days: r.try_get::<i64, _>("resolve_days")? as u32,
                sensitive: r.try_get::<i64, _>("sensitive")? != 0,
                retention_days: r.try_get::<i64, _>("retention_days")? as u32,
                photo_on_handling: r.try_get::<i64, _>("photo_on_handling")? != 0,
                auto_percent: r.try_get::<Option<i64>, _>("auto_percent")?.and_then(|p| u8::try_from(p).ok()),
            })
        })
        .collect::<Result<Vec<_>>>()?;
        let days = sqlx::query("SELECT day, kind, name FROM calendar_days ORDER BY day")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                let day: String = r.try_get("day")?;
                let kind: String = r.try_get("kind")?;
                Ok(CalendarDay {
                    date: chrono::NaiveDate::parse_from_str(&day, "%Y-%m-%d")
                        .map_err(|_| StoreError::Corrupt(format!("calendar day {day}")))?,
                    kind: DayKind::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("calendar kind {kind}")))?,
                    name: r.try_get("name")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let units = sqlx::query("SELECT id, name_zh, name_en, kind, region_code FROM units ORDER BY id")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(Unit {
                    id: r.try_get("id")?,
                    name_zh: r.try_get("name_zh")?,
                    name_en: r.try_get("name_en")?,
                    kind: r.try_get("kind")?,
                    region_code: r.try_get("region_code")?,
                })
            })
            .collect::<Result<Vec<_>>>()?;
        let responsibilities =
            sqlx::query("SELECT category_code, region_code, unit_id, auto_dispatch FROM responsibilities")
                .fetch_all(&self.read)
                .await?
                .iter()
                .map(|r| {
                    Ok(Responsibility {
                        category_code: r.try_get("category_code")?,
                        region_code: r.try_get("region_code")?,
                        unit_id: r.try_get("unit_id")?,
                        auto_dispatch: r.try_get::<i64, _>("auto_dispatch")? != 0,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
        Ok(Reference {
            taxonomy: Taxonomy::new(categories),
            calendar: WorkCalendar::new(days.clone()),
            calendar_days: days,
            units,
            responsibilities,
        })
    }
}

fn region_from_row(r: &AnyRow) -> Result<Region> {
    let code: String = r.try_get("code")?;
    let level: String = r.try_get("level")?;
    let bad = |what: &str| StoreError::Corrupt(format!("region {code}: {what}"));
    Ok(Region {
        code: RegionCode::parse(&code).map_err(|_| bad("code"))?,
        name: r.try_get("name")?,
        level: RegionLevel::parse(&level).ok_or_else(|| bad("level"))?,
        parent: r
            .try_get::<Option<String>, _>("parent_code")?
            .map(|p| RegionCode::parse(&p))
            .transpose()
            .map_err(|_| bad("parent"))?,
    })
}
