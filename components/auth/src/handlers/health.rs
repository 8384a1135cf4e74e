//! `GET /health`: the shared check of `edge::health` (SQLite `default` and
//! key-value `default`): `{status, timestamp, version, checks}`, 503 if a
//! backing store does not answer.

use edge::{ApiError, Ctx, Response};

/// `GET /health`.
pub fn health(ctx: &mut Ctx) -> Result<Response, ApiError> {
    edge::health::handle(ctx, env!("CARGO_PKG_VERSION"))
}
