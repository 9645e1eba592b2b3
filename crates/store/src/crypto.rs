//! Encryption of personal data at rest: AES-256-GCM with a random nonce per value and the
//! case id and field name as associated data, so a ciphertext cannot be moved to another
//! row or field unnoticed.
//!
//! The keys live in a key file ([`Keyring`]): one key seals, others may only open while a
//! rotation stages a new key or re-seals values under it; tags (query codes, phone numbers)
//! are keyed by a key of their own that never changes, because a query code cannot be computed
//! again. A running process reloads the file ([`Cipher::install`]), so a rotation needs no
//! restart.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// A data-encryption key. Its `Debug` never shows the key.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey(Key<Aes256Gcm>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DataKey({})", self.id())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("GRASSROOTS_SECRET_KEY must be 32 bytes as base64 or 64 hex digits")]
    BadFormat,
    #[error("key file {path}, line {line}: {reason}")]
    BadFile { path: String, line: usize, reason: String },
    #[error("key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("the key file's tag key differs from the one in use: query codes and phone tags would no longer match")]
    TagKeyChanged,
}

impl DataKey {
    pub fn generate() -> Self {
        Self(Aes256Gcm::generate_key(OsRng))
    }

    /// Accepts 64 hex digits or base64 (standard or URL-safe) of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        decode_32(text).map(|bytes| Self(bytes.into())).ok_or(KeyError::BadFormat)
    }

    fn encoded(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.as_slice())
    }

    /// A short name of the key that reveals nothing of it (shown in logs and `keys status`).
    pub fn id(&self) -> KeyId {
        let mut digest = Sha256::new();
        digest.update(b"grassroots key id v1");
        digest.update(self.0.as_slice());
        KeyId(digest.finalize()[..4].iter().map(|b| format!("{b:02x}")).collect())
    }

    /// The tag key of a store begun with this key before tag keys were kept apart.
    fn derived_tag_key(&self) -> [u8; 32] {
        let mut derive = Sha256::new();
        derive.update(b"grassroots query codes v1");
        derive.update(self.0.as_slice());
        derive.finalize().into()
    }
}

fn decode_32(text: &str) -> Option<[u8; 32]> {
    let t = text.trim();
    let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
        (0..32).map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16)).collect::<Result<Vec<u8>, _>>().ok()?
    } else {
        base64::engine::general_purpose::STANDARD
            .decode(t)
            .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
            .ok()?
    };
    bytes.try_into().ok()
}

/// The short name of a key (8 hex digits of a digest of it).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct KeyId(pub String);

impl std::fmt::Display for KeyId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Where a rotation stands, read from the key file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RotationPhase {
    /// One key seals and opens; no rotation under way.
    Settled,
    /// A new key is in the file but only opens, until every process holds it.
    Staged,
    /// The new key seals; the old one only opens, until every value is re-sealed.
    Resealing,
}

/// The keys of a key file. Its `Debug` shows only key ids.
#[derive(Clone, PartialEq, Eq)]
pub struct Keyring {
    /// Keys the HMAC of query codes and phone numbers; fixed for the life of the store.
    tags: [u8; 32],
    /// Seals every new value.
    sealing: DataKey,
    /// A key that opens values but seals none: the next one while staged, the old one while
    /// values are re-sealed.
    opening: Option<DataKey>,
    phase: RotationPhase,
}

impl std::fmt::Debug for Keyring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keyring")
            .field("sealing", &self.sealing.id())
            .field("opening", &self.opening.as_ref().map(DataKey::id))
            .field("phase", &self.phase)
            .finish_non_exhaustive()
    }
}

/// Where the keys came from: only a file can be reloaded and rotated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeySource {
    Environment,
    File(PathBuf),
}

const KEY_FILE: &str = "secret.key";

impl Keyring {
    /// One key that seals, and keys tags as stores begun before rotation did.
    pub fn single(key: DataKey) -> Self {
        Self { tags: key.derived_tag_key(), sealing: key, opening: None, phase: RotationPhase::Settled }
    }

