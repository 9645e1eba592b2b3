//! Votes: the vote, the roll, the ballot box, paper counts and the published results.

use chrono::{DateTime, Utc};
use grassroots_domain::votes::{
    agreed_paper_count, check_choices, decode_choices, encode_choices, may_publish, may_withdraw, tally, Eligibility,
    PaperCount, Phase, VoteKind, Voter,
};
use grassroots_domain::{Actor, FieldError};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::events::{self, Subject};
use super::rows::{coded, count, holding, reaching, uuid_column, withdraw, withdrawal};
use super::{anonymous_placeholders, from_ms, ms, Args, Inserts, SqlStore};
use crate::votes::{Cast, NewVote, PaperEntry, Vote};
use crate::PlaceFilter;
use crate::{Result, StoreError};

const COLUMNS: &str = "v.id, v.region_code, v.title, v.body, v.kind, v.eligibility, v.opens_at, v.closes_at, \
     v.created_at, v.published_at, v.eligible, v.withdrawn_at, v.withdrawn_reason";

/// A vote's row with its options, results and roll counts.
async fn filled(conn: &mut AnyConnection, r: &AnyRow) -> Result<Vote> {
    let id = uuid_column(r, "id")?;
    let options = sqlx::query("SELECT label FROM vote_options WHERE vote_id = $1 ORDER BY position")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|o| o.try_get::<String, _>("label"))
        .collect::<Result<Vec<_>, _>>()?;
    let results = sqlx::query("SELECT count FROM vote_results WHERE vote_id = $1 ORDER BY position")
        .bind(id.to_string())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|o| o.try_get::<i64, _>("count").map(count))
        .collect::<Result<Vec<_>, _>>()?;
    let roll = sqlx::query(
        "SELECT COUNT(*) AS voters, COALESCE(SUM(CASE WHEN channel = 'paper' THEN 1 ELSE 0 END), 0) AS paper \
         FROM vote_voters WHERE vote_id = $1",
    )
    .bind(id.to_string())
    .fetch_one(&mut *conn)
    .await?;
    Ok(Vote {
        id,
        region_code: r.try_get("region_code")?,
        title: r.try_get("title")?,
        body: r.try_get("body")?,
        kind: coded(VoteKind::parse, "vote kind", r.try_get("kind")?)?,
        eligibility: coded(Eligibility::parse, "eligibility", r.try_get("eligibility")?)?,
        options,
        opens_at: from_ms(r.try_get("opens_at")?),
        closes_at: from_ms(r.try_get("closes_at")?),
        created_at: from_ms(r.try_get("created_at")?),
        published_at: r.try_get::<Option<i64>, _>("published_at")?.map(from_ms),
        withdrawn: withdrawal(r)?,
        eligible: r.try_get::<Option<i64>, _>("eligible")?.map(count),
        results,
        voters: count(roll.try_get("voters")?),
        paper_voters: count(roll.try_get("paper")?),
    })
}

async fn vote_in(conn: &mut AnyConnection, id: Uuid) -> Result<Vote> {
    let row = sqlx::query(&format!("SELECT {COLUMNS} FROM votes v WHERE v.id = $1"))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await?
        .ok_or(StoreError::NotFound)?;
    filled(conn, &row).await
}

async fn entries_of(conn: &mut AnyConnection, vote: Uuid) -> Result<Vec<PaperEntry>> {
    let rows = sqlx::query(
        "SELECT u.username, p.ballots, p.invalid, p.counts, p.entered_at FROM vote_paper_entries p \
         JOIN users u ON u.id = p.entered_by WHERE p.vote_id = $1 ORDER BY p.entered_at, u.username",
    )
    .bind(vote.to_string())
    .fetch_all(&mut *conn)
    .await?;
    rows.iter()
        .map(|r| {
            let counts: String = r.try_get("counts")?;
            let number = |column: &str| -> Result<u32> {
                u32::try_from(r.try_get::<i64, _>(column)?).map_err(|_| StoreError::Corrupt(format!("paper {column}")))
            };
            Ok(PaperEntry {
                entered_by: r.try_get("username")?,
                count: PaperCount {
                    ballots: number("ballots")?,
                    invalid: number("invalid")?,
                    counts: decode_choices(&counts)
                        .ok_or_else(|| StoreError::Corrupt(format!("paper counts {counts}")))?,
                },
                entered_at: from_ms(r.try_get("entered_at")?),
            })
        })
        .collect()
}

