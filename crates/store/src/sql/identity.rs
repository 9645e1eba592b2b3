//! Staff accounts and sessions.

use chrono::{DateTime, Utc};
use grassroots_domain::personal::mask_phone;
use grassroots_domain::{Actor, Role, Scope};
use sqlx::any::AnyRow;
use sqlx::Row;
use uuid::Uuid;

use super::{ms, SqlStore};
use crate::crypto::context;
use crate::{ApiKey, LoginBurst, NewUser, Result, StaffAccount, StoreError, User, UserWithHash};

/// What binds a staff member's sealed mobile to them.
pub(super) fn staff_phone_context(user: Uuid) -> Vec<u8> {
    context(user, "staff_phone")
}

pub(super) fn user_from_row(r: &AnyRow) -> Result<User> {
    let role: String = r.try_get("role")?;
    let scope: String = r.try_get("scope")?;
    let id: String = r.try_get("id")?;
    Ok(User {
        id: Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt(format!("user id {id}")))?,
        username: r.try_get("username")?,
        display_name: r.try_get("display_name")?,
        role: Role::parse(&role).ok_or_else(|| StoreError::Corrupt(format!("role {role}")))?,
        scope: Scope::parse(&scope).map_err(|_| StoreError::Corrupt(format!("scope {scope}")))?,
    })
}

fn api_key_from_row(row: &AnyRow) -> Result<ApiKey> {
    let id: String = row.try_get("id")?;
    Ok(ApiKey {
        id: Uuid::parse_str(&id).map_err(|_| StoreError::Corrupt(format!("api key id {id}")))?,
        name: row.try_get("name")?,
        may_post: row.try_get::<i64, _>("may_post")? != 0,
        region: row.try_get("region")?,
        created_at: super::from_ms(row.try_get("created_at")?),
        revoked_at: row.try_get::<Option<i64>, _>("revoked_at")?.map(super::from_ms),
    })
}

