//! `POST /api/v1/captures/upload`, two ways:
//!
//! - seed 001's JSON body `{projectId?, imageData: "data:image/png;base64,…",
//!   url, title?, notes?, domSnapshot?, viewport?, metadata?}`;
//! - the raw image as the body (`Content-Type: image/png | image/jpeg |
//!   image/webp`), its fields as query parameters (`?projectId=&url=&title=&notes=`).
//!
//! Either way the image's type is what its bytes are (and must be what the
//! client declared), its size at most `max_capture_bytes`, the DOM snapshot
//! at most `max_dom_snapshot_bytes`. The image is written to the blob store
//! first, then the row; a row that cannot be written takes its blob with it.

use edge::{ApiError, Ctx, FieldError, Response, db};
use serde_json::{Map, Value, json};

use super::{WRITE, actor, caller, project_id};
use crate::blobs;
use crate::config::{self, Limits};
use crate::domain::fields::{self, Described};
use crate::domain::{self, DataUrl, ImageType, image};
use crate::persistence::captures::{self, NewCapture};

/// A valid upload, before anything is stored.
struct Upload {
    described: Described,
    kind: ImageType,
    bytes: Vec<u8>,
    /// JSON text.
    dom_snapshot: Option<String>,
    viewport: Option<Value>,
    metadata: Option<Value>,
}

/// `POST /api/v1/captures/upload` -> 201 `{success, message, data: {capture}}`
/// (without the DOM snapshot, which `GET /:id` returns). 400 naming every
/// invalid field, 404 for a project that is not the caller's, 413 for an
/// image or snapshot over its limit, 415 for an image of the wrong or an
/// unsupported type.
pub fn upload(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let limits = config::limits();
    let content_type = ctx.header("content-type").unwrap_or("").to_owned();
    let upload = if edge::request::is_json_content_type(&content_type) {
        from_json(ctx, limits)?
    } else if let Some(kind) = ImageType::from_mime(&content_type) {
        from_raw(ctx, kind, limits)?
    } else {
        return Err(ApiError::UnsupportedMediaType {
            message: format!(
                "Content-Type {content_type:?} is not supported; send application/json with imageData as a data URL, or the image itself as {}",
                image::SUPPORTED
            ),
        });
    };
    let project_id = project_id(upload.described.project_id.clone())?;
    let db = db::open()?;
    if let Some(project_id) = &project_id {
        // Before the blob is written, so that a wrong project costs nothing;
        // checked again in the insert's transaction.
        captures::check_project(&db, project_id, &caller.user_id)?;
    }
    let id = edge::ids::new_id()?;
    let captured_at = edge::time::now_ms();
    let key = domain::blob_key(&caller.user_id, &id, captured_at, upload.kind);
    let sha256 = domain::sha256_hex(&upload.bytes);
    blobs::put(&key, &upload.bytes, upload.kind.mime())?;
    let new = NewCapture {
        id: &id,
        project_id: project_id.as_deref(),
        image_key: &key,
        content_type: upload.kind.mime(),
        byte_size: upload.bytes.len(),
        sha256: &sha256,
        url: &upload.described.url,
        title: upload.described.title.as_deref(),
        notes: upload.described.notes.as_deref(),
        dom_snapshot: upload.dom_snapshot.as_deref(),
        viewport: upload.viewport.as_ref(),
        metadata: upload.metadata.as_ref(),
        captured_at,
    };
    let capture = match captures::create(&db, actor(&caller, ctx), &new) {
        Ok(capture) => capture,
        Err(e) => {
            blobs::discard(ctx, &db, &key);
            return Err(e);
        }
    };
    blobs::sweep(ctx, &db);
    Response::envelope(
        201,
        &json!({ "capture": capture.summary() }),
        Some("Capture uploaded successfully"),
    )
}

/// A string field: `None` when absent or null; "must be a string" otherwise.
fn string<'a>(
    body: &'a Map<String, Value>,
    name: &str,
    errors: &mut Vec<FieldError>,
) -> Option<&'a str> {
    match body.get(name) {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) => Some(s),
        Some(_) => {
            errors.push(FieldError::new(name, "must be a string"));
            None
        }
    }
}

/// Seed 001's JSON body.
fn from_json(ctx: &mut Ctx, limits: Limits) -> Result<Upload, ApiError> {
    let body = ctx
        .json::<Map<String, Value>>()
        .map_err(ApiError::into_invalid_input)?;
    // The body is parsed: its bytes (up to the component's body limit) are
    // not needed any more.
    ctx.request.body = Vec::new();
    let mut errors = Vec::new();
    let described = {
        let project_id = string(&body, "projectId", &mut errors);
        let url = string(&body, "url", &mut errors);
        let title = string(&body, "title", &mut errors);
        let notes = string(&body, "notes", &mut errors);
        fields::describe(project_id, url, title, notes, &mut errors)
    };
    let data_url = match string(&body, "imageData", &mut errors) {
        None if body.get("imageData").is_none_or(Value::is_null) => {
            errors.push(FieldError::new(
                "imageData",
                "is required: the image as a data URL (data:image/png;base64,…)",
            ));
            None
        }
        None => None,
        Some(raw) => DataUrl::parse(raw)
            .map_err(|why| errors.push(FieldError::new("imageData", why)))
            .ok(),
    };
    let null = Value::Null;
    let viewport = fields::parse_viewport("viewport", body.get("viewport").unwrap_or(&null))
        .map_err(|mut e| errors.append(&mut e))
        .ok();
    let metadata = fields::parse_metadata("metadata", body.get("metadata").unwrap_or(&null))
        .map_err(|e| errors.push(e))
        .ok();
    if !errors.is_empty() {
        return Err(ApiError::invalid_input(errors));
    }
    let (Some(described), Some(data_url), Some(viewport), Some(metadata)) =
        (described, data_url, viewport, metadata)
    else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };
    let dom_snapshot = fields::dom_snapshot(
        body.get("domSnapshot").unwrap_or(&null),
        limits.max_dom_snapshot_bytes,
    )
    .map_err(|too_large| {
        ApiError::too_large(
            "dom_snapshot_too_large",
            format!(
                "domSnapshot is {} bytes of JSON; the limit is {} bytes (max_dom_snapshot_bytes)",
                too_large.0, limits.max_dom_snapshot_bytes
            ),
        )
    })?;
    let (kind, bytes) = image::from_data_url("imageData", &data_url, limits.max_capture_bytes)?;
    Ok(Upload {
        described,
        kind,
        bytes,
        dom_snapshot,
        viewport,
        metadata,
    })
}

/// The raw image as the body, its fields in the query.
fn from_raw(ctx: &mut Ctx, declared: ImageType, limits: Limits) -> Result<Upload, ApiError> {
    let mut errors = Vec::new();
    let described = fields::describe(
        ctx.query("projectId").as_deref(),
        ctx.query("url").as_deref(),
        ctx.query("title").as_deref(),
        ctx.query("notes").as_deref(),
        &mut errors,
    );
    let described = match described {
        Some(d) if errors.is_empty() => d,
        _ => return Err(ApiError::invalid_input(errors)),
    };
    let bytes = std::mem::take(&mut ctx.request.body);
    let kind = image::from_body(declared, &bytes, limits.max_capture_bytes)?;
    Ok(Upload {
        described,
        kind,
        bytes,
        dom_snapshot: None,
        viewport: None,
        metadata: None,
    })
}
