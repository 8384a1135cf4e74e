//! Which credential a request presents, read from its headers (pure).
//!
//! `X-Api-Key: <key>` wins over `Authorization` (seed 001's order). An
//! `Authorization` value must be `Bearer <credential>`; a credential with
//! the shape of a JWT is a session token, anything else is an API key.

use crate::identity::AuthError;

/// The credential a request presents.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Presented {
    /// A session token (`Authorization: Bearer eyJ…`).
    Jwt(String),
    /// An API key (`Authorization: Bearer bcd_…` or `X-Api-Key: bgx_…`).
    Key(String),
}

/// Longest credential accepted (a JWT from us is ~300 bytes).
const MAX_CREDENTIAL_LEN: usize = 4096;

/// Reads the credential from the request headers.
pub fn read(headers: &[(String, String)]) -> Result<Presented, AuthError> {
    let header = |name: &str| {
        headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.trim())
    };
    if let Some(key) = header("x-api-key") {
        check_token_syntax(key, "X-Api-Key")?;
        return Ok(Presented::Key(key.to_owned()));
    }
    let Some(authorization) = header("authorization") else {
        return Err(AuthError::Missing);
    };
    let (scheme, token) = authorization.split_once(' ').unwrap_or((authorization, ""));
    if !scheme.eq_ignore_ascii_case("bearer") {
        return Err(AuthError::Malformed(
            "The Authorization header must use the Bearer scheme: 'Authorization: Bearer <token or API key>'".into(),
        ));
    }
    let token = token.trim();
    check_token_syntax(token, "The bearer credential")?;
    if credentials::token::looks_like_jwt(token) {
        Ok(Presented::Jwt(token.to_owned()))
    } else {
        Ok(Presented::Key(token.to_owned()))
    }
}

fn check_token_syntax(token: &str, what: &str) -> Result<(), AuthError> {
    if token.is_empty() {
        return Err(AuthError::Malformed(format!("{what} is empty")));
    }
    if token.len() > MAX_CREDENTIAL_LEN {
        return Err(AuthError::Malformed(format!("{what} is too long")));
    }
    if !token.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(AuthError::Malformed(format!(
            "{what} contains spaces or characters that are not printable ASCII"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn h(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(n, v)| ((*n).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn no_credential_header_is_missing() {
        assert!(matches!(
            read(&h(&[("x-request-id", "r")])),
            Err(AuthError::Missing)
        ));
    }

    #[test]
    fn bearer_jwts_and_bearer_keys_are_told_apart() {
        assert_eq!(
            read(&h(&[("authorization", "Bearer eyJhbGciOi.eyJzdWIi.c2ln")])).expect("jwt"),
            Presented::Jwt("eyJhbGciOi.eyJzdWIi.c2ln".into())
        );
        assert_eq!(
            read(&h(&[("Authorization", "bearer bcd_abc123")])).expect("key"),
            Presented::Key("bcd_abc123".into())
        );
    }

    #[test]
    fn the_extension_header_wins() {
        assert_eq!(
            read(&h(&[
                ("authorization", "Bearer x.y.z"),
                ("X-Api-Key", "bgx_1234")
            ]))
            .expect("key"),
            Presented::Key("bgx_1234".into())
        );
    }

    #[test]
    fn other_schemes_and_empty_tokens_are_malformed() {
        for value in [
            "Basic dXNlcjpwYXNz",
            "Bearer",
            "Bearer    ",
            "Token abc",
            "bcd_abc",
            "Bearer a b",
        ] {
            assert!(
                matches!(
                    read(&h(&[("authorization", value)])),
                    Err(AuthError::Malformed(_))
                ),
                "{value}"
            );
        }
        assert!(matches!(
            read(&h(&[("x-api-key", "")])),
            Err(AuthError::Malformed(_))
        ));
        assert!(matches!(
            read(&h(&[("x-api-key", &"a".repeat(5000))])),
            Err(AuthError::Malformed(_))
        ));
    }
}
