//! `projects`: create, get-or-create by hostname, list, get, update, delete.

use edge::ApiError;
use edge::db::{self, Connection};
use serde_json::json;

use super::{Actor, Listed, count, int, page_params, text};
use crate::domain::Page;
use crate::models::Project;

macro_rules! project_columns {
    () => {
        "p.id, p.name, p.hostname, p.description, p.created_at, p.updated_at, p.last_accessed_at"
    };
}

const INSERT_PROJECT: &str = "\
    INSERT INTO projects (id, user_id, name, hostname, description, created_at, updated_at, last_accessed_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
/// The get-or-create insert: a concurrent request that inserted the same
/// (user, hostname) first wins, and this one inserts nothing.
const INSERT_PROJECT_IF_ABSENT: &str = "\
    INSERT INTO projects (id, user_id, name, hostname, description, created_at, updated_at, last_accessed_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?) \
    ON CONFLICT (user_id, hostname) DO NOTHING";
const SELECT_PROJECT: &str = concat!(
    "SELECT ",
    project_columns!(),
    " FROM projects p WHERE p.id = ? AND p.user_id = ?"
);
const SELECT_PROJECT_BY_HOSTNAME: &str = concat!(
    "SELECT ",
    project_columns!(),
    " FROM projects p WHERE p.user_id = ? AND p.hostname = ?"
);
const SELECT_PROJECTS_PAGE: &str = concat!(
    "SELECT ",
    project_columns!(),
    " FROM projects p WHERE p.user_id = ? ORDER BY p.created_at DESC, p.rowid DESC LIMIT ? OFFSET ?"
);
const COUNT_PROJECTS: &str = "SELECT COUNT(*) FROM projects WHERE user_id = ?";
const UPDATE_PROJECT: &str = "\
    UPDATE projects SET name = ?, hostname = ?, description = ?, updated_at = ? \
    WHERE id = ? AND user_id = ?";
const TOUCH_PROJECT: &str = "UPDATE projects SET last_accessed_at = ? WHERE id = ? AND user_id = ?";
const DELETE_TEST_PLANS_OF_PROJECT: &str =
    "DELETE FROM test_plans WHERE project_id = ? AND user_id = ?";
/// The images of the project's captures, queued for removal from the blob
/// store (the captures component removes them: see its
/// `persistence::deletions`) in the same transaction as their rows go.
const QUEUE_CAPTURE_BLOBS_OF_PROJECT: &str = "\
    INSERT OR IGNORE INTO capture_blob_deletions (blob_key, queued_at, attempts) \
    SELECT image_key, ?, 0 FROM captures WHERE project_id = ? AND user_id = ?";
const COUNT_CAPTURES_OF_PROJECT: &str =
    "SELECT COUNT(*) FROM captures WHERE project_id = ? AND user_id = ?";
const DELETE_CAPTURES_OF_PROJECT: &str =
    "DELETE FROM captures WHERE project_id = ? AND user_id = ?";
const DELETE_PROJECT: &str = "DELETE FROM projects WHERE id = ? AND user_id = ?";

/// A project's editable fields, validated.
#[derive(Debug, Clone)]
pub struct ProjectFields {
    pub name: String,
    pub hostname: String,
    pub description: Option<String>,
}

fn hostname_taken(hostname: &str) -> ApiError {
    ApiError::conflict(
        "project_exists",
        format!("You already have a project for hostname {hostname}"),
    )
}

/// Creates a project; a hostname the user already has a project for is 409.
pub fn create(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    fields: &ProjectFields,
) -> Result<Project, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "inserting project",
            INSERT_PROJECT,
            &[
                text(id),
                text(actor.user_id),
                text(&fields.name),
                text(&fields.hostname),
                db::nullable_text(fields.description.as_deref()),
                int(now),
                int(now),
                int(now),
            ],
        )
        .map_err(|e| {
            if e.is_unique_violation() {
                hostname_taken(&fields.hostname)
            } else {
                e.into()
            }
        })?;
        db::audit(
            db,
            &actor.audit(
                "project.create",
                "project",
                id,
                json!({ "hostname": fields.hostname, "name": fields.name }),
            ),
        )
    })?;
    get(db, id, actor.user_id)?.ok_or_else(|| ApiError::internal("project vanished after insert"))
}

/// Returns the user's project for `fields.hostname`, creating it (with
/// `new_id`) when there is none; `true` when this call created it. Safe
/// under concurrency: the unique (user_id, hostname) index lets exactly one
/// insert through, and the one that went through is the one whose id is
/// read back. An existing project's `last_accessed_at` is set to now.
pub fn get_or_create_by_hostname(
    db: &Connection,
    actor: Actor<'_>,
    new_id: &str,
    fields: &ProjectFields,
) -> Result<(Project, bool), ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "inserting project if absent",
            INSERT_PROJECT_IF_ABSENT,
            &[
                text(new_id),
                text(actor.user_id),
                text(&fields.name),
                text(&fields.hostname),
                db::nullable_text(fields.description.as_deref()),
                int(now),
                int(now),
                int(now),
            ],
        )?;
        let mut project = db::execute(
            db,
            "selecting project by hostname",
            SELECT_PROJECT_BY_HOSTNAME,
            &[text(actor.user_id), text(&fields.hostname)],
        )?
        .rows
        .first()
        .map(Project::try_from)
        .transpose()?
        .ok_or_else(|| ApiError::internal("project missing after insert-if-absent"))?;
        let created = project.id == new_id;
        if created {
            db::audit(
                db,
                &actor.audit(
                    "project.create",
                    "project",
                    new_id,
                    json!({ "hostname": fields.hostname, "name": fields.name, "via": "by-hostname" }),
                ),
            )?;
        } else {
            db::execute(
                db,
                "touching project",
                TOUCH_PROJECT,
                &[int(now), text(&project.id), text(actor.user_id)],
            )?;
            project.last_accessed_at = now;
        }
        Ok((project, created))
    })
}

