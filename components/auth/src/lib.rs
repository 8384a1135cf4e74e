//! The `auth` HTTP component.
//!
//! Layers: this entry point -> [`routes`] (the table) -> [`handlers`] (one
//! module per resource) -> [`persistence`] (SQL as named constants, one
//! transaction per state change) -> [`models`] (rows and the JSON views).
//! Authentication goes through the `identity` component dependency
//! (`platform_bindings::authenticate`).

pub mod account_deletion;
pub mod handlers;
pub mod models;
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
