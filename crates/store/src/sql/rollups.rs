//! The counters of cases per day and place, and the open cases per place and queue facets:
//! changed with every case row written, read by the figures (stats.rs) and the queues' counts
//! (cases.rs), recomputed from the cases by `rebuild_rollups`.

use grassroots_domain::rollups::{
    CategoryDepth, Changes, Counter, Cut, Need, OpenKey, RollupKey, Tally, BEIJING_MS, DAY_MS,
};
use grassroots_domain::{CaseState, RegionCode, RegionLevel, Scope};
use sqlx::{AnyConnection, Row};

use super::cases::PENDING_STATES;
use super::rows::{region_clause_on, scope_implied, AnyQuery};
use super::{insert_rows, Args, Backend, SqlStore};
use crate::{Counters, RateFilter, Result, RollupCheck};

const KEY_COLUMNS: [&str; 10] = [
    "cut",
    "day",
    "place",
    "district_code",
    "street_code",
    "community_code",
    "grid_code",
    "category_code",
    "lead_unit",
    "co_unit",
];

fn counter_columns() -> impl Iterator<Item = &'static str> {
    Counter::ALL.into_iter().map(Counter::column)
}

fn all_columns() -> Vec<&'static str> {
    KEY_COLUMNS.into_iter().chain(counter_columns()).collect()
}

