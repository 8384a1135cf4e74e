//! The `locks` library component: exports `browser-cloud:locks/locks`
//! (see `wit/deps/locks/locks.wit`) and has no HTTP route. Spin plugs it into each
//! HTTP component that imports the interface (`[component.X.dependencies]`),
//! with the parent's SQLite database and variables inherited
//! (`dependencies_inherit_configuration = true`).
//!
//! Layers: [`rules`] holds the lock rules as pure functions (time-to-live,
//! heartbeat interval, who may take or force-release a lock; unit-tested),
//! [`store`] runs them as single SQL statements on the table
//! `profile_locks` (migrations/0002_profiles.sql), [`config`] reads
//! `lock_ttl`.
//!
//! Why this is safe with many processes: `acquire` is one `INSERT … ON
//! CONFLICT DO UPDATE … WHERE <free, same client or stale>` statement, so
//! SQLite serialises competing acquires and exactly one of them changes the
//! row (it runs in a write transaction after a read of the row, so a refusal
//! names the holder it lost to and a takeover names the stale holder it
//! replaced); heartbeat and release are single `UPDATE`s conditioned on the
//! holder's client id *and* fencing token. Nothing is kept in memory
//! between calls.

pub mod config;
pub mod events;
pub mod rules;
pub mod store;

/// Export-side bindings of the `lock-provider` world. The ABI glue that
/// wit-bindgen generates is `unsafe` by nature; it stays inside this module.
#[allow(unsafe_code)]
mod bindings {
    wit_bindgen::generate!({
        world: "lock-provider",
        path: "../../wit",
        // the interfaces live in packages of their own under wit/deps
        generate_all,
        additional_derives: [PartialEq, Eq],
    });

    // Only for wasm: a native build, for unit tests, has nothing to export.
    #[cfg(target_arch = "wasm32")]
    use super::Provider;
    #[cfg(target_arch = "wasm32")]
    export!(Provider with_types_in self);
}

pub use bindings::exports::browser_cloud::locks::locks;

use locks::{ActiveLocks, Actor, Guest, Holder, Lease, LockError};

/// The component's implementation of `locks`.
pub struct Provider;

impl Guest for Provider {
    fn acquire(actor: Actor, profile_id: String, client_id: String) -> Result<Lease, LockError> {
        logged(&actor.request_id, || {
            store::acquire(&actor, &profile_id, &client_id)
        })
    }

    fn heartbeat(
        actor: Actor,
        profile_id: String,
        client_id: String,
        token: Option<u64>,
    ) -> Result<Lease, LockError> {
        logged(&actor.request_id, || {
            store::heartbeat(&actor, &profile_id, &client_id, token)
        })
    }

    fn release(
        actor: Actor,
        profile_id: String,
        client_id: String,
        token: Option<u64>,
    ) -> Result<Vec<String>, LockError> {
        logged(&actor.request_id, || {
            store::release(&actor, &profile_id, &client_id, token)
        })
    }

    fn force_release(actor: Actor, profile_id: String) -> Result<Holder, LockError> {
        logged(&actor.request_id, || {
            store::force_release(&actor, &profile_id)
        })
    }

    fn active(team_id: String, limit: u32, offset: u32) -> Result<ActiveLocks, LockError> {
        logged("-", || store::active(&team_id, limit, offset))
    }
}

/// Runs a call; internal failures are logged here with the caller's request
/// id (and returned for the caller's log).
fn logged<T>(
    request_id: &str,
    call: impl FnOnce() -> Result<T, LockError>,
) -> Result<T, LockError> {
    let result = call();
    if let Err(LockError::Internal(detail)) = &result {
        edge::log(request_id, format!("locks: {detail}"));
    }
    result
}
