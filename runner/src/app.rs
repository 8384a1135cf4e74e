//! Loading an application: manifest, variables, stores, `--sqlite` statements, and for each
//! served component its composed, compiled and pre-instantiated wasm. Every failure here
//! happens before the server listens, and names the file, field or import at fault.

use crate::compose::{DependencySource, compose};
use crate::engine::{Limits, cache_dir, compile_cached};
use crate::manifest::{Dependency, Manifest};
use crate::outbound::AllowedHosts;
use crate::routes::Router;
use crate::runtime_config::RuntimeConfig;
use crate::state::{Grants, RequestState};
use crate::stores::{Location, Stores, kv_pool, sqlite_pool};
use crate::variables::{AppVariables, ComponentVariables};
use anyhow::{Context, Result, bail};
use std::collections::{HashMap, HashSet};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use wasmtime::Engine;
use wasmtime::component::Linker;
use wasmtime_wasi_http::p2::bindings::ProxyPre;

/// `--state-dir`: absent, empty (no state directory: stores in memory), or a path.
pub enum StateDir {
    Default,
    Unset,
    Provided(PathBuf),
}

pub struct UpOptions {
    pub manifest: PathBuf,
    pub state_dir: StateDir,
    pub sqlite: Vec<String>,
    pub key_values: Vec<(String, String)>,
    pub variables: Vec<(String, String)>,
    pub runtime_config: Option<PathBuf>,
    pub component_ids: Vec<String>,
}

pub struct LoadedComponent {
    pub pre: ProxyPre<RequestState>,
    /// The manifest's `description`, listed under the component's routes at start-up.
    pub description: String,
    pub grants: Arc<Grants>,
    pub environment: Vec<(String, String)>,
}

pub struct App {
    pub engine: Engine,
    /// The body of `/.well-known/spin/info`.
    pub info: bytes::Bytes,
    pub router: Router,
    pub components: HashMap<String, Arc<LoadedComponent>>,
    pub limits: Limits,
}

/// `-f` may name the manifest or the directory holding `spin.toml`.
pub fn resolve_manifest_path(from: Option<&Path>) -> Result<PathBuf> {
    let path = from
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("spin.toml"));
    let path = if path.is_dir() {
        path.join("spin.toml")
    } else {
        path
    };
    if !path.is_file() {
        bail!("manifest file {} not found", path.display());
    }
    Ok(path)
}

