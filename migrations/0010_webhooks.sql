-- 0010_webhooks: outbound webhooks (crates/webhooks; managed under
-- /api/webhooks by the teams component) and their delivery outbox. A
-- component that emits an event (profiles, sync, teams) inserts one delivery
-- per subscribed webhook in the transaction of the state change, attempts it
-- right after the commit, and later requests retry what is due.
--
-- Applied on every start, so every statement is safe to run again. Depends
-- on 0001 (teams, users, schema_migrations). Never edit this file once
-- merged: change the schema in a new, higher-numbered file.

CREATE TABLE IF NOT EXISTS webhooks (
    id            TEXT    PRIMARY KEY,                  -- 32 hex characters
    team_id       TEXT    NOT NULL REFERENCES teams(id), -- whose events it receives; every statement names it
    url           TEXT    NOT NULL,                     -- where deliveries are POSTed (checked against webhook_allowed_hosts)
    events        TEXT    NOT NULL,                     -- JSON array of the event names it subscribes to
    description   TEXT    NOT NULL DEFAULT '',          -- what it is for, free text
    active        INTEGER NOT NULL DEFAULT 1            -- 0: nothing is enqueued for it and its pending deliveries wait
                  CHECK (active IN (0, 1)),
    secret_sealed TEXT    NOT NULL,                     -- the whsec_… signing secret, sealed (XChaCha20-Poly1305, crates/sealing); shown once
    secret_last4  TEXT    NOT NULL,                     -- its last four characters, to tell secrets apart
    created_by    TEXT    REFERENCES users(id),         -- who created it
    created_at    INTEGER NOT NULL,                     -- when it was created
    updated_at    INTEGER NOT NULL                      -- when its URL, events, state or secret last changed
);
-- A team's webhooks, and the ones an event goes to.
CREATE INDEX IF NOT EXISTS idx_webhooks_team ON webhooks(team_id, created_at);

-- The outbox: one row per (event, webhook), from enqueue to its outcome.
CREATE TABLE IF NOT EXISTS webhook_deliveries (
    id               TEXT    PRIMARY KEY,                     -- 32 hex characters
    webhook_id       TEXT    NOT NULL REFERENCES webhooks(id), -- where it goes (deleted with the webhook)
    team_id          TEXT    NOT NULL REFERENCES teams(id),   -- the webhook's team; every statement names it
    event_id         TEXT    NOT NULL,                        -- the event's id (Webhook-Id, the same in every delivery of it)
    event            TEXT    NOT NULL,                        -- the event name (Webhook-Event)
    payload          TEXT    NOT NULL,                        -- the JSON body, exactly as signed and sent
    status           TEXT    NOT NULL                         -- pending (to be attempted at next_attempt_at), delivered, failed (gave up)
                     CHECK (status IN ('pending', 'delivered', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,              -- attempts started so far (a claim counts one before sending)
    next_attempt_at  INTEGER,                                 -- when it is due (ms); NULL once delivered or failed
    last_attempt_at  INTEGER,                                 -- when the last attempt started
    last_status_code INTEGER,                                 -- the receiver's HTTP status of the last attempt; NULL when none came
    last_error       TEXT,                                    -- why the last attempt failed (status, timeout, refused host); NULL on success
    last_duration_ms INTEGER,                                 -- how long the last attempt took
    delivered_at     INTEGER,                                 -- when a 2xx came back
    created_at       INTEGER NOT NULL                         -- when the event was enqueued
);
-- Due deliveries of a team (the opportunistic sweep).
CREATE INDEX IF NOT EXISTS idx_webhook_deliveries_due ON webhook_deliveries(team_id, status, next_attempt_at);
-- A webhook's deliveries, newest first.
CREATE INDEX IF NOT EXISTS idx_webhook_deliveries_webhook ON webhook_deliveries(webhook_id, created_at);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (10, '0010_webhooks', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
