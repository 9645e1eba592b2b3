//! The audit log read by filter, and its hash chain: entries are written in their own
//! transactions without a hash (a lock on the chain's head would serialise every write of the
//! platform), then sealed in turn, oldest first, by one sealer at a time; the unique place in
//! the chain keeps two sealers from both taking the same one.

use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::rows::{audit_from_row, AUDIT_COLUMNS};
use super::{ms, Args, SqlStore};
use crate::{AuditEntry, AuditFilter, BrokenLink, ChainReport, Result};

/// The stored form of an entry, exactly as its hash covers it.
struct Stored {
    id: String,
    at: i64,
    actor_kind: String,
    actor_id: Option<String>,
    action: String,
    subject_type: Option<String>,
    subject_id: Option<String>,
    detail: String,
}

const STORED_COLUMNS: &str = "id, at, actor_kind, actor_id, action, subject_type, subject_id, detail";

fn stored_from_row(r: &AnyRow) -> Result<Stored> {
    Ok(Stored {
        id: r.try_get("id")?,
        at: r.try_get("at")?,
        actor_kind: r.try_get("actor_kind")?,
        actor_id: r.try_get("actor_id")?,
        action: r.try_get("action")?,
        subject_type: r.try_get("subject_type")?,
        subject_id: r.try_get("subject_id")?,
        detail: r.try_get("detail")?,
    })
}

