//! 决议落实: tasks, milestones and progress reports with photos.

use chrono::{DateTime, Utc};
use grassroots_domain::accountability::{check_percent, may_report, OwnerKind, Source};
use grassroots_domain::votes::Phase;
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, count, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::accountability::{Milestone, NewTask, NewUpdate, Task, TaskUpdate};
use crate::{PlaceFilter, Result, StoreError, VoteStore};

const COLUMNS: &str = "t.id, t.region_code, t.title, t.source_kind, t.source_id, t.owner_kind, t.owner, t.owner_unit, \
     t.deadline, t.percent, t.done_at, t.created_at";

/// `NotFound` unless the actor may report on the task (its place's staff, its unit's handlers).
fn reporting(actor: &Actor, task: &Task) -> Result<()> {
    match may_report(actor, &task.region_code, task.owner_unit.as_deref()) {
        true => Ok(()),
        false => Err(StoreError::NotFound),
    }
}

fn small(n: i64) -> u8 {
    u8::try_from(n).unwrap_or(0)
}

async fn task_from(conn: &mut AnyConnection, r: &AnyRow, with_updates: bool) -> Result<Task> {
    let id = uuid_column(r, "id")?;
    let milestones =
        sqlx::query("SELECT position, title, due, done_at FROM task_milestones WHERE task_id = $1 ORDER BY position")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|m| {
                Ok(Milestone {
                    position: usize::try_from(m.try_get::<i64, _>("position")?).unwrap_or(0),
                    title: m.try_get("title")?,
                    due: from_ms(m.try_get("due")?),
                    done_at: m.try_get::<Option<i64>, _>("done_at")?.map(from_ms),
                })
            })
            .collect::<Result<Vec<_>>>()?;
    let updates = match with_updates {
        false => Vec::new(),
        true => sqlx::query(
            "SELECT at, note, percent, photo_digest, photo_type FROM task_updates WHERE task_id = $1 ORDER BY at, id",
        )
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|u| {
            let photo = match (
                u.try_get::<Option<String>, _>("photo_digest")?,
                u.try_get::<Option<String>, _>("photo_type")?,
            ) {
                (Some(d), Some(t)) => Some((d, t)),
                _ => None,
            };
            Ok(TaskUpdate {
                at: from_ms(u.try_get("at")?),
                note: u.try_get("note")?,
                percent: small(u.try_get("percent")?),
                photo,
            })
        })
        .collect::<Result<Vec<_>>>()?,
    };
    Ok(Task {
        id,
        region_code: r.try_get("region_code")?,
        title: r.try_get("title")?,
        source: coded(Source::parse, "task source", r.try_get("source_kind")?)?,
        source_id: uuid_column(r, "source_id")?,
        owner_kind: coded(OwnerKind::parse, "task owner", r.try_get("owner_kind")?)?,
        owner: r.try_get("owner")?,
        owner_unit: r.try_get("owner_unit")?,
        deadline: from_ms(r.try_get("deadline")?),
        percent: small(r.try_get("percent")?),
        done_at: r.try_get::<Option<i64>, _>("done_at")?.map(from_ms),
        created_at: from_ms(r.try_get("created_at")?),
        milestones,
        updates,
    })
}

async fn tasks_where(conn: &mut AnyConnection, condition: &str, args: Args) -> Result<Vec<Task>> {
    let rows = args
        .bind(sqlx::query(&format!("SELECT {COLUMNS} FROM tasks t WHERE {condition}")))
        .fetch_all(&mut *conn)
        .await?;
    let mut tasks = Vec::with_capacity(rows.len());
    for r in &rows {
        tasks.push(task_from(conn, r, false).await?);
    }
    Ok(tasks)
}

async fn task_in(conn: &mut AnyConnection, id: Uuid) -> Result<Task> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM tasks t WHERE t.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    task_from(conn, &row, true).await
}

