//! Host implementations of the Spin capabilities, generated from the WIT in `wit/`.

pub mod key_value;
pub mod outbound_http;
pub mod sqlite;
pub mod variables;
pub mod wasi_keyvalue;

use crate::state::RequestState;
use wasmtime::component::{HasSelf, Linker};

wasmtime::component::bindgen!({
    path: "wit",
    world: "runner:host/host",
    imports: { default: trappable },
    with: {
        "fermyon:spin/sqlite.connection": crate::state::SqliteConn,
        "spin:sqlite/sqlite.connection": crate::state::SqliteConnV3,
        "fermyon:spin/key-value.store": crate::state::KvStore,
        "wasi:keyvalue/store.bucket": crate::state::KvBucket,
        "wasi:keyvalue/atomics.cas": crate::state::KvCas,
    },
});

/// Adds WASI, wasi-http and every Spin capability to the linker.
pub fn add_to_linker(linker: &mut Linker<RequestState>) -> anyhow::Result<()> {
    wasmtime_wasi::p2::add_to_linker_async(linker)?;
    wasmtime_wasi_http::p2::add_only_http_to_linker_async(linker)?;
    Host_::add_to_linker::<_, HasSelf<RequestState>>(linker, |s| s)?;
    Ok(())
}
