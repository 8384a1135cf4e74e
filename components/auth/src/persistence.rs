//! Every SQL statement of the component, as named constants, and the
//! functions that run them. Each state change is one transaction that also
//! writes its audit entry. Every query is scoped to the caller (user id).

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection, Value};
use serde_json::json;

use crate::models::{ApiKey, TeamMembership, User};

macro_rules! user_columns {
    () => {
        "u.id, u.email, u.name, u.subscription_tier, u.api_credits, u.created_at, u.last_login"
    };
}
macro_rules! team_columns {
    () => {
        "t.id, t.name, t.personal, m.role"
    };
}
macro_rules! api_key_columns {
    () => {
        "k.id, k.kind, k.name, k.key_prefix, k.last_four, k.scopes, k.team_id, k.created_at, k.last_used, k.revoked_at, k.user_id, \
         (SELECT x.expires_at FROM api_key_expiry x WHERE x.key_id = k.id)"
    };
}

const INSERT_USER: &str = "\
    INSERT INTO users (id, email, password_hash, name, created_at, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?)";
const INSERT_PERSONAL_TEAM: &str = "\
    INSERT INTO teams (id, name, personal, owner_id, created_at) VALUES (?, ?, 1, ?, ?)";
const INSERT_OWNER_MEMBERSHIP: &str = "\
    INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)";
/// A team without a billing row is on the free plan.
const SELECT_TEAM_PLAN: &str =
    "SELECT COALESCE((SELECT plan FROM team_billing WHERE team_id = ?), 'free')";
const SELECT_CREDENTIALS_BY_EMAIL: &str = "SELECT id, password_hash FROM users WHERE email = ?";
const SELECT_USER: &str = concat!("SELECT ", user_columns!(), " FROM users u WHERE u.id = ?");
const SELECT_PERSONAL_TEAM: &str = concat!(
    "SELECT ",
    team_columns!(),
    " FROM teams t JOIN team_members m ON m.team_id = t.id AND m.user_id = t.owner_id",
    " WHERE t.owner_id = ? AND t.personal = 1"
);
const SELECT_MEMBERSHIP: &str = concat!(
    "SELECT ",
    team_columns!(),
    " FROM teams t JOIN team_members m ON m.team_id = t.id",
    " WHERE t.id = ? AND m.user_id = ?"
);
const INSERT_SESSION: &str = "\
    INSERT INTO session_tokens (jti, user_id, team_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?)";
const UPDATE_LAST_LOGIN: &str = "UPDATE users SET last_login = ? WHERE id = ?";
const UPDATE_USER_NAME: &str = "UPDATE users SET name = ?, updated_at = ? WHERE id = ?";
const SELECT_PASSWORD_HASH: &str = "SELECT password_hash FROM users WHERE id = ?";
const UPDATE_PASSWORD: &str = "UPDATE users SET password_hash = ?, updated_at = ? WHERE id = ?";
/// Every other live session of the user ends with a password change.
const REVOKE_OTHER_SESSIONS: &str = "\
    UPDATE session_tokens SET revoked_at = ?1 \
    WHERE user_id = ?2 AND revoked_at IS NULL AND (?3 IS NULL OR jti != ?3) RETURNING jti";
const REVOKE_SESSION: &str = "\
    UPDATE session_tokens SET revoked_at = ? WHERE jti = ? AND user_id = ? AND revoked_at IS NULL";
const INSERT_API_KEY: &str = "\
    INSERT INTO api_keys (id, user_id, team_id, kind, name, key_prefix, last_four, key_hash, scopes, created_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
const INSERT_API_KEY_EXPIRY: &str = "INSERT INTO api_key_expiry (key_id, expires_at) VALUES (?, ?)";
const SELECT_API_KEYS_OF_USER: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys k WHERE k.user_id = ? ORDER BY k.created_at DESC, k.rowid DESC"
);
const SELECT_API_KEYS_OF_USER_IN_TEAM: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys k WHERE k.user_id = ? AND k.team_id = ?",
    " ORDER BY k.created_at DESC, k.rowid DESC"
);
const SELECT_API_KEYS_OF_TEAM: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys k WHERE k.team_id = ? ORDER BY k.created_at DESC, k.rowid DESC"
);
const SELECT_API_KEY: &str = concat!(
    "SELECT ",
    api_key_columns!(),
    " FROM api_keys k WHERE k.id = ?"
);
const REVOKE_API_KEY: &str = "\
    UPDATE api_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL";

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

