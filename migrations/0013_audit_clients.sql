-- 0013_audit_clients: where an audited request came from (the published
-- multilogin.io dashboard's audit page shows the IP address and user agent).
--
-- Applied on every start, so every statement is safe to run again. Depends
-- on 0001 (audit_log). Never edit this file once merged: change the schema
-- in a new, higher-numbered file. A table of its own rather than columns:
-- SQLite has no ADD COLUMN IF NOT EXISTS.

-- One row per audit entry written while serving a request whose client the
-- HTTP component knew; entries written by library components (the lock
-- provider) and before this migration have none.
CREATE TABLE IF NOT EXISTS audit_clients (
    audit_id   INTEGER PRIMARY KEY REFERENCES audit_log(id),  -- the entry
    ip_address TEXT    NOT NULL,                              -- the client's address as Spin saw it (spin-client-addr, without the port)
    user_agent TEXT                                           -- its User-Agent header, at most 256 characters; NULL when none
);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (13, '0013_audit_clients', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
