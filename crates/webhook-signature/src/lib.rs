//! Webhook signatures the way Stripe makes them.
//!
//! ```text
//! Stripe-Signature: t=1700000000,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd[,v1=…]
//! ```
//!
//! `t` is the signing time in unix seconds; each `v1` is the lowercase hex
//! HMAC-SHA256, keyed with the endpoint's signing secret (the whole
//! `whsec_…` string, as bytes), of `"{t}.{raw body}"`. Stripe sends one `v1`
//! per active secret, so while a secret is being rolled a request carries
//! two; any one of them matching is enough. Other schemes (`v0`, test-mode
//! leftovers, future ones) are ignored.
//!
//! [`verify`] checks a header against a raw body: every `v1` against every
//! secret we hold, each comparison in constant time (`hmac`'s
//! `verify_slice`), then the timestamp against a tolerance in both
//! directions (a captured request cannot be replayed later, a clock far
//! ahead is refused too). [`sign`] and [`header`] make signatures (tests,
//! and outbound webhooks signed the same way).

use hmac::{Hmac, Mac};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

/// How far the signing time may be from now: Stripe's libraries' default.
pub const DEFAULT_TOLERANCE_SECS: u64 = 300;

/// Longest header read; a real one is about 150 bytes per secret.
const MAX_HEADER_BYTES: usize = 4096;

/// Why a signature is refused. [`SignatureError::code`] is the API's error
/// code; the `Display` text may be shown to the sender.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SignatureError {
    /// No secret to verify with (not configured).
    NoSecret,
    /// The header cannot be read; the text says why.
    Malformed(String),
    /// The header has no `v1` signature.
    NoSignature,
    /// No `v1` value is the signature of this body at this time under any
    /// of our secrets (wrong secret, tampered body or timestamp).
    Mismatch,
    /// The signature is valid but `t` is too far from now.
    OutsideTolerance { age_secs: i64, tolerance_secs: u64 },
}

impl SignatureError {
    /// The machine-readable code.
    pub fn code(&self) -> &'static str {
        match self {
            SignatureError::NoSecret => "webhook_not_configured",
            SignatureError::Malformed(_) => "malformed_signature",
            SignatureError::NoSignature => "missing_signature",
            SignatureError::Mismatch => "invalid_signature",
            SignatureError::OutsideTolerance { .. } => "signature_expired",
        }
    }
}

impl std::fmt::Display for SignatureError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            SignatureError::NoSecret => f.write_str("No webhook signing secret is configured"),
            SignatureError::Malformed(why) => write!(f, "The signature header is malformed: {why}"),
            SignatureError::NoSignature => f.write_str("The signature header has no v1 signature"),
            SignatureError::Mismatch => {
                f.write_str("No signature matches the body and timestamp under the signing secret")
            }
            SignatureError::OutsideTolerance {
                age_secs,
                tolerance_secs,
            } => write!(
                f,
                "The signature timestamp is {} s {} now; at most {tolerance_secs} s are accepted",
                age_secs.unsigned_abs(),
                if *age_secs >= 0 { "before" } else { "after" }
            ),
        }
    }
}

impl std::error::Error for SignatureError {}

/// A parsed signature header.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureHeader {
    /// `t`: when it was signed, unix seconds.
    pub timestamp: i64,
    /// Every `v1` value, decoded; values that are not 64 hex digits are left
    /// out (they could never match).
    pub v1: Vec<[u8; 32]>,
}