/// A user to create.
pub struct NewUser<'a> {
    pub id: &'a str,
    pub email: &'a str,
    pub password_hash: &'a str,
    pub name: &'a str,
    pub team_id: &'a str,
    pub team_name: &'a str,
}

/// Creates the user, their personal team and their owner membership, in one
/// transaction. A taken email is a 409.
pub fn register(
    db: &Connection,
    user: &NewUser<'_>,
    request_id: &str,
) -> Result<(User, TeamMembership), ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "inserting user",
            INSERT_USER,
            &[
                text(user.id),
                text(user.email),
                text(user.password_hash),
                text(user.name),
                Value::Integer(now),
                Value::Integer(now),
            ],
        )
        .map_err(|e| {
            if e.is_unique_violation() {
                ApiError::conflict(
                    "email_taken",
                    "An account with this email address already exists",
                )
            } else {
                e.into()
            }
        })?;
        db::execute(
            db,
            "inserting personal team",
            INSERT_PERSONAL_TEAM,
            &[
                text(user.team_id),
                text(user.team_name),
                text(user.id),
                Value::Integer(now),
            ],
        )?;
        db::execute(
            db,
            "inserting owner membership",
            INSERT_OWNER_MEMBERSHIP,
            &[text(user.team_id), text(user.id), Value::Integer(now)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(user.team_id),
                user_id: Some(user.id),
                action: "user.register",
                target_type: "user",
                target_id: user.id,
                details: json!({ "email": user.email }),
                request_id,
            },
        )?;
        Ok(())
    })?;
    Ok((
        get_user(db, user.id)?,
        membership(db, user.team_id, user.id)?
            .ok_or_else(|| ApiError::internal("registered user has no membership"))?,
    ))
}

/// The id and password hash of the account with this (normalised) email.
pub fn credentials_by_email(
    db: &Connection,
    email: &str,
) -> Result<Option<(String, String)>, ApiError> {
    let result = db::execute(
        db,
        "selecting user by email",
        SELECT_CREDENTIALS_BY_EMAIL,
        &[text(email)],
    )?;
    result
        .rows
        .first()
        .map(|row| {
            Ok((
                db::text(row, 0, "users.id")?,
                db::text(row, 1, "users.password_hash")?,
            ))
        })
        .transpose()
}

/// A user by id (the caller's own row).
pub fn get_user(db: &Connection, user_id: &str) -> Result<User, ApiError> {
    let result = db::execute(db, "selecting user", SELECT_USER, &[text(user_id)])?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| ApiError::internal(format!("authenticated user {user_id} has no row")))?;
    User::try_from(row)
}

/// Renames the user, audited in the team they act for.
pub fn rename_user(
    db: &Connection,
    user_id: &str,
    team_id: &str,
    name: &str,
    request_id: &str,
) -> Result<User, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "renaming user",
            UPDATE_USER_NAME,
            &[text(name), Value::Integer(now), text(user_id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(team_id),
                user_id: Some(user_id),
                action: "user.update",
                target_type: "user",
                target_id: user_id,
                details: json!({ "fields": ["name"] }),
                request_id,
            },
        )
    })?;
    get_user(db, user_id)
}

/// The user's password hash.
pub fn password_hash(db: &Connection, user_id: &str) -> Result<String, ApiError> {
    let row = db::one_row(
        db,
        "selecting password hash",
        SELECT_PASSWORD_HASH,
        &[text(user_id)],
    )?;
    db::text(&row, 0, "users.password_hash")
}

