//! SQLite helpers shared by components (Spin's database `default`): one
//! transaction per state change, errors propagated with `?` and mapped to
//! [`ApiError`], unique-constraint violations turned into 409s by the caller,
//! row access that fails loudly instead of defaulting, and the audit log.
//!
//! This module calls Spin's host (`fermyon:spin/sqlite@2.0.0`); the pure
//! parts of the crate do not depend on it.

pub use spin_sdk::sqlite::{Connection, QueryResult, RowResult, Value};

use crate::error::ApiError;

/// Opens the database `default`.
pub fn open() -> Result<Connection, ApiError> {
    Connection::open_default().map_err(|e| ApiError::internal(format!("opening database: {e}")))
}

/// A failed statement, with what we were doing.
#[derive(Debug)]
pub struct DbError {
    pub context: &'static str,
    pub error: spin_sdk::sqlite::Error,
}

impl DbError {
    /// Whether the statement broke a UNIQUE (or PRIMARY KEY) constraint.
    pub fn is_unique_violation(&self) -> bool {
        matches!(&self.error, spin_sdk::sqlite::Error::Io(msg) if msg.contains("UNIQUE constraint failed"))
    }
}

impl std::fmt::Display for DbError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.context, self.error)
    }
}

impl From<DbError> for ApiError {
    fn from(e: DbError) -> Self {
        ApiError::internal(e)
    }
}

/// Runs one statement. `context` says what it was for, in the log.
pub fn execute(
    db: &Connection,
    context: &'static str,
    sql: &str,
    params: &[Value],
) -> Result<QueryResult, DbError> {
    db.execute(sql, params)
        .map_err(|error| DbError { context, error })
}

/// Runs a query and converts every row with the model's `TryFrom<&RowResult>`.
pub fn rows<T>(
    db: &Connection,
    context: &'static str,
    sql: &str,
    params: &[Value],
) -> Result<Vec<T>, ApiError>
where
    T: for<'r> TryFrom<&'r RowResult, Error = ApiError>,
{
    execute(db, context, sql, params)?
        .rows
        .iter()
        .map(T::try_from)
        .collect()
}

/// Runs a query and converts its first row, if there is one.
pub fn first<T>(
    db: &Connection,
    context: &'static str,
    sql: &str,
    params: &[Value],
) -> Result<Option<T>, ApiError>
where
    T: for<'r> TryFrom<&'r RowResult, Error = ApiError>,
{
    execute(db, context, sql, params)?
        .rows
        .first()
        .map(T::try_from)
        .transpose()
}

/// The one row of a query that always answers one (an aggregate, a
/// `COALESCE` of subqueries, the caller's own row); none is our fault.
pub fn one_row(
    db: &Connection,
    context: &'static str,
    sql: &str,
    params: &[Value],
) -> Result<RowResult, ApiError> {
    execute(db, context, sql, params)?
        .rows
        .into_iter()
        .next()
        .ok_or_else(|| ApiError::internal(format!("{context}: no row")))
}

/// Runs `work` inside `BEGIN IMMEDIATE … COMMIT` (the write lock is taken
/// up front, so concurrent writers queue instead of failing to upgrade).
/// Any error rolls back; the error is returned as it was.
pub fn transaction<T>(
    db: &Connection,
    work: impl FnOnce(&Connection) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    execute(db, "beginning transaction", "BEGIN IMMEDIATE", &[])?;
    match work(db) {
        Ok(value) => {
            if let Err(e) = execute(db, "committing transaction", "COMMIT", &[]) {
                rollback(db);
                return Err(e.into());
            }
            Ok(value)
        }
        Err(e) => {
            rollback(db);
            Err(e)
        }
    }
}

fn rollback(db: &Connection) {
    // The transaction is already failing; a failed rollback (e.g. nothing to
    // roll back) is logged but must not replace the original error.
    if let Err(e) = execute(db, "rolling back transaction", "ROLLBACK", &[]) {
        eprintln!("sqlite: {e}");
    }
}

/// Text column `index`, or an internal error naming it.
pub fn text(row: &RowResult, index: usize, column: &str) -> Result<String, ApiError> {
    row.get::<&str>(index)
        .map(str::to_owned)
        .ok_or_else(|| ApiError::internal(format!("column {column} is not text")))
}

/// Nullable text column.
pub fn opt_text(row: &RowResult, index: usize, column: &str) -> Result<Option<String>, ApiError> {
    match row.values.get(index) {
        Some(Value::Null) => Ok(None),
        _ => text(row, index, column).map(Some),
    }
}

/// Integer column.
pub fn int(row: &RowResult, index: usize, column: &str) -> Result<i64, ApiError> {
    row.get::<i64>(index)
        .ok_or_else(|| ApiError::internal(format!("column {column} is not an integer")))
}

/// Nullable integer column.
pub fn opt_int(row: &RowResult, index: usize, column: &str) -> Result<Option<i64>, ApiError> {
    match row.values.get(index) {
        Some(Value::Null) => Ok(None),
        _ => int(row, index, column).map(Some),
    }
}