/// The hash of an entry at place `seq` after the entry hashed `previous`: SHA-256 over the
/// fields, each length-prefixed so that no two different entries read the same.
fn link_hash(previous: &str, seq: i64, entry: &Stored) -> String {
    use sha2::{Digest, Sha256};
    let mut hasher = Sha256::new();
    let seq = seq.to_string();
    let at = entry.at.to_string();
    let fields = [
        Some(previous),
        Some(seq.as_str()),
        Some(entry.id.as_str()),
        Some(at.as_str()),
        Some(entry.actor_kind.as_str()),
        entry.actor_id.as_deref(),
        Some(entry.action.as_str()),
        entry.subject_type.as_deref(),
        entry.subject_id.as_deref(),
        Some(entry.detail.as_str()),
    ];
    for field in fields {
        match field {
            Some(text) => {
                hasher.update((text.len() as u64).to_be_bytes());
                hasher.update(text.as_bytes());
            }
            None => hasher.update(u64::MAX.to_be_bytes()),
        }
    }
    hasher.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// The hash before the first entry.
const GENESIS: &str = "grassroots-audit-chain";

/// Entries checked per read while verifying.
const VERIFY_PAGE: i64 = 2000;

#[async_trait::async_trait]
impl crate::AuditStore for SqlStore {
    async fn audit_log(&self, filter: &AuditFilter) -> Result<Vec<AuditEntry>> {
        let mut args = Args::default();
        let mut conditions = vec!["1 = 1".to_string()];
        if let Some(actor) = filter.actor_id {
            conditions.push(format!("actor_id = {}", args.text(actor.to_string())));
        }
        if let Some(subject) = filter.subject_id {
            conditions.push(format!("subject_id = {}", args.text(subject.to_string())));
        }
        if let Some(action) = &filter.action {
            conditions.push(format!("action = {}", args.text(action.clone())));
        }
        if let Some(from) = filter.from {
            conditions.push(format!("at >= {}", args.int(ms(from))));
        }
        if let Some(to) = filter.to {
            conditions.push(format!("at <= {}", args.int(ms(to))));
        }
        if let Some(before) = filter.before {
            conditions.push(format!("id < {}", args.text(before.to_string())));
        }
        let limit = args.int(filter.limit.clamp(1, 1000));
        let sql = format!(
            "SELECT {AUDIT_COLUMNS} FROM audit_log WHERE {} ORDER BY id DESC LIMIT {limit}",
            conditions.join(" AND ")
        );
        let rows = args.bind(sqlx::query(&sql)).fetch_all(&self.read).await?;
        rows.iter().map(audit_from_row).collect()
    }

    async fn recent_audit(&self, limit: i64) -> Result<Vec<AuditEntry>> {
        self.audit_log(&AuditFilter { limit, ..AuditFilter::default() }).await
    }

    async fn seal_audit(&self, limit: i64) -> Result<usize> {
        let mut tx = self.write.begin().await?;
        let head = sqlx::query(
            "SELECT chain_seq, chain_hash FROM audit_log WHERE chain_seq IS NOT NULL ORDER BY chain_seq DESC LIMIT 1",
        )
        .fetch_optional(&mut *tx)
        .await?;
        let (mut seq, mut hash) = match head {
            Some(row) => (row.try_get::<i64, _>("chain_seq")?, row.try_get::<String, _>("chain_hash")?),
            None => (0, GENESIS.to_string()),
        };
        // Oldest first by id (ids are time-ordered): an entry whose transaction commits late
        // is sealed when it appears, at the next place.
        let rows = sqlx::query(&format!(
            "SELECT {STORED_COLUMNS} FROM audit_log WHERE chain_seq IS NULL ORDER BY id LIMIT $1"
        ))
        .bind(limit.clamp(1, 10_000))
        .fetch_all(&mut *tx)
        .await?;
        for row in &rows {
            let entry = stored_from_row(row)?;
            seq += 1;
            hash = link_hash(&hash, seq, &entry);
            sqlx::query("UPDATE audit_log SET chain_seq = $1, chain_hash = $2 WHERE id = $3")
                .bind(seq)
                .bind(hash.clone())
                .bind(entry.id)
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(rows.len())
    }

    async fn verify_audit(&self) -> Result<ChainReport> {
        let unsealed: i64 = sqlx::query("SELECT COUNT(*) AS n FROM audit_log WHERE chain_seq IS NULL")
            .fetch_one(&self.read)
            .await?
            .try_get("n")?;
        let (mut seq, mut hash) = (0i64, GENESIS.to_string());
        let mut report = ChainReport { sealed: 0, unsealed, head: None, broken: None };
        loop {
            let rows = sqlx::query(&format!(
                "SELECT {STORED_COLUMNS}, chain_seq, chain_hash FROM audit_log WHERE chain_seq > $1 ORDER BY chain_seq LIMIT $2"
            ))
            .bind(seq)
            .bind(VERIFY_PAGE)
            .fetch_all(&self.read)
            .await?;
            if rows.is_empty() {
                break;
            }
            for row in &rows {
                let entry = stored_from_row(row)?;
                let at: i64 = row.try_get("chain_seq")?;
                let stored_hash: String = row.try_get("chain_hash")?;
                let id = Uuid::parse_str(&entry.id).ok();
                if at != seq + 1 {
                    report.broken = Some(BrokenLink { chain_seq: seq + 1, entry: None, reason: "missing".into() });
                    return Ok(report);
                }
                let expected = link_hash(&hash, at, &entry);
                if expected != stored_hash {
                    report.broken = Some(BrokenLink { chain_seq: at, entry: id, reason: "changed".into() });
                    return Ok(report);
                }
                (seq, hash) = (at, stored_hash);
                report.sealed += 1;
                report.head = Some(hash.clone());
            }
        }
        Ok(report)
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support as db;
    use super::*;
    use crate::{AuditStore, IdentityStore};

    fn entry(detail: &str) -> Stored {
        Stored {
            id: "0190-a".into(),
            at: 1,
            actor_kind: "dispatcher".into(),
            actor_id: None,
            action: "reveal".into(),
            subject_type: Some("case".into()),
            subject_id: None,
            detail: detail.into(),
        }
    }

    #[test]
    fn every_field_and_the_predecessor_change_the_hash() {
        let base = link_hash(GENESIS, 1, &entry("{}"));
        assert_eq!(base.len(), 64);
        assert_ne!(base, link_hash(GENESIS, 1, &entry("{ }")));
        assert_ne!(base, link_hash("other", 1, &entry("{}")));
        assert_ne!(base, link_hash(GENESIS, 2, &entry("{}")));
        let moved = Stored { actor_id: Some(String::new()), ..entry("{}") };
        assert_ne!(base, link_hash(GENESIS, 1, &moved), "absent differs from empty");
    }

    async fn a_changed_or_removed_entry_breaks_the_chain_where_it_was(db: db::TestDb) {
        let store = &db.store;
        for i in 0..5 {
            store.record_failed_login(&format!("user{i}"), "192.0.2.1", chrono::Utc::now()).await.unwrap();
        }
        let fresh = store.verify_audit().await.unwrap();
        assert_eq!((fresh.sealed, fresh.unsealed, fresh.broken.clone()), (0, 5, None));
        assert_eq!(store.seal_audit(3).await.unwrap(), 3);
        assert_eq!(store.seal_audit(100).await.unwrap(), 2, "the rest, after the first three");
        assert_eq!(store.seal_audit(100).await.unwrap(), 0);
        let whole = store.verify_audit().await.unwrap();
        assert_eq!((whole.sealed, whole.unsealed, whole.broken.clone()), (5, 0, None));
        let head = whole.head.clone().unwrap();
        // Later entries extend the chain; the old head stays part of it.
        store.record_failed_login("user5", "192.0.2.1", chrono::Utc::now()).await.unwrap();
        store.seal_audit(100).await.unwrap();
        let grown = store.verify_audit().await.unwrap();
        assert_eq!(grown.sealed, 6);
        assert_ne!(grown.head.as_deref(), Some(head.as_str()));

        // Someone with the database rewrites the third entry's detail.
        sqlx::query("UPDATE audit_log SET detail = $1 WHERE chain_seq = 3")
            .bind(r#"{"username":"someone-else"}"#)
            .execute(&store.write)
            .await
            .unwrap();
        let changed = store.verify_audit().await.unwrap().broken.expect("the change is found");
        assert_eq!((changed.chain_seq, changed.reason.as_str()), (3, "changed"));
        assert!(changed.entry.is_some());
        // …or removes the second.
        sqlx::query("DELETE FROM audit_log WHERE chain_seq = 2").execute(&store.write).await.unwrap();
        let missing = store.verify_audit().await.unwrap().broken.expect("the removal is found");
        assert_eq!((missing.chain_seq, missing.reason.as_str()), (2, "missing"));
        // Entries are read back by filter, newest first.
        let filtered = store
            .audit_log(&AuditFilter { action: Some("login_failed".into()), limit: 2, ..AuditFilter::default() })
            .await
            .unwrap();
        assert_eq!(filtered.len(), 2);
        assert_eq!(filtered[0].detail["username"], "user5");
        let older = AuditFilter {
            action: Some("login_failed".into()),
            before: Some(filtered[1].id),
            limit: 100,
            ..AuditFilter::default()
        };
        assert_eq!(store.audit_log(&older).await.unwrap().len(), 3, "five left, two of them on the first page");
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite_a_changed_or_removed_entry_breaks_the_chain_where_it_was() {
        a_changed_or_removed_entry_breaks_the_chain_where_it_was(db::sqlite_db().await).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    #[ignore = "needs GRASSROOTS_TEST_POSTGRES_URL; .ci/run runs these"]
    async fn postgres_a_changed_or_removed_entry_breaks_the_chain_where_it_was() {
        a_changed_or_removed_entry_breaks_the_chain_where_it_was(db::postgres_db().await).await
    }
}