/// Replaces the password hash and ends every other session of the user
/// (all of them but `keep_jti`), in one transaction; returns how many ended.
pub fn change_password(
    db: &Connection,
    user_id: &str,
    team_id: &str,
    new_hash: &str,
    keep_jti: Option<&str>,
    request_id: &str,
) -> Result<u64, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "changing password",
            UPDATE_PASSWORD,
            &[text(new_hash), Value::Integer(now), text(user_id)],
        )?;
        let ended = db::execute(
            db,
            "ending other sessions",
            REVOKE_OTHER_SESSIONS,
            &[
                Value::Integer(now),
                text(user_id),
                keep_jti.map_or(Value::Null, text),
            ],
        )?;
        let ended = u64::try_from(ended.rows.len()).unwrap_or(u64::MAX);
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(team_id),
                user_id: Some(user_id),
                action: "user.change_password",
                target_type: "user",
                target_id: user_id,
                details: json!({ "sessionsEnded": ended }),
                request_id,
            },
        )?;
        Ok(ended)
    })
}

/// The plan a team is on (`free`, `pro`, `team`).
pub fn team_plan(db: &Connection, team_id: &str) -> Result<String, ApiError> {
    let row = db::one_row(
        db,
        "selecting team plan",
        SELECT_TEAM_PLAN,
        &[text(team_id)],
    )?;
    db::text(&row, 0, "team_billing.plan")
}

/// The user's personal team.
pub fn personal_team(db: &Connection, user_id: &str) -> Result<TeamMembership, ApiError> {
    let result = db::execute(
        db,
        "selecting personal team",
        SELECT_PERSONAL_TEAM,
        &[text(user_id)],
    )?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| ApiError::internal(format!("user {user_id} has no personal team")))?;
    TeamMembership::try_from(row)
}

/// The user's membership of a team, `None` when they are not a member.
pub fn membership(
    db: &Connection,
    team_id: &str,
    user_id: &str,
) -> Result<Option<TeamMembership>, ApiError> {
    db::execute(
        db,
        "selecting membership",
        SELECT_MEMBERSHIP,
        &[text(team_id), text(user_id)],
    )?
    .rows
    .first()
    .map(TeamMembership::try_from)
    .transpose()
}

/// A session to record at login.
pub struct NewSession<'a> {
    pub jti: &'a str,
    pub user_id: &'a str,
    pub team_id: &'a str,
    pub expires_at_ms: i64,
    /// `session.login`, or `session.switch_team` for a session issued to
    /// an already signed-in user for another of their teams.
    pub action: &'static str,
}

/// Records a session and the login time, in one transaction.
pub fn start_session(
    db: &Connection,
    session: &NewSession<'_>,
    request_id: &str,
) -> Result<(), ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "inserting session",
            INSERT_SESSION,
            &[
                text(session.jti),
                text(session.user_id),
                text(session.team_id),
                Value::Integer(now),
                Value::Integer(session.expires_at_ms),
            ],
        )?;
        db::execute(
            db,
            "updating last login",
            UPDATE_LAST_LOGIN,
            &[Value::Integer(now), text(session.user_id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(session.team_id),
                user_id: Some(session.user_id),
                action: session.action,
                target_type: "session",
                target_id: session.jti,
                details: json!({ "expiresAt": session.expires_at_ms }),
                request_id,
            },
        )
    })
}

/// Revokes the caller's own session.
pub fn end_session(
    db: &Connection,
    jti: &str,
    user_id: &str,
    team_id: &str,
    request_id: &str,
) -> Result<(), ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "revoking session",
            REVOKE_SESSION,
            &[Value::Integer(now), text(jti), text(user_id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(team_id),
                user_id: Some(user_id),
                action: "session.logout",
                target_type: "session",
                target_id: jti,
                details: json!({}),
                request_id,
            },
        )
    })
}

/// An API key to store (its hash, never the key).
pub struct NewApiKey<'a> {
    pub id: &'a str,
    pub user_id: &'a str,
    pub team_id: &'a str,
    pub kind: &'a str,
    pub name: &'a str,
    pub key_prefix: &'a str,
    pub last_four: &'a str,
    pub key_hash: &'a str,
    pub scopes: &'a [String],
    /// When it stops authenticating; `None`: never.
    pub expires_at: Option<i64>,
}

