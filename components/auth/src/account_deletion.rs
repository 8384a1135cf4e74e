//! Deleting an account: refused while the user is the last owner of a team
//! that has other members, or while a team only they are in pays through an
//! active subscription; otherwise one transaction removes the teams only
//! they are in, with everything in them, their own extension data, keys,
//! sessions, locks and memberships. Blobs (sessions, captures) are queued for
//! the collectors that later writes run, so nothing is orphaned.
//!
//! The `users` row stays as a tombstone with no personal data (no email, no
//! name, a password nobody knows): what the user did in teams that go on
//! (profiles made, sessions pushed, invitations sent) still refers to it.

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection, Value};
use serde_json::json;

/// The user's teams: id, name, role, members, owners, and whether a paid
/// subscription is live (a Stripe status that still bills).
const SELECT_TEAMS: &str = "\
    SELECT m.team_id, t.name, m.role, \
        (SELECT COUNT(*) FROM team_members c WHERE c.team_id = m.team_id), \
        (SELECT COUNT(*) FROM team_members o WHERE o.team_id = m.team_id AND o.role = 'owner'), \
        EXISTS (SELECT 1 FROM team_billing b WHERE b.team_id = m.team_id AND b.plan != 'free' \
                AND b.status IN ('active', 'trialing', 'past_due', 'unpaid')) \
    FROM team_members m JOIN teams t ON t.id = m.team_id WHERE m.user_id = ?1";

/// Session blobs of a team about to go, for the collector. ?1 team, ?2 now.
const QUEUE_TEAM_BLOBS: &str = "\
    INSERT OR IGNORE INTO session_blob_gc (blob_key, not_before) \
    SELECT blob_key, ?2 FROM session_versions WHERE team_id = ?1";

/// A team only the user is in, and everything in it. ?1 team.
const DELETE_TEAM: &[&str] = &[
    "DELETE FROM session_versions WHERE team_id = ?1",
    "DELETE FROM profile_locks WHERE team_id = ?1",
    "DELETE FROM profile_tombstones WHERE team_id = ?1",
    "DELETE FROM profiles WHERE team_id = ?1",
    "DELETE FROM profile_group_details WHERE team_id = ?1",
    "DELETE FROM profile_groups WHERE team_id = ?1",
    "DELETE FROM proxies WHERE team_id = ?1",
    "DELETE FROM webhook_deliveries WHERE team_id = ?1",
    "DELETE FROM webhooks WHERE team_id = ?1",
    "DELETE FROM team_invitations WHERE team_id = ?1",
    "DELETE FROM team_billing WHERE team_id = ?1",
    "DELETE FROM idempotency_keys WHERE substr(scope, 1, length(?1) + 1) = ?1 || ':'",
    "DELETE FROM api_key_expiry WHERE key_id IN (SELECT id FROM api_keys WHERE team_id = ?1)",
    "DELETE FROM api_keys WHERE team_id = ?1",
    "DELETE FROM session_tokens WHERE team_id = ?1",
    "DELETE FROM audit_clients WHERE audit_id IN (SELECT id FROM audit_log WHERE team_id = ?1)",
    "DELETE FROM audit_log WHERE team_id = ?1",
    "DELETE FROM team_members WHERE team_id = ?1",
    "DELETE FROM teams WHERE id = ?1",
];

/// The user's capture images, for the collector. ?1 user, ?2 now.
const QUEUE_CAPTURE_BLOBS: &str = "\
    INSERT OR IGNORE INTO capture_blob_deletions (blob_key, queued_at) \
    SELECT image_key, ?2 FROM captures WHERE user_id = ?1";

