//! `capture_blob_deletions`: images whose rows are gone and whose blobs are
//! still to be removed.
//!
//! Why this table: a capture is a row in SQLite and a blob in the blob
//! store, and no transaction spans both. Of the two possible orders,
//!
//! - blob first, then row: if the row delete fails after the blob is gone,
//!   the row points at nothing (its image route fails) until someone retries;
//! - row first, then blob: if the blob delete fails, nothing points at the
//!   blob, and a retry of `DELETE /:id` is a 404, so it is forgotten;
//!
//! neither is safe alone. So the row is deleted and its blob key queued here
//! **in one transaction** (a project delete queues all its captures' keys
//! the same way); only then is the blob removed, and its entry deleted when
//! the store confirms. No row ever points at a missing blob, and a blob
//! whose removal failed (store unreachable, process stopped) stays queued
//! until a later sweep ([`crate::blobs::sweep`]) removes it; removing a
//! missing key is not an error, so a retry after a partial success is safe.

use edge::ApiError;
use edge::db::{self, Connection};

use super::{int, text};

/// Idempotent: a key queued twice (two racing deletes) is one entry.
const QUEUE: &str = "\
    INSERT OR IGNORE INTO capture_blob_deletions (blob_key, queued_at, attempts) VALUES (?, ?, 0)";
const DONE: &str = "DELETE FROM capture_blob_deletions WHERE blob_key = ?";
const FAILED: &str = "UPDATE capture_blob_deletions SET attempts = attempts + 1 WHERE blob_key = ?";
/// The entries to retry: fewest failures first, then oldest, so one blob
/// that keeps failing does not hold up the others.
const PENDING: &str = "\
    SELECT blob_key FROM capture_blob_deletions ORDER BY attempts, queued_at LIMIT ?";

/// Queues `key` for removal; call it in the transaction deleting its row.
pub fn queue(db: &Connection, key: &str, now: i64) -> Result<(), ApiError> {
    db::execute(db, "queueing blob deletion", QUEUE, &[text(key), int(now)])?;
    Ok(())
}

/// The blob is gone: forget the entry.
pub fn done(db: &Connection, key: &str) -> Result<(), ApiError> {
    db::execute(db, "forgetting removed blob", DONE, &[text(key)])?;
    Ok(())
}

/// The removal failed: count it, keep the entry.
pub fn failed(db: &Connection, key: &str) -> Result<(), ApiError> {
    db::execute(db, "counting failed blob removal", FAILED, &[text(key)])?;
    Ok(())
}

/// Up to `limit` queued keys.
pub fn pending(db: &Connection, limit: u32) -> Result<Vec<String>, ApiError> {
    db::execute(
        db,
        "selecting queued blob deletions",
        PENDING,
        &[int(i64::from(limit))],
    )?
    .rows
    .iter()
    .map(|row| db::text(row, 0, "capture_blob_deletions.blob_key"))
    .collect()
}
