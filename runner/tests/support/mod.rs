//! Test harness: start the real `runner up` binary on port 0 with a manifest written into a
//! fresh temporary directory, talk to it over real HTTP, and kill it on `Drop`.
//!
//! Fixture components are the `fixture-*` crates under `runner/fixtures/`, built with
//! `cargo build --release --target wasm32-wasip2 -p fixture-hello -p fixture-caps
//! -p fixture-dep-lib -p fixture-dep-user -p fixture-unknown-import`; they are found in the
//! `wasm32-wasip2/release/` directory of the target directory this test binary runs from.

#![allow(dead_code)] // Each test binary uses a different part of the harness.

use std::collections::HashMap;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

/// How long start-up may take: the first start compiles the fixtures (later starts hit the
/// compiled-component cache). A bound on waiting, not an expectation about speed.
const START_TIMEOUT: Duration = Duration::from_secs(300);
/// How long to wait for the runner to exit, or for a line of output to appear.
const EXIT_TIMEOUT: Duration = Duration::from_secs(60);
/// Per-request timeout of the HTTP client.
const REQUEST_TIMEOUT: Duration = Duration::from_secs(120);

/// The target directory: this test executable is `<target>/release/deps/<name>-<hash>`.
pub fn target_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("the test executable's path");
    exe.parent()
        .and_then(Path::parent)
        .and_then(Path::parent)
        .expect("the test executable lives in <target>/<profile>/deps/")
        .to_path_buf()
}

/// The absolute path of a built fixture, e.g. `fixture("hello")` for `fixture-hello`.
pub fn fixture(name: &str) -> PathBuf {
    let file = format!("fixture_{}.wasm", name.replace('-', "_"));
    let path = target_dir()
        .join("wasm32-wasip2")
        .join("release")
        .join(file);
    assert!(
        path.is_file(),
        "{} is missing: build the fixtures first with \
         `cargo build --release --target wasm32-wasip2 -p fixture-{name}`",
        path.display()
    );
    path
}

/// A fixture's path as a TOML basic string, ready to paste after `source = `.
pub fn source(name: &str) -> String {
    toml_string(&fixture(name).display().to_string())
}

/// `text` as a TOML basic string.
pub fn toml_string(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A manifest-v2 document: the `[application]` header followed by `body`.
pub fn manifest(body: &str) -> String {
    format!("spin_manifest_version = 2\n\n[application]\nname = \"runner-test\"\n\n{body}")
}

/// A manifest serving one component `id` from fixture `name` at `route`, with `extra` lines
/// appended to its `[component.id]` table.
pub fn single(id: &str, name: &str, route: &str, extra: &str) -> String {
    manifest(&format!(
        "[[trigger.http]]\nroute = {route}\ncomponent = \"{id}\"\n\n\
         [component.{id}]\nsource = {src}\n{extra}\n",
        route = toml_string(route),
        src = source(name),
    ))
}

/// Percent-encodes a query-string component.
pub fn enc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-_.~".contains(&byte) {
            out.push(char::from(byte));
        } else {
            out.push_str(&format!("%{byte:02X}"));
        }
    }
    out
}

/// What to start: a manifest, extra flags, environment and files beside the manifest.
pub struct App {
    manifest: String,
    args: Vec<String>,
    env: Vec<(String, String)>,
    files: Vec<(String, String)>,
    state_dir: bool,
    dir: tempfile::TempDir,
}

impl App {
    pub fn new(manifest: impl Into<String>) -> Self {
        Self {
            manifest: manifest.into(),
            args: Vec::new(),
            env: Vec::new(),
            files: Vec::new(),
            state_dir: true,
            dir: tempfile::tempdir().expect("a temporary directory"),
        }
    }

    /// The directory holding `spin.toml` (and, by default, `state/`).
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn arg(mut self, arg: impl Into<String>) -> Self {
        self.args.push(arg.into());
        self
    }

    pub fn args<I: IntoIterator<Item = S>, S: Into<String>>(mut self, args: I) -> Self {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.env.push((key.into(), value.into()));
        self
    }

