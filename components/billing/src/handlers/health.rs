//! `GET /health/billing`: this component's own health check, the shared one
//! of `edge::health` (SQLite `default` and key-value `default`), so a
//! deployment serving only billing probes billing itself.

use edge::{ApiError, Ctx, Response};

/// `GET /health/billing`.
pub fn health(ctx: &mut Ctx) -> Result<Response, ApiError> {
    edge::health::handle(ctx, env!("CARGO_PKG_VERSION"))
}
