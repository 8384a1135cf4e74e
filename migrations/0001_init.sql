-- 0001_init: users, teams, memberships, API keys, sessions, audit log.
--
-- Applied on every start (`--sqlite @migrations/0001_init.sql`, by `spin up`
-- and by the runner), so every statement is safe to run again. Never edit
-- this file once merged: change the schema in a new, higher-numbered file.
-- Timestamps are milliseconds since the unix epoch (INTEGER), everywhere.
-- Ids are 32 lowercase hex characters (128 random bits) made by the app.

-- WAL: readers do not block the writer, and several processes (instances of
-- the same component) can share the file.
PRAGMA journal_mode=WAL;

-- Which migrations have been applied; each file records itself last.
CREATE TABLE IF NOT EXISTS schema_migrations (
    version    INTEGER PRIMARY KEY,   -- the file's number (0001 -> 1)
    name       TEXT    NOT NULL,      -- the file's name, without .sql
    applied_at INTEGER NOT NULL       -- first time it ran, ms since epoch
);

CREATE TABLE IF NOT EXISTS users (
    id                TEXT    PRIMARY KEY,                -- 128-bit random hex id
    email             TEXT    NOT NULL UNIQUE,            -- trimmed and lowercased by the app; one account per address
    password_hash     TEXT    NOT NULL,                   -- argon2id PHC string; the password is never stored
    name              TEXT    NOT NULL,                   -- display name, 1-100 characters
    subscription_tier TEXT    NOT NULL DEFAULT 'free',    -- seed 001's plan field, returned by /api/v1/info
    api_credits       INTEGER NOT NULL DEFAULT 100,       -- seed 001's AI credit balance, returned by /api/v1/info
    created_at        INTEGER NOT NULL,                   -- registration time
    updated_at        INTEGER NOT NULL,                   -- last change to this row
    last_login        INTEGER                             -- last successful POST /auth/login; NULL until then
);

CREATE TABLE IF NOT EXISTS teams (
    id         TEXT    PRIMARY KEY,                 -- 128-bit random hex id
    name       TEXT    NOT NULL,                    -- display name
    personal   INTEGER NOT NULL DEFAULT 0           -- 1 for the team every user gets at registration
               CHECK (personal IN (0, 1)),
    owner_id   TEXT    NOT NULL REFERENCES users(id), -- the user who created it (owner of a personal team)
    created_at INTEGER NOT NULL
);
-- One personal team per user.
CREATE UNIQUE INDEX IF NOT EXISTS idx_teams_personal_owner ON teams(owner_id) WHERE personal = 1;

CREATE TABLE IF NOT EXISTS team_members (
    team_id    TEXT    NOT NULL REFERENCES teams(id), -- the team
    user_id    TEXT    NOT NULL REFERENCES users(id), -- the member
    role       TEXT    NOT NULL                       -- what the member may do in the team
               CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    created_at INTEGER NOT NULL,                      -- when they joined
    PRIMARY KEY (team_id, user_id)                    -- one membership per user and team
);
-- "Which teams is this user in" (the primary key serves the other direction).
CREATE INDEX IF NOT EXISTS idx_team_members_user ON team_members(user_id);

CREATE TABLE IF NOT EXISTS api_keys (
    id         TEXT    PRIMARY KEY,                   -- 128-bit random hex id, used in DELETE /api/keys/:id
    user_id    TEXT    NOT NULL REFERENCES users(id), -- the owner; keys are listed and revoked per user
    team_id    TEXT    NOT NULL REFERENCES teams(id), -- the team the key acts for
    kind       TEXT    NOT NULL                       -- desktop (Bearer bcd_...) or extension (X-Api-Key bgx_...)
               CHECK (kind IN ('desktop', 'extension')),
    name       TEXT    NOT NULL,                      -- the owner's label for the key
    key_prefix TEXT    NOT NULL,                      -- first 8 characters (bgx_a74a), shown in lists
    last_four  TEXT    NOT NULL,                      -- last 4 characters, shown in lists
    key_hash   TEXT    NOT NULL UNIQUE,               -- hex SHA-256 of the key; the key itself is never stored
    scopes     TEXT    NOT NULL DEFAULT '["*"]',      -- JSON array of scopes ("*", "profiles:read", ...)
    created_at INTEGER NOT NULL,
    last_used  INTEGER,                               -- last authenticated request (updated at most once a minute)
    revoked_at INTEGER                                -- set by DELETE /api/keys/:id; a revoked key never authenticates again
);
-- GET /api/keys lists a user's keys, newest first.
CREATE INDEX IF NOT EXISTS idx_api_keys_user ON api_keys(user_id, created_at);

CREATE TABLE IF NOT EXISTS session_tokens (
    jti        TEXT    PRIMARY KEY,                   -- the JWT's jti claim; a token without a row is refused
    user_id    TEXT    NOT NULL REFERENCES users(id), -- the JWT's sub
    team_id    TEXT    NOT NULL REFERENCES teams(id), -- the JWT's tid (the personal team at login)
    created_at INTEGER NOT NULL,                      -- login time
    expires_at INTEGER NOT NULL,                      -- same instant as the JWT's exp (7 days after login)
    revoked_at INTEGER                                -- set by POST /auth/logout
);
-- Sessions of a user (revoke-all, cleanup of expired rows).
CREATE INDEX IF NOT EXISTS idx_session_tokens_user ON session_tokens(user_id, expires_at);

CREATE TABLE IF NOT EXISTS audit_log (
    id          INTEGER PRIMARY KEY AUTOINCREMENT, -- insertion order
    team_id     TEXT,                              -- team the action happened in (NULL if none)
    user_id     TEXT,                              -- who did it (NULL for the system)
    action      TEXT    NOT NULL,                  -- dotted verb: user.register, session.login, api_key.create, ...
    target_type TEXT,                              -- kind of object acted on: user, session, api_key, profile, ...
    target_id   TEXT,                              -- its id
    details     TEXT    NOT NULL DEFAULT '{}',     -- JSON object with action-specific facts (never secrets)
    request_id  TEXT,                              -- X-Request-Id of the request, to join with logs
    created_at  INTEGER NOT NULL
);
-- A team's audit trail, newest first; a user's actions.
CREATE INDEX IF NOT EXISTS idx_audit_log_team ON audit_log(team_id, created_at);
CREATE INDEX IF NOT EXISTS idx_audit_log_user ON audit_log(user_id, created_at);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (1, '0001_init', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
