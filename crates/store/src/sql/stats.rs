//! The figures: the counts behind the three rates, case counts per group and region, patrols,
//! map points. Whole days are read from the counters (rollups.rs) when a cut holds what the
//! reading names; the parts of days at a period's ends, and readings no cut holds, from the
//! cases.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use grassroots_domain::rates::RateCounts;
use grassroots_domain::rollups::{day_start, is_day_start, Need, Period, Window, BEIJING_MS, DAY_MS};
use grassroots_domain::{CaseState, RegionLevel, Scope};
use sqlx::Row;

use super::cases::PENDING_STATES;
use super::rollups::RollupReading;
use super::rows::uuid_column;
use super::rows::{category_clause, district_of, scoped_region_clauses};
use super::{ms, Args, SqlStore};
use crate::{CasePoint, CommunityCategoryCount, Grouping, PatrolCounts, RateFilter, RegionCount, Result, StoreError};

const WEEK_MS: i64 = 7 * DAY_MS;

/// Cases of a scope and filter (alias `c`), with `time_column` in `window`.
fn case_conditions(
    scope: &Scope,
    f: &RateFilter,
    unit: Option<&str>,
    time_column: &str,
    window: Window,
    args: &mut Args,
) -> Vec<String> {
    let mut conditions = scoped_region_clauses(scope, f.region.as_ref(), args);
    // A part of a day is read by the district's index by time (a few thousand cases at most),
    // not by the place's own index, which holds every case the place ever had. Over longer
    // windows the place's index reads less, and SQLite, without statistics, takes the index
    // the conditions match best, so the district is named only for short windows.
    let within_a_day = matches!(window, (Some(from), Some(to)) if to - from <= chrono::Duration::days(1));
    if let Some(district) = district_of(scope, f.region.as_ref()).filter(|_| within_a_day) {
        conditions.push(format!("c.district_code = {}", args.text(district)));
    }
    if let Some(unit) = unit {
        conditions.push(format!("c.lead_unit = {}", args.text(unit)));
    }
    if let Some(category) = &f.category {
        conditions.push(category_clause(category, args));
    }
    if let Some(from) = window.0 {
        conditions.push(format!("{time_column} >= {}", args.int(ms(from))));
    }
    if let Some(to) = window.1 {
        conditions.push(format!("{time_column} < {}", args.int(ms(to))));
    }
    conditions
}

/// The SQL of a grouping's key over cases. Weeks count from the filter's start, which they need.
fn case_group_key(grouping: Grouping, time_column: &str, f: &RateFilter, args: &mut Args) -> Result<String> {
    Ok(match grouping {
        Grouping::Street => "c.street_code".to_string(),
        Grouping::Community => "c.community_code".to_string(),
        Grouping::Unit => "c.lead_unit".to_string(),
        Grouping::TopCategory => "SUBSTR(c.category_code, 1, 2)".to_string(),
        Grouping::Week => format!("(({time_column} - {}) / {WEEK_MS})", args.int(ms(week_origin(f)?))),
    })
}

fn week_origin(f: &RateFilter) -> Result<DateTime<Utc>> {
    Ok(f.from.ok_or_else(|| {
        grassroots_domain::FieldError::new("from", "按周统计需要开始日期", "weekly figures need a start date")
    })?)
}

/// The same key over counters' rows (alias `r`), with the condition that leaves out cases
/// without it (no street, no unit).
fn rollup_group_key(grouping: Grouping, f: &RateFilter, args: &mut Args) -> Result<(String, Option<String>)> {
    Ok(match grouping {
        Grouping::Street => ("r.street_code".into(), Some("r.street_code <> ''".into())),
        Grouping::Community => ("r.community_code".into(), Some("r.community_code <> ''".into())),
        Grouping::Unit => ("r.lead_unit".into(), Some("r.lead_unit <> ''".into())),
        Grouping::TopCategory => ("SUBSTR(r.category_code, 1, 2)".into(), None),
        Grouping::Week => {
            let origin = args.int(ms(week_origin(f)?));
            (format!("((r.day * {DAY_MS} - {BEIJING_MS} - {origin}) / {WEEK_MS})"), None)
        }
    })
}

/// What a grouping needs of a cut.
fn grouping_need(grouping: Option<Grouping>) -> Need {
    match grouping {
        Some(Grouping::Street) => Need::new().place(RegionLevel::Township),
        Some(Grouping::Community) => Need::new().place(RegionLevel::Community),
        Some(Grouping::Unit) => Need::new().unit(),
        Some(Grouping::TopCategory) => Need::new().top_categories(),
        Some(Grouping::Week) | None => Need::new(),
    }
}

