//! `Idempotency-Key` on the POST routes that create things: a client that
//! retries a create after a lost response sends the same key and gets the
//! first response back instead of a second object.
//!
//! ```text
//! no header                          -> the handler runs as always
//! key not 1..=255 printable ASCII    -> 400 invalid_idempotency_key
//! first use of (scope, key)          -> claimed, handler runs; a 2xx is stored, anything else frees the key
//! same key, first request in flight  -> 409 idempotency_request_in_progress
//! same key, another method/path/body -> 422 idempotency_key_reused
//! same key, same request             -> the stored status, Content-Type and body + `Idempotent-Replayed: true`
//! ```
//!
//! The scope is the caller (`<team id>:<user id>`), so keys of different
//! callers never meet. A key lives `idempotency_ttl` (default 24 h) from its
//! first use, then is free again. Only successful responses are stored (as
//! Stripe does, a request that failed validation or conflicted may be
//! retried with the same key once fixed). The claim is one conditional SQL
//! statement, so two processes cannot both run the handler for one key; a
//! request that dies in flight frees its key after [`IN_FLIGHT_MS`]. A
//! stored body is sealed (`crates/sealing`, a key derived from `jwt_secret`,
//! the scope and key as associated data): a create's response may carry a
//! new API key or webhook secret.
//!
//! Not atomic with the handler's own transaction: if the process dies after
//! the handler committed and before the response is stored, a retry after
//! the claim lapsed runs the handler again.

use sha2::{Digest, Sha256};

use crate::db::{self, Connection, Value};
use crate::error::ApiError;
use crate::request::Ctx;
use crate::response::Response;

/// The request header.
pub const HEADER: &str = "idempotency-key";
/// The response header on a replay.
pub const REPLAYED_HEADER: &str = "idempotent-replayed";
/// Variable: how long a key is remembered (`24h`, `86400`, `30m`).
pub const VAR_TTL: &str = "idempotency_ttl";
/// A day, when the variable is unset or empty.
pub const DEFAULT_TTL_MS: i64 = 24 * 3_600_000;
/// How long a claim holds while its request is in flight.
pub const IN_FLIGHT_MS: i64 = 120_000;
/// Longest key accepted.
pub const MAX_KEY_LEN: usize = 255;

/// Claims the key unless a live row holds it. A row whose key expired is
/// replaced; so is a lapsed in-flight claim of the same request (its
/// request died). ?1 scope ?2 key ?3 hash ?4 claim ?5 now ?6 locked_until ?7 expires_at.
const CLAIM: &str = "\
    INSERT INTO idempotency_keys (scope, idem_key, request_hash, claim, status, content_type, body, locked_until, created_at, expires_at) \
    VALUES (?1, ?2, ?3, ?4, NULL, NULL, NULL, ?6, ?5, ?7) \
    ON CONFLICT (scope, idem_key) DO UPDATE SET \
        request_hash = excluded.request_hash, claim = excluded.claim, status = NULL, content_type = NULL, \
        body = NULL, locked_until = excluded.locked_until, created_at = excluded.created_at, expires_at = excluded.expires_at \
    WHERE idempotency_keys.expires_at <= excluded.created_at \
       OR (idempotency_keys.status IS NULL AND idempotency_keys.locked_until <= excluded.created_at \
           AND idempotency_keys.request_hash = excluded.request_hash) \
    RETURNING claim";
const SELECT: &str = "\
    SELECT request_hash, status, content_type, body, locked_until FROM idempotency_keys \
    WHERE scope = ? AND idem_key = ?";
const STORE: &str = "\
    UPDATE idempotency_keys SET status = ?, content_type = ?, body = ? \
    WHERE scope = ? AND idem_key = ? AND claim = ? AND status IS NULL";
const RELEASE: &str = "DELETE FROM idempotency_keys WHERE scope = ? AND idem_key = ? AND claim = ? AND status IS NULL";
const DELETE_EXPIRED: &str = "\
    DELETE FROM idempotency_keys WHERE rowid IN \
    (SELECT rowid FROM idempotency_keys WHERE expires_at <= ? LIMIT 50)";

/// Whether a header value can be a key: 1 to 255 printable ASCII characters.
pub fn is_valid_key(key: &str) -> bool {
    (1..=MAX_KEY_LEN).contains(&key.len()) && key.bytes().all(|b| (0x20..=0x7e).contains(&b))
}

/// SHA-256 hex of what makes two requests the same one.
pub fn request_hash(method: &str, path: &str, query: &str, body: &[u8]) -> String {
    let mut h = Sha256::new();
    for part in [method.as_bytes(), path.as_bytes(), query.as_bytes()] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part);
    }
    h.update(body);
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// A row found when the claim did not succeed.
#[derive(Debug, Clone, PartialEq)]
pub struct Stored {
    pub request_hash: String,
    /// `None` while the first request is in flight.
    pub status: Option<u16>,
    pub content_type: Option<String>,
    pub body: Vec<u8>,
    pub locked_until: i64,
}

