//! 议事: topics with their cases, moderation, proposals, supports and comments.

use chrono::{DateTime, Utc};
use grassroots_domain::deliberation::{may_moderate, AuthorKind, Moderation, Origin, TopicState, DEFAULT_THRESHOLD};
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, count, holding, reaching, uuid_column};
use super::{from_ms, ms, Args, SqlStore};
use crate::deliberation::{Author, Comment, NewTopic, Proposal, Support, Topic};
use crate::{PlaceFilter, Result, StoreError};

const TOPIC_COLUMNS: &str = "t.id, t.region_code, t.title, t.body, t.origin, t.author_kind, t.author_id, t.state, \
     t.hidden_reason, t.created_at, t.published_at, \
     (SELECT COUNT(*) FROM proposals p WHERE p.topic_id = t.id AND p.hidden_reason IS NULL) AS proposals, \
     (SELECT COUNT(*) FROM topic_comments c WHERE c.topic_id = t.id AND c.hidden_reason IS NULL) AS comments";
const PROPOSAL_COLUMNS: &str =
    "p.id, p.topic_id, p.title, p.body, p.author_kind, p.author_id, p.hidden_reason, p.supports, p.on_agenda_at, p.created_at";
const COMMENT_COLUMNS: &str = "c.id, c.topic_id, c.proposal_id, c.author_kind, c.body, c.hidden_reason, c.created_at";

async fn topic_from(conn: &mut AnyConnection, r: &AnyRow) -> Result<Topic> {
    let id = uuid_column(r, "id")?;
    let case_ids = sqlx::query("SELECT case_id FROM topic_cases WHERE topic_id = $1 ORDER BY case_id")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|c| uuid_column(c, "case_id"))
        .collect::<Result<Vec<_>>>()?;
    Ok(Topic {
        id,
        region_code: r.try_get("region_code")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        origin: coded(Origin::parse, "topic origin", r.try_get("origin")?)?,
        author_kind: coded(AuthorKind::parse, "author kind", r.try_get("author_kind")?)?,
        author_id: uuid_column(r, "author_id")?,
        state: coded(TopicState::parse, "topic state", r.try_get("state")?)?,
        hidden_reason: r.try_get("hidden_reason")?,
        created_at: from_ms(r.try_get("created_at")?),
        published_at: r.try_get::<Option<i64>, _>("published_at")?.map(from_ms),
        case_ids,
        proposals: count(r.try_get("proposals")?),
        comments: count(r.try_get("comments")?),
    })
}

async fn topics_where(conn: &mut AnyConnection, condition: &str, args: Args) -> Result<Vec<Topic>> {
    let sql = format!("SELECT {TOPIC_COLUMNS} FROM topics t WHERE {condition}");
    let rows = args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
    let mut topics = Vec::with_capacity(rows.len());
    for r in &rows {
        topics.push(topic_from(conn, r).await?);
    }
    Ok(topics)
}

async fn topic_in(conn: &mut AnyConnection, id: Uuid) -> Result<Topic> {
    let mut args = Args::default();
    let condition = format!("t.id = {}", args.text(id.to_string()));
    topics_where(conn, &condition, args).await?.pop().ok_or(StoreError::NotFound)
}

fn proposal(r: &AnyRow) -> Result<Proposal> {
    Ok(Proposal {
        id: uuid_column(r, "id")?,
        topic_id: uuid_column(r, "topic_id")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        author_kind: coded(AuthorKind::parse, "author kind", r.try_get("author_kind")?)?,
        author_id: uuid_column(r, "author_id")?,
        hidden_reason: r.try_get("hidden_reason")?,
        supports: u32::try_from(r.try_get::<i64, _>("supports")?).unwrap_or(0),
        on_agenda_at: r.try_get::<Option<i64>, _>("on_agenda_at")?.map(from_ms),
        created_at: from_ms(r.try_get("created_at")?),
    })
}

fn comment(r: &AnyRow) -> Result<Comment> {
    Ok(Comment {
        id: uuid_column(r, "id")?,
        topic_id: uuid_column(r, "topic_id")?,
        proposal_id: r
            .try_get::<Option<String>, _>("proposal_id")?
            .map(|_| uuid_column(r, "proposal_id"))
            .transpose()?,
        author_kind: coded(AuthorKind::parse, "author kind", r.try_get("author_kind")?)?,
        body: r.try_get("body")?,
        hidden_reason: r.try_get("hidden_reason")?,
        created_at: from_ms(r.try_get("created_at")?),
    })
}

