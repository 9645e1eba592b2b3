//! Encryption of personal data at rest: AES-256-GCM with a random nonce per value and the
//! case id and field name as associated data, so a ciphertext cannot be moved to another
//! row or field unnoticed.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

use aes_gcm::aead::{Aead, KeyInit, OsRng, Payload};
use aes_gcm::{AeadCore, Aes256Gcm, Key, Nonce};
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

/// The data-encryption key. Its `Debug` never shows the key.
#[derive(Clone)]
pub struct DataKey(Key<Aes256Gcm>);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey([redacted])")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("GRASSROOTS_SECRET_KEY must be 32 bytes as base64 or 64 hex digits")]
    BadFormat,
    #[error("key file {path}: {source}")]
    Io { path: String, source: std::io::Error },
}

impl DataKey {
    pub fn generate() -> Self {
        Self(Aes256Gcm::generate_key(OsRng))
    }

    /// Accepts 64 hex digits or base64 (standard or URL-safe) of 32 bytes.
    pub fn parse(text: &str) -> Result<Self, KeyError> {
        let t = text.trim();
        let bytes = if t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()) {
            (0..32)
                .map(|i| u8::from_str_radix(&t[2 * i..2 * i + 2], 16))
                .collect::<Result<Vec<u8>, _>>()
                .map_err(|_| KeyError::BadFormat)?
        } else {
            base64::engine::general_purpose::STANDARD
                .decode(t)
                .or_else(|_| base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(t))
                .map_err(|_| KeyError::BadFormat)?
        };
        if bytes.len() != 32 {
            return Err(KeyError::BadFormat);
        }
        Ok(Self(*Key::<Aes256Gcm>::from_slice(&bytes)))
    }

    fn encoded(&self) -> String {
        base64::engine::general_purpose::STANDARD.encode(self.0.as_slice())
    }

    /// The key from `env_value` (GRASSROOTS_SECRET_KEY) if given, else from `secret.key` in the
    /// data directory, created with mode 0600 on first use.
    pub fn load_or_create(env_value: Option<&str>, data_dir: &Path) -> Result<Self, KeyError> {
        if let Some(v) = env_value.filter(|v| !v.trim().is_empty()) {
            return Self::parse(v);
        }
        let path = data_dir.join("secret.key");
        let io = |source| KeyError::Io { path: path.display().to_string(), source };
        match std::fs::read_to_string(&path) {
            Ok(text) => Self::parse(&text),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(io)?;
                let key = Self::generate();
                let mut options = OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
                let mut file = options.open(&path).map_err(io)?;
                file.write_all(key.encoded().as_bytes()).map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok(key)
            }
            Err(e) => Err(io(e)),
        }
    }
}

/// Encrypts and decrypts personal fields, and keys the tags of query codes.
#[derive(Clone)]
pub struct Cipher {
    aead: Aes256Gcm,
    /// HMAC key for query codes, derived from the data key: a leaked table of tags cannot be
    /// searched for the 6-digit codes without it.
    code_key: [u8; 32],
}

const NONCE_LEN: usize = 12;

impl Cipher {
    pub fn new(key: &DataKey) -> Self {
        let mut derive = Sha256::new();
        derive.update(b"grassroots query codes v1");
        derive.update(key.0.as_slice());
        Self { aead: Aes256Gcm::new(&key.0), code_key: derive.finalize().into() }
    }

    /// What the database keeps of a case's query code.
    pub fn query_code_tag(&self, tracking_no: &str, query_code: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.code_key).expect("HMAC takes any key length");
        mac.update(tracking_no.as_bytes());
        mac.update(b":");
        mac.update(query_code.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// What the database keeps to find a reporter's cases by phone number (a keyed digest of
    /// the normalised number: equal numbers give equal tags, and the tag reveals nothing
    /// without the key).
    pub fn phone_tag(&self, phone: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(&self.code_key).expect("HMAC takes any key length");
        mac.update(b"phone:");
        mac.update(phone.as_bytes());
        mac.finalize().into_bytes().iter().map(|b| format!("{b:02x}")).collect()
    }

    /// nonce ‖ ciphertext ‖ tag
    pub fn seal(&self, context: &[u8], plaintext: &str) -> Vec<u8> {
        let nonce = Aes256Gcm::generate_nonce(&mut OsRng);
        let sealed = self
            .aead
            .encrypt(&nonce, Payload { msg: plaintext.as_bytes(), aad: context })
            .expect("AES-GCM encryption of a short value cannot fail");
        let mut out = nonce.to_vec();
        out.extend_from_slice(&sealed);
        out
    }

    pub fn open(&self, context: &[u8], sealed: &[u8]) -> Result<String, String> {
        if sealed.len() < NONCE_LEN + 16 {
            return Err("ciphertext too short".into());
        }
        let (nonce, body) = sealed.split_at(NONCE_LEN);
        let plain = self
            .aead
            .decrypt(Nonce::from_slice(nonce), Payload { msg: body, aad: context })
            .map_err(|_| "authentication failed (wrong key or tampered data)".to_string())?;
        String::from_utf8(plain).map_err(|_| "not UTF-8".to_string())
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
        let a = DataKey::load_or_create(None, dir.path()).unwrap();
        let b = DataKey::load_or_create(None, dir.path()).unwrap();
        assert_eq!(a.0, b.0);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key")).unwrap().permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
        assert!(format!("{a:?}").contains("redacted"));
        assert!(DataKey::parse("too short").is_err());
        assert!(DataKey::load_or_create(Some(&"ab".repeat(32)), dir.path()).is_ok());
    }
}
