//! The deployment's sources of truth, read at test time: `spin.toml` (components, HTTP routes,
//! variables), the SpinKube manifests in `deploy/spinkube/*.yaml` and the runtime configs in
//! `runtime-config/`; Spin's and Kubernetes' route matching; and [`Front`], an nginx on
//! 127.0.0.1 that routes by path prefix the way the manifests' Ingress does.

use anyhow::{Context, Result, anyhow, bail};
use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crate::{Resp, repo_root};

/// Spin's own health route, answered by every Spin process whatever components it keeps.
pub const SPIN_HEALTH: &str = "/.well-known/spin/health";

// ---------------------------------------------------------------- spin.toml

/// One `[[trigger.http]]` of spin.toml.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HttpRoute {
    pub route: String,
    pub component: String,
}

impl HttpRoute {
    /// `Some(prefix)` for a wildcard route (`/x/...` -> `/x`, `/...` -> `/`).
    pub fn wildcard_prefix(&self) -> Option<&str> {
        if self.route == "/..." {
            Some("/")
        } else {
            self.route.strip_suffix("/...")
        }
    }

    /// Whether the route has `:name` segments, which a plain Ingress path cannot express.
    pub fn has_parameters(&self) -> bool {
        self.route.split('/').any(|s| s.starts_with(':'))
    }

    /// Paths this route must answer: the exact path, or the prefix itself and a path below it.
    pub fn sample_paths(&self) -> Vec<String> {
        match self.wildcard_prefix() {
            Some("/") => vec!["/".into(), "/zz-no-component-claims-this".into()],
            Some(p) => vec![p.to_string(), format!("{p}/"), format!("{p}/zz-sample")],
            None => vec![self.route.clone()],
        }
    }
}

/// An entry of spin.toml's `[variables]`.
#[derive(Debug, Clone, Default)]
pub struct VariableDecl {
    pub required: bool,
    pub secret: bool,
    pub default: Option<String>,
}

#[derive(Debug, Clone, Default)]
pub struct ComponentDecl {
    /// `source`, as written.
    pub source: Option<String>,
    /// Application variables this component's `[component.X.variables]` refer to (`{{ name }}`).
    pub app_variables: BTreeSet<String>,
}

/// What the deployment checks need from spin.toml.
#[derive(Debug, Clone)]
pub struct SpinManifest {
    pub path: PathBuf,
    pub table: toml::Table,
    pub components: BTreeMap<String, ComponentDecl>,
    /// Public HTTP routes, in manifest order (`private` routes are left out).
    pub routes: Vec<HttpRoute>,
    pub variables: BTreeMap<String, VariableDecl>,
}

fn template_names(text: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("}}") else { break };
        names.push(after[..end].trim().to_string());
        rest = &after[end + 2..];
    }
    names
}

impl SpinManifest {
    /// The repository's `spin.toml`, as it is now.
    pub fn load() -> Result<Self> {
        Self::load_from(&repo_root().join("spin.toml"))
    }

    pub fn load_from(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read {}", path.display()))?;
        let table: toml::Table =
            toml::from_str(&text).with_context(|| format!("{} is not TOML", path.display()))?;
        let mut components = BTreeMap::new();
        if let Some(cs) = table.get("component").and_then(|c| c.as_table()) {
            for (id, c) in cs {
                let mut decl = ComponentDecl {
                    source: c.get("source").and_then(|s| s.as_str()).map(str::to_owned),
                    ..Default::default()
                };
                if let Some(vars) = c.get("variables").and_then(|v| v.as_table()) {
                    for v in vars.values().filter_map(|v| v.as_str()) {
                        decl.app_variables.extend(template_names(v));
                    }
                }
                components.insert(id.clone(), decl);
            }
        }
        let mut routes = Vec::new();
        let triggers = table
            .get("trigger")
            .and_then(|t| t.get("http"))
            .and_then(|h| h.as_array())
            .cloned()
            .unwrap_or_default();
        for t in &triggers {
            let component = t
                .get("component")
                .and_then(|c| c.as_str())
                .ok_or_else(|| anyhow!("a [[trigger.http]] without a component id: {t}"))?;
            match t.get("route") {
                Some(toml::Value::String(r)) => routes.push(HttpRoute {
                    route: r.clone(),
                    component: component.to_string(),
                }),
                // `route = { private = true }`: reachable only by other components.
                Some(toml::Value::Table(_)) => {}
                other => bail!("[[trigger.http]] for {component}: route {other:?}"),
            }
        }
        let mut variables = BTreeMap::new();
        if let Some(vs) = table.get("variables").and_then(|v| v.as_table()) {
            for (name, v) in vs {
                let flag = |k: &str| v.get(k).and_then(|b| b.as_bool()).unwrap_or(false);
                variables.insert(
                    name.clone(),
                    VariableDecl {
                        required: flag("required"),
                        secret: flag("secret"),
                        default: v.get("default").and_then(|d| d.as_str()).map(str::to_owned),
                    },
                );
            }
        }
        Ok(Self {
            path: path.to_path_buf(),
            table,
            components,
            routes,
            variables,
        })
    }

