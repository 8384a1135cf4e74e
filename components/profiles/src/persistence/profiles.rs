//! Profiles: list (filters, order, offset or keyset cursor), get, create,
//! update, delete, and the launch bookkeeping.

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection, Value};
use serde_json::json;

use super::{Actor, count, int, text};
use crate::domain::query::{
    Cursor, LIKE_ESCAPE, LockStatus, OrderBy, ProfileQuery, SortValue, like_contains,
};
use crate::models::Profile;

macro_rules! profile_columns {
    () => {
        "p.id, p.team_id, p.owner_id, p.name, p.group_id, p.tags, p.notes, p.template_id, \
         p.fingerprint_seed, p.fingerprint, p.proxy_id, p.proxy_scheme, p.proxy_host, p.proxy_port, \
         p.proxy_credentials, p.created_at, p.updated_at, p.last_active, p.launch_count, \
         l.client_id, l.user_id, l.acquired_at, l.expires_at, g.name"
    };
}
macro_rules! profile_from {
    () => {
        " FROM profiles p LEFT JOIN profile_locks l ON l.profile_id = p.id AND l.team_id = p.team_id \
         LEFT JOIN profile_groups g ON g.id = p.group_id AND g.team_id = p.team_id"
    };
}

const SELECT_PROFILE: &str = concat!(
    "SELECT ",
    profile_columns!(),
    profile_from!(),
    " WHERE p.id = ? AND p.team_id = ?"
);
/// The list's fixed head; filters, cursor and order are appended from
/// fixed fragments (never client text).
const LIST_HEAD: &str = concat!("SELECT ", profile_columns!(), profile_from!());
const COUNT_HEAD: &str = concat!("SELECT COUNT(*)", profile_from!());
const FILTER_TEAM: &str = " WHERE p.team_id = ?";
const FILTER_GROUP: &str = " AND p.group_id = ?";
const FILTER_SEARCH: &str = " AND (p.name LIKE ? ESCAPE '\\' \
     OR EXISTS (SELECT 1 FROM json_each(p.tags) j WHERE j.value LIKE ? ESCAPE '\\'))";
const FILTER_TAG: &str =
    " AND EXISTS (SELECT 1 FROM json_each(p.tags) j WHERE j.value = ? COLLATE NOCASE)";
const FILTER_UPDATED_SINCE: &str = " AND p.updated_at >= ?";
/// `?status=`: a live lock (in use), or none (available). ? now.
const FILTER_IN_USE: &str = " AND l.expires_at > ?";
const FILTER_AVAILABLE: &str = " AND (l.expires_at IS NULL OR l.expires_at <= ?)";
const SELECT_DELETED_SINCE: &str = "\
    SELECT profile_id FROM profile_tombstones WHERE team_id = ? AND deleted_at >= ? \
    ORDER BY deleted_at, profile_id LIMIT 1000";

const COUNT_TEAM_PROFILES: &str = "SELECT COUNT(*) FROM profiles WHERE team_id = ?";
const SELECT_GROUP_EXISTS: &str =
    "SELECT COUNT(*) FROM profile_groups WHERE id = ? AND team_id = ?";
const SELECT_PROXY_EXISTS: &str = "SELECT COUNT(*) FROM proxies WHERE id = ? AND team_id = ?";
const INSERT_PROFILE: &str = "\
    INSERT INTO profiles (id, team_id, owner_id, name, group_id, tags, notes, template_id, fingerprint_seed, \
        fingerprint, proxy_id, proxy_scheme, proxy_host, proxy_port, proxy_credentials, created_at, updated_at, \
        last_active, launch_count) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)";
const UPDATE_PROFILE: &str = "\
    UPDATE profiles SET name = ?, group_id = ?, tags = ?, notes = ?, fingerprint = ?, proxy_id = ?, \
        proxy_scheme = ?, proxy_host = ?, proxy_port = ?, proxy_credentials = ?, updated_at = ? \
    WHERE id = ? AND team_id = ?";
