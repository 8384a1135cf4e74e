//! The outbox, `webhook_deliveries` (migrations/0010_webhooks.sql): one row
//! per (event, webhook), written by [`enqueue`] inside the transaction of the
//! state change that emits the event, then moved through
//! `pending -> delivered | failed` by single conditional statements, so any
//! number of processes may deliver at once:
//!
//! - [`claim`] counts an attempt and pushes `next_attempt_at` past the
//!   attempt's deadline plus the backoff, only if nobody claimed it since it
//!   was read (`attempts` unchanged): exactly one process sends each attempt,
//!   and one that dies mid-attempt leaves the delivery due again later;
//! - [`record`] writes the outcome of that attempt (only while `attempts` is
//!   still the claimed one): `delivered`, or `pending` again at the next
//!   backoff step, or `failed` once `webhook_max_attempts` are spent.

use edge::ApiError;
use edge::db::{self, Connection, RowResult, Value};
use serde_json::{Value as Json, json};

use crate::events::{self, Event};
use crate::send::Attempt;

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// Enqueues `event` for every active webhook of the team subscribed to it;
/// call it inside the state change's transaction. Returns the deliveries'
/// ids, to attempt after the commit ([`crate::deliver::after_commit`]).
pub fn enqueue(
    db: &Connection,
    team_id: &str,
    event: Event,
    data: Json,
) -> Result<Vec<String>, ApiError> {
    let hooks = db::execute(
        db,
        "selecting subscribed webhooks",
        "SELECT w.id FROM webhooks w WHERE w.team_id = ? AND w.active = 1 \
         AND EXISTS (SELECT 1 FROM json_each(w.events) e WHERE e.value = ?) ORDER BY w.created_at",
        &[text(team_id), text(event.name())],
    )?;
    if hooks.rows.is_empty() {
        return Ok(Vec::new());
    }
    let now = edge::time::now_ms();
    let event_id = edge::ids::new_id()?;
    let payload = events::envelope(&event_id, event, team_id, now, data).to_string();
    let mut ids = Vec::with_capacity(hooks.rows.len());
    for row in &hooks.rows {
        let webhook_id = db::text(row, 0, "webhooks.id")?;
        let id = edge::ids::new_id()?;
        db::execute(
            db,
            "enqueueing webhook delivery",
            "INSERT INTO webhook_deliveries (id, webhook_id, team_id, event_id, event, payload, status, \
             attempts, next_attempt_at, created_at) VALUES (?, ?, ?, ?, ?, ?, 'pending', 0, ?, ?)",
            &[
                text(&id),
                text(&webhook_id),
                text(team_id),
                text(&event_id),
                text(event.name()),
                text(&payload),
                Value::Integer(now),
                Value::Integer(now),
            ],
        )?;
        ids.push(id);
    }
    Ok(ids)
}

/// A delivery ready to be attempted, with what sending it needs.
#[derive(Debug, Clone)]
pub struct Due {
    pub id: String,
    pub webhook_id: String,
    pub team_id: String,
    pub event_id: String,
    pub event: String,
    pub payload: String,
    /// Attempts so far (the claim checks it is still this).
    pub attempts: i64,
    pub url: String,
    pub secret_sealed: String,
}

impl TryFrom<&RowResult> for Due {
    type Error = ApiError;

    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "webhook_deliveries.id")?,
            webhook_id: db::text(row, 1, "webhook_deliveries.webhook_id")?,
            team_id: db::text(row, 2, "webhook_deliveries.team_id")?,
            event_id: db::text(row, 3, "webhook_deliveries.event_id")?,
            event: db::text(row, 4, "webhook_deliveries.event")?,
            payload: db::text(row, 5, "webhook_deliveries.payload")?,
            attempts: db::int(row, 6, "webhook_deliveries.attempts")?,
            url: db::text(row, 7, "webhooks.url")?,
            secret_sealed: db::text(row, 8, "webhooks.secret_sealed")?,
        })
    }
}

const DUE_HEAD: &str = "\
    SELECT d.id, d.webhook_id, d.team_id, d.event_id, d.event, d.payload, d.attempts, w.url, w.secret_sealed \
    FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id AND w.team_id = d.team_id \
    WHERE d.status = 'pending' AND w.active = 1 AND d.next_attempt_at <= ?";

