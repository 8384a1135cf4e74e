//! Every SQL statement of the component, as named constants, and the
//! functions that run them. Each state change is one transaction that also
//! writes its audit entry; every statement names the caller's team.
//!
//! The lock table `profile_locks` belongs to the `locks` component, which
//! alone takes, extends and releases locks. This component reads it (to show
//! a profile's holder and to refuse edits of a profile another client holds,
//! inside the edit's write transaction, so no acquire can slip in between)
//! and deletes a profile's lock row with the profile.

pub mod groups;
pub mod profiles;
pub mod proxies;

use edge::ApiError;
use edge::db::{self, Connection, Value};

/// Who is acting, for scoping and the audit log.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub team_id: &'a str,
    pub user_id: &'a str,
    pub request_id: &'a str,
}

pub(crate) fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

pub(crate) fn int(n: impl Into<i64>) -> Value {
    Value::Integer(n.into())
}

/// The single integer of a `SELECT COUNT(*)`.
pub(crate) fn count(
    db: &Connection,
    context: &'static str,
    sql: &str,
    params: &[Value],
) -> Result<i64, ApiError> {
    let result = db::execute(db, context, sql, params)?;
    match result.rows.first() {
        Some(row) => db::int(row, 0, "count"),
        None => Ok(0),
    }
}