const UPDATE_FINGERPRINT: &str = "\
    UPDATE profiles SET fingerprint_seed = ?, fingerprint = ?, updated_at = ? WHERE id = ? AND team_id = ?";
const DELETE_PROFILE: &str = "DELETE FROM profiles WHERE id = ? AND team_id = ?";
const DELETE_PROFILE_LOCK: &str = "DELETE FROM profile_locks WHERE profile_id = ? AND team_id = ?";
const INSERT_TOMBSTONE: &str = "\
    INSERT OR REPLACE INTO profile_tombstones (profile_id, team_id, deleted_at) VALUES (?, ?, ?)";
const RECORD_LAUNCH: &str = "\
    UPDATE profiles SET last_active = ?, launch_count = launch_count + 1 WHERE id = ? AND team_id = ?";
const SELECT_TAGS: &str = "\
    SELECT j.value, COUNT(*) FROM profiles p, json_each(p.tags) j WHERE p.team_id = ? \
    GROUP BY j.value ORDER BY COUNT(*) DESC, j.value LIMIT ? OFFSET ?";
const COUNT_TAGS: &str = "\
    SELECT COUNT(DISTINCT j.value) FROM profiles p, json_each(p.tags) j WHERE p.team_id = ?";

/// A page of the list.
pub struct ProfilePage {
    pub profiles: Vec<Profile>,
    pub total: i64,
    pub next_cursor: Option<String>,
    /// Ids deleted since `updated_since` (only when it was given).
    pub deleted: Option<Vec<String>>,
}

/// The team's profiles matching `q`. `total` counts every match (ignoring
/// the page and cursor); `next_cursor` continues after this page.
pub fn list(db: &Connection, team_id: &str, q: &ProfileQuery) -> Result<ProfilePage, ApiError> {
    let mut filters = String::from(FILTER_TEAM);
    let mut params = vec![text(team_id)];
    if let Some(group) = &q.group_id {
        filters.push_str(FILTER_GROUP);
        params.push(text(group));
    }
    if let Some(search) = &q.search {
        debug_assert_eq!(LIKE_ESCAPE, '\\');
        let pattern = like_contains(search);
        filters.push_str(FILTER_SEARCH);
        params.push(text(&pattern));
        params.push(text(&pattern));
    }
    if let Some(tag) = &q.tag {
        filters.push_str(FILTER_TAG);
        params.push(text(tag));
    }
    if let Some(since) = q.updated_since {
        filters.push_str(FILTER_UPDATED_SINCE);
        params.push(int(since));
    }
    if let Some(status) = q.status {
        filters.push_str(match status {
            LockStatus::InUse => FILTER_IN_USE,
            LockStatus::Available => FILTER_AVAILABLE,
        });
        params.push(int(edge::time::now_ms()));
    }
    let total = count(
        db,
        "counting profiles",
        &format!("{COUNT_HEAD}{filters}"),
        &params,
    )?;

    let column = q.order_by.column();
    let dir = q.order.sql();
    let after = q.order.after();
    let mut sql = format!("{LIST_HEAD}{filters}");
    if let Some(cursor) = &q.cursor {
        sql.push_str(&format!(
            " AND ({column} {after} ? OR ({column} = ? AND p.id {after} ?))"
        ));
        let value = match &cursor.value {
            SortValue::Int(n) => Value::Integer(*n),
            SortValue::Text(s) => text(s),
        };
        params.push(value.clone());
        params.push(value);
        params.push(text(&cursor.id));
    }
    sql.push_str(&format!(
        " ORDER BY {column} {dir}, p.id {dir} LIMIT ? OFFSET ?"
    ));
    params.push(int(q.page.limit + 1));
    params.push(int(q.page.offset));
    let result = db::execute(db, "listing profiles", &sql, &params)?;
    let mut profiles = result
        .rows
        .iter()
        .map(Profile::try_from)
        .collect::<Result<Vec<_>, _>>()?;
    let has_more = profiles.len() > q.page.limit as usize;
    profiles.truncate(q.page.limit as usize);
    let next_cursor = match profiles.last() {
        Some(last) if has_more => Some(
            Cursor::new(
                q.order_by,
                q.order,
                match q.order_by {
                    OrderBy::Name => SortValue::Text(last.name.clone()),
                    OrderBy::LastActive => SortValue::Int(last.last_active),
                    OrderBy::CreatedAt => SortValue::Int(last.created_at),
                    OrderBy::UpdatedAt => SortValue::Int(last.updated_at),
                },
                last.id.clone(),
            )
            .encode(),
        ),
        _ => None,
    };
    let deleted = match q.updated_since {
        None => None,
        Some(since) => {
            let rows = db::execute(
                db,
                "selecting deleted profiles",
                SELECT_DELETED_SINCE,
                &[text(team_id), int(since)],
            )?;
            Some(
                rows.rows
                    .iter()
                    .map(|r| db::text(r, 0, "profile_tombstones.profile_id"))
                    .collect::<Result<Vec<_>, _>>()?,
            )
        }
    };
    Ok(ProfilePage {
        profiles,
        total,
        next_cursor,
        deleted,
    })
}

