//! Profile groups: list, get, create, rename/recolour, delete (its profiles
//! become ungrouped).

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection};
use serde_json::json;

use super::{Actor, count, int, text};
use crate::models::Group;

macro_rules! group_columns {
    () => {
        "g.id, g.name, g.color, \
         (SELECT COUNT(*) FROM profiles p WHERE p.group_id = g.id AND p.team_id = g.team_id), \
         g.created_at, g.updated_at, \
         (SELECT d.description FROM profile_group_details d WHERE d.group_id = g.id AND d.team_id = g.team_id)"
    };
}

const SELECT_GROUPS: &str = concat!(
    "SELECT ",
    group_columns!(),
    " FROM profile_groups g WHERE g.team_id = ? ORDER BY g.name COLLATE NOCASE, g.id LIMIT ? OFFSET ?"
);
const COUNT_GROUPS: &str = "SELECT COUNT(*) FROM profile_groups WHERE team_id = ?";
const SELECT_GROUP: &str = concat!(
    "SELECT ",
    group_columns!(),
    " FROM profile_groups g WHERE g.id = ? AND g.team_id = ?"
);
const INSERT_GROUP: &str = "\
    INSERT INTO profile_groups (id, team_id, name, color, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)";
const UPDATE_GROUP: &str =
    "UPDATE profile_groups SET name = ?, color = ?, updated_at = ? WHERE id = ? AND team_id = ?";
const UNGROUP_PROFILES: &str =
    "UPDATE profiles SET group_id = NULL, updated_at = ? WHERE group_id = ? AND team_id = ?";
const DELETE_GROUP: &str = "DELETE FROM profile_groups WHERE id = ? AND team_id = ?";
const UPSERT_DESCRIPTION: &str = "\
    INSERT INTO profile_group_details (group_id, team_id, description) VALUES (?, ?, ?) \
    ON CONFLICT (group_id) DO UPDATE SET description = excluded.description \
    WHERE profile_group_details.team_id = excluded.team_id";
const DELETE_DESCRIPTION: &str =
    "DELETE FROM profile_group_details WHERE group_id = ? AND team_id = ?";

/// Sets (or with `None` removes) a group's description.
fn set_description(
    db: &Connection,
    team_id: &str,
    id: &str,
    description: Option<&str>,
) -> Result<(), ApiError> {
    match description {
        Some(d) => db::execute(
            db,
            "setting group description",
            UPSERT_DESCRIPTION,
            &[text(id), text(team_id), text(d)],
        )?,
        None => db::execute(
            db,
            "removing group description",
            DELETE_DESCRIPTION,
            &[text(id), text(team_id)],
        )?,
    };
    Ok(())
}

pub fn not_found() -> ApiError {
    ApiError::not_found("group_not_found", "No group with this id")
}

fn name_taken(e: db::DbError) -> ApiError {
    if e.is_unique_violation() {
        ApiError::conflict(
            "group_name_taken",
            "This team already has a group of this name",
        )
    } else {
        e.into()
    }
}

pub fn list(
    db: &Connection,
    team_id: &str,
    limit: u32,
    offset: u32,
) -> Result<(Vec<Group>, i64), ApiError> {
    let groups = db::rows(
        db,
        "listing groups",
        SELECT_GROUPS,
        &[text(team_id), int(limit), int(offset)],
    )?;
    Ok((
        groups,
        count(db, "counting groups", COUNT_GROUPS, &[text(team_id)])?,
    ))
}

pub fn get(db: &Connection, team_id: &str, id: &str) -> Result<Group, ApiError> {
    db::first(
        db,
        "selecting group",
        SELECT_GROUP,
        &[text(id), text(team_id)],
    )?
    .ok_or_else(not_found)
}

pub fn create(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    name: &str,
    color: Option<&str>,
    description: Option<&str>,
    max_groups: u32,
) -> Result<Group, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        if count(db, "counting groups", COUNT_GROUPS, &[text(actor.team_id)])?
            >= i64::from(max_groups)
        {
            return Err(ApiError::conflict(
                "group_limit_reached",
                format!("This team already has the most groups allowed ({max_groups})"),
            ));
        }
        db::execute(
            db,
            "inserting group",
            INSERT_GROUP,
            &[
                text(id),
                text(actor.team_id),
                text(name),
                db::nullable_text(color),
                int(now),
                int(now),
            ],
        )
        .map_err(name_taken)?;
        if description.is_some() {
            set_description(db, actor.team_id, id, description)?;
        }
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(actor.team_id),
                user_id: Some(actor.user_id),
                action: "group.create",
                target_type: "group",
                target_id: id,
                details: json!({ "name": name }),
                request_id: actor.request_id,
            },
        )
    })?;
    get(db, actor.team_id, id)
}

pub fn update(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    name: Option<&str>,
    color: Option<Option<&str>>,
    description: Option<Option<&str>>,
) -> Result<Group, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = get(db, actor.team_id, id)?;
        let name = name.unwrap_or(&current.name);
        let color = color.unwrap_or(current.color.as_deref());
        db::execute(
            db,
            "updating group",
            UPDATE_GROUP,
            &[
                text(name),
                db::nullable_text(color),
                int(now),
                text(id),
                text(actor.team_id),
            ],
        )
        .map_err(name_taken)?;
        if let Some(description) = description {
            set_description(db, actor.team_id, id, description)?;
        }
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(actor.team_id),
                user_id: Some(actor.user_id),
                action: "group.update",
                target_type: "group",
                target_id: id,
                details: json!({ "name": name }),
                request_id: actor.request_id,
            },
        )
    })?;
    get(db, actor.team_id, id)
}

/// Deletes the group; its profiles become ungrouped. Returns how many.
pub fn delete(db: &Connection, actor: Actor<'_>, id: &str) -> Result<u64, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = get(db, actor.team_id, id)?;
        db::execute(
            db,
            "ungrouping profiles",
            UNGROUP_PROFILES,
            &[int(now), text(id), text(actor.team_id)],
        )?;
        set_description(db, actor.team_id, id, None)?;
        db::execute(
            db,
            "deleting group",
            DELETE_GROUP,
            &[text(id), text(actor.team_id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(actor.team_id),
                user_id: Some(actor.user_id),
                action: "group.delete",
                target_type: "group",
                target_id: id,
                details: json!({ "name": current.name, "ungrouped": current.profile_count }),
                request_id: actor.request_id,
            },
        )?;
        Ok(u64::try_from(current.profile_count).unwrap_or(0))
    })
}
