//! What a launch and a release leave behind, written in the lock change's own
//! transaction: the audit entry and the outbox rows of the team's webhooks.
//! A crash can then lose neither half: the lock is taken (or given up) with
//! its entry and its events, or not at all.

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection};
use serde_json::json;
use webhooks::Event;

use crate::locks::{Actor, Lease};

/// `profile.launch` and `profile.launched` (+ `lock.taken_over` when a
/// stale holder was replaced); returns the deliveries to attempt.
pub fn launched(db: &Connection, actor: &Actor, lease: &Lease) -> Result<Vec<String>, ApiError> {
    let id = lease.profile_id.as_str();
    db::audit(
        db,
        &AuditEntry {
            team_id: Some(&actor.team_id),
            user_id: Some(&actor.user_id),
            action: "profile.launch",
            target_type: "profile",
            target_id: id,
            details: json!({ "clientId": lease.client_id, "token": lease.token, "renewed": lease.renewed }),
            request_id: &actor.request_id,
        },
    )?;
    let mut deliveries = webhooks::outbox::enqueue(
        db,
        &actor.team_id,
        Event::ProfileLaunched,
        json!({
            "profileId": id,
            "clientId": lease.client_id,
            "userId": actor.user_id,
            "acquiredAt": lease.acquired_at,
            "expiresAt": lease.expires_at,
            "renewed": lease.renewed,
        }),
    )?;
    if let Some(previous) = &lease.replaced {
        deliveries.extend(webhooks::outbox::enqueue(
            db,
            &actor.team_id,
            Event::LockTakenOver,
            json!({
                "profileId": id,
                "clientId": lease.client_id,
                "userId": actor.user_id,
                "previous": {
                    "clientId": previous.client_id,
                    "userId": previous.user_id,
                    "since": previous.since,
                    "heartbeatAt": previous.heartbeat_at,
                    "expiredAt": previous.expires_at,
                },
            }),
        )?);
    }
    Ok(deliveries)
}

/// `profile.release` and `profile.released`; returns the deliveries.
pub fn released(
    db: &Connection,
    actor: &Actor,
    profile_id: &str,
    client_id: &str,
    token: i64,
) -> Result<Vec<String>, ApiError> {
    db::audit(
        db,
        &AuditEntry {
            team_id: Some(&actor.team_id),
            user_id: Some(&actor.user_id),
            action: "profile.release",
            target_type: "profile",
            target_id: profile_id,
            details: json!({ "clientId": client_id, "token": token }),
            request_id: &actor.request_id,
        },
    )?;
    webhooks::outbox::enqueue(
        db,
        &actor.team_id,
        Event::ProfileReleased,
        json!({ "profileId": profile_id, "clientId": client_id, "userId": actor.user_id }),
    )
}
