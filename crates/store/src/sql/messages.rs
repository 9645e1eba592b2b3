//! The message queue of the notification gateway, its attempt log, and residents' signed links.

use chrono::{DateTime, Utc};
use grassroots_domain::notices::CaseNotice;
use grassroots_domain::CaseEvent;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};
use uuid::Uuid;

use super::cases::CASE;
use super::identity::staff_phone_context;
use super::rows::{parse_uuid, uuid_column};
use super::support::phone_context;
use super::{anonymous_placeholders, from_ms, ms, Inserts, SqlStore};
use crate::crypto::context;
use crate::messages::{DueMessage, MessageLine, MessageOutcome, MessageState, Recipient};
use crate::surveys::UnitCases;
use crate::{Result, StoreError};

/// Queues the messages an event of a case gives, if the event is news to a resident: to the
/// reporter, if they asked to be kept informed, and to each supporter (附议) who asked; in the
/// event's transaction.
pub(super) async fn enqueue_case_notice(conn: &mut AnyConnection, event: &CaseEvent) -> Result<()> {
    let Some(notice) = CaseNotice::for_event(&event.kind) else { return Ok(()) };
    // One read for every recipient: the reporter (no supporter id), then each supporter.
    let recipients: Vec<Option<String>> = sqlx::query(
        "SELECT NULL AS supporter FROM cases WHERE id = $1 AND notify_reporter = 1 \
         UNION ALL SELECT id AS supporter FROM case_supporters WHERE case_id = $1 AND notify = 1",
    )
    .bind(event.case_id.to_string())
    .fetch_all(&mut *conn)
    .await?
    .iter()
    .map(|r| r.try_get("supporter"))
    .collect::<std::result::Result<_, _>>()?;
    for supporter in recipients {
        let to = (supporter, None);
        queue(conn, MessageRow { notice, case_id: event.case_id, about: event.id, to, at: event.at }).await?;
    }
    Ok(())
}

/// A message about a case to queue: the notice, the case, what it is about (an event, a
/// warning), to whom (a supporter's or a staff member's id, both none for the reporter), and
/// when.
pub(super) struct MessageRow {
    pub notice: CaseNotice,
    pub case_id: Uuid,
    pub about: Uuid,
    pub to: (Option<String>, Option<Uuid>),
    pub at: DateTime<Utc>,
}

impl MessageRow {
    /// What a new case's event gives its reporter, if they asked to be kept informed (a new case
    /// has no supporters yet).
    pub(super) fn to_new_case_reporter(event: &CaseEvent, notify_reporter: bool) -> Option<Self> {
        let notice = CaseNotice::for_event(&event.kind).filter(|_| notify_reporter)?;
        Some(Self { notice, case_id: event.case_id, about: event.id, to: (None, None), at: event.at })
    }
}

/// The column of cases naming a place of this code's level.
pub(super) fn place_column(place: &str) -> Result<&'static str> {
    let code = grassroots_domain::RegionCode::parse(place)?;
    super::stats::region_column(code.level())
}

/// How long a reporter invited to one 问效 survey is not invited to another.
const INVITED_AGAIN_AFTER_DAYS: i64 = 30;

