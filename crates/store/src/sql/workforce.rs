//! Profiles, training, appraisals, staffing and secondments; workload read from case events
//! (by the staff events' index) and visits.

use std::collections::HashSet;

use chrono::{DateTime, Duration, NaiveDate, Utc};
use grassroots_domain::workforce::{AppraisalGrade, Post, SecondmentKind, StaffingStandard, WorkerQualification};
use grassroots_domain::{Actor, FieldError, Role};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, date_column, holding, optional_day, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::workforce::{
    Appraisal, CommunityStaffing, NewProfile, NewSecondment, Secondment, StaffProfile, Training, TrainingAttended,
    WorkRecord,
};
use crate::{PlaceFilter, Result, StoreError};

const PROFILE_COLUMNS: &str = "p.user_id, u.username, u.display_name, u.role, p.community_code, p.post, p.started_on, \
     p.birth_year, p.qualification, p.left_on, p.left_reason";
const TRAINING_COLUMNS: &str = "t.id, t.region_code, t.title, t.held_on, t.half_hours, \
     (SELECT COUNT(*) FROM training_attendance a WHERE a.training_id = t.id) AS attendees";

fn corrupt(e: impl ToString) -> StoreError {
    StoreError::Corrupt(e.to_string())
}

fn half_hours(r: &AnyRow, column: &str) -> Result<u32> {
    u32::try_from(r.try_get::<i64, _>(column)?).map_err(corrupt)
}

fn profile(r: &AnyRow) -> Result<StaffProfile> {
    Ok(StaffProfile {
        user_id: uuid_column(r, "user_id")?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: coded(Role::parse, "role", r.try_get("role")?)?,
        community_code: r.try_get("community_code")?,
        post: coded(Post::parse, "post", r.try_get("post")?)?,
        started_on: date_column(r, "started_on")?,
        birth_year: i32::try_from(r.try_get::<i64, _>("birth_year")?).map_err(corrupt)?,
        qualification: coded(WorkerQualification::parse, "qualification", r.try_get("qualification")?)?,
        left_on: optional_day(r, "left_on")?,
        left_reason: r.try_get("left_reason")?,
    })
}

fn training(r: &AnyRow) -> Result<Training> {
    Ok(Training {
        id: uuid_column(r, "id")?,
        region_code: r.try_get("region_code")?,
        title: r.try_get("title")?,
        held_on: date_column(r, "held_on")?,
        half_hours: half_hours(r, "half_hours")?,
        attendees: r.try_get("attendees")?,
    })
}

fn appraisal(r: &AnyRow) -> Result<Appraisal> {
    let scores: String = r.try_get("scores")?;
    Ok(Appraisal {
        user_id: uuid_column(r, "user_id")?,
        year: i32::try_from(r.try_get::<i64, _>("year")?).map_err(corrupt)?,
        scores: serde_json::from_str(&scores).map_err(corrupt)?,
        total_tenths: u32::try_from(r.try_get::<i64, _>("total_tenths")?).map_err(corrupt)?,
        grade: coded(AppraisalGrade::parse, "grade", r.try_get("grade")?)?,
        comment: r.try_get("comment")?,
        appraised_at: from_ms(r.try_get("appraised_at")?),
    })
}

async fn profile_in(conn: &mut AnyConnection, user_id: Uuid) -> Result<Option<StaffProfile>> {
    sqlx::query(&format!(
        "SELECT {PROFILE_COLUMNS} FROM staff_profiles p JOIN users u ON u.id = p.user_id WHERE p.user_id = $1"
    ))
    .bind(user_id.to_string())
    .fetch_optional(&mut *conn)
    .await?
    .as_ref()
    .map(profile)
    .transpose()
}

