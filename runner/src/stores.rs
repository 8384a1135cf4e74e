//! The SQLite files behind Spin's SQLite databases and key-value stores.
//!
//! Spin opens a new connection on every `open`; the runner keeps idle connections in a pool
//! instead (prepared statements stay cached), and rolls back any transaction a guest left open
//! before a connection is reused. The key-value table layout is Spin's (`spin_key_value`), so
//! the same state directory works under `spin up`.

use anyhow::{Context, Result};
use rusqlite::{Connection, OpenFlags};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Spin's cap on bytes buffered by the host for one query or value (`MAX_HOST_BUFFERED_BYTES`).
pub const MAX_HOST_BUFFERED_BYTES: usize = 128 << 20;
const MAX_IDLE: usize = 32;

#[derive(Debug, Clone)]
pub enum Location {
    File(PathBuf),
    /// A named shared-cache in-memory database; `keep` holds it alive for the process.
    /// Spin's in-memory key-value stores behave so: one database for the process.
    Memory(String),
    /// A private in-memory database per connection. Spin's in-memory SQLite databases
    /// behave so: every `open` starts from an empty database.
    PrivateMemory,
}

pub struct Pool {
    location: Location,
    allow_attach: bool,
    idle: Mutex<Vec<Connection>>,
    init: fn(&Connection) -> rusqlite::Result<()>,
    _keep: Option<Mutex<Connection>>,
}

impl Pool {
    pub fn new(
        location: Location,
        allow_attach: bool,
        init: fn(&Connection) -> rusqlite::Result<()>,
    ) -> Result<Self> {
        if let Location::File(path) = &location
            && let Some(parent) = path.parent()
        {
            std::fs::create_dir_all(parent)
                .with_context(|| format!("cannot create directory {}", parent.display()))?;
        }
        let mut pool = Self {
            location,
            allow_attach,
            idle: Mutex::new(Vec::new()),
            init,
            _keep: None,
        };
        let first = pool.open().context("cannot open SQLite file")?;
        if matches!(pool.location, Location::Memory(_)) {
            pool._keep = Some(Mutex::new(pool.open()?));
        }
        pool.put(first);
        Ok(pool)
    }

    /// How Spin describes the store at start-up: `"<path>"` or `a temporary in-memory <what>`.
    pub fn summary(&self, what: &str) -> String {
        match &self.location {
            Location::File(p) => format!("\"{}\"", p.display()),
            Location::Memory(_) | Location::PrivateMemory => {
                format!("a temporary in-memory {what}")
            }
        }
    }

    fn open(&self) -> Result<Connection> {
        let conn = match &self.location {
            Location::File(path) => {
                Connection::open(path).with_context(|| format!("cannot open {}", path.display()))?
            }
            Location::PrivateMemory => Connection::open_in_memory()?,
            Location::Memory(name) => Connection::open_with_flags(
                format!("file:{name}?mode=memory&cache=shared"),
                OpenFlags::SQLITE_OPEN_READ_WRITE
                    | OpenFlags::SQLITE_OPEN_CREATE
                    | OpenFlags::SQLITE_OPEN_URI,
            )?,
        };
        conn.busy_handler(Some(busy_retry))?;
        // Spin leaves SQLite's default (FULL), which fsyncs every commit. NORMAL keeps every
        // commit atomic and, in WAL mode, durable across a process crash; only an OS crash or
        // power loss can drop the last commits. It took GET /auth/me from 448 req/s, bound on fsync.
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.set_prepared_statement_cache_capacity(128);
        // Every component of a request opens its own connection (a profiles request holds
        // four), so SQLite's default 2 MiB page cache per connection grew the runner to
        // 375 MiB under the benchmark; pages evicted here are still in the OS page cache.
        conn.pragma_update(None, "cache_size", -512)?;
        // As Spin does: a guest may not attach other files on the host.
        if !self.allow_attach {
            conn.authorizer(Some(|ctx: rusqlite::hooks::AuthContext<'_>| {
                use rusqlite::hooks::{AuthAction, Authorization};
                match ctx.action {
                    AuthAction::Attach { filename } if !matches!(filename, "" | ":memory:") => {
                        Authorization::Deny
                    }
                    _ => Authorization::Allow,
                }
            }));
        }
        (self.init)(&conn)?;
        Ok(conn)
    }

    pub fn get(&self) -> Result<Connection> {
        let idle = self
            .idle
            .lock()
            .map_err(|_| anyhow::anyhow!("pool poisoned"))?
            .pop();
        match idle {
            Some(c) => Ok(c),
            None => self.open(),
        }
    }

    pub fn put(&self, conn: Connection) {
        if matches!(self.location, Location::PrivateMemory) {
            return;
        }
        if !conn.is_autocommit() && conn.execute_batch("ROLLBACK").is_err() {
            return;
        }
        if let Ok(mut idle) = self.idle.lock()
            && idle.len() < MAX_IDLE
        {
            idle.push(conn);
        }
    }

    /// Runs `f` on a pooled connection.
    pub fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.get()?;
        let out = f(&mut conn);
        self.put(conn);
        out
    }
}

/// Retries a locked database for about five seconds, as `busy_timeout(5 s)` would, but in
/// steps fitted to this app's write transactions (tens of microseconds): SQLite's own handler
/// sleeps 1 ms, then 2, 5, 10 ms, so two writers meeting cost a millisecond each time; under
/// load that idled ~40 % of the CPU (heartbeat: 124 % of 200 % busy, the rest asleep).
fn busy_retry(attempt: i32) -> bool {
    const RAMP: i32 = 40; // 25 µs, 50 µs, … 1 ms: ~20 ms in all
    const BUDGET: i32 = RAMP + 5_000; // then 1 ms steps up to ~5 s
    if attempt >= BUDGET {
        return false;
    }
    let micros = if attempt < RAMP {
        25 * (attempt as u64 + 1)
    } else {
        1_000
    };
    std::thread::sleep(Duration::from_micros(micros));
    true
}

fn no_init(_: &Connection) -> rusqlite::Result<()> {
    Ok(())
}

fn kv_init(conn: &Connection) -> rusqlite::Result<()> {
    // The runner owns this file's layout: WAL lets readers run beside the writer, and a WAL
    // file is still opened as-is by Spin's key-value store.
    conn.query_row("PRAGMA journal_mode=WAL", [], |_| Ok(()))?;
    conn.execute(
        "CREATE TABLE IF NOT EXISTS spin_key_value (
            store TEXT NOT NULL,
            key   TEXT NOT NULL,
            value BLOB NOT NULL,
            PRIMARY KEY (store, key)
        )",
        [],
    )?;
    Ok(())
}

pub fn sqlite_pool(location: Location, allow_attach: bool) -> Result<Pool> {
    Pool::new(location, allow_attach, no_init)
}

pub fn kv_pool(location: Location) -> Result<Pool> {
    Pool::new(location, false, kv_init)
}

/// Every database and store the app may open, by label. One pool per file, shared by
/// labels that point at the same file.
#[derive(Default)]
pub struct Stores {
    pub databases: HashMap<String, Arc<Pool>>,
    /// label -> (pool, store name inside `spin_key_value`)
    pub key_value: HashMap<String, Arc<Pool>>,
}
