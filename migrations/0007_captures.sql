-- 0007_captures: the QA extension's screenshot captures (seed 001's `captures`),
-- served by components/captures. The image bytes live in the blob store
-- (wit/blobs.wit); a row holds the image's key and what the API shows about it.
--
-- Applied on every start, after 0001-0006, so every statement is safe to run
-- again. Depends on 0001 (users, schema_migrations) and 0003 (projects). Never
-- edit this file once merged: change the schema in a new, higher-numbered file.
-- Timestamps are milliseconds since the unix epoch (the API shows seed 001's
-- unix seconds); ids are 32 lowercase hex characters made by the app; JSON is TEXT.

CREATE TABLE IF NOT EXISTS captures (
    id           TEXT    PRIMARY KEY,                   -- 128-bit random hex id
    project_id   TEXT    REFERENCES projects(id),       -- the project it was taken for (the caller's); NULL when none was given (seed 001); deleted with the project (by the app)
    user_id      TEXT    NOT NULL REFERENCES users(id), -- the owner; every query is scoped to it
    image_key    TEXT    NOT NULL UNIQUE,               -- blob key: captures/{user_id}/{id}-{captured_at}.{png|jpg|webp}
    content_type TEXT    NOT NULL                       -- the image's type, from its magic bytes (never from the client alone)
                 CHECK (content_type IN ('image/png', 'image/jpeg', 'image/webp')),
    byte_size    INTEGER NOT NULL,                      -- the image's size in bytes (at most the variable max_capture_bytes)
    sha256       TEXT    NOT NULL,                      -- hex SHA-256 of the image: the ETag of GET /:id/image, so a 304 needs no blob read
    url          TEXT    NOT NULL,                      -- the page the screenshot shows (seed 001: NOT NULL)
    title        TEXT,                                  -- the page's title, up to 500 characters
    notes        TEXT,                                  -- the tester's notes, up to 2000 characters
    dom_snapshot TEXT,                                  -- JSON value: the page's DOM when captured (at most max_dom_snapshot_bytes); not in lists
    viewport     TEXT,                                  -- JSON {width, height, devicePixelRatio?} of the captured tab; NULL when not sent
    metadata     TEXT,                                  -- JSON object of client facts (browser, zoom, …), at most 16 KiB; NULL when not sent
    captured_at  INTEGER NOT NULL                       -- upload time; also in the blob key
);
-- GET /api/v1/captures?projectId= lists a project's captures, newest first.
CREATE INDEX IF NOT EXISTS idx_captures_user_project_captured ON captures(user_id, project_id, captured_at);
-- GET /api/v1/captures without projectId lists all of a user's captures, newest first.
CREATE INDEX IF NOT EXISTS idx_captures_user_captured ON captures(user_id, captured_at);
-- Deleting a project deletes its captures (components/projects).
CREATE INDEX IF NOT EXISTS idx_captures_project ON captures(project_id);

-- Blobs whose rows are gone but whose bytes may still be in the blob store.
-- A capture's row and its blob cannot change in one transaction, so deleting
-- a capture (or a project, with its captures) deletes the rows and queues
-- their blob keys here in the same transaction; the blob is removed after the
-- commit and its entry deleted once the store confirms. An entry left behind
-- (store unreachable, process gone) is retried by the captures component on
-- later writes, so no row ever points at a missing blob and no blob is
-- forgotten.
CREATE TABLE IF NOT EXISTS capture_blob_deletions (
    blob_key  TEXT    PRIMARY KEY,                      -- the blob to remove (a captures.image_key whose row is deleted)
    queued_at INTEGER NOT NULL,                         -- when its row was deleted
    attempts  INTEGER NOT NULL DEFAULT 0                -- failed removals so far; the sweep tries entries with fewer first
);
-- The sweep takes the entries with the fewest attempts, oldest first.
CREATE INDEX IF NOT EXISTS idx_capture_blob_deletions_order ON capture_blob_deletions(attempts, queued_at);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (7, '0007_captures', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
