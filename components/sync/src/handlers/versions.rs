//! `GET /api/sync/:profileId/versions` and `POST /api/sync/:profileId/restore`.

use edge::{ApiError, Ctx, FieldError, Response, db};
use serde_json::{Value, json};
use sessions::{blobs, payload, rules, store};

use super::{caller, client_id, not_found, preconditions, profile_id, writer};
use crate::config;

/// Most versions on one page.
const MAX_LIMIT: i64 = 100;

/// The kept versions, newest first: `{versions, total, limit, offset}`.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "sync:read")?;
    let profile = profile_id(ctx)?;
    let (limit, offset) = page(ctx)?;
    let db = db::open()?;
    if !store::profile_exists(&db, &caller.team_id, &profile)? {
        return Err(not_found());
    }
    let current = store::current(&db, &caller.team_id, &profile)?.map(|v| v.seq);
    let (versions, total) = store::list(&db, &caller.team_id, &profile, limit, offset)?;
    let versions: Vec<Value> = versions
        .iter()
        .map(|v| {
            json!({
                "version": v.seq,
                "hash": v.hash,
                "size": v.size,
                "storedSize": v.stored_size,
                "cookieCount": v.cookie_count,
                "localStorageCount": v.storage_count,
                "userId": v.user_id,
                "clientId": v.client_id,
                "restoredFrom": v.restored_from,
                "createdAt": v.created_at,
                "current": Some(v.seq) == current,
            })
        })
        .collect();
    Response::json(
        200,
        &json!({ "versions": versions, "total": total, "limit": limit, "offset": offset }),
    )
}

/// `{hash}` -> makes that kept version current again, as a new version
/// (`restoredFrom` names the one copied): `{restored, hash, version}`.
/// The same `If-Match` and lock rules as a push.
pub fn restore(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = writer(ctx, "sync:write")?;
    let profile = profile_id(ctx)?;
    let config = config::load()?;
    let pre = preconditions(ctx)?;
    let client = client_id(ctx)?;
    let body = ctx.json::<serde_json::Map<String, Value>>()?;
    let hash = match body.get("hash") {
        Some(Value::String(h)) if payload::is_hash(h) => h.clone(),
        _ => {
            return Err(ApiError::invalid_input(vec![FieldError::new(
                "hash",
                "is required: the 64-character hash of a kept version",
            )]));
        }
    };
    let team = caller.team_id.as_str();
    let db = db::open()?;
    let restored = db::transaction(&db, |db| {
        let now = edge::time::now_ms();
        let state = store::write_state(db, team, &profile)?.ok_or_else(not_found)?;
        let source = store::by_hash(db, team, &profile, &hash)?.ok_or_else(|| {
            ApiError::not_found(
                "version_not_found",
                "No kept version of this profile has that hash",
            )
        })?;
        rules::check(&state, &pre, now)?;
        if state.current_hash.as_deref() == Some(hash.as_str()) {
            return Ok(None);
        }
        let seq = store::insert(
            db,
            &store::NewVersion {
                team_id: team,
                profile_id: &profile,
                hash: &source.hash,
                blob_key: &source.blob_key,
                size: source.size,
                stored_size: source.stored_size,
                cookie_count: source.cookie_count,
                storage_count: source.storage_count,
                user_id: &caller.user_id,
                client_id: client.as_ref().map(|c| c.as_str()),
                restored_from: Some(source.seq),
                created_at: now,
            },
        )?;
        store::prune(db, team, &profile, config.versions_kept, now)?;
        db::audit(
            db,
            &db::AuditEntry {
                team_id: Some(team),
                user_id: Some(&caller.user_id),
                action: "sync.restore",
                target_type: "profile",
                target_id: &profile,
                details: json!({ "hash": hash, "version": seq, "restoredFrom": source.seq }),
                request_id: &ctx.request_id,
            },
        )?;
        Ok(Some(seq))
    })?;
    blobs::collect(&db, edge::time::now_ms(), &ctx.request_id);
    let current = store::current(&db, team, &profile)?.map(|v| v.seq);
    Ok(Response::json(
        200,
        &json!({ "restored": restored.is_some(), "hash": hash, "version": restored.or(current) }),
    )?
    .with_header("etag", format!("\"{hash}\"")))
}

/// `?limit=` (1..=100, default 20) and `?offset=`; 400 naming a bad one.
fn page(ctx: &Ctx) -> Result<(i64, i64), ApiError> {
    let mut errors = Vec::new();
    let mut read =
        |name: &str, default: i64, range: std::ops::RangeInclusive<i64>| match ctx.query(name) {
            None => default,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if range.contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        name,
                        format!(
                            "must be a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    ));
                    default
                }
            },
        };
    let limit = read("limit", 20, 1..=MAX_LIMIT);
    let offset = read("offset", 0, 0..=i64::from(i32::MAX));
    if errors.is_empty() {
        Ok((limit, offset))
    } else {
        Err(ApiError::invalid_input(errors))
    }
}
