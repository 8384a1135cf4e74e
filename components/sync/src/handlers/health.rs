//! `GET /health/sync`: this component's own health check, the shared one of
//! `edge::health` (SQLite `default` and key-value `default`).

use edge::{ApiError, Ctx, Response};

/// `GET /health/sync`.
pub fn health(ctx: &mut Ctx) -> Result<Response, ApiError> {
    edge::health::handle(ctx, env!("CARGO_PKG_VERSION"))
}
