//! What one request's `Store` holds: WASI contexts, the resource table, and the component's
//! grants (databases, stores, variables, outbound hosts).

use crate::outbound::AllowedHosts;
use crate::stores::{Pool, Stores};
use crate::variables::ComponentVariables;
use rusqlite::Connection;
use std::collections::HashSet;
use std::sync::Arc;
use wasmtime::component::ResourceTable;
use wasmtime::{ResourceLimiter, StoreLimits};
use wasmtime_wasi::{WasiCtx, WasiCtxView, WasiView};
use wasmtime_wasi_http::{WasiHttpCtx, WasiHttpCtxView, WasiHttpView};

/// Everything a component was granted in the manifest, resolved at start-up.
pub struct Grants {
    pub component_id: String,
    pub databases: HashSet<String>,
    pub key_value_stores: HashSet<String>,
    pub variables: ComponentVariables,
    pub outbound: AllowedHosts,
    pub stores: Arc<Stores>,
}

/// A SQLite connection checked out of its pool for the life of a guest resource.
pub struct SqliteConn {
    pub pool: Arc<Pool>,
    pub conn: Option<Connection>,
}

impl Drop for SqliteConn {
    fn drop(&mut self) {
        if let Some(conn) = self.conn.take() {
            self.pool.put(conn);
        }
    }
}

pub struct SqliteConnV3(pub SqliteConn);

/// An open key-value store: its pool and the store label (the `store` column).
#[derive(Clone)]
pub struct KvStore {
    pub pool: Arc<Pool>,
    pub label: String,
}

/// A `wasi:keyvalue/store.bucket`: the same store behind the WASI interface.
pub struct KvBucket(pub KvStore);

/// A `wasi:keyvalue/atomics.cas` handle: the value read by `current`, compared on `swap`.
pub struct KvCas {
    pub store: KvStore,
    pub key: String,
    pub seen: Option<Option<Vec<u8>>>,
}

pub struct Hooks {
    pub grants: Arc<Grants>,
}

pub struct RequestState {
    pub wasi: WasiCtx,
    pub http: WasiHttpCtx,
    pub table: ResourceTable,
    pub hooks: Hooks,
    pub grants: Arc<Grants>,
    pub limits: StoreLimits,
}

impl RequestState {
    pub fn limiter(&mut self) -> &mut dyn ResourceLimiter {
        &mut self.limits
    }
}

impl WasiView for RequestState {
    fn ctx(&mut self) -> WasiCtxView<'_> {
        WasiCtxView {
            ctx: &mut self.wasi,
            table: &mut self.table,
        }
    }
}

impl WasiHttpView for RequestState {
    fn http(&mut self) -> WasiHttpCtxView<'_> {
        WasiHttpCtxView {
            ctx: &mut self.http,
            table: &mut self.table,
            hooks: &mut self.hooks,
        }
    }
}
