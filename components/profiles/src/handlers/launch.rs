//! `POST /api/profiles/:id/launch`, `/heartbeat`, `/release`: the launch
//! lock, through the `locks` component dependency. Every call is scoped to
//! the caller's team and the `X-Client-ID` (400 without it).

use edge::domain::ClientId;
use edge::request::percent_encode;
use edge::{ApiError, Ctx, Response, db};
use platform_bindings::{LockError, Principal, locks};
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
    let caller = launcher(ctx)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = required_client_id(ctx)?;
    launch_as(ctx, &caller, &id, &client)
}

/// The caller, allowed to launch (members and above).
pub(crate) fn launcher(ctx: &mut Ctx) -> Result<Principal, ApiError> {
    allowed(ctx, "profiles:write", Permission::Launch)
}

/// The launch of profile `id` for `client`, once the caller is known.
pub(crate) fn launch_as(
    ctx: &Ctx,
    caller: &Principal,
    id: &str,
    client: &ClientId,
) -> Result<Response, ApiError> {
    let lease = match locks::acquire(
        &platform_bindings::lock_actor(caller, &ctx.request_id),
        id,
        client.as_str(),
    ) {
        Ok(lease) => lease,
        Err(e) => return lock_refusal(e, &ctx.request_id),
    };
    let db = db::open()?;
    store::record_launch(&db, &caller.team_id, id)?;
    webhooks::deliver::after_commit(&db, &caller.team_id, &lease.deliveries, &ctx.request_id);
    let profile = store::require(&db, &caller.team_id, id)?;
    let proxy = launch_proxy(&db, &profile)?;
    // The same code as GET /api/sync/:id (crates/sessions).
    let session =
        sessions::blobs::load_current(&db, &caller.team_id, id, config::max_session_bytes()?)?;
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
            percent_encode(&c.username),
            percent_encode(&c.password)
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

/// The lock token: header `X-Lock-Token`, or `{"token": n}` in the body.
pub(crate) fn lock_token(ctx: &Ctx) -> Result<u64, ApiError> {
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
    let caller = launcher(ctx)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = required_client_id(ctx)?;
    let token = lock_token(ctx)?;
    heartbeat_as(ctx, &caller, &id, &client, Some(token))
}

/// The heartbeat of `client`'s lock; no token: by client id alone.
pub(crate) fn heartbeat_as(
    ctx: &Ctx,
    caller: &Principal,
    id: &str,
    client: &ClientId,
    token: Option<u64>,
) -> Result<Response, ApiError> {
    match locks::heartbeat(
        &platform_bindings::lock_actor(caller, &ctx.request_id),
        id,
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
    let caller = launcher(ctx)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = required_client_id(ctx)?;
    let token = lock_token(ctx)?;
    match release_as(ctx, &caller, &id, &client, Some(token))? {
        Ok(()) => Response::json(200, &json!({ "success": true })),
        Err(e) => lock_refusal(e, &ctx.request_id),
    }
}

/// Releases `client`'s lock (no token: by client id alone) and attempts
/// the webhook deliveries it enqueued; a refusal comes back as it came.
pub(crate) fn release_as(
    ctx: &Ctx,
    caller: &Principal,
    id: &str,
    client: &ClientId,
    token: Option<u64>,
) -> Result<Result<(), LockError>, ApiError> {
    match locks::release(
        &platform_bindings::lock_actor(caller, &ctx.request_id),
        id,
        client.as_str(),
        token,
    ) {
        Ok(deliveries) => {
            let db = db::open()?;
            webhooks::deliver::after_commit(&db, &caller.team_id, &deliveries, &ctx.request_id);
            Ok(Ok(()))
        }
        Err(e) => Ok(Err(e)),
    }
}
