//! Team proxies: list, get, create, update, delete (refused while profiles
//! use the proxy: they would launch without it).

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection};
use serde_json::json;

use super::{Actor, count, int, text};
use crate::models::Proxy;

macro_rules! proxy_columns {
    () => {
        "x.id, x.name, x.scheme, x.host, x.port, x.credentials, \
         (SELECT COUNT(*) FROM profiles p WHERE p.proxy_id = x.id AND p.team_id = x.team_id), \
         x.created_at, x.updated_at"
    };
}

const SELECT_PROXIES: &str = concat!(
    "SELECT ",
    proxy_columns!(),
    " FROM proxies x WHERE x.team_id = ? ORDER BY x.created_at, x.rowid LIMIT ? OFFSET ?"
);
const COUNT_PROXIES: &str = "SELECT COUNT(*) FROM proxies WHERE team_id = ?";
const SELECT_PROXY: &str = concat!(
    "SELECT ",
    proxy_columns!(),
    " FROM proxies x WHERE x.id = ? AND x.team_id = ?"
);
const INSERT_PROXY: &str = "\
    INSERT INTO proxies (id, team_id, name, scheme, host, port, credentials, created_at, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)";
const UPDATE_PROXY: &str = "\
    UPDATE proxies SET name = ?, scheme = ?, host = ?, port = ?, credentials = ?, updated_at = ? \
    WHERE id = ? AND team_id = ?";
const DELETE_PROXY: &str = "DELETE FROM proxies WHERE id = ? AND team_id = ?";

pub fn not_found() -> ApiError {
    ApiError::not_found("proxy_not_found", "No proxy with this id")
}

/// The columns a create or update writes (credentials already sealed).
pub struct ProxyFields {
    pub name: String,
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub sealed_credentials: Option<String>,
}

pub fn list(
    db: &Connection,
    team_id: &str,
    limit: u32,
    offset: u32,
) -> Result<(Vec<Proxy>, i64), ApiError> {
    let proxies = db::rows(
        db,
        "listing proxies",
        SELECT_PROXIES,
        &[text(team_id), int(limit), int(offset)],
    )?;
    Ok((
        proxies,
        count(db, "counting proxies", COUNT_PROXIES, &[text(team_id)])?,
    ))
}

pub fn get(db: &Connection, team_id: &str, id: &str) -> Result<Proxy, ApiError> {
    db::first(
        db,
        "selecting proxy",
        SELECT_PROXY,
        &[text(id), text(team_id)],
    )?
    .ok_or_else(not_found)
}

fn audit(
    db: &Connection,
    actor: Actor<'_>,
    action: &'static str,
    id: &str,
    details: serde_json::Value,
) -> Result<(), ApiError> {
    db::audit(
        db,
        &AuditEntry {
            team_id: Some(actor.team_id),
            user_id: Some(actor.user_id),
            action,
            target_type: "proxy",
            target_id: id,
            details,
            request_id: actor.request_id,
        },
    )
}

pub fn create(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    f: &ProxyFields,
    max_proxies: u32,
) -> Result<Proxy, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        if count(
            db,
            "counting proxies",
            COUNT_PROXIES,
            &[text(actor.team_id)],
        )? >= i64::from(max_proxies)
        {
            return Err(ApiError::conflict(
                "proxy_limit_reached",
                format!("This team already has the most proxies allowed ({max_proxies})"),
            ));
        }
        db::execute(
            db,
            "inserting proxy",
            INSERT_PROXY,
            &[
                text(id),
                text(actor.team_id),
                text(&f.name),
                text(&f.scheme),
                text(&f.host),
                int(f.port),
                db::nullable_text(f.sealed_credentials.as_deref()),
                int(now),
                int(now),
            ],
        )?;
        audit(
            db,
            actor,
            "proxy.create",
            id,
            json!({ "name": f.name, "scheme": f.scheme, "host": f.host }),
        )
    })?;
    get(db, actor.team_id, id)
}

/// Updates with `build(current)`'s fields in one transaction.
pub fn update(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    build: impl FnOnce(&Proxy) -> Result<ProxyFields, ApiError>,
) -> Result<Proxy, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = get(db, actor.team_id, id)?;
        let f = build(&current)?;
        db::execute(
            db,
            "updating proxy",
            UPDATE_PROXY,
            &[
                text(&f.name),
                text(&f.scheme),
                text(&f.host),
                int(f.port),
                db::nullable_text(f.sealed_credentials.as_deref()),
                int(now),
                text(id),
                text(actor.team_id),
            ],
        )?;
        audit(
            db,
            actor,
            "proxy.update",
            id,
            json!({ "name": f.name, "scheme": f.scheme, "host": f.host }),
        )
    })?;
    get(db, actor.team_id, id)
}

/// Deletes the proxy; 409 while profiles use it.
pub fn delete(db: &Connection, actor: Actor<'_>, id: &str) -> Result<(), ApiError> {
    db::transaction(db, |db| {
        let current = get(db, actor.team_id, id)?;
        if current.profile_count > 0 {
            return Err(ApiError::conflict(
                "proxy_in_use",
                format!(
                    "{} profile(s) use this proxy; point them elsewhere first",
                    current.profile_count
                ),
            ));
        }
        db::execute(
            db,
            "deleting proxy",
            DELETE_PROXY,
            &[text(id), text(actor.team_id)],
        )?;
        audit(
            db,
            actor,
            "proxy.delete",
            id,
            json!({ "name": current.name }),
        )
    })
}
