//! The `sync` HTTP component: `/api/sync/:profileId` push and pull,
//! `/versions` and `/restore`, scoped to the caller's team.
//!
//! A push never loses a warmed session: the blob is written under a new
//! content-addressed key first and only then made current, in one SQLite
//! transaction that checks again that the profile is the team's, that
//! `If-Match` still holds and that no other client holds the launch lock
//! (unless the push carries that lock's fencing token). The shared crate
//! `sessions` holds the payload rules, gzip, SQL and blob naming; the
//! `profiles` component uses the same code to hand the session to a launch.

pub mod config;
pub mod handlers;
pub mod routes;
pub mod v1;

#[cfg(target_arch = "wasm32")]
#[allow(unsafe_code)]
mod entry {
    #[spin_sdk::http_component]
    fn handle(req: spin_sdk::http::Request) -> spin_sdk::http::Response {
        edge::spin::handle(req, &crate::routes::ROUTER)
    }
}
