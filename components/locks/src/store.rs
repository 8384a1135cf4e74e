//! Every SQL statement of the provider, as named constants, and the
//! functions that run them on the table `profile_locks`
//! (migrations/0002_profiles.sql). Each lock change is one statement, or one
//! transaction when it writes an audit entry too.
//!
//! A lock row is created by the first acquire of a profile and kept after
//! release (with no holder), so the fencing token never goes back; the
//! `profiles` component deletes it with the profile. Every statement names
//! the team and checks that the profile exists in it.

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection, RowResult, Value};
use serde_json::json;

use crate::config;
use crate::events;
use crate::locks::{ActiveLocks, Actor, Holder, Lease, LockError, Role};
use crate::rules::{self, LockState};

/// The acquire: one statement that inserts the lock row on a profile's
/// first launch, and otherwise updates it only when the lock is free, held
/// by this client, or stale. SQLite evaluates every `SET` expression on the
/// old row, so the `CASE`s see the previous holder. The `INSERT … SELECT`
/// needs its `WHERE` for SQLite to parse `ON CONFLICT`; it also makes a
/// profile of another team (or none) insert nothing.
///
/// ?1 profile, ?2 team, ?3 client, ?4 user, ?5 now, ?6 now + ttl.
const ACQUIRE: &str = "\
    INSERT INTO profile_locks (profile_id, team_id, client_id, user_id, token, acquired_at, heartbeat_at, expires_at) \
    SELECT p.id, p.team_id, ?3, ?4, 1, ?5, ?5, ?6 FROM profiles p WHERE p.id = ?1 AND p.team_id = ?2 \
    ON CONFLICT (profile_id) DO UPDATE SET \
        token = CASE WHEN profile_locks.client_id = excluded.client_id AND profile_locks.expires_at > excluded.heartbeat_at \
                     THEN profile_locks.token ELSE profile_locks.token + 1 END, \
        acquired_at = CASE WHEN profile_locks.client_id = excluded.client_id AND profile_locks.expires_at > excluded.heartbeat_at \
                     THEN profile_locks.acquired_at ELSE excluded.acquired_at END, \
        client_id = excluded.client_id, \
        user_id = excluded.user_id, \
        heartbeat_at = excluded.heartbeat_at, \
        expires_at = excluded.expires_at \
    WHERE profile_locks.team_id = excluded.team_id \
      AND (profile_locks.client_id IS NULL \
           OR profile_locks.client_id = excluded.client_id \
           OR profile_locks.expires_at <= excluded.heartbeat_at) \
    RETURNING token, acquired_at, expires_at";

/// The heartbeat: extends the lock of the holder presenting its client id
/// and token (a NULL token: the client id alone, for the /api/v1 clients).
/// ?1 profile, ?2 team, ?3 client, ?4 token, ?5 now, ?6 now + ttl.
const HEARTBEAT: &str = "\
    UPDATE profile_locks SET heartbeat_at = ?5, expires_at = ?6 \
    WHERE profile_id = ?1 AND team_id = ?2 AND client_id = ?3 AND (?4 IS NULL OR token = ?4) \
      AND EXISTS (SELECT 1 FROM profiles p WHERE p.id = ?1 AND p.team_id = ?2) \
    RETURNING token, acquired_at, expires_at";

/// The release: the holder gives the lock up; the token stays.
/// ?1 profile, ?2 team, ?3 client, ?4 token (NULL: the client id alone).
const RELEASE: &str = "\
    UPDATE profile_locks SET client_id = NULL, user_id = NULL, acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL \
    WHERE profile_id = ?1 AND team_id = ?2 AND client_id = ?3 AND (?4 IS NULL OR token = ?4) \
      AND EXISTS (SELECT 1 FROM profiles p WHERE p.id = ?1 AND p.team_id = ?2) \
    RETURNING token";

/// Force release, inside the transaction that read the holder: only that
/// holder's lock is cleared. ?1 profile, ?2 team, ?3 client, ?4 token.
const FORCE_RELEASE: &str = "\
    UPDATE profile_locks SET client_id = NULL, user_id = NULL, acquired_at = NULL, heartbeat_at = NULL, expires_at = NULL \
    WHERE profile_id = ?1 AND team_id = ?2 AND client_id = ?3 AND token = ?4";

/// A profile of the team with its lock row, if any (one row, or none when
/// the profile is not the team's). ?1 profile, ?2 team.
const SELECT_LOCK: &str = "\
    SELECT l.client_id, l.user_id, u.name, l.token, l.acquired_at, l.heartbeat_at, l.expires_at \
    FROM profiles p \
    LEFT JOIN profile_locks l ON l.profile_id = p.id AND l.team_id = p.team_id \
    LEFT JOIN users u ON u.id = l.user_id \
    WHERE p.id = ?1 AND p.team_id = ?2";

