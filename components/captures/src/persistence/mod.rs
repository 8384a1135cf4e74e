//! Every SQL statement of the component, as named constants next to the
//! functions that run them. Each state change is one transaction that also
//! writes its audit entry; every query is scoped to the calling user.

pub mod captures;
pub mod deletions;

use edge::db::AuditEntry;

pub(crate) use edge::db::{count, int_param as int, page_params, text_param as text};
pub use edge::page::Listed;

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
