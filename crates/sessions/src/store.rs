//! The version rows (`session_versions`) and the blob collection queue
//! (`session_blob_gc`), migrations/0006_sync.sql. Every statement names the
//! profile's team.

use edge::ApiError;
use edge::db::{self, Connection, RowResult, Value, int_param as int, text_param as text};

/// One stored version of a profile's session.
#[derive(Debug, Clone, PartialEq)]
pub struct Version {
    pub seq: i64,
    pub hash: String,
    pub blob_key: String,
    pub size: i64,
    pub stored_size: i64,
    pub cookie_count: i64,
    pub storage_count: i64,
    pub user_id: String,
    pub client_id: Option<String>,
    pub restored_from: Option<i64>,
    pub created_at: i64,
}

impl TryFrom<&RowResult> for Version {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            seq: db::int(row, 0, "session_versions.seq")?,
            hash: db::text(row, 1, "session_versions.hash")?,
            blob_key: db::text(row, 2, "session_versions.blob_key")?,
            size: db::int(row, 3, "session_versions.size")?,
            stored_size: db::int(row, 4, "session_versions.stored_size")?,
            cookie_count: db::int(row, 5, "session_versions.cookie_count")?,
            storage_count: db::int(row, 6, "session_versions.storage_count")?,
            user_id: db::text(row, 7, "session_versions.user_id")?,
            client_id: db::opt_text(row, 8, "session_versions.client_id")?,
            restored_from: db::opt_int(row, 9, "session_versions.restored_from")?,
            created_at: db::int(row, 10, "session_versions.created_at")?,
        })
    }
}

/// What a write checks: its current hash and the profile's lock row.
#[derive(Debug, Clone, PartialEq)]
pub struct WriteState {
    pub current_hash: Option<String>,
    pub lock: Option<LockRow>,
}

/// The profile's lock row (made by its first launch).
#[derive(Debug, Clone, PartialEq)]
pub struct LockRow {
    /// `None` once released.
    pub client_id: Option<String>,
    pub user_id: Option<String>,
    /// The fencing token of the latest holder; never goes down.
    pub token: i64,
    pub acquired_at: i64,
    pub expires_at: i64,
}

impl LockRow {
    /// Whether a client holds it now (not released, not stale).
    pub fn is_live(&self, now: i64) -> bool {
        self.client_id.is_some() && self.expires_at > now
    }
}

/// A version about to become current.
#[derive(Debug, Clone)]
pub struct NewVersion<'a> {
    pub team_id: &'a str,
    pub profile_id: &'a str,
    pub hash: &'a str,
    pub blob_key: &'a str,
    pub size: i64,
    pub stored_size: i64,
    pub cookie_count: i64,
    pub storage_count: i64,
    pub user_id: &'a str,
    pub client_id: Option<&'a str>,
    pub restored_from: Option<i64>,
    pub created_at: i64,
}

const VERSION_COLUMNS: &str = "v.seq, v.hash, v.blob_key, v.size, v.stored_size, v.cookie_count, \
    v.storage_count, v.user_id, v.client_id, v.restored_from, v.created_at";

// The lock table belongs to the locks component (migrations/0002); a write
// reads it inside its own transaction so the fencing check and the new
// version are one atomic step.
const SELECT_WRITE_STATE: &str = "\
    SELECT (SELECT v.hash FROM session_versions v WHERE v.profile_id = p.id AND v.team_id = p.team_id \
            ORDER BY v.seq DESC LIMIT 1), \
           l.profile_id, l.client_id, l.user_id, l.token, l.acquired_at, l.expires_at \
    FROM profiles p \
    LEFT JOIN profile_locks l ON l.profile_id = p.id AND l.team_id = p.team_id \
    WHERE p.id = ? AND p.team_id = ?";

