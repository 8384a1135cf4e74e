-- Session sync (components/sync): versions of each profile's cookies and
-- localStorage. The blob (gzipped canonical JSON) is written first under a
-- content-addressed key; a version row makes it current in one transaction,
-- so a crash at any point leaves the previous version readable and whole.

CREATE TABLE IF NOT EXISTS session_versions (
    seq           INTEGER PRIMARY KEY AUTOINCREMENT,      -- order of versions; the highest of a profile is current
    profile_id    TEXT    NOT NULL REFERENCES profiles(id), -- whose session
    team_id       TEXT    NOT NULL REFERENCES teams(id),  -- the profile's team; every statement names it
    hash          TEXT    NOT NULL,                       -- SHA-256 hex of the canonical JSON: the ETag and If-Match value
    blob_key      TEXT    NOT NULL,                       -- sessions/{profileId}/{hash}.json.gz in the blob store
    size          INTEGER NOT NULL,                       -- bytes of the canonical JSON
    stored_size   INTEGER NOT NULL,                       -- bytes of the gzipped blob
    cookie_count  INTEGER NOT NULL,                       -- cookies in it (shown in the version list)
    storage_count INTEGER NOT NULL,                       -- localStorage entries in it
    user_id       TEXT    NOT NULL REFERENCES users(id),  -- who pushed or restored it
    client_id     TEXT,                                   -- X-Client-ID of the pushing client, when sent
    restored_from INTEGER,                                -- seq of the version a restore copied; NULL for a push
    created_at    INTEGER NOT NULL                        -- when it became current
);
-- The current version (highest seq) and the version list of a profile.
CREATE INDEX IF NOT EXISTS idx_session_versions_profile ON session_versions(profile_id, seq);
-- Whether a blob is still referenced before it is removed.
CREATE INDEX IF NOT EXISTS idx_session_versions_blob ON session_versions(blob_key);

-- Blobs that may be garbage: written but not (yet) made current, pruned
-- versions and deleted profiles' sessions. A push registers its blob here
-- before writing it and removes the entry in the transaction that makes it
-- current, so a crash in between leaves an entry; due entries whose blob no
-- version references are removed by later pushes.
CREATE TABLE IF NOT EXISTS session_blob_gc (
    blob_key   TEXT    PRIMARY KEY, -- the blob that may be garbage
    not_before INTEGER NOT NULL     -- when it may be removed (a write in flight pushes it into the future)
);
CREATE INDEX IF NOT EXISTS idx_session_blob_gc_due ON session_blob_gc(not_before);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (6, '0006_sync', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
