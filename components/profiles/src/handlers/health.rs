//! `GET /health/profiles`: this component's own health check, the shared one of
//! `edge::health` (SQLite `default` and key-value `default`), so a
//! deployment serving only profiles probes profiles itself. `{status, timestamp,
//! version, checks}`, 503 if a backing store does not answer.

use edge::{ApiError, Ctx, Response};

/// `GET /health/profiles`.
pub fn health(ctx: &mut Ctx) -> Result<Response, ApiError> {
    edge::health::handle(ctx, env!("CARGO_PKG_VERSION"))
}
