//! The `/api/v1/auth` and `/api/v1/users` surface of the published
//! multilogin.io clients over this component's own handlers; only the wire
//! differs (`edge::v1`). The CLI reads `{user, team}` from `users/me`, the
//! dashboard the user's fields flat with `team` inside: both are answered.

use edge::v1;
use edge::{ApiError, Ctx, Response, db};
use serde_json::{Value, json};

use crate::handlers::{account, auth, keys};
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

/// `PATCH /api/v1/users/me {name}` -> the user and `message`.
pub fn update_me(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, account::update, |mut body| {
        let mut user = v1::take(&mut body, "user");
        user["image"] = Value::Null;
        user["message"] = json!("Profile updated successfully");
        Ok(user)
    })
}

/// `DELETE /api/v1/users/me` -> `{deleted, teamsDeleted, teamsLeft,
/// message}`; the last owner of a team with other members is refused.
pub fn delete_me(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, account::delete, |mut body| {
        body["message"] = json!("Account deleted");
        Ok(body)
    })
}

/// `POST /api/v1/users/me/change-password {currentPassword, newPassword}`
/// -> `{message, sessionsEnded}`.
pub fn change_password(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, account::change_password, |mut body| {
        body["message"] = json!("Password changed successfully");
        Ok(body)
    })
}

/// A key as the dashboard's API keys page reads it.
fn key(mut view: Value) -> Value {
    if let Some(o) = view.as_object_mut() {
        o.insert(
            "permissions".into(),
            o.get("scopes").cloned().unwrap_or(Value::Null),
        );
        o.insert(
            "lastUsedAt".into(),
            o.get("lastUsed").cloned().unwrap_or(Value::Null),
        );
    }
    view
}

/// The Worker's permission names as scopes: `*:read` stays, a `create`,
/// `update`, `delete`, `launch` or `manage` action is `write` (and launching
/// also syncs), `team` is `teams` and `api_keys` / `api-keys` is `keys`.
fn scopes_for(permissions: &[Value]) -> Vec<String> {
    let mut scopes = Vec::new();
    for p in permissions.iter().filter_map(Value::as_str) {
        let (resource, action) = match p.trim().split_once(':') {
            Some(parts) => parts,
            None => {
                scopes.push(p.trim().to_owned());
                continue;
            }
        };
        let resource = match resource {
            "team" => "teams",
            "api_keys" | "api-keys" => "keys",
            other => other,
        };
        let action = match action {
            "create" | "update" | "delete" | "manage" | "launch" => "write",
            other => other,
        };
        scopes.push(format!("{resource}:{action}"));
        if resource == "profiles" && p.trim().ends_with(":launch") {
            scopes.push("sync:read".into());
            scopes.push("sync:write".into());
        }
    }
    scopes.sort();
    scopes.dedup();
    scopes
}

/// `GET /api/v1/users/api-keys` -> the caller's live keys as an array.
pub fn list_keys(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, keys::list, |mut body| {
        let keys = match v1::take(&mut body, "keys") {
            Value::Array(keys) => keys,
            _ => Vec::new(),
        };
        Ok(Value::Array(
            keys.into_iter()
                .filter(|k| k["revoked"] != true)
                .map(key)
                .collect(),
        ))
    })
}

/// `POST /api/v1/users/api-keys {name, permissions?, expiresAt?}` -> 201
/// `{id, name, key, keyPrefix, permissions, expiresAt, …}`: a desktop key
/// (the CLI's) unless `kind` says otherwise.
pub fn create_key(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let rewritten = ctx
        .json::<serde_json::Map<String, Value>>()
        .and_then(|mut body| {
            body.entry("kind").or_insert(json!("desktop"));
            if let Some(permissions) = body.remove("permissions") {
                match permissions {
                    Value::Array(p) if !p.is_empty() => {
                        body.insert("scopes".into(), json!(scopes_for(&p)));
                    }
                    Value::Array(_) | Value::Null => {}
                    _ => {
                        return Err(edge::FieldError::new(
                            "permissions",
                            "must be a list of permissions",
                        )
                        .into());
                    }
                }
            }
            if body.get("expiresAt").is_some_and(Value::is_null) {
                body.remove("expiresAt");
            }
            v1::set_body(ctx, &Value::Object(body))
        });
    if let Err(e) = rewritten {
        return v1::answer(ctx, Err(e), Ok);
    }
    v1::run(ctx, keys::create, |mut body| {
        let mut out = key(v1::take(&mut body, "apiKey"));
        out["key"] = v1::take(&mut body, "key");
        out["message"] = v1::take(&mut body, "message");
        Ok(out)
    })
}

/// `DELETE /api/v1/users/api-keys/:id` -> the revoked key and `message`.
pub fn revoke_key(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, keys::revoke, |mut body| {
        let mut out = key(v1::take(&mut body, "apiKey"));
        out["message"] = json!("API key revoked");
        Ok(out)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_workers_permissions_map_onto_scopes() {
        assert_eq!(
            scopes_for(&[
                json!("profiles:read"),
                json!("profiles:launch"),
                json!("proxies:create"),
                json!("team:read"),
                json!("api-keys:create"),
            ]),
            [
                "keys:write",
                "profiles:read",
                "profiles:write",
                "proxies:write",
                "sync:read",
                "sync:write",
                "teams:read"
            ]
        );
        assert_eq!(scopes_for(&[json!("*")]), ["*"]);
    }
}
