//! Rows (converted from SQLite with `TryFrom`) and the JSON views the API
//! returns. Timestamps are ms since the epoch unless a seed's shape says
//! otherwise (`/api/v1/info`).

use edge::ApiError;
use edge::db::{self, RowResult};
use serde::Serialize;

/// A `users` row, without the password hash.
#[derive(Debug, Clone)]
pub struct User {
    pub id: String,
    pub email: String,
    pub name: String,
    pub subscription_tier: String,
    pub api_credits: i64,
    pub created_at: i64,
    pub last_login: Option<i64>,
}

/// Reads the columns of `persistence::user_columns!`, in order.
impl TryFrom<&RowResult> for User {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "users.id")?,
            email: db::text(row, 1, "users.email")?,
            name: db::text(row, 2, "users.name")?,
            subscription_tier: db::text(row, 3, "users.subscription_tier")?,
            api_credits: db::int(row, 4, "users.api_credits")?,
            created_at: db::int(row, 5, "users.created_at")?,
            last_login: db::opt_int(row, 6, "users.last_login")?,
        })
    }
}

/// A user as the desktop API shows it.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserView<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub name: &'a str,
    pub subscription_tier: &'a str,
    pub api_credits: i64,
    pub created_at: i64,
    pub last_login: Option<i64>,
}

impl User {
    pub fn view(&self) -> UserView<'_> {
        UserView {
            id: &self.id,
            email: &self.email,
            name: &self.name,
            subscription_tier: &self.subscription_tier,
            api_credits: self.api_credits,
            created_at: self.created_at,
            last_login: self.last_login,
        }
    }
}

/// A team together with the caller's role in it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct TeamMembership {
    pub id: String,
    pub name: String,
    pub personal: bool,
    pub role: String,
}

/// Reads the columns of `persistence::team_columns!`, in order.
impl TryFrom<&RowResult> for TeamMembership {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        Ok(Self {
            id: db::text(row, 0, "teams.id")?,
            name: db::text(row, 1, "teams.name")?,
            personal: db::int(row, 2, "teams.personal")? != 0,
            role: db::text(row, 3, "team_members.role")?,
        })
    }
}

/// An `api_keys` row, without the hash.
#[derive(Debug, Clone)]
pub struct ApiKey {
    pub id: String,
    pub kind: String,
    pub name: String,
    pub key_prefix: String,
    pub last_four: String,
    pub scopes: Vec<String>,
    pub team_id: String,
    pub created_at: i64,
    pub last_used: Option<i64>,
    pub revoked_at: Option<i64>,
    /// The member the key acts as.
    pub user_id: String,
    /// When it stops authenticating; `None`: never.
    pub expires_at: Option<i64>,
}

/// Reads the columns of `persistence::api_key_columns!`, in order.
impl TryFrom<&RowResult> for ApiKey {
    type Error = ApiError;
    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        let scopes_json = db::text(row, 5, "api_keys.scopes")?;
        Ok(Self {
            id: db::text(row, 0, "api_keys.id")?,
            kind: db::text(row, 1, "api_keys.kind")?,
            name: db::text(row, 2, "api_keys.name")?,
            key_prefix: db::text(row, 3, "api_keys.key_prefix")?,
            last_four: db::text(row, 4, "api_keys.last_four")?,
            scopes: serde_json::from_str(&scopes_json)
                .map_err(|e| ApiError::internal(format!("api_keys.scopes: {e}")))?,
            team_id: db::text(row, 6, "api_keys.team_id")?,
            created_at: db::int(row, 7, "api_keys.created_at")?,
            last_used: db::opt_int(row, 8, "api_keys.last_used")?,
            revoked_at: db::opt_int(row, 9, "api_keys.revoked_at")?,
            user_id: db::text(row, 10, "api_keys.user_id")?,
            expires_at: db::opt_int(row, 11, "api_key_expiry.expires_at")?,
        })
    }
}

/// An API key as `GET /api/keys` shows it: never the key, never the hash.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyView<'a> {
    pub id: &'a str,
    pub name: &'a str,
    pub kind: &'a str,
    pub key_prefix: &'a str,
    pub last_four: &'a str,
    pub scopes: &'a [String],
    pub team_id: &'a str,
    pub user_id: &'a str,
    pub created_at: i64,
    pub last_used: Option<i64>,
    pub revoked_at: Option<i64>,
    pub revoked: bool,
    pub expires_at: Option<i64>,
}

impl ApiKey {
    pub fn view(&self) -> ApiKeyView<'_> {
        ApiKeyView {
            id: &self.id,
            name: &self.name,
            kind: &self.kind,
            key_prefix: &self.key_prefix,
            last_four: &self.last_four,
            scopes: &self.scopes,
            team_id: &self.team_id,
            user_id: &self.user_id,
            created_at: self.created_at,
            last_used: self.last_used,
            revoked_at: self.revoked_at,
            revoked: self.revoked_at.is_some(),
            expires_at: self.expires_at,
        }
    }
}
