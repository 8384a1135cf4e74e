//! Deny-all implementations of the capabilities a Spin component dependency may import.
//!
//! Spin 4.0 gives a dependency that does not inherit its parent's configuration no access to
//! SQLite, key-value stores, variables, outbound HTTP, environment or preopened directories.
//! This component exports each of those interfaces with an implementation that refuses the call
//! with the same error value Spin returns, so the dependency sees a denial rather than a trap.
//! Operations on resources that a denied `open` can never hand out are unreachable.
//!
//! The crate is `no_std`, so the component imports only the WASI types its exports mention
//! (`wasi:http/types`, `wasi:filesystem/types` and the `wasi:io` they use), nothing else.

#![no_std]

extern crate alloc;

use alloc::format;
use alloc::string::String;
use alloc::vec::Vec;

#[global_allocator]
static ALLOCATOR: dlmalloc::GlobalDlmalloc = dlmalloc::GlobalDlmalloc;

/// The canonical ABI's allocator. On `wasm32-wasip2`, std supplies it; without std it is ours.
#[allow(unsafe_code)]
#[unsafe(no_mangle)]
unsafe extern "C" fn cabi_realloc(
    old_ptr: *mut u8,
    old_len: usize,
    align: usize,
    new_len: usize,
) -> *mut u8 {
    use alloc::alloc::{Layout, alloc, handle_alloc_error, realloc};

    if new_len == 0 {
        return align as *mut u8;
    }
    // SAFETY: the canonical ABI passes a power-of-two `align` and, for a reallocation, the
    // pointer and size of a block this function returned earlier.
    unsafe {
        let ptr = if old_len == 0 {
            alloc(Layout::from_size_align_unchecked(new_len, align))
        } else {
            realloc(
                old_ptr,
                Layout::from_size_align_unchecked(old_len, align),
                new_len,
            )
        };
        if ptr.is_null() {
            handle_alloc_error(Layout::from_size_align_unchecked(new_len, align));
        }
        ptr
    }
}

#[panic_handler]
fn panic(_info: &core::panic::PanicInfo<'_>) -> ! {
    core::arch::wasm32::unreachable()
}

// Generated bindings contain the canonical-ABI glue, which is necessarily unsafe.
#[allow(unsafe_code)]
mod bindings {
    wit_bindgen::generate!({
        world: "runner:deny-adapter/deny-all",
        // Dependencies first: each path is resolved against the packages already pushed.
        path: [
            "../wit/deps/io@0.2.6",
            "../wit/deps/clocks@0.2.6",
            "../wit/deps/random@0.2.6",
            "../wit/deps/filesystem@0.2.6",
            "../wit/deps/sockets@0.2.6",
            "../wit/deps/cli@0.2.6",
            "../wit/deps/http@0.2.6",
            "../wit/deps/spin@2.0.0",
            "../wit/deps/spin-sqlite@3.0.0",
            "../wit/deps/keyvalue-2024-10-17",
            "../wit/deps/wasi-runtime-config-2024-09-27",
            "wit",
        ],
        generate_all,
    });

    use super::Deny;
    export!(Deny);
}

use bindings::exports::fermyon::spin as spin2;
use bindings::exports::spin::sqlite::sqlite as sqlite3;
use bindings::exports::wasi::cli::environment;
use bindings::exports::wasi::config::store as config;
use bindings::exports::wasi::filesystem::preopens;
use bindings::exports::wasi::http::outgoing_handler;
use bindings::exports::wasi::keyvalue::store as wasi_kv;
use bindings::wasi::filesystem::types::Descriptor;
use bindings::wasi::http::types::{
    ErrorCode, FutureIncomingResponse, OutgoingRequest, RequestOptions,
};

/// The exporter of every denied interface.
struct Deny;

/// A resource no caller can hold: every constructor of it is denied.
struct Never;

fn not_permitted(interface: &str) -> String {
    format!("\"{interface}\" is not permitted")
}

impl spin2::sqlite::Guest for Deny {
    type Connection = Never;
}

impl spin2::sqlite::GuestConnection for Never {
    fn open(_database: String) -> Result<spin2::sqlite::Connection, spin2::sqlite::Error> {
        Err(spin2::sqlite::Error::AccessDenied)
    }