/// Runs a `SELECT COUNT(*) …` and returns the count.
pub fn count(
    db: &Connection,
    context: &'static str,
    sql: &str,
    params: &[Value],
) -> Result<i64, ApiError> {
    let result = execute(db, context, sql, params)?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| ApiError::internal(format!("{context}: no row")))?;
    int(row, 0, "count")
}

/// The `LIMIT ? OFFSET ?` parameters of a page.
pub fn page_params(page: crate::page::Page) -> [Value; 2] {
    [Value::Integer(page.limit), Value::Integer(page.offset)]
}

/// A text parameter.
pub fn text_param(value: &str) -> Value {
    Value::Text(value.to_owned())
}

/// An integer parameter.
pub fn int_param(value: i64) -> Value {
    Value::Integer(value)
}

/// `Some(text)` or NULL.
pub fn nullable_text(value: Option<&str>) -> Value {
    value.map_or(Value::Null, |v| Value::Text(v.to_owned()))
}

/// One audit-log entry (a state change and who made it).
#[derive(Debug, Clone)]
pub struct AuditEntry<'a> {
    pub team_id: Option<&'a str>,
    pub user_id: Option<&'a str>,
    /// Dotted verb: `user.register`, `api_key.revoke`.
    pub action: &'static str,
    pub target_type: &'static str,
    pub target_id: &'a str,
    /// Action-specific facts; never secrets.
    pub details: serde_json::Value,
    pub request_id: &'a str,
}

const INSERT_AUDIT: &str = "\
    INSERT INTO audit_log (team_id, user_id, action, target_type, target_id, details, request_id, created_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)";

const INSERT_AUDIT_CLIENT: &str = "\
    INSERT INTO audit_clients (audit_id, ip_address, user_agent) VALUES (last_insert_rowid(), ?, ?)";

/// Who sent the request being served: its address (without the port) and
/// user agent, recorded with every audit entry the request writes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Client {
    pub ip_address: String,
    pub user_agent: Option<String>,
}

impl Client {
    /// Longest user agent kept.
    const MAX_USER_AGENT: usize = 256;

    /// From Spin's `spin-client-addr` (`ip:port`, `[v6]:port`) and
    /// `User-Agent`; `None` without an address.
    pub fn from_headers(addr: Option<&str>, user_agent: Option<&str>) -> Option<Self> {
        let addr = addr?.trim();
        let ip = match addr.parse::<std::net::SocketAddr>() {
            Ok(socket) => socket.ip().to_string(),
            Err(_) => addr.parse::<std::net::IpAddr>().ok()?.to_string(),
        };
        Some(Self {
            ip_address: ip,
            user_agent: user_agent
                .map(|ua| ua.chars().take(Self::MAX_USER_AGENT).collect::<String>())
                .filter(|ua| !ua.is_empty()),
        })
    }
}

thread_local! {
    /// The client of the request this instance serves (Spin gives every
    /// request an instance of its own; the edge sets it before routing).
    static CLIENT: std::cell::RefCell<Option<Client>> = const { std::cell::RefCell::new(None) };
}

/// Sets (or clears) the client recorded with audit entries.
pub fn set_client(client: Option<Client>) {
    CLIENT.with(|c| *c.borrow_mut() = client);
}

/// Appends an entry to `audit_log` (with the request's client, when known);
/// call it inside the state change's transaction.
pub fn audit(db: &Connection, entry: &AuditEntry<'_>) -> Result<(), ApiError> {
    execute(
        db,
        "inserting audit entry",
        INSERT_AUDIT,
        &[
            nullable_text(entry.team_id),
            nullable_text(entry.user_id),
            Value::Text(entry.action.to_owned()),
            Value::Text(entry.target_type.to_owned()),
            Value::Text(entry.target_id.to_owned()),
            Value::Text(entry.details.to_string()),
            Value::Text(entry.request_id.to_owned()),
            Value::Integer(crate::time::now_ms()),
        ],
    )?;
    if let Some(client) = CLIENT.with(|c| c.borrow().clone()) {
        execute(
            db,
            "inserting audit client",
            INSERT_AUDIT_CLIENT,
            &[
                Value::Text(client.ip_address),
                nullable_text(client.user_agent.as_deref()),
            ],
        )?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_is_its_address_without_the_port_and_a_bounded_user_agent() {
        let c = Client::from_headers(Some("203.0.113.9:51234"), Some("Mozilla/5.0")).expect("v4");
        assert_eq!(c.ip_address, "203.0.113.9");
        assert_eq!(c.user_agent.as_deref(), Some("Mozilla/5.0"));
        let c = Client::from_headers(Some("[2001:db8::1]:443"), None).expect("v6");
        assert_eq!(c.ip_address, "2001:db8::1");
        assert_eq!(c.user_agent, None);
        let long = "x".repeat(1000);
        let c = Client::from_headers(Some("127.0.0.1"), Some(&long)).expect("bare ip");
        assert_eq!(c.user_agent.map(|u| u.len()), Some(256));
        assert_eq!(Client::from_headers(Some("not an address"), None), None);
        assert_eq!(Client::from_headers(None, Some("ua")), None);
    }
}