    /// Writes `contents` to `name` beside the manifest before starting.
    pub fn file(mut self, name: impl Into<String>, contents: impl Into<String>) -> Self {
        self.files.push((name.into(), contents.into()));
        self
    }

    /// Leaves out `--state-dir`, so the runner uses its default (`.spin` beside the manifest).
    pub fn default_state_dir(mut self) -> Self {
        self.state_dir = false;
        self
    }

    /// The state directory passed with `--state-dir` (unless `default_state_dir`).
    pub fn state_path(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    fn spawn(&self) -> (Child, Arc<Output>) {
        std::fs::write(self.dir.path().join("spin.toml"), &self.manifest).expect("write spin.toml");
        for (name, contents) in &self.files {
            std::fs::write(self.dir.path().join(name), contents).expect("write a test file");
        }
        let mut command = Command::new(env!("CARGO_BIN_EXE_runner"));
        command
            .arg("up")
            .arg("-f")
            .arg(self.dir.path().join("spin.toml"))
            .args(["--listen", "127.0.0.1:0"]);
        if self.state_dir {
            command.arg("--state-dir").arg(self.state_path());
        }
        command
            .args(&self.args)
            .current_dir(self.dir.path())
            .env("RUNNER_CACHE_DIR", target_dir().join("runner-test-cache"))
            .env_remove("SPIN_HTTP_LISTEN_ADDR")
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = command.spawn().expect("spawn the runner binary");
        let output = Arc::new(Output::default());
        let stdout = child.stdout.take().expect("piped stdout");
        let stderr = child.stderr.take().expect("piped stderr");
        output.drain(stdout, Stream::Stdout);
        output.drain(stderr, Stream::Stderr);
        (child, output)
    }

    /// Starts the runner and waits (reading its stdout) for `Serving http://…`.
    /// Panics, with everything the runner printed, if it exits first.
    pub fn start(self) -> Runner {
        let (mut child, output) = self.spawn();
        let serving = output.wait_for(START_TIMEOUT, |lines| {
            lines
                .iter()
                .find_map(|(stream, line)| {
                    (*stream == Stream::Stdout)
                        .then(|| line.trim().strip_prefix("Serving "))
                        .flatten()
                })
                .map(|base| base.trim().trim_end_matches('/').to_owned())
        });
        let Some(base) = serving else {
            let _ = child.kill();
            let status = child.wait();
            panic!(
                "the runner did not print `Serving http://…` (exit: {status:?}); it printed:\n{}",
                output.text()
            );
        };
        let agent = ureq::AgentBuilder::new()
            .timeout(REQUEST_TIMEOUT)
            .redirects(0)
            .build();
        Runner {
            child,
            output,
            base,
            agent,
            app: self,
        }
    }

    /// Starts the runner expecting start-up to fail: waits for it to exit and returns the
    /// exit status and everything it printed. Panics if it starts serving instead.
    pub fn start_err(self) -> Failure {
        let (mut child, output) = self.spawn();
        let served = output.wait_for(START_TIMEOUT, |lines| {
            lines
                .iter()
                .any(|(stream, line)| *stream == Stream::Stdout && line.starts_with("Serving "))
                .then_some(())
        });
        let exited = output.closed();
        if served.is_some() || !exited {
            let _ = child.kill();
        }
        let status = child.wait().expect("wait for the runner");
        let text = output.text();
        assert!(
            served.is_none(),
            "the runner started serving although start-up should fail:\n{text}"
        );
        assert!(
            exited,
            "the runner neither served nor exited within {START_TIMEOUT:?}:\n{text}"
        );
        Failure {
            status,
            stderr: output.stream_text(Stream::Stderr),
            output: text,
        }
    }
}

/// A runner that failed to start.
#[derive(Debug)]
pub struct Failure {
    pub status: ExitStatus,
    pub stderr: String,
    /// Stdout and stderr, interleaved.
    pub output: String,
}

impl Failure {
    /// Asserts a non-zero exit and that stderr mentions every one of `needles`.
    pub fn assert_mentions(&self, needles: &[&str]) {
        assert!(
            !self.status.success(),
            "expected a non-zero exit, got {:?}; output:\n{}",
            self.status,
            self.output
        );
        for needle in needles {
            assert!(
                self.stderr.contains(needle),
                "expected stderr to mention {needle:?}; stderr:\n{}",
                self.stderr
            );
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdout,
    Stderr,
}

/// Everything the runner printed, line by line, with a condition variable to wait on.
#[derive(Default)]
pub struct Output {
    state: Mutex<OutputState>,
    changed: Condvar,
}

#[derive(Default)]
struct OutputState {
    lines: Vec<(Stream, String)>,
    closed_streams: usize,
}

impl Output {
    fn drain(self: &Arc<Self>, pipe: impl Read + Send + 'static, stream: Stream) {
        let output = Arc::clone(self);
        thread::spawn(move || {
            let mut reader = BufReader::new(pipe);
            let mut line = Vec::new();
            loop {
                line.clear();
                match reader.read_until(b'\n', &mut line) {
                    Ok(0) | Err(_) => break,
                    Ok(_) => {
                        let text = String::from_utf8_lossy(&line).trim_end().to_owned();
                        let mut state = output.state.lock().expect("output lock");
                        state.lines.push((stream, text));
                        output.changed.notify_all();
                    }
                }
            }
            let mut state = output.state.lock().expect("output lock");
            state.closed_streams += 1;
            output.changed.notify_all();
        });
    }

    /// Waits until `check` finds something in the lines printed so far, both streams close
    /// (the process exited), or `timeout` passes.
    fn wait_for<T>(
        &self,
        timeout: Duration,
        mut check: impl FnMut(&[(Stream, String)]) -> Option<T>,
    ) -> Option<T> {
        let deadline = Instant::now() + timeout;
        let mut state = self.state.lock().expect("output lock");
        loop {
            if let Some(found) = check(&state.lines) {
                return Some(found);
            }
            let now = Instant::now();
            if state.closed_streams == 2 || now >= deadline {
                return None;
            }
            state = self
                .changed
                .wait_timeout(state, deadline - now)
                .expect("output lock")
                .0;
        }
    }

    fn closed(&self) -> bool {
        self.state.lock().expect("output lock").closed_streams == 2
    }

    /// Both streams, interleaved in arrival order.
    pub fn text(&self) -> String {
        let state = self.state.lock().expect("output lock");
        state
            .lines
            .iter()
            .map(|(_, line)| line.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }

    fn stream_text(&self, stream: Stream) -> String {
        let state = self.state.lock().expect("output lock");
        state
            .lines
            .iter()
            .filter(|(s, _)| *s == stream)
            .map(|(_, line)| line.as_str())
            .collect::<Vec<_>>()
            .join("\n")
    }
}

/// A running `runner up`, killed on `Drop`.
pub struct Runner {
    child: Child,
    output: Arc<Output>,
    /// `http://127.0.0.1:<port>`
    pub base: String,
    agent: ureq::Agent,
    app: App,
}

/// An HTTP answer.
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: HashMap<String, String>,
    pub body: String,
}

impl Reply {
    /// The body as JSON (panics with the body if it is not JSON).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| {
            panic!(
                "expected a JSON body ({e}); status {}, body:\n{}",
                self.status, self.body
            )
        })
    }