/// Reads `t=…,v1=…[,v1=…]`: exactly one `t` (a whole number of seconds),
/// at least one `v1`; other schemes are skipped.
pub fn parse(header: &str) -> Result<SignatureHeader, SignatureError> {
    if header.len() > MAX_HEADER_BYTES {
        return Err(SignatureError::Malformed(format!(
            "longer than {MAX_HEADER_BYTES} bytes"
        )));
    }
    let mut timestamp = None;
    let mut v1 = Vec::new();
    let mut v1_seen = false;
    for item in header.split(',') {
        let item = item.trim();
        if item.is_empty() {
            continue;
        }
        let Some((key, value)) = item.split_once('=') else {
            return Err(SignatureError::Malformed(format!(
                "{item:?} is not key=value"
            )));
        };
        match key.trim() {
            "t" => {
                let value = value.trim();
                if timestamp.is_some() {
                    return Err(SignatureError::Malformed("more than one t".into()));
                }
                if value.is_empty()
                    || value.len() > 18
                    || !value.bytes().all(|b| b.is_ascii_digit())
                {
                    return Err(SignatureError::Malformed(format!(
                        "t={value:?} is not unix seconds"
                    )));
                }
                timestamp = Some(
                    value
                        .parse::<i64>()
                        .map_err(|e| SignatureError::Malformed(format!("t: {e}")))?,
                );
            }
            "v1" => {
                v1_seen = true;
                let mut digest = [0u8; 32];
                if hex::decode_to_slice(value.trim(), &mut digest).is_ok() {
                    v1.push(digest);
                }
            }
            _ => {}
        }
    }
    let Some(timestamp) = timestamp else {
        return Err(SignatureError::Malformed("no t=<timestamp>".into()));
    };
    if !v1_seen {
        return Err(SignatureError::NoSignature);
    }
    Ok(SignatureHeader { timestamp, v1 })
}

fn mac(secret: &[u8], timestamp: i64, payload: &[u8]) -> HmacSha256 {
    #[allow(clippy::expect_used)]
    let mut mac = HmacSha256::new_from_slice(secret).expect("HMAC takes a key of any length");
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(payload);
    mac
}

/// The `v1` signature of `payload` signed at `timestamp` with `secret`.
pub fn sign(secret: &[u8], timestamp: i64, payload: &[u8]) -> [u8; 32] {
    mac(secret, timestamp, payload)
        .finalize()
        .into_bytes()
        .into()
}

/// A whole header value: `t={timestamp},v1={hex}`.
pub fn header(secret: &[u8], timestamp: i64, payload: &[u8]) -> String {
    format!(
        "t={timestamp},v1={}",
        hex::encode(sign(secret, timestamp, payload))
    )
}