/// What to answer for a key that is already taken.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    Replay(Response),
    Refuse(ApiError),
    /// The row went away between the claim and the read: claim again.
    Retry,
}

/// Decides for a taken key: in flight -> 409, another request -> 422,
/// otherwise the stored response.
pub fn decide(stored: Option<Stored>, hash: &str) -> Outcome {
    let Some(stored) = stored else {
        return Outcome::Retry;
    };
    let Some(status) = stored.status else {
        return Outcome::Refuse(ApiError::conflict(
            "idempotency_request_in_progress",
            "A request with this Idempotency-Key is still being processed; retry when it has finished",
        ));
    };
    if stored.request_hash != hash {
        return Outcome::Refuse(ApiError::Validation {
            code: "idempotency_key_reused",
            message: "This Idempotency-Key was used for another request (method, path or body); use a new key".into(),
            details: Vec::new(),
        });
    }
    let mut response = Response {
        status,
        headers: Vec::new(),
        body: stored.body,
    };
    if let Some(ct) = stored.content_type {
        response.set_header("content-type", ct);
    }
    response.set_header(REPLAYED_HEADER, "true");
    Outcome::Replay(response)
}

/// Runs `handler` at most once per `(scope, Idempotency-Key)` (see the
/// module docs). `scope` names the caller; call this after authenticating.
pub fn once(
    ctx: &mut Ctx,
    scope: &str,
    handler: impl FnOnce(&mut Ctx) -> Result<Response, ApiError>,
) -> Result<Response, ApiError> {
    let Some(key) = ctx.header(HEADER).map(str::to_owned) else {
        return handler(ctx);
    };
    if !is_valid_key(&key) {
        return Err(ApiError::bad_request(
            "invalid_idempotency_key",
            format!("Idempotency-Key must be 1 to {MAX_KEY_LEN} printable ASCII characters"),
        ));
    }
    let hash = request_hash(
        ctx.request.method.as_str(),
        &ctx.request.path,
        &ctx.request.query,
        &ctx.request.body,
    );
    let ttl = crate::config::duration_ms(VAR_TTL, DEFAULT_TTL_MS)?;
    let claim = crate::ids::new_id()?;
    let db = db::open()?;
    let mut claimed = false;
    for _ in 0..3 {
        if try_claim(&db, scope, &key, &hash, &claim, ttl)? {
            claimed = true;
            break;
        }
        match decide(read(&db, scope, &key)?, &hash) {
            Outcome::Replay(mut r) => {
                r.body = open(&format!("{scope}\n{key}"), &r.body)?;
                return Ok(r);
            }
            Outcome::Refuse(e) => return Err(e),
            Outcome::Retry => {}
        }
    }
    if !claimed {
        return Err(ApiError::internal(
            "idempotency key neither claimed nor found",
        ));
    }
    let result = handler(ctx);
    let aad = format!("{scope}\n{key}");
    let params = [
        Value::Text(scope.to_owned()),
        Value::Text(key),
        Value::Text(claim),
    ];
    match &result {
        Ok(r) if (200..300).contains(&r.status) => {
            let stored = seal(&aad, &r.body).and_then(|sealed| {
                db::execute(
                    &db,
                    "storing idempotent response",
                    STORE,
                    &[
                        Value::Integer(i64::from(r.status)),
                        db::nullable_text(r.header("content-type")),
                        Value::Text(sealed),
                        params[0].clone(),
                        params[1].clone(),
                        params[2].clone(),
                    ],
                )
                .map_err(ApiError::from)
            });
            if let Err(e) = stored {
                // The object exists; a retry with this key runs again once the claim lapses.
                ctx.log(format!("idempotency: storing the response: {e:?}"));
            }
        }
        _ => {
            if let Err(e) = db::execute(&db, "freeing idempotency key", RELEASE, &params) {
                ctx.log(format!("idempotency: {e}"));
            }
        }
    }
    result
}

fn keys() -> Result<sealing::Keys, ApiError> {
    let jwt = crate::spin::variable("jwt_secret").map_err(ApiError::internal)?;
    sealing::Keys::from_secrets(sealing::IDEMPOTENT_RESPONSES, None, jwt.as_deref())
        .map_err(|e| ApiError::internal(format!("idempotency keys: {e}")))
}

fn seal(aad: &str, body: &[u8]) -> Result<String, ApiError> {
    sealing::seal(&keys()?, aad, body).map_err(ApiError::internal)
}

