//! Incidents, their area, plan, house-by-house check, notices, shelters, supplies and log. A
//! check is one row per household (an upsert), so grid workers checking at once never wait on
//! each other's rows; stocks and occupancies are checked in the statement that changes them.

use chrono::{DateTime, Utc};
use grassroots_domain::emergencies::{
    Assignee, HouseholdStatus, IncidentKind, PlannedTask, Progress, Severity, SummaryLine,
};
use grassroots_domain::{Actor, FieldError, Scope};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::identity::staff_phone_context;
use super::rows::{coded, holding, optional_uuid, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::crypto::context;
use crate::emergencies::{
    DueAlert, GridProgress, HouseholdCheck, IncidentRecord, IncidentTask, LogEntry, NewIncident, NoticeRecord, Shelter,
    Supply,
};
use crate::messages::MessageOutcome;
use crate::{PlaceFilter, Result, StoreError};

const INCIDENT: &str = "incident";
const INCIDENT_COLUMNS: &str =
    "id, district_code, kind, severity, title, drill, polygon, active, started_at, closed_at, summary";

fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn subject(id: Uuid) -> Option<Subject> {
    Some(Subject { kind: INCIDENT, id })
}

async fn incident_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<IncidentRecord>> {
    let row = sqlx::query(&format!("SELECT {INCIDENT_COLUMNS} FROM incidents WHERE id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    let Some(row) = row else { return Ok(None) };
    let mut found = incident(&row)?;
    found.grids = grids_of(conn, id).await?;
    Ok(Some(found))
}

/// The grids of an incident's area.
async fn grids_of(conn: &mut AnyConnection, id: Uuid) -> Result<Vec<String>> {
    let grids = sqlx::query_scalar("SELECT grid_code FROM incident_grids WHERE incident_id = $1 ORDER BY grid_code")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?;
    Ok(grids)
}

fn incident(r: &AnyRow) -> Result<IncidentRecord> {
    let polygon: Option<String> = r.try_get("polygon")?;
    let summary: Option<String> = r.try_get("summary")?;
    Ok(IncidentRecord {
        id: uuid_column(r, "id")?,
        district_code: r.try_get("district_code")?,
        kind: coded(IncidentKind::parse, "incident kind", r.try_get("kind")?)?,
        severity: coded(Severity::parse, "severity", r.try_get("severity")?)?,
        title: r.try_get("title")?,
        drill: r.try_get::<i64, _>("drill")? != 0,
        grids: Vec::new(),
        polygon: polygon.map(|p| serde_json::from_str(&p)).transpose().map_err(corrupt)?,
        active: r.try_get::<i64, _>("active")? != 0,
        started_at: from_ms(r.try_get("started_at")?),
        closed_at: r.try_get::<Option<i64>, _>("closed_at")?.map(from_ms),
        summary: summary.map(|s| serde_json::from_str(&s)).transpose().map_err(corrupt)?.unwrap_or_default(),
    })
}

/// `NotFound` unless the actor's scope holds a grid of the area (or everything).
async fn reaching_area(conn: &mut AnyConnection, actor: &Actor, id: Uuid) -> Result<IncidentRecord> {
    let found = incident_in(conn, id).await?.ok_or(StoreError::NotFound)?;
    match actor {
        Actor::Staff { scope: Scope::All, .. } => Ok(found),
        Actor::Staff { scope, .. } if found.grids.iter().any(|g| scope.covers_place(g)) => Ok(found),
        _ => Err(StoreError::NotFound),
    }
}

fn closed() -> StoreError {
    FieldError::new("incident", "事件已结束", "the incident is closed").into()
}

async fn log(conn: &mut AnyConnection, actor: &Actor, id: Uuid, text: &str, now: DateTime<Utc>) -> Result<LogEntry> {
    let entry =
        LogEntry { id: Uuid::now_v7(), at: from_ms(ms(now)), by: actor.kind().to_string(), text: text.to_string() };
    sqlx::query("INSERT INTO incident_log (id, incident_id, at, by_kind, by_id, text) VALUES ($1, $2, $3, $4, $5, $6)")
        .bind(entry.id.to_string())
        .bind(id.to_string())
        .bind(ms(now))
        .bind(actor.kind())
        .bind(actor.id().map(|u| u.to_string()))
        .bind(text.to_string())
        .execute(&mut *conn)
        .await?;
    Ok(entry)
}

fn task(r: &AnyRow) -> Result<IncidentTask> {
    Ok(IncidentTask {
        id: uuid_column(r, "id")?,
        title: r.try_get("title")?,
        assignee: coded(Assignee::parse, "assignee", r.try_get("assignee")?)?,
        unit_id: r.try_get("unit_id")?,
        household_id: optional_uuid(r, "household_id")?,
        grid_code: r.try_get("grid_code")?,
        done: r.try_get::<i64, _>("done")? != 0,
        note: r.try_get("note")?,
        created_at: from_ms(r.try_get("created_at")?),
        done_at: r.try_get::<Option<i64>, _>("done_at")?.map(from_ms),
    })
}

const TASK_COLUMNS: &str = "id, title, assignee, unit_id, household_id, grid_code, done, note, created_at, done_at";

async fn insert_task(
    conn: &mut AnyConnection,
    id: Uuid,
    task: &PlannedTask,
    household: Option<(Uuid, &str)>,
    now: DateTime<Utc>,
) -> Result<bool> {
    // A household's task once, however often it is found needing help.
    let added = sqlx::query(
        "INSERT INTO incident_tasks (id, incident_id, title, assignee, unit_id, household_id, grid_code, done, \
         created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, 0, $8) ON CONFLICT DO NOTHING",
    )
    .bind(Uuid::now_v7().to_string())
    .bind(id.to_string())
    .bind(task.title.clone())
    .bind(task.assignee.as_str())
    .bind(task.unit_id.clone())
    .bind(household.map(|(h, _)| h.to_string()))
    .bind(household.map(|(_, g)| g.to_string()))
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    Ok(added.rows_affected() == 1)
}

fn check(r: &AnyRow) -> Result<HouseholdCheck> {
    Ok(HouseholdCheck {
        household_id: uuid_column(r, "id")?,
        grid_code: r.try_get("grid_code")?,
        label: r.try_get("label")?,
        status: r
            .try_get::<Option<String>, _>("status")?
            .map(|s| coded(HouseholdStatus::parse, "household status", s))
            .transpose()?,
        note: r.try_get("note")?,
        checked_at: r.try_get::<Option<i64>, _>("at")?.map(from_ms),
    })
}

async fn notice_records(conn: &mut AnyConnection, condition: &str, id: String) -> Result<Vec<NoticeRecord>> {
    let sql = format!(
        "SELECT n.id, n.text, n.created_at, \
         CAST(COALESCE(SUM(CASE WHEN a.staff_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS to_staff, \
         CAST(COALESCE(SUM(CASE WHEN a.resident_id IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS to_residents, \
         CAST(COALESCE(SUM(CASE WHEN a.state = 'pending' THEN 1 ELSE 0 END), 0) AS BIGINT) AS pending, \
         CAST(COALESCE(SUM(CASE WHEN a.state = 'sent' THEN 1 ELSE 0 END), 0) AS BIGINT) AS sent, \
         CAST(COALESCE(SUM(CASE WHEN a.state = 'failed' THEN 1 ELSE 0 END), 0) AS BIGINT) AS failed \
         FROM incident_notices n LEFT JOIN incident_alerts a ON a.notice_id = n.id WHERE {condition} \
         GROUP BY n.id, n.text, n.created_at ORDER BY n.created_at, n.id"
    );
    sqlx::query(&sql)
        .bind(id)
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok(NoticeRecord {
                id: uuid_column(r, "id")?,
                text: r.try_get("text")?,
                to_staff: r.try_get("to_staff")?,
                to_residents: r.try_get("to_residents")?,
                pending: r.try_get("pending")?,
                sent: r.try_get("sent")?,
                failed: r.try_get("failed")?,
                created_at: from_ms(r.try_get("created_at")?),
            })
        })
        .collect()
}

fn shelter(r: &AnyRow) -> Result<Shelter> {
    Ok(Shelter {
        id: uuid_column(r, "id")?,
        name: r.try_get("name")?,
        address: r.try_get("address")?,
        capacity: r.try_get("capacity")?,
        occupancy: r.try_get("occupancy")?,
        peak: r.try_get("peak")?,
    })
}

fn supply(r: &AnyRow) -> Result<Supply> {
    Ok(Supply {
        id: uuid_column(r, "id")?,
        item: r.try_get("item")?,
        unit: r.try_get("unit")?,
        stock: r.try_get("stock")?,
        handed_out: r.try_get("handed_out")?,
    })
}

async fn shelter_in(conn: &mut AnyConnection, id: Uuid, shelter_id: Uuid) -> Result<Option<Shelter>> {
    let row = sqlx::query(
        "SELECT id, name, address, capacity, occupancy, peak FROM incident_shelters WHERE id = $1 AND incident_id = $2",
    )
    .bind(shelter_id.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(shelter).transpose()
}

async fn supply_in(conn: &mut AnyConnection, id: Uuid, supply_id: Uuid) -> Result<Option<Supply>> {
    let row = sqlx::query(
        "SELECT id, item, unit, stock, handed_out FROM incident_supplies WHERE id = $1 AND incident_id = $2",
    )
    .bind(supply_id.to_string())
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await?;
    row.as_ref().map(supply).transpose()
}

#[async_trait::async_trait]
impl crate::EmergencyStore for SqlStore {
    async fn open_incident(&self, actor: &Actor, new: &NewIncident, now: DateTime<Utc>) -> Result<IncidentRecord> {
        if new.grids.is_empty() {
            return Err(FieldError::new("grids", "请选择事件涉及的区域", "choose the area").into());
        }
        for grid in &new.grids {
            holding(actor, grid)?;
        }
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO incidents (id, district_code, kind, severity, title, drill, polygon, active, started_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9)",
        )
        .bind(id.to_string())
        .bind(new.district_code.clone())
        .bind(new.kind.as_str())
        .bind(new.severity.as_str())
        .bind(new.title.clone())
        .bind(i64::from(new.drill))
        .bind(new.polygon.as_ref().map(serde_json::to_string).transpose().map_err(corrupt)?)
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        for grid in &new.grids {
            sqlx::query("INSERT INTO incident_grids (incident_id, grid_code) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id.to_string())
                .bind(grid.clone())
                .execute(&mut *tx)
                .await?;
        }
        for task in &new.tasks {
            insert_task(&mut tx, id, task, None, now).await?;
        }
        let drill = if new.drill { "（演练）" } else { "" };
        let text = format!(
            "启动{}{}应急响应{drill}：{}，涉及{}个网格",
            new.kind.label_zh(),
            new.severity.label_zh(),
            new.title,
            new.grids.len()
        );
        log(&mut tx, actor, id, &text, now).await?;
        let detail = serde_json::json!({ "kind": new.kind.as_str(), "severity": new.severity.as_str(), "drill": new.drill, "grids": new.grids.len() });
        events::audit(&mut tx, now, actor, "incident_opened", subject(id), detail).await?;
        let opened = incident_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(opened)
    }

    async fn incident(&self, id: Uuid) -> Result<Option<IncidentRecord>> {
        let mut conn = self.read.acquire().await?;
        incident_in(&mut conn, id).await
    }

    async fn incidents(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<IncidentRecord>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let within = args.places("g.grid_code", places);
        let sql = format!(
            "SELECT {INCIDENT_COLUMNS} FROM incidents i WHERE EXISTS (SELECT 1 FROM incident_grids g \
             WHERE g.incident_id = i.id AND {within}) ORDER BY active DESC, started_at DESC, id LIMIT {}",
            args.int(limit)
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
        let mut found = Vec::new();
        for r in &rows {
            let mut i = incident(r)?;
            i.grids = grids_of(&mut conn, i.id).await?;
            found.push(i);
        }
        Ok(found)
    }

    async fn incident_progress(&self, id: Uuid) -> Result<Vec<GridProgress>> {
        let count = |status: &str| {
            format!("CAST(COALESCE(SUM(CASE WHEN c.status = '{status}' THEN 1 ELSE 0 END), 0) AS BIGINT) AS {status}")
        };
        let sql = format!(
            "SELECT g.grid_code, COUNT(h.id) AS households, {}, {}, {}, {} FROM incident_grids g \
             LEFT JOIN households h ON h.grid_code = g.grid_code \
             LEFT JOIN incident_checks c ON c.incident_id = g.incident_id AND c.household_id = h.id \
             WHERE g.incident_id = $1 GROUP BY g.grid_code ORDER BY g.grid_code",
            count("safe"),
            count("needs_help"),
            count("not_reached"),
            count("moved_out")
        );
        sqlx::query(&sql)
            .bind(id.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                let grid: String = r.try_get("grid_code")?;
                Ok(GridProgress {
                    community_code: grid.get(..12).unwrap_or(&grid).to_string(),
                    progress: Progress {
                        households: r.try_get("households")?,
                        safe: r.try_get("safe")?,
                        needs_help: r.try_get("needs_help")?,
                        not_reached: r.try_get("not_reached")?,
                        moved_out: r.try_get("moved_out")?,
                    },
                    grid_code: grid,
                })
            })
            .collect()
    }

    async fn households_to_check(&self, id: Uuid, grid_code: &str) -> Result<Vec<HouseholdCheck>> {
        sqlx::query(
            "SELECT h.id, h.grid_code, h.label, c.status, c.note, c.at FROM incident_grids g \
             JOIN households h ON h.grid_code = g.grid_code \
             LEFT JOIN incident_checks c ON c.incident_id = g.incident_id AND c.household_id = h.id \
             WHERE g.incident_id = $1 AND g.grid_code = $2 ORDER BY h.label, h.id",
        )
        .bind(id.to_string())
        .bind(grid_code.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(check)
        .collect()
    }

    async fn check_household(
        &self,
        actor: &Actor,
        id: Uuid,
        household: Uuid,
        status: HouseholdStatus,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<HouseholdCheck> {
        let mut tx = self.write.begin().await?;
        let active: Option<i64> = sqlx::query_scalar("SELECT active FROM incidents WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?;
        match active {
            None => return Err(StoreError::NotFound),
            Some(0) => return Err(closed()),
            Some(_) => {}
        }
        let row = sqlx::query(
            "SELECT h.grid_code, h.label FROM households h JOIN incident_grids g ON g.grid_code = h.grid_code \
             AND g.incident_id = $1 WHERE h.id = $2",
        )
        .bind(id.to_string())
        .bind(household.to_string())
        .fetch_optional(&mut *tx)
        .await?
        .ok_or(StoreError::NotFound)?;
        let (grid, label): (String, String) = (row.try_get("grid_code")?, row.try_get("label")?);
        holding(actor, &grid)?;
        sqlx::query(
            "INSERT INTO incident_checks (incident_id, household_id, grid_code, status, note, by_id, at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (incident_id, household_id) DO UPDATE SET \
             status = excluded.status, note = excluded.note, by_id = excluded.by_id, at = excluded.at",
        )
        .bind(id.to_string())
        .bind(household.to_string())
        .bind(grid.clone())
        .bind(status.as_str())
        .bind(note.map(str::to_string))
        .bind(actor.id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        if status == HouseholdStatus::NeedsHelp {
            let title = format!("入户帮扶：{label}{}", note.map(|n| format!("（{n}）")).unwrap_or_default());
            let help = PlannedTask { assignee: Assignee::GridWorkers, unit_id: None, title };
            if insert_task(&mut tx, id, &help, Some((household, &grid)), now).await? {
                log(&mut tx, actor, id, &format!("排查发现{label}需要帮助，已生成帮扶任务"), now).await?;
            }
        }
        let detail = serde_json::json!({ "household": household, "status": status.as_str() });
        events::audit(&mut tx, now, actor, "household_checked", subject(id), detail).await?;
        tx.commit().await?;
        Ok(HouseholdCheck {
            household_id: household,
            grid_code: grid,
            label,
            status: Some(status),
            note: note.map(str::to_string),
            checked_at: Some(from_ms(ms(now))),
        })
    }

    async fn incident_tasks(&self, id: Uuid) -> Result<Vec<IncidentTask>> {
        sqlx::query(&format!(
            "SELECT {TASK_COLUMNS} FROM incident_tasks WHERE incident_id = $1 ORDER BY done, created_at, id"
        ))
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(task)
        .collect()
    }

    async fn complete_task(
        &self,
        actor: &Actor,
        id: Uuid,
        task_id: Uuid,
        note: Option<&str>,
        now: DateTime<Utc>,
    ) -> Result<IncidentTask> {
        let mut tx = self.write.begin().await?;
        let incident = reaching_area(&mut tx, actor, id).await?;
        if !incident.active {
            return Err(closed());
        }
        let done = sqlx::query(
            "UPDATE incident_tasks SET done = 1, note = $1, done_at = $2, done_by = $3 \
             WHERE id = $4 AND incident_id = $5 AND done = 0",
        )
        .bind(note.map(str::to_string))
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()))
        .bind(task_id.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!("SELECT {TASK_COLUMNS} FROM incident_tasks WHERE id = $1 AND incident_id = $2"))
            .bind(task_id.to_string())
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        if done.rows_affected() != 1 {
            return Err(FieldError::new("task", "该任务已完成", "the task is done already").into());
        }
        let found = task(&row)?;
        log(&mut tx, actor, id, &format!("完成任务：{}", found.title), now).await?;
        tx.commit().await?;
        Ok(found)
    }

    async fn send_notice(&self, actor: &Actor, id: Uuid, text: &str, now: DateTime<Utc>) -> Result<NoticeRecord> {
        let mut tx = self.write.begin().await?;
        let incident = reaching_area(&mut tx, actor, id).await?;
        if !incident.active {
            return Err(closed());
        }
        let notice = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO incident_notices (id, incident_id, text, created_at, created_by) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(notice.to_string())
        .bind(id.to_string())
        .bind(text.to_string())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let staff: Vec<String> = sqlx::query_scalar(
            "SELECT DISTINCT w.user_id FROM grid_workers w JOIN incident_grids g ON g.grid_code = w.grid_code \
             WHERE g.incident_id = $1 ORDER BY w.user_id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *tx)
        .await?;
        // A drill texts no resident.
        let residents: Vec<String> = match incident.drill {
            true => Vec::new(),
            false => {
                sqlx::query_scalar(
                    "SELECT DISTINCT r.resident_id FROM resident_households r \
                     JOIN incident_grids g ON g.grid_code = r.grid_code \
                     JOIN alert_subscriptions s ON s.resident_id = r.resident_id \
                     WHERE g.incident_id = $1 AND r.state = 'confirmed' ORDER BY r.resident_id",
                )
                .bind(id.to_string())
                .fetch_all(&mut *tx)
                .await?
            }
        };
        let recipients = staff.iter().map(|s| (Some(s), None)).chain(residents.iter().map(|r| (None, Some(r))));
        for (staff_id, resident_id) in recipients {
            sqlx::query(
                "INSERT INTO incident_alerts (id, notice_id, incident_id, staff_id, resident_id, state, attempts, \
                 next_attempt_at, created_at) VALUES ($1, $2, $3, $4, $5, 'pending', 0, $6, $6)",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(notice.to_string())
            .bind(id.to_string())
            .bind(staff_id.cloned())
            .bind(resident_id.cloned())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        let entry = format!("发布通知（网格员{}人、居民{}人）：{text}", staff.len(), residents.len());
        log(&mut tx, actor, id, &entry, now).await?;
        events::audit(&mut tx, now, actor, "incident_notice", subject(id), serde_json::json!({ "notice": notice }))
            .await?;
        let sent = notice_records(&mut tx, "n.id = $1", notice.to_string()).await?.pop().ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(sent)
    }

    async fn notices(&self, id: Uuid) -> Result<Vec<NoticeRecord>> {
        let mut conn = self.read.acquire().await?;
        notice_records(&mut conn, "n.incident_id = $1", id.to_string()).await
    }

    async fn due_alerts(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<DueAlert>> {
        let rows = sqlx::query(
            "SELECT a.id, a.incident_id, a.staff_id, a.resident_id, a.attempts, a.created_at, n.text, i.drill, \
             u.phone_enc AS staff_phone, r.phone_enc AS resident_phone FROM incident_alerts a \
             JOIN incident_notices n ON n.id = a.notice_id JOIN incidents i ON i.id = a.incident_id \
             LEFT JOIN users u ON u.id = a.staff_id LEFT JOIN residents r ON r.id = a.resident_id \
             WHERE a.state = 'pending' AND a.next_attempt_at <= $1 ORDER BY a.next_attempt_at, a.id LIMIT $2",
        )
        .bind(ms(now))
        .bind(limit)
        .fetch_all(&self.write)
        .await?;
        rows.iter()
            .map(|r| {
                let sealed = match (optional_uuid(r, "staff_id")?, optional_uuid(r, "resident_id")?) {
                    (Some(staff), _) => {
                        r.try_get::<Option<Vec<u8>>, _>("staff_phone")?.map(|s| (staff_phone_context(staff), s))
                    }
                    (None, Some(resident)) => r
                        .try_get::<Option<Vec<u8>>, _>("resident_phone")?
                        .map(|s| (context(resident, super::residents::PHONE), s)),
                    (None, None) => None,
                };
                let phone =
                    sealed.map(|(ctx, s)| self.cipher.open(&ctx, &s)).transpose().map_err(StoreError::Crypto)?;
                Ok(DueAlert {
                    id: uuid_column(r, "id")?,
                    incident_id: uuid_column(r, "incident_id")?,
                    drill: r.try_get::<i64, _>("drill")? != 0,
                    text: r.try_get("text")?,
                    phone,
                    attempts: r.try_get("attempts")?,
                    created_at: from_ms(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    async fn record_alert_attempt(&self, alert: &DueAlert, outcome: &MessageOutcome, now: DateTime<Utc>) -> Result<()> {
        let (state, next, sent_at, provider, error) = match outcome {
            MessageOutcome::Sent { provider, .. } => ("sent", now, Some(ms(now)), provider, None),
            MessageOutcome::Failed { provider, error, retry_at: Some(at), .. } => {
                ("pending", *at, None, provider, Some(error.chars().take(500).collect::<String>()))
            }
            MessageOutcome::Failed { provider, error, retry_at: None, .. } => {
                ("failed", now, None, provider, Some(error.chars().take(500).collect::<String>()))
            }
        };
        sqlx::query(
            "UPDATE incident_alerts SET attempts = attempts + 1, state = $1, next_attempt_at = $2, sent_at = $3, \
             provider = $4, last_error = $5 WHERE id = $6 AND state = 'pending'",
        )
        .bind(state)
        .bind(ms(next))
        .bind(sent_at)
        .bind(provider.clone())
        .bind(error)
        .bind(alert.id.to_string())
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn add_shelter(
        &self,
        actor: &Actor,
        id: Uuid,
        name: &str,
        address: &str,
        capacity: i64,
        now: DateTime<Utc>,
    ) -> Result<Shelter> {
        let mut tx = self.write.begin().await?;
        reaching_area(&mut tx, actor, id).await?;
        let added =
            Shelter { id: Uuid::now_v7(), name: name.into(), address: address.into(), capacity, occupancy: 0, peak: 0 };
        sqlx::query(
            "INSERT INTO incident_shelters (id, incident_id, name, address, capacity, occupancy, peak) \
             VALUES ($1, $2, $3, $4, $5, 0, 0)",
        )
        .bind(added.id.to_string())
        .bind(id.to_string())
        .bind(name.to_string())
        .bind(address.to_string())
        .bind(capacity)
        .execute(&mut *tx)
        .await?;
        log(&mut tx, actor, id, &format!("开放避难场所：{name}（{address}），容量{capacity}人"), now).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn set_occupancy(
        &self,
        actor: &Actor,
        id: Uuid,
        shelter_id: Uuid,
        occupancy: i64,
        now: DateTime<Utc>,
    ) -> Result<Shelter> {
        let mut tx = self.write.begin().await?;
        reaching_area(&mut tx, actor, id).await?;
        let before = shelter_in(&mut tx, id, shelter_id).await?.ok_or(StoreError::NotFound)?;
        let set = sqlx::query(
            "UPDATE incident_shelters SET occupancy = $1, peak = CASE WHEN peak < $1 THEN $1 ELSE peak END \
             WHERE id = $2 AND incident_id = $3 AND $1 <= capacity AND $1 >= 0",
        )
        .bind(occupancy)
        .bind(shelter_id.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if set.rows_affected() != 1 {
            return Err(grassroots_domain::emergencies::check_occupancy(before.capacity, occupancy)
                .err()
                .unwrap_or_else(|| FieldError::new("occupancy", "安置人数有误", "the number is wrong"))
                .into());
        }
        log(&mut tx, actor, id, &format!("{}安置{occupancy}人", before.name), now).await?;
        let after = shelter_in(&mut tx, id, shelter_id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn shelters(&self, id: Uuid) -> Result<Vec<Shelter>> {
        sqlx::query(
            "SELECT id, name, address, capacity, occupancy, peak FROM incident_shelters WHERE incident_id = $1 ORDER BY id",
        )
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(shelter)
        .collect()
    }

    async fn add_supply(
        &self,
        actor: &Actor,
        id: Uuid,
        item: &str,
        unit: &str,
        stock: i64,
        now: DateTime<Utc>,
    ) -> Result<Supply> {
        let mut tx = self.write.begin().await?;
        reaching_area(&mut tx, actor, id).await?;
        let kept: Option<String> =
            sqlx::query_scalar("SELECT id FROM incident_supplies WHERE incident_id = $1 AND item = $2")
                .bind(id.to_string())
                .bind(item.to_string())
                .fetch_optional(&mut *tx)
                .await?;
        if kept.is_some() {
            return Err(FieldError::new(
                "item",
                "该物资已登记，请调整库存",
                "this item is kept already: change its stock",
            )
            .into());
        }
        let added = Supply { id: Uuid::now_v7(), item: item.into(), unit: unit.into(), stock, handed_out: 0 };
        sqlx::query(
            "INSERT INTO incident_supplies (id, incident_id, item, unit, stock, handed_out) VALUES ($1, $2, $3, $4, $5, 0)",
        )
        .bind(added.id.to_string())
        .bind(id.to_string())
        .bind(item.to_string())
        .bind(unit.to_string())
        .bind(stock)
        .execute(&mut *tx)
        .await?;
        log(&mut tx, actor, id, &format!("登记物资：{item}{stock}{unit}"), now).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn change_supply(
        &self,
        actor: &Actor,
        id: Uuid,
        supply_id: Uuid,
        change: i64,
        now: DateTime<Utc>,
    ) -> Result<Supply> {
        let mut tx = self.write.begin().await?;
        reaching_area(&mut tx, actor, id).await?;
        let before = supply_in(&mut tx, id, supply_id).await?.ok_or(StoreError::NotFound)?;
        let taken = if change < 0 { -change } else { 0 };
        let changed = sqlx::query(
            "UPDATE incident_supplies SET stock = stock + $1, handed_out = handed_out + $2 \
             WHERE id = $3 AND incident_id = $4 AND stock + $1 >= 0",
        )
        .bind(change)
        .bind(taken)
        .bind(supply_id.to_string())
        .bind(id.to_string())
        .execute(&mut *tx)
        .await?;
        if changed.rows_affected() != 1 {
            return Err(grassroots_domain::emergencies::stock_after(before.stock, change)
                .err()
                .unwrap_or_else(|| FieldError::new("change", "库存不足", "not enough in stock"))
                .into());
        }
        let text = match change < 0 {
            true => format!("发放{}{}{}", before.item, -change, before.unit),
            false => format!("补充{}{change}{}", before.item, before.unit),
        };
        log(&mut tx, actor, id, &text, now).await?;
        let after = supply_in(&mut tx, id, supply_id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn supplies(&self, id: Uuid) -> Result<Vec<Supply>> {
        sqlx::query(
            "SELECT id, item, unit, stock, handed_out FROM incident_supplies WHERE incident_id = $1 ORDER BY item",
        )
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(supply)
        .collect()
    }

    async fn add_log_entry(&self, actor: &Actor, id: Uuid, text: &str, now: DateTime<Utc>) -> Result<LogEntry> {
        let mut tx = self.write.begin().await?;
        reaching_area(&mut tx, actor, id).await?;
        let entry = log(&mut tx, actor, id, text, now).await?;
        tx.commit().await?;
        Ok(entry)
    }

    async fn incident_log(&self, id: Uuid) -> Result<Vec<LogEntry>> {
        sqlx::query("SELECT id, at, by_kind, text FROM incident_log WHERE incident_id = $1 ORDER BY at, id")
            .bind(id.to_string())
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(LogEntry {
                    id: uuid_column(r, "id")?,
                    at: from_ms(r.try_get("at")?),
                    by: r.try_get("by_kind")?,
                    text: r.try_get("text")?,
                })
            })
            .collect()
    }

    async fn close_incident(
        &self,
        actor: &Actor,
        id: Uuid,
        summary: &[SummaryLine],
        now: DateTime<Utc>,
    ) -> Result<IncidentRecord> {
        let mut tx = self.write.begin().await?;
        reaching_area(&mut tx, actor, id).await?;
        let closing =
            sqlx::query("UPDATE incidents SET active = 0, closed_at = $1, summary = $2 WHERE id = $3 AND active = 1")
                .bind(ms(now))
                .bind(serde_json::to_string(summary).map_err(corrupt)?)
                .bind(id.to_string())
                .execute(&mut *tx)
                .await?;
        if closing.rows_affected() != 1 {
            return Err(closed());
        }
        log(&mut tx, actor, id, "结束应急响应，形成复盘总结", now).await?;
        events::audit(&mut tx, now, actor, "incident_closed", subject(id), serde_json::json!({})).await?;
        let closed = incident_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(closed)
    }

    async fn set_alert_subscription(&self, resident: Uuid, subscribed: bool, now: DateTime<Utc>) -> Result<()> {
        let sql = match subscribed {
            true => {
                "INSERT INTO alert_subscriptions (resident_id, subscribed_at) VALUES ($1, $2) ON CONFLICT DO NOTHING"
            }
            false => "DELETE FROM alert_subscriptions WHERE resident_id = $1 AND $2 = $2",
        };
        sqlx::query(sql).bind(resident.to_string()).bind(ms(now)).execute(&self.write).await?;
        Ok(())
    }

    async fn alert_subscribed(&self, resident: Uuid) -> Result<bool> {
        let found: Option<String> =
            sqlx::query_scalar("SELECT resident_id FROM alert_subscriptions WHERE resident_id = $1")
                .bind(resident.to_string())
                .fetch_optional(&self.read)
                .await?;
        Ok(found.is_some())
    }
}
