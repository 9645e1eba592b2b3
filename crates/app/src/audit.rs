//! The audit log for administrators: entries found by actor, case, kind and period (the
//! administration page, the API and `grassroots audit` all search here), and the check of
//! its hash chain.

use std::collections::HashMap;

use grassroots_domain::Capability;
use grassroots_store::{AuditEntry, AuditFilter, ChainReport, User};
use uuid::Uuid;

use crate::{AppError, Platform, Result};

/// A search as a person types it.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// A staff member's username.
    pub actor: Option<String>,
    /// A case's tracking number or id.
    pub case: Option<String>,
    /// `reveal`, `login_failed`, `login_burst`, `move`, …
    pub action: Option<String>,
    /// From this day (YYYY-MM-DD, Beijing) or time.
    pub from: Option<String>,
    /// To this day, inclusive, or time.
    pub to: Option<String>,
    /// The id of the last entry of the previous page.
    pub before: Option<String>,
    pub limit: Option<i64>,
}

/// An entry with the username of the staff member who acted, where one did.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub entry: AuditEntry,
    pub actor_username: Option<String>,
}

#[derive(Debug, Clone)]
pub struct AuditPage {
    pub lines: Vec<AuditLine>,
    /// Where the next page starts, if there may be one.
    pub next_before: Option<Uuid>,
}

const PAGE: i64 = 100;

fn require_admin(user: Option<&User>) -> Result<()> {
    match user {
        Some(u) if !u.role.may(Capability::Administer) => Err(AppError::lacks(Capability::Administer)),
        _ => Ok(()),
    }
}

/// The entries matching the query, newest first: one page. `by` is the administrator asking
/// (`None` from the command line, which is trusted as the database's operator).
pub async fn search(platform: &Platform, by: Option<&User>, query: &AuditQuery) -> Result<AuditPage> {
    prepare(platform, by, query).await?.page(platform).await
}

/// A search checked and resolved once (the actor's and the case's ids, the period, the staff's
/// names), then read a page at a time: a whole export does not resolve it again per page.
pub struct AuditSearch {
    filter: AuditFilter,
    usernames: HashMap<Uuid, String>,
}

impl AuditSearch {
    /// The page at the search's position.
    pub async fn page(&self, platform: &Platform) -> Result<AuditPage> {
        let entries = platform.store.audit_log(&self.filter).await?;
        let next_before = (entries.len() as i64 == self.filter.limit).then(|| entries.last().map(|e| e.id)).flatten();
        let lines = entries
            .into_iter()
            .map(|entry| AuditLine {
                actor_username: entry.actor_id.and_then(|id| self.usernames.get(&id).cloned()),
                entry,
            })
            .collect();
        Ok(AuditPage { lines, next_before })
    }

    /// Moves on to the entries older than `before` (a page's `next_before`).
    pub fn continue_before(&mut self, before: Uuid) {
        self.filter.before = Some(before);
    }
}

/// Checks and resolves a search; refusals name the field.
pub async fn prepare(platform: &Platform, by: Option<&User>, query: &AuditQuery) -> Result<AuditSearch> {
    require_admin(by)?;
    let text = |v: &Option<String>| v.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_string);
    let usernames: HashMap<Uuid, String> =
        platform.store.users().await?.into_iter().map(|a| (a.user.id, a.user.username)).collect();
    let actor_id = match text(&query.actor) {
        Some(name) => Some(
            usernames
                .iter()
                .find(|(_, u)| **u == name)
                .map(|(id, _)| *id)
                .ok_or_else(|| AppError::invalid("actor", "没有这个用户名", "no staff member has this username"))?,
        ),
        None => None,
    };
    let subject_id = match text(&query.case) {
        Some(case) => Some(case_id(platform, &case).await?),
        None => None,
    };
    let before = text(&query.before)
        .map(|b| Uuid::parse_str(&b).map_err(|_| AppError::invalid("before", "不是有效的条目编号", "not an entry id")))
        .transpose()?;
    let limit = query.limit.unwrap_or(PAGE);
    if !(1..=1000).contains(&limit) {
        return Err(AppError::invalid("limit", "每页1到1000条", "1 to 1,000 entries a page"));
    }
    let filter = AuditFilter {
        actor_id,
        subject_id,
        action: text(&query.action),
        from: text(&query.from).map(|d| crate::fields::time("from", &d, false)).transpose()?,
        to: text(&query.to).map(|d| crate::fields::time("to", &d, true)).transpose()?,
        before,
        limit,
    };
    Ok(AuditSearch { filter, usernames })
}

/// A case named by its id or its tracking number.
async fn case_id(platform: &Platform, case: &str) -> Result<Uuid> {
    if let Ok(id) = Uuid::parse_str(case) {
        return Ok(id);
    }
    crate::cases::find_by_tracking_no(platform, &grassroots_domain::Scope::All, case)
        .await?
        .ok_or_else(|| AppError::invalid("case", "没有这个受理编号的案件", "no case has this tracking number"))
}

/// Seals the entries written since the last sealing into the chain.
pub async fn seal(platform: &Platform) -> Result<usize> {
    let mut sealed = 0;
    loop {
        match platform.store.seal_audit(1000).await? {
            0 => return Ok(sealed),
            n => sealed += n,
        }
    }
}

/// Seals what is pending, then checks the whole chain.
pub async fn verify(platform: &Platform, by: Option<&User>) -> Result<ChainReport> {
    require_admin(by)?;
    seal(platform).await?;
    Ok(platform.store.verify_audit().await?)
}
