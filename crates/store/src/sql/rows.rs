//! Mapping between case rows and domain records, and the scope filter every case query uses.

use grassroots_domain::case::{Evaluation, LocatedBy, PendingExtension, Place};
use grassroots_domain::{
    CaseRecord, CaseState, Channel, DueStatus, Priority, RegionCode, RegionLevel, RequestType, Satisfaction, Scope,
};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::{from_ms, ms, Args};
use crate::{AuditEntry, MaskedReporter, Result, StoreError};

/// The columns `record_from_row` reads, prefixed for a `cases c` alias.
pub const CASE_COLUMNS: &str = "c.id, c.tracking_no, c.state, c.category_code, c.request_type, c.priority, c.channel, \
    c.description, c.district_code, c.street_code, c.community_code, c.grid_code, c.lat, c.lng, c.address, \
    c.received_at, c.clock_started_at, c.response_due, c.resolve_due, c.lead_unit, c.co_units, c.first_dispatched_at, c.dispatched_at, \
    c.first_contact_at, c.responded_on_time, c.handled_at, c.closed_at, c.result, c.reject_reason, c.merged_into, c.pending_extension, \
    c.return_count, c.reopen_count, c.supervision_count, c.escalated, c.eval_resolved, c.eval_satisfaction, \
    c.eval_comment, c.eval_at, c.eval_round, c.due_status, c.version, c.updated_at, \
    c.anonymous, c.reporter_name_masked, c.reporter_phone_masked, c.located_by, c.resolved_on_spot";

