//! `GET /health/projects`: this component's own health check, the shared one of
//! `edge::health` (SQLite `default` and key-value `default`), so a
//! deployment serving only projects probes projects itself. `{status, timestamp,
//! version, checks}`, 503 if a backing store does not answer.

use edge::{ApiError, Ctx, Response};

/// `GET /health/projects`.
pub fn health(ctx: &mut Ctx) -> Result<Response, ApiError> {
    edge::health::handle(ctx, env!("CARGO_PKG_VERSION"))
}
