//! End-to-end harness: one fresh app per test.
//!
//! `spawn_app()` starts the runner (or any binary that takes Spin's `up` flags, named by
//! `E2E_SPIN_BIN`, e.g. a real `spin`) on the repository's `spin.toml`, on port 0, with a fresh
//! state directory and every migration passed as `--sqlite @file`, and kills it on drop.
//! `TestApp::kill` (SIGKILL) and `TestApp::restart` (the same state directory and address)
//! are for the fault-injection tests.

use anyhow::{Context, Result, anyhow, bail};
use serde_json::Value;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

pub use serde_json::json;

/// Seeded randomness for the fault-injection tests.
pub mod chaos;
/// spin.toml, the SpinKube manifests and the nginx front that stands in for their Ingress.
pub mod deploy;
/// A fake of Stripe's API on 127.0.0.1 for the billing tests.
pub mod fake_stripe;
/// A Garage S3 server for the blob-store tests.
pub mod garage;
pub mod jwt;

/// The repository root (this crate lives in `tests/e2e`). `cargo test` names the package
/// directory at run time; the compile-time one is only the fallback, because cargo treats a
/// test binary built from another checkout of the same tree (sharing the target directory)
/// as fresh, and that binary's compile-time path may be gone.
pub fn repo_root() -> PathBuf {
    let package = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    package
        .join("../..")
        .canonicalize()
        .expect("repo root exists")
}

/// `<target>/` found from this test executable (`<target>/<profile>/deps/<exe>`), so it
/// works whatever `CARGO_TARGET_DIR` is.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("current exe");
    exe.ancestors()
        .nth(3)
        .expect("target dir above the test executable")
        .to_path_buf()
}

fn runner_binary() -> (PathBuf, Vec<String>) {
    match std::env::var_os("E2E_SPIN_BIN") {
        Some(bin) => (PathBuf::from(bin), vec!["up".into()]),
        None => {
            let profile_dir = std::env::current_exe()
                .expect("current exe")
                .ancestors()
                .nth(2)
                .expect("profile dir")
                .to_path_buf();
            (profile_dir.join("runner"), vec!["up".into()])
        }
    }
}

pub fn migrations() -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(repo_root().join("migrations"))
        .expect("migrations dir")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    files
}

/// Options for one app: extra `--variable`s, selected components, a given state dir.
#[derive(Default, Clone)]
pub struct AppOptions {
    pub variables: Vec<(String, String)>,
    pub component_ids: Vec<String>,
    pub state_dir: Option<PathBuf>,
    pub env: Vec<(String, String)>,
    /// The manifest declares no `jwt_secret` (a test fixture app), so none is passed: the
    /// runner, like Spin, refuses a `--variable` that is not declared.
    pub without_jwt_secret: bool,
    /// The address to listen on; `127.0.0.1:0` (a free port) when not given.
    pub listen: Option<String>,
}

impl AppOptions {
    pub fn variable(mut self, name: &str, value: &str) -> Self {
        self.variables.push((name.into(), value.into()));
        self
    }
}

/// The runner's stderr: the whole text, and each line with the moment it was read.
#[derive(Default)]
struct Logs {
    text: Mutex<String>,
    lines: Mutex<Vec<(SystemTime, String)>>,
    /// Notified after every line appended to `text`.
    grew: std::sync::Condvar,
}

pub struct TestApp {
    pub base_url: String,
    child: Child,
    logs: Arc<Logs>,
    _state: Option<tempfile::TempDir>,
    pub state_dir: PathBuf,
    agent: ureq::Agent,
    /// What it was started with, to start it again (`restart`).
    opts: AppOptions,
    manifest: PathBuf,
}

pub const TEST_JWT_SECRET: &str = "e2e-test-jwt-secret-0123456789abcdef0123456789abcdef";

pub fn spawn_app() -> TestApp {
    spawn_app_with(AppOptions::default())
}

pub fn spawn_app_with(opts: AppOptions) -> TestApp {
    try_spawn(opts).expect("app starts")
}

/// Starts the app from another manifest than the repository's `spin.toml` (e.g. a generated
/// copy whose components point at a swapped-in build); everything else as `spawn_app_with`.
pub fn try_spawn_app_from(manifest: &Path, opts: AppOptions) -> Result<TestApp> {
    try_spawn_manifest(opts, manifest)
}

fn try_spawn(opts: AppOptions) -> Result<TestApp> {
    try_spawn_manifest(opts, &repo_root().join("spin.toml"))
}

fn try_spawn_manifest(opts: AppOptions, manifest: &Path) -> Result<TestApp> {
    let (state, state_dir) = match &opts.state_dir {
        Some(d) => (None, d.clone()),
        None => {
            let t = tempfile::tempdir()?;
            let p = t.path().to_path_buf();
            (Some(t), p)
        }
    };
    let logs = Arc::new(Logs::default());
    let listen = opts.listen.as_deref().unwrap_or("127.0.0.1:0");
    let (child, base_url) = start_process(&opts, manifest, &state_dir, listen, &logs)?;
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(60))
        .build();
    Ok(TestApp {
        base_url,
        child,
        logs,
        _state: state,
        state_dir,
        agent,
        opts,
        manifest: manifest.to_path_buf(),
    })
}

