//! The counts behind the three rates.

use grassroots_domain::rates::RateCounts;
use grassroots_domain::Scope;
use sqlx::Row;

use super::cases::PENDING_STATES;
use super::rows::{category_clause, scoped_region_clauses};
use super::{ms, Args, SqlStore};
use crate::{Grouping, RateFilter, RegionCount, Result};

impl SqlStore {
    pub(crate) async fn rate_counts_impl(&self, scope: &Scope, f: &RateFilter) -> Result<RateCounts> {
        let rows = self.grouped_rate_counts(scope, f, None).await?;
        Ok(rows.into_iter().next().map(|(_, c)| c).unwrap_or_default())
    }

    pub(crate) async fn rate_counts_by_impl(
        &self,
        scope: &Scope,
        f: &RateFilter,
        grouping: Grouping,
    ) -> Result<Vec<(String, RateCounts)>> {
        self.grouped_rate_counts(scope, f, Some(grouping)).await
    }

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

    pub(crate) async fn case_counts_by_impl(
        &self,
        scope: &Scope,
        f: &RateFilter,
        grouping: Grouping,
    ) -> Result<Vec<RegionCount>> {
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