    pub fn phase(&self) -> RotationPhase {
        self.phase
    }

    pub fn sealing_id(&self) -> KeyId {
        self.sealing.id()
    }

    /// Every key that opens values: the sealing key first.
    pub fn opening_ids(&self) -> Vec<KeyId> {
        std::iter::once(&self.sealing).chain(&self.opening).map(DataKey::id).collect()
    }

    /// The key a rotation is bringing in (staged or already sealing).
    pub fn incoming_id(&self) -> Option<KeyId> {
        match self.phase {
            RotationPhase::Settled => None,
            RotationPhase::Staged => self.opening.as_ref().map(DataKey::id),
            RotationPhase::Resealing => Some(self.sealing.id()),
        }
    }

    /// The key a rotation is retiring, while values are re-sealed.
    pub fn outgoing_id(&self) -> Option<KeyId> {
        match self.phase {
            RotationPhase::Resealing => self.opening.as_ref().map(DataKey::id),
            RotationPhase::Settled | RotationPhase::Staged => None,
        }
    }

    /// Step 1 of a rotation: a new key that opens only.
    pub fn stage(&self, next: DataKey) -> Self {
        Self { opening: Some(next), phase: RotationPhase::Staged, ..self.clone() }
    }

    /// Step 2: the staged key seals; the old one only opens.
    pub fn switch(&self) -> Self {
        match (&self.phase, &self.opening) {
            (RotationPhase::Staged, Some(next)) => Self {
                tags: self.tags,
                sealing: next.clone(),
                opening: Some(self.sealing.clone()),
                phase: RotationPhase::Resealing,
            },
            _ => self.clone(),
        }
    }

    /// Step 3, once nothing is sealed under the old key: it is dropped.
    pub fn retire(&self) -> Self {
        Self { opening: None, phase: RotationPhase::Settled, ..self.clone() }
    }

    /// The file's text: labelled lines, the tag key first.
    fn to_file_text(&self) -> String {
        let b64 = |bytes: &[u8]| base64::engine::general_purpose::STANDARD.encode(bytes);
        let mut text = String::from(
            "# grassroots data keys: keep this file private, and backed up apart from the database.\n\
             # tags: keys the digests of query codes and phone numbers (never changes)\n\
             # seal: seals new values; next: staged by a rotation; old: being retired by one\n",
        );
        text += &format!("tags {}\nseal {}\n", b64(&self.tags), self.sealing.encoded());
        match (self.phase, &self.opening) {
            (RotationPhase::Staged, Some(k)) => text += &format!("next {}\n", k.encoded()),
            (RotationPhase::Resealing, Some(k)) => text += &format!("old {}\n", k.encoded()),
            _ => {}
        }
        text
    }

