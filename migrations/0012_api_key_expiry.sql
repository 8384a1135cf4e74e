-- 0012_api_key_expiry: API keys that expire (POST /api/keys and
-- /api/v1/users/api-keys take expiresAt; components/identity refuses a key
-- past it as expired).
--
-- Applied on every start, so every statement is safe to run again. Depends
-- on 0001 (api_keys). Never edit this file once merged: change the schema in
-- a new, higher-numbered file. A table of its own rather than a column:
-- SQLite has no ADD COLUMN IF NOT EXISTS.

-- One row per key that expires; a key without one never expires.
CREATE TABLE IF NOT EXISTS api_key_expiry (
    key_id     TEXT    PRIMARY KEY REFERENCES api_keys(id),  -- the key
    expires_at INTEGER NOT NULL                              -- when it stops authenticating (ms since the epoch)
);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (12, '0012_api_key_expiry', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
