//! `POST /api/sync/:profileId`: any JSON body either is refused naming fields or becomes a
//! session whose canonical JSON reads back to the same session and the same bytes (so its
//! SHA-256, the skip-if-unchanged key, is stable).
#![no_main]

use libfuzzer_sys::fuzz_target;
use sessions::payload::{SessionData, parse_push, sha256_hex};

fuzz_target!(|data: &[u8]| {
    let Ok(body) = serde_json::from_slice::<serde_json::Value>(data) else {
        return;
    };
    let Ok(push) = parse_push(&body) else {
        return;
    };
    let canonical = push.data.canonical_json();
    let back = SessionData::from_canonical(&canonical)
        .unwrap_or_else(|e| panic!("canonical JSON does not read back: {e}"));
    assert_eq!(
        back.canonical_json(),
        canonical,
        "canonicalisation is idempotent"
    );
    assert_eq!(sha256_hex(&back.canonical_json()), sha256_hex(&canonical));
    // The API's own JSON of the session pushes back as the same session.
    let again = parse_push(&back.to_json()).expect("the answered JSON is a valid push");
    assert_eq!(again.data.canonical_json(), canonical);
});