    /// A key file: one bare key (as written before rotation existed), or labelled lines
    /// `tags`, `seal` and at most one of `next` and `old`.
    fn parse_file(path: &Path, text: &str) -> Result<Self, KeyError> {
        let lines: Vec<(usize, &str)> = text
            .lines()
            .enumerate()
            .map(|(i, l)| (i + 1, l.trim()))
            .filter(|(_, l)| !l.is_empty() && !l.starts_with('#'))
            .collect();
        let bad = |line: usize, reason: &str| KeyError::BadFile {
            path: path.display().to_string(),
            line,
            reason: reason.to_string(),
        };
        if let [(line, only)] = lines.as_slice() {
            if !only.contains(' ') {
                return DataKey::parse(only)
                    .map(Self::single)
                    .map_err(|_| bad(*line, "not a key (32 bytes as base64 or hex)"));
            }
        }
        let (mut tags, mut sealing, mut next, mut old) = (None, None, None, None);
        for (line, l) in &lines {
            let (label, value) =
                l.split_once(char::is_whitespace).ok_or_else(|| bad(*line, "expected a label and a key"))?;
            let bytes = decode_32(value).ok_or_else(|| bad(*line, "not a key (32 bytes as base64 or hex)"))?;
            let slot = match label {
                "tags" => &mut tags,
                "seal" => &mut sealing,
                "next" => &mut next,
                "old" => &mut old,
                _ => return Err(bad(*line, "unknown label (tags, seal, next or old)")),
            };
            if slot.replace(bytes).is_some() {
                return Err(bad(*line, "the label appears twice"));
            }
        }
        let end = lines.last().map_or(1, |(l, _)| *l);
        let tags = tags.ok_or_else(|| bad(end, "no tags line"))?;
        let sealing = DataKey(sealing.ok_or_else(|| bad(end, "no seal line"))?.into());
        let (opening, phase) = match (next, old) {
            (None, None) => (None, RotationPhase::Settled),
            (Some(k), None) => (Some(DataKey(k.into())), RotationPhase::Staged),
            (None, Some(k)) => (Some(DataKey(k.into())), RotationPhase::Resealing),
            (Some(_), Some(_)) => return Err(bad(end, "both next and old: one rotation at a time")),
        };
        Ok(Self { tags, sealing, opening, phase })
    }

    /// The keys from `env_value` (GRASSROOTS_SECRET_KEY, one key) if given, else from
    /// `secret.key` in the data directory, created with mode 0600 on first use.
    pub fn load_or_create(env_value: Option<&str>, data_dir: &Path) -> Result<(Self, KeySource), KeyError> {
        if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
            return Ok((Self::single(DataKey::parse(v)?), KeySource::Environment));
        }
        let path = data_dir.join(KEY_FILE);
        match Self::read(&path) {
            Err(KeyError::Io { source, .. }) if source.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(|source| io_error(&path, source))?;
                let keys = Self::single(DataKey::generate());
                write_private(&path, &keys.to_file_text(), true)?;
                Ok((keys, KeySource::File(path)))
            }
            read => read.map(|keys| (keys, KeySource::File(path))),
        }
    }

    /// The key file at `path`.
    pub fn read(path: &Path) -> Result<Self, KeyError> {
        let text = std::fs::read_to_string(path).map_err(|source| io_error(path, source))?;
        Self::parse_file(path, &text)
    }

    /// Replaces the key file at `path` atomically: written beside it, synced, renamed.
    pub fn write(&self, path: &Path) -> Result<(), KeyError> {
        write_private(path, &self.to_file_text(), false)
    }
}

fn io_error(path: &Path, source: std::io::Error) -> KeyError {
    KeyError::Io { path: path.display().to_string(), source }
}

/// Writes `text` to `path` with mode 0600: a new file only if `create_new`, else through a
/// temporary file renamed over it, so the file is never seen half written.
fn write_private(path: &Path, text: &str, create_new: bool) -> Result<(), KeyError> {
    let target = if create_new { path.to_path_buf() } else { path.with_extension("key.new") };
    let io = |source| io_error(&target, source);
    let mut options = OpenOptions::new();
    options.write(true);
    if create_new {
        options.create_new(true);
    } else {
        options.create(true).truncate(true);
    }
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&target).map_err(io)?;
    file.write_all(text.as_bytes()).map_err(io)?;
    file.sync_all().map_err(io)?;
    if !create_new {
        std::fs::rename(&target, path).map_err(|source| io_error(path, source))?;
        if let Some(dir) = path.parent() {
            std::fs::File::open(dir).and_then(|d| d.sync_all()).map_err(|source| io_error(dir, source))?;
        }
    }
    Ok(())
}

/// Which keys a process holds, as it reports them for a rotation to wait on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyHolding {
    pub sealing: KeyId,
    /// Every key it opens with, the sealing key included.
    pub opening: Vec<KeyId>,
}