/// Starts the binary on `state_dir`, listening on `listen`; returns once it says where it
/// serves (the app is loaded and its migrations applied by then). Its stderr goes to `logs`.
fn start_process(
    opts: &AppOptions,
    manifest: &Path,
    state_dir: &Path,
    listen: &str,
    logs: &Arc<Logs>,
) -> Result<(Child, String)> {
    let (bin, mut args) = runner_binary();
    let root = repo_root();
    args.extend(["-f".into(), manifest.display().to_string()]);
    args.extend(["--listen".into(), listen.to_string()]);
    args.extend(["--state-dir".into(), state_dir.display().to_string()]);
    for m in migrations() {
        args.extend(["--sqlite".into(), format!("@{}", m.display())]);
    }
    let mut variables = Vec::new();
    if !opts.without_jwt_secret {
        variables.push(("jwt_secret".to_string(), TEST_JWT_SECRET.to_string()));
    }
    variables.extend(opts.variables.iter().cloned());
    for (k, v) in &variables {
        args.extend(["--variable".into(), format!("{k}={v}")]);
    }
    for c in &opts.component_ids {
        args.extend(["--component-id".into(), c.clone()]);
    }
    let mut cmd = Command::new(&bin);
    // A process group of its own, killed whole (`kill_group`): real `spin up` serves from a
    // child process (`spin trigger http`) that outlives a SIGKILL sent to its parent alone.
    cmd.process_group(0);
    cmd.args(&args)
        .current_dir(&root)
        .env("RUNNER_CACHE_DIR", target_dir().join("runner-cache"))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    let mut child = cmd
        .spawn()
        .with_context(|| format!("cannot start {}", bin.display()))?;
    let stderr = child.stderr.take().ok_or_else(|| anyhow!("no stderr"))?;
    let err_logs = logs.clone();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let read = SystemTime::now();
            if let Ok(mut l) = err_logs.text.lock() {
                l.push_str(&line);
                l.push('\n');
            }
            if let Ok(mut l) = err_logs.lines.lock() {
                l.push((read, line));
            }
            err_logs.grew.notify_all();
        }
    });
    let stdout = child.stdout.take().ok_or_else(|| anyhow!("no stdout"))?;
    let mut reader = BufReader::new(stdout);
    let mut base_url = None;
    let mut line = String::new();
    // Reads until the runner says where it listens; EOF means it exited during start-up.
    while reader.read_line(&mut line)? > 0 {
        if let Some(url) = line.trim().strip_prefix("Serving ") {
            base_url = Some(url.trim().to_string());
            break;
        }
        line.clear();
    }
    let Some(base_url) = base_url else {
        let _ = child.wait();
        let logs = logs.text.lock().map(|l| l.clone()).unwrap_or_default();
        bail!("{} exited before serving:\n{logs}", bin.display());
    };
    // Keep draining stdout so a chatty guest never blocks on a full pipe.
    std::thread::spawn(move || {
        let mut sink = Vec::new();
        let _ = reader.read_to_end(&mut sink);
    });
    Ok((child, base_url))
}

/// SIGKILLs every process of the child's group (it leads one, see `start_process`) and reaps
/// the child. An error means they had already exited.
fn kill_group(child: &mut Child) {
    if let Some(pgid) = rustix::process::Pid::from_raw(child.id() as i32) {
        let _ = rustix::process::kill_process_group(pgid, rustix::process::Signal::KILL);
    }
    let _ = child.kill();
    let _ = child.wait();
}

impl Drop for TestApp {
    fn drop(&mut self) {
        kill_group(&mut self.child);
        if std::thread::panicking()
            && let Ok(l) = self.logs.text.lock()
        {
            eprintln!("---- runner log ----\n{l}");
        }
    }
}

/// A response with its status, headers and body, whatever the status.
#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| {
            panic!(
                "body is not JSON ({e}): {:?}",
                String::from_utf8_lossy(&self.body)
            )
        })
    }

    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// A request being built: method, path, headers, body.
pub struct Req<'a> {
    app: &'a TestApp,
    method: String,
    path: String,
    headers: Vec<(String, String)>,
}

