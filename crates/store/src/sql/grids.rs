//! Grid management: boundaries, grids and their workers, households and visits, case
//! attachments, and the per-region counts and points maps are drawn from.

use std::collections::BTreeSet;

use chrono::{DateTime, NaiveDate, Utc};
use grassroots_domain::{Actor, Scope};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::rows::uuid_column;
use super::{ms, SqlStore};
use crate::{
    BoundaryRow, GridCoverage, GridImport, GridRow, Household, HouseholdRef, NewVisit, Result, StoreError, User, Visit,
};

fn json_column(r: &AnyRow, column: &str) -> Result<serde_json::Value> {
    let text: String = r.try_get(column)?;
    serde_json::from_str(&text).map_err(|e| StoreError::Corrupt(format!("{column}: {e}")))
}

fn grid_from_row(r: &AnyRow) -> Result<GridRow> {
    Ok(GridRow {
        code: r.try_get("code")?,
        community_code: r.try_get("community_code")?,
        name: r.try_get("name")?,
        geometry: json_column(r, "geometry")?,
        area_m2: r.try_get("area_m2")?,
        centroid: (r.try_get("centroid_lng")?, r.try_get("centroid_lat")?),
        synthetic: r.try_get::<i64, _>("synthetic")? != 0,
    })
}

/// Beijing's calendar date of a moment: visits are dated as the worker lives them.
fn local_date(t: DateTime<Utc>) -> NaiveDate {
    t.with_timezone(&grassroots_domain::calendar::beijing()).date_naive()
}

impl SqlStore {
    /// Keeps `grid_workers` in step with a grid worker's scope (inside the account's transaction).
    pub(crate) async fn sync_grid_workers(conn: &mut AnyConnection, user: &User) -> Result<()> {
        sqlx::query("DELETE FROM grid_workers WHERE user_id = $1")
            .bind(user.id.to_string())
            .execute(&mut *conn)
            .await?;
        if let Scope::Grids { codes } = &user.scope {
            for code in codes {
                sqlx::query("INSERT INTO grid_workers (grid_code, user_id) VALUES ($1, $2)")
                    .bind(code.clone())
                    .bind(user.id.to_string())
                    .execute(&mut *conn)
                    .await?;
            }
        }
        Ok(())
    }

    /// Registers a household unless its grid already has that label; returns 1 when new.
    pub(super) async fn insert_household(
        conn: &mut AnyConnection,
        grid_code: &str,
        label: &str,
        at: DateTime<Utc>,
    ) -> Result<u64> {
        Ok(sqlx::query(
            "INSERT INTO households (id, grid_code, label, created_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (grid_code, label) DO NOTHING",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(grid_code.to_string())
        .bind(label.to_string())
        .bind(ms(at))
        .execute(&mut *conn)
        .await?
        .rows_affected())
    }
}

#[async_trait::async_trait]
impl crate::GridStore for SqlStore {
    async fn upsert_boundaries(&self, rows: &[BoundaryRow]) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let now = ms(Utc::now());
        for b in rows {
            sqlx::query(
                "INSERT INTO region_boundaries (code, name, geometry, updated_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (code) DO UPDATE SET name = excluded.name, geometry = excluded.geometry, \
                 updated_at = excluded.updated_at",
            )
            .bind(b.code.clone())
            .bind(b.name.clone())
            .bind(b.geometry.to_string())
            .bind(now)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(rows.len() as u64)
    }