/// One of the user's projects; `None` if there is none with this id or it
/// is someone else's.
pub fn get(db: &Connection, id: &str, user_id: &str) -> Result<Option<Project>, ApiError> {
    db::execute(
        db,
        "selecting project",
        SELECT_PROJECT,
        &[text(id), text(user_id)],
    )?
    .rows
    .first()
    .map(Project::try_from)
    .transpose()
}

/// Records an access (`GET /projects/:id`): one statement, no audit entry.
pub fn touch(db: &Connection, project: &mut Project, user_id: &str) -> Result<(), ApiError> {
    let now = edge::time::now_ms();
    db::execute(
        db,
        "touching project",
        TOUCH_PROJECT,
        &[int(now), text(&project.id), text(user_id)],
    )?;
    project.last_accessed_at = now;
    Ok(())
}

/// A page of the user's projects, newest first.
pub fn list(db: &Connection, user_id: &str, page: Page) -> Result<Listed<Project>, ApiError> {
    let [limit, offset] = page_params(page);
    let items = db::execute(
        db,
        "selecting projects",
        SELECT_PROJECTS_PAGE,
        &[text(user_id), limit, offset],
    )?
    .rows
    .iter()
    .map(Project::try_from)
    .collect::<Result<Vec<_>, _>>()?;
    let total = count(db, "counting projects", COUNT_PROJECTS, &[text(user_id)])?;
    Ok(Listed { items, total })
}

/// Replaces a project's editable fields; 404 if it is not the user's, 409
/// if the new hostname is taken by another of their projects.
pub fn update(
    db: &Connection,
    actor: Actor<'_>,
    id: &str,
    change: impl FnOnce(&Project) -> ProjectFields,
) -> Result<Project, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let current = get(db, id, actor.user_id)?.ok_or_else(not_found)?;
        let fields = change(&current);
        db::execute(
            db,
            "updating project",
            UPDATE_PROJECT,
            &[
                text(&fields.name),
                text(&fields.hostname),
                db::nullable_text(fields.description.as_deref()),
                int(now),
                text(id),
                text(actor.user_id),
            ],
        )
        .map_err(|e| {
            if e.is_unique_violation() {
                hostname_taken(&fields.hostname)
            } else {
                e.into()
            }
        })?;
        db::audit(
            db,
            &actor.audit(
                "project.update",
                "project",
                id,
                json!({
                    "hostname": fields.hostname,
                    "previousHostname": current.hostname,
                    "name": fields.name,
                }),
            ),
        )
    })?;
    get(db, id, actor.user_id)?.ok_or_else(|| ApiError::internal("project vanished after update"))
}

/// Deletes a project with its test plans and its captures; 404 if it is
/// not the user's. The captures' rows go in this transaction and their
/// images are queued in `capture_blob_deletions` in it too: this component
/// has no blob-store dependency, and the captures component's sweep (run
/// by its uploads and deletes) removes the queued images from the store.
/// No row is left pointing at an image, and no image is forgotten; an
/// image outlives its row only until the next sweep.
pub fn delete(db: &Connection, actor: Actor<'_>, id: &str) -> Result<Project, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let project = get(db, id, actor.user_id)?.ok_or_else(not_found)?;
        db::execute(
            db,
            "deleting project's test plans",
            DELETE_TEST_PLANS_OF_PROJECT,
            &[text(id), text(actor.user_id)],
        )?;
        db::execute(
            db,
            "queueing project's capture images for removal",
            QUEUE_CAPTURE_BLOBS_OF_PROJECT,
            &[int(now), text(id), text(actor.user_id)],
        )?;
        let captures = count(
            db,
            "counting project's captures",
            COUNT_CAPTURES_OF_PROJECT,
            &[text(id), text(actor.user_id)],
        )?;
        db::execute(
            db,
            "deleting project's captures",
            DELETE_CAPTURES_OF_PROJECT,
            &[text(id), text(actor.user_id)],
        )?;
        db::execute(
            db,
            "deleting project",
            DELETE_PROJECT,
            &[text(id), text(actor.user_id)],
        )?;
        db::audit(
            db,
            &actor.audit(
                "project.delete",
                "project",
                id,
                json!({ "hostname": project.hostname, "name": project.name, "captures": captures }),
            ),
        )?;
        Ok(project)
    })
}

/// The 404 for a project that does not exist or is not the caller's.
pub fn not_found() -> ApiError {
    ApiError::not_found("project_not_found", "No project with this id")
}
