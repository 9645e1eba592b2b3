//! Personal information rights (个人信息保护法): personal data kept no longer than each
//! category's retention period.

use chrono::Utc;

use crate::{Platform, Result};

/// Erases, a batch at a time, the personal data of every case finished longer ago than its
/// category's retention period. Returns how many cases.
pub async fn erase_expired(platform: &Platform) -> Result<usize> {
    let mut erased = 0;
    loop {
        match platform.store.erase_expired(Utc::now(), 200).await? {
            0 => return Ok(erased),
            n => erased += n,
        }
    }
}
