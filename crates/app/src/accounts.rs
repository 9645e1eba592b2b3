//! Staff accounts and their sessions: the rules for usernames, passwords, roles and scopes,
//! the same from the administration page and `grassroots user add`; logging in (password
//! checks bounded in memory, failures throttled per account and address) and out.

use std::net::IpAddr;
use std::time::Instant;

use chrono::{DateTime, Utc};
use grassroots_domain::personal::{is_mobile, normalize_phone};
use grassroots_domain::{Role, Scope};
use grassroots_store::auth::{digest, new_token};
use grassroots_store::{LoginBurst, NewUser, User};

use crate::throttle::Burst;

use crate::{AppError, Platform, Result};

/// An account as an administrator (or the command line) gives it.
#[derive(Debug, Clone, Default)]
pub struct AccountForm {
    pub username: String,
    /// The username when not given.
    pub display_name: Option<String>,
    pub role: String,
    /// `all`, `region:CODES`, `unit:ID` or `grid:CODES`.
    pub scope: String,
    /// Required for a new account; an existing one keeps its password when none is given.
    pub password: Option<String>,
    /// Disable or enable the account; unchanged when `None`.
    pub disabled: Option<bool>,
    /// A mainland mobile, texted with warnings on duty; unchanged when `None`, forgotten when
    /// blank.
    pub phone: Option<String>,
}

const MIN_PASSWORD: usize = 8;

/// Creates the account, or updates the one with this username (its sessions end). `by` is the
/// administrator making the change, who cannot disable their own account.
#[tracing::instrument(skip_all, fields(username = %form.username))]
pub async fn save(platform: &Platform, by: Option<&User>, form: AccountForm) -> Result<User> {
    let username = form.username.trim().to_string();
    let valid = (2..=40).contains(&username.len())
        && username.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"-_.".contains(&b));
    if !valid {
        return Err(AppError::invalid(
            "username",
            "2到40位小写字母、数字或 - _ .",
            "2 to 40 lower-case letters, digits or - _ .",
        ));
    }
    let display_name = match form.display_name.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
        Some(name) if name.chars().count() > 40 => {
            return Err(AppError::invalid("display_name", "姓名最多40个字符", "at most 40 characters"))
        }
        Some(name) => name.to_string(),
        None => username.clone(),
    };
    let role = Role::parse(form.role.trim()).ok_or_else(|| {
        let roles = Role::ALL.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ");
        let given = form.role.trim();
        AppError::invalid(
            "role",
            format!("未知的角色“{given}”，可选：{roles}"),
            format!("unknown role '{given}': one of {roles}"),
        )
    })?;
    let scope = Scope::parse(&form.scope).map_err(|e| AppError::invalid("scope", e.reason_zh, e.reason_en))?;
    if !scope.fits(role) {
        return Err(AppError::invalid(
            "scope",
            "范围与角色不符（如承办人须为 unit:单位）",
            "the scope does not fit the role (a handler needs unit:ID)",
        ));
    }
    if form.disabled == Some(true) && by.is_some_and(|admin| admin.username == username) {
        return Err(AppError::invalid("state", "不能停用自己的账号", "you cannot disable your own account"));
    }
    let phone = match form.phone.as_deref().map(str::trim) {
        None => None,
        Some("") => Some(None),
        Some(given) => match normalize_phone(given).ok().filter(|p| is_mobile(p)) {
            Some(mobile) => Some(Some(mobile)),
            None => return Err(AppError::invalid("phone", "应为11位手机号", "an 11-digit mainland mobile number")),
        },
    };
    let password = form.password.filter(|p| !p.is_empty());
    let existing = platform.store.user_by_username(&username).await?;
    let password_hash = match (password, existing) {
        (None, Some(user)) => user.password_hash,
        (None, None) => return Err(AppError::invalid("password", "新账号需要密码", "a new account needs a password")),
        (Some(p), _) if p.chars().count() < MIN_PASSWORD => {
            return Err(AppError::invalid("password", "密码至少8位", "at least 8 characters"))
        }
        (Some(p), _) => platform.passwords.hash(&p).await?,
    };
    let user = platform
        .store
        .upsert_user(&NewUser { username: username.clone(), display_name, password_hash, role, scope })
        .await?;
    if let Some(disabled) = form.disabled {
        platform.store.set_user_disabled(&username, disabled, Utc::now()).await?;
    }
    if let Some(phone) = phone {
        platform.store.set_user_phone(&username, phone.as_deref()).await?;
    }
    Ok(user)
}

/// A session just opened: its token is the bearer token and the cookie's value.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: User,
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Checks a username and password tried from `client` and opens a session; `None` when they
/// do not match (the failure is audited, and a burst of them raises an alert). A client that
/// has failed too often lately must wait first, without its password being checked.
#[tracing::instrument(skip_all)]
pub async fn log_in(platform: &Platform, username: &str, password: &str, client: IpAddr) -> Result<Option<Session>> {
    let username = username.trim();
    if let Some(retry_after_secs) = platform.logins.wait(username, client, Instant::now()) {
        return Err(AppError::TooManyAttempts { retry_after_secs });
    }
    let found = platform.store.user_by_username(username).await?;
    // Verify against a fixed hash when the user is unknown, so timing does not tell.
    let hash = found.as_ref().map_or(DUMMY_HASH, |u| u.password_hash.as_str());
    let ok = platform.passwords.verify(password, hash).await?;
    // A disabled account's password is checked all the same, so timing does not tell.
    let Some(user) = found.filter(|u| ok && !u.disabled).map(|u| u.user) else {
        let now = Utc::now();
        platform.store.record_failed_login(username, &client.to_string(), now).await?;
        for burst in platform.logins.failed(username, client, Instant::now()) {
            tracing::warn!(?burst, "failed log-ins in a burst");
            platform.store.record_login_burst(&login_burst(burst), now).await?;
        }
        return Ok(None);
    };
    platform.logins.succeeded(username, client);
    let token = new_token();
    let expires_at = Utc::now() + platform.settings.session_ttl;
    platform.store.create_session(user.id, &digest(&token), expires_at).await?;
    Ok(Some(Session { user, token, expires_at }))
}

fn login_burst(burst: Burst) -> LoginBurst {
    match burst {
        Burst::Account { username, failures } => LoginBurst { username: Some(username), address: None, failures },
        Burst::Address { address, failures } => {
            LoginBurst { username: None, address: Some(address.to_string()), failures }
        }
    }
}

const DUMMY_HASH: &str =
    "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$JrnFMX0Vb4xLbpGwcwQXDEqxsfnSl4yzHmRSwPZwSV0";

/// The staff member of a live session; none for a token that names no live session.
pub async fn session_user(platform: &Platform, token: &str) -> Result<Option<User>> {
    Ok(platform.store.session_user(&digest(token), Utc::now()).await?)
}

pub async fn log_out(platform: &Platform, token: &str) -> Result<()> {
    Ok(platform.store.delete_session(&digest(token)).await?)
}
