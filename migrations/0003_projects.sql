-- 0003_projects: the QA extension's projects (keyed by hostname), test plans,
-- flows and flow executions (seed 001), served by components/projects.
--
-- Applied on every start, after 0001 and 0002, so every statement is safe to
-- run again. Depends only on 0001 (users, schema_migrations). Never edit this
-- file once merged: change the schema in a new, higher-numbered file.
-- Timestamps are milliseconds since the unix epoch (the API shows seed 001's
-- unix seconds); ids are 32 lowercase hex characters made by the app; JSON is TEXT.
-- Captures (seed 001's `captures`) belong to the captures component and its
-- own migration; test plans only refer to capture ids.

CREATE TABLE IF NOT EXISTS projects (
    id               TEXT    PRIMARY KEY,                   -- 128-bit random hex id
    user_id          TEXT    NOT NULL REFERENCES users(id), -- the owner; every query is scoped to it
    name             TEXT    NOT NULL,                      -- display name, 1-200 characters
    hostname         TEXT    NOT NULL,                      -- normalised: lower case, IDNA ASCII (punycode), no scheme, port or path
    description      TEXT,                                  -- free text, up to 2000 characters; NULL when not given
    created_at       INTEGER NOT NULL,                      -- creation time
    updated_at       INTEGER NOT NULL,                      -- last change to name, hostname or description
    last_accessed_at INTEGER NOT NULL                       -- last POST /by-hostname or GET of this project (the extension visiting the site)
);
-- One project per user and hostname: POST /api/v1/projects/by-hostname relies
-- on it (INSERT ... ON CONFLICT DO NOTHING) to be safe when requests race.
CREATE UNIQUE INDEX IF NOT EXISTS idx_projects_user_hostname ON projects(user_id, hostname);
-- GET /api/v1/projects lists a user's projects, newest first.
CREATE INDEX IF NOT EXISTS idx_projects_user_created ON projects(user_id, created_at);

CREATE TABLE IF NOT EXISTS test_plans (
    id          TEXT    PRIMARY KEY,                        -- 128-bit random hex id
    project_id  TEXT    NOT NULL REFERENCES projects(id),   -- the project it tests; deleted with it (by the app)
    user_id     TEXT    NOT NULL REFERENCES users(id),      -- the owner (same as the project's)
    name        TEXT    NOT NULL,                           -- display name, 1-200 characters
    description TEXT,                                       -- free text, up to 2000 characters; NULL when not given
    capture_ids TEXT    NOT NULL DEFAULT '[]',              -- JSON array of capture ids the plan was written from
    test_cases  TEXT    NOT NULL,                           -- JSON array of {id, title, steps: [string], expected}, validated by the app
    created_at  INTEGER NOT NULL,                           -- creation time
    updated_at  INTEGER NOT NULL,                           -- last change
    last_run_at INTEGER                                     -- seed 001's column, kept for the extension; NULL until a run is recorded
);
-- GET /api/v1/test-plans?projectId= lists a project's plans, newest first.
CREATE INDEX IF NOT EXISTS idx_test_plans_project ON test_plans(project_id, created_at);
-- GET /api/v1/test-plans without projectId lists all of a user's plans.
CREATE INDEX IF NOT EXISTS idx_test_plans_user ON test_plans(user_id, created_at);

CREATE TABLE IF NOT EXISTS flows (
    id                    TEXT    PRIMARY KEY,                  -- 128-bit random hex id
    user_id               TEXT    NOT NULL REFERENCES users(id), -- the owner; every query is scoped to it
    name                  TEXT    NOT NULL,                     -- display name, 1-200 characters
    description           TEXT,                                 -- free text, up to 2000 characters
    base_url              TEXT    NOT NULL,                     -- http(s) URL of the site the flow runs on
    start_url             TEXT,                                 -- http(s) URL the flow starts at; NULL = base_url
    goal                  TEXT,                                 -- what the flow achieves, for the AI and people
    steps                 TEXT    NOT NULL DEFAULT '[]',        -- JSON array of step objects; a change bumps version
    selectors             TEXT,                                 -- JSON value: selectors the steps use
    dom_snapshot          TEXT,                                 -- JSON value: the DOM the flow was discovered on (an HTML string or a tree)
    status                TEXT    NOT NULL DEFAULT 'draft'      -- lifecycle of the flow
                          CHECK (status IN ('draft', 'active', 'archived')),
    version               INTEGER NOT NULL DEFAULT 1,           -- starts at 1, +1 whenever steps change; executions record it
    success_rate          REAL    NOT NULL DEFAULT 0,           -- successful_executions / total_executions, 0.0-1.0 (0 with none)
    total_executions      INTEGER NOT NULL DEFAULT 0,           -- finished executions (success or failed)
    successful_executions INTEGER NOT NULL DEFAULT 0,           -- finished with status success; success_rate is derived from it
    created_at            INTEGER NOT NULL,                     -- creation time
    updated_at            INTEGER NOT NULL                      -- last change (execution statistics included)
);
-- GET /api/v1/flows lists a user's flows, newest first.
CREATE INDEX IF NOT EXISTS idx_flows_user_created ON flows(user_id, created_at);

CREATE TABLE IF NOT EXISTS flow_executions (
    id              TEXT    PRIMARY KEY,                  -- 128-bit random hex id
    flow_id         TEXT    NOT NULL REFERENCES flows(id), -- the flow run; deleted with it (by the app)
    flow_version    INTEGER NOT NULL,                     -- flows.version when the run started
    user_id         TEXT    NOT NULL REFERENCES users(id), -- the owner (same as the flow's)
    status          TEXT    NOT NULL DEFAULT 'running'    -- running until finished once, then success or failed
                    CHECK (status IN ('running', 'success', 'failed')),
    started_at      INTEGER NOT NULL,                     -- POST /executions time
    completed_at    INTEGER,                              -- finish time; NULL while running
    duration_ms     INTEGER,                              -- run time reported by the client (or completed_at - started_at)
    steps_completed INTEGER NOT NULL DEFAULT 0,           -- steps that ran successfully
    steps_total     INTEGER,                              -- steps in the flow version run (client may override at start)
    error_message   TEXT,                                 -- why it failed; NULL on success
    execution_log   TEXT,                                 -- JSON value (string or array) sent at finish, size-limited
    screenshot_keys TEXT    NOT NULL DEFAULT '[]'         -- JSON array of blob keys of screenshots taken during the run
);
-- GET /api/v1/flows/:id/executions lists a flow's runs, newest first.
CREATE INDEX IF NOT EXISTS idx_flow_executions_flow ON flow_executions(flow_id, started_at);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (3, '0003_projects', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
