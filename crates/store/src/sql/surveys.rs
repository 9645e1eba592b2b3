//! 问需、问效: surveys, their respondents and responses.

use chrono::{DateTime, Utc};
use grassroots_domain::notices::CaseNotice;
use grassroots_domain::surveys::{Anonymity, Answer, Purpose, Question};
use grassroots_domain::votes::{may_withdraw, Phase};
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::events::{self, Subject};
use super::messages::{enqueue_survey_invites, place_column};
use super::rows::{coded, count, holding, uuid_column, withdraw, withdrawal};
use super::{from_ms, ms, Args, SqlStore};
use crate::surveys::{NewSurvey, Responded, Response, Survey, UnitCases};
use crate::{PlaceFilter, Result, StoreError};

const COLUMNS: &str = "s.id, s.region_code, s.title, s.intro, s.purpose, s.anonymity, s.questions, s.opens_at, \
     s.closes_at, s.task_id, s.unit_id, s.cases_from, s.cases_to, s.invited, s.withdrawn_at, s.withdrawn_reason, \
     s.created_at, \
     (SELECT COUNT(*) FROM survey_respondents r WHERE r.survey_id = s.id) AS responses";

fn survey(r: &AnyRow) -> Result<Survey> {
    let questions: String = r.try_get("questions")?;
    let unit_cases = match (
        r.try_get::<Option<String>, _>("unit_id")?,
        r.try_get::<Option<i64>, _>("cases_from")?,
        r.try_get::<Option<i64>, _>("cases_to")?,
    ) {
        (Some(unit), Some(from), Some(to)) => Some(UnitCases { unit, from: from_ms(from), to: from_ms(to) }),
        _ => None,
    };
    Ok(Survey {
        id: uuid_column(r, "id")?,
        region_code: r.try_get("region_code")?,
        title: r.try_get("title")?,
        intro: r.try_get("intro")?,
        purpose: coded(Purpose::parse, "survey purpose", r.try_get("purpose")?)?,
        anonymity: coded(Anonymity::parse, "anonymity", r.try_get("anonymity")?)?,
        questions: serde_json::from_str::<Vec<Question>>(&questions)
            .map_err(|e| StoreError::Corrupt(format!("survey questions: {e}")))?,
        opens_at: from_ms(r.try_get("opens_at")?),
        closes_at: from_ms(r.try_get("closes_at")?),
        task_id: r.try_get::<Option<String>, _>("task_id")?.map(|_| uuid_column(r, "task_id")).transpose()?,
        unit_cases,
        responses: count(r.try_get("responses")?),
        invited: count(r.try_get("invited")?),
        withdrawn: withdrawal(r)?,
        created_at: from_ms(r.try_get("created_at")?),
    })
}

#[async_trait::async_trait]
impl crate::SurveyStore for SqlStore {
    async fn create_survey(&self, actor: &Actor, s: &NewSurvey, now: DateTime<Utc>) -> Result<Survey> {
        holding(actor, &s.region_code)?;
        let id = Uuid::now_v7();
        let questions = serde_json::to_string(&s.questions).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO surveys (id, region_code, title, intro, purpose, anonymity, questions, opens_at, closes_at, \
             task_id, unit_id, cases_from, cases_to, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
        )
        .bind(id.to_string())
        .bind(s.region_code.clone())
        .bind(s.title.clone())
        .bind(s.intro.clone())
        .bind(s.purpose.as_str())
        .bind(s.anonymity.as_str())
        .bind(questions)
        .bind(ms(s.opens_at))
        .bind(ms(s.closes_at))
        .bind(s.task_id.map(|t| t.to_string()))
        .bind(s.unit_cases.as_ref().map(|u| u.unit.clone()))
        .bind(s.unit_cases.as_ref().map(|u| ms(u.from)))
        .bind(s.unit_cases.as_ref().map(|u| ms(u.to)))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({
            "place": s.region_code, "title": s.title, "purpose": s.purpose.as_str(),
            "anonymity": s.anonymity.as_str(), "questions": s.questions.len(),
        });
        events::audit(&mut tx, now, actor, "survey_created", Some(Subject { kind: "survey", id }), detail).await?;
        if let Some(cases) = &s.unit_cases {
            // The texts go out when the survey opens.
            let invited = enqueue_survey_invites(&mut tx, id, &s.region_code, cases, s.opens_at.max(now)).await?;
            sqlx::query("UPDATE surveys SET invited = $2 WHERE id = $1")
                .bind(id.to_string())
                .bind(i64::try_from(invited).unwrap_or(i64::MAX))
                .execute(&mut *tx)
                .await?;
        }
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM surveys s WHERE s.id = $1"))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        survey(&row)
    }

    async fn survey(&self, id: Uuid) -> Result<Option<Survey>> {
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM surveys s WHERE s.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?;
        row.as_ref().map(survey).transpose()
    }

