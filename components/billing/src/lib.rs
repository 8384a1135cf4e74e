//! The `billing` HTTP component: a team's plan (free / pro / team), its
//! limits and usage, and the Stripe webhook that changes the plan.
//!
//! Layers: this entry point -> [`routes`] (the table) -> [`handlers`]
//! (`GET /api/billing`, the owner's `POST /api/billing/checkout` and
//! `/portal`, `POST /webhooks/stripe`, the health check) -> [`input`] (the
//! owner's bodies, checked) and [`stripe`] (the event and subscription
//! shapes and what a subscription means for the plan; pure and unit-tested)
//! -> [`stripe_api`] (Checkout and Customer Portal sessions over outbound
//! HTTP, [`form`]-encoded, bounded by `crates/outbound-http`) and
//! [`persistence`] (SQL as named constants; one transaction per event, with
//! its audit entry; an audit entry per session created).
//! The plans' limits are the one table of `crates/plans`; signatures are
//! checked by `crates/webhook-signature`; variables in [`config`].
//! Authentication (for `/api/billing*`; the webhook proves itself with its
//! signature) goes through the `identity` dependency.

pub mod config;
pub mod form;
pub mod handlers;
pub mod input;
pub mod persistence;
pub mod routes;
pub mod stripe;
pub mod stripe_api;

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