/// Keeps a task and its milestones; audited. Shared by meetings' decisions and votes' results.
pub(super) async fn insert_task(
    conn: &mut AnyConnection,
    actor: &Actor,
    region_code: &str,
    source: Source,
    source_id: Uuid,
    task: &NewTask,
    now: DateTime<Utc>,
) -> Result<Uuid> {
    let id = Uuid::now_v7();
    sqlx::query(
        "INSERT INTO tasks (id, region_code, title, source_kind, source_id, owner_kind, owner, owner_unit, deadline, \
         percent, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11)",
    )
    .bind(id.to_string())
    .bind(region_code.to_string())
    .bind(task.title.clone())
    .bind(source.as_str())
    .bind(source_id.to_string())
    .bind(task.owner_kind.as_str())
    .bind(task.owner.clone())
    .bind(task.owner_unit.clone())
    .bind(ms(task.deadline))
    .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    for (position, (title, due)) in task.milestones.iter().enumerate() {
        sqlx::query("INSERT INTO task_milestones (task_id, position, title, due) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(position as i64)
            .bind(title.clone())
            .bind(ms(*due))
            .execute(&mut *conn)
            .await?;
    }
    let detail = serde_json::json!({
        "source": source.as_str(), "source_id": source_id, "title": task.title,
        "owner": task.owner, "owner_unit": task.owner_unit, "deadline": task.deadline,
    });
    events::audit(conn, now, actor, "task_set", Some(Subject { kind: "task", id }), detail).await?;
    Ok(id)
}

#[async_trait::async_trait]
impl crate::TaskStore for SqlStore {
    async fn add_vote_task(&self, actor: &Actor, vote: Uuid, task: &NewTask, now: DateTime<Utc>) -> Result<Task> {
        let v = self.vote(vote).await?.ok_or(StoreError::NotFound)?;
        reaching(actor, &v.region_code)?;
        if v.phase(now) != Phase::Published {
            return Err(FieldError::new(
                "vote",
                "表决结果公布后才能据此立项",
                "a task follows a vote once its results are out",
            )
            .into());
        }
        let mut tx = self.write.begin().await?;
        let id = insert_task(&mut tx, actor, &v.region_code, Source::Vote, vote, task, now).await?;
        let set = task_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(set)
    }

    async fn task(&self, id: Uuid) -> Result<Option<Task>> {
        let mut conn = self.read.acquire().await?;
        match task_in(&mut conn, id).await {
            Err(StoreError::NotFound) => Ok(None),
            found => found.map(Some),
        }
    }

    async fn tasks(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Task>> {
        let mut args = Args::default();
        let condition =
            format!("{} ORDER BY t.deadline, t.id LIMIT {}", args.places("t.region_code", places), args.int(limit));
        let mut conn = self.read.acquire().await?;
        tasks_where(&mut conn, &condition, args).await
    }

    async fn tasks_of(&self, source: Uuid) -> Result<Vec<Task>> {
        let mut args = Args::default();
        let condition = format!("t.source_id = {} ORDER BY t.created_at, t.id", args.text(source.to_string()));
        let mut conn = self.read.acquire().await?;
        tasks_where(&mut conn, &condition, args).await
    }

    async fn overdue_tasks(&self, places: &PlaceFilter, now: DateTime<Utc>, limit: i64) -> Result<Vec<Task>> {
        let mut args = Args::default();
        let condition = format!(
            "t.done_at IS NULL AND t.deadline < {} AND {} ORDER BY t.deadline, t.id LIMIT {}",
            args.int(ms(now)),
            args.places("t.region_code", places),
            args.int(limit)
        );
        let mut conn = self.read.acquire().await?;
        tasks_where(&mut conn, &condition, args).await
    }

    async fn tasks_owned_by(&self, unit: &str, limit: i64) -> Result<Vec<Task>> {
        let mut args = Args::default();
        let condition = format!(
            "t.owner_unit = {} AND t.done_at IS NULL ORDER BY t.deadline, t.id LIMIT {}",
            args.text(unit.to_string()),
            args.int(limit)
        );
        let mut conn = self.read.acquire().await?;
        tasks_where(&mut conn, &condition, args).await
    }

    async fn count_overdue_tasks(&self, places: &PlaceFilter, now: DateTime<Utc>) -> Result<u64> {
        let mut args = Args::default();
        let sql = format!(
            "SELECT COUNT(*) AS n FROM tasks t WHERE t.done_at IS NULL AND t.deadline < {} AND {}",
            args.int(ms(now)),
            args.places("t.region_code", places)
        );
        let row = args.bind(sqlx::query(&sql)).fetch_one(&self.read).await?;
        Ok(count(row.try_get("n")?))
    }

    async fn report_progress(&self, actor: &Actor, id: Uuid, update: &NewUpdate, now: DateTime<Utc>) -> Result<Task> {
        let task = self.task(id).await?.ok_or(StoreError::NotFound)?;
        reporting(actor, &task)?;
        // The photo is on disk before the row that names it commits.
        let photo = match &update.photo {
            Some(p) => Some((self.files.put(p.bytes.clone()).await?.digest, p.media_type.clone())),
            None => None,
        };
        let mut tx = self.write.begin().await?;
        let current = task_in(&mut tx, id).await?;
        let percent = check_percent(i64::from(update.percent), current.percent)?;
        sqlx::query(
            "INSERT INTO task_updates (id, task_id, at, by_user, note, percent, photo_digest, photo_type) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(id.to_string())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(update.note.clone())
        .bind(i64::from(percent))
        .bind(photo.as_ref().map(|p| p.0.clone()))
        .bind(photo.as_ref().map(|p| p.1.clone()))
        .execute(&mut *tx)
        .await?;
        sqlx::query(
            "UPDATE tasks SET percent = $2, done_at = CASE WHEN $2 = 100 AND done_at IS NULL THEN $3 ELSE done_at END \
             WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(i64::from(percent))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let detail =
            serde_json::json!({ "percent": percent, "note": update.note, "photo": photo.as_ref().map(|p| &p.0) });
        events::audit(&mut tx, now, actor, "task_progress", Some(Subject { kind: "task", id }), detail).await?;
        let reported = task_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(reported)
    }

    async fn complete_milestone(&self, actor: &Actor, id: Uuid, position: usize, now: DateTime<Utc>) -> Result<Task> {
        let mut tx = self.write.begin().await?;
        let task = task_in(&mut tx, id).await?;
        reporting(actor, &task)?;
        let done = sqlx::query(
            "UPDATE task_milestones SET done_at = $3 WHERE task_id = $1 AND position = $2 AND done_at IS NULL",
        )
        .bind(id.to_string())
        .bind(position as i64)
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if done == 0 {
            return Err(FieldError::new("position", "没有这个未完成的节点", "no such milestone still open").into());
        }
        let detail = serde_json::json!({ "milestone": position });
        events::audit(&mut tx, now, actor, "milestone_done", Some(Subject { kind: "task", id }), detail).await?;
        let updated = task_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(updated)
    }

    async fn task_photo(&self, digest: &str) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query("SELECT photo_type FROM task_updates WHERE photo_digest = $1 LIMIT 1")
            .bind(digest.to_string())
            .fetch_optional(&self.read)
            .await?;
        match row {
            Some(r) => Ok(Some((r.try_get("photo_type")?, self.files.get(digest).await?))),
            None => Ok(None),
        }
    }
}

/// Residents' participation counted in the region over a period (`StatsStore`).
pub(super) async fn participation_figures(
    conn: &mut AnyConnection,
    region: &str,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    now: DateTime<Utc>,
) -> Result<crate::ParticipationFigures> {
    let within = format!("{region}%");
    let mut counted = Vec::new();
    for sql in [
        "SELECT COUNT(*) AS n FROM topics WHERE region_code LIKE $1 AND state = 'published' AND published_at >= $2 \
         AND published_at < $3",
        "SELECT COUNT(*) AS n FROM proposals p JOIN topics t ON t.id = p.topic_id WHERE t.region_code LIKE $1 \
         AND p.on_agenda_at >= $2 AND p.on_agenda_at < $3",
        "SELECT COUNT(*) AS n FROM meetings WHERE region_code LIKE $1 AND held_at >= $2 AND held_at < $3",
    ] {
        let row = sqlx::query(sql).bind(within.clone()).bind(ms(from)).bind(ms(to)).fetch_one(&mut *conn).await?;
        counted.push(count(row.try_get("n")?));
    }
    let votes = sqlx::query(
        "SELECT COUNT(*) AS n, CAST(COALESCE(SUM(v.eligible), 0) AS BIGINT) AS eligible, \
         CAST(COALESCE(SUM((SELECT COUNT(*) FROM vote_voters r WHERE r.vote_id = v.id)), 0) AS BIGINT) AS voters \
         FROM votes v WHERE v.region_code LIKE $1 AND v.published_at >= $2 AND v.published_at < $3",
    )
    .bind(within.clone())
    .bind(ms(from))
    .bind(ms(to))
    .fetch_one(&mut *conn)
    .await?;
    let tasks = sqlx::query(
        "SELECT COUNT(*) AS n, \
         CAST(COALESCE(SUM(CASE WHEN done_at IS NOT NULL THEN 1 ELSE 0 END), 0) AS BIGINT) AS done, \
         CAST(COALESCE(SUM(CASE WHEN done_at IS NOT NULL AND done_at <= deadline THEN 1 ELSE 0 END), 0) AS BIGINT) AS on_time, \
         CAST(COALESCE(SUM(CASE WHEN done_at IS NULL AND deadline < $4 THEN 1 ELSE 0 END), 0) AS BIGINT) AS overdue \
         FROM tasks WHERE region_code LIKE $1 AND created_at >= $2 AND created_at < $3",
    )
    .bind(within)
    .bind(ms(from))
    .bind(ms(to))
    .bind(ms(now))
    .fetch_one(&mut *conn)
    .await?;
    Ok(crate::ParticipationFigures {
        topics: counted[0],
        on_agenda: counted[1],
        councils: counted[2],
        votes: count(votes.try_get("n")?),
        voters: count(votes.try_get("voters")?),
        eligible: count(votes.try_get("eligible")?),
        decisions: count(tasks.try_get("n")?),
        done: count(tasks.try_get("done")?),
        done_on_time: count(tasks.try_get("on_time")?),
        overdue: count(tasks.try_get("overdue")?),
    })
}