    /// The component Spin sends `path` to: an exact route first, then the wildcard route with
    /// the longest prefix (`/x/...` matches `/x` and `/x/…`, not `/xy`).
    pub fn component_for(&self, path: &str) -> Option<&str> {
        if let Some(r) = self
            .routes
            .iter()
            .find(|r| r.wildcard_prefix().is_none() && r.route == path)
        {
            return Some(&r.component);
        }
        self.routes
            .iter()
            .filter_map(|r| r.wildcard_prefix().map(|p| (p, r)))
            .filter(|(p, _)| prefix_matches(p, path))
            .max_by_key(|(p, _)| p.len())
            .map(|(_, r)| r.component.as_str())
    }

    /// Components that serve at least one public route.
    pub fn routed_components(&self) -> BTreeSet<String> {
        self.routes.iter().map(|r| r.component.clone()).collect()
    }

    /// Writes a copy of this manifest into `dir` in which every path is absolute (so it runs
    /// from anywhere) and the `source` of each component in `swap` is a copy of its build under
    /// `dir`, changed by one appended custom section: a different build (another file, another
    /// hash, compiled anew) that behaves the same. Returns the new manifest's path.
    pub fn write_swapped_copy(&self, dir: &Path, swap: &BTreeSet<String>) -> Result<PathBuf> {
        let base = self
            .path
            .parent()
            .ok_or_else(|| anyhow!("manifest without a directory"))?
            .to_path_buf();
        let mut table = self.table.clone();
        let components = table
            .get_mut("component")
            .and_then(|c| c.as_table_mut())
            .ok_or_else(|| anyhow!("no [component] in {}", self.path.display()))?;
        for (id, c) in components.iter_mut() {
            let Some(c) = c.as_table_mut() else { continue };
            c.remove("build");
            if let Some(toml::Value::String(src)) = c.get("source").cloned() {
                let abs = base.join(&src);
                let new = if swap.contains(id) {
                    let copy = dir.join(format!("{id}-swapped.wasm"));
                    let mut bytes = std::fs::read(&abs)
                        .with_context(|| format!("cannot read {}", abs.display()))?;
                    append_custom_section(&mut bytes, "browser-cloud-redeploy", id.as_bytes());
                    std::fs::write(&copy, &bytes)?;
                    copy
                } else {
                    abs
                };
                c.insert(
                    "source".into(),
                    toml::Value::String(new.display().to_string()),
                );
            }
            if let Some(deps) = c.get_mut("dependencies").and_then(|d| d.as_table_mut()) {
                for (_, dep) in deps.iter_mut() {
                    if let Some(t) = dep.as_table_mut()
                        && let Some(toml::Value::String(p)) = t.get("path").cloned()
                    {
                        t.insert(
                            "path".into(),
                            toml::Value::String(base.join(p).display().to_string()),
                        );
                    }
                }
            }
        }
        let out = dir.join("spin.toml");
        std::fs::write(&out, toml::to_string(&table)?)?;
        Ok(out)
    }
}

/// Appends a custom section (id 0) to a core module or component binary: valid in both, and
/// ignored by every runtime.
fn append_custom_section(wasm: &mut Vec<u8>, name: &str, payload: &[u8]) {
    fn leb(mut n: usize, out: &mut Vec<u8>) {
        loop {
            let byte = (n & 0x7f) as u8;
            n >>= 7;
            if n == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        }
    }
    let mut body = Vec::new();
    leb(name.len(), &mut body);
    body.extend_from_slice(name.as_bytes());
    body.extend_from_slice(payload);
    wasm.push(0);
    leb(body.len(), wasm);
    wasm.extend_from_slice(&body);
}

/// Spin's and Kubernetes' (pathType Prefix) element-wise prefix match.
pub fn prefix_matches(prefix: &str, path: &str) -> bool {
    let prefix = prefix.trim_end_matches('/');
    prefix.is_empty()
        || path == prefix
        || path
            .strip_prefix(prefix)
            .is_some_and(|rest| rest.starts_with('/'))
}

