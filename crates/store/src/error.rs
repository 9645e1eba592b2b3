use grassroots_domain::{FieldError, MoveError};

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// Absent, or outside the caller's scope: the two are deliberately indistinguishable.
    #[error("not found")]
    NotFound,
    #[error(transparent)]
    Move(#[from] MoveError),
    #[error(transparent)]
    Invalid(#[from] FieldError),
    /// A move lost its race to another, which took the case out of the mover's scope: it was
    /// there when the move began, so it is a conflict, not a case that never was.
    #[error("another move took the case out of your scope meanwhile")]
    MovedAway,
    /// A write lost a race repeatedly; the caller may try again.
    #[error("the case changed while this move was being made; try again")]
    Contention,
    /// The write could not be made durable (the database is unreachable or failing).
    #[error("the write could not be committed: {0}")]
    Unavailable(String),
    #[error("personal data could not be decrypted: {0}")]
    Crypto(String),
    #[error("stored data is inconsistent: {0}")]
    Corrupt(String),
    #[error("database: {0}")]
    Database(#[from] sqlx::Error),
    #[error("migration: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
}

impl StoreError {
    /// Whether the database was out of reach or going away (a failover, a restart, a standby
    /// not yet promoted): the same request may well succeed in a few seconds.
    pub fn is_transient(&self) -> bool {
        let Self::Database(e) = self else { return false };
        match e {
            sqlx::Error::Io(_) | sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => {
                true
            }
            // PostgreSQL's connection exceptions (class 08), shutdowns and start-ups (57P01-03),
            // and a write sent to a standby (25006).
            sqlx::Error::Database(db) => db
                .code()
                .is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03" | "25006")),
            _ => false,
        }
    }

    /// Whether a write broke a unique key (a tracking number another writer took meanwhile).
    pub fn is_unique_violation(&self) -> bool {
        matches!(self, Self::Database(sqlx::Error::Database(db)) if db.is_unique_violation())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_out_of_reach_is_transient_and_a_fault_is_not() {
        let io = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset");
        assert!(StoreError::Database(sqlx::Error::Io(io)).is_transient());
        assert!(StoreError::Database(sqlx::Error::PoolTimedOut).is_transient());
        assert!(!StoreError::Database(sqlx::Error::RowNotFound).is_transient());
        assert!(!StoreError::Corrupt("bad row".into()).is_transient());
        assert!(!StoreError::NotFound.is_transient());
    }
}
