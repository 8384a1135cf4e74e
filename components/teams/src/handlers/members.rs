//! `/api/teams/:id/members`: list, change a role, remove or leave.

use edge::{ApiError, Ctx, Response, db};
use serde::Deserialize;
use serde_json::json;

use crate::persistence;
use roles::Permission;

#[derive(Deserialize)]
struct RoleBody {
    role: String,
}

/// `GET /api/teams/:id/members?limit&offset` -> `{members, total, limit,
/// offset}` (any member; limit 1-100, default 50).
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let (team, _) = super::team_for(ctx, &db, &caller.user_id, Permission::Read)?;
    let (limit, offset) = super::page_query(ctx)?;
    let (members, total) = persistence::members(&db, &team.id, limit, offset)?;
    Response::json(
        200,
        &json!({ "members": members, "total": total, "limit": limit, "offset": offset }),
    )
}

fn target_user(ctx: &Ctx) -> Result<String, ApiError> {
    let user_id = ctx.param("userId")?;
    if super::is_id(user_id) {
        Ok(user_id.to_owned())
    } else {
        Err(ApiError::not_found(
            "member_not_found",
            "No member with this user id in the team",
        ))
    }
}

/// `PUT /api/teams/:id/members/:userId {role}` -> `{member}` (admins; the
/// owner role is granted and taken away by owners only; the last owner
/// stays).
pub fn change_role(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let (team, role) = super::team_for(ctx, &db, &caller.user_id, Permission::ManageMembers)?;
    let target = target_user(ctx)?;
    let body: RoleBody = ctx.json()?;
    let to = super::parse_role("role", &body.role)?;
    let member = persistence::change_role(
        &db,
        &team.id,
        (&caller.user_id, role),
        &target,
        to,
        &ctx.request_id,
    )?;
    Response::json(200, &json!({ "member": member }))
}

/// `DELETE /api/teams/:id/members/:userId` -> `{success, removed}`: admins
/// remove members (owners remove owners); anyone may remove themselves
/// (leave), except the last owner.
pub fn remove(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let (team, role) = super::team_for(ctx, &db, &caller.user_id, Permission::Read)?;
    let target = target_user(ctx)?;
    let removed = persistence::remove_member(
        &db,
        &team.id,
        (&caller.user_id, role),
        &target,
        &ctx.request_id,
    )?;
    Response::json(
        200,
        &json!({ "success": true, "left": target == caller.user_id, "removed": removed }),
    )
}
