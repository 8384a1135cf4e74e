//! `GET /health/captures`: this component's own health check, the shared one
//! of `edge::health` (SQLite `default` and key-value `default`), so a
//! deployment serving only captures probes captures itself. `{status,
//! timestamp, version, checks}`, 503 if a backing store does not answer.

use edge::{ApiError, Ctx, Response};

/// `GET /health/captures`.
pub fn health(ctx: &mut Ctx) -> Result<Response, ApiError> {
    edge::health::handle(ctx, env!("CARGO_PKG_VERSION"))
}