/// The pending delivery `id`, if it is due.
pub fn due_by_id(db: &Connection, id: &str, now: i64) -> Result<Option<Due>, ApiError> {
    db::first(
        db,
        "selecting webhook delivery",
        &format!("{DUE_HEAD} AND d.id = ?"),
        &[Value::Integer(now), text(id)],
    )
}

/// Up to `limit` of the team's due deliveries, most overdue first.
pub fn due_for_team(
    db: &Connection,
    team_id: &str,
    now: i64,
    limit: i64,
) -> Result<Vec<Due>, ApiError> {
    db::rows(
        db,
        "selecting due webhook deliveries",
        &format!("{DUE_HEAD} AND d.team_id = ? ORDER BY d.next_attempt_at, d.rowid LIMIT ?"),
        &[Value::Integer(now), text(team_id), Value::Integer(limit)],
    )
}

/// Makes up to `limit` of the webhook's undelivered deliveries (pending, or
/// failed for good) due now, oldest first; returns their ids. A failed one
/// gets one more attempt.
pub fn make_due(
    db: &Connection,
    team_id: &str,
    webhook_id: &str,
    now: i64,
    limit: i64,
) -> Result<Vec<String>, ApiError> {
    let result = db::execute(
        db,
        "making webhook deliveries due",
        "UPDATE webhook_deliveries SET status = 'pending', next_attempt_at = ? WHERE id IN \
         (SELECT id FROM webhook_deliveries WHERE webhook_id = ? AND team_id = ? \
          AND status IN ('pending', 'failed') ORDER BY rowid LIMIT ?) RETURNING id",
        &[
            Value::Integer(now),
            text(webhook_id),
            text(team_id),
            Value::Integer(limit),
        ],
    )?;
    result
        .rows
        .iter()
        .map(|r| db::text(r, 0, "webhook_deliveries.id"))
        .collect()
}

/// Claims the next attempt of `due` (see the module docs); `false` when
/// another process claimed it first. `lease_until` is when it is due again
/// should this attempt never be recorded.
pub fn claim(db: &Connection, due: &Due, now: i64, lease_until: i64) -> Result<bool, ApiError> {
    let result = db::execute(
        db,
        "claiming webhook delivery",
        "UPDATE webhook_deliveries SET attempts = attempts + 1, last_attempt_at = ?2, next_attempt_at = ?3 \
         WHERE id = ?1 AND status = 'pending' AND attempts = ?4 AND next_attempt_at <= ?2 RETURNING attempts",
        &[
            text(&due.id),
            Value::Integer(now),
            Value::Integer(lease_until),
            Value::Integer(due.attempts),
        ],
    )?;
    Ok(!result.rows.is_empty())
}

/// Records the outcome of attempt number `attempt` (the claimed one).
/// A failure is due again at `retry_at`, or `failed` once `attempt` reached
/// `max_attempts`.
pub fn record(
    db: &Connection,
    id: &str,
    attempt: i64,
    outcome: &Attempt,
    now: i64,
    retry_at: i64,
    max_attempts: i64,
) -> Result<(), ApiError> {
    let status = outcome
        .status
        .map_or(Value::Null, |s| Value::Integer(i64::from(s)));
    if outcome.succeeded() {
        db::execute(
            db,
            "recording webhook delivery",
            "UPDATE webhook_deliveries SET status = 'delivered', next_attempt_at = NULL, last_status_code = ?, \
             last_error = NULL, last_duration_ms = ?, delivered_at = ? \
             WHERE id = ? AND attempts = ? AND status = 'pending'",
            &[
                status,
                Value::Integer(outcome.duration_ms),
                Value::Integer(now),
                text(id),
                Value::Integer(attempt),
            ],
        )?;
    } else {
        db::execute(
            db,
            "recording webhook delivery failure",
            "UPDATE webhook_deliveries SET \
             status = CASE WHEN attempts >= ?1 THEN 'failed' ELSE 'pending' END, \
             next_attempt_at = CASE WHEN attempts >= ?1 THEN NULL ELSE ?2 END, \
             last_status_code = ?3, last_error = ?4, last_duration_ms = ?5 \
             WHERE id = ?6 AND attempts = ?7 AND status = 'pending'",
            &[
                Value::Integer(max_attempts),
                Value::Integer(retry_at),
                status,
                db::nullable_text(outcome.error.as_deref()),
                Value::Integer(outcome.duration_ms),
                text(id),
                Value::Integer(attempt),
            ],
        )?;
    }
    Ok(())
}

