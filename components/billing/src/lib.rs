//! The `billing` HTTP component: a team's plan (free / pro / team), its
//! limits and usage, and the Stripe webhook that changes the plan.
//!
//! Layers: this entry point -> [`routes`] (the table) -> [`handlers`]
//! (`GET /api/billing`, `POST /webhooks/stripe`, the health check) ->
//! [`stripe`] (the event and subscription shapes and what a subscription
//! means for the plan; pure and unit-tested) -> [`persistence`] (SQL as
//! named constants; one transaction per event, with its audit entry).
//! The plans' limits are the one table of `crates/plans`; signatures are
//! checked by `crates/webhook-signature`; variables in [`config`].
//! Authentication (for `/api/billing` only; the webhook proves itself with
//! its signature) goes through the `identity` dependency.

pub mod config;
pub mod handlers;
pub mod persistence;
pub mod routes;
pub mod stripe;

/// Spin's entry point: everything else happens in the edge and the handlers.
/// `#[http_component]` generates the `wasi:http/incoming-handler` export
/// glue, which is `unsafe` by nature; it stays inside this module. (Only
/// for wasm: a native build, for unit tests, has nothing to export.)
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod entry {
    #[spin_sdk::http_component]
    fn handle(req: spin_sdk::http::Request) -> spin_sdk::http::Response {
        edge::spin::handle(req, &crate::routes::ROUTER)
    }
}
