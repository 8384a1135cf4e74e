//! `GET /api/billing`: the caller's team's plan, its limits, the usage
//! against them and the Stripe subscription behind the plan.

use edge::{ApiError, Ctx, Response, db};
use plans::Plan;
use serde_json::json;
use spin_sdk::wit::wasi::keyvalue::{atomics, store};

use crate::persistence;

/// The key-value store holding the rate-limit counters (the `identity` provider's).
const STORE: &str = "default";

/// `GET /api/billing?teamId` -> `{teamId, plan, limits, usage,
/// subscription, plans}` for the credential's team, or for `teamId` if the
/// caller is a member of it (404 `team_not_found` otherwise, whatever the
/// reason); any member, scope `billing:read`. `usage.requestsPerMinute`
/// counts the team's authenticated requests in the current minute;
/// `plans` lists every plan's limits.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    platform_bindings::require_scope(&caller, "billing:read")?;
    let db = db::open()?;
    let team_id = match ctx.query("teamId") {
        None => caller.team_id.clone(),
        Some(id) => {
            let id = id.trim();
            if !edge::ids::is_row_id(id) || !persistence::is_member(&db, id, &caller.user_id)? {
                return Err(ApiError::not_found(
                    "team_not_found",
                    "No team with this id",
                ));
            }
            id.to_owned()
        }
    };
    let team_id = team_id.as_str();
    let billing = persistence::billing(&db, team_id)?;
    let plan = billing.as_ref().map_or(Plan::Free, |b| b.plan);
    let limits = plans::limits(plan).map_err(ApiError::internal)?;
    let (profiles, members) = persistence::usage(&db, team_id)?;
    let requests = requests_this_minute(team_id)?;
    let table = Plan::ALL
        .into_iter()
        .map(|p| {
            plans::limits(p)
                .map(|limits| json!({ "plan": p, "limits": limits }))
                .map_err(ApiError::internal)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let subscription = match &billing {
        Some(b) => json!({
            "status": b.status,
            "currentPeriodEnd": b.current_period_end,
            "cancelAtPeriodEnd": b.cancel_at_period_end,
            "stripeCustomerId": b.customer,
            "stripeSubscriptionId": b.subscription_id,
            "stripePriceId": b.price_id,
            "updatedAt": b.updated_at,
        }),
        None => json!({
            "status": "none",
            "currentPeriodEnd": null,
            "cancelAtPeriodEnd": false,
            "stripeCustomerId": null,
            "stripeSubscriptionId": null,
            "stripePriceId": null,
            "updatedAt": null,
        }),
    };
    Response::json(
        200,
        &json!({
            "teamId": team_id,
            "plan": plan,
            "limits": limits,
            "usage": {
                "profiles": profiles,
                "members": members,
                "requestsPerMinute": requests,
            },
            "subscription": subscription,
            "plans": table,
        }),
    )
}

/// The team's request counter of the current window, read by adding 0 to
/// it (the same atomic call `identity` counts with, so no format is assumed).
fn requests_this_minute(team_id: &str) -> Result<i64, ApiError> {
    let bucket = store::open(STORE)
        .map_err(|e| ApiError::internal(format!("opening key-value store {STORE}: {e:?}")))?;
    let window = edge::time::now_secs() / plans::RATE_WINDOW_SECS;
    let key = plans::team_counter_key(team_id, window);
    atomics::increment(&bucket, &key, 0)
        .map_err(|e| ApiError::internal(format!("reading {key}: {e:?}")))
}