/// Deletes up to 100 of the team's finished deliveries older than `before`.
pub fn prune(db: &Connection, team_id: &str, before: i64) -> Result<(), ApiError> {
    db::execute(
        db,
        "pruning webhook deliveries",
        "DELETE FROM webhook_deliveries WHERE rowid IN (SELECT rowid FROM webhook_deliveries \
         WHERE team_id = ? AND status != 'pending' AND created_at < ? LIMIT 100)",
        &[text(team_id), Value::Integer(before)],
    )?;
    Ok(())
}

/// A delivery as `GET /api/webhooks/:id/deliveries` shows it.
#[derive(Debug, Clone)]
pub struct Delivery {
    pub seq: i64,
    pub view: Json,
}

impl TryFrom<&RowResult> for Delivery {
    type Error = ApiError;

    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        let payload = db::text(row, 5, "webhook_deliveries.payload")?;
        Ok(Self {
            seq: db::int(row, 0, "rowid")?,
            view: json!({
                "id": db::text(row, 1, "webhook_deliveries.id")?,
                "webhookId": db::text(row, 2, "webhook_deliveries.webhook_id")?,
                "eventId": db::text(row, 3, "webhook_deliveries.event_id")?,
                "event": db::text(row, 4, "webhook_deliveries.event")?,
                "payload": serde_json::from_str::<Json>(&payload).unwrap_or(Json::Null),
                "status": db::text(row, 6, "webhook_deliveries.status")?,
                "attempts": db::int(row, 7, "webhook_deliveries.attempts")?,
                "nextAttemptAt": db::opt_int(row, 8, "webhook_deliveries.next_attempt_at")?,
                "lastAttemptAt": db::opt_int(row, 9, "webhook_deliveries.last_attempt_at")?,
                "lastStatusCode": db::opt_int(row, 10, "webhook_deliveries.last_status_code")?,
                "lastError": db::opt_text(row, 11, "webhook_deliveries.last_error")?,
                "lastDurationMs": db::opt_int(row, 12, "webhook_deliveries.last_duration_ms")?,
                "deliveredAt": db::opt_int(row, 13, "webhook_deliveries.delivered_at")?,
                "createdAt": db::int(row, 14, "webhook_deliveries.created_at")?,
            }),
        })
    }
}

macro_rules! delivery_columns {
    () => {
        "SELECT rowid, id, webhook_id, event_id, event, payload, status, attempts, next_attempt_at, \
         last_attempt_at, last_status_code, last_error, last_duration_ms, delivered_at, created_at \
         FROM webhook_deliveries"
    };
}
const LIST_HEAD: &str = concat!(delivery_columns!(), " WHERE webhook_id = ? AND team_id = ?");
const SELECT_ONE: &str = concat!(delivery_columns!(), " WHERE id = ? AND team_id = ?");

/// A page of a webhook's deliveries, newest first: those before the
/// sequence number `before` (a cursor), with `status` when given. Returns
/// the page and the cursor of the next one.
pub fn list(
    db: &Connection,
    team_id: &str,
    webhook_id: &str,
    status: Option<&str>,
    before: Option<i64>,
    limit: i64,
) -> Result<(Vec<Delivery>, Option<i64>), ApiError> {
    let mut sql = String::from(LIST_HEAD);
    let mut params = vec![text(webhook_id), text(team_id)];
    if let Some(s) = status {
        sql.push_str(" AND status = ?");
        params.push(text(s));
    }
    if let Some(b) = before {
        sql.push_str(" AND rowid < ?");
        params.push(Value::Integer(b));
    }
    sql.push_str(" ORDER BY rowid DESC LIMIT ?");
    params.push(Value::Integer(limit + 1));
    let mut page: Vec<Delivery> = db::rows(db, "listing webhook deliveries", &sql, &params)?;
    let more = page.len() > usize::try_from(limit).unwrap_or(0);
    page.truncate(usize::try_from(limit).unwrap_or(0));
    let next = if more {
        page.last().map(|d| d.seq)
    } else {
        None
    };
    Ok((page, next))
}

/// The views of the given deliveries (after a retry), in the order given.
pub fn views(db: &Connection, team_id: &str, ids: &[String]) -> Result<Vec<Json>, ApiError> {
    let mut out = Vec::with_capacity(ids.len());
    for id in ids {
        let d: Option<Delivery> = db::first(
            db,
            "selecting webhook delivery",
            SELECT_ONE,
            &[text(id), text(team_id)],
        )?;
        out.extend(d.map(|d| d.view));
    }
    Ok(out)
}
