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

pub struct UpOptions {
    pub manifest: PathBuf,
    pub state_dir: Option<PathBuf>,
    pub sqlite: Vec<String>,
    pub variables: Vec<(String, String)>,
    pub runtime_config: Option<PathBuf>,
    pub component_ids: Vec<String>,
}

pub struct LoadedComponent {
    pub pre: ProxyPre<RequestState>,
    pub grants: Arc<Grants>,
    pub environment: Vec<(String, String)>,
}

pub struct App {
    pub engine: Engine,
    pub router: Router,
    pub components: HashMap<String, Arc<LoadedComponent>>,
    pub limits: Limits,
}

/// `-f` may name the manifest or the directory holding `spin.toml`.
pub fn resolve_manifest_path(from: Option<&Path>) -> Result<PathBuf> {
    let path = from.map(Path::to_path_buf).unwrap_or_else(|| PathBuf::from("spin.toml"));
    let path = if path.is_dir() { path.join("spin.toml") } else { path };
    if !path.is_file() {
        bail!("manifest file {} not found", path.display());
    }
    Ok(path)
}

impl App {
    pub fn load(opts: &UpOptions, engine: Engine, limits: Limits) -> Result<Self> {
        let manifest = Manifest::load(&opts.manifest)?;
        let base = opts.manifest.parent().map(Path::to_path_buf).unwrap_or_default();
        let base = if base.as_os_str().is_empty() { PathBuf::from(".") } else { base };
        let variables = AppVariables::resolve(&manifest.variables, &opts.variables, |k| std::env::var(k).ok())?;

        for id in &opts.component_ids {
            if !manifest.components.contains_key(id) {
                bail!("--component-id {id:?}: no such component in {}", opts.manifest.display());
            }
        }
        let selected = |id: &str| opts.component_ids.is_empty() || opts.component_ids.iter().any(|c| c == id);
        let triggers = manifest.http_triggers()?;

        let state_dir = opts.state_dir.clone().unwrap_or_else(|| base.join(".spin"));
        let runtime = match &opts.runtime_config {
            Some(p) => RuntimeConfig::load(p)?,
            None => RuntimeConfig::default(),
        };
        let stores = Arc::new(open_stores(&runtime, &state_dir)?);
        run_sqlite_statements(&stores, &opts.sqlite)?;

        let mut linker = Linker::<RequestState>::new(&engine);
        crate::host::add_to_linker(&mut linker)?;
        let cache = cache_dir();

        let mut components = HashMap::new();
        for trigger in &triggers {
            let id = trigger.component.as_str();
            if !selected(id) || components.contains_key(id) {
                continue;
            }
            let component = &manifest.components[id];
            for label in &component.sqlite_databases {
                if !stores.databases.contains_key(label) {
                    bail!("component {id:?}: sqlite_databases names {label:?}, which is neither \"default\" nor defined in the runtime config");
                }
            }
            for label in &component.key_value_stores {
                if !stores.key_value.contains_key(label) {
                    bail!("component {id:?}: key_value_stores names {label:?}, which is neither \"default\" nor defined in the runtime config");
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
                databases: component.sqlite_databases.iter().cloned().collect::<HashSet<_>>(),
                key_value_stores: component.key_value_stores.iter().cloned().collect(),
                variables: ComponentVariables::new(&component.variables, &variables)
                    .with_context(|| format!("component {id:?}"))?,
                outbound: AllowedHosts::parse(&hosts).with_context(|| format!("component {id:?}"))?,
                stores: stores.clone(),
            });

            let bytes = load_component_bytes(&manifest, id, &base)?;
            let started = std::time::Instant::now();
            let compiled = compile_cached(&engine, &bytes, &cache)
                .with_context(|| format!("component {id:?}: cannot compile"))?;
            let pre = linker
                .instantiate_pre(&compiled)
                .map_err(anyhow::Error::from)
                .with_context(|| format!("component {id:?} cannot be instantiated by this runner"))?;
            let pre = ProxyPre::new(pre).map_err(anyhow::Error::from).with_context(|| {
                format!("component {id:?} does not export wasi:http/incoming-handler@0.2.x")
            })?;
            tracing::info!(component = id, "ready in {:?}", started.elapsed());
            let environment = component.environment.iter().map(|(k, v)| (k.clone(), v.clone())).collect();
            components.insert(id.to_string(), Arc::new(LoadedComponent { pre, grants, environment }));
        }

        let routes = triggers
            .iter()
            .filter(|t| selected(&t.component))
            .filter_map(|t| t.route.as_deref().map(|r| (t.component.as_str(), r)));
        let router = Router::build(routes)?;
        Ok(Self { engine, router, components, limits })
    }
}