/// Encrypts and decrypts personal fields, and keys the tags of query codes. Clones share their
/// keys, so a reload reaches every user of the store at once.
#[derive(Clone)]
pub struct Cipher {
    keys: Arc<RwLock<Arc<LoadedKeys>>>,
}

struct LoadedKeys {
    ring: Keyring,
    sealing: Aes256Gcm,
    /// Keys that only open, tried after the sealing key.
    opening: Vec<Aes256Gcm>,
}

impl LoadedKeys {
    fn new(ring: &Keyring) -> Self {
        Self {
            ring: ring.clone(),
            sealing: Aes256Gcm::new(&ring.sealing.0),
            opening: ring.opening.iter().map(|k| Aes256Gcm::new(&k.0)).collect(),
        }
    }
}

/// What opening a value for a rotation found.
#[derive(Debug, PartialEq, Eq)]
pub enum Resealed {
    /// Already under the sealing key.
    Current,
    /// Sealed under an older key: the same value sealed again under the sealing key.
    Again(Vec<u8>),
}

const NONCE_LEN: usize = 12;

impl Cipher {
    /// A cipher with one key, as a store without a key file (tests, `GRASSROOTS_SECRET_KEY`).
    pub fn new(key: &DataKey) -> Self {
        Self::from_keyring(&Keyring::single(key.clone()))
    }

    pub fn from_keyring(ring: &Keyring) -> Self {
        Self { keys: Arc::new(RwLock::new(Arc::new(LoadedKeys::new(ring)))) }
    }

    fn loaded(&self) -> Arc<LoadedKeys> {
        self.keys.read().unwrap_or_else(|poisoned| poisoned.into_inner()).clone()
    }

    /// Puts a reloaded key file in service. Refused if its tag key differs. Returns whether
    /// anything changed.
    pub fn install(&self, ring: &Keyring) -> Result<bool, KeyError> {
        let mut keys = self.keys.write().unwrap_or_else(|poisoned| poisoned.into_inner());
        if keys.ring.tags != ring.tags {
            return Err(KeyError::TagKeyChanged);
        }
        if keys.ring == *ring {
            return Ok(false);
        }
        *keys = Arc::new(LoadedKeys::new(ring));
        Ok(true)
    }

    pub fn holding(&self) -> KeyHolding {
        let keys = self.loaded();
        KeyHolding { sealing: keys.ring.sealing_id(), opening: keys.ring.opening_ids() }
    }

