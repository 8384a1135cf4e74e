//! The `captures` HTTP component: the QA extension's screenshot captures.
//! The image bytes go to the blob store (the `blob-store` component
//! dependency, `wit/deps/blobs/blobs.wit`); the metadata and the DOM snapshot to
//! SQLite. Everything is scoped to the calling user (another user's ids
//! answer 404).
//!
//! Layers: this entry point -> [`routes`] (the table) -> [`handlers`] (one
//! module per concern) -> [`domain`] (input types: data URLs, magic bytes,
//! fields; pure and unit-tested) -> [`persistence`] (SQL as named constants,
//! one transaction per state change with its audit entry) and [`blobs`]
//! (the blob store, and removing the images of deleted rows) -> [`models`]
//! (the row and its JSON view). Authentication goes through the `identity`
//! dependency (`platform_bindings::authenticate`): `X-Api-Key: bgx_…` and
//! session tokens both work. Limits come from Spin variables ([`config`]),
//! the body limit among them: this component's own, larger than
//! `max_body_bytes`.

pub mod blobs;
pub mod config;
pub mod domain;
pub mod handlers;
pub mod models;
pub mod persistence;
pub mod routes;

/// Spin's entry point: everything else happens in the edge and the handlers.
/// `#[http_component]` generates the `wasi:http/incoming-handler` export
/// glue, which is `unsafe` by nature; it stays inside this module. (Only
/// for wasm: a native build, for unit tests, has nothing to export.)
#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod entry {
    #[spin_sdk::http_component]
    fn handle(req: spin_sdk::http::Request) -> spin_sdk::http::Response {
        edge::spin::handle_with(req, &crate::routes::ROUTER, crate::config::configure)
    }
}
