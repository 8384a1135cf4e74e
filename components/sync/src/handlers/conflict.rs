//! A push refused as stale (412: `If-Match` is not the current hash) is a
//! sync conflict: the webhook event `sync.conflict` is enqueued in its own
//! transaction (nothing else changed) and attempted at once.

use edge::{ApiError, db};
use platform_bindings::Principal;
use serde_json::json;
use sessions::rules::Preconditions;
use webhooks::Event;

/// Announces `e` when it is a 412, and hands it back.
pub(crate) fn announce(
    db: &db::Connection,
    caller: &Principal,
    profile_id: &str,
    client_id: Option<&str>,
    pre: &Preconditions,
    e: ApiError,
    request_id: &str,
) -> ApiError {
    let ApiError::PreconditionFailed { current, .. } = &e else {
        return e;
    };
    let data = json!({
        "profileId": profile_id,
        "userId": caller.user_id,
        "clientId": client_id,
        "ifMatch": pre.if_match,
        "currentHash": current,
    });
    match db::transaction(db, |db| {
        webhooks::outbox::enqueue(db, &caller.team_id, Event::SyncConflict, data)
    }) {
        Ok(ids) => webhooks::deliver::after_commit(db, &caller.team_id, &ids, request_id),
        Err(failure) => edge::log(
            request_id,
            format!("webhooks: enqueueing sync.conflict: {failure:?}"),
        ),
    }
    e
}