impl App {
    pub fn load(opts: &UpOptions, engine: Engine, limits: Limits) -> Result<Self> {
        let manifest = Manifest::load(&opts.manifest)?;
        let base = opts
            .manifest
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default();
        let base = if base.as_os_str().is_empty() {
            PathBuf::from(".")
        } else {
            base
        };
        let variables = AppVariables::resolve(&manifest.variables, &opts.variables, |k| {
            std::env::var(k).ok()
        })?;

        for id in &opts.component_ids {
            if !manifest.components.contains_key(id) {
                bail!(
                    "--component-id {id:?}: no such component in {}",
                    opts.manifest.display()
                );
            }
        }
        let selected =
            |id: &str| opts.component_ids.is_empty() || opts.component_ids.iter().any(|c| c == id);
        let triggers = manifest.http_triggers()?;

        let runtime = match &opts.runtime_config {
            Some(p) => RuntimeConfig::load(p)?,
            None => RuntimeConfig::default(),
        };
        // Spin's order: the flag, then the runtime config's `state_dir`, then `.spin` beside
        // the manifest. A given path is made absolute against the current directory.
        let state_dir = match (&opts.state_dir, &runtime.state_dir) {
            (StateDir::Provided(p), _) | (StateDir::Default, Some(Some(p))) => Some(
                std::path::absolute(p)
                    .with_context(|| format!("state directory {}", p.display()))?,
            ),
            (StateDir::Unset, _) | (StateDir::Default, Some(None)) => None,
            (StateDir::Default, None) => Some(base.join(".spin")),
        };
        let stores = Arc::new(open_stores(&runtime, state_dir.as_deref())?);
        run_sqlite_statements(&stores, &opts.sqlite)?;
        set_initial_key_values(&stores, &opts.key_values)?;
        // Spin's start-up summary (on stderr), for default stores some component uses.
        let uses = |f: fn(&crate::manifest::Component) -> &Vec<String>| {
            manifest
                .components
                .values()
                .any(|c| f(c).iter().any(|l| l == "default"))
        };
        if uses(|c| &c.key_value_stores) {
            eprintln!(
                "Storing default key-value data to {}.",
                stores.key_value["default"].summary("store")
            );
        }
        if uses(|c| &c.sqlite_databases) {
            eprintln!(
                "Storing default SQLite data to {}.",
                stores.databases["default"].summary("database")
            );
        }

        let mut linker = Linker::<RequestState>::new(&engine);
        crate::host::add_to_linker(&mut linker)?;
        let cache = cache_dir();

        // First every check that needs no wasm, in manifest order, so the first error is the
        // one Spin would name; then the slow part (compose, compile or load from the cache,
        // pre-instantiate) on every core.
        let mut prepared: Vec<(&str, Prepared)> = Vec::new();
        for trigger in &triggers {
            let id = trigger.component.as_str();
            if !selected(id) || prepared.iter().any(|(p, _)| *p == id) {
                continue;
            }
            let component = &manifest.components[id];
            for label in &component.sqlite_databases {
                if !stores.databases.contains_key(label) {
                    bail!(
                        "component {id:?}: sqlite_databases names {label:?}, which is neither \"default\" nor defined in the runtime config"
                    );
                }
            }
            for label in &component.key_value_stores {
                if !stores.key_value.contains_key(label) {
                    bail!(
                        "component {id:?}: key_value_stores names {label:?}, which is neither \"default\" nor defined in the runtime config"
                    );
                }
            }
            if !component.files.is_empty() {
                bail!("component {id:?}: field `files` is not supported by this runner");
            }
            if !component.ai_models.is_empty() {
                bail!("component {id:?}: field `ai_models` is not supported by this runner");
            }
            for template in component.variables.values() {
                AppVariables::check_references(template, &manifest.variables)
                    .with_context(|| format!("component {id:?}: [component.{id}.variables]"))?;
            }
            let hosts: Vec<String> = component
                .allowed_outbound_hosts
                .iter()
                .chain(&component.allowed_http_hosts)
                .map(|h| variables.expand(h))
                .collect::<Result<_>>()
                .with_context(|| format!("component {id:?}: field `allowed_outbound_hosts`"))?;
            let grants = Arc::new(Grants {
                component_id: id.to_string(),
                databases: component
                    .sqlite_databases
                    .iter()
                    .cloned()
                    .collect::<HashSet<_>>(),
                key_value_stores: component.key_value_stores.iter().cloned().collect(),
                variables: ComponentVariables::new(&component.variables, &variables)
                    .with_context(|| format!("component {id:?}"))?,
                outbound: AllowedHosts::parse(&hosts)
                    .with_context(|| format!("component {id:?}"))?,
                stores: stores.clone(),
            });

            let environment = component
                .environment
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect();
            prepared.push((
                id,
                Prepared {
                    description: component.description.clone(),
                    grants,
                    environment,
                },
            ));
        }
        let threads = std::thread::available_parallelism()
            .map(|n| n.get())
            .unwrap_or(1)
            .clamp(1, prepared.len().max(1));
        let next = std::sync::atomic::AtomicUsize::new(0);
        let mut loaded: Vec<Option<Result<ProxyPre<RequestState>>>> =
            prepared.iter().map(|_| None).collect();
        let results = std::sync::Mutex::new(&mut loaded);
        std::thread::scope(|scope| {
            for _ in 0..threads {
                scope.spawn(|| {
                    loop {
                        let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                        let Some((id, _)) = prepared.get(i) else {
                            break;
                        };
                        let result = load_one(&manifest, id, &base, &engine, &linker, &cache);
                        if let Ok(mut slots) = results.lock() {
                            slots[i] = Some(result);
                        }
                    }
                });
            }
        });
        let mut components = HashMap::new();
        for ((id, prep), result) in prepared.into_iter().zip(loaded) {
            let pre =
                result.unwrap_or_else(|| Err(anyhow::anyhow!("component {id:?}: not loaded")))?;
            components.insert(
                id.to_string(),
                Arc::new(LoadedComponent {
                    pre,
                    description: prep.description,
                    grants: prep.grants,
                    environment: prep.environment,
                }),
            );
        }

        let routes = triggers
            .iter()
            .filter(|t| selected(&t.component))
            .filter_map(|t| t.route.as_deref().map(|r| (t.component.as_str(), r)));
        let (router, duplicates) = Router::build(routes)?;
        if !duplicates.is_empty() {
            tracing::error!(
                "The following component routes are duplicates and will never be used:"
            );
            for d in &duplicates {
                tracing::error!(
                    "  {}: {} (duplicate of {})",
                    d.replaced,
                    d.route,
                    d.effective
                );
            }
        }
        if router.contains_reserved_route() {
            tracing::error!(
                "Routes under {} are handled by the Spin runtime and will never be reached",
                crate::routes::WELL_KNOWN_PREFIX
            );
        }
        let info = app_info(&manifest)?;
        Ok(Self {
            engine,
            info,
            router,
            components,
            limits,
        })
    }
}

