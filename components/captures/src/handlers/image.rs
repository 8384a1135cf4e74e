//! `GET /api/v1/captures/:id/image`: the image's bytes with their type, an
//! `ETag` (the SHA-256 recorded at upload, so a revalidation is answered
//! 304 from the row alone, without reading the blob) and a private cache
//! lifetime (a capture's image never changes: a new upload is a new id).

use edge::{ApiError, Ctx, Response, db};

use super::{READ, caller, capture_id};
use crate::blobs;
use crate::domain;
use crate::persistence::captures;

/// `Cache-Control` of an image: only the caller's own cache may keep it.
pub const CACHE_CONTROL: &str = "private, max-age=86400";

/// `GET /api/v1/captures/:id/image` -> 200 with the bytes, or 304 when
/// `If-None-Match` names the image's ETag.
pub fn image(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let id = capture_id(ctx)?;
    let db = db::open()?;
    let capture =
        captures::get_summary(&db, &id, &caller.user_id)?.ok_or_else(captures::not_found)?;
    let etag = capture.etag();
    let headers = vec![
        ("etag".to_owned(), etag.clone()),
        ("cache-control".to_owned(), CACHE_CONTROL.to_owned()),
    ];
    if ctx
        .header("if-none-match")
        .is_some_and(|h| domain::if_none_match(h, &etag))
    {
        return Ok(Response {
            status: 304,
            headers,
            body: Vec::new(),
        });
    }
    let blob = blobs::get(&capture.image_key)?.ok_or_else(|| {
        ctx.log(format!(
            "capture {id}: its image {} is missing from the blob store",
            capture.image_key
        ));
        ApiError::not_found(
            "capture_image_not_found",
            "This capture's image is missing from storage",
        )
    })?;
    let mut response = Response {
        status: 200,
        headers,
        body: blob.data,
    };
    response.set_header("content-type", capture.content_type.as_str());
    response.set_header(
        "content-disposition",
        format!(
            "inline; filename=\"capture-{id}.{}\"",
            domain::ImageType::from_mime(&capture.content_type)
                .map_or("bin", domain::ImageType::extension)
        ),
    );
    Ok(response)
}