    /// Asserts the status is 200 and returns the JSON body.
    pub fn ok_json(&self) -> Value {
        assert_eq!(self.status, 200, "unexpected status; body:\n{}", self.body);
        self.json()
    }
}

impl Runner {
    pub fn url(&self, path_and_query: &str) -> String {
        format!("{}{}", self.base, path_and_query)
    }

    pub fn get(&self, path_and_query: &str) -> Reply {
        self.request("GET", path_and_query, &[], None)
    }

    pub fn post(&self, path_and_query: &str, body: &[u8]) -> Reply {
        self.request("POST", path_and_query, &[], Some(body))
    }

    /// GET returning the JSON body of a 200 answer.
    pub fn get_json(&self, path_and_query: &str) -> Value {
        self.get(path_and_query).ok_json()
    }

    pub fn request(
        &self,
        method: &str,
        path_and_query: &str,
        headers: &[(&str, &str)],
        body: Option<&[u8]>,
    ) -> Reply {
        let mut request = self.agent.request(method, &self.url(path_and_query));
        for (name, value) in headers {
            request = request.set(name, value);
        }
        let result = match body {
            Some(body) => request.send_bytes(body),
            None => request.call(),
        };
        let response = match result {
            Ok(response) | Err(ureq::Error::Status(_, response)) => response,
            Err(ureq::Error::Transport(error)) => panic!(
                "{method} {path_and_query} failed: {error}; runner output:\n{}",
                self.output.text()
            ),
        };
        let status = response.status();
        let headers = response
            .headers_names()
            .into_iter()
            .filter_map(|name| {
                let value = response.header(&name)?.to_owned();
                Some((name.to_ascii_lowercase(), value))
            })
            .collect();
        let body = response.into_string().expect("a UTF-8 response body");
        Reply {
            status,
            headers,
            body,
        }
    }