/// Reads a component's wasm and composes its dependencies into it.
fn load_component_bytes(manifest: &Manifest, id: &str, base: &Path) -> Result<Vec<u8>> {
    let component = &manifest.components[id];
    let source = component.local_source(id, base)?;
    let bytes = std::fs::read(&source.0)
        .with_context(|| format!("component {id:?}: cannot read source file {}", source.0.display()))?;
    let mut deps = Vec::new();
    for (name, dep) in &component.dependencies {
        let at = format!("component {id:?}: dependency {name:?}");
        let Dependency::Table(table) = dep else {
            bail!("{at}: registry dependencies are not supported by this runner; use `path` or `component`");
        };
        let (bytes, export) = if let Some(path) = &table.path {
            let path = base.join(path);
            let bytes = std::fs::read(&path)
                .with_context(|| format!("{at}: cannot read {}", path.display()))?;
            (bytes, table.export.clone())
        } else if let Some(other) = &table.component {
            let Some(target) = manifest.components.get(other) else {
                bail!("{at}: field `component` names {other:?}, which is not a component of this app");
            };
            let path = target.local_source(other, base)?.0;
            let bytes = std::fs::read(&path)
                .with_context(|| format!("{at}: cannot read {}", path.display()))?;
            (bytes, table.export.clone())
        } else {
            bail!("{at}: only `path` and `component` dependencies are supported by this runner");
        };
        deps.push(DependencySource { name: name.clone(), bytes, export, inherit: component.inherit_for(dep) });
    }
    compose(id, bytes, deps)
}

fn open_stores(runtime: &RuntimeConfig, state_dir: &Path) -> Result<Stores> {
    let mut stores = Stores::default();
    let location = |label: &str, path: &Option<PathBuf>| match path {
        Some(p) => Location::File(p.clone()),
        None => Location::Memory(format!("runner-{}-{label}-{}", std::process::id(), rand_suffix())),
    };
    let default_db = runtime
        .sqlite_databases
        .get("default")
        .map(|p| location("default", p))
        .unwrap_or_else(|| Location::File(state_dir.join("sqlite_db.db")));
    stores.databases.insert("default".into(), Arc::new(sqlite_pool(default_db)?));
    for (label, path) in &runtime.sqlite_databases {
        if label != "default" {
            stores.databases.insert(label.clone(), Arc::new(sqlite_pool(location(label, path))?));
        }
    }
    let default_kv = runtime
        .key_value_stores
        .get("default")
        .map(|p| location("kv-default", p))
        .unwrap_or_else(|| Location::File(state_dir.join("sqlite_key_value.db")));
    stores.key_value.insert("default".into(), Arc::new(kv_pool(default_kv)?));
    for (label, path) in &runtime.key_value_stores {
        if label != "default" {
            stores.key_value.insert(label.clone(), Arc::new(kv_pool(location(label, path))?));
        }
    }
    Ok(stores)
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(std::time::SystemTime::now())
}

/// `--sqlite "SQL"` or `--sqlite @file.sql`, run in order against the default database, as
/// Spin does before it serves.
fn run_sqlite_statements(stores: &Stores, statements: &[String]) -> Result<()> {
    let Some(db) = stores.databases.get("default") else {
        return Ok(());
    };
    for statement in statements {
        let (sql, what) = match statement.strip_prefix('@') {
            Some(file) => (
                std::fs::read_to_string(file).with_context(|| format!("--sqlite @{file}: cannot read file"))?,
                format!("--sqlite @{file}"),
            ),
            None => (statement.clone(), format!("--sqlite {statement:?}")),
        };
        db.with(|c| Ok(c.execute_batch(&sql)?))
            .with_context(|| format!("{what} failed on {}", db.describe()))?;
    }
    Ok(())
}
