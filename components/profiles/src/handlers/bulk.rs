//! `POST /api/profiles/bulk`: one action on up to 100 of the team's
//! profiles, with one result per id, in order.
//!
//! Each item is its own transaction (the same as `PUT` / `DELETE
//! /api/profiles/:id`, with its own audit entry), so one refused item never
//! undoes the others and a result says exactly what happened to that
//! profile. An id that is not one of the team's profiles (missing, another
//! team's, not an id at all) is `profile_not_found`, never saying which; a
//! profile another client than `X-Client-ID` holds is `profile_locked`, as
//! for a single edit or delete. The group or proxy named is checked once, up
//! front: 422 naming `groupId` / `proxyId` when it is not the team's.

use edge::{ApiError, Ctx, Response, db};
use platform_bindings::Principal;
use serde_json::{Value, json};

use super::{actor, allowed, body, client_id};
use crate::config;
use crate::domain::bulk::{self, Action};
use crate::handlers::profiles::current_own;
use crate::models::Profile;
use crate::persistence::Actor;
use crate::persistence::profiles::{self as store, ProfileFields};
use roles::Permission;

/// `POST /api/profiles/bulk {action, ids, groupId? | tags? | proxyId?}` ->
/// 200 `{action, results: [{id, ok, error?}], succeeded, failed}`.
pub fn bulk(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
    platform_bindings::idempotent(ctx, &caller, |ctx| run_as(ctx, &caller))
}

/// The bulk action for a caller already authorized.
pub(crate) fn run_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let client = client_id(ctx)?;
    let input = body(ctx)?;
    let limits = config::limits()?;
    let request = bulk::parse(&input, limits.tags as usize).map_err(ApiError::validation)?;
    let db = db::open()?;
    match &request.action {
        Action::MoveGroup(group) => {
            store::check_references(&db, &caller.team_id, group.as_deref(), None)?
        }
        Action::SetProxy(proxy) => {
            store::check_references(&db, &caller.team_id, None, proxy.as_deref())?
        }
        _ => {}
    }
    let who = actor(caller, ctx);
    let client = client.as_ref().map(|c| c.as_str());
    let mut results = Vec::with_capacity(request.ids.len());
    let mut succeeded = 0;
    for id in &request.ids {
        let outcome = if edge::ids::is_row_id(id) {
            apply(&db, who, id, client, &request.action, limits.tags as usize)
        } else {
            Err(store::not_found())
        };
        results.push(match outcome {
            Ok(()) => {
                succeeded += 1;
                json!({ "id": id, "ok": true })
            }
            Err(e) => json!({ "id": id, "ok": false, "error": item_error(e, &ctx.request_id) }),
        });
    }
    if request.action == Action::Delete && succeeded > 0 {
        sessions::blobs::collect(&db, edge::time::now_ms(), &ctx.request_id);
    }
    Response::json(
        200,
        &json!({
            "action": request.action.name(),
            "results": results,
            "succeeded": succeeded,
            "failed": request.ids.len() - succeeded,
        }),
    )
}

/// One profile: its own transaction and audit entry.
fn apply(
    db: &db::Connection,
    who: Actor<'_>,
    id: &str,
    client: Option<&str>,
    action: &Action,
    max_tags: usize,
) -> Result<(), ApiError> {
    if *action == Action::Delete {
        return store::delete(db, who, id, client).map(drop);
    }
    store::update(db, who, id, client, action.fields(), |current| {
        edit(current, action, max_tags)
    })
    .map(drop)
}

/// The profile's fields after the action.
fn edit(current: &Profile, action: &Action, max_tags: usize) -> Result<ProfileFields, ApiError> {
    let mut fields = ProfileFields {
        name: current.name.clone(),
        group_id: current.group_id.clone(),
        tags: current.tags.clone(),
        notes: current.notes.clone(),
        fingerprint_json: serde_json::to_string(&current.fingerprint)
            .map_err(ApiError::internal)?,
        proxy_id: current.proxy_id.clone(),
        own_proxy: current_own(current),
    };
    match action {
        Action::MoveGroup(group) => fields.group_id = group.clone(),
        Action::AddTags(added) => {
            fields.tags = bulk::add_tags(&current.tags, added, max_tags).map_err(|n| {
                ApiError::Validation {
                    code: "tag_limit_reached",
                    message: format!(
                        "The profile would have {n} tags; at most {max_tags} are allowed"
                    ),
                    details: Vec::new(),
                }
            })?
        }
        Action::RemoveTags(removed) => fields.tags = bulk::remove_tags(&current.tags, removed),
        Action::SetProxy(proxy) => {
            fields.proxy_id = proxy.clone();
            fields.own_proxy = None;
        }
        Action::Delete => {}
    }
    Ok(fields)
}

/// `{code, message}` of a refused item, exactly as the error's own body
/// would say it (internal detail is logged there, never returned).
fn item_error(e: ApiError, request_id: &str) -> Value {
    let response = e.into_response(request_id);
    let body: Value = serde_json::from_slice(&response.body).unwrap_or(Value::Null);
    json!({ "code": body["code"], "message": body["message"] })
}