// ---------------------------------------------------------------- manifests

/// Every YAML document of `deploy/spinkube/*.yaml`, with the file it came from.
pub fn load_spinkube_docs() -> Result<Vec<(PathBuf, serde_yaml_ng::Value)>> {
    let dir = repo_root().join("deploy/spinkube");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("cannot read {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .collect();
    files.sort();
    let mut docs = Vec::new();
    for f in files {
        let text = std::fs::read_to_string(&f)?;
        for d in serde_yaml_ng::Deserializer::from_str(&text) {
            let v = serde_yaml_ng::Value::deserialize(d)
                .with_context(|| format!("{} is not valid YAML", f.display()))?;
            if !v.is_null() {
                docs.push((f.clone(), v));
            }
        }
    }
    Ok(docs)
}

use serde::Deserialize as _;

/// A YAML value as a string (`None` when absent or not a scalar string).
pub fn yaml_str<'a>(v: &'a serde_yaml_ng::Value, path: &[&str]) -> Option<&'a str> {
    yaml_get(v, path).and_then(|v| v.as_str())
}

pub fn yaml_get<'a>(
    v: &'a serde_yaml_ng::Value,
    path: &[&str],
) -> Option<&'a serde_yaml_ng::Value> {
    let mut cur = v;
    for k in path {
        cur = cur.get(*k)?;
    }
    Some(cur)
}

/// One path of an Ingress rule.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IngressPath {
    pub path: String,
    /// `Prefix` or `Exact`.
    pub path_type: String,
    pub service: String,
    pub port: Option<u64>,
}

/// The paths of an Ingress (`spec.rules[].http.paths[]`, every rule).
pub fn ingress_paths(ingress: &serde_yaml_ng::Value) -> Result<Vec<IngressPath>> {
    let mut out = Vec::new();
    let rules = yaml_get(ingress, &["spec", "rules"])
        .and_then(|r| r.as_sequence())
        .ok_or_else(|| anyhow!("Ingress without spec.rules"))?;
    for rule in rules {
        let paths = yaml_get(rule, &["http", "paths"])
            .and_then(|p| p.as_sequence())
            .ok_or_else(|| anyhow!("Ingress rule without http.paths"))?;
        for p in paths {
            out.push(IngressPath {
                path: yaml_str(p, &["path"])
                    .ok_or_else(|| anyhow!("Ingress path without `path`"))?
                    .to_string(),
                path_type: yaml_str(p, &["pathType"])
                    .ok_or_else(|| anyhow!("Ingress path without `pathType`"))?
                    .to_string(),
                service: yaml_str(p, &["backend", "service", "name"])
                    .ok_or_else(|| anyhow!("Ingress path without backend.service.name"))?
                    .to_string(),
                port: yaml_get(p, &["backend", "service", "port", "number"])
                    .and_then(|n| n.as_u64()),
            });
        }
    }
    Ok(out)
}

/// The service Kubernetes sends `path` to: the longest matching path, `Exact` before `Prefix`
/// at equal length.
pub fn ingress_service_for<'a>(paths: &'a [IngressPath], path: &str) -> Option<&'a str> {
    paths
        .iter()
        .filter(|p| match p.path_type.as_str() {
            "Exact" => p.path == path,
            "Prefix" => prefix_matches(&p.path, path),
            _ => false,
        })
        .max_by_key(|p| (p.path.trim_end_matches('/').len(), p.path_type == "Exact"))
        .map(|p| p.service.as_str())
}

// ---------------------------------------------------------------- HTTP

/// One HTTP call; `Err` for a transport failure (refused, reset, timeout), any status is `Ok`.
pub fn call(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&serde_json::Value>,
) -> std::result::Result<Resp, String> {
    let mut req = agent.request(method, url);
    for (k, v) in headers {
        req = req.set(k, v);
    }
    let result = match body {
        Some(b) => req.set("Content-Type", "application/json").send_json(b),
        None => req.call(),
    };
    let response = match result {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => return Err(format!("{method} {url}: {e}")),
    };
    let status = response.status();
    let headers = response
        .headers_names()
        .into_iter()
        .flat_map(|n| {
            response
                .all(&n)
                .into_iter()
                .map(|v| (n.clone(), v.to_string()))
                .collect::<Vec<_>>()
        })
        .collect();
    let mut body = Vec::new();
    response
        .into_reader()
        .take(64 << 20)
        .read_to_end(&mut body)
        .map_err(|e| format!("{method} {url}: body: {e}"))?;
    Ok(Resp {
        status,
        headers,
        body,
    })
}

