//! `/api/groups`: a team's profile groups.

use edge::{ApiError, Ctx, FieldError, Response, db};
use platform_bindings::Principal;
use serde_json::json;

use super::{Field, actor, allowed, body, caller, check, field, page, row_id};
use crate::config;
use crate::domain::{self, Name};
use crate::persistence::groups as store;
use roles::Permission;

/// `GET /api/groups?limit&offset` -> `{groups, total}` (with profile counts).
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "profiles:read")?;
    let page = page(ctx)?;
    let db = db::open()?;
    let (groups, total) = store::list(&db, &caller.team_id, page.limit, page.offset)?;
    Response::json(
        200,
        &json!({ "groups": groups, "total": total, "limit": page.limit, "offset": page.offset }),
    )
}

/// `GET /api/groups/:id`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "profiles:read")?;
    let id = row_id(ctx, "id", store::not_found)?;
    let db = db::open()?;
    Response::json(200, &store::get(&db, &caller.team_id, &id)?)
}

/// `POST /api/groups {name, color?, description?}` -> 201 group; 409 for a name the team
/// already uses.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
    platform_bindings::idempotent(ctx, &caller, |ctx| create_as(ctx, &caller))
}

fn create_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let input = body(ctx)?;
    let mut errors = Vec::new();
    let name = match field::<String>(&input, "name", "a string", &mut errors) {
        Field::Value(n) => Name::parse("name", &n).map_err(|e| errors.push(e)).ok(),
        _ => {
            errors.push(FieldError::new("name", "is required"));
            None
        }
    };
    let color = match field::<String>(&input, "color", "a colour like #1e90ff", &mut errors) {
        Field::Value(c) => domain::parse_color("color", &c)
            .map_err(|e| errors.push(e))
            .ok(),
        _ => None,
    };
    let description = match description(&input, &mut errors) {
        Some(Some(d)) => Some(d),
        _ => None,
    };
    check(errors)?;
    let Some(name) = name else {
        return Err(ApiError::internal(
            "validation passed but name did not parse",
        ));
    };
    let limits = config::limits()?;
    let id = edge::ids::new_id()?;
    let db = db::open()?;
    let group = store::create(
        &db,
        actor(caller, ctx),
        &id,
        name.as_str(),
        color.as_deref(),
        description.as_deref(),
        limits.groups,
    )?;
    Response::json(201, &group)
}

/// `PUT /api/groups/:id {name?, color?, description?}` (`null` clears
/// color and description).
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let input = body(ctx)?;
    let mut errors = Vec::new();
    let name = match field::<String>(&input, "name", "a string", &mut errors) {
        Field::Value(n) => Name::parse("name", &n).map_err(|e| errors.push(e)).ok(),
        Field::Null => {
            errors.push(FieldError::new("name", "cannot be null"));
            None
        }
        Field::Absent => None,
    };
    let color = match field::<String>(&input, "color", "a colour like #1e90ff", &mut errors) {
        Field::Value(c) => domain::parse_color("color", &c)
            .map_err(|e| errors.push(e))
            .ok()
            .map(Some),
        Field::Null => Some(None),
        Field::Absent => None,
    };
    let description = description(&input, &mut errors);
    check(errors)?;
    let db = db::open()?;
    let group = store::update(
        &db,
        actor(&caller, ctx),
        &id,
        name.as_ref().map(Name::as_str),
        color.as_ref().map(|c| c.as_deref()),
        description.as_ref().map(|d| d.as_deref()),
    )?;
    Response::json(200, &group)
}

/// Most characters of a group's description.
const MAX_DESCRIPTION: usize = 200;

/// `description`: absent (`None`), cleared by `null` or `""` (`Some(None)`),
/// or up to 200 characters of text.
fn description(
    input: &serde_json::Map<String, serde_json::Value>,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    match field::<String>(input, "description", "a string or null", errors) {
        Field::Absent => None,
        Field::Null => Some(None),
        Field::Value(d) => {
            let d = d.trim();
            if d.chars().count() > MAX_DESCRIPTION {
                errors.push(FieldError::new(
                    "description",
                    format!("must be at most {MAX_DESCRIPTION} characters"),
                ));
                None
            } else if d.is_empty() {
                Some(None)
            } else {
                Some(Some(d.to_owned()))
            }
        }
    }
}

/// `DELETE /api/groups/:id` -> `{success, ungroupedProfiles}`.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let db = db::open()?;
    let ungrouped = store::delete(&db, actor(&caller, ctx), &id)?;
    Response::json(
        200,
        &json!({ "success": true, "id": id, "ungroupedProfiles": ungrouped }),
    )
}