async fn ballots_of(conn: &mut AnyConnection, vote: Uuid) -> Result<Vec<Vec<u32>>> {
    let rows = sqlx::query("SELECT choices FROM ballots WHERE vote_id = $1")
        .bind(vote.to_string())
        .fetch_all(&mut *conn)
        .await?;
    rows.iter()
        .map(|r| {
            let kept: String = r.try_get("choices")?;
            decode_choices(&kept).ok_or_else(|| StoreError::Corrupt(format!("ballot {kept}")))
        })
        .collect()
}

/// Writes the vote's roll and ballot box afresh, each in its key's order, in the caller's
/// transaction. Rows written when a ballot was cast keep traces of it beneath the store: their
/// order on disk and, on PostgreSQL, the id of the transaction that wrote the roll entry and
/// the ballot together (`xmin`). Rewritten, every row carries this transaction's id and an
/// order that says nothing of who voted when. (The old rows stay as dead space until the
/// database reclaims it.)
async fn rewrite_in_key_order(conn: &mut AnyConnection, vote: Uuid) -> Result<()> {
    let id = vote.to_string();
    // What is deleted is what is written back: a row committed meanwhile is not lost.
    let mut ballots = sqlx::query("DELETE FROM ballots WHERE vote_id = $1 RETURNING id, choices")
        .bind(id.clone())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| Ok((r.try_get::<String, _>("id")?, r.try_get::<String, _>("choices")?)))
        .collect::<Result<Vec<_>>>()?;
    ballots.sort_unstable();
    let mut roll = sqlx::query("DELETE FROM vote_voters WHERE vote_id = $1 RETURNING voter_key, channel, marked_by")
        .bind(id.clone())
        .fetch_all(&mut *conn)
        .await?
        .iter()
        .map(|r| {
            Ok((
                r.try_get::<String, _>("voter_key")?,
                r.try_get::<String, _>("channel")?,
                r.try_get::<Option<String>, _>("marked_by")?,
            ))
        })
        .collect::<Result<Vec<_>>>()?;
    roll.sort_unstable();
    let anonymous = anonymous_placeholders(conn);
    Inserts::build(anonymous, "INSERT INTO ballots (vote_id, id, choices)", 3, "", ballots, |q, (ballot, choices)| {
        q.bind(id.clone()).bind(ballot).bind(choices)
    })?
    .execute(conn)
    .await?;
    let head = "INSERT INTO vote_voters (vote_id, voter_key, channel, marked_by)";
    Inserts::build(anonymous, head, 4, "", roll, |q, (key, channel, marked_by)| {
        q.bind(id.clone()).bind(key).bind(channel).bind(marked_by)
    })?
    .execute(conn)
    .await
}

async fn roll_of(conn: &mut AnyConnection, region_code: &str, eligibility: Eligibility) -> Result<u64> {
    let sql = match eligibility {
        Eligibility::Households => "SELECT COUNT(*) AS n FROM households WHERE grid_code LIKE $1",
        Eligibility::Persons => {
            "SELECT COUNT(*) AS n FROM resident_households WHERE state = 'confirmed' AND grid_code LIKE $1"
        }
    };
    let row = sqlx::query(sql).bind(format!("{region_code}%")).fetch_one(&mut *conn).await?;
    Ok(count(row.try_get("n")?))
}

#[async_trait::async_trait]
impl crate::VoteStore for SqlStore {
    async fn create_vote(&self, actor: &Actor, vote: &NewVote, now: DateTime<Utc>) -> Result<Vote> {
        holding(actor, &vote.region_code)?;
        let id = Uuid::now_v7();
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO votes (id, region_code, title, body, kind, eligibility, opens_at, closes_at, created_by, \
             created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
        )
        .bind(id.to_string())
        .bind(vote.region_code.clone())
        .bind(vote.title.clone())
        .bind(vote.body.clone())
        .bind(vote.kind.as_str())
        .bind(vote.eligibility.as_str())
        .bind(ms(vote.opens_at))
        .bind(ms(vote.closes_at))
        .bind(actor.id().map(|u| u.to_string()).unwrap_or_default())
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        for (position, label) in vote.options.iter().enumerate() {
            sqlx::query("INSERT INTO vote_options (vote_id, position, label) VALUES ($1, $2, $3)")
                .bind(id.to_string())
                .bind(position as i64)
                .bind(label.clone())
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({
            "region": vote.region_code, "title": vote.title, "kind": vote.kind.as_str(),
            "eligibility": vote.eligibility.as_str(), "options": vote.options,
            "opens_at": vote.opens_at, "closes_at": vote.closes_at,
        });
        events::audit(&mut tx, now, actor, "vote_created", Some(Subject { kind: "vote", id }), detail).await?;
        let created = vote_in(&mut tx, id).await?;
        tx.commit().await?;
        Ok(created)
    }

    async fn vote(&self, id: Uuid) -> Result<Option<Vote>> {
        let mut conn = self.read.acquire().await?;
        match vote_in(&mut conn, id).await {
            Err(StoreError::NotFound) => Ok(None),
            found => found.map(Some),
        }
    }

    async fn votes(&self, filter: &PlaceFilter, limit: i64) -> Result<Vec<Vote>> {
        let mut args = Args::default();
        let which = args.places("v.region_code", filter);
        let sql = format!(
            "SELECT {COLUMNS} FROM votes v WHERE {which} ORDER BY v.opens_at DESC, v.id DESC LIMIT {}",
            args.int(limit)
        );
        let mut conn = self.read.acquire().await?;
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&mut *conn).await?;
        let mut votes = Vec::with_capacity(rows.len());
        for r in &rows {
            votes.push(filled(&mut conn, r).await?);
        }
        Ok(votes)
    }