    async fn withdraw_survey(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Survey> {
        let s = self.survey(id).await?.ok_or(StoreError::NotFound)?;
        holding(actor, &s.region_code)?;
        may_withdraw(s.phase(now))?;
        let mut tx = self.write.begin().await?;
        if !withdraw(&mut tx, "surveys", id, reason, now).await? {
            return Err(FieldError::new("phase", "开始后不能撤销", "only what has not opened yet is withdrawn").into());
        }
        // Invitations not sent yet go with it.
        let invite = CaseNotice::SurveyInvite.as_str();
        for sql in [
            "DELETE FROM message_attempts WHERE message_id IN \
             (SELECT id FROM messages WHERE kind = $1 AND event_id = $2 AND state = 'pending')",
            "DELETE FROM messages WHERE kind = $1 AND event_id = $2 AND state = 'pending'",
        ] {
            sqlx::query(sql).bind(invite).bind(id.to_string()).execute(&mut *tx).await?;
        }
        sqlx::query("UPDATE surveys SET invited = 0 WHERE id = $1").bind(id.to_string()).execute(&mut *tx).await?;
        let detail = serde_json::json!({ "reason": reason });
        events::audit(&mut tx, now, actor, "survey_withdrawn", Some(Subject { kind: "survey", id }), detail).await?;
        let row = sqlx::query(&format!("SELECT {COLUMNS} FROM surveys s WHERE s.id = $1"))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        survey(&row)
    }

    async fn surveys_about_task(&self, task: Uuid) -> Result<Vec<Survey>> {
        let rows = sqlx::query(&format!(
            "SELECT {COLUMNS} FROM surveys s WHERE s.task_id = $1 ORDER BY s.opens_at DESC, s.id DESC"
        ))
        .bind(task.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(survey).collect()
    }

    async fn surveys(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Survey>> {
        let mut args = Args::default();
        let sql = format!(
            "SELECT {COLUMNS} FROM surveys s WHERE {} ORDER BY s.opens_at DESC, s.id DESC LIMIT {}",
            args.places("s.region_code", places),
            args.int(limit)
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter().map(survey).collect()
    }

    async fn reported_to_unit(&self, resident: Uuid, place: &str, cases: &UnitCases) -> Result<bool> {
        let column = place_column(place)?;
        Ok(sqlx::query(&format!(
            "SELECT 1 FROM residents r JOIN cases c ON c.reporter_phone_tag = r.phone_tag WHERE r.id = $1 \
             AND c.lead_unit = $2 AND c.closed_at >= $3 AND c.closed_at < $4 AND c.{column} = $5 LIMIT 1"
        ))
        .bind(resident.to_string())
        .bind(cases.unit.clone())
        .bind(ms(cases.from))
        .bind(ms(cases.to))
        .bind(place.to_string())
        .fetch_optional(&self.read)
        .await?
        .is_some())
    }

    async fn respond(&self, id: Uuid, resident: Uuid, answers: &[Answer], now: DateTime<Utc>) -> Result<Responded> {
        let s = self.survey(id).await?.ok_or(StoreError::NotFound)?;
        if s.phase(now) != Phase::Open {
            return Ok(Responded::NotOpen);
        }
        let answers = grassroots_domain::surveys::check_answers(&s.questions, answers)?;
        let mut tx = self.write.begin().await?;
        let first = sqlx::query(
            "INSERT INTO survey_respondents (survey_id, resident_id) VALUES ($1, $2) \
             ON CONFLICT (survey_id, resident_id) DO NOTHING",
        )
        .bind(id.to_string())
        .bind(resident.to_string())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if first == 0 {
            return Ok(Responded::Already);
        }
        let who = match s.anonymity {
            Anonymity::Identified => Some(resident.to_string()),
            Anonymity::Anonymous => None,
        };
        let answers = serde_json::to_string(&answers).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        sqlx::query("INSERT INTO survey_responses (survey_id, id, resident_id, answers) VALUES ($1, $2, $3, $4)")
            .bind(id.to_string())
            .bind(uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string())
            .bind(who)
            .bind(answers)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Responded::Counted)
    }

    async fn has_responded(&self, survey: Uuid, resident: Uuid) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM survey_respondents WHERE survey_id = $1 AND resident_id = $2")
            .bind(survey.to_string())
            .bind(resident.to_string())
            .fetch_optional(&self.read)
            .await?
            .is_some())
    }

    async fn responses(&self, survey: Uuid) -> Result<Vec<Response>> {
        let rows = sqlx::query("SELECT resident_id, answers FROM survey_responses WHERE survey_id = $1 ORDER BY id")
            .bind(survey.to_string())
            .fetch_all(&self.read)
            .await?;
        rows.iter()
            .map(|r| {
                let answers: String = r.try_get("answers")?;
                Ok(Response {
                    resident_id: r
                        .try_get::<Option<String>, _>("resident_id")?
                        .map(|_| uuid_column(r, "resident_id"))
                        .transpose()?,
                    answers: serde_json::from_str(&answers)
                        .map_err(|e| StoreError::Corrupt(format!("survey answers: {e}")))?,
                })
            })
            .collect()
    }
}
