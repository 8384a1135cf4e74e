//! Just enough JWT for the tests: read a token's parts and sign HS256, the way an attacker
//! holding the secret (or a test forging an expired token) would.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

pub fn b64url(input: &[u8]) -> String {
    URL_SAFE_NO_PAD.encode(input)
}

fn part(token: &str, index: usize) -> Value {
    let segment = token.split('.').nth(index).expect("token segment");
    let bytes = URL_SAFE_NO_PAD.decode(segment).expect("base64url segment");
    serde_json::from_slice(&bytes).expect("JSON segment")
}

pub fn header(token: &str) -> Value {
    part(token, 0)
}

pub fn claims(token: &str) -> Value {
    part(token, 1)
}

pub fn sign_hs256(claims: &Value, secret: &[u8]) -> String {
    let signing_input = format!(
        "{}.{}",
        b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
        b64url(claims.to_string().as_bytes())
    );
    let mut mac = Hmac::<Sha256>::new_from_slice(secret).expect("HMAC takes any key length");
    mac.update(signing_input.as_bytes());
    format!("{signing_input}.{}", b64url(&mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_tokens_read_back() {
        let token = sign_hs256(&serde_json::json!({ "sub": "u" }), b"secret");
        assert_eq!(header(&token)["alg"], "HS256");
        assert_eq!(claims(&token)["sub"], "u");
        // An HMAC-SHA256 signature is 32 bytes: 43 base64url characters without padding.
        assert_eq!(token.rsplit('.').next().map(str::len), Some(43));
    }
}