/// The profile's write state; `None` when it is not the team's.
pub fn write_state(
    db: &Connection,
    team_id: &str,
    profile_id: &str,
) -> Result<Option<WriteState>, ApiError> {
    let result = db::execute(
        db,
        "reading session write state",
        SELECT_WRITE_STATE,
        &[text(profile_id), text(team_id)],
    )?;
    let Some(row) = result.rows.first() else {
        return Ok(None);
    };
    let lock = match db::opt_text(row, 1, "profile_locks.profile_id")? {
        Some(_) => Some(LockRow {
            client_id: db::opt_text(row, 2, "profile_locks.client_id")?,
            user_id: db::opt_text(row, 3, "profile_locks.user_id")?,
            token: db::int(row, 4, "profile_locks.token")?,
            acquired_at: db::opt_int(row, 5, "profile_locks.acquired_at")?.unwrap_or(0),
            expires_at: db::opt_int(row, 6, "profile_locks.expires_at")?.unwrap_or(0),
        }),
        None => None,
    };
    Ok(Some(WriteState {
        current_hash: db::opt_text(row, 0, "session_versions.hash")?,
        lock,
    }))
}

/// Whether the profile is the team's.
pub fn profile_exists(db: &Connection, team_id: &str, profile_id: &str) -> Result<bool, ApiError> {
    let result = db::execute(
        db,
        "checking profile",
        "SELECT 1 FROM profiles WHERE id = ? AND team_id = ?",
        &[text(profile_id), text(team_id)],
    )?;
    Ok(!result.rows.is_empty())
}

/// The current version, if the profile has one.
pub fn current(
    db: &Connection,
    team_id: &str,
    profile_id: &str,
) -> Result<Option<Version>, ApiError> {
    db::first(
        db,
        "reading current session version",
        &format!(
            "SELECT {VERSION_COLUMNS} FROM session_versions v \
             WHERE v.profile_id = ? AND v.team_id = ? ORDER BY v.seq DESC LIMIT 1"
        ),
        &[text(profile_id), text(team_id)],
    )
}

/// The newest version with `hash`.
pub fn by_hash(
    db: &Connection,
    team_id: &str,
    profile_id: &str,
    hash: &str,
) -> Result<Option<Version>, ApiError> {
    db::first(
        db,
        "reading session version by hash",
        &format!(
            "SELECT {VERSION_COLUMNS} FROM session_versions v \
             WHERE v.profile_id = ? AND v.team_id = ? AND v.hash = ? ORDER BY v.seq DESC LIMIT 1"
        ),
        &[text(profile_id), text(team_id), text(hash)],
    )
}

/// Versions, newest first, and how many there are.
pub fn list(
    db: &Connection,
    team_id: &str,
    profile_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Version>, i64), ApiError> {
    let versions = db::rows(
        db,
        "listing session versions",
        &format!(
            "SELECT {VERSION_COLUMNS} FROM session_versions v \
             WHERE v.profile_id = ? AND v.team_id = ? ORDER BY v.seq DESC LIMIT ? OFFSET ?"
        ),
        &[text(profile_id), text(team_id), int(limit), int(offset)],
    )?;
    let total = db::execute(
        db,
        "counting session versions",
        "SELECT COUNT(*) FROM session_versions WHERE profile_id = ? AND team_id = ?",
        &[text(profile_id), text(team_id)],
    )?;
    let total = match total.rows.first() {
        Some(row) => db::int(row, 0, "count")?,
        None => 0,
    };
    Ok((versions, total))
}

/// Inserts the version (it is current from now on) and returns its seq.
pub fn insert(db: &Connection, v: &NewVersion<'_>) -> Result<i64, ApiError> {
    let result = db::execute(
        db,
        "inserting session version",
        "INSERT INTO session_versions (profile_id, team_id, hash, blob_key, size, stored_size, \
         cookie_count, storage_count, user_id, client_id, restored_from, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq",
        &[
            text(v.profile_id),
            text(v.team_id),
            text(v.hash),
            text(v.blob_key),
            int(v.size),
            int(v.stored_size),
            int(v.cookie_count),
            int(v.storage_count),
            text(v.user_id),
            db::nullable_text(v.client_id),
            v.restored_from.map_or(Value::Null, int),
            int(v.created_at),
        ],
    )?;
    match result.rows.first() {
        Some(row) => db::int(row, 0, "session_versions.seq"),
        None => Err(ApiError::internal(
            "inserting session version returned no seq",
        )),
    }
}