async fn proposal_in(conn: &mut AnyConnection, id: Uuid) -> Result<Proposal> {
    let row = sqlx::query(&format!("SELECT {PROPOSAL_COLUMNS} FROM proposals p WHERE p.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    proposal(&row)
}

/// A published topic, for what is added to it.
async fn open_topic(conn: &mut AnyConnection, id: Uuid) -> Result<Topic> {
    let topic = topic_in(conn, id).await?;
    match topic.state {
        TopicState::Published => Ok(topic),
        TopicState::Pending | TopicState::Hidden => {
            Err(FieldError::new("topic", "议题未公开", "the topic is not published").into())
        }
    }
}

async fn threshold_of(conn: &mut AnyConnection, region_code: &str) -> Result<u32> {
    let row = sqlx::query("SELECT support_threshold FROM participation_spaces WHERE region_code = $1")
        .bind(region_code.to_string())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(match row {
        Some(r) => u32::try_from(r.try_get::<i64, _>("support_threshold")?).unwrap_or(DEFAULT_THRESHOLD),
        None => DEFAULT_THRESHOLD,
    })
}

#[async_trait::async_trait]
impl crate::DeliberationStore for SqlStore {
    async fn support_threshold(&self, region_code: &str) -> Result<u32> {
        let mut conn = self.read.acquire().await?;
        threshold_of(&mut conn, region_code).await
    }

    async fn set_support_threshold(
        &self,
        actor: &Actor,
        region_code: &str,
        threshold: u32,
        now: DateTime<Utc>,
    ) -> Result<()> {
        holding(actor, region_code)?;
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO participation_spaces (region_code, support_threshold, updated_at, updated_by) \
             VALUES ($1, $2, $3, $4) ON CONFLICT (region_code) DO UPDATE SET \
             support_threshold = excluded.support_threshold, updated_at = excluded.updated_at, \
             updated_by = excluded.updated_by",
        )
        .bind(region_code.to_string())
        .bind(i64::from(threshold))
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "space": region_code, "support_threshold": threshold });
        events::audit(&mut tx, now, actor, "support_threshold_set", None, detail).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn raise_topic(&self, topic: &NewTopic, actor: &Actor, now: DateTime<Utc>) -> Result<Topic> {
        let id = Uuid::now_v7();
        let state = topic.origin.first_state();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO topics (id, region_code, title, body, origin, author_kind, author_id, state, created_at, \
             published_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(topic.region_code.clone())
        .bind(topic.title.clone())
        .bind(topic.body.clone())
        .bind(topic.origin.as_str())
        .bind(topic.author.kind().as_str())
        .bind(topic.author.id().to_string())
        .bind(state.as_str())
        .bind(ms(now))
        .bind((state == TopicState::Published).then(|| ms(now)))
        .execute(&mut *tx)
        .await?;
        for case in &topic.case_ids {
            sqlx::query("INSERT INTO topic_cases (topic_id, case_id) VALUES ($1, $2) ON CONFLICT DO NOTHING")
                .bind(id.to_string())
                .bind(case.to_string())
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({
            "space": topic.region_code, "title": topic.title, "origin": topic.origin.as_str(), "cases": topic.case_ids,
        });
        events::audit(&mut tx, now, actor, "topic_raised", Some(Subject { kind: "topic", id }), detail).await?;
        let raised = topic_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(raised)
    }

    async fn topic(&self, id: Uuid) -> Result<Option<Topic>> {
        let mut conn = self.read.acquire().await?;
        match topic_in(&mut conn, id).await {
            Err(StoreError::NotFound) => Ok(None),
            found => found.map(Some),
        }
    }

    async fn topics(&self, places: &PlaceFilter, states: &[TopicState], limit: i64) -> Result<Vec<Topic>> {
        let mut args = Args::default();
        let place = args.places("t.region_code", places);
        let states: Vec<String> = states.iter().map(|s| args.text(s.as_str())).collect();
        let state = if states.is_empty() { "1 = 0".to_string() } else { format!("t.state IN ({})", states.join(", ")) };
        let condition = format!("{place} AND {state} ORDER BY t.created_at DESC, t.id DESC LIMIT {}", args.int(limit));
        let mut conn = self.read.acquire().await?;
        topics_where(&mut conn, &condition, args).await
    }

    async fn topics_of_case(&self, case_id: Uuid) -> Result<Vec<Topic>> {
        let mut args = Args::default();
        let condition = format!(
            "t.id IN (SELECT topic_id FROM topic_cases WHERE case_id = {}) ORDER BY t.created_at DESC",
            args.text(case_id.to_string())
        );
        let mut conn = self.read.acquire().await?;
        topics_where(&mut conn, &condition, args).await
    }

    async fn topics_by(&self, author: Author, limit: i64) -> Result<Vec<Topic>> {
        let mut args = Args::default();
        let condition = format!(
            "t.author_id = {} AND t.author_kind = {} ORDER BY t.created_at DESC LIMIT {}",
            args.text(author.id().to_string()),
            args.text(author.kind().as_str()),
            args.int(limit)
        );
        let mut conn = self.read.acquire().await?;
        topics_where(&mut conn, &condition, args).await
    }

    async fn proposals_by(&self, author: Author, limit: i64) -> Result<Vec<Proposal>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals p WHERE p.author_id = $1 AND p.author_kind = $2 \
             ORDER BY p.created_at DESC LIMIT $3"
        ))
        .bind(author.id().to_string())
        .bind(author.kind().as_str())
        .bind(limit)
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(proposal).collect()
    }

    async fn moderate_topic(
        &self,
        actor: &Actor,
        id: Uuid,
        moderation: &Moderation,
        now: DateTime<Utc>,
    ) -> Result<Topic> {
        let mut tx = self.write.begin().await?;
        let topic = topic_in(&mut tx, id).await?;
        reaching(actor, &topic.region_code)?;
        may_moderate(topic.state, moderation)?;
        let (state, reason, action) = match moderation {
            Moderation::Publish => (TopicState::Published, None, "topic_published"),
            Moderation::Hide { reason } => (TopicState::Hidden, Some(reason.clone()), "topic_hidden"),
        };
        sqlx::query(
            "UPDATE topics SET state = $2, hidden_reason = $3, moderated_by = $4, \
             published_at = COALESCE(published_at, CASE WHEN $2 = 'published' THEN $5 END) WHERE id = $1",
        )
        .bind(id.to_string())
        .bind(state.as_str())
        .bind(reason.clone())
        .bind(actor.id().map(|u| u.to_string()))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "was": topic.state.as_str(), "reason": reason });
        events::audit(&mut tx, now, actor, action, Some(Subject { kind: "topic", id }), detail).await?;
        let moderated = topic_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(moderated)
    }

    async fn add_proposal(
        &self,
        topic: Uuid,
        author: Author,
        title: &str,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<Proposal> {
        let mut tx = self.write.begin().await?;
        open_topic(&mut tx, topic).await?;
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO proposals (id, topic_id, title, body, author_kind, author_id, supports, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7)",
        )
        .bind(id.to_string())
        .bind(topic.to_string())
        .bind(title.to_string())
        .bind(body.to_string())
        .bind(author.kind().as_str())
        .bind(author.id().to_string())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let added = proposal_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(added)
    }

    async fn proposal(&self, id: Uuid) -> Result<Option<Proposal>> {
        let mut conn = self.read.acquire().await?;
        match proposal_in(&mut conn, id).await {
            Err(StoreError::NotFound) => Ok(None),
            found => found.map(Some),
        }
    }

    async fn proposals(&self, topic: Uuid) -> Result<Vec<Proposal>> {
        let rows = sqlx::query(&format!(
            "SELECT {PROPOSAL_COLUMNS} FROM proposals p WHERE p.topic_id = $1 ORDER BY p.created_at, p.id"
        ))
        .bind(topic.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(proposal).collect()
    }

    async fn support_proposal(&self, proposal_id: Uuid, resident: Uuid, now: DateTime<Utc>) -> Result<Support> {
        let mut tx = self.write.begin().await?;
        let p = proposal_in(&mut tx, proposal_id).await?;
        if p.hidden_reason.is_some() {
            return Err(FieldError::new("proposal", "该建议已隐藏", "the proposal is hidden").into());
        }
        let topic = open_topic(&mut tx, p.topic_id).await?;
        let threshold = threshold_of(&mut tx, &topic.region_code).await?;
        // The key decides between concurrent supports of one resident: the later adds nothing.
        let added = sqlx::query(
            "INSERT INTO proposal_supports (proposal_id, resident_id, supported_at) VALUES ($1, $2, $3) \
             ON CONFLICT (proposal_id, resident_id) DO NOTHING",
        )
        .bind(proposal_id.to_string())
        .bind(resident.to_string())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if added == 0 {
            return Ok(Support::Already);
        }
        sqlx::query(
            "UPDATE proposals SET supports = supports + 1, on_agenda_at = CASE WHEN on_agenda_at IS NULL \
             AND supports + 1 >= $2 THEN $3 ELSE on_agenda_at END WHERE id = $1",
        )
        .bind(proposal_id.to_string())
        .bind(i64::from(threshold))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let p = proposal_in(&mut tx, proposal_id).await?;
        tx.commit().await?;
        Ok(Support::Counted { supports: p.supports, on_agenda: p.on_agenda_at.is_some() })
    }

    async fn supported_by(&self, resident: Uuid, proposals: &[Uuid]) -> Result<Vec<Uuid>> {
        if proposals.is_empty() {
            return Ok(Vec::new());
        }
        let mut args = Args::default();
        let ids: Vec<String> = proposals.iter().map(|p| args.text(p.to_string())).collect();
        let sql = format!(
            "SELECT proposal_id FROM proposal_supports WHERE resident_id = {} AND proposal_id IN ({})",
            args.text(resident.to_string()),
            ids.join(", ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter().map(|r| uuid_column(r, "proposal_id")).collect()
    }

    async fn add_comment(
        &self,
        topic: Uuid,
        proposal: Option<Uuid>,
        author: Author,
        body: &str,
        now: DateTime<Utc>,
    ) -> Result<Comment> {
        let mut tx = self.write.begin().await?;
        open_topic(&mut tx, topic).await?;
        if let Some(p) = proposal {
            if proposal_in(&mut tx, p).await?.topic_id != topic {
                return Err(StoreError::NotFound);
            }
        }
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO topic_comments (id, topic_id, proposal_id, author_kind, author_id, body, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(id.to_string())
        .bind(topic.to_string())
        .bind(proposal.map(|p| p.to_string()))
        .bind(author.kind().as_str())
        .bind(author.id().to_string())
        .bind(body.to_string())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query(&format!("SELECT {COMMENT_COLUMNS} FROM topic_comments c WHERE c.id = $1"))
            .bind(id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        tx.commit().await?;
        comment(&row)
    }

    async fn comments(&self, topic: Uuid) -> Result<Vec<Comment>> {
        let rows = sqlx::query(&format!(
            "SELECT {COMMENT_COLUMNS} FROM topic_comments c WHERE c.topic_id = $1 ORDER BY c.created_at, c.id"
        ))
        .bind(topic.to_string())
        .fetch_all(&self.read)
        .await?;
        rows.iter().map(comment).collect()
    }

    async fn hide_proposal(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Proposal> {
        let mut tx = self.write.begin().await?;
        let p = proposal_in(&mut tx, id).await?;
        reaching(actor, &topic_in(&mut tx, p.topic_id).await?.region_code)?;
        sqlx::query("UPDATE proposals SET hidden_reason = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(reason.to_string())
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "topic": p.topic_id, "reason": reason });
        events::audit(&mut tx, now, actor, "proposal_hidden", Some(Subject { kind: "proposal", id }), detail).await?;
        let hidden = proposal_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(hidden)
    }

    async fn hide_comment(&self, actor: &Actor, id: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Comment> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query(&format!("SELECT {COMMENT_COLUMNS} FROM topic_comments c WHERE c.id = $1"))
            .bind(id.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let c = comment(&row)?;
        reaching(actor, &topic_in(&mut tx, c.topic_id).await?.region_code)?;
        sqlx::query("UPDATE topic_comments SET hidden_reason = $2 WHERE id = $1")
            .bind(id.to_string())
            .bind(reason.to_string())
            .execute(&mut *tx)
            .await?;
        let detail = serde_json::json!({ "topic": c.topic_id, "reason": reason });
        events::audit(&mut tx, now, actor, "comment_hidden", Some(Subject { kind: "comment", id }), detail).await?;
        tx.commit().await?;
        Ok(Comment { hidden_reason: Some(reason.to_string()), ..c })
    }
}