/// Invites to a 问效 survey of `place` the reporters of the cases there that the unit closed in
/// its period: one text each however many of their cases it closed, only those who asked to
/// be kept informed, and none invited to a survey in the last 30 days; sent from `at` (when
/// the survey opens), in the survey's transaction. Returns how many.
pub(super) async fn enqueue_survey_invites(
    conn: &mut AnyConnection,
    survey: Uuid,
    place: &str,
    cases: &UnitCases,
    at: DateTime<Utc>,
) -> Result<u64> {
    let column = place_column(place)?;
    let rows = sqlx::query(&format!(
        "SELECT id, reporter_phone_tag FROM cases WHERE lead_unit = $1 AND closed_at >= $2 AND closed_at < $3 \
         AND {column} = $4 AND notify_reporter = 1 AND reporter_phone_enc IS NOT NULL \
         AND reporter_phone_tag IS NOT NULL ORDER BY id"
    ))
    .bind(cases.unit.clone())
    .bind(ms(cases.from))
    .bind(ms(cases.to))
    .bind(place.to_string())
    .fetch_all(&mut *conn)
    .await?;
    let invited_lately = sqlx::query(
        "SELECT DISTINCT c.reporter_phone_tag FROM messages m JOIN cases c ON c.id = m.aggregate_id \
         WHERE m.kind = $1 AND m.created_at > $2 AND c.reporter_phone_tag IS NOT NULL",
    )
    .bind(CaseNotice::SurveyInvite.as_str())
    .bind(ms(at - chrono::Duration::days(INVITED_AGAIN_AFTER_DAYS)))
    .fetch_all(&mut *conn)
    .await?;
    let mut reporters = invited_lately
        .iter()
        .map(|r| r.try_get::<String, _>("reporter_phone_tag"))
        .collect::<std::result::Result<std::collections::HashSet<_>, _>>()?;
    let mut invites = Vec::new();
    for row in &rows {
        if reporters.insert(row.try_get::<String, _>("reporter_phone_tag")?) {
            let case_id = uuid_column(row, "id")?;
            invites.push(MessageRow { notice: CaseNotice::SurveyInvite, case_id, about: survey, to: (None, None), at });
        }
    }
    let invited = invites.len() as u64;
    message_inserts(anonymous_placeholders(conn), invites)?.execute(conn).await?;
    Ok(invited)
}

const MESSAGE_HEAD: &str = "INSERT INTO messages (id, kind, aggregate_type, aggregate_id, event_id, supporter_id, \
     staff_id, state, attempts, next_attempt_at, created_at)";

/// Messages to queue, many to a statement.
pub(super) fn message_inserts(anonymous: bool, messages: Vec<MessageRow>) -> Result<Inserts> {
    Inserts::build(anonymous, MESSAGE_HEAD, 11, "", messages, |q, m| {
        let (supporter, staff) = m.to;
        q.bind(Uuid::now_v7().to_string())
            .bind(m.notice.as_str())
            .bind(CASE)
            .bind(m.case_id.to_string())
            .bind(m.about.to_string())
            .bind(supporter)
            .bind(staff.map(|id| id.to_string()))
            .bind("pending")
            .bind(0_i64)
            .bind(ms(m.at))
            .bind(ms(m.at))
    })
}

/// Queues one message about a case.
async fn queue(conn: &mut AnyConnection, message: MessageRow) -> Result<()> {
    message_inserts(anonymous_placeholders(conn), vec![message])?.execute(conn).await
}

/// Who a message row goes to, and their id (a supporter's or a staff member's).
fn recipient_column(row: &AnyRow) -> Result<(Recipient, Option<Uuid>)> {
    let supporter = row.try_get::<Option<String>, _>("supporter_id")?.map(|s| parse_uuid(&s)).transpose()?;
    let staff = row.try_get::<Option<String>, _>("staff_id")?.map(|s| parse_uuid(&s)).transpose()?;
    Ok(match (supporter, staff) {
        (Some(id), _) => (Recipient::Supporter, Some(id)),
        (None, Some(id)) => (Recipient::Staff, Some(id)),
        (None, None) => (Recipient::Reporter, None),
    })
}

/// Queues a warning of danger to each staff member in `staff`, in the warning's transaction.
pub(super) async fn enqueue_staff_notice(
    conn: &mut AnyConnection,
    notice: CaseNotice,
    case_id: Uuid,
    warning_id: Uuid,
    staff: &[Uuid],
    at: DateTime<Utc>,
) -> Result<()> {
    for user in staff {
        queue(conn, MessageRow { notice, case_id, about: warning_id, to: (None, Some(*user)), at }).await?;
    }
    Ok(())
}

fn notice_column(row: &AnyRow) -> Result<CaseNotice> {
    let kind: String = row.try_get("kind")?;
    CaseNotice::parse(&kind).ok_or_else(|| StoreError::Corrupt(format!("message kind '{kind}'")))
}