    fn tag(&self, parts: &[&[u8]]) -> String {
        let mut mac =
            <Hmac<Sha256> as Mac>::new_from_slice(&self.loaded().ring.tags).expect("HMAC takes any key length");
        for part in parts {
            mac.update(part);
        }
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// What the database keeps of a case's query code.
    pub fn query_code_tag(&self, tracking_no: &str, query_code: &str) -> String {
        self.tag(&[tracking_no.as_bytes(), b":", query_code.as_bytes()])
    }

    /// What the database keeps to find a reporter's cases by phone number (a keyed digest of
    /// the normalised number: equal numbers give equal tags, and the tag reveals nothing
    /// without the key).
    pub fn phone_tag(&self, phone: &str) -> String {
        self.tag(&[b"phone:", phone.as_bytes()])
    }

    /// What the database keeps of a sign-in code: a keyed digest of the number and the code,
    /// which a reader of the database cannot try the million codes against.
    pub fn sign_in_code_tag(&self, phone: &str, code: &str) -> String {
        self.tag(&[b"sign-in-code:", phone.as_bytes(), b":", code.as_bytes()])
    }

    /// What the database keeps of a client's address, to count what it asked for.
    pub fn address_tag(&self, address: std::net::IpAddr) -> String {
        self.tag(&[b"address:", address.to_string().as_bytes()])
    }

    /// The signature of a resident's link to a case, valid until `expires` (Unix seconds): 128
    /// bits of a keyed digest, under the tag key, which never changes, so a link sent before a
    /// rotation still opens.
    pub fn resident_link_signature(&self, tracking_no: &str, expires: i64) -> String {
        let mut tag = self.tag(&[b"resident-link:", tracking_no.as_bytes(), b":", expires.to_string().as_bytes()]);
        tag.truncate(32);
        tag
    }

    /// nonce ‖ ciphertext ‖ tag, under the sealing key.
    pub fn seal(&self, context: &[u8], plaintext: &str) -> Vec<u8> {
        seal_with(&self.loaded().sealing, context, plaintext)
    }

    /// Opens a value sealed under any key held (the sealing key is tried first).
    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<String, String> {
        let keys = self.loaded();
        std::iter::once(&keys.sealing)
            .chain(&keys.opening)
            .find_map(|aead| open_with(aead, context, sealed).transpose())
            .unwrap_or_else(|| Err("authentication failed (wrong key or tampered data)".to_string()))
    }

    /// Opens a value and, unless it is under the sealing key already, seals it again under that key.
    pub fn reseal(&self, context: &[u8], sealed: &[u8]) -> Result<Resealed, String> {
        let keys = self.loaded();
        if open_with(&keys.sealing, context, sealed)?.is_some() {
            return Ok(Resealed::Current);
        }
        let plain =
            keys.opening.iter().find_map(|aead| open_with(aead, context, sealed).transpose()).unwrap_or_else(|| {
                Err("authentication failed under every key held (wrong key or tampered data)".to_string())
            })?;
        Ok(Resealed::Again(seal_with(&keys.sealing, context, &plain)))
    }
}

fn seal_with(aead: &Aes256Gcm, context: &[u8], plaintext: &str) -> Vec<u8> {
    let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
    let sealed = aead
        .encrypt(&nonce, Payload { msg: plaintext.as_bytes(), aad: context })
        .expect("AES-GCM encryption of a short value cannot fail");
    let mut out = nonce.to_vec();
    out.extend_from_slice(&sealed);
    out
}

/// `Ok(None)` when this key does not open the value; `Err` when the value is malformed.
fn open_with(aead: &Aes256Gcm, context: &[u8], sealed: &[u8]) -> Result<Option<String>, String> {
    if sealed.len() < NONCE_LEN + 16 {
        return Err("ciphertext too short".into());
    }
    let (nonce, body) = sealed.split_at(NONCE_LEN);
    match aead.decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: context }) {
        Ok(plain) => String::from_utf8(plain).map(Some).map_err(|_| "not UTF-8".to_string()),
        Err(_) => Ok(None),
    }
}

