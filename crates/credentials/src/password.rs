//! Password hashing with argon2id (OWASP parameters: 19 MiB, 2 passes, 1 lane),
//! stored as a PHC string (`$argon2id$v=19$m=19456,t=2,p=1$…`).

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};

/// Hashing failed (no randomness, or the hasher refused its input).
#[derive(Debug, thiserror::Error)]
#[error("password hashing failed: {0}")]
pub struct HashError(String);

/// Hashes `password` with a fresh random salt.
pub fn hash(password: &str) -> Result<String, HashError> {
    let salt_bytes = crate::random_bytes::<16>().map_err(|e| HashError(e.to_string()))?;
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| HashError(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| HashError(e.to_string()))
}

/// Checks `password` against a stored PHC string. A stored hash that cannot
/// be parsed is an error (it is our data, not the client's); a wrong password
/// is `Ok(false)`. The comparison inside argon2 is constant-time.
pub fn verify(password: &str, stored: &str) -> Result<bool, HashError> {
    let parsed = PasswordHash::new(stored).map_err(|e| HashError(e.to_string()))?;
    Ok(Argon2::default()
        .verify_password(password.as_bytes(), &parsed)
        .is_ok())
}

/// A valid hash of a password nobody knows. Login verifies against it when
/// the email is unknown, so an unknown email costs as much time as a wrong
/// password and timing does not reveal which accounts exist.
pub const DUMMY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$0HC2yfFWbkRBMGRxrtPMUmeIxr5pG02Ha6mYArtLs7Y";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hashed_password_verifies_and_a_wrong_one_does_not() {
        let stored = hash("correct horse battery staple").expect("hash");
        assert!(stored.starts_with("$argon2id$"));
        assert!(verify("correct horse battery staple", &stored).expect("verify"));
        assert!(!verify("correct horse battery stapl", &stored).expect("verify"));
    }

    #[test]
    fn the_same_password_hashes_differently_each_time() {
        assert_ne!(
            hash("pw-pw-pw-pw").expect("hash"),
            hash("pw-pw-pw-pw").expect("hash")
        );
    }

    #[test]
    fn the_dummy_hash_parses_and_matches_nothing_likely() {
        assert!(!verify("password", DUMMY_HASH).expect("dummy hash parses"));
    }

    #[test]
    fn an_unparseable_stored_hash_is_an_error() {
        assert!(verify("x", "not-a-phc-string").is_err());
    }
}
