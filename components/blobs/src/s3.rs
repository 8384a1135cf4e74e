//! The S3 backend: one path-style request per call, signed with SigV4 as a
//! presigned URL (rusty-s3), sent through Spin's outbound HTTP
//! (`wasi:http/outgoing-handler`, so the endpoint must be in the
//! component's `allowed_outbound_hosts`) by `crates/outbound-http`, within
//! `blob_timeout`: a server that stops answering fails the call
//! (`unavailable`) instead of holding the request.
//!
//! Error mapping: no connection, a stream error or a 5xx answer is
//! `unavailable` (S3 changed nothing a caller can see); a refused outbound
//! host, 403 and any other unexpected answer is `internal`, with S3's error
//! code in the detail.

use std::time::Duration;

use outbound_http::{Answer, Failure, Verb};
use rusty_s3::actions::ListObjectsV2;
use rusty_s3::{Bucket, Credentials, S3Action, UrlStyle};

use crate::blob_store::{Blob, BlobError, BlobMeta, BlobPage};
use crate::config::S3Settings;
use crate::wire;

/// How long a presigned URL is valid. It is used at once; the margin only
/// absorbs clock skew between this host and the S3 server.
const SIGNATURE_TTL: Duration = Duration::from_secs(300);
/// The most of a listing's XML read (1,000 keys of 1 KiB each, and more).
const MAX_LISTING_BYTES: usize = 4 * 1024 * 1024;

pub struct S3 {
    bucket: Bucket,
    credentials: Credentials,
    timeout_ms: i64,
    /// The most of an object's body read: the blob size cap.
    max_object_bytes: usize,
}

impl S3 {
    pub fn new(settings: &S3Settings, max_blob_bytes: u64) -> Result<Self, BlobError> {
        let bucket = Bucket::new(
            settings.endpoint.clone(),
            UrlStyle::Path,
            settings.bucket.clone(),
            settings.region.clone(),
        )
        .map_err(|e| {
            BlobError::Internal(format!(
                "S3 bucket {:?} at {}: {e:?}",
                settings.bucket, settings.endpoint
            ))
        })?;
        Ok(Self {
            bucket,
            credentials: Credentials::new(&settings.access_key, &settings.secret_key),
            timeout_ms: settings.timeout_ms,
            max_object_bytes: usize::try_from(max_blob_bytes).unwrap_or(usize::MAX),
        })
    }

    pub fn put(&self, key: &str, data: Vec<u8>, content_type: &str) -> Result<BlobMeta, BlobError> {
        let mut action = self.bucket.put_object(Some(&self.credentials), key);
        action
            .headers_mut()
            .insert("content-type", content_type.to_owned());
        let url = action.sign(SIGNATURE_TTL);
        let size = data.len() as u64;
        let response = self.send(
            Verb::Put,
            &url,
            &[("content-type", content_type.to_owned())],
            &data,
            0,
        )?;
        expect_success(&response, "PutObject", key)?;
        let etag = header(&response, "etag")
            .map(wire::unquote_etag)
            .ok_or_else(|| {
                BlobError::Internal(format!("PutObject {key}: no ETag in the answer"))
            })?;
        // S3 does not send Last-Modified on a PUT; the answer's Date is the
        // server's clock at the write, which is what a later HEAD reports
        // (both to the second).
        let last_modified = header(&response, "last-modified")
            .or_else(|| header(&response, "date"))
            .and_then(|d| wire::http_date_ms(d).ok())
            .unwrap_or_else(now_ms);
        Ok(BlobMeta {
            key: key.to_owned(),
            size,
            etag,
            content_type: content_type.to_owned(),
            last_modified,
        })
    }

    pub fn get(&self, key: &str) -> Result<Option<Blob>, BlobError> {
        let url = self
            .bucket
            .get_object(Some(&self.credentials), key)
            .sign(SIGNATURE_TTL);
        let response = self.send(Verb::Get, &url, &[], &[], self.max_object_bytes)?;
        if response.status == 404 {
            return Ok(None);
        }
        expect_success(&response, "GetObject", key)?;
        let mut meta = meta_from_headers(&response, key)?;
        let data = response.body;
        meta.size = data.len() as u64;
        Ok(Some(Blob { meta, data }))
    }

    pub fn head(&self, key: &str) -> Result<Option<BlobMeta>, BlobError> {
        let url = self
            .bucket
            .head_object(Some(&self.credentials), key)
            .sign(SIGNATURE_TTL);
        let response = self.send(Verb::Head, &url, &[], &[], 0)?;
        if response.status == 404 {
            return Ok(None);
        }
        expect_success(&response, "HeadObject", key)?;
        let mut meta = meta_from_headers(&response, key)?;
        meta.size = header(&response, "content-length")
            .and_then(|n| n.trim().parse().ok())
            .ok_or_else(|| {
                BlobError::Internal(format!("HeadObject {key}: no Content-Length in the answer"))
            })?;
        Ok(Some(meta))
    }

