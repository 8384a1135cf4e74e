//! The launch lock's history, checked for linearizability.
//!
//! 32 clients (one user and team, each client its own `X-Client-ID`) launch, heartbeat and
//! release four profiles over HTTP with seeded random pauses, against a `lock_ttl` of 300 ms so
//! that leases go stale and are taken over; a refused client often comes back at the expiry the
//! refusal named, so launches race each other and the holder's heartbeat there. One call in
//! twenty gets a client timeout of a few milliseconds, so its outcome is unknown. Every operation is recorded with its invoke and
//! return instants (one monotonic clock for all threads) and its outcome; then each profile's
//! history is checked with stateright's [`LinearizabilityTester`] against [`LockSpec`], a
//! sequential model of the lock written here, and the safety properties are checked directly
//! from the history. The second test does the same while the runner is killed with SIGKILL
//! three times (twenty in the long mode) and started again on the same state directory in the
//! middle of the run.
//!
//! # The model
//!
//! The state is the lock row: the holder (a client or none), the last fencing token, and the
//! expiry. Operations are `acquire(client)`, `heartbeat(client, token)` and `release(client,
//! token)`; results are `granted(token, now)`, `held(holder, expiresAt)`, `not-held` and
//! `released`. The rules are those of `components/locks`: an acquire succeeds when the lock is
//! free, stale (`expiresAt <= now`) or already the caller's; the token grows by one for every
//! new holder and stays for the live holder acquiring again; heartbeat and release need the
//! holder's client *and* token, and succeed on a stale lock nobody took over.
//!
//! Each profile is its own lock (its own row, touched by no statement of another profile), and
//! linearizability is local (Herlihy and Wing, 1990): the history is linearizable exactly when
//! each profile's sub-history is, so each profile is checked on its own, which keeps the search
//! small.
//!
//! # Time
//!
//! Only the acquire depends on time (is the lock stale?), and it is the *server's* clock that
//! decides: each lock call reads `now` once and runs one statement with it. So time is part of
//! each operation, from the server where it can be known exactly:
//!
//! - a granted acquire or heartbeat answers `expiresAt`, which is the server's `now + ttl`: the
//!   result carries that `now`, and the model applies the rules at that `now` (stale or not,
//!   renewed or new token) and sets the expiry to it;
//! - a refused acquire names the live holder and its `expiresAt` (read in the refusal's own
//!   read, which is where it linearizes): the model checks that exact holder and expiry, and
//!   that the expiry was still ahead of the server's clock at the invocation;
//! - heartbeat and release do not depend on time.
//!
//! The model does not order `now` by the linearization: the server reads its clock before its
//! statement waits for SQLite's write lock, so two concurrent calls can commit in the opposite
//! order of their `now`s, and the model must allow what the server rightly does.
//!
//! The server's `now` is bracketed by this machine's clock read just before the request is sent
//! and just after the answer arrives (the guests' wall clock is the host's; the runner runs
//! here). That assumption is checked: every granted `now` must lie in its request's bracket.
//!
//! # Unknown outcomes
//!
//! A call that timed out, was cut by the kill, or answered 5xx may or may not have taken
//! effect, at a server time from its invocation to its last possible moment: its answer for a
//! 5xx; else the moment the runner's access log line for its `X-Request-Id` was read (the guest
//! writes it after handling the request), or the kill of the runner it reached (the run ends
//! with a kill as well). The model keeps such a call *pending* from the point stateright places
//! it: in every later step it may take effect (with an expiry anywhere its time window allows)
//! or not, until its last moment has passed; the states are a small set of `holder, token,
//! expiry range, pending calls`, narrowed by every exact result. Placing a pending call at its
//! invocation covers every later placement, so processes that end with one are given the
//! tester's first thread ids and stateright places it there first.
//!
//! # Checking in parts
//!
//! stateright's tester is a depth-first search without memory: on a history with no
//! linearization it would try every interleaving of every earlier concurrent window. So each
//! profile's history is cut where no call is in flight and the lock's state does not depend on
//! how the part before is linearized (its last grant or release is after all its other state
//! changes in real time, and sets the whole row); every linearization of the whole is then one
//! of each part in turn, and each part is checked from that state. Pending calls that may still
//! take effect cross the cut (possibly taking effect twice in the model: an over-approximation
//! that can only accept more). A violation is then reported as the few calls of its part.

//! # Direct checks
//!
//! Besides linearizability, straight from the recorded history of each profile:
//! - a fencing token belongs to one client;
//! - tokens never go back, and grow with every new holder: a grant that returned before
//!   another grant was invoked has a smaller or equal token, smaller when the client differs;
//! - at no instant do two clients hold a live lease: a grant of token `k` makes its holder the
//!   only one from the moment the answer arrived to its `expiresAt`, or to the moment it sent a
//!   release of `k` that succeeded (or may have); these intervals never overlap across tokens.
//!   A takeover after expiry does not overlap by construction: it was granted at a `now` at or
//!   after the old `expiresAt`, so answered after it.
//!
//! The seed (printed; `E2E_SEED` replays it) fixes every random choice: profiles, pauses,
//! timeouts, kill moments. `E2E_LONG=1` runs longer.

mod desktop;

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex, RwLock, mpsc};
use std::time::{Duration, Instant};

use e2e::chaos::{self, Answer, Rng};
use e2e::{AppOptions, json, spawn_app_with};
use serde_json::Value;
use stateright::semantics::{ConsistencyTester, LinearizabilityTester, SequentialSpec};

/// The `lock_ttl` of these runs.
const TTL_MS: i64 = 300;
const CLIENTS: usize = 32;
const PROFILES: usize = 4;
/// How long the clients run (the long mode: ten times as long).
const RUN: Duration = Duration::from_secs(8);
/// No server time bound: an unknown operation's effect may come at any later moment.
const FAR: i64 = i64::MAX / 4;
/// How long the linearizability check of one run may take.
const CHECK_BUDGET: Duration = Duration::from_secs(60);

type ClientId = u16;
/// A history's process: a client until one of its calls ends unknown, then a new process of
/// the same client (its unknown call may still take effect while its next call runs).
type Process = u32;

// ---------------------------------------------------------------------------------------------
// The sequential model.

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Kind {
    Acquire,
    Heartbeat(u64),
    Release(u64),
}

/// An operation as the model sees it: who, what, and the server-time window its effect may
/// fall in (`t_lo`: the server's clock at invocation or later; `t_hi`: its last possible
/// moment, `FAR` when unbounded).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Op {
    client: ClientId,
    kind: Kind,
    t_lo: i64,
    t_hi: i64,
}

