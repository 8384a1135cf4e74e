//! Credential formats shared by the `identity` component (which checks them)
//! and the `auth` component (which issues them): HS256 session tokens, API
//! keys, password hashes, and constant-time comparison.
//!
//! Pure Rust, no Spin imports, so everything here is unit-tested natively.

pub mod api_key;
pub mod password;
pub mod token;

pub use api_key::{ApiKeyKind, GeneratedKey};
pub use token::{Claims, JwtSecret, TokenError};

/// Compares two byte strings in time that depends only on their lengths.
pub fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    use subtle::ConstantTimeEq;
    a.len() == b.len() && bool::from(a.ct_eq(b))
}

/// `N` bytes from the platform's secure random source (`wasi:random` in a component).
pub fn random_bytes<const N: usize>() -> Result<[u8; N], getrandom::Error> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf)?;
    Ok(buf)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn equal_strings_compare_equal() {
        assert!(constant_time_eq(b"abc", b"abc"));
    }

    #[test]
    fn different_strings_or_lengths_compare_unequal() {
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"abcd"));
    }

    #[test]
    fn random_bytes_differ_between_calls() {
        let a = random_bytes::<16>().expect("random");
        let b = random_bytes::<16>().expect("random");
        assert_ne!(a, b);
    }
}