/// One of the team's profiles.
pub fn get(db: &Connection, team_id: &str, id: &str) -> Result<Option<Profile>, ApiError> {
    let result = db::execute(
        db,
        "selecting profile",
        SELECT_PROFILE,
        &[text(id), text(team_id)],
    )?;
    result.rows.first().map(Profile::try_from).transpose()
}

/// The team's profile or 404.
pub fn require(db: &Connection, team_id: &str, id: &str) -> Result<Profile, ApiError> {
    get(db, team_id, id)?.ok_or_else(not_found)
}

pub fn not_found() -> ApiError {
    ApiError::not_found("profile_not_found", "No profile with this id")
}

/// The columns a create or update writes.
#[derive(Debug, Clone)]
pub struct ProfileFields {
    pub name: String,
    pub group_id: Option<String>,
    pub tags: Vec<String>,
    pub notes: String,
    pub fingerprint_json: String,
    pub proxy_id: Option<String>,
    pub own_proxy: Option<OwnProxyFields>,
}

/// The own-proxy columns, credentials already sealed.
#[derive(Debug, Clone)]
pub struct OwnProxyFields {
    pub scheme: String,
    pub host: String,
    pub port: u16,
    pub sealed_credentials: Option<String>,
}

/// 422 unless the group and the proxy (when given) are the team's.
pub(crate) fn check_references(
    db: &Connection,
    team_id: &str,
    group_id: Option<&str>,
    proxy_id: Option<&str>,
) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    if let Some(g) = group_id
        && count(
            db,
            "checking group",
            SELECT_GROUP_EXISTS,
            &[text(g), text(team_id)],
        )? == 0
    {
        errors.push(edge::FieldError::new(
            "groupId",
            format!("no group {g:?} in this team"),
        ));
    }
    if let Some(p) = proxy_id
        && count(
            db,
            "checking proxy",
            SELECT_PROXY_EXISTS,
            &[text(p), text(team_id)],
        )? == 0
    {
        errors.push(edge::FieldError::new(
            "proxyId",
            format!("no proxy {p:?} in this team"),
        ));
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

fn own_proxy_values(p: Option<&OwnProxyFields>) -> [Value; 4] {
    match p {
        None => [Value::Null, Value::Null, Value::Null, Value::Null],
        Some(p) => [
            text(&p.scheme),
            text(&p.host),
            int(p.port),
            db::nullable_text(p.sealed_credentials.as_deref()),
        ],
    }
}

/// A profile to create.
pub struct NewProfile<'a> {
    pub id: &'a str,
    pub template_id: &'a str,
    pub fingerprint_seed: &'a str,
    pub fields: ProfileFields,
}

