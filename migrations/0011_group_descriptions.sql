-- 0011_group_descriptions: a free-text description of a profile group (the
-- published multilogin.io dashboard shows and edits it; components/profiles).
--
-- Applied on every start, so every statement is safe to run again. Depends
-- on 0002 (profile_groups). Never edit this file once merged: change the
-- schema in a new, higher-numbered file. A table of its own rather than a
-- column: SQLite has no ADD COLUMN IF NOT EXISTS.

-- One row per group that has a description; none when it has none. Deleted
-- in the same transaction as its group.
CREATE TABLE IF NOT EXISTS profile_group_details (
    group_id    TEXT PRIMARY KEY REFERENCES profile_groups(id),  -- the group described
    team_id     TEXT NOT NULL,                                   -- the group's team; every query is scoped by it
    description TEXT NOT NULL                                    -- what the group is for, 1 to 200 characters
);

INSERT OR IGNORE INTO schema_migrations (version, name, applied_at)
VALUES (11, '0011_group_descriptions', CAST(strftime('%s', 'now') AS INTEGER) * 1000);