/// The counters' reading of whole days for `f`, if a cut holds it: weeks counted from a
/// moment within a day would split that day.
fn plan(
    scope: &Scope,
    f: &RateFilter,
    unit: Option<&str>,
    need: Need,
    grouping: Option<Grouping>,
) -> Option<(RollupReading, Period)> {
    let period = Period::of(f.from, f.to);
    let (from, to) = period.days?;
    if grouping == Some(Grouping::Week) && !f.from.is_some_and(is_day_start) {
        return None;
    }
    Some((RollupReading::plan(scope, f, unit, need)?.days(from, to), period))
}

/// A group's key as text, whichever type the database gives it.
fn key_of(row: &sqlx::any::AnyRow) -> Result<String> {
    Ok(match row.try_get::<Option<String>, _>("k") {
        Ok(k) => k.unwrap_or_default(),
        Err(_) => row.try_get::<i64, _>("k")?.to_string(),
    })
}

/// Groups in key order: numbers (weeks) as numbers.
fn in_key_order<T>(groups: HashMap<String, T>) -> Vec<(String, T)> {
    let mut groups: Vec<(String, T)> = groups.into_iter().collect();
    groups.sort_by(|(a, _), (b, _)| match (a.parse::<i64>(), b.parse::<i64>()) {
        (Ok(a), Ok(b)) => a.cmp(&b),
        _ => a.cmp(b),
    });
    groups
}

impl SqlStore {
    /// The counts behind the rates over cases first dispatched in the period, for the whole
    /// filter or per group; groups without dispatched cases are absent.
    async fn grouped_rate_counts(
        &self,
        scope: &Scope,
        f: &RateFilter,
        grouping: Option<Grouping>,
    ) -> Result<Vec<(String, RateCounts)>> {
        let as_of = f.as_of.unwrap_or_else(Utc::now);
        let unit = f.unit.as_deref();
        let Some((reading, period)) = plan(scope, f, unit, grouping_need(grouping), grouping) else {
            return self.scanned_rate_counts(scope, f, (f.from, f.to), grouping, as_of, false).await;
        };
        let mut groups: HashMap<String, RateCounts> = HashMap::new();
        let RollupReading { mut conditions, mut args, .. } = reading;
        let (key, present) = match grouping {
            Some(g) => rollup_group_key(g, f, &mut args)?,
            None => ("''".to_string(), None),
        };
        conditions.extend(present);
        let sql = format!(
            "SELECT {key} AS k, CAST(SUM(r.dispatched) AS BIGINT) AS dispatched, CAST(SUM(r.responded_on_time) AS BIGINT) AS responded, \
             CAST(SUM(r.evaluated) AS BIGINT) AS evaluated, CAST(SUM(r.resolved) AS BIGINT) AS resolved, CAST(SUM(r.satisfied) AS BIGINT) AS satisfied \
             FROM case_rollups r WHERE {} GROUP BY 1 HAVING SUM(r.dispatched) > 0",
            conditions.join(" AND ")
        );
        for row in args.bind(sqlx::query(&sql)).fetch_all(self.figures().await).await? {
            let dispatched: i64 = row.try_get("dispatched")?;
            groups.insert(
                key_of(&row)?,
                RateCounts {
                    dispatched,
                    // Less the cases still inside their response window, below.
                    response_due_or_made: dispatched,
                    responded_on_time: row.try_get("responded")?,
                    evaluated: row.try_get("evaluated")?,
                    resolved: row.try_get("resolved")?,
                    satisfied: row.try_get("satisfied")?,
                },
            );
        }
        let (first, end) = period.days.unwrap_or_default();
        let whole_days = (first.map(day_start), end.map(day_start));
        for (k, waiting) in self.scanned_rate_counts(scope, f, whole_days, grouping, as_of, true).await? {
            groups.entry(k).or_default().response_due_or_made -= waiting.dispatched;
        }
        for edge in period.edges {
            for (k, c) in self.scanned_rate_counts(scope, f, edge, grouping, as_of, false).await? {
                *groups.entry(k).or_default() += c;
            }
        }
        Ok(in_key_order(groups))
    }