#[derive(Clone, Debug, PartialEq, Eq)]
enum Ret {
    /// Acquire or heartbeat succeeded: the token and the server's `now` (`expiresAt - ttl`).
    Granted { token: u64, now: i64 },
    /// Acquire refused: the live holder and its `expiresAt`.
    Held { holder: ClientId, expires_at: i64 },
    /// Heartbeat or release refused (`lock_not_held`).
    NotHeld,
    /// Release succeeded.
    Released,
    /// What the model answers for an operation whose outcome nobody saw (never compared).
    Unknown,
}

/// One possible state of the lock row. The expiry is known to lie in `exp_lo..=exp_hi`
/// (a single value unless an unknown operation may have set it); 0..=0 when free.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
struct Lease {
    holder: Option<ClientId>,
    token: u64,
    exp_lo: i64,
    exp_hi: i64,
}

impl Lease {
    fn held(client: ClientId, token: u64, lo: i64, hi: i64) -> Self {
        Lease {
            holder: Some(client),
            token,
            exp_lo: lo,
            exp_hi: hi,
        }
    }

    fn free(token: u64) -> Self {
        Lease {
            holder: None,
            token,
            exp_lo: 0,
            exp_hi: 0,
        }
    }

    fn is(&self, client: ClientId, token: u64) -> bool {
        self.holder == Some(client) && self.token == token
    }
}

/// One possible state of the model: the lock row, and the operations whose outcome nobody
/// saw that may still take effect (each at most once, at any later point, or never).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct State {
    lease: Lease,
    pending: Vec<Op>,
}

/// The lock of one profile: the set of states it may be in (one, unless an operation's
/// outcome is unknown). The set is kept closed under "a pending operation takes effect now",
/// so every step sees every state the lock may have reached.
#[derive(Clone, Debug)]
struct LockSpec {
    ttl: i64,
    states: Vec<State>,
}

impl LockSpec {
    fn new(ttl: i64) -> Self {
        // Before the first launch there is no row: a free lock whose last token is 0.
        LockSpec {
            ttl,
            states: vec![State {
                lease: Lease::free(0),
                pending: Vec::new(),
            }],
        }
    }

    /// The state after `op` answered `ret` in state `s`, or `None` when the server could not
    /// have answered that in that state.
    fn step(&self, s: &Lease, op: &Op, ret: &Ret) -> Option<Lease> {
        let c = op.client;
        match (op.kind, ret) {
            (Kind::Acquire, Ret::Granted { token, now }) => {
                let (token, now) = (*token, *now);
                let stale = s.exp_lo <= now; // may the lease be stale at `now`?
                let live = s.exp_hi > now; // may it be live?
                let ok = match s.holder {
                    None => token == s.token + 1,
                    // The live holder again: the same token; its stale lease: a new one.
                    Some(h) if h == c => {
                        (token == s.token && live) || (token == s.token + 1 && stale)
                    }
                    Some(_) => token == s.token + 1 && stale,
                };
                ok.then(|| Lease::held(c, token, now + self.ttl, now + self.ttl))
            }
            (Kind::Acquire, Ret::Held { holder, expires_at }) => {
                let e = *expires_at;
                let ok = s.holder == Some(*holder)
                    && *holder != c
                    && (s.exp_lo..=s.exp_hi).contains(&e)
                    // live at the refusal's `now`, which is not before the invocation
                    && e > op.t_lo;
                ok.then(|| Lease::held(*holder, s.token, e, e))
            }
            (Kind::Heartbeat(t), Ret::Granted { token, now }) => (s.is(c, t) && *token == t)
                .then(|| Lease::held(c, t, now + self.ttl, now + self.ttl)),
            (Kind::Heartbeat(t) | Kind::Release(t), Ret::NotHeld) => {
                (!s.is(c, t)).then(|| s.clone())
            }
            (Kind::Release(t), Ret::Released) => s.is(c, t).then(|| Lease::free(s.token)),
            _ => None,
        }
    }

    /// The states `op`, whose outcome nobody saw, may leave `s` in by taking effect at some
    /// server time in `t_lo..=t_hi` (not taking effect leaves `s` as it is).
    fn effects(&self, s: &Lease, op: &Op) -> Vec<Lease> {
        let (c, ttl) = (op.client, self.ttl);
        let (lo, hi) = (op.t_lo, op.t_hi);
        let mut out = Vec::new();
        match op.kind {
            Kind::Acquire => match s.holder {
                None => out.push(Lease::held(c, s.token + 1, lo + ttl, hi + ttl)),
                Some(h) => {
                    // a new holder at a `now` at or after the old expiry
                    if s.exp_lo <= hi {
                        out.push(Lease::held(
                            c,
                            s.token + 1,
                            lo.max(s.exp_lo) + ttl,
                            hi + ttl,
                        ));
                    }
                    // the live holder renewing at a `now` before its expiry
                    if h == c && s.exp_hi > lo {
                        out.push(Lease::held(
                            c,
                            s.token,
                            lo + ttl,
                            hi.min(s.exp_hi - 1) + ttl,
                        ));
                    }
                }
            },
            Kind::Heartbeat(t) => {
                if s.is(c, t) {
                    out.push(Lease::held(c, t, lo + ttl, hi + ttl));
                }
            }
            Kind::Release(t) => {
                if s.is(c, t) {
                    out.push(Lease::free(s.token));
                }
            }
        }
        out
    }

    /// Adds every state reachable by pending operations taking effect, one after another.
    /// A pending heartbeat or release whose token is no longer the lock's can never take
    /// effect (tokens only grow, and a token is one client's) and is dropped.
    fn close(&mut self) {
        let mut all = std::mem::take(&mut self.states);
        for s in &mut all {
            let lease = &s.lease;
            s.pending.retain(|p| match p.kind {
                Kind::Acquire => true,
                Kind::Heartbeat(t) | Kind::Release(t) => lease.token < t || lease.is(p.client, t),
            });
        }
        let mut frontier = all.clone();
        while !frontier.is_empty() {
            let mut next = Vec::new();
            for s in &frontier {
                for (i, op) in s.pending.iter().enumerate() {
                    let mut pending = s.pending.clone();
                    pending.remove(i);
                    for lease in self.effects(&s.lease, op) {
                        let state = State {
                            lease,
                            pending: pending.clone(),
                        };
                        if !all.contains(&state) && !next.contains(&state) {
                            next.push(state);
                        }
                    }
                }
            }
            all.extend(next.iter().cloned());
            frontier = next;
        }
        self.states = normalize(all);
    }
}

