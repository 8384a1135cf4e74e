-- 0004_teams: invitations to join a team (teams, team_members and audit_log
-- are in 0001_init).
--
-- Applied on every start, so every statement is safe to run again. Never edit
-- this file once merged: change the schema in a new, higher-numbered file.

CREATE TABLE IF NOT EXISTS team_invitations (
    id          TEXT    PRIMARY KEY,                   -- 128-bit random hex id
    team_id     TEXT    NOT NULL REFERENCES teams(id), -- the team the invitee joins
    email       TEXT    NOT NULL,                      -- trimmed, lowercased address; only the user with it may accept
    role        TEXT    NOT NULL                       -- the role the invitee gets on accepting
                CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
    token_hash  TEXT    NOT NULL UNIQUE,               -- hex SHA-256 of the token; the token is shown once and never stored
    invited_by  TEXT    NOT NULL REFERENCES users(id), -- the admin or owner who invited
    created_at  INTEGER NOT NULL,                      -- when the invitation was made
    expires_at  INTEGER NOT NULL,                      -- after this it cannot be accepted (variable invitation_ttl)
    accepted_at INTEGER,                               -- when it was accepted; NULL until then (single use)
    accepted_by TEXT    REFERENCES users(id)           -- who accepted it; NULL until then
);
-- A team's invitations, newest first.
CREATE INDEX IF NOT EXISTS idx_team_invitations_team ON team_invitations(team_id, created_at);

-- GET /api/audit: a team's entries by id (the cursor), and filtered by action.
CREATE INDEX IF NOT EXISTS idx_audit_log_team_id ON audit_log(team_id, id);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (4, '0004_teams', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
