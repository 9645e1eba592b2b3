//! The counts behind the three rates.

use chrono::{DateTime, Utc};
use grassroots_domain::rates::RateCounts;
use grassroots_domain::{CaseState, Scope};
use sqlx::Row;

use super::cases::PENDING_STATES;
use super::rows::uuid_column;
use super::rows::{category_clause, scoped_region_clauses};
use super::{ms, Args, SqlStore};
use crate::{CasePoint, CommunityCategoryCount, Grouping, PatrolCounts, RateFilter, RegionCount, Result, StoreError};

impl SqlStore {
    /// The counts behind the rates over cases first dispatched in the period, in one query,
    /// for the whole filter or per group.
    async fn grouped_rate_counts(
        &self,
        scope: &Scope,
        f: &RateFilter,
        grouping: Option<Grouping>,
    ) -> Result<Vec<(String, RateCounts)>> {
        let mut args = Args::default();
        let mut conditions = scoped_region_clauses(scope, f.region.as_ref(), &mut args);
        conditions.push("c.first_dispatched_at IS NOT NULL".to_string());
        if let Some(unit) = &f.unit {
            conditions.push(format!("c.lead_unit = {}", args.text(unit.clone())));
        }
        if let Some(category) = &f.category {
            conditions.push(category_clause(category, &mut args));
        }
        if let Some(from) = f.from {
            conditions.push(format!("c.first_dispatched_at >= {}", args.int(ms(from))));
        }
        if let Some(to) = f.to {
            conditions.push(format!("c.first_dispatched_at < {}", args.int(ms(to))));
        }
        let key = grouping.map(|g| group_key(g, "c.first_dispatched_at", f, &mut args)).transpose()?;
        let as_of = args.int(ms(f.as_of.unwrap_or_else(chrono::Utc::now)));
        let (select_key, group_by) = match &key {
            Some(k) => {
                conditions.push(format!("{k} IS NOT NULL"));
                (format!("{k} AS k, "), " GROUP BY 1 ORDER BY 1".to_string())
            }
            None => ("'' AS k, ".to_string(), String::new()),
        };
        let sql = format!(
            "SELECT {select_key}COUNT(*) AS dispatched, \
             COUNT(*) FILTER (WHERE c.responded_on_time IS NOT NULL OR c.response_due <= {as_of}) AS response_due_or_made, \
             COUNT(*) FILTER (WHERE c.responded_on_time = 1) AS responded, \
             COUNT(c.eval_resolved) AS evaluated, \
             COUNT(*) FILTER (WHERE c.eval_resolved = 1) AS resolved, \
             COUNT(*) FILTER (WHERE c.eval_satisfaction IN ('satisfied', 'basic')) AS satisfied \
             FROM cases c WHERE {}{group_by}",
            conditions.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter()
            .map(|row| {
                Ok((
                    key_of(row)?,
                    RateCounts {
                        dispatched: row.try_get("dispatched")?,
                        response_due_or_made: row.try_get("response_due_or_made")?,
                        responded_on_time: row.try_get("responded")?,
                        evaluated: row.try_get("evaluated")?,
                        resolved: row.try_get("resolved")?,
                        satisfied: row.try_get("satisfied")?,
                    },
                ))
            })
            .collect()
    }
}

const WEEK_MS: i64 = 7 * 24 * 3600 * 1000;

/// The SQL of a grouping's key. Weeks count from the filter's start, which they need.
fn group_key(grouping: Grouping, time_column: &str, f: &RateFilter, args: &mut Args) -> Result<String> {
    Ok(match grouping {
        Grouping::Street => "c.street_code".to_string(),
        Grouping::Unit => "c.lead_unit".to_string(),
        Grouping::TopCategory => "SUBSTR(c.category_code, 1, 2)".to_string(),
        Grouping::Week => {
            let from = f.from.ok_or_else(|| {
                grassroots_domain::FieldError::new("from", "按周统计需要开始日期", "weekly figures need a start date")
            })?;
            format!("(({time_column} - {}) / {WEEK_MS})", args.int(ms(from)))
        }
    })
}

/// A group's key as text, whichever type the database gives it.
fn key_of(row: &sqlx::any::AnyRow) -> Result<String> {
    Ok(match row.try_get::<Option<String>, _>("k") {
        Ok(k) => k.unwrap_or_default(),
        Err(_) => row.try_get::<i64, _>("k")?.to_string(),
    })
}

#[async_trait::async_trait]
impl crate::StatsStore for SqlStore {
    async fn rate_counts(&self, scope: &Scope, f: &RateFilter) -> Result<RateCounts> {
        let rows = self.grouped_rate_counts(scope, f, None).await?;
        Ok(rows.into_iter().next().map(|(_, c)| c).unwrap_or_default())
    }

    async fn rate_counts_by(
        &self,
        scope: &Scope,
        f: &RateFilter,
        grouping: Grouping,
    ) -> Result<Vec<(String, RateCounts)>> {
        self.grouped_rate_counts(scope, f, Some(grouping)).await
    }

