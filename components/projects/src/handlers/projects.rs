//! `/api/v1/projects`: list, create, get, update, delete, and
//! `POST /by-hostname` (get-or-create), in seed 001's shapes.

use edge::{ApiError, Ctx, Response, db};
use platform_bindings::Principal;
use serde_json::json;

use super::{
    actor, body, caller, check, collect, optional_text, optional_text_patch, page, pagination,
    row_id, string,
};
use crate::domain::{Hostname, MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS};
use crate::persistence::projects::{self, ProjectFields};

const READ: &str = "projects:read";
const WRITE: &str = "projects:write";

/// `name` if given, else the hostname as people read it.
fn name_or_hostname(
    body: &serde_json::Map<String, serde_json::Value>,
    hostname: Option<&Hostname>,
) -> Result<Option<String>, edge::FieldError> {
    match string(body, "name")? {
        Some(raw) => crate::domain::required_text("name", raw, MAX_NAME_CHARS).map(Some),
        None => Ok(hostname.map(Hostname::display_name)),
    }
}

/// Parses `{hostname, name?, description?}` of create and by-hostname.
fn new_project_fields(ctx: &Ctx) -> Result<ProjectFields, ApiError> {
    let body = body(ctx)?;
    let mut errors = Vec::new();
    let hostname = collect(
        string(&body, "hostname").and_then(|h| Hostname::parse("hostname", h.unwrap_or(""))),
        &mut errors,
    );
    let name = collect(name_or_hostname(&body, hostname.as_ref()), &mut errors);
    let description = collect(
        optional_text(&body, "description", MAX_DESCRIPTION_CHARS),
        &mut errors,
    );
    check(errors)?;
    let (Some(hostname), Some(Some(name)), Some(description)) = (hostname, name, description)
    else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };
    Ok(ProjectFields {
        name,
        hostname: hostname.as_str().to_owned(),
        description,
    })
}

/// `GET /api/v1/projects?limit=&offset=` -> `{success, data: {projects, pagination}}`,
/// newest first.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let page = page(ctx)?;
    let db = db::open()?;
    let listed = projects::list(&db, &caller.user_id, page)?;
    let views: Vec<_> = listed.items.iter().map(|p| p.view()).collect();
    Response::envelope(
        200,
        &json!({ "projects": views, "pagination": pagination(page, listed.total) }),
        None,
    )
}

/// `POST /api/v1/projects {name?, hostname, description?}` -> 201
/// `{success, message, data: {project}}`; 409 when the caller already has a
/// project for the (normalised) hostname.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    platform_bindings::idempotent(ctx, &caller, |ctx| create_as(ctx, &caller))
}

fn create_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let fields = new_project_fields(ctx)?;
    let id = edge::ids::new_id()?;
    let db = db::open()?;
    let project = projects::create(&db, actor(caller, ctx), &id, &fields)?;
    Response::envelope(
        201,
        &json!({ "project": project.view() }),
        Some("Project created successfully"),
    )
}

/// `POST /api/v1/projects/by-hostname {hostname, name?, description?}` ->
/// `{success, data: {project, created}}`: 201 with `created: true` when this
/// request created the project, else 200 with the existing one (its
/// `last_accessed_at` updated). Concurrent calls create one project.
pub fn by_hostname(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let fields = new_project_fields(ctx)?;
    let new_id = edge::ids::new_id()?;
    let db = db::open()?;
    let (project, created) =
        projects::get_or_create_by_hostname(&db, actor(&caller, ctx), &new_id, &fields)?;
    Response::envelope(
        if created { 201 } else { 200 },
        &json!({ "project": project.view(), "created": created }),
        None,
    )
}

/// `GET /api/v1/projects/:id` -> `{success, data: {project}}`; records the
/// access in `last_accessed_at`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, READ)?;
    let id = row_id(ctx, "id", projects::not_found)?;
    let db = db::open()?;
    let mut project = projects::get(&db, &id, &caller.user_id)?.ok_or_else(projects::not_found)?;
    projects::touch(&db, &mut project, &caller.user_id)?;
    Response::envelope(200, &json!({ "project": project.view() }), None)
}

/// `PUT /api/v1/projects/:id {name?, hostname?, description?}`: the fields
/// sent replace the stored ones (`description: null` clears it) ->
/// `{success, message, data: {project}}`.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let id = row_id(ctx, "id", projects::not_found)?;
    let body = body(ctx)?;
    let mut errors = Vec::new();
    let name = collect(
        string(&body, "name").and_then(|n| {
            n.map(|n| crate::domain::required_text("name", n, MAX_NAME_CHARS))
                .transpose()
        }),
        &mut errors,
    );
    let hostname = collect(
        match super::Field::of(&body, "hostname") {
            super::Field::Absent => Ok(None),
            _ => string(&body, "hostname")
                .and_then(|h| Hostname::parse("hostname", h.unwrap_or("")))
                .map(Some),
        },
        &mut errors,
    );
    let description = collect(
        optional_text_patch(&body, "description", MAX_DESCRIPTION_CHARS),
        &mut errors,
    );
    check(errors)?;
    let (Some(name), Some(hostname), Some(description)) = (name, hostname, description) else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };
    let db = db::open()?;
    let project = projects::update(&db, actor(&caller, ctx), &id, |current| ProjectFields {
        name: name.unwrap_or_else(|| current.name.clone()),
        hostname: hostname
            .map(|h| h.as_str().to_owned())
            .unwrap_or_else(|| current.hostname.clone()),
        description: description.unwrap_or_else(|| current.description.clone()),
    })?;
    Response::envelope(
        200,
        &json!({ "project": project.view() }),
        Some("Project updated successfully"),
    )
}

/// `DELETE /api/v1/projects/:id` -> `{success, message, data: {project}}`;
/// the project's test plans and captures (their images too) are deleted with it.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, WRITE)?;
    let id = row_id(ctx, "id", projects::not_found)?;
    let db = db::open()?;
    let project = projects::delete(&db, actor(&caller, ctx), &id)?;
    Response::envelope(
        200,
        &json!({ "project": project.view() }),
        Some("Project deleted successfully"),
    )
}
