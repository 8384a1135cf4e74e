//! A real S3-compatible server for the blob tests: Garage 2.5 in single-node mode, one per
//! test, in a fresh temporary directory, on free loopback ports, killed on drop.
//!
//! `garage server --single-node --default-bucket` lays out the one-node cluster and creates the
//! access key (`GARAGE_DEFAULT_ACCESS_KEY` / `GARAGE_DEFAULT_SECRET_KEY`) and the bucket
//! (`GARAGE_DEFAULT_BUCKET`, read-write for that key) before it opens the S3 port, so the
//! port answering means the bucket is ready. Point an app at it with
//! [`AppOptions::blob_store`](crate::AppOptions::blob_store).
//!
//! The binary: `E2E_GARAGE`, else `~/.cache/browsercloud/tools/bin/garage` (where
//! `scripts/ensure-test-tools` installs it), else `garage` on PATH. A missing binary fails the
//! test; it is never skipped.

use anyhow::{Context, Result, bail};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::AppOptions;

/// Garage's key ids are `GK` + 24 hex digits; secrets 64 hex digits.
pub const ACCESS_KEY: &str = "GK0e2e000000000000000b10b5";
pub const SECRET_KEY: &str = "5ec4e7000000000000000000000000000000000000000000000000000000e2e0";
pub const BUCKET: &str = "browser-cloud-test";
/// Garage checks the region of every signature against its `s3_region`.
pub const REGION: &str = "garage";
/// The RPC secret of the one-node cluster (32 bytes, hex); nothing else joins it.
const RPC_SECRET: &str = "0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e0e2e";

/// How long Garage may take to open its S3 port.
const START_TIMEOUT: Duration = Duration::from_secs(60);
const POLL_INTERVAL: Duration = Duration::from_millis(50);
/// Start attempts: a free port picked here can be taken before Garage binds it.
const ATTEMPTS: usize = 3;

pub struct Garage {
    child: Option<Child>,
    dir: tempfile::TempDir,
    s3_port: u16,
}

impl Garage {
    /// Starts a Garage and waits until its S3 API answers; panics with its log if it cannot.
    pub fn start() -> Self {
        Self::try_start().unwrap_or_else(|e| panic!("Garage does not start: {e:#}"))
    }

    pub fn try_start() -> Result<Self> {
        let bin = binary()?;
        let mut last = None;
        for _ in 0..ATTEMPTS {
            match Self::start_once(&bin) {
                Ok(g) => return Ok(g),
                Err(e) => last = Some(e),
            }
        }
        Err(last.unwrap_or_else(|| anyhow::anyhow!("no attempt made")))
    }

    fn start_once(bin: &Path) -> Result<Self> {
        let dir = tempfile::tempdir()?;
        let [rpc_port, s3_port] = free_ports()?;
        let config = dir.path().join("garage.toml");
        std::fs::write(&config, config_text(dir.path(), rpc_port, s3_port))?;
        let log = std::fs::File::create(dir.path().join("garage.log"))?;
        let child = Command::new(bin)
            .arg("-c")
            .arg(&config)
            .args(["server", "--single-node", "--default-bucket"])
            .env("GARAGE_DEFAULT_ACCESS_KEY", ACCESS_KEY)
            .env("GARAGE_DEFAULT_SECRET_KEY", SECRET_KEY)
            .env("GARAGE_DEFAULT_BUCKET", BUCKET)
            .env("RUST_LOG", "warn,garage=info")
            .stdin(Stdio::null())
            .stdout(log.try_clone()?)
            .stderr(log)
            .spawn()
            .with_context(|| format!("cannot start {}", bin.display()))?;
        let mut garage = Self {
            child: Some(child),
            dir,
            s3_port,
        };
        garage
            .wait_ready()
            .with_context(|| format!("garage log:\n{}", garage.logs()))?;
        Ok(garage)
    }