/// Deletes all but the newest `keep` versions; their blobs that no version
/// references any more are queued for collection (due now).
pub fn prune(
    db: &Connection,
    team_id: &str,
    profile_id: &str,
    keep: i64,
    now: i64,
) -> Result<(), ApiError> {
    let removed = db::execute(
        db,
        "pruning session versions",
        "DELETE FROM session_versions WHERE profile_id = ? AND team_id = ? AND seq NOT IN \
         (SELECT seq FROM session_versions WHERE profile_id = ? AND team_id = ? \
          ORDER BY seq DESC LIMIT ?) RETURNING blob_key",
        &[
            text(profile_id),
            text(team_id),
            text(profile_id),
            text(team_id),
            int(keep),
        ],
    )?;
    queue_unreferenced(db, &removed, now)
}

/// Deletes every version of a profile (it is being deleted) and queues
/// their blobs for collection. Call inside the deleting transaction.
pub fn delete_profile(
    db: &Connection,
    team_id: &str,
    profile_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    let removed = db::execute(
        db,
        "deleting session versions",
        "DELETE FROM session_versions WHERE profile_id = ? AND team_id = ? RETURNING blob_key",
        &[text(profile_id), text(team_id)],
    )?;
    queue_unreferenced(db, &removed, now)
}

fn queue_unreferenced(
    db: &Connection,
    removed: &db::QueryResult,
    now: i64,
) -> Result<(), ApiError> {
    let mut keys: Vec<String> = removed
        .rows
        .iter()
        .map(|row| db::text(row, 0, "session_versions.blob_key"))
        .collect::<Result<_, _>>()?;
    keys.sort();
    keys.dedup();
    for key in keys {
        if !is_referenced(db, &key)? {
            queue(db, &key, now)?;
        }
    }
    Ok(())
}

/// Whether any version still points at the blob.
pub fn is_referenced(db: &Connection, blob_key: &str) -> Result<bool, ApiError> {
    let result = db::execute(
        db,
        "checking blob references",
        "SELECT 1 FROM session_versions WHERE blob_key = ? LIMIT 1",
        &[text(blob_key)],
    )?;
    Ok(!result.rows.is_empty())
}

/// Queues the blob for collection from `not_before` on; an entry already
/// there keeps the later of the two times (a write in flight wins).
pub fn queue(db: &Connection, blob_key: &str, not_before: i64) -> Result<(), ApiError> {
    db::execute(
        db,
        "queueing blob for collection",
        "INSERT INTO session_blob_gc (blob_key, not_before) VALUES (?, ?) \
         ON CONFLICT(blob_key) DO UPDATE SET not_before = max(not_before, excluded.not_before)",
        &[text(blob_key), int(not_before)],
    )?;
    Ok(())
}

/// Takes the blob off the queue (it became current).
pub fn unqueue(db: &Connection, blob_key: &str) -> Result<(), ApiError> {
    db::execute(
        db,
        "unqueueing blob",
        "DELETE FROM session_blob_gc WHERE blob_key = ?",
        &[text(blob_key)],
    )?;
    Ok(())
}

/// Claims up to `limit` due entries (they leave the queue) and returns
/// those whose blob no version references: the caller removes them.
pub fn claim_due(db: &Connection, now: i64, limit: i64) -> Result<Vec<String>, ApiError> {
    db::transaction(db, |db| {
        let claimed = db::execute(
            db,
            "claiming blobs to collect",
            "DELETE FROM session_blob_gc WHERE blob_key IN \
             (SELECT blob_key FROM session_blob_gc WHERE not_before <= ? ORDER BY not_before LIMIT ?) \
             RETURNING blob_key",
            &[int(now), int(limit)],
        )?;
        let mut keys = Vec::new();
        for row in &claimed.rows {
            let key = db::text(row, 0, "session_blob_gc.blob_key")?;
            if !is_referenced(db, &key)? {
                keys.push(key);
            }
        }
        Ok(keys)
    })
}

/// A push counts as activity on the profile (seed 000 does the same).
pub fn touch_profile(
    db: &Connection,
    team_id: &str,
    profile_id: &str,
    now: i64,
) -> Result<(), ApiError> {
    db::execute(
        db,
        "touching profile",
        "UPDATE profiles SET last_active = max(last_active, ?) WHERE id = ? AND team_id = ?",
        &[int(now), text(profile_id), text(team_id)],
    )?;
    Ok(())
}
