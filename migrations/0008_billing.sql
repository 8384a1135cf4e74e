-- 0008_billing: each team's plan and Stripe subscription, and the Stripe
-- events already processed (components/billing; the plan's limits are in
-- crates/plans and read by profiles, teams and identity).
--
-- Applied on every start, so every statement is safe to run again. Depends
-- on 0001 (teams, schema_migrations). Never edit this file once merged:
-- change the schema in a new, higher-numbered file.

-- A team without a row is on the free plan and has no subscription.
CREATE TABLE IF NOT EXISTS team_billing (
    team_id                TEXT    PRIMARY KEY REFERENCES teams(id),  -- the team (a subscription's metadata.team_id)
    plan                   TEXT    NOT NULL DEFAULT 'free'            -- the plan in force, whose limits apply (free when the subscription is not active)
                           CHECK (plan IN ('free', 'pro', 'team')),
    status                 TEXT    NOT NULL,                          -- the Stripe subscription's status (active, trialing, past_due, canceled, ...)
    stripe_customer_id     TEXT,                                      -- cus_…: the Stripe customer paying
    stripe_subscription_id TEXT,                                      -- sub_…: the subscription the plan comes from; a deletion of another one is ignored
    stripe_price_id        TEXT,                                      -- price_…: the price that mapped to the plan (variables stripe_price_pro / stripe_price_team)
    current_period_end     INTEGER,                                   -- end of the paid period (ms); NULL when unknown
    cancel_at_period_end   INTEGER NOT NULL DEFAULT 0                 -- 1 when the subscription ends with the current period
                           CHECK (cancel_at_period_end IN (0, 1)),
    last_event_created     INTEGER NOT NULL,                          -- `created` (unix seconds) of the last event applied; older events arriving late are not applied over it
    updated_at             INTEGER NOT NULL                           -- when the row last changed
);

-- Every Stripe event that passed signature verification, applied or not:
-- a redelivery of the same event id is answered without applying it again.
CREATE TABLE IF NOT EXISTS stripe_events (
    id          TEXT    PRIMARY KEY,  -- the event's id (evt_…)
    type        TEXT    NOT NULL,     -- the event's type (customer.subscription.updated, ...)
    team_id     TEXT,                 -- the team it was about (metadata.team_id); NULL when none
    outcome     TEXT    NOT NULL      -- applied, or ignored (reason in `reason`)
                CHECK (outcome IN ('applied', 'ignored')),
    reason      TEXT,                 -- why it was ignored (unhandled_event_type, unknown_team, stale_event, ...); NULL when applied
    received_at INTEGER NOT NULL      -- when it was first received (ms); rows older than 30 days are deleted
);
-- Pruning old events.
CREATE INDEX IF NOT EXISTS idx_stripe_events_received ON stripe_events(received_at);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (8, '0008_billing', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