/// The team's live locks, oldest first. ?1 team, ?2 now, ?3 limit, ?4 offset.
const SELECT_ACTIVE: &str = "\
    SELECT l.profile_id, l.client_id, l.user_id, u.name, l.acquired_at, l.heartbeat_at, l.expires_at \
    FROM profile_locks l \
    JOIN profiles p ON p.id = l.profile_id AND p.team_id = l.team_id \
    LEFT JOIN users u ON u.id = l.user_id \
    WHERE l.team_id = ?1 AND l.client_id IS NOT NULL AND l.expires_at > ?2 \
    ORDER BY l.acquired_at, l.profile_id LIMIT ?3 OFFSET ?4";

/// How many live locks the team has. ?1 team, ?2 now.
const COUNT_ACTIVE: &str = "\
    SELECT COUNT(*) FROM profile_locks l \
    JOIN profiles p ON p.id = l.profile_id AND p.team_id = l.team_id \
    WHERE l.team_id = ?1 AND l.client_id IS NOT NULL AND l.expires_at > ?2";

/// A profile's lock as read by [`SELECT_LOCK`].
struct Row {
    state: Option<LockState>,
    user_id: Option<String>,
    user_name: Option<String>,
    acquired_at: Option<i64>,
    heartbeat_at: Option<i64>,
}

impl Row {
    /// Another client's lock that went stale by `now`: what an acquire by
    /// `client_id` takes over.
    fn stale_holder(&self, profile_id: &str, client_id: &str, now: i64) -> Option<Holder> {
        let state = self.state.as_ref()?;
        let holder = state.client_id.as_deref()?;
        let expires_at = state.expires_at?;
        (holder != client_id && expires_at <= now).then(|| Holder {
            profile_id: profile_id.to_owned(),
            client_id: holder.to_owned(),
            user_id: self.user_id.clone().unwrap_or_default(),
            user_name: self.user_name.clone(),
            since: self.acquired_at.unwrap_or_default(),
            heartbeat_at: self.heartbeat_at.unwrap_or_default(),
            expires_at,
        })
    }

    /// The live holder, as others see it.
    fn holder(&self, profile_id: &str, now: i64) -> Option<Holder> {
        let state = self.state.as_ref()?;
        let client_id = state.live_holder(now)?;
        Some(Holder {
            profile_id: profile_id.to_owned(),
            client_id: client_id.to_owned(),
            user_id: self.user_id.clone().unwrap_or_default(),
            user_name: self.user_name.clone(),
            since: self.acquired_at.unwrap_or_default(),
            heartbeat_at: self.heartbeat_at.unwrap_or_default(),
            expires_at: state.expires_at.unwrap_or_default(),
        })
    }
}

fn internal(e: impl std::fmt::Display) -> LockError {
    LockError::Internal(e.to_string())
}