/// Sorted, without duplicates, and with the expiry ranges of otherwise equal states merged
/// where they overlap or touch (exact: the expiry is a whole number of milliseconds).
fn normalize(mut states: Vec<State>) -> Vec<State> {
    states.sort_by(|a, b| {
        (
            &a.lease.holder,
            a.lease.token,
            &a.pending,
            a.lease.exp_lo,
            a.lease.exp_hi,
        )
            .cmp(&(
                &b.lease.holder,
                b.lease.token,
                &b.pending,
                b.lease.exp_lo,
                b.lease.exp_hi,
            ))
    });
    let mut out: Vec<State> = Vec::with_capacity(states.len());
    for s in states {
        if let Some(last) = out.last_mut()
            && last.lease.holder == s.lease.holder
            && last.lease.token == s.lease.token
            && last.pending == s.pending
            && s.lease.exp_lo <= last.lease.exp_hi.saturating_add(1)
        {
            last.lease.exp_hi = last.lease.exp_hi.max(s.lease.exp_hi);
            continue;
        }
        out.push(s);
    }
    out
}

impl SequentialSpec for LockSpec {
    type Op = Op;
    type Ret = Ret;

    /// Called by the tester for an operation whose outcome nobody saw, at the point where it
    /// places it (at the earliest, its invocation): from here on it may take effect at any
    /// point, or never. Placing it here covers every later placement, so the tester's first
    /// choice is never a wrong one.
    fn invoke(&mut self, op: &Op) -> Ret {
        for s in &mut self.states {
            s.pending.push(op.clone());
            s.pending.sort();
        }
        self.close();
        Ret::Unknown
    }

    /// A completed operation: valid when some possible state answers `ret`; the states that
    /// do, stepped, are the new possible states. A pending operation that cannot take effect
    /// after this one (its last moment is before this one's invocation) is dropped.
    fn is_valid_step(&mut self, op: &Op, ret: &Ret) -> bool {
        let next: Vec<State> = self
            .states
            .iter()
            .filter_map(|s| {
                self.step(&s.lease, op, ret).map(|lease| State {
                    lease,
                    pending: s
                        .pending
                        .iter()
                        .filter(|p| p.t_hi >= op.t_lo)
                        .cloned()
                        .collect(),
                })
            })
            .collect();
        if next.is_empty() {
            return false;
        }
        self.states = next;
        self.close();
        true
    }
}

// ---------------------------------------------------------------------------------------------
// The workload.

#[derive(Clone, Debug)]
enum Outcome {
    Done(Ret),
    /// No answer (timed out, connection cut) or a 5xx (`answered`): it may have taken effect.
    Unknown {
        answered: bool,
    },
    /// The connection was refused (the runner was down): it never reached a server.
    Unreachable,
}

#[derive(Clone, Debug)]
struct Rec {
    process: Process,
    profile: usize,
    client: ClientId,
    kind: Kind,
    inv: Instant,
    inv_wall: i64,
    /// When the answer (or the error) came.
    end: Instant,
    end_wall: i64,
    outcome: Outcome,
    /// Its `X-Request-Id`, which the runner's access log line names.
    request_id: String,
    /// The last server time it may have taken effect at (see [`effect_bound`]).
    t_hi: i64,
}

/// A kill of the runner: when it was dead, and when it served again.
#[derive(Clone, Copy, Debug)]
struct Outage {
    killed: Instant,
    killed_wall: i64,
    back: Instant,
}

struct Shared {
    base: RwLock<String>,
    token: String,
    profiles: Vec<String>,
}

struct Client {
    id: ClientId,
    generation: u32,
    /// Calls made, for request ids.
    calls: u32,
    agent: ureq::Agent,
    shared: Arc<Shared>,
    recs: Vec<Rec>,
    last_end: Option<Instant>,
}

fn client_name(id: ClientId) -> String {
    format!("c{id:02}")
}

impl Client {
    fn process(&self) -> Process {
        Process::from(self.id) * 1000 + self.generation
    }

    /// Mostly a generous timeout; one call in twenty gets a few milliseconds, so that its
    /// outcome may be unknown.
    fn timeout(rng: &mut Rng) -> Duration {
        if rng.chance(0.05) {
            rng.millis(1, 5)
        } else {
            Duration::from_secs(20)
        }
    }

    /// Runs one call and records it; `None` when its outcome is unknown or it never reached
    /// the server.
    fn call(&mut self, profile: usize, kind: Kind, timeout: Duration) -> Option<Ret> {
        let base = self
            .shared
            .base
            .read()
            .map(|b| b.clone())
            .expect("base url");
        let id = &self.shared.profiles[profile];
        let verb = match kind {
            Kind::Acquire => "launch",
            Kind::Heartbeat(_) => "heartbeat",
            Kind::Release(_) => "release",
        };
        let url = format!("{base}/api/profiles/{id}/{verb}");
        let auth = format!("Bearer {}", self.shared.token);
        let name = client_name(self.id);
        self.calls += 1;
        let request_id = format!("lin-{name}-{:06}", self.calls);
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("X-Client-ID", name.as_str()),
            ("X-Request-Id", request_id.as_str()),
        ];
        let body = match kind {
            Kind::Acquire => None,
            Kind::Heartbeat(t) | Kind::Release(t) => {
                headers.push(("Content-Type", "application/json"));
                Some(json!({ "token": t }).to_string().into_bytes())
            }
        };
        let mut inv = Instant::now();
        // one process's calls never overlap, even on a coarse clock
        if let Some(last) = self.last_end
            && inv <= last
        {
            inv = last + Duration::from_nanos(1);
        }
        let inv_wall = chaos::wall_ms();
        let answer = chaos::send(
            &self.agent,
            "POST",
            &url,
            &headers,
            body.as_deref(),
            timeout,
        );
        let outcome = match answer {
            Answer::Response { status, .. } if status >= 500 => Outcome::Unknown { answered: true },
            Answer::Response { status, body } => Outcome::Done(parse(kind, status, &body)),
            Answer::Unknown(_) => Outcome::Unknown { answered: false },
            Answer::Unreachable => Outcome::Unreachable,
        };
        let end = Instant::now();
        let rec = Rec {
            process: self.process(),
            profile,
            client: self.id,
            kind,
            inv,
            inv_wall,
            end,
            end_wall: chaos::wall_ms(),
            outcome: outcome.clone(),
            request_id,
            t_hi: FAR,
        };
        self.recs.push(rec);
        self.last_end = Some(end);
        match outcome {
            Outcome::Done(ret) => Some(ret),
            Outcome::Unknown { .. } => {
                // the call may still run on the server: later calls are another process's
                self.generation += 1;
                self.last_end = None;
                None
            }
            Outcome::Unreachable => None,
        }
    }
}

