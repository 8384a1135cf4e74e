//! `GET /api/sync/:profileId`: the current session.

use edge::{ApiError, Ctx, Response, db};
use serde_json::json;
use sessions::{SessionData, blobs, store};

use super::{caller, none_match, not_found, profile_id};
use crate::config;

/// `{cookies, localStorage, hash, version, updatedAt}` with `ETag`;
/// `If-None-Match` naming the current hash -> 304. A profile nothing was
/// pushed to yet answers an empty session with `hash: null`.
pub fn pull(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "sync:read")?;
    let profile = profile_id(ctx)?;
    let config = config::load()?;
    let db = db::open()?;
    let Some(version) = store::current(&db, &caller.team_id, &profile)? else {
        if !store::profile_exists(&db, &caller.team_id, &profile)? {
            return Err(not_found());
        }
        let mut body = SessionData::empty().to_json();
        body["hash"] = json!(null);
        body["version"] = json!(null);
        body["updatedAt"] = json!(null);
        return Ok(Response::json(200, &body)?.with_header("cache-control", "private, no-cache"));
    };
    let etag = format!("\"{}\"", version.hash);
    if none_match(ctx, &version.hash) {
        return Ok(Response {
            status: 304,
            headers: vec![
                ("etag".into(), etag),
                ("cache-control".into(), "private, no-cache".into()),
            ],
            body: Vec::new(),
        });
    }
    let data = blobs::load(&version, config.max_session_bytes)?;
    let mut body = data.to_json();
    body["hash"] = json!(version.hash);
    body["version"] = json!(version.seq);
    body["updatedAt"] = json!(version.created_at);
    Ok(Response::json(200, &body)?
        .with_header("etag", etag)
        .with_header("cache-control", "private, no-cache"))
}
