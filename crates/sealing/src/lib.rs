//! Secrets sealed at rest with XChaCha20-Poly1305 (RustCrypto's
//! `chacha20poly1305`), a random 192-bit nonce per value, and the row's
//! identity (`proxy:<team>:<id>`, `webhook:<team>:<id>`) as associated data,
//! so a sealed value copied to another row does not open.
//!
//! Each purpose (proxy credentials, webhook signing secrets) has its own
//! 256-bit keys, derived with HKDF-SHA256 from a secret variable: the
//! purpose's own secret when it is set (key id `k1`), otherwise
//! `jwt_secret` (key id `j1`), always under the purpose's HKDF label so no
//! two purposes ever share a key. The key id is stored with the value, so
//! values sealed under either key keep opening after the dedicated secret is
//! introduced.
//!
//! Sealed form: `<key id>.<nonce b64url>.<ciphertext+tag b64url>`.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hkdf::Hkdf;
use sha2::Sha256;

/// Key id of the key derived from the purpose's own secret.
pub const DEDICATED_KEY_ID: &str = "k1";
/// Key id of the key derived from `jwt_secret`.
pub const FALLBACK_KEY_ID: &str = "j1";

/// Purpose: proxy usernames and passwords (`proxy_credentials_key`).
pub const PROXY_CREDENTIALS: &str = "proxy-credentials";
/// Purpose: outbound webhooks' signing secrets (`webhook_secret_key`).
pub const WEBHOOK_SECRETS: &str = "webhook-secrets";
/// Purpose: responses stored for `Idempotency-Key` replays (they may carry a
/// new API key or webhook secret); keyed from `jwt_secret` only.
pub const IDEMPOTENT_RESPONSES: &str = "idempotent-responses";

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
    /// Derives the key `id` of `purpose` from a secret (HKDF-SHA256, the
    /// salt `browser-cloud/<purpose>`, the purpose and key id in the info, so
    /// keys differ by purpose and by id even for one secret).
    pub fn derive(purpose: &str, id: &'static str, secret: &str) -> Result<Self, String> {
        if secret.len() < 32 {
            return Err(format!("the secret for key {id} is shorter than 32 bytes"));
        }
        let salt = format!("browser-cloud/{purpose}");
        let hk = Hkdf::<Sha256>::new(Some(salt.as_bytes()), secret.as_bytes());
        let mut key = [0u8; 32];
        hk.expand(format!("{purpose} {id}").as_bytes(), &mut key)
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
            .ok_or("no key to seal with (set the purpose's secret or jwt_secret)")?;
        Ok(Self { sealing, opening })
    }

    /// The keys of `purpose` from its own secret and `jwt_secret` (either
    /// may be absent or empty; at least one must be there).
    pub fn from_secrets(
        purpose: &str,
        dedicated: Option<&str>,
        jwt_secret: Option<&str>,
    ) -> Result<Self, String> {
        let derive = |id, secret: Option<&str>| {
            secret
                .filter(|s| !s.trim().is_empty())
                .map(|s| SealKey::derive(purpose, id, s))
                .transpose()
        };
        Self::new(
            derive(DEDICATED_KEY_ID, dedicated)?,
            derive(FALLBACK_KEY_ID, jwt_secret)?,
        )
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
            Some(SealKey::derive(PROXY_CREDENTIALS, DEDICATED_KEY_ID, SECRET).expect("key")),
            Some(
                SealKey::derive(
                    PROXY_CREDENTIALS,
                    FALLBACK_KEY_ID,
                    "another-secret-0123456789abcdef0123",
                )
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
                SealKey::derive(
                    PROXY_CREDENTIALS,
                    FALLBACK_KEY_ID,
                    "another-secret-0123456789abcdef0123",
                )
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
        assert!(SealKey::derive(PROXY_CREDENTIALS, DEDICATED_KEY_ID, "short").is_err());
        let a = SealKey::derive(PROXY_CREDENTIALS, DEDICATED_KEY_ID, SECRET).expect("key");
        let b = SealKey::derive(PROXY_CREDENTIALS, FALLBACK_KEY_ID, SECRET).expect("key");
        assert_ne!(a.key, b.key);
        assert!(!format!("{a:?}").contains(SECRET));
    }

    #[test]
    fn purposes_never_share_a_key() {
        let proxy = Keys::from_secrets(PROXY_CREDENTIALS, None, Some(SECRET)).expect("keys");
        let hooks = Keys::from_secrets(WEBHOOK_SECRETS, None, Some(SECRET)).expect("keys");
        assert_ne!(proxy.sealing.key, hooks.sealing.key);
        let sealed = seal(&hooks, "webhook:t:w", b"whsec_x").expect("seals");
        assert!(open(&proxy, "webhook:t:w", &sealed).is_err());
        assert_eq!(
            open(&hooks, "webhook:t:w", &sealed).expect("opens"),
            b"whsec_x"
        );
        assert!(Keys::from_secrets(WEBHOOK_SECRETS, Some(""), None).is_err());
    }

    #[test]
    fn the_proxy_derivation_is_unchanged() {
        // A value sealed before the key derivation moved into this crate
        // (salt browser-cloud/proxy-credentials, info "proxy-credentials j1").
        let hk = Hkdf::<Sha256>::new(Some(b"browser-cloud/proxy-credentials"), SECRET.as_bytes());
        let mut expected = [0u8; 32];
        hk.expand(b"proxy-credentials j1", &mut expected)
            .expect("hkdf");
        let key = SealKey::derive(PROXY_CREDENTIALS, FALLBACK_KEY_ID, SECRET).expect("key");
        assert_eq!(key.key, expected);
    }
}
