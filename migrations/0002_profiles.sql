-- 0002_profiles: browser profiles, their groups, proxies, launch locks and
-- tombstones of deleted profiles (desktop issue: profiles, fingerprints,
-- proxies and the launch lock).
--
-- Applied on every start after 0001_init.sql, so every statement is safe to
-- run again. Never edit this file once merged: change the schema in a new,
-- higher-numbered file. Conventions as in 0001: timestamps are INTEGER ms
-- since the unix epoch, ids 32 lowercase hex characters made by the app,
-- JSON is TEXT. Every row belongs to one team and every query names it.

CREATE TABLE IF NOT EXISTS profile_groups (
    id          TEXT    PRIMARY KEY,                   -- 128-bit random hex id, used in /api/groups/:id
    team_id     TEXT    NOT NULL REFERENCES teams(id), -- the owning team; other teams get 404
    name        TEXT    NOT NULL,                      -- display name, 1-100 characters, unique per team (any case)
    color       TEXT,                                  -- optional #rrggbb shown by the desktop client
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL                       -- last rename or recolour
);
-- One group of a name per team (case-insensitive), and the team's groups by name.
CREATE UNIQUE INDEX IF NOT EXISTS idx_profile_groups_team_name ON profile_groups(team_id, name COLLATE NOCASE);

CREATE TABLE IF NOT EXISTS proxies (
    id          TEXT    PRIMARY KEY,                   -- 128-bit random hex id, used in /api/proxies/:id and profiles.proxy_id
    team_id     TEXT    NOT NULL REFERENCES teams(id), -- the owning team; other teams get 404
    name        TEXT    NOT NULL,                      -- display name, 1-100 characters
    scheme      TEXT    NOT NULL                       -- protocol spoken to the proxy
                CHECK (scheme IN ('http', 'https', 'socks4', 'socks5')),
    host        TEXT    NOT NULL,                      -- lowercase hostname, IPv4 or bracket-less IPv6 address
    port        INTEGER NOT NULL                       -- TCP port
                CHECK (port BETWEEN 1 AND 65535),
    credentials TEXT,                                  -- username and password sealed with XChaCha20-Poly1305 (key id:nonce:ciphertext, base64url); NULL without credentials
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL                       -- last change of any field
);
-- GET /api/proxies lists a team's proxies by creation.
CREATE INDEX IF NOT EXISTS idx_proxies_team ON proxies(team_id, created_at);

CREATE TABLE IF NOT EXISTS profiles (
    id                TEXT    PRIMARY KEY,                   -- 128-bit random hex id, used in /api/profiles/:id
    team_id           TEXT    NOT NULL REFERENCES teams(id), -- the owning team; other teams get 404
    owner_id          TEXT    NOT NULL REFERENCES users(id), -- the user who created it
    name              TEXT    NOT NULL,                      -- display name, 1-100 characters
    group_id          TEXT    REFERENCES profile_groups(id), -- optional group of the same team; NULL when ungrouped
    tags              TEXT    NOT NULL DEFAULT '[]',         -- JSON array of distinct tags (searched with json_each)
    notes             TEXT    NOT NULL DEFAULT '',           -- free text, at most 1000 characters
    template_id       TEXT    NOT NULL,                      -- fingerprint template the fingerprint was generated from
    fingerprint_seed  TEXT    NOT NULL,                      -- seed of the generation: the same template and seed give the same fingerprint
    fingerprint       TEXT    NOT NULL,                      -- JSON of the generated fingerprint (with any timezone/language override); kept, not regenerated
    proxy_id          TEXT    REFERENCES proxies(id),        -- the team proxy this profile uses; NULL when none or its own
    proxy_scheme      TEXT                                   -- the profile's own proxy (instead of proxy_id): protocol
                      CHECK (proxy_scheme IS NULL OR proxy_scheme IN ('http', 'https', 'socks4', 'socks5')),
    proxy_host        TEXT,                                  -- own proxy: host
    proxy_port        INTEGER                                -- own proxy: port
                      CHECK (proxy_port IS NULL OR proxy_port BETWEEN 1 AND 65535),
    proxy_credentials TEXT,                                  -- own proxy: sealed username and password, as proxies.credentials
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,                      -- last change of the profile itself (updated_since and the cursor use it)
    last_active       INTEGER NOT NULL,                      -- creation, then each launch (orderBy=last_active)
    launch_count      INTEGER NOT NULL DEFAULT 0             -- successful launches
);
-- The list's orders (each with id as the tie-breaker of the keyset cursor) and filters.
CREATE INDEX IF NOT EXISTS idx_profiles_team_last_active ON profiles(team_id, last_active, id);
CREATE INDEX IF NOT EXISTS idx_profiles_team_created ON profiles(team_id, created_at, id);
CREATE INDEX IF NOT EXISTS idx_profiles_team_updated ON profiles(team_id, updated_at, id);
CREATE INDEX IF NOT EXISTS idx_profiles_team_name ON profiles(team_id, name COLLATE NOCASE, id);
CREATE INDEX IF NOT EXISTS idx_profiles_team_group ON profiles(team_id, group_id);
CREATE INDEX IF NOT EXISTS idx_profiles_proxy ON profiles(proxy_id);

CREATE TABLE IF NOT EXISTS profile_locks (
    profile_id   TEXT    PRIMARY KEY REFERENCES profiles(id), -- the locked profile; row made by its first launch, deleted with it
    team_id      TEXT    NOT NULL REFERENCES teams(id),       -- the profile's team; every lock statement names it
    client_id    TEXT,                                        -- X-Client-ID of the holder; NULL when released
    user_id      TEXT    REFERENCES users(id),                -- the user who launched; NULL when released
    token        INTEGER NOT NULL DEFAULT 0,                  -- fencing token: +1 for every new holder, never reset
    acquired_at  INTEGER,                                     -- when the current holder got the lock
    heartbeat_at INTEGER,                                     -- the holder's last acquire or heartbeat
    expires_at   INTEGER                                      -- heartbeat_at + lock_ttl: stale from then on
);
-- GET /api/locks: a team's live locks.
CREATE INDEX IF NOT EXISTS idx_profile_locks_team ON profile_locks(team_id, expires_at);

CREATE TABLE IF NOT EXISTS profile_tombstones (
    profile_id TEXT    PRIMARY KEY,                   -- id of a deleted profile
    team_id    TEXT    NOT NULL REFERENCES teams(id), -- its team
    deleted_at INTEGER NOT NULL                       -- when; GET /api/profiles?updated_since= reports ids deleted after it
);
CREATE INDEX IF NOT EXISTS idx_profile_tombstones_team ON profile_tombstones(team_id, deleted_at);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (2, '0002_profiles', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
