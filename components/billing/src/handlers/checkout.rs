//! `POST /api/billing/checkout` and `POST /api/billing/portal`: the team's
//! owner sends the browser to Stripe, to subscribe to a plan (Checkout) or
//! to change the plan, the card, or cancel (Customer Portal). Stripe then
//! tells us what happened through the webhook (`handlers::webhooks`); these
//! two routes change no plan themselves.
//!
//! Both act on the credential's team (a session switches team with
//! `POST /auth/switch-team`), take scope `billing:write` and the owner role
//! (`Permission::ManageBilling` of the shared table, crates/roles), and
//! write an audit entry for each session created.
//!
//! | case | answer |
//! |---|---|
//! | no or bad credential | 401 |
//! | no scope `billing:write` / not the owner | 403 `insufficient_scope` / `insufficient_role` |
//! | a field missing or invalid | 400 `invalid_input`, each field in `details` |
//! | `stripe_secret_key` empty, `stripe_api_base` unreadable | 503 `billing_not_configured` |
//! | checkout: the plan's price variable is empty | 409 `plan_not_purchasable` |
//! | checkout: the team already pays for a plan | 409 `subscription_active` (use the portal) |
//! | portal: the team has no Stripe customer yet | 409 `no_stripe_customer` |
//! | Stripe unreachable, too slow (`stripe_timeout`), 5xx or 429 | 503 `stripe_unavailable` |
//! | Stripe refuses (4xx) or answers something else than a session | 502 `stripe_request_failed` |
//! | created | 201 `{id, url}` (checkout), `{url}` (portal) |
//!
//! Stripe's own error is logged with its request id, never returned.

use edge::{ApiError, Ctx, Response, db};
use plans::Plan;
use platform_bindings::Principal;
use roles::Permission;
use serde_json::{Map, Value, json};

use crate::persistence::{self, AUDIT_CHECKOUT, AUDIT_PORTAL};
use crate::stripe_api::{self, Client, StripeError};
use crate::{config, input, stripe};

/// The scope a credential needs to change the plan and payment details.
pub const SCOPE: &str = "billing:write";

/// The caller, if its credential holds [`SCOPE`] and its role in the team
/// holds `ManageBilling` (owners only).
fn owner(ctx: &mut Ctx) -> Result<Principal, ApiError> {
    platform_bindings::authorize(ctx, SCOPE, Permission::ManageBilling)
}

/// The body as a JSON object (415 / 400 `malformed_json` / `empty_body`).
fn body(ctx: &Ctx) -> Result<Map<String, Value>, ApiError> {
    ctx.json::<Map<String, Value>>()
        .map_err(ApiError::into_invalid_input)
}

/// The API client, or the 503 that says payments are not set up here.
fn client() -> Result<Client, ApiError> {
    config::stripe_client()?.map_err(|why| {
        ApiError::service_unavailable(
            "billing_not_configured",
            "Payments are not set up on this server, so no plan can be bought or managed here",
            why,
        )
    })
}

/// What a failed call to Stripe is answered with.
fn stripe_failure(ctx: &Ctx, e: StripeError) -> ApiError {
    let request_id = &ctx.request_id;
    match e {
        StripeError::Unavailable(detail) => ApiError::service_unavailable(
            "stripe_unavailable",
            format!(
                "The payment provider cannot be reached right now; nothing was changed. \
                 Retry later (request id {request_id})"
            ),
            detail,
        ),
        StripeError::Refused(detail) => ApiError::bad_gateway(
            "stripe_request_failed",
            format!(
                "The payment provider refused the request; nothing was changed. Quote request \
                 id {request_id} when reporting it"
            ),
            detail,
        ),
    }
}

/// `POST /api/billing/checkout {plan, successUrl, cancelUrl}` -> 201
/// `{id, url}`: a Checkout Session subscribing the team to `plan` (pro or
/// team) at the first price of `stripe_price_<plan>`. See the module
/// documentation for every refusal.
pub fn checkout(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = owner(ctx)?;
    let input = input::checkout(&body(ctx)?).map_err(ApiError::invalid_input)?;
    let client = client()?;
    let plan = input.plan;
    let Some(price) = config::checkout_price(plan)? else {
        ctx.log(format!(
            "billing refused: plan_not_purchasable: {} is empty",
            config::price_variable(plan).unwrap_or("-")
        ));
        return Err(ApiError::conflict(
            "plan_not_purchasable",
            format!(
                "The {} plan cannot be bought here: it has no price",
                plan.title()
            ),
        ));
    };
    let team_id = caller.team_id.as_str();
    let db = db::open()?;
    let billing = persistence::billing(&db, team_id)?;
    if let Some(current) = &billing
        && current.plan != Plan::Free
        && current.subscription_id.is_some()
        && stripe::status_grants_plan(&current.status)
    {
        return Err(ApiError::conflict(
            "subscription_active",
            format!(
                "This team already has a {} subscription ({}): change or cancel it in the \
                 billing portal (POST /api/billing/portal) rather than paying twice",
                current.plan.title(),
                current.status
            ),
        ));
    }
    let customer = billing.as_ref().and_then(|b| b.customer.as_deref());
    let params = stripe_api::checkout_params(
        &price,
        input.success_url.as_str(),
        input.cancel_url.as_str(),
        team_id,
        customer,
    );
    let session = match client.create_session(stripe_api::CHECKOUT_SESSIONS, &params) {
        Ok(session) => session,
        Err(e) => return Err(stripe_failure(ctx, e)),
    };
    persistence::record_session(
        &db,
        team_id,
        &caller.user_id,
        AUDIT_CHECKOUT,
        json!({
            "sessionId": session.id,
            "plan": plan,
            "priceId": price,
            "customer": customer,
        }),
        &ctx.request_id,
    )?;
    ctx.log(format!(
        "checkout session {} for team {team_id}: {} plan, price {price}",
        session.id,
        plan.as_str()
    ));
    Response::json(201, &json!({ "id": session.id, "url": session.url }))
}

/// `POST /api/billing/portal {returnUrl}` -> 201 `{url}`: a Customer Portal
/// session for the team's Stripe customer (409 `no_stripe_customer` before
/// its first subscription). See the module documentation for every refusal.
pub fn portal(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = owner(ctx)?;
    let input = input::portal(&body(ctx)?).map_err(ApiError::invalid_input)?;
    let client = client()?;
    let team_id = caller.team_id.as_str();
    let db = db::open()?;
    let Some(customer) = persistence::billing(&db, team_id)?.and_then(|b| b.customer) else {
        return Err(ApiError::conflict(
            "no_stripe_customer",
            "This team has no Stripe customer yet: subscribe to a plan first \
             (POST /api/billing/checkout)",
        ));
    };
    let params = stripe_api::portal_params(&customer, input.return_url.as_str());
    let session = match client.create_session(stripe_api::PORTAL_SESSIONS, &params) {
        Ok(session) => session,
        Err(e) => return Err(stripe_failure(ctx, e)),
    };
    persistence::record_session(
        &db,
        team_id,
        &caller.user_id,
        AUDIT_PORTAL,
        json!({ "sessionId": session.id, "customer": customer }),
        &ctx.request_id,
    )?;
    ctx.log(format!(
        "portal session {} for team {team_id} (customer {customer})",
        session.id
    ));
    Response::json(201, &json!({ "url": session.url }))
}
