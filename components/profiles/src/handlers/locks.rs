//! `/api/locks`: the team's active locks, and force release by owners and
//! admins (audited by the `locks` provider as `lock.force_release`).

use edge::{ApiError, Ctx, Response};
use platform_bindings::locks;
use serde_json::json;

use super::{allowed, caller, lock_refusal, page, row_id};
use crate::persistence::profiles as store;
use roles::Permission;

/// `GET /api/locks?limit&offset` -> `{locks: [{profileId, clientId, userId,
/// userName, since, heartbeatAt, expiresAt}], total}` (never tokens).
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "profiles:read")?;
    let page = page(ctx)?;
    let active = locks::active(&caller.team_id, page.limit, page.offset)
        .map_err(platform_bindings::lock_error)?;
    let views: Vec<_> = active
        .locks
        .iter()
        .map(|h| {
            json!({
                "profileId": h.profile_id,
                "clientId": h.client_id,
                "userId": h.user_id,
                "userName": h.user_name,
                "since": h.since,
                "heartbeatAt": h.heartbeat_at,
                "expiresAt": h.expires_at,
            })
        })
        .collect();
    Response::json(
        200,
        &json!({ "locks": views, "total": active.total, "limit": page.limit, "offset": page.offset }),
    )
}

/// `DELETE /api/locks/:profileId` -> `{success, released: holder}`; 403 for
/// members and viewers, 404 for another team's profile or no live lock.
pub fn force_release(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::ForceRelease)?;
    let id = row_id(ctx, "profileId", store::not_found)?;
    match locks::force_release(
        &platform_bindings::lock_actor(&caller, &ctx.request_id),
        &id,
    ) {
        Ok(h) => Response::json(
            200,
            &json!({
                "success": true,
                "released": {
                    "profileId": h.profile_id,
                    "clientId": h.client_id,
                    "userId": h.user_id,
                    "userName": h.user_name,
                    "since": h.since,
                    "expiresAt": h.expires_at,
                },
            }),
        ),
        Err(e) => lock_refusal(e, &ctx.request_id),
    }
}