/// Associated data binding a value to its case and field.
pub fn context(case_id: uuid::Uuid, field: &str) -> Vec<u8> {
    let mut c = case_id.as_bytes().to_vec();
    c.extend_from_slice(field.as_bytes());
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seal_and_open_round_trip_and_bind_context() {
        let cipher = Cipher::new(&DataKey::generate());
        let id = uuid::Uuid::now_v7();
        let sealed = cipher.seal(&context(id, "phone"), "13812345678");
        assert!(!sealed.windows(11).any(|w| w == b"13812345678"));
        assert_eq!(cipher.open(&context(id, "phone"), &sealed).unwrap(), "13812345678");
        assert!(cipher.open(&context(id, "name"), &sealed).is_err());
        assert!(Cipher::new(&DataKey::generate()).open(&context(id, "phone"), &sealed).is_err());
    }

    #[test]
    fn query_code_tags_depend_on_the_key() {
        let key = DataKey::generate();
        let tag = Cipher::new(&key).query_code_tag("26112600000001", "123456");
        assert_eq!(tag, Cipher::new(&key).query_code_tag("26112600000001", "123456"));
        assert_ne!(tag, Cipher::new(&key).query_code_tag("26112600000001", "123457"));
        assert_ne!(tag, Cipher::new(&DataKey::generate()).query_code_tag("26112600000001", "123456"));
    }

    #[test]
    fn key_file_is_created_private_and_reused() {
        let dir = tempfile::tempdir().unwrap();
        let (a, source) = Keyring::load_or_create(None, dir.path()).unwrap();
        assert_eq!(source, KeySource::File(dir.path().join("secret.key")));
        let (b, _) = Keyring::load_or_create(None, dir.path()).unwrap();
        assert_eq!(a, b);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(!format!("{a:?}").contains(&a.sealing.encoded()));
        assert!(DataKey::parse("too short").is_err());
        let (env, source) = Keyring::load_or_create(Some(&"ab".repeat(32)), dir.path()).unwrap();
        assert_eq!(source, KeySource::Environment);
        assert_ne!(env, a);
    }

    #[test]
    fn a_bare_key_file_keeps_its_tags_and_values_through_a_rotation() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let old = DataKey::generate();
        std::fs::write(&path, old.encoded()).unwrap();
        let before = Cipher::new(&old);
        let id = uuid::Uuid::now_v7();
        let sealed = before.seal(&context(id, "reporter_phone"), "13812345678");
        let tag = before.query_code_tag("26112600000001", "123456");

        let ring = Keyring::read(&path).unwrap();
        let cipher = Cipher::from_keyring(&ring);
        let staged = ring.stage(DataKey::generate());
        staged.write(&path).unwrap();
        assert_eq!(Keyring::read(&path).unwrap(), staged);
        assert_eq!(staged.phase(), RotationPhase::Staged);
        assert!(cipher.install(&staged).unwrap());
        assert!(!cipher.install(&staged).unwrap(), "the same keys again change nothing");
        // Staged: the old key still seals.
        assert_eq!(cipher.reseal(&context(id, "reporter_phone"), &sealed).unwrap(), Resealed::Current);

        let switched = staged.switch();
        assert_eq!(switched.incoming_id(), staged.incoming_id());
        assert_eq!(switched.outgoing_id(), Some(old.id()));
        switched.write(&path).unwrap();
        cipher.install(&Keyring::read(&path).unwrap()).unwrap();
        let Resealed::Again(again) = cipher.reseal(&context(id, "reporter_phone"), &sealed).unwrap() else {
            panic!("a value under the old key must be sealed again");
        };
        assert_eq!(cipher.reseal(&context(id, "reporter_phone"), &again).unwrap(), Resealed::Current);

        let retired = switched.retire();
        retired.write(&path).unwrap();
        let after = Cipher::from_keyring(&Keyring::read(&path).unwrap());
        assert_eq!(after.holding().opening, vec![staged.incoming_id().unwrap()]);
        assert_eq!(after.open(&context(id, "reporter_phone"), &again).unwrap(), "13812345678");
        assert!(after.open(&context(id, "reporter_phone"), &sealed).is_err(), "the retired key is gone");
        assert_eq!(after.query_code_tag("26112600000001", "123456"), tag, "tags outlive the key they began with");
    }

    #[test]
    fn a_key_file_with_another_tag_key_or_bad_lines_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("secret.key");
        let cipher = Cipher::new(&DataKey::generate());
        assert!(matches!(cipher.install(&Keyring::single(DataKey::generate())), Err(KeyError::TagKeyChanged)));
        let key = DataKey::generate().encoded();
        for (text, reason) in [
            (format!("seal {key}\n"), "no tags line"),
            (format!("tags {key}\nseal {key}\nseal {key}\n"), "twice"),
            (format!("tags {key}\nseal {key}\nnext {key}\nold {key}\n"), "one rotation at a time"),
            (format!("tags {key}\nseal nonsense\n"), "not a key"),
            (format!("tags {key}\nspare {key}\n"), "unknown label"),
        ] {
            std::fs::write(&path, &text).unwrap();
            let err = Keyring::read(&path).unwrap_err().to_string();
            assert!(err.contains(reason) && err.contains("line"), "{text}: {err}");
        }
    }
}