fn from_api(e: ApiError) -> LockError {
    match e {
        ApiError::Internal(detail) => LockError::Internal(detail),
        other => LockError::Internal(format!("{other:?}")),
    }
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn open() -> Result<Connection, LockError> {
    Connection::open_default().map_err(|e| internal(format!("opening database: {e}")))
}

fn opt_token_value(token: Option<u64>) -> Result<Value, LockError> {
    token.map_or(Ok(Value::Null), token_value)
}

fn token_value(token: u64) -> Result<Value, LockError> {
    i64::try_from(token)
        .map(Value::Integer)
        .map_err(|_| LockError::Invalid("the lock token is out of range".into()))
}

fn check_client(client_id: &str) -> Result<(), LockError> {
    rules::check_client_id(client_id).map_err(LockError::Invalid)
}

/// Reads the profile's lock; `NotFound` when the profile is not the team's.
fn read(db: &Connection, profile_id: &str, team_id: &str) -> Result<Row, LockError> {
    let result = db::execute(
        db,
        "selecting lock",
        SELECT_LOCK,
        &[text(profile_id), text(team_id)],
    )
    .map_err(internal)?;
    let row = result.rows.first().ok_or(LockError::NotFound)?;
    let token = db::opt_int(row, 3, "profile_locks.token").map_err(from_api)?;
    let state = match token {
        None => None,
        Some(token) => Some(LockState {
            client_id: db::opt_text(row, 0, "profile_locks.client_id").map_err(from_api)?,
            token: u64::try_from(token).map_err(internal)?,
            expires_at: db::opt_int(row, 6, "profile_locks.expires_at").map_err(from_api)?,
        }),
    };
    Ok(Row {
        state,
        user_id: db::opt_text(row, 1, "profile_locks.user_id").map_err(from_api)?,
        user_name: db::opt_text(row, 2, "users.name").map_err(from_api)?,
        acquired_at: db::opt_int(row, 4, "profile_locks.acquired_at").map_err(from_api)?,
        heartbeat_at: db::opt_int(row, 5, "profile_locks.heartbeat_at").map_err(from_api)?,
    })
}

/// The lease from a `RETURNING token, acquired_at, expires_at` row.
fn lease(
    row: &RowResult,
    profile_id: &str,
    client_id: &str,
    now: i64,
    ttl: i64,
) -> Result<Lease, LockError> {
    let token = db::int(row, 0, "token").map_err(from_api)?;
    let acquired_at = db::int(row, 1, "acquired_at").map_err(from_api)?;
    Ok(Lease {
        profile_id: profile_id.to_owned(),
        client_id: client_id.to_owned(),
        token: u64::try_from(token).map_err(internal)?,
        acquired_at,
        expires_at: db::int(row, 2, "expires_at").map_err(from_api)?,
        heartbeat_interval_ms: rules::heartbeat_interval_ms(ttl),
        // The statement keeps `acquired_at` for a live holder relaunching and sets it to
        // `now` for a new holder, so an older acquisition means a renewal (to the millisecond:
        // a relaunch in the very millisecond of the first launch reads as a new acquisition).
        renewed: acquired_at < now,
        replaced: None,
        deliveries: Vec::new(),
    })
}

/// `acquire`: see [`ACQUIRE`]. The lock row is read first, in the same
/// write transaction (`BEGIN IMMEDIATE`) as the statement, so what was read
/// is what the statement decided on: when it changes nothing, the profile is
/// not the team's (404) or someone else holds a live lock (409 naming them);
/// when it takes over a stale lock of another client, the lease names that
/// holder (`replaced`).
pub fn acquire(actor: &Actor, profile_id: &str, client_id: &str) -> Result<Lease, LockError> {
    check_client(client_id)?;
    let ttl = config::ttl_ms().map_err(LockError::Internal)?;
    let db = open()?;
    let mut outcome: Result<Lease, LockError> = Err(LockError::NotFound);
    db::transaction(&db, |db| {
        let now = edge::time::now_ms();
        let before = match read(db, profile_id, &actor.team_id) {
            Ok(row) => row,
            Err(e) => {
                outcome = Err(e);
                return Ok(());
            }
        };
        let result = db::execute(
            db,
            "acquiring lock",
            ACQUIRE,
            &[
                text(profile_id),
                text(&actor.team_id),
                text(client_id),
                text(&actor.user_id),
                Value::Integer(now),
                Value::Integer(now + ttl),
            ],
        )?;
        outcome = match result.rows.first() {
            Some(row) => match lease(row, profile_id, client_id, now, ttl) {
                Ok(mut l) => {
                    l.replaced = before.stale_holder(profile_id, client_id, now);
                    l.deliveries = events::launched(db, actor, &l)?;
                    Ok(l)
                }
                Err(e) => Err(e),
            },
            None => Err(match before.holder(profile_id, now) {
                Some(holder) => LockError::Held(holder),
                None => internal(format!(
                    "acquire of profile {profile_id} changed nothing, yet it had no live holder"
                )),
            }),
        };
        Ok(())
    })
    .map_err(from_api)?;
    outcome
}

/// `heartbeat`: see [`HEARTBEAT`].
pub fn heartbeat(
    actor: &Actor,
    profile_id: &str,
    client_id: &str,
    token: Option<u64>,
) -> Result<Lease, LockError> {
    check_client(client_id)?;
    let ttl = config::ttl_ms().map_err(LockError::Internal)?;
    let db = open()?;
    let now = edge::time::now_ms();
    let result = db::execute(
        &db,
        "extending lock",
        HEARTBEAT,
        &[
            text(profile_id),
            text(&actor.team_id),
            text(client_id),
            opt_token_value(token)?,
            Value::Integer(now),
            Value::Integer(now + ttl),
        ],
    )
    .map_err(internal)?;
    match result.rows.first() {
        Some(row) => lease(row, profile_id, client_id, now, ttl),
        None => Err(refusal(&db, actor, profile_id)?),
    }
}

/// `release`: see [`RELEASE`].
pub fn release(
    actor: &Actor,
    profile_id: &str,
    client_id: &str,
    token: Option<u64>,
) -> Result<Vec<String>, LockError> {
    check_client(client_id)?;
    let token_param = opt_token_value(token)?;
    let db = open()?;
    let mut deliveries = None;
    db::transaction(&db, |db| {
        let result = db::execute(
            db,
            "releasing lock",
            RELEASE,
            &[
                text(profile_id),
                text(&actor.team_id),
                text(client_id),
                token_param.clone(),
            ],
        )?;
        if let Some(row) = result.rows.first() {
            let released = db::int(row, 0, "token")?;
            deliveries = Some(events::released(
                db, actor, profile_id, client_id, released,
            )?);
        }
        Ok(())
    })
    .map_err(from_api)?;
    match deliveries {
        Some(deliveries) => Ok(deliveries),
        None => Err(refusal(&db, actor, profile_id)?),
    }
}

/// Why a heartbeat or release changed nothing: the profile is not the
/// team's, or the caller is not the holder (naming the live holder).
fn refusal(db: &Connection, actor: &Actor, profile_id: &str) -> Result<LockError, LockError> {
    let current = read(db, profile_id, &actor.team_id)?;
    Ok(LockError::NotHolder(
        current.holder(profile_id, edge::time::now_ms()),
    ))
}

/// `force-release`: owners and admins only; reads the live holder, clears
/// that holder's lock and writes `lock.force_release` in one transaction.
pub fn force_release(actor: &Actor, profile_id: &str) -> Result<Holder, LockError> {
    if !rules::may_force_release(role(actor.role)) {
        return Err(LockError::Forbidden(
            "Only team owners and admins can force-release a lock".into(),
        ));
    }
    let db = open()?;
    let mut outcome: Result<Holder, LockError> = Err(LockError::NotLocked);
    db::transaction(&db, |db| {
        let current = match read(db, profile_id, &actor.team_id) {
            Ok(row) => row,
            Err(e) => {
                outcome = Err(e);
                return Ok(());
            }
        };
        let now = edge::time::now_ms();
        let (Some(holder), Some(state)) = (current.holder(profile_id, now), current.state.as_ref())
        else {
            outcome = Err(LockError::NotLocked);
            return Ok(());
        };
        let token = i64::try_from(state.token)
            .map_err(|_| ApiError::internal("stored lock token out of range"))?;
        db::execute(
            db,
            "force-releasing lock",
            FORCE_RELEASE,
            &[
                text(profile_id),
                text(&actor.team_id),
                text(&holder.client_id),
                Value::Integer(token),
            ],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(&actor.team_id),
                user_id: Some(&actor.user_id),
                action: "lock.force_release",
                target_type: "profile",
                target_id: profile_id,
                details: json!({
                    "clientId": holder.client_id,
                    "holderUserId": holder.user_id,
                    "token": state.token,
                    "since": holder.since,
                    "expiresAt": holder.expires_at,
                }),
                request_id: &actor.request_id,
            },
        )?;
        outcome = Ok(holder);
        Ok(())
    })
    .map_err(from_api)?;
    outcome
}