    /// The same counts read from the cases first dispatched in `window`; with `awaiting`, only
    /// of those not yet contacted whose response deadline is after `as_of`.
    async fn scanned_rate_counts(
        &self,
        scope: &Scope,
        f: &RateFilter,
        window: Window,
        grouping: Option<Grouping>,
        as_of: DateTime<Utc>,
        awaiting: bool,
    ) -> Result<Vec<(String, RateCounts)>> {
        let mut args = Args::default();
        let time = "c.first_dispatched_at";
        let mut conditions = case_conditions(scope, f, f.unit.as_deref(), time, window, &mut args);
        conditions.push("c.first_dispatched_at IS NOT NULL".to_string());
        let as_of = args.int(ms(as_of));
        let from = if awaiting {
            // The few cases awaiting contact are found by their own partial index and joined
            // to themselves for the filters: told only the filters, SQLite walks the period's
            // dispatched cases (its CROSS JOIN keeps the order written; PostgreSQL chooses by
            // its statistics).
            conditions.push(format!(
                "w.responded_on_time IS NULL AND w.first_dispatched_at IS NOT NULL AND w.response_due > {as_of} \
                 AND c.id = w.id"
            ));
            "cases w CROSS JOIN cases c"
        } else {
            "cases c"
        };
        let key = grouping.map(|g| case_group_key(g, time, f, &mut args)).transpose()?;
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
             FROM {from} WHERE {}{group_by}",
            conditions.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(self.figures().await).await?;
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
            // A reading of no case at all still answers one row of zeros without a group.
            .filter(|r| !matches!(r, Ok((_, c)) if grouping.is_none() && c.dispatched == 0))
            .collect()
    }

    /// Cases received in the period per group (a grouping's key, or the region of a level):
    /// total, still pending, pending and overdue.
    async fn received_counts(
        &self,
        scope: &Scope,
        f: &RateFilter,
        unit: Option<&str>,
        by: By,
    ) -> Result<Vec<RegionCount>> {
        let need = match by {
            By::Group(g) => grouping_need(Some(g)),
            By::Region(level) => Need::new().place(level),
        };
        let grouping = match by {
            By::Group(g) => Some(g),
            By::Region(_) => None,
        };
        let Some((reading, period)) = plan(scope, f, unit, need, grouping) else {
            return self.scanned_received_counts(scope, f, unit, by, (f.from, f.to)).await;
        };
        let RollupReading { mut conditions, mut args, .. } = reading;
        let (key, present) = match by {
            By::Group(g) => rollup_group_key(g, f, &mut args)?,
            By::Region(level) => {
                let column = format!("r.{}", region_column(level)?);
                (column.clone(), Some(format!("{column} <> ''")))
            }
        };
        conditions.extend(present);
        let sql = format!(
            "SELECT {key} AS k, CAST(SUM(r.received) AS BIGINT) AS total, CAST(SUM(r.pending) AS BIGINT) AS pending, CAST(SUM(r.overdue) AS BIGINT) AS overdue \
             FROM case_rollups r WHERE {} GROUP BY 1 HAVING SUM(r.received) > 0",
            conditions.join(" AND ")
        );
        let mut groups: HashMap<String, RegionCount> = HashMap::new();
        for row in args.bind(sqlx::query(&sql)).fetch_all(self.figures().await).await? {
            let code = key_of(&row)?;
            let count = RegionCount {
                code: code.clone(),
                total: row.try_get("total")?,
                pending: row.try_get("pending")?,
                overdue: row.try_get("overdue")?,
            };
            groups.insert(code, count);
        }
        for edge in period.edges {
            for c in self.scanned_received_counts(scope, f, unit, by, edge).await? {
                let sum = groups.entry(c.code.clone()).or_insert_with(|| RegionCount {
                    total: 0,
                    pending: 0,
                    overdue: 0,
                    ..c.clone()
                });
                sum.total += c.total;
                sum.pending += c.pending;
                sum.overdue += c.overdue;
            }
        }
        Ok(in_key_order(groups).into_iter().map(|(_, c)| c).collect())
    }

