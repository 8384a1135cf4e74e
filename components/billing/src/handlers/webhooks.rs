//! `POST /webhooks/stripe`: Stripe's subscription events, applied to the
//! team's plan.
//!
//! No credential: the request proves itself with `Stripe-Signature`
//! (`crates/webhook-signature`), verified over the raw body with the
//! variable `stripe_webhook_secret` before anything is read; the body size
//! is bounded by `max_body_bytes` before routing (413). Every refusal is
//! logged with its reason.
//!
//! | case | answer |
//! |---|---|
//! | no secret configured | 400 `webhook_not_configured` |
//! | no header, no `v1` | 400 `missing_signature` |
//! | unreadable header | 400 `malformed_signature` |
//! | no `v1` matches (wrong secret, tampered body) | 400 `invalid_signature` |
//! | `t` more than `stripe_webhook_tolerance` from now | 400 `signature_expired` |
//! | signed, but not JSON / not an event | 400 `malformed_json` / `invalid_event` |
//! | an event id seen before | 200 `{received, duplicate: true}`, nothing applied |
//! | a subscription event applied | 200 `{received, duplicate: false, outcome: "applied", teamId, plan, previousPlan, status}` |
//! | anything else (another type, no or unknown team, unknown price, an older event, another subscription) | 200 `{received, duplicate: false, outcome: "ignored", reason}` |
//!
//! A 400 makes Stripe redeliver (with a new signature) for up to three days,
//! so an event refused while the secret was missing arrives again once it
//! is set.

use edge::{ApiError, Ctx, Response, db};
use serde_json::json;

use crate::config;
use crate::persistence::{self, Outcome};
use crate::stripe::{self, EventError, Kind};

/// The header Stripe signs with (the edge lowercases header names).
pub const SIGNATURE_HEADER: &str = "stripe-signature";

fn refuse(ctx: &Ctx, code: &'static str, message: String) -> ApiError {
    ctx.log(format!("stripe webhook refused: {code}: {message}"));
    ApiError::bad_request(code, message)
}

fn bad_event(ctx: &Ctx, e: EventError) -> ApiError {
    refuse(ctx, e.code(), e.message().to_owned())
}

/// `POST /webhooks/stripe`: see the module documentation.
pub fn stripe(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let secrets = config::webhook_secrets()?;
    if secrets.is_empty() {
        return Err(refuse(
            ctx,
            "webhook_not_configured",
            format!(
                "No signing secret is configured (variable {}), so no event can be verified; \
                 nothing was processed",
                config::VAR_WEBHOOK_SECRET
            ),
        ));
    }
    let Some(header) = ctx.header(SIGNATURE_HEADER) else {
        return Err(refuse(
            ctx,
            "missing_signature",
            "The Stripe-Signature header is missing".into(),
        ));
    };
    let keys: Vec<&[u8]> = secrets.iter().map(String::as_bytes).collect();
    let now = i64::try_from(edge::time::now_secs()).unwrap_or(i64::MAX);
    let tolerance = config::webhook_tolerance_secs()?;
    if let Err(e) = webhook_signature::verify(header, &ctx.request.body, &keys, now, tolerance) {
        return Err(refuse(ctx, e.code(), e.to_string()));
    }
    let event = stripe::parse_event(&ctx.request.body).map_err(|e| bad_event(ctx, e))?;
    let subscription = match Kind::of(&event.event_type) {
        Some(_) => Some(stripe::parse_subscription(&event.object).map_err(|e| bad_event(ctx, e))?),
        None => None,
    };
    let prices = config::prices()?;
    let db = db::open()?;
    let outcome =
        persistence::process(&db, &event, subscription.as_ref(), &prices, &ctx.request_id)?;
    let what = format!("stripe event {} ({})", event.id, event.event_type);
    let body = match outcome {
        Outcome::Duplicate { outcome, reason } => {
            ctx.log(format!(
                "{what}: already processed ({outcome}); not applied again"
            ));
            json!({ "received": true, "duplicate": true, "outcome": outcome, "reason": reason })
        }
        Outcome::Applied {
            team_id,
            from,
            to,
            status,
        } => {
            ctx.log(format!(
                "{what}: team {team_id}: plan {} -> {} (subscription {status})",
                from.as_str(),
                to.as_str()
            ));
            json!({
                "received": true,
                "duplicate": false,
                "outcome": "applied",
                "teamId": team_id,
                "plan": to,
                "previousPlan": from,
                "status": status,
            })
        }
        Outcome::Ignored { reason, team_id } => {
            let detail = match (reason, &subscription) {
                ("unknown_price", Some(sub)) => format!(
                    ": prices {:?} are in neither {} nor {}",
                    sub.price_ids,
                    config::VAR_PRICE_PRO,
                    config::VAR_PRICE_TEAM
                ),
                ("unknown_team", Some(sub)) => {
                    format!(": metadata.team_id {:?} is no team", sub.team_id)
                }
                _ => String::new(),
            };
            let team = team_id.map(|t| format!(" (team {t})")).unwrap_or_default();
            ctx.log(format!("{what}{team}: ignored: {reason}{detail}"));
            json!({ "received": true, "duplicate": false, "outcome": "ignored", "reason": reason })
        }
    };
    Response::json(200, &body)
}
