//! `/api/teams`: the caller's teams, create, rename.

use edge::{ApiError, Ctx, Response, db};
use serde::Deserialize;
use serde_json::json;

use crate::persistence;
use roles::Permission;

#[derive(Deserialize)]
struct NameBody {
    name: String,
}

/// `GET /api/teams` -> `{teams, total}`: every team the caller belongs to
/// (the personal one included), with the caller's role and the member count.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let teams = persistence::teams_of_user(&db, &caller.user_id)?;
    Response::json(200, &json!({ "total": teams.len(), "teams": teams }))
}

/// `POST /api/teams {name}` -> 201 `{team}`; the creator is its owner.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let body: NameBody = ctx.json()?;
    let name = super::parse_team_name("name", &body.name)?;
    let id = edge::ids::new_id()?;
    let db = db::open()?;
    let team = persistence::create_team(&db, &id, &name, &caller.user_id, &ctx.request_id)?;
    Response::json(201, &json!({ "team": team }))
}

/// `PUT /api/teams/:id {name}` -> `{team}` (admins and owners).
pub fn rename(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let (team, _) = super::team_for(ctx, &db, &caller.user_id, Permission::ManageTeam)?;
    let body: NameBody = ctx.json()?;
    let name = super::parse_team_name("name", &body.name)?;
    let team = persistence::rename_team(&db, &team, &name, &caller.user_id, &ctx.request_id)?;
    Response::json(200, &json!({ "team": team }))
}