    async fn cast_ballot(&self, vote: Uuid, voter: Voter, choices: &[u32], now: DateTime<Utc>) -> Result<Cast> {
        let mut tx = self.write.begin().await?;
        let v = vote_in(&mut tx, vote).await?;
        if v.phase(now) != Phase::Open {
            return Ok(Cast::NotOpen);
        }
        let choices = check_choices(v.kind, v.options.len(), choices)?;
        // The roll's unique key decides between concurrent ballots of one voter: the later
        // insert finds the row and adds nothing, and casts no ballot.
        let on_roll = sqlx::query(
            "INSERT INTO vote_voters (vote_id, voter_key, channel) VALUES ($1, $2, 'online') \
             ON CONFLICT (vote_id, voter_key) DO NOTHING",
        )
        .bind(vote.to_string())
        .bind(voter.key())
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if on_roll == 0 {
            return Ok(Cast::AlreadyVoted);
        }
        // A random id, no voter and no time: nothing in the ballot leads back to the roll.
        sqlx::query("INSERT INTO ballots (vote_id, id, choices) VALUES ($1, $2, $3)")
            .bind(vote.to_string())
            .bind(uuid::Builder::from_random_bytes(rand::random()).into_uuid().to_string())
            .bind(encode_choices(&choices))
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(Cast::Counted)
    }

    async fn mark_paper_voter(&self, actor: &Actor, vote: Uuid, voter: Voter, now: DateTime<Utc>) -> Result<Cast> {
        let mut tx = self.write.begin().await?;
        let v = vote_in(&mut tx, vote).await?;
        reaching(actor, &v.region_code)?;
        let counting = !entries_of(&mut tx, vote).await?.is_empty();
        if matches!(v.phase(now), Phase::Scheduled | Phase::Published | Phase::Withdrawn) || counting {
            return Ok(Cast::NotOpen);
        }
        let on_roll = sqlx::query(
            "INSERT INTO vote_voters (vote_id, voter_key, channel, marked_by) VALUES ($1, $2, 'paper', $3) \
             ON CONFLICT (vote_id, voter_key) DO NOTHING",
        )
        .bind(vote.to_string())
        .bind(voter.key())
        .bind(actor.id().map(|u| u.to_string()))
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if on_roll == 0 {
            return Ok(Cast::AlreadyVoted);
        }
        let detail = serde_json::json!({ "voter": voter.key() });
        events::audit(&mut tx, now, actor, "paper_voter_marked", Some(Subject { kind: "vote", id: vote }), detail)
            .await?;
        tx.commit().await?;
        Ok(Cast::Counted)
    }

