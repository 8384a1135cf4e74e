//! One wasmtime `Engine` for the process, and an on-disk cache of compiled components keyed
//! by the component's hash and the engine's compatibility hash, so a restart does not recompile.

use anyhow::{Context, Result};
use sha2::{Digest, Sha256};
use std::hash::{Hash, Hasher};
use std::path::{Path, PathBuf};
use std::time::Duration;
use wasmtime::component::Component;
use wasmtime::{Config, Engine, InstanceAllocationStrategy, PoolingAllocationConfig};

/// How often the epoch ticks; request deadlines are counted in ticks.
pub const EPOCH_TICK: Duration = Duration::from_millis(10);

pub struct Limits {
    pub request_timeout: Duration,
    pub max_memory_bytes: usize,
}

impl Limits {
    pub fn from_env() -> Result<Self> {
        let ms = env_number("RUNNER_REQUEST_TIMEOUT_MS", 30_000)?;
        let mb = env_number("RUNNER_MAX_MEMORY_MB", 256)?;
        Ok(Self {
            request_timeout: Duration::from_millis(ms),
            max_memory_bytes: usize::try_from(mb.saturating_mul(1 << 20)).unwrap_or(usize::MAX),
        })
    }

    pub fn deadline_ticks(&self) -> u64 {
        (self.request_timeout.as_millis() / EPOCH_TICK.as_millis()).max(1) as u64
    }
}

fn env_number(name: &str, default: u64) -> Result<u64> {
    match std::env::var(name) {
        Ok(v) => v
            .parse()
            .with_context(|| format!("{name}={v:?} is not a whole number")),
        Err(_) => Ok(default),
    }
}

pub fn new_engine(limits: &Limits) -> Result<Engine> {
    let mut config = Config::new();
    config.wasm_component_model(true);
    config.epoch_interruption(true);
    let mut pooling = PoolingAllocationConfig::default();
    pooling
        .total_component_instances(1_000)
        .total_core_instances(5_000)
        .total_memories(2_000)
        .total_tables(2_000)
        .max_core_instances_per_component(64)
        .max_memories_per_component(16)
        .max_tables_per_component(32)
        .max_memory_size(limits.max_memory_bytes)
        // Resetting a slot with memset instead of madvise avoids a TLB shootdown across cores
        // per request, which dominated a profile of the hello fixture. Only the first 512 KiB:
        // at 4 MiB, slots that once held a sync push or an image stayed resident (474 MiB peak
        // RSS over the benchmark against 188 MiB at 512 KiB, same requests/s).
        .linear_memory_keep_resident(512 << 10)
        .table_keep_resident(1 << 20)
        .async_stack_keep_resident(1 << 20)
        .decommit_batch_size(64)
        // Where the kernel has PAGEMAP_SCAN, only the pages a request dirtied are reset.
        .pagemap_scan(wasmtime::Enabled::Auto);
    config.allocation_strategy(InstanceAllocationStrategy::Pooling(pooling));
    let engine = Engine::new(&config)
        .map_err(anyhow::Error::from)
        .context("cannot create the wasmtime engine")?;
    let ticker = engine.weak();
    std::thread::Builder::new()
        .name("epoch-ticker".into())
        .spawn(move || {
            while let Some(engine) = ticker.upgrade() {
                engine.increment_epoch();
                drop(engine);
                std::thread::sleep(EPOCH_TICK);
            }
        })
        .context("cannot start the epoch thread")?;
    Ok(engine)
}

pub fn cache_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("RUNNER_CACHE_DIR") {
        return PathBuf::from(dir);
    }
    let base = std::env::var_os("XDG_CACHE_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache")))
        .unwrap_or_else(std::env::temp_dir);
    base.join("browsercloud-runner")
}

/// Compiles `bytes`, or loads the artifact compiled earlier for the same bytes and engine.
pub fn compile_cached(engine: &Engine, bytes: &[u8], cache: &Path) -> Result<Component> {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    engine.precompile_compatibility_hash().hash(&mut hasher);
    let mut digest = Sha256::new();
    digest.update(hasher.finish().to_le_bytes());
    digest.update(env!("CARGO_PKG_VERSION").as_bytes());
    digest.update(bytes);
    let path = cache.join(format!("{}.cwasm", hex::encode(digest.finalize())));
    if path.exists() {
        // SAFETY: the file was written by `Component::serialize` of this runner into its own
        // cache directory, under a name that includes the engine's compatibility hash; a
        // corrupt or foreign file fails wasmtime's header checks and is recompiled below.
        #[allow(unsafe_code)]
        let loaded = unsafe { Component::deserialize_file(engine, &path) };
        match loaded {
            Ok(c) => return Ok(c),
            Err(e) => tracing::warn!("ignoring unusable cache entry {}: {e:#}", path.display()),
        }
    }
    let component = Component::new(engine, bytes)?;
    if let Err(e) = store_artifact(&component, cache, &path) {
        tracing::warn!("cannot write compile cache {}: {e:#}", path.display());
    }
    Ok(component)
}

fn store_artifact(component: &Component, cache: &Path, path: &Path) -> Result<()> {
    std::fs::create_dir_all(cache)?;
    let tmp = path.with_extension(format!("tmp{}", std::process::id()));
    std::fs::write(&tmp, component.serialize()?)?;
    // Renaming makes the entry appear whole: a concurrent reader never sees half a file.
    std::fs::rename(&tmp, path)?;
    Ok(())
}