fn open(aad: &str, sealed: &[u8]) -> Result<Vec<u8>, ApiError> {
    let sealed = std::str::from_utf8(sealed)
        .map_err(|_| ApiError::internal("stored response is not sealed text"))?;
    sealing::open(&keys()?, aad, sealed).map_err(ApiError::internal)
}

fn try_claim(
    db: &Connection,
    scope: &str,
    key: &str,
    hash: &str,
    claim: &str,
    ttl: i64,
) -> Result<bool, ApiError> {
    let now = crate::time::now_ms();
    db::execute(
        db,
        "deleting expired idempotency keys",
        DELETE_EXPIRED,
        &[Value::Integer(now)],
    )?;
    let result = db::execute(
        db,
        "claiming idempotency key",
        CLAIM,
        &[
            Value::Text(scope.to_owned()),
            Value::Text(key.to_owned()),
            Value::Text(hash.to_owned()),
            Value::Text(claim.to_owned()),
            Value::Integer(now),
            Value::Integer(now.saturating_add(IN_FLIGHT_MS)),
            Value::Integer(now.saturating_add(ttl)),
        ],
    )?;
    Ok(!result.rows.is_empty())
}

fn read(db: &Connection, scope: &str, key: &str) -> Result<Option<Stored>, ApiError> {
    let result = db::execute(
        db,
        "reading idempotency key",
        SELECT,
        &[Value::Text(scope.to_owned()), Value::Text(key.to_owned())],
    )?;
    let Some(row) = result.rows.first() else {
        return Ok(None);
    };
    let status = db::opt_int(row, 1, "idempotency_keys.status")?
        .map(|s| u16::try_from(s).map_err(|_| ApiError::internal("stored status out of range")))
        .transpose()?;
    let body = match row.values.get(3) {
        Some(Value::Blob(b)) => b.clone(),
        Some(Value::Text(t)) => t.clone().into_bytes(),
        _ => Vec::new(),
    };
    Ok(Some(Stored {
        request_hash: db::text(row, 0, "idempotency_keys.request_hash")?,
        status,
        content_type: db::opt_text(row, 2, "idempotency_keys.content_type")?,
        body,
        locked_until: db::int(row, 4, "idempotency_keys.locked_until")?,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn stored(status: Option<u16>, hash: &str) -> Stored {
        Stored {
            request_hash: hash.into(),
            status,
            content_type: Some("application/json; charset=utf-8".into()),
            body: br#"{"id":"x"}"#.to_vec(),
            locked_until: 0,
        }
    }

    #[test]
    fn keys_are_1_to_255_printable_ascii() {
        assert!(is_valid_key("a"));
        assert!(is_valid_key("order 42 / retry #1 ~"));
        assert!(is_valid_key(&"k".repeat(255)));
        for bad in ["", "tab\there", "new\nline", "é", "\u{7f}"] {
            assert!(!is_valid_key(bad), "{bad:?}");
        }
        assert!(!is_valid_key(&"k".repeat(256)));
    }

    #[test]
    fn the_hash_covers_method_path_query_and_body_without_ambiguity() {
        let base = request_hash("POST", "/api/groups", "", b"{}");
        assert_eq!(base, request_hash("POST", "/api/groups", "", b"{}"));
        assert_eq!(base.len(), 64);
        assert_ne!(base, request_hash("PUT", "/api/groups", "", b"{}"));
        assert_ne!(base, request_hash("POST", "/api/proxies", "", b"{}"));
        assert_ne!(base, request_hash("POST", "/api/groups", "a=1", b"{}"));
        assert_ne!(base, request_hash("POST", "/api/groups", "", b"{ }"));
        assert_ne!(
            request_hash("POST", "/a", "b", b""),
            request_hash("POST", "/ab", "", b"")
        );
    }

    #[test]
    fn a_stored_response_is_replayed_with_the_header() {
        match decide(Some(stored(Some(201), "h")), "h") {
            Outcome::Replay(r) => {
                assert_eq!(r.status, 201);
                assert_eq!(r.body, br#"{"id":"x"}"#);
                assert_eq!(r.header("idempotent-replayed"), Some("true"));
                assert_eq!(
                    r.header("content-type"),
                    Some("application/json; charset=utf-8")
                );
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn another_request_is_422_and_one_in_flight_409() {
        match decide(Some(stored(Some(201), "h")), "other") {
            Outcome::Refuse(e) => {
                assert_eq!(e.status(), 422);
                assert_eq!(e.code(), "idempotency_key_reused");
            }
            other => panic!("{other:?}"),
        }
        match decide(Some(stored(None, "h")), "h") {
            Outcome::Refuse(e) => {
                assert_eq!(e.status(), 409);
                assert_eq!(e.code(), "idempotency_request_in_progress");
            }
            other => panic!("{other:?}"),
        }
        assert_eq!(decide(None, "h"), Outcome::Retry);
    }
}