    async fn boundaries(&self) -> Result<Vec<BoundaryRow>> {
        let rows = sqlx::query("SELECT code, name, geometry FROM region_boundaries ORDER BY code")
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(BoundaryRow {
                    code: r.try_get("code")?,
                    name: r.try_get("name")?,
                    geometry: json_column(r, "geometry")?,
                })
            })
            .collect()
    }

    /// One transaction: the grids of the named communities become exactly `grids`.
    async fn replace_grids(&self, communities: &[String], grids: &[GridRow]) -> Result<GridImport> {
        let mut tx = self.write.begin().await?;
        let now = ms(Utc::now());
        let incoming: BTreeSet<&str> = grids.iter().map(|g| g.code.as_str()).collect();
        let mut result = GridImport::default();
        for community in communities {
            let existing = sqlx::query("SELECT code FROM grids WHERE community_code = $1")
                .bind(community.clone())
                .fetch_all(&mut *tx)
                .await?;
            for row in existing {
                let code: String = row.try_get("code")?;
                if !incoming.contains(code.as_str()) {
                    sqlx::query("DELETE FROM grids WHERE code = $1").bind(code).execute(&mut *tx).await?;
                    result.removed += 1;
                }
            }
        }
        for g in grids {
            let existed = sqlx::query("SELECT 1 FROM grids WHERE code = $1")
                .bind(g.code.clone())
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
            sqlx::query(
                "INSERT INTO grids (code, community_code, name, geometry, area_m2, centroid_lng, centroid_lat, \
                 synthetic, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (code) DO UPDATE SET \
                 community_code = excluded.community_code, name = excluded.name, geometry = excluded.geometry, \
                 area_m2 = excluded.area_m2, centroid_lng = excluded.centroid_lng, \
                 centroid_lat = excluded.centroid_lat, synthetic = excluded.synthetic, updated_at = excluded.updated_at",
            )
            .bind(g.code.clone())
            .bind(g.community_code.clone())
            .bind(g.name.clone())
            .bind(g.geometry.to_string())
            .bind(g.area_m2)
            .bind(g.centroid.0)
            .bind(g.centroid.1)
            .bind(i64::from(g.synthetic))
            .bind(now)
            .execute(&mut *tx)
            .await?;
            if existed {
                result.updated += 1;
            } else {
                result.added += 1;
            }
        }
        tx.commit().await?;
        Ok(result)
    }

    async fn grids(&self) -> Result<Vec<GridRow>> {
        let rows = sqlx::query(
            "SELECT code, community_code, name, geometry, area_m2, centroid_lng, centroid_lat, synthetic \
             FROM grids ORDER BY code",
        )
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(grid_from_row).collect()
    }

    async fn grid(&self, code: &str) -> Result<Option<GridRow>> {
        let row = sqlx::query(
            "SELECT code, community_code, name, geometry, area_m2, centroid_lng, centroid_lat, synthetic \
             FROM grids WHERE code = $1",
        )
        .bind(code.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(grid_from_row).transpose()
    }

    /// Changes whenever a grid or boundary is added, changed or removed, or regions are added.
    async fn grids_stamp(&self) -> Result<String> {
        let row = sqlx::query(
            "SELECT (SELECT COUNT(*) FROM grids) AS grids, (SELECT COALESCE(MAX(updated_at), 0) FROM grids) AS g, \
             (SELECT COUNT(*) FROM region_boundaries) AS boundaries, \
             (SELECT COALESCE(MAX(updated_at), 0) FROM region_boundaries) AS b, (SELECT COUNT(*) FROM regions) AS regions",
        )
        .fetch_one(&self.read)
        .await?;
        let n = |c: &str| row.try_get::<i64, _>(c);
        Ok(format!("{}:{}:{}:{}:{}", n("grids")?, n("g")?, n("boundaries")?, n("b")?, n("regions")?))
    }

    async fn grid_workers(&self, grid_code: &str) -> Result<Vec<User>> {
        let rows = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.scope FROM grid_workers w \
             JOIN users u ON u.id = w.user_id WHERE w.grid_code = $1 ORDER BY u.username",
        )
        .bind(grid_code.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(super::identity::user_from_row).collect()
    }

    async fn households(&self, grid_code: &str) -> Result<Vec<Household>> {
        let rows = sqlx::query("SELECT id, grid_code, label FROM households WHERE grid_code = $1 ORDER BY label")
            .bind(grid_code.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                Ok(Household {
                    id: uuid_column(r, "id")?,
                    grid_code: r.try_get("grid_code")?,
                    label: r.try_get("label")?,
                })
            })
            .collect()
    }

    async fn add_households(&self, grid_code: &str, labels: &[String]) -> Result<u64> {
        let mut tx = self.write.begin().await?;
        let mut added = 0;
        for label in labels {
            added += Self::insert_household(&mut tx, grid_code, label, Utc::now()).await?;
        }
        tx.commit().await?;
        Ok(added)
    }

    /// Logs a visit by a grid worker to a household of one of their grids (a household named
    /// for the first time is recorded); grids outside the worker's scope are not found.
    async fn record_visit(&self, actor: &Actor, visit: &NewVisit, at: DateTime<Utc>) -> Result<Visit> {
        let Actor::Staff { user_id, username, scope, .. } = actor else { return Err(StoreError::NotFound) };
        if !scope.covers_place(&visit.grid_code) {
            return Err(StoreError::NotFound);
        }
        let mut tx = self.write.begin().await?;
        if sqlx::query("SELECT 1 FROM grids WHERE code = $1")
            .bind(visit.grid_code.clone())
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(StoreError::NotFound);
        }
        let household = match &visit.household {
            HouseholdRef::Id(id) => {
                let row = sqlx::query("SELECT id, grid_code, label FROM households WHERE id = $1 AND grid_code = $2")
                    .bind(id.to_string())
                    .bind(visit.grid_code.clone())
                    .fetch_optional(&mut *tx)
                    .await?
                    .ok_or_else(|| {
                        grassroots_domain::FieldError::new(
                            "household",
                            "本网格没有该住户",
                            "no such household in this grid",
                        )
                    })?;
                Household { id: *id, grid_code: visit.grid_code.clone(), label: row.try_get("label")? }
            }
            HouseholdRef::Label(label) => {
                Self::insert_household(&mut tx, &visit.grid_code, label, at).await?;
                let row = sqlx::query("SELECT id FROM households WHERE grid_code = $1 AND label = $2")
                    .bind(visit.grid_code.clone())
                    .bind(label.clone())
                    .fetch_one(&mut *tx)
                    .await?;
                Household { id: uuid_column(&row, "id")?, grid_code: visit.grid_code.clone(), label: label.clone() }
            }
        };
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO visits (id, household_id, grid_code, worker_id, visited_on, topic, follow_up, case_id, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(household.id.to_string())
        .bind(visit.grid_code.clone())
        .bind(user_id.to_string())
        .bind(visit.visited_on.to_string())
        .bind(visit.topic.clone())
        .bind(visit.follow_up.clone())
        .bind(visit.case_id.map(|c| c.to_string()))
        .bind(ms(at))
        .execute(&mut *tx)
        .await?;
        super::care::visited(&mut tx, household.id, visit.visited_on).await?;
        tx.commit().await?;
        Ok(Visit {
            id,
            household_id: household.id,
            household_label: household.label,
            grid_code: visit.grid_code.clone(),
            worker: username.clone(),
            visited_on: visit.visited_on,
            topic: visit.topic.clone(),
            follow_up: visit.follow_up.clone(),
            case_id: visit.case_id,
        })
    }

    async fn visits(&self, scope: &Scope, grid_code: &str, limit: i64) -> Result<Vec<Visit>> {
        if !scope.covers_place(grid_code) {
            return Err(StoreError::NotFound);
        }
        let rows = sqlx::query(
            "SELECT v.id, v.household_id, h.label, v.grid_code, u.username, v.visited_on, v.topic, v.follow_up, \
             v.case_id FROM visits v JOIN households h ON h.id = v.household_id \
             LEFT JOIN users u ON u.id = v.worker_id WHERE v.grid_code = $1 \
             ORDER BY v.visited_on DESC, v.id DESC LIMIT $2",
        )
        .bind(grid_code.to_string())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                let day: String = r.try_get("visited_on")?;
                Ok(Visit {
                    id: uuid_column(r, "id")?,
                    household_id: uuid_column(r, "household_id")?,
                    household_label: r.try_get("label")?,
                    grid_code: r.try_get("grid_code")?,
                    worker: r.try_get::<Option<String>, _>("username")?.unwrap_or_default(),
                    visited_on: day.parse().map_err(|_| StoreError::Corrupt(format!("visited_on: {day}")))?,
                    topic: r.try_get("topic")?,
                    follow_up: r.try_get("follow_up")?,
                    case_id: r.try_get::<Option<String>, _>("case_id")?.and_then(|c| Uuid::parse_str(&c).ok()),
                })
            })
            .collect()
    }

    /// Visit coverage of every grid whose code starts with `within`, as of `now`.
    async fn coverage(&self, within: &str, now: DateTime<Utc>) -> Result<Vec<GridCoverage>> {
        let today = local_date(now);
        let since = |days: i64| (today - chrono::Duration::days(days - 1)).to_string();
        let rows = sqlx::query(
            "SELECT g.code, \
               (SELECT COUNT(*) FROM households h WHERE h.grid_code = g.code) AS households, \
               (SELECT COUNT(DISTINCT v.household_id) FROM visits v WHERE v.grid_code = g.code AND v.visited_on >= $1 \
                  AND v.visited_on <= $3) AS v30, \
               (SELECT COUNT(DISTINCT v.household_id) FROM visits v WHERE v.grid_code = g.code AND v.visited_on >= $2 \
                  AND v.visited_on <= $3) AS v90 \
             FROM grids g WHERE g.code LIKE $4 ORDER BY g.code",
        )
        .bind(since(30))
        .bind(since(90))
        .bind(today.to_string())
        .bind(format!("{within}%"))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(GridCoverage {
                    grid_code: r.try_get("code")?,
                    households: r.try_get("households")?,
                    visited_30_days: r.try_get("v30")?,
                    visited_90_days: r.try_get("v90")?,
                })
            })
            .collect()
    }
}
