//! Password hashing (argon2id) and session tokens (random, stored as SHA-256).

use argon2::password_hash::{rand_core::OsRng, Output, PasswordHash, SaltString};
use argon2::{Algorithm, Argon2, Block, Params, Version};
use base64::Engine;
use rand::RngCore;
use sha2::{Digest, Sha256};

/// The memory argon2 works in (about 19 MiB with the default parameters), kept by the caller
/// to be used again: a bounded number of these bounds the memory password checks take,
/// however many arrive at once.
#[derive(Default)]
pub struct HashMemory(Vec<Block>);

impl HashMemory {
    fn blocks(&mut self, params: &Params) -> &mut [Block] {
        self.0.resize(params.block_count(), Block::default());
        &mut self.0
    }
}

pub fn hash_password(password: &str) -> String {
    hash_password_in(&mut HashMemory::default(), password)
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    verify_password_in(&mut HashMemory::default(), password, hash)
}

/// An argon2id hash (PHC string) with the default parameters, computed in `memory`.
pub fn hash_password_in(memory: &mut HashMemory, password: &str) -> String {
    let salt = SaltString::generate(&mut OsRng);
    let params = Params::default();
    let mut salt_bytes = [0u8; 64];
    let salt_bytes = salt.decode_b64(&mut salt_bytes).expect("a generated salt decodes");
    let mut out = [0u8; Params::DEFAULT_OUTPUT_LEN];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt_bytes, &mut out, memory.blocks(&params))
        .expect("argon2 accepts a generated salt with its default parameters");
    let output = Output::new(&out).expect("an output of the default length");
    format!(
        "$argon2id$v=19$m={},t={},p={}${}${output}",
        params.m_cost(),
        params.t_cost(),
        params.p_cost(),
        salt.as_str()
    )
}

/// Whether `password` matches the PHC string `hash`, computed in `memory` (grown if the hash's
/// parameters ask for more). The comparison takes constant time.
pub fn verify_password_in(memory: &mut HashMemory, password: &str, hash: &str) -> bool {
    let Ok(parsed) = PasswordHash::new(hash) else { return false };
    let (Some(expected), Some(salt)) = (parsed.hash, parsed.salt) else { return false };
    let (Ok(algorithm), Ok(params)) = (Algorithm::try_from(parsed.algorithm), Params::try_from(&parsed)) else {
        return false;
    };
    let Ok(version) = parsed.version.map_or(Ok(Version::default()), Version::try_from) else { return false };
    let mut salt_bytes = [0u8; 64];
    let Ok(salt) = salt.decode_b64(&mut salt_bytes) else { return false };
    let mut out = vec![0u8; expected.len()];
    Argon2::new(algorithm, version, params.clone())
        .hash_password_into_with_memory(password.as_bytes(), salt, &mut out, memory.blocks(&params))
        .is_ok()
        && Output::new(&out).is_ok_and(|computed| computed == expected)
}

/// A new bearer token (also the session cookie's value).
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// What the database keeps of a session token: a leak of the table grants no session.
pub fn digest(secret: &str) -> String {
    Sha256::digest(secret.as_bytes()).iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_verify() {
        let h = hash_password("correct horse");
        assert!(h.starts_with("$argon2id$"));
        assert!(verify_password("correct horse", &h));
        assert!(!verify_password("wrong", &h));
        assert!(!verify_password("x", "not a hash"));
    }

    #[test]
    fn memory_is_reused_and_hashes_agree_with_the_crate_s_own() {
        use argon2::password_hash::PasswordHasher;
        let mut memory = HashMemory::default();
        let ours = hash_password_in(&mut memory, "correct horse");
        let salt = SaltString::generate(&mut OsRng);
        let theirs = Argon2::default().hash_password(b"correct horse", &salt).unwrap();
        assert!(verify_password_in(&mut memory, "correct horse", &theirs.to_string()), "the crate's hash verifies");
        assert!(verify_password_in(&mut memory, "correct horse", &ours));
        assert!(!verify_password_in(&mut memory, "correct hors", &ours));
        assert_eq!(PasswordHash::new(&ours).unwrap().params, theirs.params, "the same parameters");
        assert_eq!(memory.0.len(), Params::default().block_count(), "one buffer, reused");
    }
}
