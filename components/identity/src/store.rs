//! Credential lookups in the SQLite database `default`.
//!
//! A credential is only good while its user is still a member of its team:
//! both lookups join `team_members`, which also yields the caller's role,
//! and `team_billing` (no row: the free plan), which yields the team's plan
//! and so its per-minute budget, in the same statement.

use spin_sdk::sqlite::{Connection, Value};

use crate::identity::{AuthError, CredentialKind, Principal, RateLimit, TeamRole};
use crate::rate::Counter;

/// Session row of a JWT's `jti`, with the user's role in the session's
/// team and the team's plan.
const SELECT_SESSION: &str = "\
    SELECT s.user_id, s.team_id, s.expires_at, s.revoked_at, m.role, COALESCE(b.plan, 'free') \
    FROM session_tokens s \
    JOIN team_members m ON m.team_id = s.team_id AND m.user_id = s.user_id \
    LEFT JOIN team_billing b ON b.team_id = s.team_id \
    WHERE s.jti = ?";

/// API key by the SHA-256 of the presented key, with the owner's role, the
/// team's plan and the key's expiry (none: it never expires).
const SELECT_API_KEY: &str = "\
    SELECT k.id, k.user_id, k.team_id, k.kind, k.scopes, k.key_hash, k.revoked_at, m.role, \
    COALESCE(b.plan, 'free'), k.last_used, x.expires_at \
    FROM api_keys k \
    JOIN team_members m ON m.team_id = k.team_id AND m.user_id = k.user_id \
    LEFT JOIN team_billing b ON b.team_id = k.team_id \
    LEFT JOIN api_key_expiry x ON x.key_id = k.id \
    WHERE k.key_hash = ?";

/// Records a key's use, at most once a minute per key (keeps writes off the hot path:
/// the caller runs it only when the `last_used` it read is that old, because even an
/// UPDATE that matches no row takes the database's write lock).
const TOUCH_API_KEY: &str = "\
    UPDATE api_keys SET last_used = ?1 \
    WHERE id = ?2 AND (last_used IS NULL OR last_used < ?1 - 60000)";

/// Who a credential belongs to, before rate limiting.
#[derive(Debug, Clone)]
pub struct Identity {
    pub user_id: String,
    pub team_id: String,
    pub role: TeamRole,
    pub key_id: Option<String>,
    pub session_id: Option<String>,
    pub kind: CredentialKind,
    pub scopes: Vec<String>,
    /// The team's billing plan (its per-minute budget).
    pub plan: plans::Plan,
}

impl Identity {
    /// The counters this caller's requests are counted on.
    pub fn counters(&self) -> Vec<Counter> {
        let credential = self
            .key_id
            .clone()
            .or_else(|| self.session_id.clone())
            .unwrap_or_default();
        vec![
            Counter::Credential(credential),
            Counter::User(self.user_id.clone()),
            Counter::Team(self.team_id.clone()),
        ]
    }

    pub fn into_principal(self, rate_limit: RateLimit) -> Principal {
        Principal {
            user_id: self.user_id,
            team_id: self.team_id,
            role: self.role,
            key_id: self.key_id,
            session_id: self.session_id,
            kind: self.kind,
            scopes: self.scopes,
            rate_limit,
        }
    }
}

/// Opens the database.
pub fn open() -> Result<Connection, String> {
    Connection::open_default().map_err(|e| format!("opening sqlite database default: {e}"))
}