/// Verifies `header` for the raw `payload`: some `v1` must be the signature
/// under some secret of `secrets` (constant-time comparisons), and `t` must
/// be within `tolerance_secs` of `now_secs` (either side). Returns `t`.
pub fn verify(
    header: &str,
    payload: &[u8],
    secrets: &[&[u8]],
    now_secs: i64,
    tolerance_secs: u64,
) -> Result<i64, SignatureError> {
    if secrets.is_empty() || secrets.iter().all(|s| s.is_empty()) {
        return Err(SignatureError::NoSecret);
    }
    let parsed = parse(header)?;
    let matched = secrets.iter().filter(|s| !s.is_empty()).any(|secret| {
        let expected = mac(secret, parsed.timestamp, payload);
        // Every candidate is compared (no early exit on the first
        // mismatch), each in constant time.
        parsed.v1.iter().fold(false, |found, candidate| {
            expected.clone().verify_slice(candidate).is_ok() | found
        })
    });
    if !matched {
        return Err(SignatureError::Mismatch);
    }
    let age_secs = now_secs.saturating_sub(parsed.timestamp);
    if age_secs.unsigned_abs() > tolerance_secs {
        return Err(SignatureError::OutsideTolerance {
            age_secs,
            tolerance_secs,
        });
    }
    Ok(parsed.timestamp)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &[u8] = b"whsec_test_0123456789abcdef";
    const OTHER: &[u8] = b"whsec_other_fedcba9876543210";
    const BODY: &[u8] = br#"{"id":"evt_1","type":"customer.subscription.created"}"#;
    const NOW: i64 = 1_700_000_000;

    #[test]
    fn a_known_vector_matches_hmac_sha256_over_t_dot_body() {
        // HMAC-SHA256(key "secret", "1.{}") computed independently
        // (printf '1.{}' | openssl dgst -sha256 -hmac secret).
        assert_eq!(
            hex::encode(sign(b"secret", 1, b"{}")),
            "1122767b193110cfec322b6f199b599edbf608ed087f2d27afb0b97d99523908"
        );
    }

    #[test]
    fn a_header_made_by_header_verifies() {
        let h = header(SECRET, NOW, BODY);
        assert!(h.starts_with(&format!("t={NOW},v1=")), "{h}");
        assert_eq!(verify(&h, BODY, &[SECRET], NOW, 300), Ok(NOW));
        assert_eq!(verify(&h, BODY, &[SECRET], NOW + 300, 300), Ok(NOW));
        assert_eq!(verify(&h, BODY, &[SECRET], NOW - 300, 300), Ok(NOW));
    }

    #[test]
    fn an_old_or_future_timestamp_is_refused_after_the_signature_matched() {
        let h = header(SECRET, NOW, BODY);
        assert_eq!(
            verify(&h, BODY, &[SECRET], NOW + 301, 300),
            Err(SignatureError::OutsideTolerance {
                age_secs: 301,
                tolerance_secs: 300
            })
        );
        let e = verify(&h, BODY, &[SECRET], NOW - 301, 300).expect_err("future");
        assert_eq!(e.code(), "signature_expired");
        assert!(e.to_string().contains("after now"), "{e}");
    }

    #[test]
    fn a_tampered_body_or_timestamp_or_another_secret_is_a_mismatch() {
        let h = header(SECRET, NOW, BODY);
        let tampered = br#"{"id":"evt_1","type":"customer.subscription.deleted"}"#;
        assert_eq!(
            verify(&h, tampered, &[SECRET], NOW, 300),
            Err(SignatureError::Mismatch)
        );
        let moved = h.replace(&format!("t={NOW}"), &format!("t={}", NOW + 1));
        assert_eq!(
            verify(&moved, BODY, &[SECRET], NOW, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&h, BODY, &[OTHER], NOW, 300),
            Err(SignatureError::Mismatch)
        );
        assert_eq!(
            verify(&h, BODY, &[SECRET], NOW, 300).map_err(|e| e.code()),
            Ok(NOW)
        );
    }

    #[test]
    fn any_of_several_v1_values_and_any_of_several_secrets_is_enough() {
        let good = hex::encode(sign(SECRET, NOW, BODY));
        let stale = hex::encode(sign(OTHER, NOW, BODY));
        // Stripe rolling its secret: two v1, one per secret, in any order.
        for h in [
            format!("t={NOW},v1={stale},v1={good}"),
            format!("t={NOW},v1={good},v1={stale}"),
            format!("v1={good}, t={NOW}, v0=abc"),
        ] {
            assert_eq!(verify(&h, BODY, &[SECRET], NOW, 300), Ok(NOW), "{h}");
        }
        // We rolling ours: the old and the new secret both verify.
        let h = format!("t={NOW},v1={stale}");
        assert_eq!(verify(&h, BODY, &[SECRET, OTHER], NOW, 300), Ok(NOW));
        assert_eq!(
            verify(&h, BODY, &[SECRET], NOW, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn headers_are_parsed_strictly_where_it_matters() {
        let v = "a".repeat(64);
        let parsed = parse(&format!("t=12,v1={v},v1=nothex,v0=00")).expect("parses");
        assert_eq!(parsed.timestamp, 12);
        assert_eq!(parsed.v1, vec![[0xaa; 32]]);
        for (bad, code) in [
            ("", "malformed_signature"),
            ("garbage", "malformed_signature"),
            (&format!("v1={v}") as &str, "malformed_signature"),
            (&format!("t=-5,v1={v}"), "malformed_signature"),
            (&format!("t=1.5,v1={v}"), "malformed_signature"),
            (&format!("t=1,t=2,v1={v}"), "malformed_signature"),
            ("t=1", "missing_signature"),
            ("t=1,v0=abcd", "missing_signature"),
        ] {
            assert_eq!(parse(bad).map_err(|e| e.code()), Err(code), "{bad:?}");
        }
        let long = format!("t=1,{}", "v1=00,".repeat(1000));
        assert_eq!(
            parse(&long).map_err(|e| e.code()),
            Err("malformed_signature")
        );
        // A v1 that is not hex parses but can never match.
        assert_eq!(
            verify("t=1,v1=zz", BODY, &[SECRET], 1, 300),
            Err(SignatureError::Mismatch)
        );
    }

    #[test]
    fn no_secret_refuses_everything() {
        let h = header(b"", NOW, BODY);
        assert_eq!(
            verify(&h, BODY, &[], NOW, 300),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(
            verify(&h, BODY, &[b""], NOW, 300),
            Err(SignatureError::NoSecret)
        );
        assert_eq!(SignatureError::NoSecret.code(), "webhook_not_configured");
    }
}