/// The result of an answered call; anything the lock does not answer fails the test.
fn parse(kind: Kind, status: u16, body: &str) -> Ret {
    let v: Value = serde_json::from_str(body)
        .unwrap_or_else(|e| panic!("{kind:?} answered {status} with non-JSON ({e}): {body}"));
    match (kind, status, v["code"].as_str()) {
        (Kind::Acquire | Kind::Heartbeat(_), 200, _) => {
            let token = v["lock"]["token"].as_u64();
            let expires = v["lock"]["expiresAt"].as_i64();
            match (token, expires) {
                (Some(token), Some(e)) => Ret::Granted {
                    token,
                    now: e - TTL_MS,
                },
                _ => panic!("{kind:?} answered 200 without a lock: {body}"),
            }
        }
        (Kind::Release(_), 200, _) if v["success"] == true => Ret::Released,
        (Kind::Acquire, 409, Some("profile_locked")) => {
            let holder = v["holder"]["clientId"]
                .as_str()
                .and_then(|c| c.strip_prefix('c'))
                .and_then(|n| n.parse().ok());
            match (holder, v["holder"]["expiresAt"].as_i64()) {
                (Some(holder), Some(expires_at)) => Ret::Held { holder, expires_at },
                _ => panic!("a refused launch names no holder of ours: {body}"),
            }
        }
        (Kind::Heartbeat(_) | Kind::Release(_), 409, Some("lock_not_held")) => Ret::NotHeld,
        _ => panic!("{kind:?} answered {status}: {body}"),
    }
}

/// One client's run, until `until`: launch a random profile; when refused, pause a little or
/// come back about when the named holder's lease expires (so acquires race heartbeats and each
/// other at the expiry); when granted, heartbeat a few times with pauses up to 1.3 ttl (so
/// some leases go stale and are taken over), then mostly release, sometimes abandon; now and
/// then a late heartbeat or release with a token it no longer holds.
fn client_run(id: ClientId, mut rng: Rng, shared: Arc<Shared>, until: Instant) -> Vec<Rec> {
    let ttl = TTL_MS as u64;
    let mut c = Client {
        id,
        generation: 0,
        calls: 0,
        agent: chaos::agent(),
        shared,
        recs: Vec::new(),
        last_end: None,
    };
    let mut p = rng.index(PROFILES);
    while Instant::now() < until {
        let timeout = Client::timeout(&mut rng);
        match c.call(p, Kind::Acquire, timeout) {
            Some(Ret::Granted { token, .. }) => {
                let mut held = true;
                for _ in 0..rng.range(0, 3) {
                    std::thread::sleep(rng.millis(0, ttl * 13 / 10));
                    let timeout = Client::timeout(&mut rng);
                    if !matches!(
                        c.call(p, Kind::Heartbeat(token), timeout),
                        Some(Ret::Granted { .. })
                    ) {
                        held = false;
                        break;
                    }
                }
                std::thread::sleep(rng.millis(0, ttl / 3));
                if held && rng.chance(0.8) {
                    let timeout = Client::timeout(&mut rng);
                    c.call(p, Kind::Release(token), timeout);
                }
                if rng.chance(0.15) {
                    let timeout = Client::timeout(&mut rng);
                    let kind = if rng.chance(0.5) {
                        Kind::Heartbeat(token)
                    } else {
                        Kind::Release(token)
                    };
                    c.call(p, kind, timeout);
                }
                p = rng.index(PROFILES);
                std::thread::sleep(rng.millis(0, 50));
            }
            Some(Ret::Held { expires_at, .. }) if rng.chance(0.6) => {
                // back at the expiry the refusal named (this machine's clock is the server's),
                // give or take 4 ms: the clients refused by one holder all come back together
                let wait = (expires_at - chaos::wall_ms() + rng.range(0, 8) as i64 - 4)
                    .clamp(0, TTL_MS + 100);
                std::thread::sleep(Duration::from_millis(wait as u64));
            }
            _ => {
                if rng.chance(0.3) {
                    p = rng.index(PROFILES);
                }
                std::thread::sleep(rng.millis(0, 100));
            }
        }
    }
    c.recs
}

// ---------------------------------------------------------------------------------------------
// The checks.

/// The last server time at which an operation may have taken effect: when its answer came;
/// for one whose outcome is unknown, when the runner logged having handled it (its access log
/// line, written after the handler, read back from the runner's stderr), or else when the
/// runner it reached was killed (the run ends with a kill too).
fn effect_bound(rec: &Rec, outages: &[Outage], logged: &HashMap<String, i64>) -> i64 {
    let killed = || {
        // cut while the runner was down: it was the killed runner's
        if let Some(o) = outages
            .iter()
            .find(|o| o.killed <= rec.end && rec.end <= o.back)
        {
            return o.killed_wall;
        }
        // otherwise the runner it reached lives at most until the next kill
        outages
            .iter()
            .find(|o| o.killed > rec.end)
            .map_or(FAR, |o| o.killed_wall)
    };
    match rec.outcome {
        Outcome::Done(_) | Outcome::Unknown { answered: true } | Outcome::Unreachable => {
            rec.end_wall
        }
        Outcome::Unknown { answered: false } => logged
            .get(&rec.request_id)
            .map_or_else(killed, |&at| at.min(killed())),
    }
}

/// When each request id's access log line was read (ms since the epoch).
fn access_log(lines: &[(std::time::SystemTime, String)]) -> HashMap<String, i64> {
    let mut out = HashMap::new();
    for (at, line) in lines {
        let Some(rest) = line.strip_prefix('[') else {
            continue;
        };
        let Some((id, message)) = rest.split_once("] ") else {
            continue;
        };
        if message.contains(" -> ") {
            let ms = at
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis() as i64)
                .unwrap_or(FAR);
            out.entry(id.to_owned()).or_insert(ms);
        }
    }
    out
}

#[derive(Default, Debug)]
struct Counts {
    ops: usize,
    granted_acquires: usize,
    renewals: usize,
    held: usize,
    heartbeats: usize,
    not_held: usize,
    released: usize,
    unknown: usize,
    unknown_answered: usize,
    unreachable: usize,
    /// Operations that overlapped in time with another on the same profile.
    concurrent: usize,
}

/// One operation of a profile's history, as the model sees it.
struct Item<'a> {
    rec: &'a Rec,
    op: Op,
}

