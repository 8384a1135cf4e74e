//! Attempting deliveries. Spin has no cron and no work after the response,
//! so deliveries are attempted by requests:
//!
//! - [`after_commit`]: a component that emitted an event attempts its new
//!   deliveries right after the commit, then sweeps the same team's due
//!   retries, at most [`MAX_ATTEMPTS_PER_REQUEST`] attempts in all, each
//!   bounded by `webhook_timeout` (so the emitting request is slower by at
//!   most that many timeouts when receivers hang). Sweeping only the
//!   emitting team's deliveries keeps a slow receiver from slowing other
//!   teams' requests; a team's retries therefore wait for its next event or
//!   for [`retry`].
//! - [`retry`]: `POST /api/webhooks/:id/deliveries/retry` makes the
//!   webhook's oldest undelivered deliveries due now and attempts them.
//!
//! Each attempt: claim (one statement; another process may have it), check
//! the URL against the current `webhook_allowed_hosts`, open the secret,
//! sign `"{t}.{payload}"` as Stripe does, POST, record the outcome.

use edge::ApiError;
use edge::db::Connection;

use crate::config::{self, Settings};
use crate::outbox::{self, Due};
use crate::send::{self, Attempt};
use crate::{hosts, secret};

/// Most attempts one emitting request makes.
pub const MAX_ATTEMPTS_PER_REQUEST: usize = 5;
/// Most deliveries one retry call attempts.
pub const RETRY_BATCH: i64 = 5;
/// Finished deliveries are kept this long (30 days), then pruned by sweeps.
pub const KEEP_MS: i64 = 30 * 86_400_000;
/// Sent as `User-Agent`.
pub const USER_AGENT: &str = concat!("BrowserCloud-Webhooks/", env!("CARGO_PKG_VERSION"));

/// After the transaction that enqueued `ids` committed (`ids` may be
/// empty: the team's due retries are still swept). Never fails the
/// caller's request: problems are logged with its request id.
pub fn after_commit(db: &Connection, team_id: &str, ids: &[String], request_id: &str) {
    if let Err(e) = attempt_new_and_due(db, team_id, ids, request_id) {
        edge::log(request_id, format!("webhooks: {}", describe(&e)));
    }
}

fn describe(e: &ApiError) -> String {
    match e {
        ApiError::Internal(detail) => detail.clone(),
        other => format!("{other:?}"),
    }
}

fn attempt_new_and_due(
    db: &Connection,
    team_id: &str,
    ids: &[String],
    request_id: &str,
) -> Result<(), ApiError> {
    let now = edge::time::now_ms();
    let mut due: Vec<Due> = Vec::new();
    for id in ids.iter().take(MAX_ATTEMPTS_PER_REQUEST) {
        due.extend(outbox::due_by_id(db, id, now)?);
    }
    let room = MAX_ATTEMPTS_PER_REQUEST - due.len();
    if room > 0 {
        let more = outbox::due_for_team(db, team_id, now, i64::try_from(room).unwrap_or(0) + 5)?;
        for d in more {
            if due.len() < MAX_ATTEMPTS_PER_REQUEST && !due.iter().any(|x| x.id == d.id) {
                due.push(d);
            }
        }
    }
    if due.is_empty() {
        return Ok(());
    }
    let settings = config::settings()?;
    let keys = config::keys()?;
    for d in &due {
        attempt(db, d, &settings, &keys, request_id)?;
    }
    outbox::prune(db, team_id, now - KEEP_MS)
}

/// Makes up to [`RETRY_BATCH`] of the webhook's undelivered deliveries due
/// now and attempts them; returns their ids.
pub fn retry(
    db: &Connection,
    team_id: &str,
    webhook_id: &str,
    request_id: &str,
) -> Result<Vec<String>, ApiError> {
    let now = edge::time::now_ms();
    let ids = outbox::make_due(db, team_id, webhook_id, now, RETRY_BATCH)?;
    if ids.is_empty() {
        return Ok(ids);
    }
    let settings = config::settings()?;
    let keys = config::keys()?;
    for id in &ids {
        if let Some(d) = outbox::due_by_id(db, id, now)? {
            attempt(db, &d, &settings, &keys, request_id)?;
        }
    }
    Ok(ids)
}

/// One attempt of one delivery (nothing when another process claimed it).
fn attempt(
    db: &Connection,
    due: &Due,
    s: &Settings,
    keys: &sealing::Keys,
    request_id: &str,
) -> Result<(), ApiError> {
    let now = edge::time::now_ms();
    let number = due.attempts + 1;
    let delay = config::retry_delay_ms(s.retry_base_ms, number);
    if !outbox::claim(db, due, now, now + s.timeout_ms + delay)? {
        return Ok(());
    }
    let outcome = match hosts::check_url(&due.url, &s.allowed) {
        Err(why) => failed(format!("the URL {why}")),
        Ok(url) => match secret::open(keys, &due.team_id, &due.webhook_id, &due.secret_sealed) {
            Err(e) => failed(format!(
                "the signing secret does not open ({}); was webhook_secret_key changed?",
                describe(&e)
            )),
            Ok(secret) => {
                let t = i64::try_from(edge::time::now_secs()).unwrap_or(i64::MAX);
                let signature =
                    webhook_signature::header(secret.as_bytes(), t, due.payload.as_bytes());
                let headers = [
                    ("content-type", "application/json".to_owned()),
                    ("user-agent", USER_AGENT.to_owned()),
                    ("webhook-id", due.event_id.clone()),
                    ("webhook-event", due.event.clone()),
                    ("webhook-delivery", due.id.clone()),
                    ("webhook-signature", signature),
                ];
                send::post(&url, &headers, due.payload.as_bytes(), s.timeout_ms)
            }
        },
    };
    let finished = edge::time::now_ms();
    outbox::record(
        db,
        &due.id,
        number,
        &outcome,
        finished,
        finished + delay,
        s.max_attempts,
    )?;
    edge::log(
        request_id,
        format!(
            "webhook delivery {} ({}) attempt {number}: {}",
            due.id,
            due.event,
            match (&outcome.error, outcome.status) {
                (None, Some(status)) => format!("delivered, HTTP {status}"),
                (Some(e), _) => e.clone(),
                (None, None) => "delivered".into(),
            }
        ),
    );
    Ok(())
}

fn failed(error: String) -> Attempt {
    Attempt {
        status: None,
        error: Some(error),
        duration_ms: 0,
    }
}