/// The identity behind a verified session token: the session must exist,
/// match the token's user and team, not be revoked and not be expired.
pub fn session(
    db: &Connection,
    claims: &credentials::Claims,
    now_ms: i64,
) -> Result<Identity, AuthError> {
    let rows = db
        .execute(SELECT_SESSION, &[Value::Text(claims.jti.clone())])
        .map_err(|e| AuthError::Internal(format!("selecting session: {e}")))?;
    let Some(row) = rows.rows.first() else {
        return Err(AuthError::Invalid);
    };
    let user_id = text(row, 0)?;
    let team_id = text(row, 1)?;
    if user_id != claims.sub || team_id != claims.tid {
        return Err(AuthError::Invalid);
    }
    if !matches!(row.values.get(3), Some(Value::Null) | None) {
        return Err(AuthError::Revoked);
    }
    let expires_at: i64 = row
        .get(2)
        .ok_or_else(|| AuthError::Internal("session expires_at is not an integer".into()))?;
    if expires_at <= now_ms {
        return Err(AuthError::Expired);
    }
    Ok(Identity {
        user_id,
        team_id,
        role: role(&text(row, 4)?)?,
        key_id: None,
        session_id: Some(claims.jti.clone()),
        kind: CredentialKind::Jwt,
        scopes: vec!["*".to_owned()],
        plan: plan(&text(row, 5)?)?,
    })
}

/// The identity behind an API key: looked up by SHA-256, the stored hash
/// compared again in constant time, revoked and expired keys refused,
/// `last_used` updated.
pub fn api_key(db: &Connection, key: &str, now_ms: i64) -> Result<Identity, AuthError> {
    if credentials::ApiKeyKind::of_key(key).is_none() {
        return Err(AuthError::Invalid);
    }
    let hash = credentials::api_key::hash(key);
    let rows = db
        .execute(SELECT_API_KEY, &[Value::Text(hash.clone())])
        .map_err(|e| AuthError::Internal(format!("selecting api key: {e}")))?;
    let Some(row) = rows.rows.first() else {
        return Err(AuthError::Invalid);
    };
    if !credentials::constant_time_eq(text(row, 5)?.as_bytes(), hash.as_bytes()) {
        return Err(AuthError::Invalid);
    }
    if !matches!(row.values.get(6), Some(Value::Null) | None) {
        return Err(AuthError::Revoked);
    }
    if let Some(Value::Integer(expires_at)) = row.values.get(10)
        && *expires_at <= now_ms
    {
        return Err(AuthError::Expired);
    }
    let key_id = text(row, 0)?;
    let kind = match text(row, 3)?.as_str() {
        "desktop" => CredentialKind::DesktopKey,
        "extension" => CredentialKind::ExtensionKey,
        other => return Err(AuthError::Internal(format!("api key kind {other:?}"))),
    };
    let scopes: Vec<String> = serde_json::from_str(&text(row, 4)?)
        .map_err(|e| AuthError::Internal(format!("api key scopes: {e}")))?;
    let last_used = match row.values.get(9) {
        Some(Value::Integer(ms)) => Some(*ms),
        _ => None,
    };
    if last_used.is_none_or(|ms| ms < now_ms - 60_000) {
        db.execute(
            TOUCH_API_KEY,
            &[Value::Integer(now_ms), Value::Text(key_id.clone())],
        )
        .map_err(|e| AuthError::Internal(format!("updating api key last_used: {e}")))?;
    }
    Ok(Identity {
        user_id: text(row, 1)?,
        team_id: text(row, 2)?,
        role: role(&text(row, 7)?)?,
        key_id: Some(key_id),
        session_id: None,
        kind,
        scopes,
        plan: plan(&text(row, 8)?)?,
    })
}

fn text(row: &spin_sdk::sqlite::RowResult, index: usize) -> Result<String, AuthError> {
    row.get::<&str>(index)
        .map(str::to_owned)
        .ok_or_else(|| AuthError::Internal(format!("column {index} is not text")))
}

fn plan(s: &str) -> Result<plans::Plan, AuthError> {
    plans::Plan::parse(s).ok_or_else(|| AuthError::Internal(format!("team_billing.plan {s:?}")))
}

fn role(s: &str) -> Result<TeamRole, AuthError> {
    match s {
        "owner" => Ok(TeamRole::Owner),
        "admin" => Ok(TeamRole::Admin),
        "member" => Ok(TeamRole::Member),
        "viewer" => Ok(TeamRole::Viewer),
        other => Err(AuthError::Internal(format!("team role {other:?}"))),
    }
}
