//! The `/api/v1/auth` and `/api/v1/users` surface of the published
//! multilogin.io clients over this component's own handlers; only the wire
//! differs (`edge::v1`). The CLI reads `{user, team}` from `users/me`, the
//! dashboard the user's fields flat with `team` inside: both are answered.

use edge::v1;
use edge::{ApiError, Ctx, Response, db};
use serde_json::{Value, json};

use crate::handlers::auth;
use crate::persistence;

/// `POST /api/v1/auth/register {email, password, name}` -> 201 `{user,
/// team}` (with `plan`).
pub fn register(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, auth::register, with_plan)
}

/// `POST /api/v1/auth/login {email, password}` -> `{user: {id, email,
/// name, image}, team: {id, name, plan, role}, token, expiresAt}`.
pub fn login(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, auth::login, with_plan)
}

/// `GET /api/v1/users/me` -> the user's fields, `image`, `team` and, for
/// the CLI, `user` and `team` again as `{user, team}`.
pub fn me(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, auth::me, |body| {
        let mut body = with_plan(body)?;
        let user = body["user"].clone();
        if let (Some(out), Value::Object(fields)) = (body.as_object_mut(), user) {
            for (k, v) in fields {
                out.entry(k).or_insert(v);
            }
        }
        Ok(body)
    })
}

/// `user.image` (no avatars here) and `team.plan` (from billing).
fn with_plan(mut body: Value) -> Result<Value, ApiError> {
    if let Some(user) = body["user"].as_object_mut() {
        user.entry("image").or_insert(Value::Null);
    }
    if let Some(team_id) = body["team"]["id"].as_str().map(str::to_owned) {
        let db = db::open()?;
        body["team"]["plan"] = json!(persistence::team_plan(&db, &team_id)?);
    }
    Ok(body)
}
