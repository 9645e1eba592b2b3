//! Rotation of the data key: which keys each running process holds, and the re-sealing of
//! every sealed value under the key that seals now. The order of a rotation (stage, switch,
//! re-seal, retire) is the application's; see `grassroots_app::rotation`.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::crypto::{KeyError, KeyHolding, KeyId, Keyring};
use crate::Result;

/// A process that reported the keys it holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolder {
    /// `host:pid:…`, unique per process.
    pub instance: String,
    pub holding: KeyHolding,
    pub seen_at: DateTime<Utc>,
}

/// Where a re-sealing pass stands: a table of sealed values, and the last row done in it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResealCursor {
    /// Reporters' names and phone numbers.
    Cases { after: Option<Uuid> },
    /// The originals of masked free text.
    SealedTexts { after: Option<(Uuid, i64, String)> },
    /// Webhook signing secrets.
    Webhooks { after: Option<Uuid> },
    /// The phones of residents who joined a case (附议).
    Supporters { after: Option<Uuid> },
    /// Staff mobiles, for warnings on duty.
    StaffPhones { after: Option<Uuid> },
    /// The query codes kept with reports' idempotency keys, by key and client.
    IntakeKeys { after: Option<(String, String)> },
    /// The names, phones and notes of those who receive care.
    CareMembers { after: Option<Uuid> },
    /// Helpers' names and organisations' contacts.
    Helpers { after: Option<Uuid> },
    /// The addresses and contacts of residents' needs.
    NeedContacts { after: Option<Uuid> },
    /// The names and phones of those who apply for services.
    Applicants { after: Option<Uuid> },
    /// The parties of disputes.
    DisputeParties { after: Option<Uuid> },
    /// Party members' names and phones.
    PartyMembers { after: Option<Uuid> },
    /// In-service members' names and phones (双报到).
    PartyRegistrations { after: Option<Uuid> },
    /// What reports of misconduct say and who sent them.
    MisconductAccounts { after: Option<Uuid> },
}

impl ResealCursor {
    pub fn start() -> Self {
        Self::Cases { after: None }
    }
}

/// What one batch of a re-sealing pass did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResealBatch {
    /// Sealed values read.
    pub examined: usize,
    /// Of those, sealed under another key and sealed again under the sealing key.
    pub resealed: usize,
    /// Where the next batch begins; `None` when the pass is over.
    pub next: Option<ResealCursor>,
}

/// A step of a rotation, as the audit log keeps it (action `key_rotation`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "step", rename_all = "snake_case")]
pub enum RotationRecord {
    /// A new key was written to the key file, to open only.
    Staged { key: KeyId },
    /// The new key seals; the old one only opens.
    Switched { sealing: KeyId, retiring: KeyId },
    /// Every value was re-sealed and the old key dropped from the key file.
    Retired { retired: KeyId, resealed: usize },
}

#[async_trait]
pub trait KeyStore: Send + Sync {
    /// Puts reloaded keys in service in this process; refused if the tag key differs.
    /// Returns whether anything changed.
    fn install_keys(&self, keys: &Keyring) -> std::result::Result<bool, KeyError>;
    /// The keys this process holds now.
    fn key_holding(&self) -> KeyHolding;
    /// Records that `instance` holds this process's keys, until `expires_at` unless reported again.
    async fn report_keys(&self, instance: &str, now: DateTime<Utc>, expires_at: DateTime<Utc>) -> Result<()>;
    /// Removes `instance`'s report (it is stopping).
    async fn forget_key_holder(&self, instance: &str) -> Result<()>;
    /// The processes whose report has not expired at `now`.
    async fn key_holders(&self, now: DateTime<Utc>) -> Result<Vec<KeyHolder>>;
    /// Reads up to `limit` rows of sealed values from `from` on and seals again, under the
    /// sealing key, each value sealed under another key held. A value changed meanwhile (a
    /// correction, an erasure) is left as its writer left it. A value no key opens is an error.
    async fn reseal(&self, from: &ResealCursor, limit: i64) -> Result<ResealBatch>;
    /// Writes a step of a rotation to the audit log.
    async fn record_key_rotation(&self, step: &RotationRecord, at: DateTime<Utc>) -> Result<()>;
}
