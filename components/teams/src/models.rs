//! Rows (converted from SQLite with `TryFrom`) and the JSON views the API
//! returns. Timestamps are ms since the epoch.

use edge::ApiError;
use edge::db::{self, RowResult};
use serde::Serialize;

use roles::Role;

fn role(row: &RowResult, index: usize, column: &str) -> Result<Role, ApiError> {
    let s = db::text(row, index, column)?;
    Role::parse(&s).ok_or_else(|| ApiError::internal(format!("{column} {s:?} is not a role")))
}

/// A team with the caller's role in it (`persistence::team_columns!`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Team {
    pub id: String,
    pub name: String,
    pub personal: bool,
    pub owner_id: String,
    pub created_at: i64,
    pub role: &'static str,
    pub member_count: i64,
}

impl TryFrom<&RowResult> for Team {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "teams.id")?,
            name: db::text(row, 1, "teams.name")?,
            personal: db::int(row, 2, "teams.personal")? != 0,
            owner_id: db::text(row, 3, "teams.owner_id")?,
            created_at: db::int(row, 4, "teams.created_at")?,
            role: role(row, 5, "team_members.role")?.as_str(),
            member_count: db::int(row, 6, "member_count")?,
        })
    }
}

/// A member of a team (`persistence::member_columns!`).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Member {
    pub user_id: String,
    pub email: String,
    pub name: String,
    #[serde(serialize_with = "role_name")]
    pub role: Role,
    pub joined_at: i64,
}

fn role_name<S: serde::Serializer>(role: &Role, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(role.as_str())
}

impl TryFrom<&RowResult> for Member {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            user_id: db::text(row, 0, "team_members.user_id")?,
            email: db::text(row, 1, "users.email")?,
            name: db::text(row, 2, "users.name")?,
            role: role(row, 3, "team_members.role")?,
            joined_at: db::int(row, 4, "team_members.created_at")?,
        })
    }
}

/// A `team_invitations` row (`persistence::invitation_columns!`), never with
/// its token hash.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Invitation {
    pub id: String,
    pub team_id: String,
    pub email: String,
    #[serde(serialize_with = "role_name")]
    pub role: Role,
    pub invited_by: String,
    pub created_at: i64,
    pub expires_at: i64,
    pub accepted_at: Option<i64>,
}

impl TryFrom<&RowResult> for Invitation {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "team_invitations.id")?,
            team_id: db::text(row, 1, "team_invitations.team_id")?,
            email: db::text(row, 2, "team_invitations.email")?,
            role: role(row, 3, "team_invitations.role")?,
            invited_by: db::text(row, 4, "team_invitations.invited_by")?,
            created_at: db::int(row, 5, "team_invitations.created_at")?,
            expires_at: db::int(row, 6, "team_invitations.expires_at")?,
            accepted_at: db::opt_int(row, 7, "team_invitations.accepted_at")?,
        })
    }
}

/// An `audit_log` row as `GET /api/audit` shows it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AuditRecord {
    pub id: i64,
    pub team_id: Option<String>,
    pub user_id: Option<String>,
    pub action: String,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub details: serde_json::Value,
    pub request_id: Option<String>,
    pub created_at: i64,
    /// The actor's display name, while the user exists.
    pub user_name: Option<String>,
    /// Where the request came from, when the component serving it knew.
    pub ip_address: Option<String>,
    pub user_agent: Option<String>,
}

impl TryFrom<&RowResult> for AuditRecord {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        let details = db::text(row, 6, "audit_log.details")?;
        Ok(Self {
            id: db::int(row, 0, "audit_log.id")?,
            team_id: db::opt_text(row, 1, "audit_log.team_id")?,
            user_id: db::opt_text(row, 2, "audit_log.user_id")?,
            action: db::text(row, 3, "audit_log.action")?,
            target_type: db::opt_text(row, 4, "audit_log.target_type")?,
            target_id: db::opt_text(row, 5, "audit_log.target_id")?,
            details: serde_json::from_str(&details).unwrap_or(serde_json::Value::String(details)),
            request_id: db::opt_text(row, 7, "audit_log.request_id")?,
            created_at: db::int(row, 8, "audit_log.created_at")?,
            user_name: db::opt_text(row, 9, "users.name")?,
            ip_address: db::opt_text(row, 10, "audit_clients.ip_address")?,
            user_agent: db::opt_text(row, 11, "audit_clients.user_agent")?,
        })
    }
}
