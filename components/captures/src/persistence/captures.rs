//! `captures`: insert (after the image is in the blob store), get, list (by
//! project or all), delete (queueing the image for removal in the same
//! transaction, see [`super::deletions`]).

use edge::ApiError;
use edge::db::{self, Connection};
use serde_json::json;

use super::{Actor, Listed, count, deletions, int, page_params, text};
use crate::domain::Page;
use crate::models::Capture;

macro_rules! capture_columns {
    // `dom_snapshot` is the thirteenth column; lists read NULL in its place.
    ($dom:literal) => {
        concat!(
            "c.id, c.project_id, c.image_key, c.content_type, c.byte_size, c.sha256, c.url, c.title, ",
            "c.notes, c.viewport, c.metadata, (c.dom_snapshot IS NOT NULL), ",
            $dom,
            ", c.captured_at"
        )
    };
}

const INSERT_CAPTURE: &str = "\
    INSERT INTO captures (id, project_id, user_id, image_key, content_type, byte_size, sha256, url, title, notes, \
    dom_snapshot, viewport, metadata, captured_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const SELECT_CAPTURE: &str = concat!(
    "SELECT ",
    capture_columns!("c.dom_snapshot"),
    " FROM captures c WHERE c.id = ? AND c.user_id = ?"
);
const SELECT_CAPTURE_SUMMARY: &str = concat!(
    "SELECT ",
    capture_columns!("NULL"),
    " FROM captures c WHERE c.id = ? AND c.user_id = ?"
);
const SELECT_CAPTURES_OF_PROJECT: &str = concat!(
    "SELECT ",
    capture_columns!("NULL"),
    " FROM captures c WHERE c.user_id = ? AND c.project_id = ?",
    " ORDER BY c.captured_at DESC, c.rowid DESC LIMIT ? OFFSET ?"
);
const COUNT_CAPTURES_OF_PROJECT: &str =
    "SELECT COUNT(*) FROM captures WHERE user_id = ? AND project_id = ?";
const SELECT_CAPTURES_OF_USER: &str = concat!(
    "SELECT ",
    capture_columns!("NULL"),
    " FROM captures c WHERE c.user_id = ?",
    " ORDER BY c.captured_at DESC, c.rowid DESC LIMIT ? OFFSET ?"
);
const COUNT_CAPTURES_OF_USER: &str = "SELECT COUNT(*) FROM captures WHERE user_id = ?";
const DELETE_CAPTURE: &str = "DELETE FROM captures WHERE id = ? AND user_id = ?";
/// Whether the user has this project (the projects component's table).
const COUNT_OWN_PROJECT: &str = "SELECT COUNT(*) FROM projects WHERE id = ? AND user_id = ?";

/// A capture to insert: its image is already in the blob store under `image_key`.
#[derive(Debug, Clone)]
pub struct NewCapture<'a> {
    pub id: &'a str,
    pub project_id: Option<&'a str>,
    pub image_key: &'a str,
    pub content_type: &'a str,
    pub byte_size: usize,
    pub sha256: &'a str,
    pub url: &'a str,
    pub title: Option<&'a str>,
    pub notes: Option<&'a str>,
    /// JSON text.
    pub dom_snapshot: Option<&'a str>,
    pub viewport: Option<&'a serde_json::Value>,
    pub metadata: Option<&'a serde_json::Value>,
    pub captured_at: i64,
}

fn nullable_json(value: Option<&serde_json::Value>) -> db::Value {
    value.map_or(db::Value::Null, |v| db::Value::Text(v.to_string()))
}

/// 404 unless the project is one of the user's.
pub fn check_project(db: &Connection, project_id: &str, user_id: &str) -> Result<(), ApiError> {
    let n = count(
        db,
        "checking the project",
        COUNT_OWN_PROJECT,
        &[text(project_id), text(user_id)],
    )?;
    if n == 0 {
        return Err(project_not_found());
    }
    Ok(())
}

