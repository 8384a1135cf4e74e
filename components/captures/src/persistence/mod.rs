//! Every SQL statement of the component, as named constants next to the
//! functions that run them. Each state change is one transaction that also
//! writes its audit entry; every query is scoped to the calling user.

pub mod captures;
pub mod deletions;

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection, Value};

use crate::domain::Page;

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn int(n: i64) -> Value {
    Value::Integer(n)
}

/// The `LIMIT ? OFFSET ?` parameters of a page.
fn page_params(page: Page) -> [Value; 2] {
    [int(page.limit), int(page.offset)]
}

/// Runs a `SELECT COUNT(*) …`.
fn count(
    db: &Connection,
    context: &'static str,
    sql: &str,
    params: &[Value],
) -> Result<i64, ApiError> {
    let result = db::execute(db, context, sql, params)?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| ApiError::internal(format!("{context}: no row")))?;
    db::int(row, 0, "count")
}

/// One page of a list, with the total the page was cut from.
#[derive(Debug)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// Who acts, for the audit entry.
#[derive(Debug, Clone, Copy)]
pub struct Actor<'a> {
    pub user_id: &'a str,
    pub team_id: &'a str,
    pub request_id: &'a str,
}

impl<'a> Actor<'a> {
    pub fn audit(
        &self,
        action: &'static str,
        target_id: &'a str,
        details: serde_json::Value,
    ) -> AuditEntry<'a> {
        AuditEntry {
            team_id: Some(self.team_id),
            user_id: Some(self.user_id),
            action,
            target_type: "capture",
            target_id,
            details,
            request_id: self.request_id,
        }
    }
}
