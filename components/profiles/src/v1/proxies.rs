//! `/api/v1/proxies`: the dashboard's proxies page over the shared handlers
//! of `/api/proxies`. Its `type` is our `scheme`; credentials are never
//! shown (only a launch carries them). Country, city, status, latency and
//! the exit IP come with the proxy checks; until a proxy is checked its
//! `status` is `unchecked`.

use edge::v1::{self, PageNumber};
use edge::{ApiError, Ctx, Response};
use serde_json::{Map, Value, json};

use crate::handlers::proxies as shared;

/// A proxy view with the dashboard's names.
fn proxy(mut view: Value) -> Value {
    if let Some(o) = view.as_object_mut() {
        o.insert(
            "type".into(),
            o.get("scheme").cloned().unwrap_or(Value::Null),
        );
        o.insert(
            "hasPassword".into(),
            o.get("hasCredentials").cloned().unwrap_or(Value::Null),
        );
        for absent in [
            "username",
            "country",
            "city",
            "rotationUrl",
            "lastCheckedAt",
            "latency",
            "externalIp",
        ] {
            o.entry(absent).or_insert(Value::Null);
        }
        o.entry("tags").or_insert(json!([]));
        o.entry("status").or_insert(json!("unchecked"));
    }
    view
}

/// `type` -> `scheme`.
fn rewrite_body(ctx: &mut Ctx) -> Result<(), ApiError> {
    let mut body = ctx.json::<Map<String, Value>>()?;
    v1::rename_fields(&mut body, &[("type", "scheme")]);
    v1::set_body(ctx, &Value::Object(body))
}

/// `GET /api/v1/proxies?page&limit` -> `{items, proxies, total, page,
/// pageSize, totalPages}`.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let page = match PageNumber::take(ctx, 50, 100) {
        Ok(p) => p,
        Err(e) => return v1::answer(ctx, Err(e), Ok),
    };
    v1::run(ctx, shared::list, |mut body| {
        let total = body["total"].as_i64().unwrap_or(0);
        let items: Vec<Value> = match v1::take(&mut body, "proxies") {
            Value::Array(items) => items.into_iter().map(proxy).collect(),
            _ => Vec::new(),
        };
        let mut out = page.listed(items.clone(), total);
        out["proxies"] = Value::Array(items);
        Ok(out)
    })
}

/// `GET /api/v1/proxies/:id`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::get, |b| Ok(proxy(b)))
}

/// `POST /api/v1/proxies {name, type, host, port, username?, password?}`
/// -> 201 the proxy.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    if let Err(e) = rewrite_body(ctx) {
        return v1::answer(ctx, Err(e), Ok);
    }
    v1::run(ctx, shared::create, |b| Ok(proxy(b)))
}

/// `PATCH /api/v1/proxies/:id` -> the proxy and `message`.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    if let Err(e) = rewrite_body(ctx) {
        return v1::answer(ctx, Err(e), Ok);
    }
    v1::run(ctx, shared::update, |b| {
        let mut b = proxy(b);
        b["message"] = json!("Proxy updated successfully");
        Ok(b)
    })
}

/// `DELETE /api/v1/proxies/:id` -> `{id, message}`; 409 while profiles use
/// it (they would launch without it).
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::delete, |mut b| {
        b["message"] = json!("Proxy deleted successfully");
        Ok(b)
    })
}