/// A count read from the store (never below zero).
pub(super) fn count(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// `NotFound` unless the actor is staff whose scope reaches the place: holds it, or holds one
/// of the grids in it (a grid worker in their community's council, say).
pub(super) fn reaching(actor: &grassroots_domain::Actor, place: &str) -> Result<()> {
    match actor {
        grassroots_domain::Actor::Staff { scope, .. } if scope.reaches(place) => Ok(()),
        _ => Err(StoreError::NotFound),
    }
}

/// `NotFound` unless the actor is staff whose scope holds the whole place.
pub(super) fn holding(actor: &grassroots_domain::Actor, place: &str) -> Result<()> {
    match actor {
        grassroots_domain::Actor::Staff { scope, .. } if scope.covers_place(place) => Ok(()),
        _ => Err(StoreError::NotFound),
    }
}

/// A vote's or survey's withdrawal, from its `withdrawn_at` and `withdrawn_reason` columns.
pub(super) fn withdrawal(r: &sqlx::any::AnyRow) -> Result<Option<crate::votes::Withdrawal>> {
    use sqlx::Row;
    let at: Option<i64> = r.try_get("withdrawn_at")?;
    let reason: Option<String> = r.try_get("withdrawn_reason")?;
    Ok(at.map(|at| crate::votes::Withdrawal { at: super::from_ms(at), reason: reason.unwrap_or_default() }))
}

/// Marks a vote or survey withdrawn, with its reason, if it has not opened by `now`; whether it
/// was (a concurrent opening or withdrawal leaves it as it is).
pub(super) async fn withdraw(
    conn: &mut sqlx::AnyConnection,
    table: &'static str,
    id: Uuid,
    reason: &str,
    now: chrono::DateTime<chrono::Utc>,
) -> Result<bool> {
    let sql = format!(
        "UPDATE {table} SET withdrawn_at = $2, withdrawn_reason = $3 WHERE id = $1 AND withdrawn_at IS NULL AND opens_at > $2"
    );
    let done =
        sqlx::query(&sql).bind(id.to_string()).bind(super::ms(now)).bind(reason.to_string()).execute(conn).await?;
    Ok(done.rows_affected() == 1)
}

fn corrupt(what: &str, value: &str) -> StoreError {
    StoreError::Corrupt(format!("{what}: unexpected value '{value}'"))
}

/// A nullable id column.
pub(super) fn optional_uuid(r: &AnyRow, column: &str) -> Result<Option<Uuid>> {
    r.try_get::<Option<String>, _>(column)?.map(|s| parse_uuid(&s)).transpose()
}

/// A `YYYY-MM-DD` column.
pub(super) fn date_column(r: &AnyRow, column: &str) -> Result<chrono::NaiveDate> {
    let text: String = r.try_get(column)?;
    text.parse().map_err(|_| StoreError::Corrupt(format!("{column}: {text}")))
}

/// A day column that may be empty (`YYYY-MM-DD`).
pub(super) fn optional_day(r: &AnyRow, column: &str) -> Result<Option<chrono::NaiveDate>> {
    r.try_get::<Option<String>, _>(column)?
        .map(|d| d.parse().map_err(|_| StoreError::Corrupt(format!("{column}: {d}"))))
        .transpose()
}

pub(super) fn parse_uuid(s: &str) -> Result<Uuid, StoreError> {
    Uuid::parse_str(s).map_err(|_| corrupt("id", s))
}

pub(super) fn coded<T>(parse: fn(&str) -> Option<T>, what: &str, s: String) -> Result<T, StoreError> {
    parse(&s).ok_or_else(|| corrupt(what, &s))
}

/// The states that `keep` keeps, as a list of SQL literals for `IN (…)`.
pub(super) fn state_list(keep: impl Fn(CaseState) -> bool) -> String {
    let states: Vec<String> =
        CaseState::ALL.iter().filter(|s| keep(**s)).map(|s| format!("'{}'", s.as_str())).collect();
    states.join(", ")
}

/// Where a case is, from its row.
pub(super) fn place_from_row(row: &AnyRow) -> Result<Place, StoreError> {
    Ok(Place {
        district_code: row.try_get("district_code")?,
        street_code: row.try_get("street_code")?,
        community_code: row.try_get("community_code")?,
        grid_code: row.try_get("grid_code")?,
        lat: row.try_get("lat")?,
        lng: row.try_get("lng")?,
        address: row.try_get("address")?,
        located_by: row
            .try_get::<Option<String>, _>("located_by")?
            .map(|s| coded(LocatedBy::parse, "located_by", s))
            .transpose()?,
    })
}

pub fn record_from_row(row: &AnyRow) -> Result<CaseRecord, StoreError> {
    let opt_ms = |col: &str| -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        Ok(row.try_get::<Option<i64>, _>(col)?.map(from_ms))
    };
    let evaluation = match row.try_get::<Option<i64>, _>("eval_resolved")? {
        None => None,
        Some(resolved) => Some(Evaluation {
            resolved: resolved != 0,
            satisfaction: coded(Satisfaction::parse, "eval_satisfaction", row.try_get("eval_satisfaction")?)?,
            comment: row.try_get("eval_comment")?,
            at: from_ms(row.try_get("eval_at")?),
            round: row.try_get::<i64, _>("eval_round")? as u32,
        }),
    };
    let pending_extension: Option<PendingExtension> = match row.try_get::<Option<String>, _>("pending_extension")? {
        None => None,
        Some(json) => Some(serde_json::from_str(&json).map_err(|_| corrupt("pending_extension", &json))?),
    };
    let co_units: String = row.try_get("co_units")?;
    Ok(CaseRecord {
        id: parse_uuid(&row.try_get::<String, _>("id")?)?,
        tracking_no: row.try_get("tracking_no")?,
        state: coded(CaseState::parse, "state", row.try_get("state")?)?,
        category_code: row.try_get("category_code")?,
        request_type: coded(RequestType::parse, "request_type", row.try_get("request_type")?)?,
        priority: coded(Priority::parse, "priority", row.try_get("priority")?)?,
        channel: coded(Channel::parse, "channel", row.try_get("channel")?)?,
        description: row.try_get("description")?,
        place: place_from_row(row)?,
        received_at: from_ms(row.try_get("received_at")?),
        clock_started_at: from_ms(row.try_get("clock_started_at")?),
        response_due: from_ms(row.try_get("response_due")?),
        resolve_due: from_ms(row.try_get("resolve_due")?),
        lead_unit: row.try_get("lead_unit")?,
        co_units: serde_json::from_str(&co_units).map_err(|_| corrupt("co_units", &co_units))?,
        first_dispatched_at: opt_ms("first_dispatched_at")?,
        dispatched_at: opt_ms("dispatched_at")?,
        first_contact_at: opt_ms("first_contact_at")?,
        responded_on_time: row.try_get::<Option<i64>, _>("responded_on_time")?.map(|v| v != 0),
        handled_at: opt_ms("handled_at")?,
        closed_at: opt_ms("closed_at")?,
        result: row.try_get("result")?,
        reject_reason: row.try_get("reject_reason")?,
        merged_into: row.try_get::<Option<String>, _>("merged_into")?.map(|s| parse_uuid(&s)).transpose()?,
        pending_extension,
        resolved_on_spot: row.try_get::<i64, _>("resolved_on_spot")? != 0,
        return_count: row.try_get::<i64, _>("return_count")? as u32,
        reopen_count: row.try_get::<i64, _>("reopen_count")? as u32,
        supervision_count: row.try_get::<i64, _>("supervision_count")? as u32,
        escalated: row.try_get::<i64, _>("escalated")? != 0,
        evaluation,
        due_status: coded(DueStatus::parse, "due_status", row.try_get("due_status")?)?,
        version: row.try_get("version")?,
        updated_at: from_ms(row.try_get("updated_at")?),
    })
}

