//! The `webhooks` table (migrations/0010_webhooks.sql): a team's webhooks,
//! their URL, events, state and sealed secret. Every statement names the
//! team; the teams component manages them (`/api/webhooks`), the outbox
//! reads them.

use edge::ApiError;
use edge::db::{self, Connection, RowResult, Value};
use serde_json::{Value as Json, json};

/// Most webhooks one team may have.
pub const MAX_PER_TEAM: i64 = 20;

const COLUMNS: &str = "id, team_id, url, events, description, active, secret_sealed, secret_last4, \
     created_by, created_at, updated_at";

/// A webhook row.
#[derive(Debug, Clone)]
pub struct Webhook {
    pub id: String,
    pub team_id: String,
    pub url: String,
    /// Event names, canonical order.
    pub events: Vec<String>,
    pub description: String,
    pub active: bool,
    pub secret_sealed: String,
    pub secret_last4: String,
    pub created_by: Option<String>,
    pub created_at: i64,
    pub updated_at: i64,
}

impl TryFrom<&RowResult> for Webhook {
    type Error = ApiError;

    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        let events = db::text(row, 3, "webhooks.events")?;
        Ok(Self {
            id: db::text(row, 0, "webhooks.id")?,
            team_id: db::text(row, 1, "webhooks.team_id")?,
            url: db::text(row, 2, "webhooks.url")?,
            events: serde_json::from_str(&events)
                .map_err(|e| ApiError::internal(format!("webhooks.events: {e}")))?,
            description: db::text(row, 4, "webhooks.description")?,
            active: db::int(row, 5, "webhooks.active")? != 0,
            secret_sealed: db::text(row, 6, "webhooks.secret_sealed")?,
            secret_last4: db::text(row, 7, "webhooks.secret_last4")?,
            created_by: db::opt_text(row, 8, "webhooks.created_by")?,
            created_at: db::int(row, 9, "webhooks.created_at")?,
            updated_at: db::int(row, 10, "webhooks.updated_at")?,
        })
    }
}

impl Webhook {
    /// The API view: never the secret, only its last four characters.
    pub fn view(&self) -> Json {
        json!({
            "id": self.id,
            "teamId": self.team_id,
            "url": self.url,
            "events": self.events,
            "description": self.description,
            "active": self.active,
            "secretLast4": self.secret_last4,
            "createdBy": self.created_by,
            "createdAt": self.created_at,
            "updatedAt": self.updated_at,
        })
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn events_json(events: &[String]) -> Result<Value, ApiError> {
    serde_json::to_string(events)
        .map(Value::Text)
        .map_err(ApiError::internal)
}

/// The team's webhooks, oldest first.
pub fn list(db: &Connection, team_id: &str) -> Result<Vec<Webhook>, ApiError> {
    db::rows(
        db,
        "listing webhooks",
        &format!("SELECT {COLUMNS} FROM webhooks WHERE team_id = ? ORDER BY created_at, rowid"),
        &[text(team_id)],
    )
}

/// A webhook by id, of whichever team (the caller checks membership).
pub fn get(db: &Connection, id: &str) -> Result<Option<Webhook>, ApiError> {
    db::first(
        db,
        "selecting webhook",
        &format!("SELECT {COLUMNS} FROM webhooks WHERE id = ?"),
        &[text(id)],
    )
}

/// How many webhooks the team has.
pub fn count(db: &Connection, team_id: &str) -> Result<i64, ApiError> {
    let r = db::execute(
        db,
        "counting webhooks",
        "SELECT COUNT(*) FROM webhooks WHERE team_id = ?",
        &[text(team_id)],
    )?;
    r.rows.first().map_or(Ok(0), |row| db::int(row, 0, "count"))
}

/// Inserts a webhook (call inside the transaction that audits it).
pub fn insert(db: &Connection, w: &Webhook) -> Result<(), ApiError> {
    db::execute(
        db,
        "inserting webhook",
        &format!("INSERT INTO webhooks ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
        &[
            text(&w.id),
            text(&w.team_id),
            text(&w.url),
            events_json(&w.events)?,
            text(&w.description),
            Value::Integer(i64::from(w.active)),
            text(&w.secret_sealed),
            text(&w.secret_last4),
            db::nullable_text(w.created_by.as_deref()),
            Value::Integer(w.created_at),
            Value::Integer(w.updated_at),
        ],
    )?;
    Ok(())
}

/// Writes a webhook's changeable columns back.
pub fn update(db: &Connection, w: &Webhook) -> Result<(), ApiError> {
    db::execute(
        db,
        "updating webhook",
        "UPDATE webhooks SET url = ?, events = ?, description = ?, active = ?, secret_sealed = ?, \
         secret_last4 = ?, updated_at = ? WHERE id = ? AND team_id = ?",
        &[
            text(&w.url),
            events_json(&w.events)?,
            text(&w.description),
            Value::Integer(i64::from(w.active)),
            text(&w.secret_sealed),
            text(&w.secret_last4),
            Value::Integer(w.updated_at),
            text(&w.id),
            text(&w.team_id),
        ],
    )?;
    Ok(())
}

/// Deletes a webhook and every delivery of it.
pub fn delete(db: &Connection, team_id: &str, id: &str) -> Result<(), ApiError> {
    db::execute(
        db,
        "deleting webhook deliveries",
        "DELETE FROM webhook_deliveries WHERE webhook_id = ? AND team_id = ?",
        &[text(id), text(team_id)],
    )?;
    db::execute(
        db,
        "deleting webhook",
        "DELETE FROM webhooks WHERE id = ? AND team_id = ?",
        &[text(id), text(team_id)],
    )?;
    Ok(())
}
