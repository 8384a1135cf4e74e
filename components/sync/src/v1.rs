//! The `/api/v1/sync` surface of the published multilogin.io clients over
//! this component's own handlers; only the wire differs (`edge::v1`).
//!
//! The desktop CLI pushes each part of a session as a JSON string
//! (`{cookies: JSON.stringify(page.cookies()), localStorage: "{…}"}`) and
//! holds the launch lock by its `X-Client-ID`, never by a token. The
//! Worker's `upload`, `download`, `status`, `DELETE` and `bulk-upload` are
//! the same push, pull and version list.

use edge::v1;
use edge::{ApiError, Ctx, FieldError, Response};
use serde_json::{Map, Value, json};

use crate::handlers::push::{self, Holding};
use crate::handlers::{pull, versions};

/// Every part a session may have, with its empty form.
const PARTS: [(&str, &str); 5] = [
    ("cookies", "[]"),
    ("localStorage", "{}"),
    ("sessionStorage", "{}"),
    ("indexedDB", "{}"),
    ("extensions", "[]"),
];

/// Most sessions one bulk upload carries (the Worker's cap).
const MAX_BULK: usize = 10;

/// `POST /api/v1/sync/:profileId` (and `/upload`) -> `{synced, skipped,
/// hash, version, size, …}`.
pub fn push(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = parse_strings(ctx).and_then(|()| push::push_as(ctx, Holding::ByClientId));
    v1::answer(ctx, result, Ok)
}

/// `GET /api/v1/sync/:profileId` -> the current session with each part as
/// a JSON string (what the CLI's `downloadSession` reads), `lastSync`.
pub fn pull(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, pull::pull, |mut body| {
        for (part, _) in PARTS {
            if let Some(value) = body.as_object_mut().and_then(|o| o.remove(part)) {
                let text = serde_json::to_string(&value)
                    .map_err(|e| ApiError::internal(format!("serializing {part}: {e}")))?;
                body[part] = Value::String(text);
            }
        }
        body["lastSync"] = body["updatedAt"].clone();
        Ok(body)
    })
}

/// `GET /api/v1/sync/:profileId/download` -> the session as values (the
/// Worker's SessionPayload, `uploadedAt`), or `null` before the first push.
pub fn download(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, pull::pull, |mut body| {
        if body["hash"].is_null() {
            return Ok(Value::Null);
        }
        body["uploadedAt"] = body["updatedAt"].clone();
        Ok(body)
    })
}

/// `GET /api/v1/sync/:profileId/status` -> `{hasData, size, lastModified
/// (ISO 8601), hash, version}` from the current version's row.
pub fn status(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::set_query(ctx, &[("limit".into(), "1".into())]);
    v1::run(ctx, versions::list, |body| {
        let Some(current) = body["versions"]
            .as_array()
            .and_then(|v| v.iter().find(|v| v["current"] == true))
        else {
            return Ok(json!({ "hasData": false }));
        };
        Ok(json!({
            "hasData": true,
            "size": current["size"],
            "lastModified": current["createdAt"].as_i64().map(edge::time::iso8601_ms),
            "hash": current["hash"],
            "version": current["version"],
        }))
    })
}

/// `DELETE /api/v1/sync/:profileId` -> the session emptied as a new
/// version (the earlier ones stay restorable), with the push's lock rules.
pub fn clear(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = v1::set_body(ctx, &json!({ "cookies": [], "localStorage": {} }))
        .and_then(|()| push::push_as(ctx, Holding::ByClientId));
    v1::answer(ctx, result, |mut b| {
        b["message"] = json!("Session data deleted");
        Ok(b)
    })
}

/// `POST /api/v1/sync/bulk-upload {sessions: [{profileId, data}] 1..10}` ->
/// `{results: [{profileId, success, error?, code?}], uploaded, failed}`:
/// each session pushed on its own, as one upload would be.
pub fn bulk_upload(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = (|| {
        platform_bindings::authenticate(ctx)?;
        let body: Map<String, Value> = ctx.json()?;
        let sessions = match body.get("sessions") {
            Some(Value::Array(s)) if !s.is_empty() && s.len() <= MAX_BULK => s.clone(),
            _ => {
                return Err(ApiError::invalid_input(vec![FieldError::new(
                    "sessions",
                    format!("must be a list of 1 to {MAX_BULK} {{profileId, data}}"),
                )]));
            }
        };
        let mut results = Vec::new();
        let (mut uploaded, mut failed) = (0, 0);
        for item in sessions {
            let profile = item["profileId"].as_str().unwrap_or_default().to_owned();
            ctx.set_param("profileId", profile.clone());
            let outcome = v1::set_body(ctx, &item["data"])
                .and_then(|()| parse_strings(ctx))
                .and_then(|()| push::push_as(ctx, Holding::ByClientId));
            let response = outcome.unwrap_or_else(|e| e.into_response(&ctx.request_id));
            let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
            if response.status == 200 {
                uploaded += 1;
                results.push(
                    json!({ "profileId": profile, "success": true, "version": body["version"] }),
                );
            } else {
                failed += 1;
                results.push(json!({
                    "profileId": profile, "success": false,
                    "error": body["message"], "code": body["code"],
                }));
            }
        }
        Response::json(
            200,
            &json!({ "results": results, "uploaded": uploaded, "failed": failed }),
        )
    })();
    v1::answer(ctx, result, Ok)
}

/// Replaces parts sent as JSON strings by their values (an empty string is
/// an empty part); 400 naming a string that is not JSON. A gzip body is
/// left as it is (the CLI never compresses; the shared push reads it).
fn parse_strings(ctx: &mut Ctx) -> Result<(), ApiError> {
    if ctx.header("content-encoding").is_some() {
        return Ok(());
    }
    let mut body: Map<String, Value> = ctx.json()?;
    let mut changed = false;
    for (part, empty) in PARTS {
        let Some(Value::String(text)) = body.get(part) else {
            continue;
        };
        let text = if text.trim().is_empty() { empty } else { text };
        let value: Value = serde_json::from_str(text).map_err(|e| {
            ApiError::invalid_input(vec![FieldError::new(
                part,
                format!("is a string that is not JSON: {e}"),
            )])
        })?;
        body.insert(part.to_owned(), value);
        changed = true;
    }
    if changed {
        v1::set_body(ctx, &Value::Object(body))?;
    }
    Ok(())
}