impl<'a> Req<'a> {
    pub fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.into(), value.into()));
        self
    }

    pub fn bearer(self, token: &str) -> Self {
        self.header("Authorization", &format!("Bearer {token}"))
    }

    pub fn api_key(self, key: &str) -> Self {
        self.header("X-Api-Key", key)
    }

    pub fn send(self) -> Resp {
        self.send_bytes(&[])
    }

    pub fn json(self, body: &Value) -> Resp {
        let bytes = serde_json::to_vec(body).expect("serialisable");
        self.header("Content-Type", "application/json")
            .send_bytes(&bytes)
    }

    pub fn send_bytes(self, body: &[u8]) -> Resp {
        let mut req = self
            .app
            .agent
            .request(&self.method, &format!("{}{}", self.app.base_url, self.path));
        for (k, v) in &self.headers {
            req = req.set(k, v);
        }
        let result = if body.is_empty()
            && matches!(self.method.as_str(), "GET" | "HEAD" | "DELETE" | "OPTIONS")
        {
            req.call()
        } else {
            req.send_bytes(body)
        };
        let response = match result {
            Ok(r) => r,
            Err(ureq::Error::Status(_, r)) => r,
            Err(e) => panic!("{} {} failed: {e}", self.method, self.path),
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
            .take(256 << 20)
            .read_to_end(&mut body)
            .expect("body reads");
        Resp {
            status,
            headers,
            body,
        }
    }
}

impl TestApp {
    pub fn request(&self, method: &str, path: &str) -> Req<'_> {
        Req {
            app: self,
            method: method.into(),
            path: path.into(),
            headers: Vec::new(),
        }
    }

    pub fn get(&self, path: &str) -> Req<'_> {
        self.request("GET", path)
    }

    pub fn post(&self, path: &str) -> Req<'_> {
        self.request("POST", path)
    }

    pub fn put(&self, path: &str) -> Req<'_> {
        self.request("PUT", path)
    }

    pub fn delete(&self, path: &str) -> Req<'_> {
        self.request("DELETE", path)
    }

    /// The server's clock in milliseconds since the epoch, as `GET /health` reports it.
    pub fn server_time_ms(&self) -> i64 {
        self.get("/health").send().json()["timestamp"]
            .as_i64()
            .expect("health carries a timestamp")
    }

    /// Returns once the server's clock reads at least `ms` milliseconds past its reading now:
    /// tests that need distinct timestamps wait on the server's own clock, not on a sleep.
    pub fn wait_server_ms(&self, ms: i64) {
        let start = self.server_time_ms();
        for _ in 0..100_000 {
            if self.server_time_ms() >= start + ms {
                return;
            }
        }
        panic!("the server clock did not advance {ms} ms");
    }

    /// The runner's log so far (stderr), for assertions on what was logged.
    pub fn logs(&self) -> String {
        self.logs.text.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// Whether the runner's log shows `needle` before `timeout`: its stderr is read by
    /// another thread, so a line can trail the response of the request that wrote it. Wakes
    /// on each line read, not on a timer.
    pub fn wait_for_log(&self, needle: &str, timeout: Duration) -> bool {
        let Ok(text) = self.logs.text.lock() else {
            return false;
        };
        self.logs
            .grew
            .wait_timeout_while(text, timeout, |t| !t.contains(needle))
            .is_ok_and(|(t, _)| t.contains(needle))
    }

    /// Panics, showing the log, unless the runner logs `needle` within ten seconds. Use this,
    /// not `logs().contains`, for a line a request just wrote: the response can come first.
    pub fn assert_logged(&self, needle: &str) {
        assert!(
            self.wait_for_log(needle, Duration::from_secs(10)),
            "no {needle:?} in the runner log:\n{}",
            self.logs()
        );
    }

    /// Every line of the runner's log so far (across restarts) with the moment this process
    /// read it: a line a request's guest wrote was read after the guest wrote it, so this
    /// bounds when the request had been handled.
    pub fn log_lines(&self) -> Vec<(SystemTime, String)> {
        self.logs
            .lines
            .lock()
            .map(|l| l.clone())
            .unwrap_or_default()
    }

    /// Kills the process with SIGKILL, as a crash or an OOM kill would (no signal handler,
    /// no flush, no graceful shutdown), and waits until it is gone: once this returns, no
    /// request of it can still change anything.
    pub fn kill(&mut self) {
        kill_group(&mut self.child);
        if let Ok(mut l) = self.logs.text.lock() {
            l.push_str("---- killed (SIGKILL) ----\n");
        }
    }

    /// Starts the app again on the same state directory, with the same options, on the same
    /// address when it is free (else on a new port: `base_url` says which); kills the running
    /// process first if there still is one. Returns once it serves.
    pub fn restart(&mut self) -> Result<()> {
        self.kill();
        let same = self
            .base_url
            .strip_prefix("http://")
            .unwrap_or(&self.base_url)
            .to_string();
        let (child, base_url) = match start_process(
            &self.opts,
            &self.manifest,
            &self.state_dir,
            &same,
            &self.logs,
        ) {
            Ok(started) => started,
            // Someone took the port in between: any free one will do.
            Err(_) => start_process(
                &self.opts,
                &self.manifest,
                &self.state_dir,
                "127.0.0.1:0",
                &self.logs,
            )?,
        };
        self.child = child;
        self.base_url = base_url;
        Ok(())
    }

    /// The process id of the running binary.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}