/// Creates the profile (409 `profile_limit_reached` over
/// `max_profiles_per_team`, the deployment's ceiling, and 409
/// `plan_limit_reached` over the team's plan; 422 for a group or proxy that
/// is not the team's) and audits `profile.create`.
pub fn create(
    db: &Connection,
    actor: Actor<'_>,
    new: &NewProfile<'_>,
    max_profiles: u32,
) -> Result<Profile, ApiError> {
    let now = edge::time::now_ms();
    let f = &new.fields;
    db::transaction(db, |db| {
        check_references(
            db,
            actor.team_id,
            f.group_id.as_deref(),
            f.proxy_id.as_deref(),
        )?;
        let existing = count(
            db,
            "counting team profiles",
            COUNT_TEAM_PROFILES,
            &[text(actor.team_id)],
        )?;
        if existing >= i64::from(max_profiles) {
            return Err(ApiError::conflict(
                "profile_limit_reached",
                format!("This team already has the most profiles allowed ({max_profiles})"),
            ));
        }
        // The team's billing plan (crates/plans): 409 plan_limit_reached.
        plans::store::check(db, actor.team_id, plans::Limit::Profiles, existing)?;
        let [scheme, host, port, creds] = own_proxy_values(f.own_proxy.as_ref());
        db::execute(
            db,
            "inserting profile",
            INSERT_PROFILE,
            &[
                text(new.id),
                text(actor.team_id),
                text(actor.user_id),
                text(&f.name),
                db::nullable_text(f.group_id.as_deref()),
                text(&serde_json::to_string(&f.tags).map_err(ApiError::internal)?),
                text(&f.notes),
                text(new.template_id),
                text(new.fingerprint_seed),
                text(&f.fingerprint_json),
                db::nullable_text(f.proxy_id.as_deref()),
                scheme,
                host,
                port,
                creds,
                int(now),
                int(now),
                int(now),
            ],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(actor.team_id),
                user_id: Some(actor.user_id),
                action: "profile.create",
                target_type: "profile",
                target_id: new.id,
                details: json!({ "name": f.name, "templateId": new.template_id }),
                request_id: actor.request_id,
            },
        )
    })?;
    require(db, actor.team_id, new.id)
}

/// 409 when another client than `client_id` holds a live lock on `p`.
fn refuse_if_locked(p: &Profile, client_id: Option<&str>, now: i64) -> Result<(), ApiError> {
    match &p.lock {
        Some(lock) if lock.is_live(now) && Some(lock.client_id.as_str()) != client_id => {
            Err(ApiError::conflict(
                "profile_locked",
                format!(
                    "The profile is in use: held by client {:?} of user {} since {}, expires at {} unless renewed",
                    lock.client_id,
                    lock.user_id.as_deref().unwrap_or("?"),
                    edge::time::iso8601_ms(lock.acquired_at.unwrap_or_default()),
                    edge::time::iso8601_ms(lock.expires_at),
                ),
            ))
        }
        _ => Ok(()),
    }
}

/// Gives the profile a new fingerprint seed and the fingerprint `build`
/// derives from it (with the current one at hand), unless another client
/// holds it (409), in one write transaction audited as
/// `profile.regenerate_fingerprint`.
pub fn regenerate_fingerprint(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    client_id: Option<&str>,
    seed: &str,
    build: impl FnOnce(&Profile) -> Result<String, ApiError>,
) -> Result<Profile, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = require(db, actor.team_id, id)?;
        refuse_if_locked(&current, client_id, now)?;
        let fingerprint_json = build(&current)?;
        db::execute(
            db,
            "regenerating fingerprint",
            UPDATE_FINGERPRINT,
            &[
                text(seed),
                text(&fingerprint_json),
                int(now.max(current.updated_at + 1)),
                text(id),
                text(actor.team_id),
            ],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(actor.team_id),
                user_id: Some(actor.user_id),
                action: "profile.regenerate_fingerprint",
                target_type: "profile",
                target_id: id,
                details: json!({ "previousSeed": current.fingerprint_seed }),
                request_id: actor.request_id,
            },
        )?;
        require(db, actor.team_id, id)
    })
}

