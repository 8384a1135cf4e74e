//! Random identifiers: row ids and request ids.

use crate::error::ApiError;

/// A new row id: 128 random bits as 32 lowercase hex characters.
pub fn new_id() -> Result<String, ApiError> {
    random_hex::<16>()
}

/// Whether `id` could be one of our row ids (32 lowercase hex characters).
/// Anything else is answered 404 without a query.
pub fn is_row_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// A new request id: 96 random bits as 24 hex characters.
pub fn new_request_id() -> String {
    // A request id is for correlating logs; if the random source fails we
    // still answer, with a time-based id.
    random_hex::<12>().unwrap_or_else(|_| format!("t{:x}", crate::time::now_ms()))
}

/// Whether a client-supplied `X-Request-Id` may be reused: 8 to 64
/// characters of `[A-Za-z0-9._-]`, so it cannot inject anything into logs or headers.
pub fn is_acceptable_request_id(id: &str) -> bool {
    (8..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

fn random_hex<const N: usize>() -> Result<String, ApiError> {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    Ok(buf.iter().map(|b| format!("{b:02x}")).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_32_hex_characters_and_unique() {
        let a = new_id().expect("id");
        let b = new_id().expect("id");
        assert_eq!(a.len(), 32);
        assert!(a.bytes().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(a, b);
    }

    #[test]
    fn client_request_ids_are_reused_only_when_harmless() {
        assert!(is_acceptable_request_id("req-1234.abc_DEF"));
        assert!(!is_acceptable_request_id("short"));
        assert!(!is_acceptable_request_id("has space in it"));
        assert!(!is_acceptable_request_id("line\nbreak-injection"));
        assert!(!is_acceptable_request_id(&"x".repeat(65)));
    }
}
