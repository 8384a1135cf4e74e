//! `GET /api/v1/captures` (list, by `projectId` or all), `GET /:id` (the
//! metadata and DOM snapshot, never the bytes) and `DELETE /:id` (the row,
//! then the blob).

use edge::{ApiError, Ctx, Response, db};
use serde_json::json;

use super::{READ, WRITE, actor, caller, capture_id, page, pagination, project_id};
use crate::blobs;
use crate::persistence::captures;

/// `GET /api/v1/captures?projectId=&limit=&offset=` -> `{success, data:
/// {captures, pagination}}`, newest first, without DOM snapshots; without
/// `projectId`, all of the caller's captures. Another user's project is 404.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let page = page(ctx)?;
    let project_id = project_id(ctx.query("projectId"))?;
    let db = db::open()?;
    let listed = captures::list(&db, &caller.user_id, project_id.as_deref(), page)?;
    let views: Vec<_> = listed.items.iter().map(|c| c.summary()).collect();
    Response::envelope(
        200,
        &json!({ "captures": views, "pagination": pagination(page, listed.total) }),
        None,
    )
}

/// `GET /api/v1/captures/:id` -> `{success, data: {capture}}`, the DOM
/// snapshot included; the image is at `capture.image_url`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let id = capture_id(ctx)?;
    let db = db::open()?;
    let capture = captures::get(&db, &id, &caller.user_id)?.ok_or_else(captures::not_found)?;
    Response::envelope(200, &json!({ "capture": capture.view() }), None)
}

/// `DELETE /api/v1/captures/:id` -> `{success, message, data: {capture}}`.
/// The row goes first, its image queued for removal in the same
/// transaction; then the image is removed (see `persistence::deletions`
/// for why in this order). A blob store that does not answer does not fail
/// the request: the capture is gone, and its image is removed by a later
/// sweep.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let id = capture_id(ctx)?;
    let db = db::open()?;
    let capture = captures::delete(&db, actor(&caller, ctx), &id)?;
    blobs::remove_queued(ctx, &db, &capture.image_key);
    blobs::sweep(ctx, &db);
    Response::envelope(
        200,
        &json!({ "capture": capture.summary() }),
        Some("Capture deleted successfully"),
    )
}
