//! The `captures` row (converted from SQLite with `TryFrom`, reading the
//! columns of `persistence::captures`'s column list, in order) and the JSON
//! view the API returns: seed 001's snake_case names (`image_r2_key` kept
//! for its clients, though the blob store need not be R2) and unix seconds.

use edge::ApiError;
use edge::db::{self, RowResult};
use serde::Serialize;
use serde_json::Value;

/// Milliseconds (storage) to unix seconds (seed 001's API).
fn secs(ms: i64) -> i64 {
    ms.div_euclid(1000)
}

fn opt_json(row: &RowResult, index: usize, column: &str) -> Result<Option<Value>, ApiError> {
    db::opt_text(row, index, column)?
        .map(|text| {
            serde_json::from_str(&text).map_err(|e| ApiError::internal(format!("{column}: {e}")))
        })
        .transpose()
}

/// A `captures` row, JSON columns parsed. `dom_snapshot` is `None` in
/// lists (the list query does not read it); `has_dom_snapshot` is always set.
#[derive(Debug, Clone, PartialEq)]
pub struct Capture {
    pub id: String,
    pub project_id: Option<String>,
    pub image_key: String,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    pub url: String,
    pub title: Option<String>,
    pub notes: Option<String>,
    pub viewport: Option<Value>,
    pub metadata: Option<Value>,
    pub has_dom_snapshot: bool,
    pub dom_snapshot: Option<Value>,
    pub captured_at: i64,
}

impl TryFrom<&RowResult> for Capture {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "captures.id")?,
            project_id: db::opt_text(row, 1, "captures.project_id")?,
            image_key: db::text(row, 2, "captures.image_key")?,
            content_type: db::text(row, 3, "captures.content_type")?,
            byte_size: db::int(row, 4, "captures.byte_size")?,
            sha256: db::text(row, 5, "captures.sha256")?,
            url: db::text(row, 6, "captures.url")?,
            title: db::opt_text(row, 7, "captures.title")?,
            notes: db::opt_text(row, 8, "captures.notes")?,
            viewport: opt_json(row, 9, "captures.viewport")?,
            metadata: opt_json(row, 10, "captures.metadata")?,
            has_dom_snapshot: db::int(row, 11, "has_dom_snapshot")? != 0,
            dom_snapshot: opt_json(row, 12, "captures.dom_snapshot")?,
            captured_at: db::int(row, 13, "captures.captured_at")?,
        })
    }
}

/// A capture as the API shows it; `dom_snapshot` only on the single
/// capture (`GET /:id`, upload), never in lists.
#[derive(Debug, Serialize)]
pub struct CaptureView<'a> {
    pub id: &'a str,
    pub project_id: Option<&'a str>,
    pub image_r2_key: &'a str,
    /// Where the image's bytes are served.
    pub image_url: String,
    pub content_type: &'a str,
    pub size: i64,
    /// The image's ETag (quoted, as `GET /:id/image` sends it).
    pub etag: String,
    pub url: &'a str,
    pub title: Option<&'a str>,
    pub notes: Option<&'a str>,
    pub viewport: Option<&'a Value>,
    pub metadata: Option<&'a Value>,
    pub has_dom_snapshot: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dom_snapshot: Option<Option<&'a Value>>,
    pub captured_at: i64,
}

impl Capture {
    /// The image's strong validator: its SHA-256, quoted.
    pub fn etag(&self) -> String {
        format!("\"{}\"", self.sha256)
    }

    /// The full view, the DOM snapshot included (null when there is none).
    pub fn view(&self) -> CaptureView<'_> {
        CaptureView {
            dom_snapshot: Some(self.dom_snapshot.as_ref()),
            ..self.summary()
        }
    }

    /// The list view, without the DOM snapshot.
    pub fn summary(&self) -> CaptureView<'_> {
        CaptureView {
            id: &self.id,
            project_id: self.project_id.as_deref(),
            image_r2_key: &self.image_key,
            image_url: format!("/api/v1/captures/{}/image", self.id),
            content_type: &self.content_type,
            size: self.byte_size,
            etag: self.etag(),
            url: &self.url,
            title: self.title.as_deref(),
            notes: self.notes.as_deref(),
            viewport: self.viewport.as_ref(),
            metadata: self.metadata.as_ref(),
            has_dom_snapshot: self.has_dom_snapshot,
            dom_snapshot: None,
            captured_at: secs(self.captured_at),
        }
    }
}