// ---------------------------------------------------------------- nginx front

/// The nginx binary: `E2E_NGINX`, else `nginx` on PATH, else Debian's `/usr/sbin/nginx`.
pub fn nginx_binary() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("E2E_NGINX") {
        return Ok(PathBuf::from(p));
    }
    if let Some(paths) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&paths) {
            let p = dir.join("nginx");
            if p.is_file() {
                return Ok(p);
            }
        }
    }
    let debian = PathBuf::from("/usr/sbin/nginx");
    if debian.is_file() {
        return Ok(debian);
    }
    bail!(
        "nginx not found: run scripts/ensure-test-tools (apt-get install nginx-light), or set E2E_NGINX"
    )
}

/// nginx on 127.0.0.1 routing by the given Ingress paths, each service to an upstream address.
/// Every response carries `X-Front-Upstream: <address that answered>`. Stopped on drop.
pub struct Front {
    pub base_url: String,
    pub port: u16,
    dir: tempfile::TempDir,
    child: Child,
    bin: PathBuf,
    paths: Vec<IngressPath>,
    lines: mpsc::Receiver<String>,
    log: Vec<String>,
}

/// The address of a `http://host:port` base URL.
pub fn base_addr(base_url: &str) -> Result<SocketAddr> {
    base_url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .parse()
        .with_context(|| format!("not http://ip:port: {base_url}"))
}

fn free_port() -> Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

fn upstream_name(service: &str) -> String {
    format!(
        "svc_{}",
        service
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect::<String>()
    )
}

/// The current user owns what it creates: a root nginx then keeps its workers as root too,
/// so they can use the temporary directories.
fn running_as_root(dir: &Path) -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata(dir).is_ok_and(|m| m.uid() == 0)
}

fn nginx_config(
    dir: &Path,
    port: u16,
    paths: &[IngressPath],
    upstreams: &BTreeMap<String, SocketAddr>,
) -> Result<String> {
    let d = dir.display();
    let mut c = String::new();
    if running_as_root(dir) {
        c.push_str("user root;\n");
    }
    c.push_str(&format!(
        "daemon off;\nmaster_process on;\nworker_processes 1;\npid {d}/nginx.pid;\n\
         error_log stderr notice;\nevents {{ worker_connections 1024; }}\n\
         http {{\n  access_log off;\n  client_body_temp_path {d}/client_body;\n  \
         proxy_temp_path {d}/proxy;\n  client_max_body_size 64m;\n"
    ));
    let services: BTreeSet<&str> = paths.iter().map(|p| p.service.as_str()).collect();
    for s in &services {
        let addr = upstreams
            .get(*s)
            .ok_or_else(|| anyhow!("no upstream for Ingress service {s}"))?;
        c.push_str(&format!(
            "  upstream {} {{ server {addr}; }}\n",
            upstream_name(s)
        ));
    }
    c.push_str(&format!(
        "  server {{\n    listen 127.0.0.1:{port};\n    proxy_http_version 1.1;\n    \
         proxy_set_header Host $http_host;\n    proxy_set_header Connection \"\";\n    \
         add_header X-Front-Upstream $upstream_addr always;\n"
    ));
    let exact: BTreeSet<&str> = paths
        .iter()
        .filter(|p| p.path_type == "Exact")
        .map(|p| p.path.as_str())
        .collect();
    let mut seen = BTreeSet::new();
    let mut location = |c: &mut String, spec: String, service: &str| {
        if seen.insert(spec.clone()) {
            c.push_str(&format!(
                "    location {spec} {{ proxy_pass http://{}; }}\n",
                upstream_name(service)
            ));
        }
    };
    for p in paths {
        match p.path_type.as_str() {
            "Exact" => location(&mut c, format!("= {}", p.path), &p.service),
            "Prefix" => {
                let prefix = p.path.trim_end_matches('/');
                if prefix.is_empty() {
                    location(&mut c, "/".into(), &p.service);
                } else {
                    // Element-wise, as Kubernetes: `/x` and `/x/…`, never `/xy`.
                    if !exact.contains(prefix) {
                        location(&mut c, format!("= {prefix}"), &p.service);
                    }
                    location(&mut c, format!("{prefix}/"), &p.service);
                }
            }
            other => bail!("pathType {other} is not supported by the front"),
        }
    }
    c.push_str("  }\n}\n");
    Ok(c)
}