pub fn reporter_from_row(row: &AnyRow) -> Result<MaskedReporter, StoreError> {
    Ok(MaskedReporter {
        anonymous: row.try_get::<i64, _>("anonymous")? != 0,
        name: row.try_get("reporter_name_masked")?,
        phone: row.try_get("reporter_phone_masked")?,
    })
}

/// The columns a move may change, in the order `bind_mutable` binds them.
pub const MUTABLE_COLUMNS: &[&str] = &[
    "state",
    "category_code",
    "priority",
    "clock_started_at",
    "response_due",
    "resolve_due",
    "lead_unit",
    "co_units",
    "first_dispatched_at",
    "dispatched_at",
    "first_contact_at",
    "responded_on_time",
    "handled_at",
    "closed_at",
    "result",
    "reject_reason",
    "merged_into",
    "pending_extension",
    "extension_pending",
    "resolved_on_spot",
    "return_count",
    "reopen_count",
    "supervision_count",
    "escalated",
    "eval_resolved",
    "eval_satisfaction",
    "eval_comment",
    "eval_at",
    "eval_round",
    "due_status",
    "version",
    "updated_at",
];

pub type AnyQuery<'q> = sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>;

pub fn bind_mutable<'q>(q: AnyQuery<'q>, c: &CaseRecord) -> AnyQuery<'q> {
    let eval = c.evaluation.as_ref();
    q.bind(c.state.as_str())
        .bind(c.category_code.clone())
        .bind(c.priority.as_str())
        .bind(ms(c.clock_started_at))
        .bind(ms(c.response_due))
        .bind(ms(c.resolve_due))
        .bind(c.lead_unit.clone())
        .bind(serde_json::to_string(&c.co_units).expect("strings serialise"))
        .bind(c.first_dispatched_at.map(ms))
        .bind(c.dispatched_at.map(ms))
        .bind(c.first_contact_at.map(ms))
        .bind(c.responded_on_time.map(i64::from))
        .bind(c.handled_at.map(ms))
        .bind(c.closed_at.map(ms))
        .bind(c.result.clone())
        .bind(c.reject_reason.clone())
        .bind(c.merged_into.map(|u| u.to_string()))
        .bind(c.pending_extension.as_ref().map(|p| serde_json::to_string(p).expect("serialises")))
        .bind(i64::from(c.pending_extension.is_some()))
        .bind(i64::from(c.resolved_on_spot))
        .bind(i64::from(c.return_count))
        .bind(i64::from(c.reopen_count))
        .bind(i64::from(c.supervision_count))
        .bind(i64::from(c.escalated))
        .bind(eval.map(|e| i64::from(e.resolved)))
        .bind(eval.map(|e| e.satisfaction.as_str()))
        .bind(eval.and_then(|e| e.comment.clone()))
        .bind(eval.map(|e| ms(e.at)))
        .bind(eval.map(|e| i64::from(e.round)))
        .bind(c.due_status.as_str())
        .bind(c.version)
        .bind(ms(c.updated_at))
}

/// The SQL condition restricting cases (alias `c`) to a scope.
pub fn scope_clause(scope: &Scope, args: &mut Args) -> String {
    match scope {
        Scope::All => "1=1".to_string(),
        Scope::Regions { codes } => {
            let parts: Vec<String> = codes.iter().map(|code| region_clause(code, args)).collect();
            format!("({})", parts.join(" OR "))
        }
        Scope::Unit { unit } => {
            let a = args.text(unit.clone());
            let b = args.text(unit.clone());
            format!("(c.lead_unit = {a} OR c.id IN (SELECT case_id FROM case_co_units WHERE unit_id = {b}))")
        }
        Scope::Grids { codes } => {
            let placeholders: Vec<String> = codes.iter().map(|g| args.text(g.clone())).collect();
            format!("c.grid_code IN ({})", placeholders.join(", "))
        }
    }
}

