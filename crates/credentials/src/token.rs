//! Session tokens: HS256 JWTs. The algorithm is fixed here, on the server;
//! whatever a token's header says, only HS256 with our secret verifies, so
//! `alg: none` and algorithm-confusion tokens are refused. `exp`, `sub`,
//! `tid` and `jti` are required. A token is only half of a session: the
//! `identity` component also checks that the `jti`'s row in `session_tokens`
//! exists and is not revoked.

use jsonwebtoken::errors::ErrorKind;
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use serde::{Deserialize, Serialize};

/// How long a token issued by `POST /auth/login` is valid: 7 days.
pub const SESSION_TTL_SECS: u64 = 7 * 24 * 60 * 60;
/// Clock skew tolerated on `exp`, in seconds.
const LEEWAY_SECS: u64 = 5;
/// Shortest accepted `jwt_secret`: 256 bits, the size of the HMAC-SHA256 output.
pub const MIN_SECRET_LEN: usize = 32;

/// The claims a session token carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Claims {
    /// User id.
    pub sub: String,
    /// Team id the session acts for.
    pub tid: String,
    /// Session id: the primary key of the `session_tokens` row.
    pub jti: String,
    /// Issued at, unix seconds.
    pub iat: u64,
    /// Expires at, unix seconds.
    pub exp: u64,
}

/// The `jwt_secret` variable, checked for length.
#[derive(Clone)]
pub struct JwtSecret(Vec<u8>);

/// The configured secret is unusable.
#[derive(Debug, thiserror::Error)]
#[error("jwt_secret must be at least {MIN_SECRET_LEN} bytes, got {0}")]
pub struct WeakSecret(usize);

impl JwtSecret {
    /// Accepts a secret of at least [`MIN_SECRET_LEN`] bytes.
    pub fn new(secret: &str) -> Result<Self, WeakSecret> {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_LEN {
            return Err(WeakSecret(secret.len()));
        }
        Ok(Self(secret.as_bytes().to_vec()))
    }
}

impl std::fmt::Debug for JwtSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("JwtSecret(..)")
    }
}

/// Why a token was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// `exp` is in the past.
    #[error("token expired")]
    Expired,
    /// Anything else: bad signature, another algorithm, a missing claim,
    /// not a JWT at all. The text is for the log.
    #[error("token invalid: {0}")]
    Invalid(String),
    /// Signing failed (our side).
    #[error("token signing failed: {0}")]
    Signing(String),
}

/// Signs `claims` with HS256.
pub fn issue(secret: &JwtSecret, claims: &Claims) -> Result<String, TokenError> {
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(&secret.0),
    )
    .map_err(|e| TokenError::Signing(e.to_string()))
}

/// Verifies an HS256 token and returns its claims.
pub fn verify(secret: &JwtSecret, token: &str) -> Result<Claims, TokenError> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.leeway = LEEWAY_SECS;
    validation.validate_exp = true;
    validation.set_required_spec_claims(&["exp", "sub", "jti"]);
    jsonwebtoken::decode::<Claims>(token, &DecodingKey::from_secret(&secret.0), &validation)
        .map(|data| data.claims)
        .map_err(|e| match e.kind() {
            ErrorKind::ExpiredSignature => TokenError::Expired,
            _ => TokenError::Invalid(e.to_string()),
        })
}

/// Whether a bearer credential has the shape of a JWT (three base64url
/// segments) rather than of an API key.
pub fn looks_like_jwt(credential: &str) -> bool {
    let mut parts = credential.split('.');
    let shaped = parts.by_ref().take(3).all(|p| {
        !p.is_empty()
            && p.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
    });
    shaped && credential.split('.').count() == 3
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret() -> JwtSecret {
        JwtSecret::new("0123456789abcdef0123456789abcdef").expect("secret")
    }

    fn now() -> u64 {
        jsonwebtoken::get_current_timestamp()
    }

    fn claims(exp: u64) -> Claims {
        Claims {
            sub: "user-1".into(),
            tid: "team-1".into(),
            jti: "session-1".into(),
            iat: now(),
            exp,
        }
    }

    fn b64(s: &str) -> String {
        base64_url_nopad(s.as_bytes())
    }

    // Minimal base64url without padding, so the tests need no extra crate.
    fn base64_url_nopad(input: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in input.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            let chars = chunk.len() + 1;
            for i in 0..chars {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    #[test]
    fn an_issued_token_verifies_to_its_claims() {
        let c = claims(now() + SESSION_TTL_SECS);
        let token = issue(&secret(), &c).expect("issue");
        assert!(looks_like_jwt(&token));
        assert_eq!(verify(&secret(), &token), Ok(c));
    }

    #[test]
    fn an_expired_token_is_reported_as_expired() {
        let token = issue(&secret(), &claims(now() - 3600)).expect("issue");
        assert_eq!(verify(&secret(), &token), Err(TokenError::Expired));
    }

    #[test]
    fn a_token_signed_with_another_secret_is_invalid() {
        let other = JwtSecret::new("another-secret-another-secret-!!").expect("secret");
        let token = issue(&other, &claims(now() + 60)).expect("issue");
        assert!(matches!(
            verify(&secret(), &token),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn a_token_with_alg_none_is_refused() {
        let header = b64(r#"{"alg":"none","typ":"JWT"}"#);
        let payload = b64(&format!(
            r#"{{"sub":"user-1","tid":"team-1","jti":"s","iat":1,"exp":{}}}"#,
            now() + 600
        ));
        for token in [
            format!("{header}.{payload}."),
            format!("{header}.{payload}.AAAA"),
        ] {
            assert!(
                matches!(verify(&secret(), &token), Err(TokenError::Invalid(_))),
                "{token}"
            );
        }
    }

    #[test]
    fn a_token_signed_hs512_with_our_secret_is_refused() {
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS512),
            &claims(now() + 60),
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .expect("encode");
        assert!(matches!(
            verify(&secret(), &token),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn a_token_without_exp_is_refused() {
        #[derive(Serialize)]
        struct NoExp<'a> {
            sub: &'a str,
            tid: &'a str,
            jti: &'a str,
        }
        let token = jsonwebtoken::encode(
            &Header::new(Algorithm::HS256),
            &NoExp {
                sub: "u",
                tid: "t",
                jti: "j",
            },
            &EncodingKey::from_secret(b"0123456789abcdef0123456789abcdef"),
        )
        .expect("encode");
        assert!(matches!(
            verify(&secret(), &token),
            Err(TokenError::Invalid(_))
        ));
    }

    #[test]
    fn garbage_is_invalid_not_a_panic() {
        for token in ["", "a", "a.b", "a.b.c", "....", "é.é.é"] {
            assert!(
                matches!(verify(&secret(), token), Err(TokenError::Invalid(_))),
                "{token}"
            );
        }
    }

    #[test]
    fn short_secrets_are_refused() {
        assert!(JwtSecret::new("short").is_err());
        assert!(JwtSecret::new(&"x".repeat(MIN_SECRET_LEN)).is_ok());
    }

    #[test]
    fn api_keys_do_not_look_like_jwts() {
        assert!(!looks_like_jwt("bcd_0123abcd"));
        assert!(looks_like_jwt("eyJh.eyJz.sig"));
        assert!(!looks_like_jwt("a.b.c.d"));
    }
}
