//! The counts behind the three rates.

use grassroots_domain::rates::RateCounts;
use grassroots_domain::Scope;
use sqlx::Row;

use super::rows::{category_clause, scoped_region_clauses};
use super::{ms, Args, SqlStore};
use crate::{RateFilter, Result};

impl SqlStore {
    pub(crate) async fn rate_counts_impl(&self, scope: &Scope, f: &RateFilter) -> Result<RateCounts> {
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
        let as_of = args.int(ms(f.as_of.unwrap_or_else(chrono::Utc::now)));
        let sql = format!(
            "SELECT COUNT(*) AS dispatched, \
             COUNT(*) FILTER (WHERE c.responded_on_time IS NOT NULL OR c.response_due <= {as_of}) AS response_due_or_made, \
             COUNT(*) FILTER (WHERE c.responded_on_time = 1) AS responded, \
             COUNT(c.eval_resolved) AS evaluated, \
             COUNT(*) FILTER (WHERE c.eval_resolved = 1) AS resolved, \
             COUNT(*) FILTER (WHERE c.eval_satisfaction IN ('satisfied', 'basic')) AS satisfied \
             FROM cases c WHERE {}",
            conditions.join(" AND ")
        );
        let row = args.bind(sqlx::query(&sql)).fetch_one(&self.read).await?;
        Ok(RateCounts {
            dispatched: row.try_get("dispatched")?,
            response_due_or_made: row.try_get("response_due_or_made")?,
            responded_on_time: row.try_get("responded")?,
            evaluated: row.try_get("evaluated")?,
            resolved: row.try_get("resolved")?,
            satisfied: row.try_get("satisfied")?,
        })
    }
}