/// `TRACKING_NO.EXPIRES.SIGNATURE`: digits, Unix seconds and hex, safe in a URL as it is.
fn link_token(store: &SqlStore, tracking_no: &str, expires: i64) -> String {
    format!("{tracking_no}.{expires}.{}", store.cipher.resident_link_signature(tracking_no, expires))
}

impl SqlStore {
    /// The tracking number a resident's link token opens at `now`; `None` for a token that is
    /// malformed, forged or expired.
    pub(super) fn link_tracking_no<'t>(&self, token: &'t str, now: DateTime<Utc>) -> Option<&'t str> {
        let mut parts = token.trim().splitn(3, '.');
        let (tracking_no, expires, _) = (parts.next()?, parts.next()?, parts.next()?);
        let expires_at: i64 = expires.parse().ok()?;
        let genuine = link_token(self, tracking_no, expires_at);
        // Compared in constant time: the signature is the secret part.
        let same = genuine.len() == token.trim().len()
            && genuine.bytes().zip(token.trim().bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
        (same && now.timestamp() < expires_at && grassroots_domain::case::is_tracking_no(tracking_no))
            .then_some(tracking_no)
    }
}

#[async_trait::async_trait]
impl crate::MessageStore for SqlStore {
    async fn due_messages(&self, now: DateTime<Utc>, limit: i64) -> Result<Vec<DueMessage>> {
        let rows = sqlx::query(
            "SELECT m.id, m.kind, m.aggregate_id, m.event_id, m.supporter_id, m.staff_id, m.attempts, m.created_at, c.tracking_no, \
             c.lead_unit, u.name_zh AS lead_unit_name, c.reporter_phone_enc, s.phone_enc AS supporter_phone_enc, \
             st.phone_enc AS staff_phone_enc \
             FROM messages m JOIN cases c ON c.id = m.aggregate_id LEFT JOIN case_supporters s ON s.id = m.supporter_id \
             LEFT JOIN users st ON st.id = m.staff_id LEFT JOIN units u ON u.id = c.lead_unit \
             WHERE m.state = 'pending' AND m.next_attempt_at <= $1 AND m.aggregate_type = $2 \
             ORDER BY CASE WHEN m.kind = $4 THEN 1 ELSE 0 END, m.next_attempt_at, m.id LIMIT $3",
        )
        .bind(ms(now))
        .bind(CASE)
        .bind(limit)
        .bind(CaseNotice::SurveyInvite.as_str())
        .fetch_all(&self.write)
        .await?;
        rows.iter()
            .map(|r| {
                let case_id = uuid_column(r, "aggregate_id")?;
                let (recipient, sealed, context) = match recipient_column(r)? {
                    (Recipient::Supporter, Some(id)) => (
                        Recipient::Supporter,
                        r.try_get::<Option<Vec<u8>>, _>("supporter_phone_enc")?,
                        phone_context(id),
                    ),
                    (Recipient::Staff, Some(id)) => {
                        (Recipient::Staff, r.try_get("staff_phone_enc")?, staff_phone_context(id))
                    }
                    _ => (Recipient::Reporter, r.try_get("reporter_phone_enc")?, context(case_id, "reporter_phone")),
                };
                let phone =
                    sealed.map(|sealed| self.cipher.open(&context, &sealed)).transpose().map_err(StoreError::Crypto)?;
                Ok(DueMessage {
                    id: uuid_column(r, "id")?,
                    notice: notice_column(r)?,
                    case_id,
                    about: uuid_column(r, "event_id")?,
                    tracking_no: r.try_get("tracking_no")?,
                    phone,
                    recipient,
                    lead_unit: r.try_get("lead_unit")?,
                    lead_unit_name: r.try_get("lead_unit_name")?,
                    attempts: r.try_get("attempts")?,
                    created_at: from_ms(r.try_get("created_at")?),
                })
            })
            .collect()
    }