/// Inserts the capture row; 404 if its project is not (or no longer) the
/// user's. The project is checked in the transaction, so a project deleted
/// meanwhile cannot get a capture after its captures were deleted.
pub fn create(
    db: &Connection,
    actor: Actor<'_>,
    new: &NewCapture<'_>,
) -> Result<Capture, ApiError> {
    let byte_size = i64::try_from(new.byte_size)
        .map_err(|_| ApiError::internal("image size does not fit a column"))?;
    db::transaction(db, |db| {
        if let Some(project_id) = new.project_id {
            check_project(db, project_id, actor.user_id)?;
        }
        db::execute(
            db,
            "inserting capture",
            INSERT_CAPTURE,
            &[
                text(new.id),
                db::nullable_text(new.project_id),
                text(actor.user_id),
                text(new.image_key),
                text(new.content_type),
                int(byte_size),
                text(new.sha256),
                text(new.url),
                db::nullable_text(new.title),
                db::nullable_text(new.notes),
                db::nullable_text(new.dom_snapshot),
                nullable_json(new.viewport),
                nullable_json(new.metadata),
                int(new.captured_at),
            ],
        )?;
        db::audit(
            db,
            &actor.audit(
                "capture.upload",
                new.id,
                json!({
                    "projectId": new.project_id,
                    "contentType": new.content_type,
                    "bytes": byte_size,
                    "imageKey": new.image_key,
                }),
            ),
        )
    })?;
    get(db, new.id, actor.user_id)?
        .ok_or_else(|| ApiError::internal("capture vanished after insert"))
}

/// One of the user's captures (with its DOM snapshot); `None` otherwise.
pub fn get(db: &Connection, id: &str, user_id: &str) -> Result<Option<Capture>, ApiError> {
    db::first(
        db,
        "selecting capture",
        SELECT_CAPTURE,
        &[text(id), text(user_id)],
    )
}

/// Like [`get`], without reading the DOM snapshot.
pub fn get_summary(db: &Connection, id: &str, user_id: &str) -> Result<Option<Capture>, ApiError> {
    db::first(
        db,
        "selecting capture summary",
        SELECT_CAPTURE_SUMMARY,
        &[text(id), text(user_id)],
    )
}

/// A page of the user's captures (without DOM snapshots), newest first: of
/// one project (404 if it is not the user's) or all of them.
pub fn list(
    db: &Connection,
    user_id: &str,
    project_id: Option<&str>,
    page: Page,
) -> Result<Listed<Capture>, ApiError> {
    let [limit, offset] = page_params(page);
    let (items, total) = match project_id {
        Some(project_id) => {
            check_project(db, project_id, user_id)?;
            (
                db::rows(
                    db,
                    "selecting captures of project",
                    SELECT_CAPTURES_OF_PROJECT,
                    &[text(user_id), text(project_id), limit, offset],
                )?,
                count(
                    db,
                    "counting captures of project",
                    COUNT_CAPTURES_OF_PROJECT,
                    &[text(user_id), text(project_id)],
                )?,
            )
        }
        None => (
            db::rows(
                db,
                "selecting captures of user",
                SELECT_CAPTURES_OF_USER,
                &[text(user_id), limit, offset],
            )?,
            count(
                db,
                "counting captures of user",
                COUNT_CAPTURES_OF_USER,
                &[text(user_id)],
            )?,
        ),
    };
    Ok(Listed { items, total })
}

/// Deletes one of the user's captures (404 otherwise) and, in the same
/// transaction, queues its image for removal from the blob store. The
/// caller removes the blob after this commits (see [`super::deletions`]).
pub fn delete(db: &Connection, actor: Actor<'_>, id: &str) -> Result<Capture, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let capture = get_summary(db, id, actor.user_id)?.ok_or_else(not_found)?;
        db::execute(
            db,
            "deleting capture",
            DELETE_CAPTURE,
            &[text(id), text(actor.user_id)],
        )?;
        deletions::queue(db, &capture.image_key, now)?;
        db::audit(
            db,
            &actor.audit(
                "capture.delete",
                id,
                json!({ "projectId": capture.project_id, "imageKey": capture.image_key }),
            ),
        )?;
        Ok(capture)
    })
}

/// The 404 for a capture that does not exist or is not the caller's.
pub fn not_found() -> ApiError {
    ApiError::not_found("capture_not_found", "No capture with this id")
}

/// The 404 for a project that does not exist or is not the caller's.
pub fn project_not_found() -> ApiError {
    ApiError::not_found("project_not_found", "No project with this id")
}
