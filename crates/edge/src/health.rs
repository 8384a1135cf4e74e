//! The health check every HTTP component serves (`GET /health` in auth,
//! `GET /health/<component>` in the others): `{status, timestamp, version,
//! checks}`, 503 if a backing store does not answer. Failures are logged with
//! the request id; the body only says which check failed.
//!
//! [`handle`] calls Spin's host (SQLite `default`, key-value `default`);
//! [`report`] builds the answer from the checks' results and is plain Rust.

use std::time::Instant;

use serde_json::{Value, json};

use crate::{ApiError, Ctx, Response, db};

/// One check's outcome: its status and how long it took.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    pub ok: bool,
    pub latency_ms: u128,
}

impl Check {
    fn to_json(&self) -> Value {
        json!({
            "status": if self.ok { "ok" } else { "error" },
            "latencyMs": self.latency_ms,
        })
    }
}

/// The status code and body for these check results: 200 and `healthy` when
/// every check passed, 503 and `unhealthy` otherwise.
pub fn report(sqlite: &Check, key_value: &Check, version: &str, timestamp: i64) -> (u16, Value) {
    let healthy = sqlite.ok && key_value.ok;
    (
        if healthy { 200 } else { 503 },
        json!({
            "status": if healthy { "healthy" } else { "unhealthy" },
            "timestamp": timestamp,
            "version": version,
            "checks": { "sqlite": sqlite.to_json(), "keyValue": key_value.to_json() },
        }),
    )
}

/// Checks SQLite `default` (`SELECT 1`) and key-value `default` (one
/// `exists`) and answers with [`report`]. `version` is the component's
/// crate version, reported as the API version.
pub fn handle(ctx: &mut Ctx, version: &str) -> Result<Response, ApiError> {
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
    let (status, body) = report(&sqlite, &key_value, version, crate::time::now_ms());
    Response::json(status, &body)
}

fn check(ctx: &Ctx, name: &str, probe: impl FnOnce() -> Result<(), String>) -> Check {
    let started = Instant::now();
    let result = probe();
    let latency_ms = started.elapsed().as_millis();
    if let Err(e) = &result {
        ctx.log(format!("health check {name} failed: {e}"));
    }
    Check {
        ok: result.is_ok(),
        latency_ms,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: Check = Check {
        ok: true,
        latency_ms: 1,
    };
    const DOWN: Check = Check {
        ok: false,
        latency_ms: 7,
    };

    #[test]
    fn healthy_when_every_check_passes() {
        let (status, body) = report(&OK, &OK, "1.2.3", 42);
        assert_eq!(status, 200);
        assert_eq!(
            body,
            json!({
                "status": "healthy",
                "timestamp": 42,
                "version": "1.2.3",
                "checks": {
                    "sqlite": { "status": "ok", "latencyMs": 1 },
                    "keyValue": { "status": "ok", "latencyMs": 1 },
                },
            })
        );
    }

    #[test]
    fn unhealthy_and_503_when_one_check_fails() {
        for (sqlite, key_value) in [(&DOWN, &OK), (&OK, &DOWN), (&DOWN, &DOWN)] {
            let (status, body) = report(sqlite, key_value, "1.2.3", 42);
            assert_eq!(status, 503);
            assert_eq!(body["status"], "unhealthy");
        }
        let (_, body) = report(&DOWN, &OK, "1.2.3", 42);
        assert_eq!(
            body["checks"]["sqlite"],
            json!({ "status": "error", "latencyMs": 7 })
        );
        assert_eq!(body["checks"]["keyValue"]["status"], "ok");
    }
}