    async fn case_counts_by(&self, scope: &Scope, f: &RateFilter, grouping: Grouping) -> Result<Vec<RegionCount>> {
        let mut args = Args::default();
        let mut conditions = scoped_region_clauses(scope, f.region.as_ref(), &mut args);
        if let Some(unit) = &f.unit {
            conditions.push(format!("c.lead_unit = {}", args.text(unit.clone())));
        }
        if let Some(category) = &f.category {
            conditions.push(category_clause(category, &mut args));
        }
        if let Some(from) = f.from {
            conditions.push(format!("c.received_at >= {}", args.int(ms(from))));
        }
        if let Some(to) = f.to {
            conditions.push(format!("c.received_at < {}", args.int(ms(to))));
        }
        let key = group_key(grouping, "c.received_at", f, &mut args)?;
        conditions.push(format!("{key} IS NOT NULL"));
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS total, \
             SUM(CASE WHEN c.state IN ({PENDING_STATES}) THEN 1 ELSE 0 END) AS pending, \
             SUM(CASE WHEN c.due_status = 'overdue' AND c.state IN ({PENDING_STATES}) THEN 1 ELSE 0 END) AS overdue \
             FROM cases c WHERE {} GROUP BY 1 ORDER BY 1",
            conditions.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(RegionCount {
                    code: key_of(r)?,
                    total: r.try_get("total")?,
                    pending: r.try_get::<Option<i64>, _>("pending")?.unwrap_or(0),
                    overdue: r.try_get::<Option<i64>, _>("overdue")?.unwrap_or(0),
                })
            })
            .collect()
    }

    /// Cases received in the period, counted per region of `level` (street, community or grid).
    async fn region_counts(
        &self,
        scope: &Scope,
        level: grassroots_domain::RegionLevel,
        filter: &RateFilter,
    ) -> Result<Vec<RegionCount>> {
        use grassroots_domain::RegionLevel as L;
        let column = match level {
            L::County => "c.district_code",
            L::Township => "c.street_code",
            L::Community => "c.community_code",
            L::Grid => "c.grid_code",
            L::Province | L::City => {
                return Err(grassroots_domain::FieldError::new("level", "不支持的层级", "unsupported level").into())
            }
        };
        let mut args = Args::default();
        let mut conditions = scoped_region_clauses(scope, filter.region.as_ref(), &mut args);
        period(filter, &mut args, &mut conditions);
        conditions.push(format!("{column} IS NOT NULL"));
        let sql = format!(
            "SELECT {column} AS code, COUNT(*) AS total, \
             SUM(CASE WHEN c.state IN ({PENDING_STATES}) THEN 1 ELSE 0 END) AS pending, \
             SUM(CASE WHEN c.due_status = 'overdue' AND c.state IN ({PENDING_STATES}) THEN 1 ELSE 0 END) AS overdue \
             FROM cases c WHERE {} GROUP BY {column} ORDER BY {column}",
            conditions.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                Ok(RegionCount {
                    code: r.try_get("code")?,
                    total: r.try_get("total")?,
                    pending: r.try_get::<Option<i64>, _>("pending")?.unwrap_or(0),
                    overdue: r.try_get::<Option<i64>, _>("overdue")?.unwrap_or(0),
                })
            })
            .collect()
    }

    async fn patrol_counts(&self, scope: &Scope, filter: &RateFilter) -> Result<PatrolCounts> {
        let mut args = Args::default();
        let mut conditions = scoped_region_clauses(scope, filter.region.as_ref(), &mut args);
        period(filter, &mut args, &mut conditions);
        conditions.push("c.channel = 'grid_patrol'".into());
        let sql = format!(
            "SELECT COUNT(*) AS reports, COUNT(*) FILTER (WHERE c.resolved_on_spot = 1) AS on_spot FROM cases c WHERE {}",
            conditions.join(" AND ")
        );
        let row = args.bind(sqlx::query(&sql)).fetch_one(&self.read).await?;
        Ok(PatrolCounts { reports: row.try_get("reports")?, resolved_on_spot: row.try_get("on_spot")? })
    }

    /// The newest located cases of the period, as map points.
    async fn case_points(&self, scope: &Scope, filter: &RateFilter, limit: i64) -> Result<Vec<CasePoint>> {
        let mut args = Args::default();
        let mut conditions = scoped_region_clauses(scope, filter.region.as_ref(), &mut args);
        period(filter, &mut args, &mut conditions);
        conditions.push("c.lat IS NOT NULL AND c.lng IS NOT NULL".into());
        let limit = args.int(limit);
        let sql = format!(
            "SELECT c.id, c.lng, c.lat, c.state, c.due_status, c.category_code, c.community_code FROM cases c WHERE {} \
             ORDER BY c.id DESC LIMIT {limit}",
            conditions.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                let state = CaseState::parse(&state).ok_or_else(|| StoreError::Corrupt(format!("state {state}")))?;
                Ok(CasePoint {
                    id: uuid_column(r, "id")?,
                    lng: r.try_get("lng")?,
                    lat: r.try_get("lat")?,
                    overdue: state.is_pending() && r.try_get::<String, _>("due_status")? == "overdue",
                    state,
                    category_code: r.try_get("category_code")?,
                    community_code: r.try_get("community_code")?,
                })
            })
            .collect()
    }

    async fn community_category_counts(&self, since: DateTime<Utc>) -> Result<Vec<CommunityCategoryCount>> {
        let rows = sqlx::query(
            "SELECT c.community_code, c.category_code, COUNT(*) AS n FROM cases c \
             WHERE c.received_at >= $1 AND c.community_code IS NOT NULL GROUP BY c.community_code, c.category_code",
        )
        .bind(ms(since))
        .fetch_all(&self.read)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(CommunityCategoryCount {
                    community_code: r.try_get("community_code")?,
                    category_code: r.try_get("category_code")?,
                    cases: r.try_get("n")?,
                })
            })
            .collect()
    }
}

/// Received within the filter's period and of its category, if given.
fn period(filter: &RateFilter, args: &mut Args, conditions: &mut Vec<String>) {
    if let Some(from) = filter.from {
        conditions.push(format!("c.received_at >= {}", args.int(ms(from))));
    }
    if let Some(to) = filter.to {
        conditions.push(format!("c.received_at < {}", args.int(ms(to))));
    }
    if let Some(category) = &filter.category {
        conditions.push(category_clause(category, args));
    }
}