impl Front {
    /// Starts nginx on a free port of 127.0.0.1; returns once it accepts connections.
    pub fn start(paths: &[IngressPath], upstreams: &BTreeMap<String, SocketAddr>) -> Result<Self> {
        let bin = nginx_binary()?;
        let mut last_err = None;
        // A port found free may be taken before nginx binds it: a few fresh ports, no more.
        for _ in 0..5 {
            match Self::try_start(&bin, paths, upstreams) {
                Ok(front) => return Ok(front),
                Err(e) => last_err = Some(e),
            }
        }
        Err(last_err.unwrap_or_else(|| anyhow!("nginx did not start")))
    }

    fn try_start(
        bin: &Path,
        paths: &[IngressPath],
        upstreams: &BTreeMap<String, SocketAddr>,
    ) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let port = free_port()?;
        let conf = dir.path().join("nginx.conf");
        std::fs::write(&conf, nginx_config(dir.path(), port, paths, upstreams)?)?;
        let mut child = Command::new(bin)
            .arg("-p")
            .arg(dir.path())
            .arg("-c")
            .arg(&conf)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr"))?;
        let (tx, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        let mut front = Front {
            base_url: format!("http://127.0.0.1:{port}"),
            port,
            dir,
            child,
            bin: bin.to_path_buf(),
            paths: paths.to_vec(),
            lines,
            log: Vec::new(),
        };
        // nginx binds before it starts its worker, and says so on stderr; a failure to bind
        // (or a bad config) ends the master, which closes stderr.
        front.wait_for_log("start worker process", Duration::from_secs(30))?;
        Ok(front)
    }

    fn wait_for_log(&mut self, needle: &str, within: Duration) -> Result<()> {
        let deadline = Instant::now() + within;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    let hit = line.contains(needle);
                    self.log.push(line);
                    if hit {
                        return Ok(());
                    }
                }
                Err(mpsc::RecvTimeoutError::Timeout) => {
                    bail!(
                        "nginx: no {needle:?} within {within:?}:\n{}",
                        self.log.join("\n")
                    )
                }
                Err(mpsc::RecvTimeoutError::Disconnected) => {
                    let _ = self.child.wait();
                    bail!("nginx exited:\n{}", self.log.join("\n"))
                }
            }
        }
    }

    /// Points the services at new addresses and reloads nginx gracefully (requests in flight
    /// finish on the old workers; the listening socket never closes). Returns once the master
    /// has started a worker on the new configuration and the old workers stopped accepting.
    pub fn reroute(&mut self, upstreams: &BTreeMap<String, SocketAddr>) -> Result<()> {
        let conf = self.dir.path().join("nginx.conf");
        std::fs::write(
            &conf,
            nginx_config(self.dir.path(), self.port, &self.paths, upstreams)?,
        )?;
        let out = Command::new(&self.bin)
            .arg("-p")
            .arg(self.dir.path())
            .arg("-c")
            .arg(&conf)
            .args(["-s", "reload"])
            .stdin(Stdio::null())
            .output()?;
        if !out.status.success() {
            bail!(
                "nginx -s reload failed: {}: {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
            );
        }
        self.wait_for_log("start worker process", Duration::from_secs(30))?;
        // Until an old worker has taken its QUIT it may still accept a new connection and send
        // it to the old upstream; once it logs this it only finishes what it holds.
        self.wait_for_log("gracefully shutting down", Duration::from_secs(30))
    }

    /// What nginx logged so far.
    pub fn log(&mut self) -> String {
        while let Ok(line) = self.lines.try_recv() {
            self.log.push(line);
        }
        self.log.join("\n")
    }
}

impl Drop for Front {
    fn drop(&mut self) {
        // SIGTERM to the master: it stops its workers, then exits. A SIGKILL would orphan them.
        let stopped = rustix::process::Pid::from_raw(self.child.id() as i32).is_some_and(|pid| {
            rustix::process::kill_process(pid, rustix::process::Signal::TERM).is_ok()
        });
        let deadline = Instant::now() + Duration::from_secs(10);
        while stopped && Instant::now() < deadline {
            // Each line read blocks until nginx writes or exits: no busy loop.
            match self.lines.recv_timeout(Duration::from_millis(200)) {
                Err(mpsc::RecvTimeoutError::Disconnected) => break,
                Ok(_) | Err(mpsc::RecvTimeoutError::Timeout) => {
                    if matches!(self.child.try_wait(), Ok(Some(_))) {
                        break;
                    }
                }
            }
        }
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