/// A stretch of one profile's history between two cuts, and the states the lock may be in
/// when it begins.
struct Segment {
    initial: Vec<State>,
    items: Vec<usize>,
}

/// The states the lock may be in after `seg`, when that does not depend on how `seg` is
/// linearized: its last state change (a grant or a release: either sets the whole row) is
/// after every other in real time, or it has none. `None` otherwise. Unknown operations that
/// may still take effect after that change are carried over as pending (an over-approximation:
/// one that took effect within `seg` may take effect again later in the model, which can only
/// make it accept more, never reject a linearizable history).
fn determined_end(items: &[Item], seg: &[usize], initial: &[State]) -> Option<Vec<State>> {
    let seg: Vec<&Item> = seg.iter().map(|&i| &items[i]).collect();
    let changes: Vec<&&Item> = seg
        .iter()
        .filter(|it| {
            matches!(
                it.rec.outcome,
                Outcome::Done(Ret::Granted { .. } | Ret::Released)
            )
        })
        .collect();
    let mut carried: Vec<Op> = initial
        .iter()
        .flat_map(|s| s.pending.iter().cloned())
        .chain(
            seg.iter()
                .filter(|it| matches!(it.rec.outcome, Outcome::Unknown { .. }))
                .map(|it| it.op.clone()),
        )
        .collect();
    carried.sort();
    carried.dedup();
    let states = match changes.iter().max_by_key(|it| it.rec.inv) {
        None => initial
            .iter()
            .map(|s| State {
                lease: s.lease.clone(),
                pending: carried.clone(),
            })
            .collect(),
        Some(last) => {
            if changes
                .iter()
                .any(|c| !std::ptr::eq(**c, **last) && c.rec.end >= last.rec.inv)
            {
                return None;
            }
            let lease = match (&last.rec.outcome, last.op.kind) {
                (Outcome::Done(Ret::Granted { token, now }), _) => {
                    Lease::held(last.op.client, *token, now + TTL_MS, now + TTL_MS)
                }
                (_, Kind::Release(t)) => Lease::free(t),
                _ => return None,
            };
            carried.retain(|p| p.t_hi >= last.op.t_lo);
            vec![State {
                lease,
                pending: carried,
            }]
        }
    };
    let mut spec = LockSpec {
        ttl: TTL_MS,
        states,
    };
    spec.close();
    Some(spec.states)
}

/// Checks one profile's history with stateright's tester. The history is first cut where no
/// operation is in flight and the lock's state is the same however the part before is
/// linearized (see [`determined_end`]): every linearization of the whole is then one of each
/// part in turn, so each part is checked on its own from that state. This keeps each search
/// small: the tester has no memory of what it has explored, so on one long history with no
/// linearization it would try every interleaving of every earlier concurrent window before
/// giving up. Returns how many operations and parts were checked, and the largest part's
/// size; `Err` with the failing part.
fn check_linearizable(profile: usize, recs: &[&Rec]) -> Result<(usize, usize, usize), String> {
    let items: Vec<Item> = recs
        .iter()
        .filter(|r| !matches!(r.outcome, Outcome::Unreachable))
        .map(|r| Item {
            rec: r,
            op: Op {
                client: r.client,
                kind: r.kind,
                t_lo: r.inv_wall,
                t_hi: r.t_hi,
            },
        })
        .collect();
    // Invocations and returns in the order of the shared monotonic clock; at equal instants an
    // invocation comes first (the two are then concurrent, which constrains less).
    let mut events: Vec<(Instant, u8, usize)> = Vec::new();
    for (i, it) in items.iter().enumerate() {
        events.push((it.rec.inv, 0, i));
        if let Outcome::Done(_) = it.rec.outcome {
            events.push((it.rec.end, 1, i));
        }
    }
    events.sort();
    let mut segments = Vec::new();
    let mut initial = LockSpec::new(TTL_MS).states;
    let mut current = Vec::new();
    let mut open = 0usize;
    for (k, &(_, kind, i)) in events.iter().enumerate() {
        if kind == 0 {
            current.push(i);
            open += usize::from(matches!(items[i].rec.outcome, Outcome::Done(_)));
        } else {
            open -= 1;
        }
        let quiet = open == 0 && events.get(k + 1).is_none_or(|e| e.1 == 0);
        if quiet
            && !current.is_empty()
            && let Some(end) = determined_end(&items, &current, &initial)
        {
            segments.push(Segment {
                initial: std::mem::replace(&mut initial, end),
                items: std::mem::take(&mut current),
            });
        }
    }
    if !current.is_empty() {
        segments.push(Segment {
            initial,
            items: current,
        });
    }
    let parts = segments.len();
    let largest = segments.iter().map(|s| s.items.len()).max().unwrap_or(0);
    let mut n = 0;
    for seg in segments {
        n += seg.items.len();
        check_segment(&items, &seg).map_err(|why| {
            let part: Vec<&Rec> = seg.items.iter().map(|&i| items[i].rec).collect();
            format!(
                "profile {profile}: {why}\nfrom the possible states {:?}:\n{}",
                seg.initial,
                describe(&part)
            )
        })?;
    }
    Ok((n, parts, largest))
}

/// One part of a history through stateright's [`LinearizabilityTester`].
fn check_segment(items: &[Item], seg: &Segment) -> Result<(), String> {
    let mut events: Vec<(Instant, u8, usize)> = Vec::new();
    for &i in &seg.items {
        events.push((items[i].rec.inv, 0, i));
        if let Outcome::Done(_) = items[i].rec.outcome {
            events.push((items[i].rec.end, 1, i));
        }
    }
    events.sort();
    // The tester's threads are the processes. It tries them in the order of their ids, so
    // the processes that end with an unknown operation come first: that operation is then
    // placed as soon as it is invoked, which (see `LockSpec::invoke`) is never a wrong choice.
    let mut processes: Vec<(bool, Instant, Process)> = Vec::new();
    for &i in &seg.items {
        let r = items[i].rec;
        let unknown = matches!(r.outcome, Outcome::Unknown { .. });
        match processes.iter_mut().find(|p| p.2 == r.process) {
            Some(p) => p.0 &= !unknown,
            None => processes.push((!unknown, r.inv, r.process)),
        }
    }
    processes.sort();
    let thread: HashMap<Process, u32> = processes
        .iter()
        .enumerate()
        .map(|(i, p)| (p.2, i as u32))
        .collect();
    let mut tester = LinearizabilityTester::new(LockSpec {
        ttl: TTL_MS,
        states: seg.initial.clone(),
    });
    for &(_, kind, i) in &events {
        let it = &items[i];
        let process = thread[&it.rec.process];
        if kind == 0 {
            tester
                .on_invoke(process, it.op.clone())
                .map_err(|e| format!("recording: {e}"))?;
        } else if let Outcome::Done(ret) = &it.rec.outcome {
            tester
                .on_return(process, ret.clone())
                .map_err(|e| format!("recording: {e}"))?;
        }
    }
    match tester.serialized_history() {
        Some(_) => Ok(()),
        None => Err(format!(
            "these {} operations are not linearizable",
            seg.items.len()
        )),
    }
}

