//! API keys: `bcd_<64 hex>` (desktop) and `bgx_<64 hex>` (browser extension).
//!
//! 256 random bits each. Only the SHA-256 of a key is stored; the key itself
//! is shown once, at creation, and afterwards only as its prefix (the first
//! eight characters, e.g. `bgx_a74a`) and its last four characters.

use sha2::{Digest, Sha256};

/// Which client a key is for. Decides its prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApiKeyKind {
    /// The desktop profile manager; sent as `Authorization: Bearer bcd_…`.
    Desktop,
    /// The QA browser extension; sent as `X-Api-Key: bgx_…`.
    Extension,
}

/// Number of random bytes in a key (256 bits).
const RANDOM_BYTES: usize = 32;
/// Characters shown as the key's prefix: the kind's 4-character tag plus 4 hex digits.
pub const DISPLAY_PREFIX_LEN: usize = 8;

impl ApiKeyKind {
    /// The tag every key of this kind starts with.
    pub const fn tag(self) -> &'static str {
        match self {
            ApiKeyKind::Desktop => "bcd_",
            ApiKeyKind::Extension => "bgx_",
        }
    }

    /// The name stored in the `api_keys.kind` column and used in the API.
    pub const fn as_str(self) -> &'static str {
        match self {
            ApiKeyKind::Desktop => "desktop",
            ApiKeyKind::Extension => "extension",
        }
    }

    /// Reads a kind from its API / column name.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "desktop" => Some(ApiKeyKind::Desktop),
            "extension" => Some(ApiKeyKind::Extension),
            _ => None,
        }
    }

    /// The kind a presented key claims by its tag, if it has the shape of a key.
    pub fn of_key(key: &str) -> Option<Self> {
        let kind = if key.starts_with(ApiKeyKind::Desktop.tag()) {
            ApiKeyKind::Desktop
        } else if key.starts_with(ApiKeyKind::Extension.tag()) {
            ApiKeyKind::Extension
        } else {
            return None;
        };
        let body = &key[4..];
        (body.len() == RANDOM_BYTES * 2 && body.bytes().all(|b| b.is_ascii_hexdigit()))
            .then_some(kind)
    }
}

/// A freshly generated key: the plaintext (shown once) and what is stored.
#[derive(Debug, Clone)]
pub struct GeneratedKey {
    /// The whole key; returned to the client once, never stored.
    pub plaintext: String,
    /// The first eight characters, stored for display.
    pub prefix: String,
    /// The last four characters, stored for display.
    pub last_four: String,
    /// Hex SHA-256 of the plaintext, stored and looked up.
    pub hash: String,
}

/// Generates a new key of `kind` from the secure random source.
pub fn generate(kind: ApiKeyKind) -> Result<GeneratedKey, getrandom::Error> {
    let bytes = crate::random_bytes::<RANDOM_BYTES>()?;
    let plaintext = format!("{}{}", kind.tag(), hex::encode(bytes));
    Ok(GeneratedKey {
        prefix: plaintext[..DISPLAY_PREFIX_LEN].to_owned(),
        last_four: plaintext[plaintext.len() - 4..].to_owned(),
        hash: hash(&plaintext),
        plaintext,
    })
}

/// Hex SHA-256 of a presented key: what `api_keys.key_hash` holds.
pub fn hash(key: &str) -> String {
    hex::encode(Sha256::digest(key.as_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn extension_keys_start_with_bgx_and_carry_256_bits() {
        let key = generate(ApiKeyKind::Extension).expect("key");
        assert!(key.plaintext.starts_with("bgx_"));
        assert_eq!(key.plaintext.len(), 4 + 64);
        assert_eq!(
            ApiKeyKind::of_key(&key.plaintext),
            Some(ApiKeyKind::Extension)
        );
    }

    #[test]
    fn desktop_keys_are_distinguishable_from_extension_keys() {
        let key = generate(ApiKeyKind::Desktop).expect("key");
        assert!(key.plaintext.starts_with("bcd_"));
        assert_eq!(
            ApiKeyKind::of_key(&key.plaintext),
            Some(ApiKeyKind::Desktop)
        );
    }

    #[test]
    fn prefix_last_four_and_hash_describe_the_plaintext() {
        let key = generate(ApiKeyKind::Extension).expect("key");
        assert_eq!(key.prefix, &key.plaintext[..8]);
        assert!(key.plaintext.ends_with(&key.last_four));
        assert_eq!(key.hash, hash(&key.plaintext));
        assert_eq!(key.hash.len(), 64);
        assert!(!key.hash.contains(&key.plaintext[4..]));
    }

    #[test]
    fn two_keys_are_never_the_same() {
        let a = generate(ApiKeyKind::Desktop).expect("key");
        let b = generate(ApiKeyKind::Desktop).expect("key");
        assert_ne!(a.plaintext, b.plaintext);
    }

    #[test]
    fn strings_without_the_key_shape_are_not_keys() {
        for s in [
            "",
            "bgx_",
            "bgx_xyz",
            "eyJhbGciOi.x.y",
            &format!("bgx_{}", "g".repeat(64)),
        ] {
            assert_eq!(ApiKeyKind::of_key(s), None, "{s}");
        }
    }

    #[test]
    fn kind_names_round_trip() {
        for kind in [ApiKeyKind::Desktop, ApiKeyKind::Extension] {
            assert_eq!(ApiKeyKind::parse(kind.as_str()), Some(kind));
        }
        assert_eq!(ApiKeyKind::parse("admin"), None);
    }
}