/// What Spin answers on `/.well-known/spin/info`: the app's name and, if set, its version.
fn app_info(manifest: &Manifest) -> Result<bytes::Bytes> {
    let mut info = serde_json::Map::new();
    info.insert("name".into(), manifest.application.name.clone().into());
    if !manifest.application.version.is_empty() {
        info.insert(
            "version".into(),
            manifest.application.version.clone().into(),
        );
    }
    Ok(serde_json::to_vec_pretty(&info)?.into())
}

/// What a component needs besides its compiled code, checked before any wasm is read.
struct Prepared {
    description: String,
    grants: Arc<Grants>,
    environment: Vec<(String, String)>,
}

/// Composes, compiles (or loads from the cache) and pre-instantiates one component.
fn load_one(
    manifest: &Manifest,
    id: &str,
    base: &Path,
    engine: &Engine,
    linker: &Linker<RequestState>,
    cache: &Path,
) -> Result<ProxyPre<RequestState>> {
    let started = std::time::Instant::now();
    let bytes = load_component_bytes(manifest, id, base)?;
    let compiled = compile_cached(engine, &bytes, cache)
        .with_context(|| format!("component {id:?}: cannot compile"))?;
    let pre = linker
        .instantiate_pre(&compiled)
        .map_err(anyhow::Error::from)
        .with_context(|| format!("component {id:?} cannot be instantiated by this runner"))?;
    let pre = ProxyPre::new(pre)
        .map_err(anyhow::Error::from)
        .with_context(|| {
            format!("component {id:?} does not export wasi:http/incoming-handler@0.2.x")
        })?;
    tracing::info!(component = id, "ready in {:?}", started.elapsed());
    Ok(pre)
}

/// Reads a component's wasm and composes its dependencies into it.
fn load_component_bytes(manifest: &Manifest, id: &str, base: &Path) -> Result<Vec<u8>> {
    let component = &manifest.components[id];
    let source = component.local_source(id, base)?;
    let bytes = std::fs::read(&source.0).with_context(|| {
        format!(
            "component {id:?}: cannot read source file {}",
            source.0.display()
        )
    })?;
    let mut deps = Vec::new();
    for (name, dep) in &component.dependencies {
        let at = format!("component {id:?}: dependency {name:?}");
        let Dependency::Table(table) = dep else {
            bail!(
                "{at}: registry dependencies are not supported by this runner; use `path` or `component`"
            );
        };
        let (bytes, export) = if let Some(path) = &table.path {
            let path = base.join(path);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("{at}: cannot read {}", path.display()))?;
            (bytes, table.export.clone())
        } else if let Some(other) = &table.component {
            let Some(target) = manifest.components.get(other) else {
                bail!(
                    "{at}: field `component` names {other:?}, which is not a component of this app"
                );
            };
            let path = target.local_source(other, base)?.0;
            let bytes = std::fs::read(&path)
                .with_context(|| format!("{at}: cannot read {}", path.display()))?;
            (bytes, table.export.clone())
        } else {
            bail!("{at}: only `path` and `component` dependencies are supported by this runner");
        };
        deps.push(DependencySource {
            name: name.clone(),
            bytes,
            export,
            inherit: component.inherit_for(dep),
        });
    }
    compose(id, bytes, deps)
}

