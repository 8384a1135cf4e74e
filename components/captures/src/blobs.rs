//! The capture images in the blob store (the `blob-store` dependency,
//! `wit/deps/blobs/blobs.wit`), and the removal of the ones whose rows are deleted
//! (queued in `capture_blob_deletions`, see [`crate::persistence::deletions`]).

use edge::db::Connection;
use edge::{ApiError, Ctx};
use platform_bindings::{Blob, BlobError, BlobMeta, blob_store};

use crate::persistence::deletions;

/// Queued removals retried by one upload or delete, after its own work:
/// enough to drain a deleted project's captures over a few requests, few
/// enough not to slow one request down much.
pub const SWEEP_BATCH: u32 = 8;

fn error(e: BlobError) -> ApiError {
    match e {
        BlobError::TooLarge(limit) => ApiError::too_large(
            "capture_too_large",
            format!("The image is larger than the blob store's limit of {limit} bytes"),
        ),
        other => platform_bindings::blob_error(other),
    }
}

/// Stores an image; when this returns the blob is durable.
pub fn put(key: &str, data: &[u8], content_type: &str) -> Result<BlobMeta, ApiError> {
    blob_store::put(key, data, content_type).map_err(error)
}

/// Reads an image; `None` when the store has no such key.
pub fn get(key: &str) -> Result<Option<Blob>, ApiError> {
    blob_store::get(key).map_err(error)
}

/// Removes a queued blob, then its queue entry. On failure the entry stays
/// (its attempts counted) for a later [`sweep`]; the failure is logged,
/// not returned: the row is already gone, so the request has succeeded.
pub fn remove_queued(ctx: &Ctx, db: &Connection, key: &str) {
    let outcome = match blob_store::delete(key) {
        Ok(()) => deletions::done(db, key),
        Err(e) => {
            ctx.log(format!(
                "blob {key}: removal failed, left queued for a later sweep: {e:?}"
            ));
            deletions::failed(db, key)
        }
    };
    if let Err(e) = outcome {
        ctx.log(format!(
            "blob {key}: recording the removal attempt failed: {e:?}"
        ));
    }
}

/// Retries up to [`SWEEP_BATCH`] queued removals (left by failed removals,
/// by stopped processes, or queued by the projects component when it
/// deletes a project with its captures). Problems are logged only.
pub fn sweep(ctx: &Ctx, db: &Connection) {
    match deletions::pending(db, SWEEP_BATCH) {
        Ok(keys) => {
            for key in keys {
                remove_queued(ctx, db, &key);
            }
        }
        Err(e) => ctx.log(format!("blob sweep: reading the queue failed: {e:?}")),
    }
}

/// An image was stored but its row was not written (the project went away,
/// the database failed): remove it now, or queue it when the store does
/// not answer, so no blob is left that no row points at.
pub fn discard(ctx: &Ctx, db: &Connection, key: &str) {
    if let Err(e) = blob_store::delete(key) {
        ctx.log(format!(
            "blob {key}: removing the image of a capture that was not saved failed: {e:?}"
        ));
        if let Err(e) = deletions::queue(db, key, edge::time::now_ms()) {
            ctx.log(format!(
                "blob {key}: queueing its removal failed too: {e:?}"
            ));
        }
    }
}
