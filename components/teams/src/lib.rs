//! The `teams` HTTP component: teams and roles, invitations, the team
//! audit log over REST, and the team's outbound webhooks (`/api/webhooks`,
//! delivered by `crates/webhooks`).
//!
//! Layers: this entry point -> [`routes`] (the table) -> [`handlers`] (one
//! module per resource) -> [`persistence`] (SQL as named constants, one
//! transaction per state change, each with its audit entry) -> [`models`]
//! (rows and the JSON views). [`permissions`] is the one role -> permission
//! table. Authentication goes through the `identity` component dependency
//! (`platform_bindings::authenticate`).

pub mod config;
pub mod handlers;
pub mod models;
pub mod permissions;
pub mod persistence;
pub mod routes;
pub mod v1;

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
