//! Builds the deny adapter (`deny-adapter/`, a wasm32-wasip2 component) and hands its bytes to
//! `compose.rs`. It is a separate crate with its own workspace and target directory, so this
//! nested cargo call never waits on the outer build's lock.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(
        std::env::var_os("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"),
    );
    let adapter = manifest_dir.join("deny-adapter");
    let out_dir = PathBuf::from(std::env::var_os("OUT_DIR").expect("cargo sets OUT_DIR"));
    println!("cargo:rerun-if-changed={}", adapter.join("src").display());
    println!(
        "cargo:rerun-if-changed={}",
        adapter.join("Cargo.toml").display()
    );
    println!(
        "cargo:rerun-if-changed={}",
        adapter.join("Cargo.lock").display()
    );
    println!("cargo:rerun-if-changed={}", adapter.join("wit").display());
    println!(
        "cargo:rerun-if-changed={}",
        manifest_dir.join("wit").display()
    );

    let target_dir = out_dir.join("deny-adapter-target");
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.arg("build")
        .arg("--release")
        .arg("--locked")
        .arg("--target")
        .arg("wasm32-wasip2")
        .arg("--manifest-path")
        .arg(adapter.join("Cargo.toml"))
        .arg("--target-dir")
        .arg(&target_dir);
    // The outer build's settings (clippy's wrapper, host flags, its target dir) must not leak in.
    for (key, _) in std::env::vars_os() {
        let key = key.to_string_lossy().into_owned();
        if key.starts_with("CARGO_") && key != "CARGO_HOME" && key != "CARGO_NET_OFFLINE"
            || key == "RUSTC_WRAPPER"
            || key == "RUSTC_WORKSPACE_WRAPPER"
            || key == "RUSTFLAGS"
        {
            cmd.env_remove(&key);
        }
    }
    let status = cmd
        .status()
        .expect("cannot run cargo to build the deny adapter");
    if !status.success() {
        panic!(
            "building runner/deny-adapter for wasm32-wasip2 failed (is the target installed? `rustup target add wasm32-wasip2`)"
        );
    }
    let wasm = target_dir.join("wasm32-wasip2/release/deny_adapter.wasm");
    std::fs::copy(&wasm, out_dir.join("deny_adapter.wasm"))
        .unwrap_or_else(|e| panic!("cannot copy {}: {e}", wasm.display()));
}
