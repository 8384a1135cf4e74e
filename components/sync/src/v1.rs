//! The `/api/v1/sync` surface of the published multilogin.io clients over
//! this component's own handlers; only the wire differs (`edge::v1`).
//!
//! The desktop CLI pushes each part of a session as a JSON string
//! (`{cookies: JSON.stringify(page.cookies()), localStorage: "{…}"}`) and
//! holds the launch lock by its `X-Client-ID`, never by a token.

use edge::v1;
use edge::{ApiError, Ctx, Response};
use serde_json::{Map, Value};

use crate::handlers::pull;
use crate::handlers::push::{self, Holding};

/// `POST /api/v1/sync/:profileId` -> `{synced, skipped, hash, version, …}`.
pub fn push(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = parse_strings(ctx).and_then(|()| push::push_as(ctx, Holding::ByClientId));
    v1::answer(ctx, result, Ok)
}

/// `GET /api/v1/sync/:profileId` -> the current session with each part as
/// a JSON string (what the CLI's `downloadSession` reads), `lastSync`.
pub fn pull(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, pull::pull, |mut body| {
        for part in ["cookies", "localStorage"] {
            let value = v1::take(&mut body, part);
            let text = serde_json::to_string(&value)
                .map_err(|e| ApiError::internal(format!("serializing {part}: {e}")))?;
            body[part] = Value::String(text);
        }
        body["lastSync"] = body["updatedAt"].clone();
        Ok(body)
    })
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
    for (part, empty) in [("cookies", "[]"), ("localStorage", "{}")] {
        let Some(Value::String(text)) = body.get(part) else {
            continue;
        };
        let text = if text.trim().is_empty() { empty } else { text };
        let value: Value = serde_json::from_str(text).map_err(|e| {
            ApiError::invalid_input(vec![edge::FieldError::new(
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