    async fn scanned_received_counts(
        &self,
        scope: &Scope,
        f: &RateFilter,
        unit: Option<&str>,
        by: By,
        window: Window,
    ) -> Result<Vec<RegionCount>> {
        let mut args = Args::default();
        let time = "c.received_at";
        let mut conditions = case_conditions(scope, f, unit, time, window, &mut args);
        let key = match by {
            By::Group(g) => case_group_key(g, time, f, &mut args)?,
            By::Region(level) => format!("c.{}", region_column(level)?),
        };
        conditions.push(format!("{key} IS NOT NULL"));
        let sql = format!(
            "SELECT {key} AS k, COUNT(*) AS total, \
             SUM(CASE WHEN c.state IN ({PENDING_STATES}) THEN 1 ELSE 0 END) AS pending, \
             SUM(CASE WHEN c.due_status = 'overdue' AND c.state IN ({PENDING_STATES}) THEN 1 ELSE 0 END) AS overdue \
             FROM cases c WHERE {} GROUP BY 1 ORDER BY 1",
            conditions.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(self.figures().await).await?;
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

    async fn scanned_patrol_counts(&self, scope: &Scope, f: &RateFilter, window: Window) -> Result<PatrolCounts> {
        let mut args = Args::default();
        let mut conditions = case_conditions(scope, f, None, "c.received_at", window, &mut args);
        conditions.push("c.channel = 'grid_patrol'".into());
        let sql = format!(
            "SELECT COUNT(*) AS reports, COUNT(*) FILTER (WHERE c.resolved_on_spot = 1) AS on_spot FROM cases c WHERE {}",
            conditions.join(" AND ")
        );
        let row = args.bind(sqlx::query(&sql)).fetch_one(self.figures().await).await?;
        Ok(PatrolCounts { reports: row.try_get("reports")?, resolved_on_spot: row.try_get("on_spot")? })
    }
}

/// How received cases are split.
#[derive(Debug, Clone, Copy)]
enum By {
    Group(Grouping),
    Region(RegionLevel),
}

/// The column of cases (and of counters) naming the region of a level.
pub(super) fn region_column(level: RegionLevel) -> Result<&'static str> {
    Ok(match level {
        RegionLevel::County => "district_code",
        RegionLevel::Township => "street_code",
        RegionLevel::Community => "community_code",
        RegionLevel::Grid => "grid_code",
        RegionLevel::Province | RegionLevel::City => {
            return Err(grassroots_domain::FieldError::new("level", "不支持的层级", "unsupported level").into())
        }
    })
}

#[async_trait::async_trait]
impl crate::StatsStore for SqlStore {
    async fn rate_counts(&self, scope: &Scope, f: &RateFilter) -> Result<RateCounts> {
        let rows = self.grouped_rate_counts(scope, f, None).await?;
        Ok(rows.into_iter().map(|(_, c)| c).fold(RateCounts::default(), |mut sum, c| {
            sum += c;
            sum
        }))
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
        self.received_counts(scope, f, f.unit.as_deref(), By::Group(grouping)).await
    }

    /// Cases received in the period, counted per region of `level` (street, community or grid).
    async fn region_counts(
        &self,
        scope: &Scope,
        level: grassroots_domain::RegionLevel,
        filter: &RateFilter,
    ) -> Result<Vec<RegionCount>> {
        self.received_counts(scope, filter, None, By::Region(level)).await
    }

    async fn patrol_counts(&self, scope: &Scope, filter: &RateFilter) -> Result<PatrolCounts> {
        let Some((reading, period)) = plan(scope, filter, None, Need::new(), None) else {
            return self.scanned_patrol_counts(scope, filter, (filter.from, filter.to)).await;
        };
        let RollupReading { conditions, args, .. } = reading;
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(r.patrols), 0) AS BIGINT) AS reports, CAST(COALESCE(SUM(r.patrols_on_spot), 0) AS BIGINT) AS on_spot \
             FROM case_rollups r WHERE {}",
            conditions.join(" AND ")
        );
        let row = args.bind(sqlx::query(&sql)).fetch_one(self.figures().await).await?;
        let mut counts = PatrolCounts { reports: row.try_get("reports")?, resolved_on_spot: row.try_get("on_spot")? };
        for edge in period.edges {
            let part = self.scanned_patrol_counts(scope, filter, edge).await?;
            counts.reports += part.reports;
            counts.resolved_on_spot += part.resolved_on_spot;
        }
        Ok(counts)
    }

    /// The newest located cases of the period, as map points.
    async fn case_points(&self, scope: &Scope, filter: &RateFilter, limit: i64) -> Result<Vec<CasePoint>> {
        let mut args = Args::default();
        let window = (filter.from, filter.to);
        let mut conditions = case_conditions(scope, filter, None, "c.received_at", window, &mut args);
        conditions.push("c.lat IS NOT NULL AND c.lng IS NOT NULL".into());
        let limit = args.int(limit);
        let sql = format!(
            "SELECT c.id, c.lng, c.lat, c.state, c.due_status, c.category_code, c.community_code FROM cases c WHERE {} \
             ORDER BY c.id DESC LIMIT {limit}",
            conditions.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(self.figures().await).await?;
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
        .fetch_all(self.figures().await)
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

    async fn participation_figures(
        &self,
        region: &str,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        now: DateTime<Utc>,
    ) -> Result<crate::ParticipationFigures> {
        let mut conn = self.read.acquire().await?;
        super::accountability::participation_figures(&mut conn, region, from, to, now).await
    }
}