    fn execute(
        &self,
        _statement: String,
        _parameters: Vec<spin2::sqlite::Value>,
    ) -> Result<spin2::sqlite::QueryResult, spin2::sqlite::Error> {
        unreachable!("no sqlite connection is ever opened")
    }
}

impl sqlite3::Guest for Deny {
    type Connection = Never;
}

impl sqlite3::GuestConnection for Never {
    fn open(_database: String) -> Result<sqlite3::Connection, sqlite3::Error> {
        Err(sqlite3::Error::AccessDenied)
    }

    fn execute(
        &self,
        _statement: String,
        _parameters: Vec<sqlite3::Value>,
    ) -> Result<sqlite3::QueryResult, sqlite3::Error> {
        unreachable!("no sqlite connection is ever opened")
    }

    fn last_insert_rowid(&self) -> i64 {
        unreachable!("no sqlite connection is ever opened")
    }

    fn changes(&self) -> u64 {
        unreachable!("no sqlite connection is ever opened")
    }
}

impl spin2::key_value::Guest for Deny {
    type Store = Never;
}

impl spin2::key_value::GuestStore for Never {
    fn open(_label: String) -> Result<spin2::key_value::Store, spin2::key_value::Error> {
        Err(spin2::key_value::Error::AccessDenied)
    }

    fn get(&self, _key: String) -> Result<Option<Vec<u8>>, spin2::key_value::Error> {
        unreachable!("no key-value store is ever opened")
    }

    fn set(&self, _key: String, _value: Vec<u8>) -> Result<(), spin2::key_value::Error> {
        unreachable!("no key-value store is ever opened")
    }

    fn delete(&self, _key: String) -> Result<(), spin2::key_value::Error> {
        unreachable!("no key-value store is ever opened")
    }

    fn exists(&self, _key: String) -> Result<bool, spin2::key_value::Error> {
        unreachable!("no key-value store is ever opened")
    }

    fn get_keys(&self) -> Result<Vec<String>, spin2::key_value::Error> {
        unreachable!("no key-value store is ever opened")
    }
}

impl spin2::variables::Guest for Deny {
    fn get(name: String) -> Result<String, spin2::variables::Error> {
        Err(spin2::variables::Error::Undefined(name))
    }
}

impl config::Guest for Deny {
    fn get(_key: String) -> Result<Option<String>, config::Error> {
        Err(config::Error::Io(not_permitted("wasi:config/store")))
    }

    fn get_all() -> Result<Vec<(String, String)>, config::Error> {
        Err(config::Error::Io(not_permitted("wasi:config/store")))
    }
}

impl wasi_kv::Guest for Deny {
    type Bucket = Never;

    fn open(_identifier: String) -> Result<wasi_kv::Bucket, wasi_kv::Error> {
        Err(wasi_kv::Error::AccessDenied)
    }
}

impl wasi_kv::GuestBucket for Never {
    fn get(&self, _key: String) -> Result<Option<Vec<u8>>, wasi_kv::Error> {
        unreachable!("no key-value bucket is ever opened")
    }

    fn set(&self, _key: String, _value: Vec<u8>) -> Result<(), wasi_kv::Error> {
        unreachable!("no key-value bucket is ever opened")
    }

    fn delete(&self, _key: String) -> Result<(), wasi_kv::Error> {
        unreachable!("no key-value bucket is ever opened")
    }

    fn exists(&self, _key: String) -> Result<bool, wasi_kv::Error> {
        unreachable!("no key-value bucket is ever opened")
    }

    fn list_keys(&self, _cursor: Option<String>) -> Result<wasi_kv::KeyResponse, wasi_kv::Error> {
        unreachable!("no key-value bucket is ever opened")
    }
}

impl outgoing_handler::Guest for Deny {
    fn handle(
        _request: OutgoingRequest,
        _options: Option<RequestOptions>,
    ) -> Result<FutureIncomingResponse, ErrorCode> {
        Err(ErrorCode::InternalError(Some(not_permitted(
            "wasi:http/outgoing-handler",
        ))))
    }
}

impl environment::Guest for Deny {
    fn get_environment() -> Vec<(String, String)> {
        Vec::new()
    }

    fn get_arguments() -> Vec<String> {
        Vec::new()
    }

    fn initial_cwd() -> Option<String> {
        None
    }
}

impl preopens::Guest for Deny {
    fn get_directories() -> Vec<(Descriptor, String)> {
        Vec::new()
    }
}