/// The user's own data in every team and in the extension. ?1 user.
const DELETE_USER: &[&str] = &[
    "DELETE FROM captures WHERE user_id = ?1",
    "DELETE FROM flow_executions WHERE user_id = ?1",
    "DELETE FROM flows WHERE user_id = ?1",
    "DELETE FROM test_plans WHERE user_id = ?1",
    "DELETE FROM projects WHERE user_id = ?1",
    "DELETE FROM api_key_expiry WHERE key_id IN (SELECT id FROM api_keys WHERE user_id = ?1)",
    "DELETE FROM api_keys WHERE user_id = ?1",
    "DELETE FROM session_tokens WHERE user_id = ?1",
    // Launches of theirs in teams that go on are released.
    "UPDATE profile_locks SET client_id = NULL, user_id = NULL, acquired_at = NULL, \
        heartbeat_at = NULL, expires_at = NULL WHERE user_id = ?1",
    // A team they made but others own now names one of those owners.
    "UPDATE teams SET owner_id = (SELECT o.user_id FROM team_members o \
        WHERE o.team_id = teams.id AND o.role = 'owner' AND o.user_id != ?1 LIMIT 1) \
     WHERE owner_id = ?1 AND EXISTS (SELECT 1 FROM team_members o \
        WHERE o.team_id = teams.id AND o.role = 'owner' AND o.user_id != ?1)",
    "DELETE FROM team_members WHERE user_id = ?1",
];

/// The tombstone: no email (the address is free again), no name, a password
/// hash of random bytes. ?1 user, ?2 hash, ?3 now.
const ERASE_USER: &str = "\
    UPDATE users SET email = 'deleted-' || id || '@deleted.invalid', name = 'Deleted user', \
        password_hash = ?2, updated_at = ?3 WHERE id = ?1";

/// What a deletion removed.
pub struct Deleted {
    pub teams_deleted: Vec<String>,
    pub teams_left: Vec<String>,
}

/// Deletes the account of `user_id` (see the module's rules), audited in
/// every team the user leaves behind. `unusable_hash`: a password hash of
/// random bytes, for the tombstone.
pub fn delete_account(
    db: &Connection,
    user_id: &str,
    unusable_hash: &str,
    request_id: &str,
) -> Result<Deleted, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let teams = db::execute(
            db,
            "selecting the user's teams",
            SELECT_TEAMS,
            &[text(user_id)],
        )?;
        let (mut alone, mut shared) = (Vec::new(), Vec::new());
        for row in &teams.rows {
            let id = db::text(row, 0, "team_members.team_id")?;
            let name = db::text(row, 1, "teams.name")?;
            let role = db::text(row, 2, "team_members.role")?;
            let members = db::int(row, 3, "member count")?;
            let owners = db::int(row, 4, "owner count")?;
            let paying = db::int(row, 5, "live subscription")? != 0;
            if members <= 1 {
                if paying {
                    return Err(ApiError::conflict(
                        "subscription_active",
                        format!(
                            "Team {name:?} has an active subscription: cancel it in the billing portal first"
                        ),
                    ));
                }
                alone.push(id);
            } else {
                if role == "owner" && owners <= 1 {
                    return Err(ApiError::conflict(
                        "last_owner",
                        format!(
                            "You are the last owner of team {name:?}, which has other members: make one of them an owner or remove them first"
                        ),
                    ));
                }
                shared.push(id);
            }
        }
        for team in &alone {
            db::execute(
                db,
                "queueing a team's session blobs",
                QUEUE_TEAM_BLOBS,
                &[text(team), Value::Integer(now)],
            )?;
            for sql in DELETE_TEAM {
                db::execute(db, "deleting a team of the account", sql, &[text(team)])?;
            }
        }
        db::execute(
            db,
            "queueing the account's capture blobs",
            QUEUE_CAPTURE_BLOBS,
            &[text(user_id), Value::Integer(now)],
        )?;
        for sql in DELETE_USER {
            db::execute(db, "deleting the account's data", sql, &[text(user_id)])?;
        }
        db::execute(
            db,
            "erasing the user",
            ERASE_USER,
            &[text(user_id), text(unusable_hash), Value::Integer(now)],
        )?;
        for team in &shared {
            db::audit(
                db,
                &AuditEntry {
                    team_id: Some(team),
                    user_id: Some(user_id),
                    action: "user.delete",
                    target_type: "user",
                    target_id: user_id,
                    details: json!({ "teamsDeleted": alone.len() }),
                    request_id,
                },
            )?;
        }
        Ok(Deleted {
            teams_deleted: alone,
            teams_left: shared,
        })
    })
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}