/// The conditions for cases in `scope` and, if given, in `region`. When the region lies
/// inside the scope, the scope adds nothing and is left out, so the query can use the
/// region's own index.
pub fn scoped_region_clauses(scope: &Scope, region: Option<&RegionCode>, args: &mut Args) -> Vec<String> {
    let mut clauses = Vec::new();
    if !scope_implied(scope, region) {
        clauses.push(scope_clause(scope, args));
    }
    if let Some(r) = region {
        clauses.push(region_clause(r, args));
    }
    if clauses.is_empty() {
        clauses.push("1=1".into());
    }
    clauses
}

/// The one district that holds every case a scope and region let through, where they name
/// places below a district of one district only: a condition on it lets a walk follow the
/// district's index by time, where SQLite, without statistics, would take the index of the
/// smaller place and read every case it ever had.
pub fn district_of(scope: &Scope, region: Option<&RegionCode>) -> Option<String> {
    let codes: Vec<&str> = match (region, scope) {
        (Some(r), _) => vec![r.as_str()],
        (None, Scope::Regions { codes }) => codes.iter().map(|c| c.as_str()).collect(),
        (None, Scope::Grids { codes }) => codes.iter().map(String::as_str).collect(),
        (None, Scope::All | Scope::Unit { .. }) => Vec::new(),
    };
    let district = codes.first()?.get(..6)?;
    codes.iter().all(|c| c.len() > 6 && c.starts_with(district)).then(|| district.to_string())
}

/// Whether everything in `region` lies in `scope` (or the scope is everything).
pub fn scope_implied(scope: &Scope, region: Option<&RegionCode>) -> bool {
    match (scope, region) {
        (Scope::All, _) => true,
        (Scope::Regions { codes }, Some(r)) => codes.iter().any(|c| c.contains(r)),
        _ => false,
    }
}

/// Cases located in a region, by the column of its level.
pub fn region_clause(code: &grassroots_domain::RegionCode, args: &mut Args) -> String {
    region_clause_on("c", code, args)
}

/// Rows of the table aliased `alias` located in a region, by its column of the region's level
/// (`district_code`, `street_code`, `community_code`, `grid_code`, as cases have them).
pub fn region_clause_on(alias: &str, code: &grassroots_domain::RegionCode, args: &mut Args) -> String {
    match code.level() {
        RegionLevel::Province | RegionLevel::City => {
            format!("{alias}.district_code LIKE {}", args.text(format!("{}%", code.as_str())))
        }
        RegionLevel::County => format!("{alias}.district_code = {}", args.text(code.as_str())),
        RegionLevel::Township => format!("{alias}.street_code = {}", args.text(code.as_str())),
        RegionLevel::Community => format!("{alias}.community_code = {}", args.text(code.as_str())),
        RegionLevel::Grid => format!("{alias}.grid_code = {}", args.text(code.as_str())),
    }
}

/// Cases of a category; a top-level code includes its sub-categories.
pub fn category_clause(code: &str, args: &mut Args) -> String {
    if code.len() == 2 {
        format!("c.category_code LIKE {}", args.text(format!("{code}%")))
    } else {
        format!("c.category_code = {}", args.text(code))
    }
}

pub(super) fn uuid_column(r: &AnyRow, column: &str) -> Result<Uuid> {
    let text: String = r.try_get(column)?;
    Uuid::parse_str(&text).map_err(|_| StoreError::Corrupt(format!("{column}: {text}")))
}

pub(super) const AUDIT_COLUMNS: &str = "id, at, actor_kind, actor_id, action, subject_type, subject_id, detail";

pub(super) fn audit_from_row(r: &AnyRow) -> Result<AuditEntry> {
    let uuid = |s: Option<String>| s.and_then(|s| Uuid::parse_str(&s).ok());
    Ok(AuditEntry {
        id: uuid(Some(r.try_get("id")?)).unwrap_or_default(),
        at: super::from_ms(r.try_get("at")?),
        actor_kind: r.try_get("actor_kind")?,
        actor_id: uuid(r.try_get("actor_id")?),
        action: r.try_get("action")?,
        subject_type: r.try_get("subject_type")?,
        subject_id: uuid(r.try_get("subject_id")?),
        detail: serde_json::from_str(&r.try_get::<String, _>("detail")?).unwrap_or_default(),
    })
}
