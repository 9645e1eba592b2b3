//! Who may use the platform: staff accounts and their sessions, the keys of other systems, and the audit of logins.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::{ApiKey, KeyScope, LoginBurst, NewUser, Result, StaffAccount, User, UserWithHash};

#[async_trait]
pub trait IdentityStore: Send + Sync {
    /// Creates or (when the username exists) updates a staff account, ending its sessions.
    async fn upsert_user(&self, user: &NewUser) -> Result<User>;
    /// The account with this username, disabled or not.
    async fn user_by_username(&self, username: &str) -> Result<Option<UserWithHash>>;
    /// Every staff account, by username.
    async fn users(&self) -> Result<Vec<StaffAccount>>;
    /// Disables an account (ending its sessions; it can no longer log in) or enables it again.
    async fn set_user_disabled(&self, username: &str, disabled: bool, now: DateTime<Utc>) -> Result<()>;
    /// Keeps a staff member's mobile (sealed, for warnings on duty), or forgets it (`None`).
    async fn set_user_phone(&self, username: &str, phone: Option<&str>) -> Result<()>;
    /// Records a new key by the digest of its secret.
    async fn create_api_key(&self, name: &str, key_hash: &str, scope: &KeyScope, now: DateTime<Utc>) -> Result<ApiKey>;
    /// The key with this digest, unless it was revoked.
    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>>;
    async fn api_keys(&self) -> Result<Vec<ApiKey>>;
    /// Revokes a key; `NotFound` if there is none with this id.
    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<()>;
    /// Opens a session and writes a `login` audit entry, in one transaction.
    async fn create_session(&self, user_id: Uuid, token_hash: &str, expires_at: DateTime<Utc>) -> Result<()>;
    /// Writes a `login_failed` audit entry naming the username that was tried and the address
    /// it was tried from.
    async fn record_failed_login(&self, username: &str, address: &str, at: DateTime<Utc>) -> Result<()>;
    /// Writes a `login_burst` audit entry: many failed log-ins at an account or from an
    /// address, for administrators to see.
    async fn record_login_burst(&self, burst: &LoginBurst, at: DateTime<Utc>) -> Result<()>;
    /// The user of a live session.
    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>>;
    async fn delete_session(&self, token_hash: &str) -> Result<()>;
}
