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

/// `POST /api/groups {name, color?}` -> 201 group; 409 for a name the team
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
        limits.groups,
    )?;
    Response::json(201, &group)
}

/// `PUT /api/groups/:id {name?, color?}` (`color: null` clears it).
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
    check(errors)?;
    let db = db::open()?;
    let group = store::update(
        &db,
        actor(&caller, ctx),
        &id,
        name.as_ref().map(Name::as_str),
        color.as_ref().map(|c| c.as_deref()),
    )?;
    Response::json(200, &group)
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