    async fn enter_paper_count(
        &self,
        actor: &Actor,
        vote: Uuid,
        count: &PaperCount,
        now: DateTime<Utc>,
    ) -> Result<Vec<PaperEntry>> {
        let Some(user) = actor.id() else { return Err(StoreError::NotFound) };
        let mut tx = self.write.begin().await?;
        let v = vote_in(&mut tx, vote).await?;
        reaching(actor, &v.region_code)?;
        if v.phase(now) != Phase::Closed {
            return Err(FieldError::new(
                "vote",
                "纸质票在投票截止后、结果公布前录入",
                "paper ballots are entered after the vote closes and before its results are out",
            )
            .into());
        }
        count.check(v.kind, v.options.len(), v.paper_voters)?;
        let entries = entries_of(&mut tx, vote).await?;
        let counts: Vec<PaperCount> = entries.iter().map(|e| e.count.clone()).collect();
        if agreed_paper_count(&counts).is_some() {
            return Err(FieldError::new(
                "vote",
                "纸质票已由两人录入一致，不能再改",
                "two entries of the paper ballots already agree; they can no longer change",
            )
            .into());
        }
        sqlx::query("DELETE FROM vote_paper_entries WHERE vote_id = $1 AND entered_by = $2")
            .bind(vote.to_string())
            .bind(user.to_string())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO vote_paper_entries (vote_id, entered_by, ballots, invalid, counts, entered_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(vote.to_string())
        .bind(user.to_string())
        .bind(i64::from(count.ballots))
        .bind(i64::from(count.invalid))
        .bind(encode_choices(&count.counts))
        .bind(ms(now))
        .execute(&mut *tx)
        .await?;
        let detail = serde_json::json!({ "ballots": count.ballots, "invalid": count.invalid, "counts": count.counts });
        events::audit(&mut tx, now, actor, "paper_count_entered", Some(Subject { kind: "vote", id: vote }), detail)
            .await?;
        let entries = entries_of(&mut tx, vote).await?;
        tx.commit().await?;
        Ok(entries)
    }

    async fn paper_entries(&self, vote: Uuid) -> Result<Vec<PaperEntry>> {
        let mut conn = self.read.acquire().await?;
        entries_of(&mut conn, vote).await
    }

    async fn ballots(&self, vote: Uuid) -> Result<Vec<Vec<u32>>> {
        let mut conn = self.read.acquire().await?;
        ballots_of(&mut conn, vote).await
    }

    async fn has_voted(&self, vote: Uuid, voter: Voter) -> Result<bool> {
        Ok(sqlx::query("SELECT 1 FROM vote_voters WHERE vote_id = $1 AND voter_key = $2")
            .bind(vote.to_string())
            .bind(voter.key())
            .fetch_optional(&self.read)
            .await?
            .is_some())
    }

    async fn roll_size(&self, region_code: &str, eligibility: Eligibility) -> Result<u64> {
        let mut conn = self.read.acquire().await?;
        roll_of(&mut conn, region_code, eligibility).await
    }

    async fn withdraw_vote(&self, actor: &Actor, vote: Uuid, reason: &str, now: DateTime<Utc>) -> Result<Vote> {
        let mut tx = self.write.begin().await?;
        let v = vote_in(&mut tx, vote).await?;
        holding(actor, &v.region_code)?;
        may_withdraw(v.phase(now))?;
        if !withdraw(&mut tx, "votes", vote, reason, now).await? {
            return Err(FieldError::new("phase", "开始后不能撤销", "only what has not opened yet is withdrawn").into());
        }
        let detail = serde_json::json!({ "reason": reason });
        events::audit(&mut tx, now, actor, "vote_withdrawn", Some(Subject { kind: "vote", id: vote }), detail).await?;
        let out = vote_in(&mut tx, vote).await?;
        tx.commit().await?;
        Ok(out)
    }

    async fn publish_results(&self, actor: &Actor, vote: Uuid, now: DateTime<Utc>) -> Result<Vote> {
        let mut tx = self.write.begin().await?;
        let v = vote_in(&mut tx, vote).await?;
        holding(actor, &v.region_code)?;
        let counts: Vec<PaperCount> = entries_of(&mut tx, vote).await?.into_iter().map(|e| e.count).collect();
        let paper = agreed_paper_count(&counts);
        may_publish(v.phase(now), v.paper_voters, paper.is_some())?;
        let ballots = ballots_of(&mut tx, vote).await?;
        let result = tally(v.options.len(), ballots.iter().map(Vec::as_slice), paper);
        let eligible = roll_of(&mut tx, &v.region_code, v.eligibility).await?;
        let published = sqlx::query(
            "UPDATE votes SET published_at = $2, published_by = $3, eligible = $4 WHERE id = $1 AND published_at IS NULL",
        )
        .bind(vote.to_string())
        .bind(ms(now))
        .bind(actor.id().map(|u| u.to_string()))
        .bind(eligible as i64)
        .execute(&mut *tx)
        .await?
        .rows_affected();
        if published == 0 {
            return Err(FieldError::new("vote", "结果已公布", "the results are already published").into());
        }
        rewrite_in_key_order(&mut tx, vote).await?;
        for (position, count) in result.counts.iter().enumerate() {
            sqlx::query("INSERT INTO vote_results (vote_id, position, count) VALUES ($1, $2, $3)")
                .bind(vote.to_string())
                .bind(position as i64)
                .bind(*count as i64)
                .execute(&mut *tx)
                .await?;
        }
        let detail = serde_json::json!({
            "counts": result.counts, "online_ballots": result.online_ballots,
            "paper_ballots": result.paper_ballots, "invalid": result.invalid,
            "voters": v.voters, "eligible": eligible,
        });
        events::audit(&mut tx, now, actor, "vote_results_published", Some(Subject { kind: "vote", id: vote }), detail)
            .await?;
        let out = vote_in(&mut tx, vote).await?;
        tx.commit().await?;
        Ok(out)
    }
}
