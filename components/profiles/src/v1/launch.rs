//! `POST /api/v1/profiles/:id/launch`, `/heartbeat`, `/stop` and `/release`:
//! the launch lock as the published clients hold it, by client id (they
//! never see a fencing token; one that sends `X-Lock-Token` is fenced).

use edge::v1;
use edge::{ApiError, Ctx, Response};
use platform_bindings::LockError;
use serde_json::{Value, json};

use crate::handlers::launch as shared;
use crate::handlers::{lock_refusal, row_id};
use crate::persistence::profiles as store;

/// -> `{profile: {…, fingerprint, proxy: {protocol, host, port, username,
/// password}}, sessionData: {cookies: "<JSON>", localStorage: "<JSON>"},
/// lock, sessionHash}`: the session parts as the JSON strings the CLI
/// parses (`JSON.parse(sessionData.cookies)`).
pub fn launch(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = (|| {
        let caller = shared::launcher(ctx)?;
        let id = row_id(ctx, "id", store::not_found)?;
        let client = super::client(ctx, &caller)?;
        shared::launch_as(ctx, &caller, &id, &client)
    })();
    v1::answer(ctx, result, |mut body| {
        let proxy = v1::take(&mut body, "proxy");
        let mut profile = super::profile(v1::take(&mut body, "profile"));
        profile["proxy"] = if proxy.is_null() {
            Value::Null
        } else {
            json!({
                "id": proxy["id"],
                "protocol": proxy["scheme"],
                "host": proxy["host"],
                "port": proxy["port"],
                "username": proxy["username"],
                "password": proxy["password"],
                "url": proxy["url"],
            })
        };
        body["profile"] = profile;
        body["sessionData"] = session_strings(v1::take(&mut body, "sessionData"))?;
        Ok(body)
    })
}

/// Each part of a session as a JSON string.
fn session_strings(session: Value) -> Result<Value, ApiError> {
    let Value::Object(parts) = session else {
        return Ok(Value::Null);
    };
    let mut out = serde_json::Map::new();
    for (name, part) in parts {
        let text = serde_json::to_string(&part)
            .map_err(|e| ApiError::internal(format!("serializing {name}: {e}")))?;
        out.insert(name, Value::String(text));
    }
    Ok(Value::Object(out))
}

/// -> `{success, lock}`; the CLI sends it every 60 s with no body.
pub fn heartbeat(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = (|| {
        let caller = shared::launcher(ctx)?;
        let id = row_id(ctx, "id", store::not_found)?;
        let client = super::client(ctx, &caller)?;
        let token = super::token(ctx)?;
        shared::heartbeat_as(ctx, &caller, &id, &client, token)
    })();
    v1::answer(ctx, result, Ok)
}

/// `/stop` (the CLI) and `/release` (the dashboard) -> `{released,
/// message}`. Idempotent: a lock this client no longer holds (released
/// before, by an earlier stop) answers as the first stop did; a lock held
/// by another client is 409.
pub fn stop(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = (|| {
        let caller = shared::launcher(ctx)?;
        let id = row_id(ctx, "id", store::not_found)?;
        let client = super::client(ctx, &caller)?;
        let token = super::token(ctx)?;
        match shared::release_as(ctx, &caller, &id, &client, token)? {
            Ok(()) => released(true),
            Err(LockError::NotHolder(None)) => released(false),
            Err(e) => lock_refusal(e, &ctx.request_id),
        }
    })();
    v1::answer(ctx, result, Ok)
}

fn released(now: bool) -> Result<Response, ApiError> {
    Response::json(
        200,
        &json!({
            "success": true,
            "released": now,
            "message": if now { "Profile lock released" } else { "Profile was not locked" },
        }),
    )
}