fn open_stores(runtime: &RuntimeConfig, state_dir: Option<&Path>) -> Result<Stores> {
    let mut stores = Stores::default();
    let kv_location = |label: &str, path: &Option<PathBuf>| match path {
        Some(p) => Location::File(p.clone()),
        None => Location::Memory(format!(
            "runner-{}-{label}-{}",
            std::process::id(),
            rand_suffix()
        )),
    };
    let db_location = |path: &Option<PathBuf>| match path {
        Some(p) => Location::File(p.clone()),
        None => Location::PrivateMemory,
    };
    let default_db = match runtime.sqlite_databases.get("default") {
        Some(p) => db_location(p),
        None => db_location(&state_dir.map(|d| d.join("sqlite_db.db"))),
    };
    let attach = |label: &str| runtime.allow_attach.contains(label);
    stores.databases.insert(
        "default".into(),
        Arc::new(sqlite_pool(default_db, attach("default"))?),
    );
    for (label, path) in &runtime.sqlite_databases {
        if label != "default" {
            stores.databases.insert(
                label.clone(),
                Arc::new(sqlite_pool(db_location(path), attach(label))?),
            );
        }
    }
    let default_kv = match runtime.key_value_stores.get("default") {
        Some(p) => kv_location("kv-default", p),
        None => kv_location(
            "kv-default",
            &state_dir.map(|d| d.join("sqlite_key_value.db")),
        ),
    };
    stores
        .key_value
        .insert("default".into(), Arc::new(kv_pool(default_kv)?));
    for (label, path) in &runtime.key_value_stores {
        if label != "default" {
            stores
                .key_value
                .insert(label.clone(), Arc::new(kv_pool(kv_location(label, path))?));
        }
    }
    Ok(stores)
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// `--sqlite`, in order, before serving, as Spin runs them: `"SQL"` is one statement on the
/// default database; `@file` runs a file of statements on the default database, and
/// `@file:label` on the database `label`. Relative file names are relative to the current
/// directory.
fn run_sqlite_statements(stores: &Stores, statements: &[String]) -> Result<()> {
    for statement in statements {
        if let Some(config) = statement.strip_prefix('@') {
            let (file, label) = parse_file_and_label(config)?;
            let db = stores.databases.get(label).with_context(|| {
                format!("based on the '@{config}' a registered database named '{label}' was expected but not found.")
            })?;
            let sql = std::fs::read_to_string(file).with_context(|| {
                format!("could not read file '{file}' containing sql statements")
            })?;
            db.with(|c| Ok(c.execute_batch(&sql)?))
                .context("failed to execute batch statements")
                .with_context(|| {
                    format!("failed to execute sql against database '{label}' from file '{file}'")
                })?;
        } else {
            let Some(db) = stores.databases.get("default") else {
                continue;
            };
            db.with(|c| {
                // One statement, as Spin's `query` takes it: a second one is an error.
                let mut stmt = c.prepare(statement)?;
                let mut rows = stmt.query([])?;
                while rows.next()?.is_some() {}
                Ok(())
            })
            .with_context(|| format!("failed to execute following sql statement against default database: '{statement}'"))?;
        }
    }
    Ok(())
}

/// `@file[:label]`, with Spin's checks.
fn parse_file_and_label(config: &str) -> Result<(&str, &str)> {
    let config = config.trim();
    if config.is_empty() {
        bail!("database configuration is empty in the '@{config}' sqlite statement");
    }
    Ok(match config.split_once(':') {
        Some((_, label)) if label.trim().is_empty() => {
            bail!("database label is empty in the '@{config}' sqlite statement")
        }
        Some((file, _)) if file.trim().is_empty() => {
            bail!("file path is empty in the '@{config}' sqlite statement")
        }
        Some((file, label)) => (file.trim(), label.trim()),
        None => (config, "default"),
    })
}

/// `--key-value key=value`: set in the default store before serving, as Spin does.
fn set_initial_key_values(stores: &Stores, pairs: &[(String, String)]) -> Result<()> {
    if pairs.is_empty() {
        return Ok(());
    }
    let pool = stores
        .key_value
        .get("default")
        .context("no default key-value store")?;
    let store = crate::state::KvStore {
        pool: pool.clone(),
        label: "default".into(),
    };
    for (key, value) in pairs {
        store
            .set(key, value.as_bytes())
            .context("failed to set key-value pair")?;
    }
    Ok(())
}
