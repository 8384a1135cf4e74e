//! Proxy credentials sealed at rest with XChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`), a random 192-bit nonce per value, and the row's
//! identity (`proxy:<team>:<id>`) as associated data, so a sealed value
//! copied to another row does not open.
//!
//! The 256-bit key is derived with HKDF-SHA256 from a secret variable:
//! `proxy_credentials_key` when it is set (key id `k1`), otherwise
//! `jwt_secret` under a separate HKDF label (key id `j1`). The key id is
//! stored with the value, so values sealed under either key keep opening
//! after `proxy_credentials_key` is introduced.
//!
//! Sealed form: `<key id>.<nonce b64url>.<ciphertext+tag b64url>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// Key id of the key derived from `proxy_credentials_key`.
pub const DEDICATED_KEY_ID: &str = "k1";
/// Key id of the key derived from `jwt_secret`.
pub const FALLBACK_KEY_ID: &str = "j1";

/// A sealing key with its id. `Debug` never prints the key.
#[derive(Clone)]
pub struct SealKey {
    pub id: &'static str,
    key: [u8; 32],
}

impl std::fmt::Debug for SealKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SealKey({})", self.id)
    }
}

impl SealKey {
    /// Derives the key `id` from a secret (HKDF-SHA256, fixed salt, the
    /// key id in the info so the two keys differ even for one secret).
    pub fn derive(id: &'static str, secret: &str) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err(format!("the secret for key {id} is shorter than 32 bytes"));
        }
        let hk = Hkdf::<Sha256>::new(Some(b"browser-cloud/proxy-credentials"), secret.as_bytes());
        let mut key = [0u8; 32];
        hk.expand(format!("proxy-credentials {id}").as_bytes(), &mut key)
            .map_err(|e| format!("hkdf: {e}"))?;
        Ok(Self { id, key })
    }
}

/// The keys: the one to seal with, and every one that may open.
#[derive(Debug, Clone)]
pub struct Keys {
    pub sealing: SealKey,
    pub opening: Vec<SealKey>,
}

impl Keys {
    /// Seals with the dedicated key when there is one, else the fallback.
    pub fn new(dedicated: Option<SealKey>, fallback: Option<SealKey>) -> Result<Self, String> {
        let opening: Vec<SealKey> = dedicated.iter().chain(fallback.iter()).cloned().collect();
        let sealing = opening
            .first()
            .cloned()
            .ok_or("no key to seal proxy credentials with (set proxy_credentials_key)")?;
        Ok(Self { sealing, opening })
    }
}

/// Seals `plaintext` for the row named by `aad`.
pub fn seal(keys: &Keys, aad: &str, plaintext: &[u8]) -> Result<String, String> {
    let mut nonce = [0u8; 24];
    getrandom::fill(&mut nonce).map_err(|e| format!("random source: {e}"))?;
    seal_with_nonce(&keys.sealing, aad, plaintext, nonce)
}

fn seal_with_nonce(
    key: &SealKey,
    aad: &str,
    plaintext: &[u8],
    nonce: [u8; 24],
) -> Result<String, String> {
    let cipher = XChaCha20Poly1305::new(&key.key.into());
    let ciphertext = cipher
        .encrypt(
            &XNonce::from(nonce),
            Payload {
                msg: plaintext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| "sealing failed".to_string())?;
    Ok(format!(
        "{}.{}.{}",
        key.id,
        URL_SAFE_NO_PAD.encode(nonce),
        URL_SAFE_NO_PAD.encode(ciphertext)
    ))
}

/// Opens a sealed value of the row named by `aad`.
pub fn open(keys: &Keys, aad: &str, sealed: &str) -> Result<Vec<u8>, String> {
    let mut parts = sealed.splitn(3, '.');
    let (Some(id), Some(nonce), Some(ciphertext)) = (parts.next(), parts.next(), parts.next())
    else {
        return Err("sealed value is malformed".into());
    };
    let key = keys
        .opening
        .iter()
        .find(|k| k.id == id)
        .ok_or_else(|| format!("no key {id:?} to open the sealed value"))?;
    let nonce = URL_SAFE_NO_PAD
        .decode(nonce)
        .map_err(|_| "sealed nonce is not base64url")?;
    let nonce: [u8; 24] = nonce
        .try_into()
        .map_err(|_| "sealed nonce has the wrong length")?;
    let ciphertext = URL_SAFE_NO_PAD
        .decode(ciphertext)
        .map_err(|_| "sealed ciphertext is not base64url")?;
    XChaCha20Poly1305::new(&key.key.into())
        .decrypt(
            &XNonce::from(nonce),
            Payload {
                msg: &ciphertext,
                aad: aad.as_bytes(),
            },
        )
        .map_err(|_| "sealed value does not open (wrong key, row or tampered)".to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "0123456789abcdef0123456789abcdef-test";

    fn keys() -> Keys {
        Keys::new(
            Some(SealKey::derive(DEDICATED_KEY_ID, SECRET).expect("key")),
            Some(
                SealKey::derive(FALLBACK_KEY_ID, "another-secret-0123456789abcdef0123")
                    .expect("key"),
            ),
        )
        .expect("keys")
    }

    #[test]
    fn sealed_values_open_with_the_same_row_and_never_contain_the_plaintext() {
        let k = keys();
        let sealed = seal(&k, "proxy:t:p", b"user:hunter2").expect("seals");
        assert!(sealed.starts_with("k1."));
        assert!(!sealed.contains("hunter2"));
        assert_eq!(
            open(&k, "proxy:t:p", &sealed).expect("opens"),
            b"user:hunter2"
        );
    }

    #[test]
    fn a_sealed_value_does_not_open_for_another_row_or_when_tampered() {
        let k = keys();
        let sealed = seal(&k, "proxy:t:p", b"secret").expect("seals");
        assert!(open(&k, "proxy:t:other", &sealed).is_err());
        let mut tampered = sealed.clone().into_bytes();
        let last = tampered.len() - 1;
        tampered[last] = if tampered[last] == b'A' { b'B' } else { b'A' };
        assert!(
            open(
                &k,
                "proxy:t:p",
                &String::from_utf8(tampered).expect("ascii")
            )
            .is_err()
        );
        assert!(open(&k, "proxy:t:p", "garbage").is_err());
    }

    #[test]
    fn the_same_plaintext_seals_differently_each_time() {
        let k = keys();
        assert_ne!(
            seal(&k, "a", b"x").expect("seals"),
            seal(&k, "a", b"x").expect("seals")
        );
    }

    #[test]
    fn values_sealed_with_the_fallback_key_still_open_after_a_dedicated_key_is_set() {
        let fallback_only = Keys::new(
            None,
            Some(
                SealKey::derive(FALLBACK_KEY_ID, "another-secret-0123456789abcdef0123")
                    .expect("key"),
            ),
        )
        .expect("keys");
        let sealed = seal(&fallback_only, "r", b"v").expect("seals");
        assert!(sealed.starts_with("j1."));
        assert_eq!(open(&keys(), "r", &sealed).expect("opens"), b"v");
    }

    #[test]
    fn short_secrets_are_refused_and_keys_differ_by_id() {
        assert!(SealKey::derive(DEDICATED_KEY_ID, "short").is_err());
        let a = SealKey::derive(DEDICATED_KEY_ID, SECRET).expect("key");
        let b = SealKey::derive(FALLBACK_KEY_ID, SECRET).expect("key");
        assert_ne!(a.key, b.key);
        assert!(!format!("{a:?}").contains(SECRET));
    }
}