async fn secondment_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<Secondment>> {
    let row =
        sqlx::query("SELECT id, community_code, name, home_unit, kind, from_on, to_on FROM secondments WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await?;
    let Some(r) = row else { return Ok(None) };
    let work = sqlx::query(
        "SELECT done_on, what, half_hours FROM secondment_work WHERE secondment_id = $1 ORDER BY done_on DESC, seq DESC",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|w| Ok((date_column(w, "done_on")?, w.try_get("what")?, half_hours(w, "half_hours")?)))
    .collect::<Result<_>>()?;
    Ok(Some(Secondment {
        id,
        community_code: r.try_get("community_code")?,
        name: r.try_get("name")?,
        home_unit: r.try_get("home_unit")?,
        kind: coded(SecondmentKind::parse, "secondment kind", r.try_get("kind")?)?,
        from_on: date_column(&r, "from_on")?,
        to_on: date_column(&r, "to_on")?,
        work,
    }))
}

fn by(actor: &Actor) -> String {
    actor.id().map(|u| u.to_string()).unwrap_or_default()
}

#[async_trait::async_trait]
impl crate::WorkforceStore for SqlStore {
    async fn set_profile(
        &self,
        actor: &Actor,
        user_id: Uuid,
        new: &NewProfile,
        now: DateTime<Utc>,
    ) -> Result<StaffProfile> {
        holding(actor, &new.community_code)?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO staff_profiles (user_id, community_code, post, started_on, birth_year, qualification, \
             updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (user_id) DO UPDATE SET community_code = excluded.community_code, post = excluded.post, \
             started_on = excluded.started_on, birth_year = excluded.birth_year, \
             qualification = excluded.qualification, updated_at = excluded.updated_at, updated_by = excluded.updated_by",
        )
        .bind(user_id.to_string())
        .bind(new.community_code.clone())
        .bind(new.post.as_str())
        .bind(new.started_on.to_string())
        .bind(i64::from(new.birth_year))
        .bind(new.qualification.as_str())
        .bind(ms(now))
        .bind(by(actor))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "community_code": new.community_code, "post": new.post.as_str() });
        let subject = Some(Subject { kind: "staff_profile", id: user_id });
        events::audit(&mut tx, now, actor, "staff_profile_set", subject, detail).await?;
        let set = profile_in(&mut tx, user_id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(set)
    }

    async fn profile(&self, user_id: Uuid) -> Result<Option<StaffProfile>> {
        let mut conn = self.read.acquire().await?;
        profile_in(&mut conn, user_id).await
    }

    async fn profiles(&self, places: &PlaceFilter) -> Result<Vec<StaffProfile>> {
        let mut args = Args::default();
        let condition = args.places("p.community_code", places);
        let sql = format!(
            "SELECT {PROFILE_COLUMNS} FROM staff_profiles p JOIN users u ON u.id = p.user_id WHERE {condition} \
             ORDER BY p.community_code, p.post, u.username"
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(profile).collect()
    }

    async fn staff_leaves(
        &self,
        actor: &Actor,
        user_id: Uuid,
        on: NaiveDate,
        reason: &str,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let found = profile_in(&mut tx, user_id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &found.community_code)?;
        let left = sqlx::query(
            "UPDATE staff_profiles SET left_on = $1, left_reason = $2, updated_at = $3, updated_by = $4 \
             WHERE user_id = $5 AND left_on IS NULL",
        )
        .bind(on.to_string())
        .bind(reason.to_string())
        .bind(ms(now))
        .bind(by(actor))
        .bind(user_id.to_string())
        .execute(&mut *tx)
        .await?;
        if left.rows_affected() == 0 {
            return Err(FieldError::new("left_on", "已登记离岗", "their leaving is recorded already").into());
        }
        let subject = Some(Subject { kind: "staff_profile", id: user_id });
        events::audit(&mut tx, now, actor, "staff_left", subject, serde_json::json!({ "reason": reason })).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn add_training(
        &self,
        actor: &Actor,
        region_code: &str,
        title: &str,
        held_on: NaiveDate,
        half_hours: u32,
        now: DateTime<Utc>,
    ) -> Result<Training> {
        holding(actor, region_code)?;
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO trainings (id, region_code, title, held_on, half_hours, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(region_code.to_string())
        .bind(title.to_string())
        .bind(held_on.to_string())
        .bind(i64::from(half_hours))
        .bind(ms(now))
        .bind(by(actor))
        .execute(&self.write)
        .await?;
        Ok(Training {
            id,
            region_code: region_code.to_string(),
            title: title.to_string(),
            held_on,
            half_hours,
            attendees: 0,
        })
    }

    async fn trainings(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Training>> {
        let mut args = Args::default();
        let condition = args.places("t.region_code", places);
        let sql = format!(
            "SELECT {TRAINING_COLUMNS} FROM trainings t WHERE {condition} ORDER BY t.held_on DESC, t.id LIMIT {}",
            args.int(limit)
        );
        args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?.iter().map(training).collect()
    }

    async fn record_attendance(&self, training_id: Uuid, user_id: Uuid, certificate: Option<&str>) -> Result<()> {
        sqlx::query(
            "INSERT INTO training_attendance (training_id, user_id, certificate) VALUES ($1, $2, $3) \
             ON CONFLICT (training_id, user_id) DO UPDATE SET certificate = excluded.certificate",
        )
        .bind(training_id.to_string())
        .bind(user_id.to_string())
        .bind(certificate.map(str::to_string))
        .execute(&self.write)
        .await?;
        Ok(())
    }

    async fn trainings_of(&self, user_id: Uuid) -> Result<Vec<TrainingAttended>> {
        sqlx::query(&format!(
            "SELECT {TRAINING_COLUMNS}, a.certificate FROM training_attendance a JOIN trainings t ON t.id = a.training_id \
             WHERE a.user_id = $1 ORDER BY t.held_on DESC"
        ))
        .bind(user_id.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| Ok(TrainingAttended { training: training(r)?, certificate: r.try_get("certificate")? }))
        .collect()
    }

    async fn keep_appraisal(&self, actor: &Actor, a: &Appraisal, now: DateTime<Utc>) -> Result<Appraisal> {
        let mut tx = self.write.begin().await?;
        let found = profile_in(&mut tx, a.user_id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &found.community_code)?;
        let kept = sqlx::query(
            "INSERT INTO appraisals (user_id, year, scores, total_tenths, grade, comment, appraised_by, appraised_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(a.user_id.to_string())
        .bind(i64::from(a.year))
        .bind(serde_json::to_string(&a.scores).map_err(corrupt)?)
        .bind(i64::from(a.total_tenths))
        .bind(a.grade.as_str())
        .bind(a.comment.clone())
        .bind(by(actor))
        .bind(ms(now))
        .execute(&mut *tx)
        .await
        .map_err(StoreError::from);
        match kept {
            Err(e) if e.is_unique_violation() => {
                return Err(FieldError::new("year", "该年度已完成考核", "that year's appraisal is done").into())
            }
            other => other?,
        };
        let detail = serde_json::json!({ "year": a.year, "grade": a.grade.as_str() });
        let subject = Some(Subject { kind: "staff_profile", id: a.user_id });
        events::audit(&mut tx, now, actor, "staff_appraised", subject, detail).await?;
        tx.commit().await?;
        Ok(Appraisal { appraised_at: from_ms(ms(now)), ..a.clone() })
    }

    async fn appraisals_of(&self, user_id: Uuid) -> Result<Vec<Appraisal>> {
        sqlx::query(
            "SELECT user_id, year, scores, total_tenths, grade, comment, appraised_at FROM appraisals \
             WHERE user_id = $1 ORDER BY year DESC",
        )
        .bind(user_id.to_string())
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(appraisal)
        .collect()
    }

    async fn set_staffing_standard(
        &self,
        actor: &Actor,
        district_code: &str,
        standard: StaffingStandard,
        now: DateTime<Utc>,
    ) -> Result<()> {
        holding(actor, district_code)?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO staffing_standards (district_code, households_per_worker, workers_per_grid, set_at, set_by) \
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (district_code) DO UPDATE SET \
             households_per_worker = excluded.households_per_worker, workers_per_grid = excluded.workers_per_grid, \
             set_at = excluded.set_at, set_by = excluded.set_by",
        )
        .bind(district_code.to_string())
        .bind(standard.households_per_worker)
        .bind(standard.workers_per_grid)
        .bind(ms(now))
        .bind(by(actor))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::to_value(standard).map_err(corrupt)?;
        events::audit(&mut tx, now, actor, "staffing_standard_set", None, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn staffing_standard(&self, district_code: &str) -> Result<Option<StaffingStandard>> {
        let row = sqlx::query(
            "SELECT households_per_worker, workers_per_grid FROM staffing_standards WHERE district_code = $1",
        )
        .bind(district_code.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(StaffingStandard {
                households_per_worker: r.try_get("households_per_worker")?,
                workers_per_grid: r.try_get("workers_per_grid")?,
            })
        })
        .transpose()
    }

    async fn staffing(&self, places: &PlaceFilter, today: NaiveDate) -> Result<Vec<CommunityStaffing>> {
        let mut args = Args::default();
        let condition = args.places("g.community_code", places);
        let year_ago = args.text((today - Duration::days(365)).to_string());
        let grid_post = args.text(Post::GridWorker.as_str());
        let sql = format!(
            "SELECT g.community_code, COUNT(*) AS grids, \
               (SELECT COUNT(*) FROM households h JOIN grids x ON x.code = h.grid_code \
                  WHERE x.community_code = g.community_code) AS households, \
               (SELECT COUNT(*) FROM staff_profiles p WHERE p.community_code = g.community_code \
                  AND p.left_on IS NULL AND p.post <> {grid_post}) AS workers, \
               (SELECT COUNT(*) FROM staff_profiles p WHERE p.community_code = g.community_code \
                  AND p.left_on IS NULL AND p.post = {grid_post}) AS grid_workers, \
               (SELECT COUNT(*) FROM staff_profiles p WHERE p.community_code = g.community_code \
                  AND p.left_on IS NOT NULL AND p.left_on >= {year_ago}) AS left_last_year \
             FROM grids g WHERE {condition} GROUP BY g.community_code ORDER BY g.community_code"
        );
        args.bind(sqlx::query(&sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| {
                Ok(CommunityStaffing {
                    community_code: r.try_get("community_code")?,
                    households: r.try_get("households")?,
                    grids: r.try_get("grids")?,
                    workers: r.try_get("workers")?,
                    grid_workers: r.try_get("grid_workers")?,
                    left_last_year: r.try_get("left_last_year")?,
                })
            })
            .collect()
    }

    async fn add_secondment(&self, actor: &Actor, new: &NewSecondment, now: DateTime<Utc>) -> Result<Secondment> {
        holding(actor, &new.community_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO secondments (id, community_code, name, home_unit, kind, from_on, to_on, created_at, created_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
        )
        .bind(id.to_string())
        .bind(new.community_code.clone())
        .bind(new.name.clone())
        .bind(new.home_unit.clone())
        .bind(new.kind.as_str())
        .bind(new.from_on.to_string())
        .bind(new.to_on.to_string())
        .bind(ms(now))
        .bind(by(actor))
        .execute(&mut *tx)
        .await?;
        let added = secondment_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(added)
    }

    async fn record_secondment_work(
        &self,
        actor: &Actor,
        id: Uuid,
        on: NaiveDate,
        what: &str,
        half_hours: u32,
    ) -> Result<Secondment> {
        let mut tx = self.write.begin().await?;
        let found = secondment_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &found.community_code)?;
        if on < found.from_on || on > found.to_on {
            return Err(
                FieldError::new("done_on", "日期应在下沉期间之内", "a day of their period in the community").into()
            );
        }
        let seq = i64::try_from(found.work.len()).unwrap_or(0) + 1;
        sqlx::query(
            "INSERT INTO secondment_work (secondment_id, seq, done_on, what, half_hours) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(id.to_string())
        .bind(seq)
        .bind(on.to_string())
        .bind(what.to_string())
        .bind(i64::from(half_hours))
        .execute(&mut *tx)
        .await?;
        let after = secondment_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn secondments(&self, places: &PlaceFilter) -> Result<Vec<Secondment>> {
        let mut args = Args::default();
        let condition = args.places("community_code", places);
        let sql = format!("SELECT id FROM secondments WHERE {condition} ORDER BY from_on DESC, id");
        let ids: Vec<String> = args
            .bind(sqlx::query(&sql))
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(|r| r.try_get("id"))
            .collect::<std::result::Result<_, _>>()?;
        let mut conn = self.read.acquire().await?;
        let mut out = Vec::with_capacity(ids.len());
        for id in ids {
            out.extend(secondment_in(&mut conn, Uuid::parse_str(&id).map_err(corrupt)?).await?);
        }
        Ok(out)
    }

    async fn work_record(&self, user_id: Uuid, from: DateTime<Utc>, to: DateTime<Utc>) -> Result<WorkRecord> {
        let rows = sqlx::query(
            "SELECT e.kind, e.at, e.aggregate_id, c.channel, c.resolve_due, c.eval_at, c.eval_satisfaction \
             FROM events e LEFT JOIN cases c ON c.id = e.aggregate_id \
             WHERE e.actor_id = $1 AND e.at >= $2 AND e.at < $3 AND e.aggregate_type = 'case'",
        )
        .bind(user_id.to_string())
        .bind(ms(from))
        .bind(ms(to))
        .fetch_all(&self.read)
        .await?;
        let mut record = WorkRecord::default();
        let mut handled_cases = HashSet::new();
        for r in &rows {
            let kind: String = r.try_get("kind")?;
            let at: i64 = r.try_get("at")?;
            record.moves += 1;
            record.move_times.push(from_ms(at));
            match kind.as_str() {
                "handled" | "resolved_on_spot" => {
                    record.handled += 1;
                    let due: Option<i64> = r.try_get("resolve_due")?;
                    record.handled_on_time += i64::from(due.is_some_and(|d| at <= d));
                    let case: String = r.try_get("aggregate_id")?;
                    if handled_cases.insert(case) && r.try_get::<Option<i64>, _>("eval_at")?.is_some() {
                        record.evaluated += 1;
                        let satisfaction: Option<String> = r.try_get("eval_satisfaction")?;
                        record.satisfied += i64::from(matches!(satisfaction.as_deref(), Some("satisfied" | "basic")));
                    }
                }
                "received" => {
                    let channel: Option<String> = r.try_get("channel")?;
                    record.patrol_reports += i64::from(channel.as_deref() == Some("grid_patrol"));
                }
                _ => {}
            }
        }
        // Visits by the Beijing day they were made on.
        let day = |t: DateTime<Utc>| grassroots_domain::calendar::beijing_day(t).to_string();
        let visits = sqlx::query(
            "SELECT COUNT(*) AS visits, COUNT(DISTINCT household_id) AS households FROM visits \
             WHERE worker_id = $1 AND visited_on >= $2 AND visited_on < $3",
        )
        .bind(user_id.to_string())
        .bind(day(from))
        .bind(day(to))
        .fetch_one(&self.read)
        .await?;
        record.visits = visits.try_get("visits")?;
        record.households_visited = visits.try_get("households")?;
        Ok(record)
    }
}