/// `active`: a page of the team's live locks and their count.
pub fn active(team_id: &str, limit: u32, offset: u32) -> Result<ActiveLocks, LockError> {
    let db = open()?;
    let now = edge::time::now_ms();
    let result = db::execute(
        &db,
        "selecting active locks",
        SELECT_ACTIVE,
        &[
            text(team_id),
            Value::Integer(now),
            Value::Integer(i64::from(limit.min(1000))),
            Value::Integer(i64::from(offset)),
        ],
    )
    .map_err(internal)?;
    let locks = result
        .rows
        .iter()
        .map(|row| {
            Ok(Holder {
                profile_id: db::text(row, 0, "profile_locks.profile_id")?,
                client_id: db::text(row, 1, "profile_locks.client_id")?,
                user_id: db::opt_text(row, 2, "profile_locks.user_id")?.unwrap_or_default(),
                user_name: db::opt_text(row, 3, "users.name")?,
                since: db::opt_int(row, 4, "profile_locks.acquired_at")?.unwrap_or_default(),
                heartbeat_at: db::opt_int(row, 5, "profile_locks.heartbeat_at")?
                    .unwrap_or_default(),
                expires_at: db::int(row, 6, "profile_locks.expires_at")?,
            })
        })
        .collect::<Result<Vec<_>, ApiError>>()
        .map_err(from_api)?;
    let count = db::execute(
        &db,
        "counting active locks",
        COUNT_ACTIVE,
        &[text(team_id), Value::Integer(now)],
    )
    .map_err(internal)?;
    let total = count
        .rows
        .first()
        .map(|r| db::int(r, 0, "count"))
        .transpose()
        .map_err(from_api)?
        .unwrap_or(0);
    Ok(ActiveLocks {
        locks,
        total: u32::try_from(total).unwrap_or(u32::MAX),
    })
}

fn role(role: Role) -> roles::Role {
    match role {
        Role::Owner => roles::Role::Owner,
        Role::Admin => roles::Role::Admin,
        Role::Member => roles::Role::Member,
        Role::Viewer => roles::Role::Viewer,
    }
}
