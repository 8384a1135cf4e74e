//! `GET /health`: `{status, timestamp, version, checks}`, 503 if a backing
//! store does not answer. Failures are logged with the request id; the body
//! only says which check failed.

use std::time::Instant;

use edge::{ApiError, Ctx, Response, db};
use serde_json::{Value, json};

/// The crate version, reported as the API version.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// `GET /health`.
pub fn health(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let sqlite = check(ctx, "sqlite", || {
        let db = db::open().map_err(|e| e.to_string())?;
        db::execute(&db, "health check", "SELECT 1", &[]).map_err(|e| e.to_string())?;
        Ok(())
    });
    let key_value = check(ctx, "key-value", || {
        let store = spin_sdk::key_value::Store::open_default().map_err(|e| e.to_string())?;
        store.exists("health:probe").map_err(|e| e.to_string())?;
        Ok(())
    });
    let healthy = sqlite["status"] == "ok" && key_value["status"] == "ok";
    Response::json(
        if healthy { 200 } else { 503 },
        &json!({
            "status": if healthy { "healthy" } else { "unhealthy" },
            "timestamp": edge::time::now_ms(),
            "version": VERSION,
            "checks": { "sqlite": sqlite, "keyValue": key_value },
        }),
    )
}

fn check(ctx: &Ctx, name: &str, probe: impl FnOnce() -> Result<(), String>) -> Value {
    let started = Instant::now();
    let result = probe();
    let latency_ms = started.elapsed().as_millis();
    match result {
        Ok(()) => json!({ "status": "ok", "latencyMs": latency_ms }),
        Err(e) => {
            ctx.log(format!("health check {name} failed: {e}"));
            json!({ "status": "error", "latencyMs": latency_ms })
        }
    }
}
