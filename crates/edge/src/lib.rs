//! The HTTP edge shared by every BrowserCloud HTTP component.
//!
//! Everything here but [`spin`] is plain Rust with no Spin imports, so it is
//! unit-tested natively: a component's entry point converts Spin's request
//! with [`spin::handle`], which runs [`serve::serve`]:
//!
//! ```text
//! request id -> CORS (preflight answered here) -> body limit -> route table
//!   -> handler (Result<Response, ApiError>) -> one error mapping
//!   -> request id, security, CORS and rate-limit headers -> access log line
//! ```
//!
//! A component supplies only its route table and handlers:
//!
//! ```no_run
//! use edge::{ApiError, Ctx, Method, Response, Route, Router};
//!
//! fn health(_ctx: &mut Ctx) -> Result<Response, ApiError> {
//!     Response::json(200, &serde_json::json!({ "status": "healthy" }))
//! }
//!
//! static ROUTES: &[Route] = &[Route::new(Method::Get, "/health", health)];
//! static ROUTER: Router = Router::new(ROUTES);
//!
//! // #[spin_sdk::http_component]
//! fn handle(req: spin_sdk::http::Request) -> spin_sdk::http::Response {
//!     edge::spin::handle(req, &ROUTER)
//! }
//! ```

pub mod config;
pub mod cors;
pub mod db;
pub mod domain;
pub mod error;
pub mod health;
pub mod idempotency;
pub mod ids;
pub mod page;
pub mod rate_limit;
pub mod request;
pub mod response;
pub mod router;
pub mod serve;
pub mod spin;
pub mod time;
pub mod v1;

pub use cors::CorsPolicy;
pub use error::{ApiError, FieldError};
pub use rate_limit::RateLimit;
pub use request::{Ctx, Method, Request};
pub use response::Response;
pub use router::{Handler, Route, Router};
pub use serve::EdgeConfig;

/// Writes one log line to stderr, prefixed with the request id (Spin keeps
/// a component's stderr under `.spin/logs/`).
pub fn log(request_id: &str, message: impl std::fmt::Display) {
    eprintln!("[{request_id}] {message}");
}