fn describe(recs: &[&Rec]) -> String {
    let Some(start) = recs.iter().map(|r| r.inv).min() else {
        return String::new();
    };
    let mut sorted: Vec<&&Rec> = recs.iter().collect();
    sorted.sort_by_key(|r| r.inv);
    sorted
        .iter()
        .map(|r| {
            format!(
                "  p{:<6} {:>8.3}..{:>8.3} ms  wall {}..{}  c{:02} {:?} -> {:?}",
                r.process,
                (r.inv - start).as_secs_f64() * 1e3,
                (r.end - start).as_secs_f64() * 1e3,
                r.inv_wall,
                r.end_wall,
                r.client,
                r.kind,
                r.outcome
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The safety properties straight from one profile's history (see the module comment).
/// Returns how many tokens were seen, and how many of them took over a lease that was not
/// released (stale, or released by a call whose answer nobody saw).
fn check_safety(profile: usize, recs: &[&Rec]) -> Result<(usize, usize), String> {
    struct Grant<'a> {
        rec: &'a Rec,
        token: u64,
        now: i64,
    }
    let grants: Vec<Grant> = recs
        .iter()
        .filter_map(|r| match r.outcome {
            Outcome::Done(Ret::Granted { token, now }) => Some(Grant { rec: r, token, now }),
            _ => None,
        })
        .collect();
    // The clock assumption the model's time bounds rest on.
    for g in &grants {
        if !(g.rec.inv_wall <= g.now && g.now <= g.rec.end_wall) {
            return Err(format!(
                "profile {profile}: the server's now {} of {:?} by c{:02} is outside its \
                 request's bracket {}..={} on this machine's clock",
                g.now, g.rec.kind, g.rec.client, g.rec.inv_wall, g.rec.end_wall
            ));
        }
    }
    // One client per token.
    let mut owner: BTreeMap<u64, ClientId> = BTreeMap::new();
    for g in &grants {
        if let Some(prev) = owner.insert(g.token, g.rec.client)
            && prev != g.rec.client
        {
            return Err(format!(
                "profile {profile}: token {} was granted to c{prev:02} and c{:02}",
                g.token, g.rec.client
            ));
        }
    }
    // Tokens in real-time order.
    for a in &grants {
        for b in &grants {
            if a.rec.end < b.rec.inv
                && (a.token > b.token || (a.rec.client != b.rec.client && a.token == b.token))
            {
                return Err(format!(
                    "profile {profile}: c{:02} got token {} and returned before c{:02} was \
                     then granted token {}",
                    a.rec.client, a.token, b.rec.client, b.token
                ));
            }
        }
    }
    // Leases of different tokens never overlap (on this machine's clock, which the server
    // reads too). A lease starts when its grant was answered and ends at its expiry,
    // or earlier at the first moment a release of its token may have taken effect.
    let releases: Vec<&&Rec> = recs
        .iter()
        .filter(|r| {
            matches!(r.kind, Kind::Release(_))
                && matches!(
                    r.outcome,
                    Outcome::Done(Ret::Released) | Outcome::Unknown { .. }
                )
        })
        .collect();
    let lease = |g: &Grant| {
        let start = g.rec.end_wall;
        let mut end = g.now + TTL_MS;
        for r in &releases {
            let Kind::Release(t) = r.kind else { continue };
            let last = r.t_hi;
            if t == g.token && r.client == g.rec.client && last >= g.now {
                end = end.min(r.inv_wall.max(start));
            }
        }
        (start, end.max(start))
    };
    let spans: Vec<(u64, ClientId, i64, i64)> = grants
        .iter()
        .map(|g| {
            let (from, to) = lease(g);
            (g.token, g.rec.client, from, to)
        })
        .collect();
    for (i, a) in spans.iter().enumerate() {
        for b in &spans[i + 1..] {
            if a.0 != b.0 && a.2 < b.3 && b.2 < a.3 {
                return Err(format!(
                    "profile {profile}: two live leases at once: token {} of c{:02} for \
                     {}..{} and token {} of c{:02} for {}..{} (ms since the epoch)",
                    a.0, a.1, a.2, a.3, b.0, b.1, b.2, b.3
                ));
            }
        }
    }
    let released: Vec<u64> = recs
        .iter()
        .filter_map(|r| match (r.kind, &r.outcome) {
            (Kind::Release(t), Outcome::Done(Ret::Released)) => Some(t),
            _ => None,
        })
        .collect();
    let takeovers = owner
        .keys()
        .filter(|&&k| k > 1 && !released.contains(&(k - 1)))
        .count();
    Ok((owner.len(), takeovers))
}

fn count(recs: &[Rec]) -> Counts {
    let mut c = Counts::default();
    for p in 0..PROFILES {
        let mut mine: Vec<&Rec> = recs
            .iter()
            .filter(|r| r.profile == p && !matches!(r.outcome, Outcome::Unreachable))
            .collect();
        mine.sort_by_key(|r| r.inv);
        let mut overlaps = vec![false; mine.len()];
        let mut reach: Option<(Instant, usize)> = None;
        for (i, r) in mine.iter().enumerate() {
            if let Some((end, j)) = reach
                && r.inv < end
            {
                overlaps[i] = true;
                overlaps[j] = true;
            }
            if reach.is_none_or(|(end, _)| r.end > end) {
                reach = Some((r.end, i));
            }
        }
        c.concurrent += overlaps.iter().filter(|o| **o).count();
    }
    let mut last_token: HashMap<(usize, ClientId), u64> = HashMap::new();
    for r in recs {
        match (&r.kind, &r.outcome) {
            (_, Outcome::Unreachable) => {
                c.unreachable += 1;
                continue;
            }
            (_, Outcome::Unknown { answered }) => {
                c.unknown += 1;
                c.unknown_answered += usize::from(*answered);
            }
            (Kind::Acquire, Outcome::Done(Ret::Granted { token, .. })) => {
                c.granted_acquires += 1;
                if last_token.insert((r.profile, r.client), *token) == Some(*token) {
                    c.renewals += 1;
                }
            }
            (Kind::Heartbeat(_), Outcome::Done(Ret::Granted { .. })) => c.heartbeats += 1,
            (_, Outcome::Done(Ret::Held { .. })) => c.held += 1,
            (_, Outcome::Done(Ret::NotHeld)) => c.not_held += 1,
            (_, Outcome::Done(Ret::Released)) => c.released += 1,
            _ => {}
        }
        c.ops += 1;
    }
    c
}

// ---------------------------------------------------------------------------------------------
// The runs.

/// The two tests share the two cores: one at a time, so that neither's timing is the other's.
static ONE_AT_A_TIME: Mutex<()> = Mutex::new(());

fn run(name: &str, kills: usize) {
    let _one = ONE_AT_A_TIME.lock().unwrap_or_else(|e| e.into_inner());
    let started = Instant::now();
    let seed = chaos::seed(name);
    let mut rng = Rng::new(seed);
    let run_for = if chaos::long_mode() { RUN * 10 } else { RUN };
    let mut app = spawn_app_with(
        AppOptions::default()
            .variable("lock_ttl", &format!("{TTL_MS}ms"))
            // 32 clients without pause: no rate limit may answer 429
            .variable("rate_limit_per_minute", "100000000")
            .variable("rate_limit_user_per_minute", "100000000")
            .variable("billing_free_requests_per_minute", "100000000"),
    );
    let token = desktop::user(&app, "ann@example.com");
    let profiles: Vec<String> = (0..PROFILES)
        .map(|i| desktop::profile_id(&app, &token, &format!("Contended {i}")))
        .collect();
    let shared = Arc::new(Shared {
        base: RwLock::new(app.base_url.clone()),
        token,
        profiles,
    });
    let started_clients = Instant::now();
    let until = started_clients + run_for;
    let handles: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (shared, rng) = (shared.clone(), rng.fork());
            let id = ClientId::try_from(i).expect("client id");
            std::thread::spawn(move || client_run(id, rng, shared, until))
        })
        .collect();

    // Kills at random moments of the run (the pause is the workload's, not a wait for
    // anything), each followed by a start on the same state directory.
    let mut outages = Vec::new();
    for k in 0..kills {
        // spread over the run: the k-th kill in the k-th of `kills` equal parts
        let part = run_for.as_millis() as u64 / kills as u64;
        let at = Duration::from_millis(
            rng.range(part * k as u64 + part / 5, part * (k as u64 + 1) - part / 5),
        );
        std::thread::sleep(at.saturating_sub(started_clients.elapsed()));
        if handles.iter().all(|h| h.is_finished()) {
            break;
        }
        app.kill();
        let killed = Instant::now();
        let killed_wall = chaos::wall_ms();
        app.restart()
            .expect("the runner starts again on its state directory");
        *shared.base.write().expect("base url") = app.base_url.clone();
        outages.push(Outage {
            killed,
            killed_wall,
            back: Instant::now(),
        });
    }
    let mut recs: Vec<Rec> = handles
        .into_iter()
        .flat_map(|h| h.join().expect("client thread"))
        .collect();
    let ran = started.elapsed();
    assert_eq!(outages.len(), kills, "the run ended before every kill");
    // The run ends with a kill too: after it, no request can still take effect.
    app.kill();
    outages.push(Outage {
        killed: Instant::now(),
        killed_wall: chaos::wall_ms(),
        back: Instant::now(),
    });
    let logged = access_log(&app.log_lines());
    for r in &mut recs {
        r.t_hi = effect_bound(r, &outages, &logged);
    }

    let counts = count(&recs);
    let (mut tokens, mut takeovers) = (0, 0);
    let mut checked = 0;
    let check_start = Instant::now();
    for p in 0..PROFILES {
        let mine: Vec<&Rec> = recs.iter().filter(|r| r.profile == p).collect();
        let (t, o) = check_safety(p, &mine).unwrap_or_else(|e| panic!("{e}"));
        tokens += t;
        takeovers += o;
    }
    // one checker per profile, on threads with a large stack (the search recurses once per
    // operation of a part), within a time limit
    let (tx, rx) = mpsc::channel();
    let recs = Arc::new(recs);
    for p in 0..PROFILES {
        let (tx, recs) = (tx.clone(), recs.clone());
        std::thread::Builder::new()
            .name(format!("checker-{p}"))
            .stack_size(256 << 20)
            .spawn(move || {
                let mine: Vec<&Rec> = recs.iter().filter(|r| r.profile == p).collect();
                let _ = tx.send(check_linearizable(p, &mine));
            })
            .expect("checker thread");
    }
    drop(tx);
    let (mut parts, mut largest) = (0, 0);
    for _ in 0..PROFILES {
        let result = rx
            .recv_timeout(CHECK_BUDGET.saturating_sub(check_start.elapsed()))
            .unwrap_or_else(|_| panic!("the linearizability check took over {CHECK_BUDGET:?}"));
        let (n, k, l) = result.unwrap_or_else(|e| panic!("{e}"));
        checked += n;
        parts += k;
        largest = largest.max(l);
    }
    eprintln!(
        "{name}: {checked} operations linearizable, checked in {parts} parts of up to {largest}; {} overlapped another on their profile ({} acquires \
         granted, {} renewals, {} refused as held, {} heartbeats granted, {} refused as not \
         held, {} releases, {} unknown of which {} answered 5xx; {} calls unreachable while the \
         runner was down); {tokens} fencing tokens over {PROFILES} profiles, {takeovers} of \
         them taking over an unreleased lease; {kills} kills; ran {:.1}s, checked {:.1}s",
        counts.concurrent,
        counts.granted_acquires,
        counts.renewals,
        counts.held,
        counts.heartbeats,
        counts.not_held,
        counts.released,
        counts.unknown,
        counts.unknown_answered,
        counts.unreachable,
        ran.as_secs_f64(),
        check_start.elapsed().as_secs_f64(),
    );
    assert_eq!(checked, counts.ops, "every operation was checked");
    // The run exercised what it claims to: contention, takeovers and unknown outcomes.
    assert!(counts.held > 0, "no launch was ever refused: no contention");
    assert!(
        tokens > PROFILES * 4,
        "too few holders ({tokens}) for a contended run"
    );
    assert!(counts.unknown > 0, "no operation ended unknown");
    assert!(takeovers > 0, "no lease was ever taken over after expiry");
}

#[test]
fn the_lock_history_of_32_clients_is_linearizable() {
    run("lock_linearizability", 0);
}

#[test]
fn the_lock_history_stays_linearizable_across_runner_kills() {
    run(
        "lock_linearizability_kills",
        if chaos::long_mode() { 20 } else { 3 },
    );
}

// ---------------------------------------------------------------------------------------------
// The model itself, on hand-written histories: it must reject what the lock must never do.

mod model {
    use super::*;

    fn op(client: ClientId, kind: Kind) -> Op {
        Op {
            client,
            kind,
            t_lo: 0,
            t_hi: FAR,
        }
    }

    fn linearizable(history: &[(Process, Op, Option<Ret>)]) -> bool {
        let mut t = LinearizabilityTester::new(LockSpec::new(TTL_MS));
        for (p, o, r) in history {
            t.on_invoke(*p, o.clone()).expect("invoke");
            if let Some(r) = r {
                t.on_return(*p, r.clone()).expect("return");
            }
        }
        t.serialized_history().is_some()
    }

    fn granted(token: u64, now: i64) -> Option<Ret> {
        Some(Ret::Granted { token, now })
    }

    #[test]
    fn a_sequential_takeover_after_expiry_is_accepted() {
        assert!(linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (2, op(2, Kind::Acquire), granted(2, 1000 + TTL_MS)),
            (1, op(1, Kind::Heartbeat(1)), Some(Ret::NotHeld)),
        ]));
    }

    #[test]
    fn a_takeover_of_a_live_lease_is_rejected() {
        assert!(!linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (2, op(2, Kind::Acquire), granted(2, 1000 + TTL_MS - 1)),
        ]));
    }

    #[test]
    fn a_heartbeat_of_a_fenced_token_is_rejected() {
        assert!(!linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (2, op(2, Kind::Acquire), granted(2, 2000)),
            (1, op(1, Kind::Heartbeat(1)), granted(1, 2100)),
        ]));
    }

    #[test]
    fn a_stale_lease_nobody_took_is_still_its_holders() {
        assert!(linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (1, op(1, Kind::Heartbeat(1)), granted(1, 5000)),
            (1, op(1, Kind::Release(1)), Some(Ret::Released)),
            (2, op(2, Kind::Acquire), granted(2, 5001)),
        ]));
    }

    #[test]
    fn a_relaunch_keeps_the_token_while_live_and_not_after() {
        assert!(linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (1, op(1, Kind::Acquire), granted(1, 1100)),
            (1, op(1, Kind::Acquire), granted(2, 1100 + TTL_MS)),
        ]));
        assert!(!linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (1, op(1, Kind::Acquire), granted(2, 1100)),
        ]));
    }

    #[test]
    fn a_refusal_must_name_the_holder_and_its_expiry() {
        let held = |holder, expires_at| Some(Ret::Held { holder, expires_at });
        assert!(linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (2, op(2, Kind::Acquire), held(1, 1000 + TTL_MS)),
        ]));
        assert!(!linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (2, op(2, Kind::Acquire), held(1, 1001 + TTL_MS)),
        ]));
        assert!(!linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (2, op(2, Kind::Acquire), held(3, 1000 + TTL_MS)),
        ]));
        // refused although the lease had expired by the server's clock at invocation
        let late = Op {
            t_lo: 1000 + TTL_MS,
            ..op(2, Kind::Acquire)
        };
        assert!(!linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (2, late, held(1, 1000 + TTL_MS)),
        ]));
    }

    #[test]
    fn an_unknown_acquire_may_or_may_not_have_happened() {
        // it happened: the next acquire is refused naming its client
        let unknown = Op {
            t_lo: 1000,
            t_hi: 1010,
            ..op(1, Kind::Acquire)
        };
        let e = 1005 + TTL_MS;
        assert!(linearizable(&[
            (1, unknown.clone(), None),
            (
                2,
                op(2, Kind::Acquire),
                Some(Ret::Held {
                    holder: 1,
                    expires_at: e
                })
            ),
        ]));
        // it did not: someone else gets token 1
        assert!(linearizable(&[
            (1, unknown.clone(), None),
            (2, op(2, Kind::Acquire), granted(1, 1005)),
        ]));
        // but not an expiry outside its window
        assert!(!linearizable(&[
            (1, unknown, None),
            (
                2,
                op(2, Kind::Acquire),
                Some(Ret::Held {
                    holder: 1,
                    expires_at: 1011 + TTL_MS
                })
            ),
        ]));
    }

    #[test]
    fn an_unknown_acquire_may_take_effect_after_later_operations() {
        // c1's launch is cut; meanwhile c2 launches and releases; then c3 is refused naming
        // c1, with an expiry inside c1's window: c1's launch ran after c2's release.
        let unknown = Op {
            t_lo: 1000,
            t_hi: 1500,
            ..op(1, Kind::Acquire)
        };
        let history = [
            (1, unknown, None),
            (2, op(2, Kind::Acquire), granted(1, 1010)),
            (2, op(2, Kind::Release(1)), Some(Ret::Released)),
            (
                3,
                op(3, Kind::Acquire),
                Some(Ret::Held {
                    holder: 1,
                    expires_at: 1200 + TTL_MS,
                }),
            ),
        ];
        assert!(linearizable(&history));
        // (its `now` may even be before c2's grant: read before waiting for the database)
        let mut early = history.clone();
        early[3].2 = Some(Ret::Held {
            holder: 1,
            expires_at: 1005 + TTL_MS,
        });
        assert!(linearizable(&early));
        // but not with an expiry its window cannot give
        let mut late = history.clone();
        late[3].2 = Some(Ret::Held {
            holder: 1,
            expires_at: 1501 + TTL_MS,
        });
        assert!(!linearizable(&late));
        // nor naming a holder that never tried
        let mut other = history;
        other[3].2 = Some(Ret::Held {
            holder: 4,
            expires_at: 1200 + TTL_MS,
        });
        assert!(!linearizable(&other));
    }

    #[test]
    fn release_frees_the_lock_for_the_next_holder_with_a_greater_token() {
        assert!(linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (1, op(1, Kind::Release(1)), Some(Ret::Released)),
            (2, op(2, Kind::Acquire), granted(2, 1001)),
            (1, op(1, Kind::Release(1)), Some(Ret::NotHeld)),
        ]));
        assert!(!linearizable(&[
            (1, op(1, Kind::Acquire), granted(1, 1000)),
            (1, op(1, Kind::Release(1)), Some(Ret::Released)),
            (2, op(2, Kind::Acquire), granted(1, 1001)),
        ]));
    }
}
