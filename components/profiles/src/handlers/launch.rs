//! `POST /api/profiles/:id/launch`, `/heartbeat`, `/release`: the launch
//! lock, through the `locks` component dependency. Every call is scoped to
//! the caller's team and the `X-Client-ID` (400 without it).

use edge::{ApiError, Ctx, Response, db};
use platform_bindings::locks;
use serde_json::{Value, json};

use super::{allowed, lock_refusal, required_client_id, row_id};
use crate::config;
use crate::handlers::profiles::own_proxy_aad;
use crate::handlers::proxies::{open_credentials, proxy_aad};
use crate::models::Profile;
use crate::persistence::{profiles as store, proxies};
use roles::Permission;

/// `POST /api/profiles/:id/launch` (header `X-Client-ID`) -> `{profile,
/// sessionData, lock: {token, expiresAt, heartbeatIntervalMs, ...}, proxy}`.
/// 409 naming the holder when another client holds a live lock.
pub fn launch(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Launch)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = required_client_id(ctx)?;
    let lease = match locks::acquire(
        &platform_bindings::lock_actor(&caller, &ctx.request_id),
        &id,
        client.as_str(),
    ) {
        Ok(lease) => lease,
        Err(e) => return lock_refusal(e, &ctx.request_id),
    };
    let db = db::open()?;
    store::record_launch(&db, &caller.team_id, &id)?;
    webhooks::deliver::after_commit(&db, &caller.team_id, &lease.deliveries, &ctx.request_id);
    let profile = store::require(&db, &caller.team_id, &id)?;
    let proxy = launch_proxy(&db, &profile)?;
    // The same code as GET /api/sync/:id (crates/sessions).
    let session =
        sessions::blobs::load_current(&db, &caller.team_id, &id, config::max_session_bytes()?)?;
    let (session_data, session_hash) = match session {
        Some((version, data)) => (data.to_json(), Some(version.hash)),
        None => (sessions::SessionData::empty().to_json(), None),
    };
    Response::json(
        200,
        &json!({
            "profile": profile.view(edge::time::now_ms()),
            "sessionData": session_data,
            // Send it back as If-Match when pushing this session's changes.
            "sessionHash": session_hash,
            "lockAcquired": true,
            "lock": {
                "token": lease.token,
                "clientId": lease.client_id,
                "acquiredAt": lease.acquired_at,
                "expiresAt": lease.expires_at,
                "heartbeatIntervalMs": lease.heartbeat_interval_ms,
                "renewed": lease.renewed,
            },
            "proxy": proxy,
        }),
    )
}

/// The profile's proxy with its credentials in clear: only the launch
/// response ever carries them.
fn launch_proxy(db: &db::Connection, profile: &Profile) -> Result<Value, ApiError> {
    let (scheme, host, port, sealed, aad) = if let Some(proxy_id) = &profile.proxy_id {
        let p = proxies::get(db, &profile.team_id, proxy_id)?;
        let aad = proxy_aad(&profile.team_id, &p.id);
        (p.scheme, p.host, p.port, p.credentials, aad)
    } else if let Some(own) = &profile.own_proxy {
        (
            own.scheme.clone(),
            own.host.clone(),
            own.port,
            own.credentials.clone(),
            own_proxy_aad(&profile.team_id, &profile.id),
        )
    } else {
        return Ok(Value::Null);
    };
    let credentials = match sealed {
        None => None,
        Some(sealed) => {
            let keys = config::seal_keys()?;
            Some(open_credentials(&keys, &aad, &sealed)?)
        }
    };
    let host_in_url = if host.contains(':') {
        format!("[{host}]")
    } else {
        host.clone()
    };
    let url = match &credentials {
        Some(c) => format!(
            "{scheme}://{}:{}@{host_in_url}:{port}",
            encode(&c.username),
            encode(&c.password)
        ),
        None => format!("{scheme}://{host_in_url}:{port}"),
    };
    Ok(json!({
        "id": profile.proxy_id,
        "scheme": scheme,
        "host": host,
        "port": port,
        "username": credentials.as_ref().map(|c| c.username.clone()),
        "password": credentials.as_ref().map(|c| c.password.clone()),
        "url": url,
    }))
}

/// Percent-encodes a URL userinfo part.
fn encode(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// The lock token: header `X-Lock-Token`, or `{"token": n}` in the body.
fn lock_token(ctx: &Ctx) -> Result<u64, ApiError> {
    let bad = || {
        ApiError::bad_request(
            "invalid_lock_token",
            "The lock token must be a whole number",
        )
    };
    if let Some(raw) = ctx.header("x-lock-token") {
        return raw.trim().parse::<u64>().map_err(|_| bad());
    }
    if ctx.request.body.iter().all(u8::is_ascii_whitespace) {
        return Err(ApiError::bad_request(
            "lock_token_required",
            "Send the lock token from the launch response as {\"token\": n} or X-Lock-Token",
        ));
    }
    let body = super::body(ctx)?;
    match body.get("token") {
        Some(Value::Number(n)) => n.as_u64().ok_or_else(bad),
        Some(Value::String(s)) => s.trim().parse::<u64>().map_err(|_| bad()),
        Some(_) => Err(bad()),
        None => Err(ApiError::bad_request(
            "lock_token_required",
            "Send the lock token from the launch response as {\"token\": n} or X-Lock-Token",
        )),
    }
}

/// `POST /api/profiles/:id/heartbeat` (`X-Client-ID`, token) -> `{success,
/// lock}`; 409 with a wrong client or token, 404 for another team's profile.
pub fn heartbeat(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Launch)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = required_client_id(ctx)?;
    let token = lock_token(ctx)?;
    match locks::heartbeat(
        &platform_bindings::lock_actor(&caller, &ctx.request_id),
        &id,
        client.as_str(),
        token,
    ) {
        Ok(lease) => Response::json(
            200,
            &json!({
                "success": true,
                "lock": {
                    "token": lease.token,
                    "clientId": lease.client_id,
                    "acquiredAt": lease.acquired_at,
                    "expiresAt": lease.expires_at,
                    "heartbeatIntervalMs": lease.heartbeat_interval_ms,
                },
            }),
        ),
        Err(e) => lock_refusal(e, &ctx.request_id),
    }
}

/// `POST /api/profiles/:id/release` (`X-Client-ID`, token) -> `{success}`;
/// audited as `profile.release`.
pub fn release(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Launch)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = required_client_id(ctx)?;
    let token = lock_token(ctx)?;
    let deliveries = match locks::release(
        &platform_bindings::lock_actor(&caller, &ctx.request_id),
        &id,
        client.as_str(),
        token,
    ) {
        Ok(deliveries) => deliveries,
        Err(e) => return lock_refusal(e, &ctx.request_id),
    };
    let db = db::open()?;
    webhooks::deliver::after_commit(&db, &caller.team_id, &deliveries, &ctx.request_id);
    Response::json(200, &json!({ "success": true }))
}
