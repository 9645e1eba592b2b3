//! Keys of other systems (Open311 clients and others): issued with what they may do and
//! where, shown once and kept only as a digest, revoked at will. The same rules from the
//! administration page and `grassroots apikey`.

use chrono::Utc;
use grassroots_domain::RegionCode;
use grassroots_store::auth::{digest, new_token};
use grassroots_store::{ApiKey, KeyScope};
use uuid::Uuid;

use crate::{AppError, Platform, Result};

/// A key to issue.
#[derive(Debug, Clone, Default)]
pub struct KeyRequest {
    pub name: String,
    /// May read requests in full but not post them.
    pub read_only: bool,
    /// A district, street or community code (or a city's, covering its districts): the key
    /// posts only there and reads in full only there.
    pub region: Option<String>,
}

/// A key just issued, with its secret: shown this once, never again.
#[derive(Debug, Clone)]
pub struct Issued {
    pub key: ApiKey,
    pub secret: String,
}

#[tracing::instrument(skip_all, fields(name = %request.name))]
pub async fn issue(platform: &Platform, request: KeyRequest) -> Result<Issued> {
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(AppError::invalid("name", "请填写名称（最多100个字符）", "required, at most 100 characters"));
    }
    let region = request.region.as_deref().map(str::trim).filter(|r| !r.is_empty());
    if let Some(region) = region {
        served_region(platform, region)?;
    }
    let secret = new_token();
    let scope = KeyScope { read_only: request.read_only, region: region.map(str::to_string) };
    let key = platform.store.create_api_key(name, &digest(&secret), &scope, Utc::now()).await?;
    Ok(Issued { key, secret })
}

/// A region the platform serves: within one of its districts, or containing them.
fn served_region(platform: &Platform, region: &str) -> Result<()> {
    let served = RegionCode::parse(region).is_ok_and(|r| {
        platform
            .placer()
            .districts()
            .iter()
            .filter_map(|d| RegionCode::parse(&d.code).ok())
            .any(|d| d.contains(&r) || r.contains(&d))
    });
    if served {
        Ok(())
    } else {
        Err(AppError::invalid("region", "不是本平台服务范围内的区划代码", "not a region this platform serves"))
    }
}

/// Revokes a key: calls with it are refused from then on.
pub async fn revoke(platform: &Platform, id: Uuid) -> Result<()> {
    platform.store.revoke_api_key(id, Utc::now()).await.map_err(|e| match e {
        grassroots_store::StoreError::NotFound => {
            AppError::invalid("revoke", "没有这个有效密钥", "no active key has this id")
        }
        e => e.into(),
    })
}
