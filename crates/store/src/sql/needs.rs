//! Needs and their moves: each made only from the state it was decided on, logged in order,
//! the photos of a report named after their files are written, the helper credited in the
//! transaction that confirms.

use chrono::{DateTime, Utc};
use grassroots_domain::helpers::{DayPart, HelperState, Skill};
use grassroots_domain::needs::{points_for, NeedMove, NeedSource, NeedState, Urgency};
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::helpers::{credit, helper_in};
use super::households::household_in;
use super::rows::{coded, date_column, optional_uuid, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::crypto::context;
use crate::needs::{NeedActor, NeedContact, NeedHousehold, NeedMoveRecord, NeedPhoto, NeedRecord, NeedStep, NewNeed};
use crate::{PlaceFilter, Result, StoreError};

/// What binds a need's sealed contact to it.
pub(super) const CONTACT: &str = "need.contact";
const NEED_KIND: &str = "need";

const NEED_COLUMNS: &str = "n.id, n.community_code, n.household_id, n.source, n.source_id, n.resident_id, n.skill, \
     n.what, n.on_day, n.part, n.urgency, n.state, n.helper_id, h.shown_name AS helper_name, n.minutes, \
     n.report_note, n.rating, n.rating_note, n.created_at, n.updated_at";

/// The need context of a sealed contact (for re-sealing too).
pub(super) fn contact_context(id: Uuid) -> Vec<u8> {
    context(id, CONTACT)
}

fn need(r: &AnyRow) -> Result<NeedRecord> {
    Ok(NeedRecord {
        id: uuid_column(r, "id")?,
        community_code: r.try_get("community_code")?,
        household_id: optional_uuid(r, "household_id")?,
        source: coded(NeedSource::parse, "need source", r.try_get("source")?)?,
        source_id: optional_uuid(r, "source_id")?,
        resident_id: optional_uuid(r, "resident_id")?,
        skill: coded(Skill::parse, "skill", r.try_get("skill")?)?,
        what: r.try_get("what")?,
        on: date_column(r, "on_day")?,
        part: coded(DayPart::parse, "day part", r.try_get("part")?)?,
        urgency: coded(Urgency::parse, "urgency", r.try_get("urgency")?)?,
        state: coded(NeedState::parse, "need state", r.try_get("state")?)?,
        helper_id: optional_uuid(r, "helper_id")?,
        helper_name: r.try_get("helper_name")?,
        minutes: r.try_get("minutes")?,
        report_note: r.try_get("report_note")?,
        rating: r.try_get::<Option<i64>, _>("rating")?.and_then(|v| u8::try_from(v).ok()),
        rating_note: r.try_get("rating_note")?,
        photos: Vec::new(),
        moves: Vec::new(),
        created_at: from_ms(r.try_get("created_at")?),
        updated_at: from_ms(r.try_get("updated_at")?),
    })
}

async fn needs_where(conn: &mut AnyConnection, condition: &str, args: Args, tail: &str) -> Result<Vec<NeedRecord>> {
    let sql = format!(
        "SELECT {NEED_COLUMNS} FROM needs n LEFT JOIN helpers h ON h.id = n.helper_id WHERE {condition} {tail}"
    );
    args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?.iter().map(need).collect()
}

/// A need with its photos and moves.
async fn need_in(conn: &mut AnyConnection, id: Uuid) -> Result<Option<NeedRecord>> {
    let mut args = Args::default();
    let condition = format!("n.id = {}", args.text(id.to_string()));
    let Some(mut found) = needs_where(conn, &condition, args, "").await?.pop() else { return Ok(None) };
    found.photos =
        sqlx::query("SELECT digest, media_type FROM need_photos WHERE need_id = $1 ORDER BY added_at, digest")
            .bind(id.to_string())
            .fetch_all(&mut *conn)
            .await?
            .iter()
            .map(|r| Ok(NeedPhoto { digest: r.try_get("digest")?, media_type: r.try_get("media_type")? }))
            .collect::<Result<_>>()?;
    found.moves = sqlx::query(
        "SELECT seq, move, state_after, helper_id, by_kind, note, at FROM need_moves WHERE need_id = $1 ORDER BY seq",
    )
    .bind(id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| {
        Ok(NeedMoveRecord {
            seq: r.try_get("seq")?,
            kind: coded(NeedMove::parse, "need move", r.try_get("move")?)?,
            state_after: coded(NeedState::parse, "need state", r.try_get("state_after")?)?,
            helper_id: optional_uuid(r, "helper_id")?,
            by: r.try_get("by_kind")?,
            note: r.try_get("note")?,
            at: from_ms(r.try_get("at")?),
        })
    })
    .collect::<Result<_>>()?;
    Ok(Some(found))
}

#[allow(clippy::too_many_arguments)]
async fn log_move(
    conn: &mut AnyConnection,
    id: Uuid,
    kind: NeedMove,
    state_after: NeedState,
    helper: Option<Uuid>,
    by: &NeedActor<'_>,
    note: Option<&str>,
    now: DateTime<Utc>,
) -> Result<()> {
    let seq: i64 =
        sqlx::query_scalar("SELECT CAST(COALESCE(MAX(seq), 0) AS BIGINT) + 1 FROM need_moves WHERE need_id = $1")
            .bind(id.to_string())
            .fetch_one(&mut *conn)
            .await?;
    sqlx::query(
        "INSERT INTO need_moves (need_id, seq, move, state_after, helper_id, by_kind, by_id, note, at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)",
    )
    .bind(id.to_string())
    .bind(seq)
    .bind(kind.as_str())
    .bind(state_after.as_str())
    .bind(helper.map(|h| h.to_string()))
    .bind(by.kind())
    .bind(by.id().map(|u| u.to_string()))
    .bind(note.map(str::to_string))
    .bind(ms(now))
    .execute(&mut *conn)
    .await?;
    events::audit_as(
        conn,
        now,
        by.kind(),
        by.id(),
        &format!("need_{}", kind.as_str()),
        Some(Subject { kind: NEED_KIND, id }),
        serde_json::json!({ "state": state_after.as_str(), "helper": helper, "note": note }),
    )
    .await
}

/// The columns a move sets besides the state, bound into `args`.
fn set_columns(step: &NeedStep, args: &mut Args) -> String {
    match step {
        NeedStep::Offer { helper } => format!(", helper_id = {}", args.text(helper.to_string())),
        NeedStep::Decline { .. } | NeedStep::Withdraw { .. } => ", helper_id = NULL, minutes = NULL".to_string(),
        NeedStep::Report { minutes, note, .. } => format!(
            ", minutes = {}, report_note = {}",
            args.int(*minutes),
            note.as_ref().map_or_else(|| "NULL".to_string(), |n| args.text(n.clone()))
        ),
        NeedStep::Confirm { rating, note } => format!(
            ", rating = {}, rating_note = {}",
            args.int(i64::from(*rating)),
            note.as_ref().map_or_else(|| "NULL".to_string(), |n| args.text(n.clone()))
        ),
        NeedStep::Accept | NeedStep::SendBack { .. } | NeedStep::Cancel { .. } => String::new(),
    }
}

fn note_of(step: &NeedStep) -> Option<&str> {
    match step {
        NeedStep::Decline { note }
        | NeedStep::Withdraw { note }
        | NeedStep::SendBack { note }
        | NeedStep::Cancel { note }
        | NeedStep::Report { note, .. }
        | NeedStep::Confirm { note, .. } => note.as_deref(),
        NeedStep::Offer { .. } | NeedStep::Accept => None,
    }
}

#[async_trait::async_trait]
impl crate::NeedStore for SqlStore {
    async fn create_need(&self, by: NeedActor<'_>, new: &NewNeed, now: DateTime<Utc>) -> Result<NeedRecord> {
        let id = Uuid::now_v7();
        let n = &new.need;
        let plain = serde_json::to_string(&new.contact).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        let mut tx = self.write.begin().await?;
        let household = match (&new.household, &by) {
            (None, _) => None,
            (Some(NeedHousehold::Known(id)), _) => Some(*id),
            (Some(NeedHousehold::Labelled { grid_code, label }), NeedActor::Staff(Actor::Staff { scope, .. })) => {
                Some(household_in(&mut tx, scope, grid_code, label).await?)
            }
            (Some(NeedHousehold::Labelled { .. }), _) => return Err(StoreError::NotFound),
        };
        sqlx::query(
            "INSERT INTO needs (id, community_code, household_id, source, source_id, resident_id, skill, what, \
             contact_enc, on_day, part, urgency, state, created_at, created_by, updated_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $14)",
        )
        .bind(id.to_string())
        .bind(n.community_code.clone())
        .bind(household.map(|h| h.to_string()))
        .bind(n.source.as_str())
        .bind(new.source_id.map(|s| s.to_string()))
        .bind(new.resident_id.map(|r| r.to_string()))
        .bind(n.skill.as_str())
        .bind(n.what.clone())
        .bind(self.cipher.seal(&contact_context(id), &plain))
        .bind(n.on.to_string())
        .bind(n.part.as_str())
        .bind(n.urgency.as_str())
        .bind(NeedState::Open.as_str())
        .bind(ms(now))
        .bind(by.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "community_code": n.community_code, "source": n.source.as_str() });
        events::audit_as(
            &mut tx,
            now,
            by.kind(),
            by.id(),
            "need_created",
            Some(Subject { kind: NEED_KIND, id }),
            detail,
        )
        .await?;
        let created = need_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(created)
    }

    async fn need(&self, id: Uuid) -> Result<Option<NeedRecord>> {
        let mut conn = self.read.acquire().await?;
        need_in(&mut conn, id).await
    }

    async fn need_contact(&self, id: Uuid) -> Result<NeedContact> {
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT contact_enc FROM needs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await?
            .ok_or(StoreError::NotFound)?;
        let plain = self.cipher.open(&contact_context(id), &sealed).map_err(StoreError::Crypto)?;
        serde_json::from_str(&plain).map_err(|e| StoreError::Corrupt(e.to_string()))
    }

    async fn needs(&self, places: &PlaceFilter, open_only: bool, limit: i64) -> Result<Vec<NeedRecord>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let mut condition = args.places("n.community_code", places);
        if open_only {
            condition.push_str(" AND n.state IN ('open', 'offered', 'accepted', 'done')");
        }
        let tail = format!(
            "ORDER BY CASE n.state WHEN 'open' THEN 0 WHEN 'done' THEN 1 WHEN 'offered' THEN 2 WHEN 'accepted' THEN 3 \
             ELSE 4 END, CASE n.urgency WHEN 'urgent' THEN 0 WHEN 'soon' THEN 1 ELSE 2 END, n.on_day, n.id LIMIT {}",
            args.int(limit)
        );
        needs_where(&mut conn, &condition, args, &tail).await
    }

    async fn needs_of_helper(&self, helper: Uuid, limit: i64) -> Result<Vec<NeedRecord>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let condition = format!("n.helper_id = {}", args.text(helper.to_string()));
        let tail = format!(
            "ORDER BY CASE n.state WHEN 'offered' THEN 0 WHEN 'accepted' THEN 1 WHEN 'done' THEN 2 ELSE 3 END, \
             n.updated_at DESC, n.id LIMIT {}",
            args.int(limit)
        );
        needs_where(&mut conn, &condition, args, &tail).await
    }

    async fn needs_of_resident(&self, resident: Uuid, limit: i64) -> Result<Vec<NeedRecord>> {
        let mut conn = self.read.acquire().await?;
        let mut args = Args::default();
        let condition = format!("n.resident_id = {}", args.text(resident.to_string()));
        let tail = format!("ORDER BY n.created_at DESC, n.id LIMIT {}", args.int(limit));
        needs_where(&mut conn, &condition, args, &tail).await
    }

    async fn move_need(
        &self,
        by: NeedActor<'_>,
        id: Uuid,
        from: NeedState,
        step: &NeedStep,
        now: DateTime<Utc>,
    ) -> Result<NeedRecord> {
        let kind = step.kind();
        let to = kind.from(from)?;
        // Photos are on disk before the rows that name them commit.
        let mut photos = Vec::new();
        if let NeedStep::Report { photos: taken, .. } = step {
            for photo in taken {
                photos.push((self.files.put(photo.bytes.clone()).await?.digest, photo.media_type.clone()));
            }
        }
        let mut tx = self.write.begin().await?;
        let before = need_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        if let NeedStep::Offer { helper } = step {
            let verified = helper_in(&mut tx, *helper).await?.is_some_and(|h| h.state == HelperState::Verified);
            if !verified {
                return Err(
                    FieldError::new("helper", "只能派给已核验的服务者", "offer only to a verified helper").into()
                );
            }
        }
        let mut args = Args::default();
        let sql = format!(
            "UPDATE needs SET state = {}, updated_at = {}{} WHERE id = {} AND state = {}",
            args.text(to.as_str()),
            args.int(ms(now)),
            set_columns(step, &mut args),
            args.text(id.to_string()),
            args.text(from.as_str())
        );
        if args.bind(sqlx::query(&sql)).execute(&mut *tx).await?.rows_affected() != 1 {
            return Err(FieldError::new(
                "move",
                format!("需求已变为“{}”，请刷新后再操作", before.state.label_zh()),
                format!("the need is {} now: reload and try again", before.state.label_en()),
            )
            .into());
        }
        for (digest, media_type) in &photos {
            sqlx::query(
                "INSERT INTO need_photos (need_id, digest, media_type, added_at) VALUES ($1, $2, $3, $4) \
                 ON CONFLICT (need_id, digest) DO NOTHING",
            )
            .bind(id.to_string())
            .bind(digest.clone())
            .bind(media_type.clone())
            .bind(ms(now))
            .execute(&mut *tx)
            .await?;
        }
        let helper = match step {
            NeedStep::Offer { helper } => Some(*helper),
            _ => before.helper_id,
        };
        if let (NeedStep::Confirm { .. }, Some(helper), Some(minutes)) = (step, before.helper_id, before.minutes) {
            credit(&mut tx, helper, id, minutes, points_for(minutes), by.id(), now).await?;
        }
        log_move(&mut tx, id, kind, to, helper, &by, note_of(step), now).await?;
        let after = need_in(&mut tx, id).await?.ok_or(StoreError::NotFound)?;
        tx.commit().await?;
        Ok(after)
    }

    async fn need_photo(&self, need: Uuid, digest: &str) -> Result<Option<(String, Vec<u8>)>> {
        let row = sqlx::query("SELECT media_type FROM need_photos WHERE need_id = $1 AND digest = $2")
            .bind(need.to_string())
            .bind(digest.to_string())
            .fetch_optional(&self.read)
            .await?;
        match row {
            None => Ok(None),
            Some(r) => Ok(Some((r.try_get("media_type")?, self.files.get(digest).await?))),
        }
    }
}