    async fn record_message_attempt(
        &self,
        message: &DueMessage,
        outcome: &MessageOutcome,
        duration_ms: i64,
        now: DateTime<Utc>,
    ) -> Result<()> {
        let (provider, status, error, body) = match outcome {
            MessageOutcome::Sent { provider, status, body } => (provider, *status, None, Some(body)),
            MessageOutcome::Failed { provider, status, error, body, .. } => {
                (provider, *status, Some(error.chars().take(500).collect::<String>()), body.as_ref())
            }
        };
        let mut tx = self.write.begin().await?;
        sqlx::query(
            "INSERT INTO message_attempts (id, message_id, at, provider, status, error, duration_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7)",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(message.id.to_string())
        .bind(ms(now))
        .bind(provider.clone())
        .bind(status.map(i64::from))
        .bind(error)
        .bind(duration_ms)
        .execute(&mut *tx)
        .await?;
        let (state, next, sent_at) = match outcome {
            MessageOutcome::Sent { .. } => (MessageState::Sent, now, Some(ms(now))),
            MessageOutcome::Failed { retry_at: Some(at), .. } => (MessageState::Pending, *at, None),
            MessageOutcome::Failed { retry_at: None, .. } => (MessageState::Failed, now, None),
        };
        sqlx::query(
            "UPDATE messages SET attempts = attempts + 1, state = $1, next_attempt_at = $2, sent_at = $3, \
             provider = $4, body = COALESCE($5, body) WHERE id = $6 AND state = 'pending'",
        )
        .bind(state.as_str())
        .bind(ms(next))
        .bind(sent_at)
        .bind(provider.clone())
        .bind(body.cloned())
        .bind(message.id.to_string())
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn messages(&self, case: Option<Uuid>, limit: i64) -> Result<Vec<MessageLine>> {
        let filter = if case.is_some() { "AND m.aggregate_id = $3" } else { "" };
        let sql = format!(
            "SELECT m.id, m.kind, m.aggregate_id, m.state, m.attempts, m.created_at, m.sent_at, m.provider, m.body, \
             c.tracking_no, m.supporter_id, m.staff_id, \
             CASE WHEN m.supporter_id IS NOT NULL THEN s.phone_masked WHEN m.staff_id IS NOT NULL THEN st.phone_masked \
             ELSE c.reporter_phone_masked END AS phone_masked, \
             (SELECT a.error FROM message_attempts a WHERE a.message_id = m.id ORDER BY a.at DESC, a.id DESC LIMIT 1) \
             AS last_error \
             FROM messages m JOIN cases c ON c.id = m.aggregate_id LEFT JOIN case_supporters s ON s.id = m.supporter_id \
             LEFT JOIN users st ON st.id = m.staff_id \
             WHERE m.aggregate_type = $1 {filter} \
             ORDER BY m.id DESC LIMIT $2"
        );
        let query = sqlx::query(&sql).bind(CASE).bind(limit.clamp(1, 500));
        let query = match case {
            Some(id) => query.bind(id.to_string()),
            None => query,
        };
        let rows = query.fetch_all(&self.read).await?;
        rows.iter()
            .map(|r| {
                let state: String = r.try_get("state")?;
                Ok(MessageLine {
                    id: uuid_column(r, "id")?,
                    notice: notice_column(r)?,
                    case_id: uuid_column(r, "aggregate_id")?,
                    tracking_no: r.try_get("tracking_no")?,
                    phone_masked: r.try_get("phone_masked")?,
                    recipient: recipient_column(r)?.0,
                    state: MessageState::parse(&state)
                        .ok_or_else(|| StoreError::Corrupt(format!("message state '{state}'")))?,
                    attempts: r.try_get("attempts")?,
                    created_at: from_ms(r.try_get("created_at")?),
                    sent_at: r.try_get::<Option<i64>, _>("sent_at")?.map(from_ms),
                    provider: r.try_get("provider")?,
                    body: r.try_get("body")?,
                    last_error: r.try_get("last_error")?,
                })
            })
            .collect()
    }

    fn resident_link_token(&self, tracking_no: &str, expires: DateTime<Utc>) -> String {
        link_token(self, tracking_no, expires.timestamp())
    }
}