fn bind_change(q: AnyQuery<'static>, (key, tally): (RollupKey, Tally)) -> AnyQuery<'static> {
    let mut q = q
        .bind(key.cut.code())
        .bind(key.day)
        .bind(key.place)
        .bind(key.district)
        .bind(key.street)
        .bind(key.community)
        .bind(key.grid)
        .bind(key.category)
        .bind(key.lead_unit)
        .bind(key.co_unit);
    for v in tally.0 {
        q = q.bind(v);
    }
    q
}

/// The key columns of the open cases' counts (the count is `n`).
const OPEN_KEY: [&str; 8] = [
    "district_code",
    "street_code",
    "community_code",
    "grid_code",
    "state",
    "due_status",
    "returned",
    "extension_pending",
];

fn bind_open(q: AnyQuery<'static>, (key, n): (OpenKey, i64)) -> AnyQuery<'static> {
    q.bind(key.district)
        .bind(key.street)
        .bind(key.community)
        .bind(key.grid)
        .bind(key.facets.state.as_str())
        .bind(key.facets.due_status.as_str())
        .bind(i64::from(key.facets.returned))
        .bind(i64::from(key.facets.extension_pending))
        .bind(n)
}

/// Adds the changes to the counters, in the caller's transaction. The changes come in key
/// order, the counters per day first, so two transactions lock shared rows in the same order
/// and never deadlock.
pub(super) async fn apply(conn: &mut AnyConnection, changes: Changes) -> Result<()> {
    if !changes.days.is_empty() {
        let columns = all_columns();
        let head = format!("INSERT INTO case_rollups ({})", columns.join(", "));
        let sums: Vec<String> = counter_columns().map(|c| format!("{c} = case_rollups.{c} + excluded.{c}")).collect();
        let tail = format!("ON CONFLICT ({}) DO UPDATE SET {}", KEY_COLUMNS.join(", "), sums.join(", "));
        insert_rows(conn, &head, columns.len(), &tail, changes.days, bind_change).await?;
    }
    if !changes.open.is_empty() {
        let head = format!("INSERT INTO case_open_counts ({}, n)", OPEN_KEY.join(", "));
        let tail = format!("ON CONFLICT ({}) DO UPDATE SET n = case_open_counts.n + excluded.n", OPEN_KEY.join(", "));
        insert_rows(conn, &head, OPEN_KEY.len() + 1, &tail, changes.open, bind_open).await?;
    }
    Ok(())
}

/// The SQL of the open cases' counts recomputed from the cases: the rule of
/// `rollups::open_key`, written again for the database.
fn open_recomputation() -> String {
    format!(
        "SELECT COALESCE(district_code, '') AS district_code, COALESCE(street_code, '') AS street_code, \
         COALESCE(community_code, '') AS community_code, COALESCE(grid_code, '') AS grid_code, state, due_status, \
         CASE WHEN return_count > 0 THEN 1 ELSE 0 END AS returned, extension_pending, COUNT(*) AS n \
         FROM cases WHERE state IN ({}) GROUP BY 1, 2, 3, 4, 5, 6, 7, 8",
        open_states()
    )
}

/// The states of cases not at rest, as an SQL list: an `IN` over them walks the state's
/// index, where `NOT IN` over those at rest would read every case.
fn open_states() -> String {
    let states: Vec<String> =
        CaseState::ALL.iter().filter(|s| !s.is_terminal()).map(|s| format!("'{}'", s.as_str())).collect();
    states.join(", ")
}

/// The SQL of what a case (alias `c`) adds to `cut`, on the day of its receipt or of its first
/// dispatch: the rule of `rollups::contribution`, written again for the database to recompute
/// the counters in bulk. The property tests hold the two to the same answers.
fn recomputation(cut: Cut) -> String {
    let level = cut.places();
    let code = |column: &str| format!("COALESCE(c.{column}, '')");
    let upto = |l: RegionLevel, column: &str| if level >= l { code(column) } else { "''".to_string() };
    let place = match level {
        RegionLevel::Grid => code("grid_code"),
        RegionLevel::Community => code("community_code"),
        RegionLevel::Township => code("street_code"),
        _ => code("district_code"),
    };
    let category = match cut.categories() {
        CategoryDepth::None => "''".to_string(),
        CategoryDepth::Top => "SUBSTR(c.category_code, 1, 2)".to_string(),
        CategoryDepth::Leaf => "c.category_code".to_string(),
    };
    let lead = if cut.units() { code("lead_unit") } else { "''".to_string() };
    let day = |column: &str| format!("(c.{column} + {BEIJING_MS}) / {DAY_MS}");
    // Each side of a case counts its own counters, and zero of the other side's.
    let side = |by_dispatch: bool, from: &str, co: &str, condition: &str| {
        let day_column = if by_dispatch { "first_dispatched_at" } else { "received_at" };
        let counters: Vec<String> = Counter::ALL
            .into_iter()
            .map(|c| {
                let value = if c.by_dispatch() == by_dispatch { counted(c) } else { "0".to_string() };
                format!("{value} AS {}", c.column())
            })
            .collect();
        format!(
            "SELECT {} AS cut, {} AS day, {place} AS place, {} AS district_code, {} AS street_code, \
             {} AS community_code, {} AS grid_code, {category} AS category_code, {lead} AS lead_unit, \
             {co} AS co_unit, {} FROM {from} WHERE {condition}",
            cut.code(),
            day(day_column),
            code("district_code"),
            upto(RegionLevel::Township, "street_code"),
            upto(RegionLevel::Community, "community_code"),
            upto(RegionLevel::Grid, "grid_code"),
            counters.join(", ")
        )
    };
    let mut parts =
        vec![side(false, "cases c", "''", "1=1"), side(true, "cases c", "''", "c.first_dispatched_at IS NOT NULL")];
    if cut.units() {
        let co = "cases c JOIN case_co_units u ON u.case_id = c.id";
        let other = "u.unit_id <> COALESCE(c.lead_unit, '')";
        parts.push(side(false, co, "u.unit_id", other));
        parts.push(side(true, co, "u.unit_id", &format!("{other} AND c.first_dispatched_at IS NOT NULL")));
    }
    let sums: Vec<String> = counter_columns().map(|c| format!("CAST(SUM({c}) AS BIGINT) AS {c}")).collect();
    format!(
        "SELECT {keys}, {} FROM ({}) x GROUP BY {keys}",
        sums.join(", "),
        parts.join(" UNION ALL "),
        keys = KEY_COLUMNS.join(", ")
    )
}

/// What a counter counts of a case (alias `c`) on its side: 1 or 0.
fn counted(counter: Counter) -> String {
    let pending = format!("c.state IN ({PENDING_STATES})");
    let flag = |condition: &str| format!("CASE WHEN {condition} THEN 1 ELSE 0 END");
    match counter {
        Counter::Received | Counter::Dispatched => "1".to_string(),
        Counter::Pending => flag(&pending),
        Counter::Overdue => flag(&format!("{pending} AND c.due_status = 'overdue'")),
        Counter::Patrols => flag("c.channel = 'grid_patrol'"),
        Counter::PatrolsOnSpot => flag("c.channel = 'grid_patrol' AND c.resolved_on_spot = 1"),
        Counter::RespondedOnTime => flag("c.responded_on_time = 1"),
        Counter::Evaluated => flag("c.eval_resolved IS NOT NULL"),
        Counter::Resolved => flag("c.eval_resolved = 1"),
        Counter::Satisfied => flag("c.eval_satisfaction IN ('satisfied', 'basic')"),
    }
}

/// Rows that count anything: a change can leave a row at zero, which counts nothing.
fn counts_anything() -> String {
    let any: Vec<String> = counter_columns().map(|c| format!("{c} <> 0")).collect();
    format!("({})", any.join(" OR "))
}

impl SqlStore {
    /// Fills the counters of a store that has cases and counters without any (a store made
    /// before the counters were kept, or before those cuts or the open counts were): those
    /// only, so that adding a cut costs one pass over the cases, not a check of every cut.
    pub(super) async fn fill_empty_rollups(&self) -> Result<bool> {
        if sqlx::query("SELECT 1 AS x FROM cases LIMIT 1").fetch_optional(&self.read).await?.is_none() {
            return Ok(false);
        }
        let mut empty = Vec::new();
        for cut in Cut::ALL {
            let row = sqlx::query("SELECT 1 AS x FROM case_rollups WHERE cut = $1 LIMIT 1").bind(cut.code());
            if row.fetch_optional(&self.read).await?.is_none() {
                empty.push(Counters::Days(cut));
            }
        }
        let open_cases = format!("SELECT 1 AS x FROM cases WHERE state IN ({}) LIMIT 1", open_states());
        if sqlx::query("SELECT 1 AS x FROM case_open_counts LIMIT 1").fetch_optional(&self.read).await?.is_none()
            && sqlx::query(&open_cases).fetch_optional(&self.read).await?.is_some()
        {
            empty.push(Counters::Open);
        }
        if !empty.is_empty() {
            self.recount(&empty, true).await?;
        }
        Ok(!empty.is_empty())
    }

    /// Recomputes `counters` from the cases, says how each compares with what is kept and,
    /// with `correct`, replaces what differs.
    async fn recount(&self, counters: &[Counters], correct: bool) -> Result<Vec<RollupCheck>> {
        let mut tx = self.write.begin().await?;
        if self.backend == Backend::Postgres {
            // Moves wait for the counters until this commits: a move that committed before is
            // in the recomputation, one that commits after adds its change to it.
            sqlx::query("LOCK TABLE case_rollups, case_open_counts IN EXCLUSIVE MODE").execute(&mut *tx).await?;
        }
        let mut checks = Vec::new();
        for &counted in counters {
            // The table, its columns, the recomputation, its rows of these counters, and of
            // those the rows that count anything (a change can leave a row at zero).
            let (table, columns, recomputed, every_row, counting) = match counted {
                Counters::Days(cut) => (
                    "case_rollups",
                    all_columns().join(", "),
                    recomputation(cut),
                    format!("cut = {}", cut.code()),
                    counts_anything(),
                ),
                Counters::Open => (
                    "case_open_counts",
                    format!("{}, n", OPEN_KEY.join(", ")),
                    open_recomputation(),
                    "1=1".to_string(),
                    "n <> 0".to_string(),
                ),
            };
            sqlx::query("DROP TABLE IF EXISTS rollups_recomputed").execute(&mut *tx).await?;
            let create = format!("CREATE TEMPORARY TABLE rollups_recomputed AS {recomputed}");
            sqlx::query(&create).execute(&mut *tx).await?;
            let stored = format!("SELECT {columns} FROM {table} WHERE {every_row} AND {counting}");
            let rows: i64 =
                sqlx::query("SELECT COUNT(*) AS n FROM rollups_recomputed").fetch_one(&mut *tx).await?.try_get("n")?;
            let wrong: i64 = sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM (SELECT {columns} FROM rollups_recomputed EXCEPT {stored}) d"
            ))
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            let stale: i64 = sqlx::query(&format!(
                "SELECT COUNT(*) AS n FROM ({stored} EXCEPT SELECT {columns} FROM rollups_recomputed) d"
            ))
            .fetch_one(&mut *tx)
            .await?
            .try_get("n")?;
            let check = RollupCheck { counters: counted, rows, wrong, stale };
            if correct && !check.agrees() {
                sqlx::query(&format!("DELETE FROM {table} WHERE {every_row}")).execute(&mut *tx).await?;
                sqlx::query(&format!("INSERT INTO {table} ({columns}) SELECT {columns} FROM rollups_recomputed"))
                    .execute(&mut *tx)
                    .await?;
            }
            checks.push(check);
        }
        sqlx::query("DROP TABLE rollups_recomputed").execute(&mut *tx).await?;
        tx.commit().await?;
        Ok(checks)
    }
}

