//! The embedded backend: blobs in the SQLite database `default`, tables
//! `blobs` (metadata) and `blob_chunks` (the content in 256 KiB pieces),
//! from migrations/0005_blobs.sql.
//!
//! Chunked because one SQLite value is capped (1 GB by default, less on
//! some hosts) and one answer from Spin's SQLite host is capped at 128 MiB:
//! a blob is read back in batches of chunks, never as one value. A put
//! replaces the metadata and every chunk in one `BEGIN IMMEDIATE`
//! transaction, and a get reads inside one transaction too, so a reader
//! never sees half of a replaced blob.

use edge::ApiError;
use edge::db::{self, Connection, RowResult, Value};
use sha2::{Digest, Sha256};

use crate::blob_store::{Blob, BlobError, BlobMeta, BlobPage};
use crate::rules;

/// Bytes per chunk row.
pub const CHUNK_BYTES: usize = 256 * 1024;
/// Chunks per query when reading a blob back: 16 MiB per answer.
const CHUNKS_PER_READ: i64 = 64;

const UPSERT_META: &str = "\
    INSERT INTO blobs (key, size, etag, content_type, last_modified, chunk_count) \
    VALUES (?1, ?2, ?3, ?4, ?5, ?6) \
    ON CONFLICT (key) DO UPDATE SET size = excluded.size, etag = excluded.etag, \
        content_type = excluded.content_type, last_modified = excluded.last_modified, \
        chunk_count = excluded.chunk_count";
const DELETE_CHUNKS: &str = "DELETE FROM blob_chunks WHERE key = ?1";
const INSERT_CHUNK: &str = "INSERT INTO blob_chunks (key, idx, data) VALUES (?1, ?2, ?3)";
const DELETE_META: &str = "DELETE FROM blobs WHERE key = ?1";
const SELECT_META: &str = "\
    SELECT key, size, etag, content_type, last_modified, chunk_count FROM blobs WHERE key = ?1";
const SELECT_CHUNKS: &str = "\
    SELECT idx, data FROM blob_chunks WHERE key = ?1 AND idx >= ?2 AND idx < ?3 ORDER BY idx";
/// ?1 prefix, ?2 its upper bound, ?3 start-after ('' for none), ?4 limit.
const SELECT_PAGE: &str = "\
    SELECT key, size, etag, content_type, last_modified, chunk_count FROM blobs \
    WHERE key >= ?1 AND key < ?2 AND key > ?3 ORDER BY key LIMIT ?4";

/// A stored blob's metadata and how many chunks hold its content.
struct Stored {
    meta: BlobMeta,
    chunks: i64,
}

impl TryFrom<&RowResult> for Stored {
    type Error = ApiError;

    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        let non_negative = |index: usize, column: &str| -> Result<u64, ApiError> {
            u64::try_from(db::int(row, index, column)?)
                .map_err(|_| ApiError::internal(format!("column {column} is negative")))
        };
        Ok(Self {
            meta: BlobMeta {
                key: db::text(row, 0, "key")?,
                size: non_negative(1, "size")?,
                etag: db::text(row, 2, "etag")?,
                content_type: db::text(row, 3, "content_type")?,
                last_modified: non_negative(4, "last_modified")?,
            },
            chunks: db::int(row, 5, "chunk_count")?,
        })
    }
}

pub fn put(key: &str, data: &[u8], content_type: &str) -> Result<BlobMeta, BlobError> {
    let meta = BlobMeta {
        key: key.to_owned(),
        size: data.len() as u64,
        etag: hex::encode(Sha256::digest(data)),
        content_type: content_type.to_owned(),
        last_modified: u64::try_from(edge::time::now_ms()).unwrap_or(0),
    };
    let chunks = split(data);
    let conn = open()?;
    db::transaction(&conn, |conn| {
        db::execute(
            conn,
            "writing blob metadata",
            UPSERT_META,
            &[
                text(key),
                int(meta.size)?,
                text(&meta.etag),
                text(&meta.content_type),
                int(meta.last_modified)?,
                int(chunks.len() as u64)?,
            ],
        )?;
        db::execute(conn, "dropping old chunks", DELETE_CHUNKS, &[text(key)])?;
        for (idx, chunk) in chunks.iter().enumerate() {
            db::execute(
                conn,
                "writing a chunk",
                INSERT_CHUNK,
                &[text(key), int(idx as u64)?, Value::Blob(chunk.to_vec())],
            )?;
        }
        Ok(())
    })
    .map_err(internal)?;
    Ok(meta)
}

pub fn get(key: &str) -> Result<Option<Blob>, BlobError> {
    let conn = open()?;
    snapshot(&conn, |conn| {
        let Some(stored) =
            db::first::<Stored>(conn, "reading blob metadata", SELECT_META, &[text(key)])?
        else {
            return Ok(None);
        };
        let mut parts = Vec::new();
        let mut next = 0;
        while next < stored.chunks {
            let end = next.saturating_add(CHUNKS_PER_READ);
            let rows = db::execute(
                conn,
                "reading chunks",
                SELECT_CHUNKS,
                &[text(key), Value::Integer(next), Value::Integer(end)],
            )?
            .rows;
            for row in &rows {
                let idx = db::int(row, 0, "idx")?;
                let data = match row.values.get(1) {
                    Some(Value::Blob(bytes)) => bytes.clone(),
                    _ => return Err(ApiError::internal("column data is not a blob")),
                };
                parts.push((idx, data));
            }
            next = end;
        }
        let data = reassemble(stored.meta.size, stored.chunks, parts)
            .map_err(|e| ApiError::internal(format!("blob {key:?} is damaged: {e}")))?;
        Ok(Some(Blob {
            meta: stored.meta,
            data,
        }))
    })
    .map_err(internal)
}

