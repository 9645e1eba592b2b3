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
