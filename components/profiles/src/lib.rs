//! The `profiles` HTTP component: the desktop client's browser profiles
//! (seed 000's `/api/profiles`), their launch lock (through the `locks`
//! component dependency), groups, tags, proxies with sealed credentials,
//! fingerprint templates and the fingerprint consistency check. Everything
//! is scoped to the caller's team; another team's ids answer 404.
//!
//! Layers: this entry point -> [`routes`] (the table) -> [`handlers`] (one
//! module per resource) -> [`domain`] (input types, fingerprints, proxy
//! addresses, sealing; pure and unit-tested) -> [`persistence`] (SQL as
//! named constants, one transaction per state change with its audit entry)
//! -> [`models`] (rows and the JSON views). Authentication goes through the
//! `identity` dependency (`platform_bindings::authenticate`), locks through
//! the `locks` dependency; limits come from Spin variables ([`config`]).

pub mod config;
pub mod domain;
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
