//! The session blobs: content-addressed keys, reading the current version
//! back, and collecting blobs nothing references.

use edge::{ApiError, db::Connection};
use platform_bindings::{blob_error, blob_store};

use crate::codec::{self, GunzipError};
use crate::payload::SessionData;
use crate::store::{self, Version};

/// The content type the session blobs are stored with.
pub const CONTENT_TYPE: &str = "application/gzip";

/// How many queued blobs one request collects at most, so collection never
/// makes a push slow.
const COLLECT_PER_CALL: i64 = 8;

/// When a blob whose removal failed is tried again.
const RETRY_AFTER_MS: i64 = 60_000;

/// `sessions/{profileId}/{hash}.json.gz`.
pub fn key(profile_id: &str, hash: &str) -> String {
    format!("sessions/{profile_id}/{hash}.json.gz")
}

/// The current session of a profile as stored: the version and its data,
/// or `None` when nothing was pushed yet. `max_bytes` bounds the
/// decompressed JSON.
pub fn load_current(
    db: &Connection,
    team_id: &str,
    profile_id: &str,
    max_bytes: usize,
) -> Result<Option<(Version, SessionData)>, ApiError> {
    let Some(version) = store::current(db, team_id, profile_id)? else {
        return Ok(None);
    };
    let data = load(&version, max_bytes)?;
    Ok(Some((version, data)))
}

/// Reads a version's data from the blob store.
pub fn load(version: &Version, max_bytes: usize) -> Result<SessionData, ApiError> {
    let blob = blob_store::get(&version.blob_key)
        .map_err(blob_error)?
        .ok_or_else(|| {
            ApiError::internal(format!(
                "session blob {} of version {} is missing",
                version.blob_key, version.seq
            ))
        })?;
    // A version is never larger than the limit it was pushed under; allow
    // its own recorded size in case the limit was lowered since.
    let limit = max_bytes.max(usize::try_from(version.size).unwrap_or(0));
    let json = codec::gunzip(&blob.data, limit).map_err(|e| match e {
        GunzipError::TooLarge(n) => ApiError::internal(format!(
            "session blob {} inflates past {n} bytes",
            version.blob_key
        )),
        GunzipError::Corrupt(why) => ApiError::internal(format!(
            "session blob {} is corrupt: {why}",
            version.blob_key
        )),
    })?;
    SessionData::from_canonical(&json)
        .map_err(|why| ApiError::internal(format!("session blob {}: {why}", version.blob_key)))
}

/// Removes a few due blobs that no version references. Failures are
/// logged and the blob is queued again; they never fail the request.
pub fn collect(db: &Connection, now: i64, request_id: &str) {
    let keys = match store::claim_due(db, now, COLLECT_PER_CALL) {
        Ok(keys) => keys,
        Err(e) => {
            edge::log(request_id, format!("blob collection: {e:?}"));
            return;
        }
    };
    for key in keys {
        if let Err(e) = blob_store::delete(&key) {
            edge::log(
                request_id,
                format!("blob collection: deleting {key}: {e:?}"),
            );
            if let Err(e) = store::queue(db, &key, now + RETRY_AFTER_MS) {
                edge::log(
                    request_id,
                    format!("blob collection: requeueing {key}: {e:?}"),
                );
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_content_addressed_under_the_profile() {
        assert_eq!(
            key("0123456789abcdef0123456789abcdef", "ab".repeat(32).as_str()),
            format!(
                "sessions/0123456789abcdef0123456789abcdef/{}.json.gz",
                "ab".repeat(32)
            )
        );
    }
}
