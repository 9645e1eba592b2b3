//! 议事会: meetings, their agenda and participants, minutes and the decisions they set.

use chrono::{DateTime, Utc};
use grassroots_domain::accountability::Source;
use grassroots_domain::deliberation::TopicState;
use grassroots_domain::meetings::{may_record_minutes, MeetingState, ParticipantKind};
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::accountability::insert_task;
use super::events::{self, Subject};
use super::rows::{coded, holding, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::meetings::{AgendaItem, Meeting, Minutes, NewMeeting, Participant};
use crate::{DeliberationStore, PlaceFilter, Result, StoreError};

const COLUMNS: &str = "m.id, m.region_code, m.title, m.place, m.starts_at, m.state, m.minutes, m.held_at, m.created_at";

async fn meeting_from(conn: &mut AnyConnection, r: &AnyRow) -> Result<Meeting> {
    let id = uuid_column(r, "id")?;
    let items = sqlx::query("SELECT topic_id, title FROM meeting_items WHERE meeting_id = $1 ORDER BY position")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|i| {
            let topic_id =
                i.try_get::<Option<String>, _>("topic_id")?.map(|_| uuid_column(i, "topic_id")).transpose()?;
            Ok(AgendaItem { topic_id, title: i.try_get("title")? })
        })
        .collect::<Result<Vec<_>>>()?;
    let participants =
        sqlx::query("SELECT kind, label, attended FROM meeting_participants WHERE meeting_id = $1 ORDER BY position")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|p| {
                Ok(Participant {
                    kind: coded(ParticipantKind::parse, "participant kind", p.try_get("kind")?)?,
                    label: p.try_get("label")?,
                    attended: p.try_get::<i64, _>("attended")? != 0,
                })
            })
            .collect::<Result<Vec<_>>>()?;
    Ok(Meeting {
        id,
        region_code: r.try_get("region_code")?,
        title: r.try_get("title")?,
        place: r.try_get("place")?,
        starts_at: from_ms(r.try_get("starts_at")?),
        state: coded(MeetingState::parse, "meeting state", r.try_get("state")?)?,
        minutes: r.try_get("minutes")?,
        held_at: r.try_get::<Option<i64>, _>("held_at")?.map(from_ms),
        items,
        participants,
        created_at: from_ms(r.try_get("created_at")?),
    })
}

async fn meeting_in(conn: &mut AnyConnection, id: Uuid) -> Result<Meeting> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM meetings m WHERE m.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    meeting_from(conn, &row).await
}

#[async_trait::async_trait]
impl crate::MeetingStore for SqlStore {
    async fn plan_meeting(&self, actor: &Actor, meeting: &NewMeeting, now: DateTime<Utc>) -> Result<Meeting> {
        holding(actor, &meeting.region_code)?;
        for topic in meeting.items.iter().filter_map(|i| i.topic_id) {
            let t = self.topic(topic).await?;
            if !t.is_some_and(|t| t.state == TopicState::Published && t.region_code.starts_with(&meeting.region_code)) {
                return Err(FieldError::new(
                    "items",
                    "议程中的议题须为本地已公开的议题",
                    "agenda topics are published topics of the place",
                )
                .into());
            }
        }
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO meetings (id, region_code, title, place, starts_at, state, created_by, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
        )
        .bind(id.to_string())
        .bind(meeting.region_code.clone())
        .bind(meeting.title.clone())
        .bind(meeting.place.clone())
        .bind(ms(meeting.starts_at))
        .bind(MeetingState::Planned.as_str())
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        for (position, item) in meeting.items.iter().enumerate() {
            sqlx::query("INSERT INTO meeting_items (meeting_id, position, topic_id, title) VALUES ($1, $2, $3, $4)")
                .bind(id.to_string())
                .bind(position as i64)
                .bind(item.topic_id.map(|t| t.to_string()))
                .bind(item.title.clone())
                .execute(&mut *tx)
                .await?;
        }
        for (position, p) in meeting.participants.iter().enumerate() {
            sqlx::query(
                "INSERT INTO meeting_participants (meeting_id, position, kind, label, attended) VALUES ($1, $2, $3, $4, 0)",
            )
            .bind(id.to_string())
            .bind(position as i64)
            .bind(p.kind.as_str())
            .bind(p.label.clone())
            .execute(&mut *tx)
            .await?;
        }
        let detail =
            serde_json::json!({ "place": meeting.region_code, "title": meeting.title, "starts_at": meeting.starts_at });
        events::audit(&mut tx, now, actor, "meeting_planned", Some(Subject { kind: "meeting", id }), detail).await?;
        let planned = meeting_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(planned)
    }

    async fn meeting(&self, id: Uuid) -> Result<Option<Meeting>> {
        let mut conn = self.read.acquire().await?;
        match meeting_in(&mut conn, id).await {
            Err(StoreError::NotFound) => Ok(None),
            found => found.map(Some),
        }
    }

    async fn meetings(&self, places: &PlaceFilter, limit: i64) -> Result<Vec<Meeting>> {
        let mut args = Args::default();
        let sql = format!(
            "SELECT {COLUMNS} FROM meetings m WHERE {} ORDER BY m.starts_at DESC, m.id DESC LIMIT {}",
            args.places("m.region_code", places),
            args.int(limit)
        );
        let mut conn = self.read.acquire().await?;
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
        let mut meetings = Vec::with_capacity(rows.len());
        for r in &rows {
            meetings.push(meeting_from(&mut conn, r).await?);
        }
        Ok(meetings)
    }

    async fn record_minutes(&self, actor: &Actor, id: Uuid, minutes: &Minutes, now: DateTime<Utc>) -> Result<Meeting> {
        let mut tx = self.write.begin().await?;
        let meeting = meeting_in(&mut tx, id).await?;
        reaching(actor, &meeting.region_code)?;
        may_record_minutes(meeting.state)?;
        if minutes.attended.iter().any(|&p| p >= meeting.participants.len()) {
            return Err(FieldError::new(
                "attended",
                "出席者不在参会名单中",
                "an attendee is not among the participants",
            )
            .into());
        }
        // Conditional on the state, so that of two recorders racing only one writes.
        let held = sqlx::query(
            "UPDATE meetings SET state = $2, minutes = $3, held_at = $4 WHERE id = $1 AND state = 'planned'",
        )
        .bind(id.to_string())
        .bind(MeetingState::Held.as_str())
        .bind(minutes.minutes.clone())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if held == 0 {
            return Err(FieldError::new("meeting", "会议纪要已录入", "the minutes are already recorded").into());
        }
        for &position in &minutes.attended {
            sqlx::query("UPDATE meeting_participants SET attended = 1 WHERE meeting_id = $1 AND position = $2")
                .bind(id.to_string())
                .bind(position as i64)
                .execute(&mut *tx)
                .await?;
        }
        for decision in &minutes.decisions {
            insert_task(&mut tx, actor, &meeting.region_code, Source::Meeting, id, decision, now).await?;
        }
        let detail = serde_json::json!({ "attended": minutes.attended.len(), "decisions": minutes.decisions.len() });
        events::audit(&mut tx, now, actor, "meeting_minuted", Some(Subject { kind: "meeting", id }), detail).await?;
        let recorded = meeting_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(recorded)
    }
}
