-- 0009_idempotency: `Idempotency-Key` on the POST routes that create things
-- (crates/edge/src/idempotency.rs). The first request with a key claims it;
-- its successful response is stored and replayed to every later request with
-- the same key and the same method, path and body until the key expires.
--
-- Applied on every start, so every statement is safe to run again. Depends
-- on 0001 (schema_migrations). Never edit this file once merged: change the
-- schema in a new, higher-numbered file.

CREATE TABLE IF NOT EXISTS idempotency_keys (
    scope        TEXT    NOT NULL, -- whose key space: "<team id>:<user id>" of the caller (keys of different callers never meet)
    idem_key     TEXT    NOT NULL, -- the Idempotency-Key header as sent (1-255 printable ASCII characters)
    request_hash TEXT    NOT NULL, -- SHA-256 hex of the method, path, query and body of the first request: another body is 422
    claim        TEXT    NOT NULL, -- random id of the request holding the key; only it stores or frees the key
    status       INTEGER,          -- the stored response's status; NULL while the first request is still in flight
    content_type TEXT,             -- the stored response's Content-Type; NULL while in flight
    body         TEXT,             -- the stored response's body, sealed (crates/sealing, key from jwt_secret): it may carry a new API key or webhook secret; NULL while in flight
    locked_until INTEGER NOT NULL, -- while in flight: when the claim lapses (a request that died frees the key then)
    created_at   INTEGER NOT NULL, -- when the key was claimed (ms)
    expires_at   INTEGER NOT NULL, -- created_at + idempotency_ttl: after it the key is free again and the row is deleted
    PRIMARY KEY (scope, idem_key)
);
-- Deleting expired keys.
CREATE INDEX IF NOT EXISTS idx_idempotency_keys_expires ON idempotency_keys(expires_at);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (9, '0009_idempotency', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
