//! The `/api/v1/teams` surface of the published multilogin.io dashboard
//! (its team page) over this component's own handlers; only the wire
//! differs (`edge::v1`). The team is always the one the credential acts
//! for (`/api/teams/:id` with that id), and a member is named by user id
//! (the dashboard's `member.id`).

use edge::v1;
use edge::{ApiError, Ctx, Response, db};
use serde_json::{Value, json};

use crate::handlers::{invitations, members, teams};
use crate::persistence;

/// Authenticates once (the shared handler reuses the caller) and points
/// `:id` at the caller's team; `:userId` at `member` when given.
fn current_team(ctx: &mut Ctx, member: Option<&str>) -> Result<String, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    ctx.set_param("id", caller.team_id.clone());
    if let Some(m) = member {
        let m = ctx.param(m)?.to_owned();
        ctx.set_param("userId", m);
    }
    Ok(caller.user_id)
}

/// Runs `handler` on the caller's team, answering in the envelope.
fn on_team(
    ctx: &mut Ctx,
    member: Option<&str>,
    handler: fn(&mut Ctx) -> Result<Response, ApiError>,
    reshape: impl FnOnce(Value) -> Result<Value, ApiError>,
) -> Result<Response, ApiError> {
    let result = current_team(ctx, member).and_then(|_| handler(ctx));
    v1::answer(ctx, result, reshape)
}

fn member(mut m: Value) -> Value {
    if let Some(o) = m.as_object_mut() {
        o.insert("id".into(), o.get("userId").cloned().unwrap_or(Value::Null));
        o.insert("image".into(), Value::Null);
    }
    m
}

/// `GET /api/v1/teams/current` -> `{id, name, plan, owner: {id, name,
/// email}, memberCount, profileCount, role, createdAt}`.
pub fn current(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = (|| {
        let caller = platform_bindings::authenticate(ctx)?;
        let listed = teams::list(ctx)?;
        let body: Value = serde_json::from_slice(&listed.body)
            .map_err(|e| ApiError::internal(format!("re-reading teams: {e}")))?;
        let mut team = body["teams"]
            .as_array()
            .and_then(|t| t.iter().find(|t| t["id"] == caller.team_id.as_str()))
            .cloned()
            .ok_or_else(|| ApiError::internal("the caller's team is not among its teams"))?;
        let db = db::open()?;
        let owner_id = team["ownerId"].as_str().unwrap_or_default().to_owned();
        let owner = persistence::member(&db, &caller.team_id, &owner_id)?;
        let (profiles, plan) = persistence::profile_count_and_plan(&db, &caller.team_id)?;
        team["owner"] = match owner {
            Some(o) => json!({ "id": o.user_id, "name": o.name, "email": o.email }),
            None => json!({ "id": owner_id, "name": null, "email": null }),
        };
        team["profileCount"] = json!(profiles);
        team["plan"] = json!(plan);
        Response::json(200, &team)
    })();
    v1::answer(ctx, result, Ok)
}

/// `PATCH /api/v1/teams/current {name}` -> the team and `message`.
pub fn rename(ctx: &mut Ctx) -> Result<Response, ApiError> {
    on_team(ctx, None, teams::rename, |mut b| {
        let mut team = v1::take(&mut b, "team");
        team["message"] = json!("Team updated successfully");
        Ok(team)
    })
}

/// `GET /api/v1/teams/members` -> `[{id, userId, email, name, image, role,
/// joinedAt}]`, the first 100.
pub fn list_members(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::set_query(ctx, &[("limit".into(), "100".into())]);
    on_team(ctx, None, members::list, |mut b| {
        Ok(match v1::take(&mut b, "members") {
            Value::Array(m) => Value::Array(m.into_iter().map(member).collect()),
            _ => json!([]),
        })
    })
}

/// `POST /api/v1/teams/members/invite {email, role}` -> 201
/// `{invitationId, email, role, token, expiresAt}`: always an invitation
/// (accepted by the invitee with `token`), never a member added unasked.
pub fn invite(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let defaulted = ctx
        .json::<serde_json::Map<String, Value>>()
        .and_then(|mut body| {
            body.entry("role").or_insert(json!("member"));
            v1::set_body(ctx, &Value::Object(body))
        });
    if let Err(e) = defaulted {
        return v1::answer(ctx, Err(e), Ok);
    }
    on_team(ctx, None, invitations::create, |mut b| {
        let mut out = v1::take(&mut b, "invitation");
        out["invitationId"] = out["id"].clone();
        out["token"] = v1::take(&mut b, "token");
        out["message"] = v1::take(&mut b, "message");
        Ok(out)
    })
}

/// `PATCH /api/v1/teams/members/:memberId {role}` -> the member and
/// `message`.
pub fn change_role(ctx: &mut Ctx) -> Result<Response, ApiError> {
    on_team(ctx, Some("memberId"), members::change_role, |mut b| {
        let mut m = member(v1::take(&mut b, "member"));
        m["message"] = json!("Member role updated");
        Ok(m)
    })
}

/// `DELETE /api/v1/teams/members/:memberId` -> `{removed, message}`.
pub fn remove(ctx: &mut Ctx) -> Result<Response, ApiError> {
    on_team(ctx, Some("memberId"), members::remove, |mut b| {
        b["message"] = json!("Member removed");
        Ok(b)
    })
}

/// `POST /api/v1/teams/leave` -> `{left, message}`: the caller leaves the
/// team its credential acts for (not the last owner).
pub fn leave(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = current_team(ctx, None).and_then(|user_id| {
        ctx.set_param("userId", user_id);
        members::remove(ctx)
    });
    v1::answer(ctx, result, |mut b| {
        b["message"] = json!("You left the team");
        Ok(b)
    })
}

/// `GET /api/v1/audit?page&limit&userId&action` (and the Worker's name for
/// it, `/api/v1/users/activity`) -> `{items: [{id, userId, userName,
/// userImage, action, targetType, targetId, details, ipAddress, userAgent,
/// createdAt}], total, page, pageSize, totalPages}`: the team's audit log,
/// newest first, for its admins.
pub fn audit(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let page = match v1::PageNumber::take(ctx, 50, 100) {
        Ok(p) => p,
        Err(e) => return v1::answer(ctx, Err(e), Ok),
    };
    v1::run(ctx, crate::handlers::audit::list, |mut body| {
        let total = body["total"].as_i64().unwrap_or(0);
        let items = match v1::take(&mut body, "entries") {
            Value::Array(entries) => entries
                .into_iter()
                .map(|mut e| {
                    e["userImage"] = Value::Null;
                    e
                })
                .collect(),
            _ => Vec::new(),
        };
        Ok(page.listed(items, total))
    })
}

/// `GET /api/v1/teams/invitations` -> the team's open invitations as an
/// array (admins).
pub fn list_invitations(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::set_query(ctx, &[("limit".into(), "100".into())]);
    on_team(ctx, None, invitations::list, |mut b| {
        Ok(v1::take(&mut b, "invitations"))
    })
}

/// `DELETE /api/v1/teams/invitations/:invitationId` -> `{id, message}`.
pub fn cancel_invitation(ctx: &mut Ctx) -> Result<Response, ApiError> {
    on_team(ctx, None, invitations::cancel, |mut b| {
        b["message"] = json!("Invitation cancelled");
        Ok(b)
    })
}
