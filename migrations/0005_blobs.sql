-- 0005_blobs: the embedded blob store of the `blobs` component, used when
-- the variable blob_endpoint is not an http(s) URL (components/blobs).
--
-- Applied on every start, so every statement is safe to run again. Never edit
-- this file once merged: change the schema in a new, higher-numbered file.

CREATE TABLE IF NOT EXISTS blobs (
    key           TEXT    PRIMARY KEY,                       -- the blob-store key (rules in wit/blobs.wit); listings are ranges of it
    size          INTEGER NOT NULL CHECK (size >= 0),        -- bytes of content; a read checks the chunks add up to it
    etag          TEXT    NOT NULL,                          -- hex SHA-256 of the content: the strong validator callers compare
    content_type  TEXT    NOT NULL,                          -- media type given at the last write (application/octet-stream when none)
    last_modified INTEGER NOT NULL,                          -- when the content was last written
    chunk_count   INTEGER NOT NULL CHECK (chunk_count >= 0)  -- rows in blob_chunks (0 for an empty blob); a read checks it
);

-- The content, in pieces of 256 KiB: one SQLite value and one answer of
-- Spin's SQLite host are both capped, so a blob is never one value.
CREATE TABLE IF NOT EXISTS blob_chunks (
    key   TEXT    NOT NULL REFERENCES blobs(key),  -- the blob this piece belongs to
    idx   INTEGER NOT NULL CHECK (idx >= 0),       -- position from 0; the content is the pieces in idx order
    data  BLOB    NOT NULL,                        -- up to 256 KiB of the content
    PRIMARY KEY (key, idx)
);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (5, '0005_blobs', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