#[async_trait::async_trait]
impl crate::RollupStore for SqlStore {
    async fn rebuild_rollups(&self, correct: bool) -> Result<Vec<RollupCheck>> {
        let every: Vec<Counters> = Cut::ALL.into_iter().map(Counters::Days).chain([Counters::Open]).collect();
        self.recount(&every, correct).await
    }
}

/// The conditions on the counters' rows (alias `r`) of a reading: the smallest cut that tells
/// apart everything the reading names, and the rows of its scope and filter.
pub(super) struct RollupReading {
    pub conditions: Vec<String>,
    pub args: Args,
}

impl RollupReading {
    /// `extra` is what the reading needs besides its filters (a grouping's level or units);
    /// `None` when no cut holds it all.
    pub fn plan(scope: &Scope, f: &RateFilter, unit: Option<&str>, extra: Need) -> Option<Self> {
        let mut need = extra;
        if let Some(r) = &f.region {
            need = need.place(r.level());
        }
        let implied = scope_implied(scope, f.region.as_ref());
        if !implied {
            need = match scope {
                Scope::All => need,
                Scope::Regions { codes } => codes.iter().fold(need, |n, c| n.place(c.level())),
                Scope::Unit { .. } => need.unit(),
                Scope::Grids { .. } => need.place(RegionLevel::Grid),
            };
        }
        if unit.is_some() {
            need = need.unit();
        }
        if let Some(c) = &f.category {
            need = need.category(c);
        }
        let cut = Cut::cheapest(&need)?;
        let mut args = Args::default();
        let mut conditions = vec![format!("r.cut = {}", args.int(cut.code()))];
        match (implied, scope) {
            (false, Scope::Unit { unit }) => {
                let (a, b) = (args.text(unit.clone()), args.text(unit.clone()));
                conditions.push(format!("((r.lead_unit = {a} AND r.co_unit = '') OR r.co_unit = {b})"));
            }
            (false, Scope::Regions { codes }) => {
                let parts: Vec<String> = codes.iter().map(|c| region_clause_on("r", c, &mut args)).collect();
                conditions.push(format!("({})", parts.join(" OR ")));
                conditions.push("r.co_unit = ''".into());
            }
            (false, Scope::Grids { codes }) => {
                let list: Vec<String> = codes.iter().map(|g| args.text(g.clone())).collect();
                conditions.push(format!("r.grid_code IN ({})", list.join(", ")));
                conditions.push("r.co_unit = ''".into());
            }
            (true, _) | (false, Scope::All) => conditions.push("r.co_unit = ''".into()),
        }
        if let Some(r) = &f.region {
            conditions.push(place_clause(cut, r, &mut args));
        }
        if let Some(u) = unit {
            conditions.push(format!("r.lead_unit = {}", args.text(u)));
        }
        if let Some(c) = &f.category {
            conditions.push(format!("r.category_code = {}", args.text(c.clone())));
        }
        Some(Self { conditions, args })
    }

    /// Restricts the reading to whole days `from..to`.
    pub fn days(mut self, from: Option<i64>, to: Option<i64>) -> Self {
        if let Some(d) = from {
            let d = self.args.int(d);
            self.conditions.push(format!("r.day >= {d}"));
        }
        if let Some(d) = to {
            let d = self.args.int(d);
            self.conditions.push(format!("r.day < {d}"));
        }
        self
    }
}

/// A region as its cut's rows name it: at the cut's own level by `place`, which is indexed.
fn place_clause(cut: Cut, region: &RegionCode, args: &mut Args) -> String {
    if region.level() == cut.places() {
        format!("r.place = {}", args.text(region.as_str()))
    } else {
        region_clause_on("r", region, args)
    }
}