pub fn head(key: &str) -> Result<Option<BlobMeta>, BlobError> {
    let conn = open()?;
    db::first::<Stored>(&conn, "reading blob metadata", SELECT_META, &[text(key)])
        .map(|s| s.map(|s| s.meta))
        .map_err(internal)
}

pub fn delete(key: &str) -> Result<(), BlobError> {
    let conn = open()?;
    db::transaction(&conn, |conn| {
        db::execute(conn, "deleting chunks", DELETE_CHUNKS, &[text(key)])?;
        db::execute(conn, "deleting blob metadata", DELETE_META, &[text(key)])?;
        Ok(())
    })
    .map_err(internal)
}

pub fn list(prefix: &str, start_after: Option<&str>, limit: u32) -> Result<BlobPage, BlobError> {
    let conn = open()?;
    // One row more than asked tells whether another page follows.
    let rows: Vec<Stored> = db::rows(
        &conn,
        "listing blobs",
        SELECT_PAGE,
        &[
            text(prefix),
            text(&rules::prefix_upper_bound(prefix)),
            text(start_after.unwrap_or("")),
            Value::Integer(i64::from(limit) + 1),
        ],
    )
    .map_err(internal)?;
    let more = rows.len() > limit as usize;
    let items: Vec<BlobMeta> = rows
        .into_iter()
        .take(limit as usize)
        // As on S3, a listing carries no content types (HEAD has them).
        .map(|s| BlobMeta {
            content_type: String::new(),
            ..s.meta
        })
        .collect();
    let next_start_after = if more {
        items.last().map(|m| m.key.clone())
    } else {
        None
    };
    Ok(BlobPage {
        items,
        next_start_after,
    })
}

/// The content cut into chunk rows; an empty blob has none.
pub fn split(data: &[u8]) -> Vec<&[u8]> {
    data.chunks(CHUNK_BYTES).collect()
}

/// Puts chunks read back (index, bytes) together and checks them against
/// the metadata: every index from 0 once, in order, adding up to `size`.
pub fn reassemble(size: u64, chunks: i64, parts: Vec<(i64, Vec<u8>)>) -> Result<Vec<u8>, String> {
    if parts.len() as i64 != chunks {
        return Err(format!("{} chunks stored, {chunks} expected", parts.len()));
    }
    let mut data = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    for (expected, (idx, part)) in parts.into_iter().enumerate() {
        if idx != expected as i64 {
            return Err(format!("chunk {expected} missing (found {idx})"));
        }
        data.extend_from_slice(&part);
    }
    if data.len() as u64 != size {
        return Err(format!("{} bytes stored, {size} expected", data.len()));
    }
    Ok(data)
}

/// Runs reads in one deferred transaction: one consistent snapshot of the
/// database, without taking the write lock.
fn snapshot<T>(
    conn: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    db::execute(conn, "beginning read transaction", "BEGIN", &[])?;
    let result = work(conn);
    // Nothing was written, so ending the transaction cannot lose anything;
    // a failure to end it is still reported.
    let end = db::execute(conn, "ending read transaction", "COMMIT", &[]);
    let value = result?;
    end?;
    Ok(value)
}

fn open() -> Result<Connection, BlobError> {
    db::open().map_err(internal)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn int(n: u64) -> Result<Value, ApiError> {
    i64::try_from(n)
        .map(Value::Integer)
        .map_err(|_| ApiError::internal(format!("{n} does not fit in an SQLite integer")))
}

fn internal(e: ApiError) -> BlobError {
    match e {
        ApiError::Internal(detail) => BlobError::Internal(detail),
        other => BlobError::Internal(other.to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pattern(len: usize) -> Vec<u8> {
        (0..len).map(|i| (i * 31 % 251) as u8).collect()
    }

    #[test]
    fn split_sizes() {
        assert!(split(&[]).is_empty());
        assert_eq!(split(&[7]).len(), 1);
        assert_eq!(split(&pattern(CHUNK_BYTES)).len(), 1);
        let two = pattern(CHUNK_BYTES + 1);
        let parts = split(&two);
        assert_eq!(parts.len(), 2);
        assert_eq!(parts[0].len(), CHUNK_BYTES);
        assert_eq!(parts[1].len(), 1);
        assert_eq!(split(&pattern(4 * CHUNK_BYTES + 1)).len(), 5);
    }

    #[test]
    fn split_then_reassemble_is_identity() {
        for len in [
            0,
            1,
            CHUNK_BYTES - 1,
            CHUNK_BYTES,
            CHUNK_BYTES + 1,
            3 * CHUNK_BYTES + 17,
        ] {
            let data = pattern(len);
            let parts: Vec<(i64, Vec<u8>)> = split(&data)
                .into_iter()
                .enumerate()
                .map(|(i, c)| (i as i64, c.to_vec()))
                .collect();
            let n = parts.len() as i64;
            assert_eq!(reassemble(len as u64, n, parts), Ok(data), "{len}");
        }
    }

    #[test]
    fn reassemble_refuses_damage() {
        let parts = || vec![(0, vec![1, 2]), (1, vec![3])];
        let refusal = |r: Result<Vec<u8>, String>| r.expect_err("refused");
        assert!(reassemble(3, 2, parts()).is_ok());
        assert!(refusal(reassemble(4, 2, parts())).contains("bytes stored"));
        assert!(refusal(reassemble(3, 3, parts())).contains("chunks stored"));
        let gap = vec![(0, vec![1, 2]), (2, vec![3])];
        assert!(refusal(reassemble(3, 2, gap)).contains("missing"));
    }
}