/// Updates the profile with `build(current)`'s fields, unless another
/// client holds it (409), all in one write transaction; audits
/// `profile.update` with the changed field names.
pub fn update(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    client_id: Option<&str>,
    changed: &[&str],
    build: impl FnOnce(&Profile) -> Result<ProfileFields, ApiError>,
) -> Result<Profile, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = require(db, actor.team_id, id)?;
        refuse_if_locked(&current, client_id, now)?;
        let f = build(&current)?;
        check_references(
            db,
            actor.team_id,
            f.group_id.as_deref(),
            f.proxy_id.as_deref(),
        )?;
        let [scheme, host, port, creds] = own_proxy_values(f.own_proxy.as_ref());
        db::execute(
            db,
            "updating profile",
            UPDATE_PROFILE,
            &[
                text(&f.name),
                db::nullable_text(f.group_id.as_deref()),
                text(&serde_json::to_string(&f.tags).map_err(ApiError::internal)?),
                text(&f.notes),
                text(&f.fingerprint_json),
                db::nullable_text(f.proxy_id.as_deref()),
                scheme,
                host,
                port,
                creds,
                int(now.max(current.updated_at + 1)),
                text(id),
                text(actor.team_id),
            ],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(actor.team_id),
                user_id: Some(actor.user_id),
                action: "profile.update",
                target_type: "profile",
                target_id: id,
                details: json!({ "fields": changed }),
                request_id: actor.request_id,
            },
        )
    })?;
    require(db, actor.team_id, id)
}

/// Deletes the profile, its lock row, leaves a tombstone for desktop caches
/// and audits `profile.delete`; 409 while another client holds it.
///
/// Session data (cookies, localStorage) belongs to the sync component, which
/// is not built yet; when it lands, its rows for this profile are deleted in
/// this same transaction.
pub fn delete(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    client_id: Option<&str>,
) -> Result<Profile, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = require(db, actor.team_id, id)?;
        refuse_if_locked(&current, client_id, now)?;
        db::execute(
            db,
            "deleting profile lock",
            DELETE_PROFILE_LOCK,
            &[text(id), text(actor.team_id)],
        )?;
        // Every session version goes with it; their blobs are queued and
        // collected after the commit (components/sync, crates/sessions).
        sessions::store::delete_profile(db, actor.team_id, id, now)?;
        db::execute(
            db,
            "deleting profile",
            DELETE_PROFILE,
            &[text(id), text(actor.team_id)],
        )?;
        db::execute(
            db,
            "inserting tombstone",
            INSERT_TOMBSTONE,
            &[text(id), text(actor.team_id), int(now)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(actor.team_id),
                user_id: Some(actor.user_id),
                action: "profile.delete",
                target_type: "profile",
                target_id: id,
                details: json!({ "name": current.name }),
                request_id: actor.request_id,
            },
        )?;
        Ok(current)
    })
}

/// Counts a launch on the profile (`last_active`, `launch_count`). The lock,
/// its audit entry and its webhook events were written by the lock
/// provider in one transaction; this is bookkeeping only.
pub fn record_launch(db: &Connection, team_id: &str, id: &str) -> Result<(), ApiError> {
    db::execute(
        db,
        "recording launch",
        RECORD_LAUNCH,
        &[int(edge::time::now_ms()), text(id), text(team_id)],
    )?;
    Ok(())
}

/// The team's tags with how many profiles carry each, most used first.
pub fn tags(
    db: &Connection,
    team_id: &str,
    limit: u32,
    offset: u32,
) -> Result<(Vec<(String, i64)>, i64), ApiError> {
    let result = db::execute(
        db,
        "selecting tags",
        SELECT_TAGS,
        &[text(team_id), int(limit), int(offset)],
    )?;
    let tags = result
        .rows
        .iter()
        .map(|r| Ok((db::text(r, 0, "tag")?, db::int(r, 1, "count")?)))
        .collect::<Result<Vec<_>, ApiError>>()?;
    let total = count(db, "counting tags", COUNT_TAGS, &[text(team_id)])?;
    Ok((tags, total))
}
