//! `/api/v1/groups`: the dashboard's groups page over the shared handlers
//! of `/api/groups`, and membership changes through the shared bulk action.

use edge::v1;
use edge::{ApiError, Ctx, FieldError, Response, db};
use serde_json::{Map, Value, json};

use crate::handlers::{allowed, bulk, groups as shared, row_id};
use crate::persistence::{groups as store, profiles};
use roles::Permission;

/// Most profile ids one membership change carries (the bulk action's cap).
const MAX_PROFILE_IDS: usize = 100;

/// -> the team's groups as a bare array (`[{id, name, color, description,
/// profileCount, …}]`), as both clients read it; the first 100 by name.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::set_query(ctx, &[("limit".into(), "100".into())]);
    v1::run(ctx, shared::list, |mut body| {
        Ok(v1::take(&mut body, "groups"))
    })
}

/// `POST /api/v1/groups {name, color?, description?}` -> 201 the group.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::create, Ok)
}

/// `GET /api/v1/groups/:id`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::get, Ok)
}

/// `PATCH /api/v1/groups/:id {name?, color?, description?}` -> the group
/// and `message`.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::update, |mut b| {
        b["message"] = json!("Group updated successfully");
        Ok(b)
    })
}

/// `DELETE /api/v1/groups/:id` -> `{id, ungroupedProfiles, message}`.
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    v1::run(ctx, shared::delete, |mut b| {
        b["message"] = json!("Group deleted successfully");
        Ok(b)
    })
}

/// `{profileIds}`: 1 to 100 ids.
fn profile_ids(ctx: &Ctx) -> Result<Vec<Value>, ApiError> {
    let body: Map<String, Value> = ctx.json()?;
    match body.get("profileIds") {
        Some(Value::Array(ids)) if !ids.is_empty() && ids.len() <= MAX_PROFILE_IDS => {
            Ok(ids.clone())
        }
        _ => Err(ApiError::invalid_input(vec![FieldError::new(
            "profileIds",
            format!("must be a list of 1 to {MAX_PROFILE_IDS} profile ids"),
        )])),
    }
}

/// `POST /api/v1/groups/:id/profiles {profileIds}` -> the bulk move's
/// per-id results and `message`; 404 for a group that is not the team's.
pub fn add_profiles(ctx: &mut Ctx) -> Result<Response, ApiError> {
    move_profiles(ctx, true)
}

/// `DELETE /api/v1/groups/:id/profiles {profileIds}`: ungroups those of
/// the ids that are in this group; the others are left as they are (and
/// reported `not_in_group`).
pub fn remove_profiles(ctx: &mut Ctx) -> Result<Response, ApiError> {
    move_profiles(ctx, false)
}

fn move_profiles(ctx: &mut Ctx, into: bool) -> Result<Response, ApiError> {
    let result = (|| {
        let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
        let group = row_id(ctx, "id", store::not_found)?;
        let ids = profile_ids(ctx)?;
        let db = db::open()?;
        store::get(&db, &caller.team_id, &group)?;
        let (moving, skipped): (Vec<Value>, Vec<Value>) = if into {
            (ids, Vec::new())
        } else {
            let mut members = Vec::new();
            let mut others = Vec::new();
            for id in ids {
                let member = match id.as_str() {
                    Some(id) if crate::domain::is_row_id(id) => {
                        profiles::get(&db, &caller.team_id, id)?
                            .is_some_and(|p| p.group_id.as_deref() == Some(group.as_str()))
                    }
                    _ => false,
                };
                if member {
                    members.push(id)
                } else {
                    others.push(id)
                }
            }
            (members, others)
        };
        let mut results = Vec::new();
        let (mut succeeded, mut failed) = (0, 0);
        if !moving.is_empty() {
            v1::set_body(
                ctx,
                &json!({
                    "action": "move_group",
                    "ids": moving,
                    "groupId": if into { json!(group) } else { Value::Null },
                }),
            )?;
            let moved = bulk::run_as(ctx, &caller)?;
            let body: Value = serde_json::from_slice(&moved.body)
                .map_err(|e| ApiError::internal(format!("re-reading bulk body: {e}")))?;
            succeeded += body["succeeded"].as_i64().unwrap_or(0);
            failed += body["failed"].as_i64().unwrap_or(0);
            results.extend(body["results"].as_array().cloned().unwrap_or_default());
        }
        for id in skipped {
            failed += 1;
            results.push(json!({
                "id": id, "ok": false,
                "error": {"code": "not_in_group", "message": "The profile is not in this group"},
            }));
        }
        Response::json(
            200,
            &json!({
                "results": results,
                "succeeded": succeeded,
                "failed": failed,
                "message": format!("{succeeded} profiles {}", if into { "added" } else { "removed" }),
            }),
        )
    })();
    v1::answer(ctx, result, Ok)
}