    /// Everything the runner printed so far (stdout and stderr interleaved).
    pub fn output(&self) -> String {
        self.output.text()
    }

    /// Waits (bounded) until a line containing `needle` has been printed; returns whether it was.
    pub fn wait_for_output(&self, needle: &str) -> bool {
        self.output
            .wait_for(EXIT_TIMEOUT, |lines| {
                lines
                    .iter()
                    .any(|(_, line)| line.contains(needle))
                    .then_some(())
            })
            .is_some()
    }

    /// The app this runner was started from (its directory and state directory).
    pub fn app(&self) -> &App {
        &self.app
    }

    /// Sends `signal` (e.g. `"TERM"`, `"INT"`) and waits for the runner to exit.
    pub fn signal_and_wait(mut self, signal: &str) -> ExitStatus {
        let pid = self.child.id().to_string();
        let sent = Command::new("kill")
            .args([format!("-{signal}"), pid])
            .status()
            .expect("run kill");
        assert!(sent.success(), "kill -{signal} failed");
        // Nothing to find: this returns once both output streams close, i.e. the process exited.
        self.output.wait_for(EXIT_TIMEOUT, |_| None::<()>);
        assert!(
            self.output.closed(),
            "the runner did not exit within {EXIT_TIMEOUT:?} of SIG{signal}; output:\n{}",
            self.output.text()
        );
        self.child.wait().expect("wait for the runner")
    }

    /// Stops the runner and gives back its app (same directory and state) to start again.
    pub fn stop(mut self) -> App {
        let _ = self.child.kill();
        let _ = self.child.wait();
        // Take the app out; `Drop` then only kills an already-dead child.
        let replacement = App::new(String::new());
        std::mem::replace(&mut self.app, replacement)
    }
}

impl Drop for Runner {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A tiny HTTP/1.1 server on 127.0.0.1 answering every request `200 OK` with the body
/// `backend says hi`, for outbound-HTTP tests. Runs until the test process ends.
pub struct Backend {
    pub port: u16,
}

impl Backend {
    pub const BODY: &'static str = "backend says hi";

    pub fn start() -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind a backend port");
        let port = listener.local_addr().expect("backend address").port();
        thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                thread::spawn(move || {
                    let mut reader = BufReader::new(match stream.try_clone() {
                        Ok(s) => s,
                        Err(_) => return,
                    });
                    let mut line = String::new();
                    // Read the request head up to its blank line; the tests send no body.
                    loop {
                        line.clear();
                        match reader.read_line(&mut line) {
                            Ok(0) | Err(_) => return,
                            Ok(_) if line == "\r\n" || line == "\n" => break,
                            Ok(_) => {}
                        }
                    }
                    let body = Self::BODY;
                    let _ = write!(
                        stream,
                        "HTTP/1.1 200 OK\r\ncontent-type: text/plain\r\ncontent-length: {}\r\n\
                         connection: close\r\n\r\n{body}",
                        body.len()
                    );
                    let _ = stream.flush();
                });
            }
        });
        Self { port }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }
}
