//! What the runner reads from `spin.toml` and how it routes requests, kept out of the
//! runner's binary so it can be tested and fuzzed without wasmtime (`fuzz/`).

pub mod manifest;
pub mod routes;
