//! Seeded randomness for the fault-injection tests (lock linearizability, crash durability).
//!
//! Every random choice of such a test — which profile, how long to pause, which request gets a
//! short timeout, when the runner is killed — comes from one seed, printed at the start and
//! taken from `E2E_SEED` when set, so a failing run's workload can be replayed. What the seed
//! cannot fix is the operating system's scheduling: the same choices may interleave differently
//! on the server, which is what the checkers are for.
//!
//! The generator is SplitMix64 (Steele, Lea and Flood, 2014): a few lines, no dependency, and
//! the same stream for a seed on every platform and toolchain, which a library's "standard"
//! generator does not promise across versions.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// A SplitMix64 generator.
#[derive(Debug, Clone)]
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `lo..=hi`.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        assert!(lo <= hi, "empty range {lo}..={hi}");
        match (hi - lo).checked_add(1) {
            Some(span) => lo + self.next_u64() % span,
            None => self.next_u64(),
        }
    }

    /// An index below `n` (> 0).
    pub fn index(&mut self, n: usize) -> usize {
        assert!(n > 0, "no index below 0");
        (self.next_u64() % n as u64) as usize
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    /// A pause of `lo..=hi` milliseconds.
    pub fn millis(&mut self, lo: u64, hi: u64) -> Duration {
        Duration::from_millis(self.range(lo, hi))
    }

    /// An independent generator (one per client thread), derived from this one.
    pub fn fork(&mut self) -> Rng {
        Rng(self.next_u64())
    }
}

/// The seed of this run: `E2E_SEED` (decimal or `0x` hex) when set, else one from the clock.
/// Printed either way (the test harness shows it for a failing test).
pub fn seed(test: &str) -> u64 {
    let seed = match std::env::var("E2E_SEED") {
        Ok(raw) => {
            let raw = raw.trim();
            let parsed = match raw.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16),
                None => raw.parse(),
            };
            parsed.unwrap_or_else(|_| panic!("E2E_SEED={raw:?} is not a number"))
        }
        Err(_) => SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(0x5EED),
    };
    eprintln!("{test}: seed {seed} (replay with E2E_SEED={seed})");
    seed
}

/// Milliseconds since the epoch on this machine's clock: the clock the runner's guests read
/// (`wasi:clocks/wall-clock` is the host's), so it brackets the server's `now` of a request
/// sent and answered on this machine.
pub fn wall_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// An HTTP client for requests that may meet a killed server: no connection pool (a pooled
/// connection to a killed runner would turn a request that never reached any server into an
/// unknown one) and no retries.
pub fn agent() -> ureq::Agent {
    ureq::AgentBuilder::new().max_idle_connections(0).build()
}

/// What became of a request sent to a server that may be killed at any moment.
#[derive(Debug, Clone)]
pub enum Answer {
    /// A complete response, whatever its status.
    Response { status: u16, body: String },
    /// Sent, but no complete answer came (timed out, connection cut): it may or may not have
    /// been applied.
    Unknown(String),
    /// The connection was refused: it never reached a server.
    Unreachable,
}

/// Sends one request and says what became of it; never panics on a transport error.
pub fn send(
    agent: &ureq::Agent,
    method: &str,
    url: &str,
    headers: &[(&str, &str)],
    body: Option<&[u8]>,
    timeout: Duration,
) -> Answer {
    let mut request = agent.request(method, url).timeout(timeout);
    for (k, v) in headers {
        request = request.set(k, v);
    }
    let result = match body {
        Some(b) => request.send_bytes(b),
        None => request.call(),
    };
    let (status, response) = match result {
        Ok(r) => (r.status(), r),
        Err(ureq::Error::Status(status, r)) => (status, r),
        Err(ureq::Error::Transport(t)) if t.kind() == ureq::ErrorKind::ConnectionFailed => {
            return Answer::Unreachable;
        }
        Err(ureq::Error::Transport(t)) => return Answer::Unknown(t.to_string()),
    };
    match response.into_string() {
        Ok(body) => Answer::Response { status, body },
        Err(e) => Answer::Unknown(format!("reading the body: {e}")),
    }
}

/// Whether the long mode is on (`E2E_LONG=1`): more rounds and longer runs.
pub fn long_mode() -> bool {
    std::env::var("E2E_LONG").is_ok_and(|v| !v.is_empty() && v != "0")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_same_seed_gives_the_same_stream() {
        let a: Vec<u64> = {
            let mut r = Rng::new(42);
            (0..5).map(|_| r.next_u64()).collect()
        };
        let mut r = Rng::new(42);
        assert_eq!(a, (0..5).map(|_| r.next_u64()).collect::<Vec<_>>());
        // SplitMix64's published first output for seed 0
        assert_eq!(Rng::new(0).next_u64(), 0xE220_A839_7B1D_CDAF);
    }

    #[test]
    fn ranges_stay_inside_their_bounds() {
        let mut r = Rng::new(7);
        for _ in 0..1000 {
            let n = r.range(3, 9);
            assert!((3..=9).contains(&n));
            assert!(r.index(4) < 4);
        }
        assert_eq!(r.range(5, 5), 5);
    }
}