#[async_trait::async_trait]
impl crate::IdentityStore for SqlStore {
    async fn upsert_user(&self, u: &NewUser) -> Result<User> {
        let mut tx = self.write.begin().await?;
        // A changed account (password, role, scope) logs in again.
        sqlx::query("DELETE FROM sessions WHERE user_id IN (SELECT id FROM users WHERE username = $1)")
            .bind(u.username.clone())
            .execute(&mut *tx)
            .await?;
        sqlx::query(
            "INSERT INTO users (id, username, display_name, password_hash, role, scope, created_at) \
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (username) DO UPDATE SET \
             display_name = excluded.display_name, password_hash = excluded.password_hash, \
             role = excluded.role, scope = excluded.scope",
        )
        .bind(Uuid::now_v7().to_string())
        .bind(u.username.clone())
        .bind(u.display_name.clone())
        .bind(u.password_hash.clone())
        .bind(u.role.as_str())
        .bind(u.scope.to_spec())
        .bind(ms(Utc::now()))
        .execute(&mut *tx)
        .await?;
        let row = sqlx::query("SELECT id, username, display_name, role, scope FROM users WHERE username = $1")
            .bind(u.username.clone())
            .fetch_one(&mut *tx)
            .await?;
        let user = user_from_row(&row)?;
        Self::sync_grid_workers(&mut tx, &user).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn user_by_username(&self, username: &str) -> Result<Option<UserWithHash>> {
        let row = sqlx::query(
            "SELECT id, username, display_name, role, scope, password_hash, disabled_at FROM users WHERE username = $1",
        )
        .bind(username.to_string())
        .fetch_optional(&self.read)
        .await?;
        row.map(|r| {
            Ok(UserWithHash {
                user: user_from_row(&r)?,
                password_hash: r.try_get("password_hash")?,
                disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
            })
        })
        .transpose()
    }

    async fn users(&self) -> Result<Vec<StaffAccount>> {
        sqlx::query(
            "SELECT id, username, display_name, role, scope, disabled_at, phone_masked FROM users ORDER BY username",
        )
        .fetch_all(&self.read)
        .await?
        .iter()
        .map(|r| {
            Ok(StaffAccount {
                user: user_from_row(r)?,
                disabled: r.try_get::<Option<i64>, _>("disabled_at")?.is_some(),
                phone_masked: r.try_get("phone_masked")?,
            })
        })
        .collect()
    }

    async fn set_user_phone(&self, username: &str, phone: Option<&str>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let row = sqlx::query("SELECT id FROM users WHERE username = $1")
            .bind(username.to_string())
            .fetch_optional(&mut *tx)
            .await?
            .ok_or(StoreError::NotFound)?;
        let id = super::rows::uuid_column(&row, "id")?;
        sqlx::query("UPDATE users SET phone_enc = $1, phone_masked = $2 WHERE id = $3")
            .bind(phone.map(|p| self.cipher.seal(&staff_phone_context(id), p)))
            .bind(phone.map(mask_phone))
            .bind(id.to_string())
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn set_user_disabled(&self, username: &str, disabled: bool, now: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        let done = sqlx::query("UPDATE users SET disabled_at = $1 WHERE username = $2")
            .bind(disabled.then(|| ms(now)))
            .bind(username.to_string())
            .execute(&mut *tx)
            .await?;
        if done.rows_affected() == 0 {
            return Err(StoreError::NotFound);
        }
        if disabled {
            sqlx::query("DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE username = $1)")
                .bind(username.to_string())
                .execute(&mut *tx)
                .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_api_key(
        &self,
        name: &str,
        key_hash: &str,
        scope: &crate::KeyScope,
        now: DateTime<Utc>,
    ) -> Result<ApiKey> {
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 100 {
            return Err(grassroots_domain::FieldError::new(
                "name",
                "请填写名称（最多100个字符）",
                "required, at most 100 characters",
            )
            .into());
        }
        let region = match scope.region.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
            Some(r) => Some(grassroots_domain::RegionCode::parse(r)?.as_str().to_string()),
            None => None,
        };
        let id = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO api_keys (id, name, key_hash, created_at, may_post, region) VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(id.to_string())
        .bind(name.to_string())
        .bind(key_hash.to_string())
        .bind(ms(now))
        .bind(i64::from(!scope.read_only))
        .bind(region.clone())
        .execute(&self.write)
        .await?;
        Ok(ApiKey {
            id,
            name: name.to_string(),
            may_post: !scope.read_only,
            region,
            created_at: super::from_ms(ms(now)),
            revoked_at: None,
        })
    }

    async fn api_key_by_hash(&self, key_hash: &str) -> Result<Option<ApiKey>> {
        sqlx::query(
            "SELECT id, name, may_post, region, created_at, revoked_at FROM api_keys \
             WHERE key_hash = $1 AND revoked_at IS NULL",
        )
        .bind(key_hash.to_string())
        .fetch_optional(&self.read)
        .await?
        .as_ref()
        .map(api_key_from_row)
        .transpose()
    }

    async fn api_keys(&self) -> Result<Vec<ApiKey>> {
        sqlx::query("SELECT id, name, may_post, region, created_at, revoked_at FROM api_keys ORDER BY created_at")
            .fetch_all(&self.read)
            .await?
            .iter()
            .map(api_key_from_row)
            .collect()
    }

    async fn revoke_api_key(&self, id: Uuid, now: DateTime<Utc>) -> Result<()> {
        self.stamp_once("api_keys", "revoked_at", id, now).await
    }

    async fn create_session(&self, user_id: Uuid, token_hash: &str, expires_at: DateTime<Utc>) -> Result<()> {
        let mut tx = self.write.begin().await?;
        sqlx::query("DELETE FROM sessions WHERE expires_at < $1").bind(ms(Utc::now())).execute(&mut *tx).await?;
        sqlx::query("INSERT INTO sessions (token_hash, user_id, expires_at) VALUES ($1, $2, $3)")
            .bind(token_hash.to_string())
            .bind(user_id.to_string())
            .bind(ms(expires_at))
            .execute(&mut *tx)
            .await?;
        let row = sqlx::query("SELECT id, username, display_name, role, scope FROM users WHERE id = $1")
            .bind(user_id.to_string())
            .fetch_one(&mut *tx)
            .await?;
        let user = user_from_row(&row)?;
        let actor = Actor::Staff { user_id, username: user.username.clone(), role: user.role, scope: user.scope };
        super::events::audit(
            &mut tx,
            Utc::now(),
            &actor,
            "login",
            None,
            serde_json::json!({ "username": user.username }),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn record_failed_login(&self, username: &str, address: &str, at: DateTime<Utc>) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        let detail =
            serde_json::json!({ "username": username.chars().take(64).collect::<String>(), "address": address });
        super::events::audit_as(&mut conn, at, "anonymous", None, "login_failed", None, detail).await
    }

    async fn record_login_burst(&self, burst: &LoginBurst, at: DateTime<Utc>) -> Result<()> {
        let mut conn = self.write.acquire().await?;
        let detail = serde_json::to_value(burst).map_err(|e| StoreError::Corrupt(e.to_string()))?;
        super::events::audit_as(&mut conn, at, "system", None, "login_burst", None, detail).await
    }

    async fn session_user(&self, token_hash: &str, now: DateTime<Utc>) -> Result<Option<User>> {
        let row = sqlx::query(
            "SELECT u.id, u.username, u.display_name, u.role, u.scope FROM sessions s JOIN users u ON u.id = s.user_id \
             WHERE s.token_hash = $1 AND s.expires_at > $2 AND u.disabled_at IS NULL",
        )
        .bind(token_hash.to_string())
        .bind(ms(now))
        .fetch_optional(&self.read)
        .await?;
        row.as_ref().map(user_from_row).transpose()
    }

    async fn delete_session(&self, token_hash: &str) -> Result<()> {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(token_hash.to_string())
            .execute(&self.write)
            .await?;
        Ok(())
    }
}
