//! `POST /api/sync/:profileId`: push a session.

use edge::{ApiError, Ctx, Response, db};
use platform_bindings::{blob_error, blob_store};
use serde_json::{Value, json};
use sessions::{blobs, codec, payload, rules, store};

use super::{client_id, conflict, not_found, preconditions, profile_id, writer};
use crate::config;

/// `{cookies, localStorage, sessionStorage?, indexedDB?, extensions?,
/// clientHash?}` (optionally `Content-Encoding: gzip`) -> `{synced,
/// skipped, hash, version}` with `ETag`; a part over its bound is 413
/// `session_part_too_large` naming it.
///
/// Unchanged against the stored hash: `{synced: false, skipped: true}` and
/// nothing written. `If-Match` other than the current hash: 412 with the
/// current one. Another client's live lock without its `X-Lock-Token`: 409.
pub fn push(ctx: &mut Ctx) -> Result<Response, ApiError> {
    push_as(ctx, Holding::ByToken)
}

/// How the writer proves it holds the profile's launch lock.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Holding {
    /// By the lock's fencing token (`X-Lock-Token`).
    ByToken,
    /// By its `X-Client-ID` when it sends no token: the published clients'
    /// `/api/v1` routes, whose clients never see a token.
    ByClientId,
}

pub(crate) fn push_as(ctx: &mut Ctx, holding: Holding) -> Result<Response, ApiError> {
    let caller = writer(ctx, "sync:write")?;
    let profile = profile_id(ctx)?;
    let config = config::load()?;
    let mut pre = preconditions(ctx)?;
    let client = client_id(ctx)?;
    if holding == Holding::ByClientId {
        pre.lock_client = client.as_ref().map(|c| c.as_str().to_owned());
    }
    let body = decoded_json(ctx, config.max_session_bytes)?;
    let push = payload::parse_push(&body).map_err(ApiError::invalid_input)?;
    push.data
        .check_bounds()
        .map_err(|e| ApiError::too_large("session_part_too_large", e.to_string()))?;
    // Only the parsed session is needed from here on; a large push would otherwise hold
    // the raw body, its value tree and the session's at once.
    drop(body);
    ctx.request.body = Vec::new();
    let canonical = push.data.canonical_json();
    if canonical.len() > config.max_session_bytes {
        return Err(ApiError::PayloadTooLarge {
            limit: config.max_session_bytes,
        });
    }
    let hash = payload::sha256_hex(&canonical);
    let team = caller.team_id.as_str();

    let db = db::open()?;
    let client_str = client.as_ref().map(|c| c.as_str());
    let conflict =
        |e| conflict::announce(&db, &caller, &profile, client_str, &pre, e, &ctx.request_id);
    let state = store::write_state(&db, team, &profile)?.ok_or_else(not_found)?;
    rules::check(&state, &pre, edge::time::now_ms()).map_err(conflict)?;
    if state.current_hash.as_deref() == Some(hash.as_str()) {
        return skipped(&hash);
    }

    // The blob first, under a key no current version can be using for
    // other content; registered for collection in case we never commit.
    let key = blobs::key(&profile, &hash);
    let packed = codec::gzip(&canonical);
    store::queue(
        &db,
        &key,
        edge::time::now_ms().saturating_add(config.orphan_grace_ms),
    )?;
    blob_store::put(&key, &packed, blobs::CONTENT_TYPE).map_err(blob_error)?;

    let committed = db::transaction(&db, |db| {
        let now = edge::time::now_ms();
        let state = store::write_state(db, team, &profile)?.ok_or_else(not_found)?;
        rules::check(&state, &pre, now)?;
        if state.current_hash.as_deref() == Some(hash.as_str()) {
            // Another push of the same data won the race: nothing to do.
            return Ok(None);
        }
        let seq = store::insert(
            db,
            &store::NewVersion {
                team_id: team,
                profile_id: &profile,
                hash: &hash,
                blob_key: &key,
                size: len(canonical.len()),
                stored_size: len(packed.len()),
                cookie_count: len(push.data.cookies.len()),
                storage_count: len(push.data.local_storage.len()),
                user_id: &caller.user_id,
                client_id: client.as_ref().map(|c| c.as_str()),
                restored_from: None,
                created_at: now,
            },
        )?;
        store::unqueue(db, &key)?;
        store::prune(db, team, &profile, config.versions_kept, now)?;
        store::touch_profile(db, team, &profile, now)?;
        db::audit(
            db,
            &db::AuditEntry {
                team_id: Some(team),
                user_id: Some(&caller.user_id),
                action: "sync.push",
                target_type: "profile",
                target_id: &profile,
                details: json!({
                    "hash": hash,
                    "version": seq,
                    "size": canonical.len(),
                    "clientId": client.as_ref().map(|c| c.as_str()),
                }),
                request_id: &ctx.request_id,
            },
        )?;
        Ok(Some(seq))
    })
    .map_err(conflict)?;
    blobs::collect(&db, edge::time::now_ms(), &ctx.request_id);
    match committed {
        None => skipped(&hash),
        Some(seq) => Ok(Response::json(
            200,
            &json!({
                "synced": true,
                "skipped": false,
                "hash": hash,
                "version": seq,
                "size": canonical.len(),
                "storedSize": packed.len(),
            }),
        )?
        .with_header("etag", format!("\"{hash}\""))),
    }
}

fn skipped(hash: &str) -> Result<Response, ApiError> {
    Ok(Response::json(
        200,
        &json!({ "synced": false, "skipped": true, "hash": hash }),
    )?
    .with_header("etag", format!("\"{hash}\"")))
}

fn len(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// The body as a JSON value, un-gzipped first when it says
/// `Content-Encoding: gzip` (bounded: a bomb stops at the limit, 413).
/// The compressed size was already bounded by the edge (`max_body_bytes`).
pub(crate) fn decoded_json(ctx: &mut Ctx, limit: usize) -> Result<Value, ApiError> {
    match ctx
        .header("content-encoding")
        .map(|e| e.trim().to_ascii_lowercase())
    {
        None => {}
        Some(e) if e.is_empty() || e == "identity" => {}
        Some(e) if e == "gzip" || e == "x-gzip" => {
            let plain = codec::gunzip(&ctx.request.body, limit).map_err(|e| match e {
                codec::GunzipError::TooLarge(limit) => ApiError::PayloadTooLarge { limit },
                codec::GunzipError::Corrupt(why) => ApiError::bad_request(
                    "malformed_gzip",
                    format!("The body says Content-Encoding: gzip but is not gzip: {why}"),
                ),
            })?;
            ctx.request.body = plain;
        }
        Some(other) => {
            return Err(ApiError::UnsupportedMediaType {
                message: format!("Content-Encoding {other:?} is not supported; send gzip or none"),
            });
        }
    }
    if ctx.request.body.len() > limit {
        return Err(ApiError::PayloadTooLarge { limit });
    }
    ctx.json::<Value>()
}