    /// Polls until Garage's S3 API answers on its port: an unsigned request gets Garage's 403
    /// S3 error document. Any other answer is another process on the port (the port was free
    /// when picked, and a parallel test's server may have been given it since): Garage then
    /// fails to bind and exits, and the start is tried again on new ports.
    fn wait_ready(&mut self) -> Result<()> {
        let deadline = Instant::now() + START_TIMEOUT;
        let addr = SocketAddr::from(([127, 0, 0, 1], self.s3_port));
        let agent = ureq::AgentBuilder::new()
            .timeout(Duration::from_secs(5))
            .build();
        loop {
            if let Some(child) = self.child.as_mut()
                && let Some(status) = child.try_wait()?
            {
                bail!("garage exited during start-up ({status})");
            }
            if TcpStream::connect_timeout(&addr, POLL_INTERVAL).is_ok()
                && let Err(ureq::Error::Status(_, response)) = agent.get(&self.endpoint()).call()
                && response.content_type().contains("xml")
                && response
                    .into_string()
                    .is_ok_and(|body| body.contains("<Error>"))
            {
                return Ok(());
            }
            if Instant::now() > deadline {
                bail!(
                    "the S3 port {} did not answer within {START_TIMEOUT:?}",
                    self.s3_port
                );
            }
            std::thread::sleep(POLL_INTERVAL);
        }
    }

    /// `http://127.0.0.1:<port>`: the S3 endpoint, and the app's allowed outbound host.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }

    /// Kills the server (the S3 port stops answering); the data directory stays until drop.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Garage's own log so far.
    pub fn logs(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("garage.log")).unwrap_or_default()
    }
}

impl Drop for Garage {
    fn drop(&mut self) {
        self.stop();
        if std::thread::panicking() {
            let logs = self.logs();
            let tail: Vec<&str> = logs.lines().rev().take(40).collect();
            eprintln!("---- garage log (last lines) ----");
            for line in tail.iter().rev() {
                eprintln!("{line}");
            }
        }
    }
}

impl AppOptions {
    /// Points the app's blob store at `garage` (the variables the `blobs` component reads).
    pub fn blob_store(self, garage: &Garage) -> Self {
        self.variable("blob_endpoint", &garage.endpoint())
            .variable("blob_bucket", BUCKET)
            .variable("blob_region", REGION)
            .variable("blob_access_key", ACCESS_KEY)
            .variable("blob_secret_key", SECRET_KEY)
    }
}

fn config_text(dir: &Path, rpc_port: u16, s3_port: u16) -> String {
    let path = |name: &str| dir.join(name).display().to_string();
    format!(
        r#"metadata_dir = {meta:?}
data_dir = {data:?}
db_engine = "sqlite"
replication_factor = 1
rpc_bind_addr = "127.0.0.1:{rpc_port}"
rpc_public_addr = "127.0.0.1:{rpc_port}"
rpc_secret = "{RPC_SECRET}"

[s3_api]
api_bind_addr = "127.0.0.1:{s3_port}"
s3_region = "{REGION}"
"#,
        meta = path("meta"),
        data = path("data"),
    )
}

/// Two distinct free loopback ports (held together while picked, so they differ).
fn free_ports() -> Result<[u16; 2]> {
    let a = TcpListener::bind("127.0.0.1:0")?;
    let b = TcpListener::bind("127.0.0.1:0")?;
    Ok([a.local_addr()?.port(), b.local_addr()?.port()])
}

/// The Garage binary, looked up as the module doc says.
pub fn binary() -> Result<PathBuf> {
    if let Some(bin) = std::env::var_os("E2E_GARAGE") {
        let bin = PathBuf::from(bin);
        if bin.is_file() {
            return Ok(bin);
        }
        bail!("E2E_GARAGE={} is not a file", bin.display());
    }
    if let Some(home) = std::env::var_os("HOME") {
        let cached = Path::new(&home).join(".cache/browsercloud/tools/bin/garage");
        if cached.is_file() {
            return Ok(cached);
        }
    }
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            let bin = dir.join("garage");
            if bin.is_file() {
                return Ok(bin);
            }
        }
    }
    bail!(
        "no garage binary (E2E_GARAGE, ~/.cache/browsercloud/tools/bin, PATH): run scripts/ensure-test-tools"
    )
}