/// Stores a new key and audits it, in one transaction.
pub fn create_api_key(
    db: &Connection,
    key: &NewApiKey<'_>,
    request_id: &str,
) -> Result<ApiKey, ApiError> {
    let now = edge::time::now_ms();
    let scopes_json = serde_json::to_string(key.scopes)
        .map_err(|e| ApiError::internal(format!("serializing scopes: {e}")))?;
    db::transaction(db, |db| {
        db::execute(
            db,
            "inserting api key",
            INSERT_API_KEY,
            &[
                text(key.id),
                text(key.user_id),
                text(key.team_id),
                text(key.kind),
                text(key.name),
                text(key.key_prefix),
                text(key.last_four),
                text(key.key_hash),
                Value::Text(scopes_json.clone()),
                Value::Integer(now),
            ],
        )?;
        if let Some(expires_at) = key.expires_at {
            db::execute(
                db,
                "inserting api key expiry",
                INSERT_API_KEY_EXPIRY,
                &[text(key.id), Value::Integer(expires_at)],
            )?;
        }
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(key.team_id),
                user_id: Some(key.user_id),
                action: "api_key.create",
                target_type: "api_key",
                target_id: key.id,
                details: json!({ "kind": key.kind, "name": key.name, "keyPrefix": key.key_prefix, "scopes": key.scopes, "expiresAt": key.expires_at }),
                request_id,
            },
        )
    })?;
    api_key(db, key.id)?.ok_or_else(|| ApiError::internal("api key vanished after insert"))
}

/// The user's keys in every team, newest first, revoked ones included.
pub fn api_keys_of_user(db: &Connection, user_id: &str) -> Result<Vec<ApiKey>, ApiError> {
    keys(db, SELECT_API_KEYS_OF_USER, &[text(user_id)])
}

/// The user's keys acting for one team.
pub fn api_keys_of_user_in_team(
    db: &Connection,
    user_id: &str,
    team_id: &str,
) -> Result<Vec<ApiKey>, ApiError> {
    keys(
        db,
        SELECT_API_KEYS_OF_USER_IN_TEAM,
        &[text(user_id), text(team_id)],
    )
}

/// Every member's keys acting for the team (for those who manage its keys).
pub fn api_keys_of_team(db: &Connection, team_id: &str) -> Result<Vec<ApiKey>, ApiError> {
    keys(db, SELECT_API_KEYS_OF_TEAM, &[text(team_id)])
}

fn keys(db: &Connection, sql: &str, params: &[Value]) -> Result<Vec<ApiKey>, ApiError> {
    db::execute(db, "selecting api keys", sql, params)?
        .rows
        .iter()
        .map(ApiKey::try_from)
        .collect()
}

/// One key by id, whoever's it is: callers decide who may see it.
pub fn api_key(db: &Connection, key_id: &str) -> Result<Option<ApiKey>, ApiError> {
    db::execute(db, "selecting api key", SELECT_API_KEY, &[text(key_id)])?
        .rows
        .first()
        .map(ApiKey::try_from)
        .transpose()
}

/// Revokes a key (at once: the identity provider refuses it from the next
/// request on), after `may_revoke` approved it inside the transaction.
/// Revoking a revoked key changes nothing. No key, or one `may_revoke`
/// refuses, is 404.
pub fn revoke_api_key(
    db: &Connection,
    key_id: &str,
    user_id: &str,
    request_id: &str,
    may_revoke: impl Fn(&Connection, &ApiKey) -> Result<bool, ApiError>,
) -> Result<ApiKey, ApiError> {
    let now = edge::time::now_ms();
    let not_found = || ApiError::not_found("api_key_not_found", "No API key with this id");
    db::transaction(db, |db| {
        let key = api_key(db, key_id)?.ok_or_else(not_found)?;
        if !may_revoke(db, &key)? {
            return Err(not_found());
        }
        if key.revoked_at.is_some() {
            return Ok(());
        }
        db::execute(
            db,
            "revoking api key",
            REVOKE_API_KEY,
            &[Value::Integer(now), text(key_id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(&key.team_id),
                user_id: Some(user_id),
                action: "api_key.revoke",
                target_type: "api_key",
                target_id: key_id,
                details: json!({ "kind": key.kind, "keyPrefix": key.key_prefix, "owner": key.user_id }),
                request_id,
            },
        )
    })?;
    api_key(db, key_id)?.ok_or_else(|| ApiError::internal("api key vanished after revoke"))
}