    pub fn delete(&self, key: &str) -> Result<(), BlobError> {
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), key)
            .sign(SIGNATURE_TTL);
        let response = self.send(Verb::Delete, &url, &[], &[], 64 * 1024)?;
        // S3 answers 204 for a missing key too; some servers answer 404.
        if response.status == 404 {
            return Ok(());
        }
        expect_success(&response, "DeleteObject", key)
    }

    pub fn list(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        limit: u32,
    ) -> Result<BlobPage, BlobError> {
        let mut action = self.bucket.list_objects_v2(Some(&self.credentials));
        action.with_prefix(prefix);
        if let Some(after) = start_after {
            action.with_start_after(after);
        }
        action.with_max_keys(limit as usize);
        let url = action.sign(SIGNATURE_TTL);
        let response = self.send(Verb::Get, &url, &[], &[], MAX_LISTING_BYTES)?;
        expect_success(&response, "ListObjectsV2", prefix)?;
        let body = std::str::from_utf8(&response.body)
            .map_err(|_| BlobError::Internal("ListObjectsV2: the answer is not UTF-8".into()))?;
        let listing = ListObjectsV2::parse_response(body)
            .map_err(|e| BlobError::Internal(format!("ListObjectsV2: unreadable answer: {e}")))?;
        let items = listing
            .contents
            .into_iter()
            .map(|c| {
                let last_modified = match c.last_modified.as_deref() {
                    Some(t) => wire::rfc3339_ms(t).map_err(BlobError::Internal)?,
                    None => 0,
                };
                Ok(BlobMeta {
                    etag: c
                        .etag
                        .as_deref()
                        .map(wire::unquote_etag)
                        .unwrap_or_default(),
                    size: c.size.unwrap_or(0),
                    // A listing does not carry content types; HEAD has it.
                    content_type: String::new(),
                    last_modified,
                    key: c.key,
                })
            })
            .collect::<Result<Vec<_>, BlobError>>()?;
        // rusty-s3 keeps the continuation token only when S3 says the
        // listing is truncated; the last key then continues it.
        let next_start_after = match listing.next_continuation_token {
            Some(_) => items.last().map(|m| m.key.clone()),
            None => None,
        };
        Ok(BlobPage {
            items,
            next_start_after,
        })
    }
}

impl S3 {
    /// Sends one request and reads up to `max_body` bytes of the answer,
    /// all within `blob_timeout`.
    fn send(
        &self,
        verb: Verb,
        url: &url::Url,
        headers: &[(&str, String)],
        body: &[u8],
        max_body: usize,
    ) -> Result<Answer, BlobError> {
        outbound_http::send(verb, url, headers, body, self.timeout_ms, max_body)
            .map_err(|e| send_error(e, url))
    }
}

fn send_error(e: Failure, url: &url::Url) -> BlobError {
    let target = format!(
        "{}://{}{}",
        url.scheme(),
        url.host_str().unwrap_or_default(),
        url.port().map(|p| format!(":{p}")).unwrap_or_default()
    );
    match e {
        Failure::Denied => BlobError::Internal(format!(
            "outbound request to {target} denied: add allowed_outbound_hosts = [\"{{{{ blob_endpoint }}}}\"] to the component"
        )),
        // An object larger than the cap was stored by someone else.
        Failure::TooLarge { limit } => {
            BlobError::Internal(format!("{target}: an answer over {limit} bytes"))
        }
        Failure::Timeout(why) | Failure::Failed(why) => {
            BlobError::Unavailable(format!("{target}: {why}"))
        }
    }
}

fn expect_success(response: &Answer, operation: &str, key: &str) -> Result<(), BlobError> {
    let status = response.status;
    if (200..300).contains(&status) {
        return Ok(());
    }
    let detail = format!(
        "{operation} {key:?}: HTTP {status}: {}",
        wire::error_detail(&response.body)
    );
    Err(if status >= 500 {
        BlobError::Unavailable(detail)
    } else {
        BlobError::Internal(detail)
    })
}

fn header<'a>(response: &'a Answer, name: &str) -> Option<&'a str> {
    response.header(name)
}

/// The metadata GET and HEAD answers carry; `size` is filled by the caller.
fn meta_from_headers(response: &Answer, key: &str) -> Result<BlobMeta, BlobError> {
    let missing = |name: &str| BlobError::Internal(format!("{key}: no {name} in the answer"));
    let etag = header(response, "etag")
        .map(wire::unquote_etag)
        .ok_or_else(|| missing("ETag"))?;
    let last_modified = header(response, "last-modified")
        .ok_or_else(|| missing("Last-Modified"))
        .and_then(|d| wire::http_date_ms(d).map_err(BlobError::Internal))?;
    Ok(BlobMeta {
        key: key.to_owned(),
        size: 0,
        etag,
        content_type: header(response, "content-type")
            .unwrap_or(crate::rules::DEFAULT_CONTENT_TYPE)
            .to_owned(),
        last_modified,
    })
}

fn now_ms() -> u64 {
    u64::try_from(edge::time::now_ms()).unwrap_or(0)
}
