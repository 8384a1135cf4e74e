//! Every SQL statement of the component, as named constants, and the
//! functions that run them (tables of `migrations/0008_billing.sql`).
//!
//! A Stripe event is processed in one transaction: its id is looked up
//! among the events already processed (a redelivery stops there), the
//! team's row is read, the change is written with its `billing.plan_change`
//! audit entry, and the event id is recorded, all or nothing. Concurrent
//! deliveries of one event queue on the write lock (`BEGIN IMMEDIATE`), so
//! only the first applies it.

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection, RowResult, Value};
use plans::Plan;
use serde_json::json;

use crate::stripe::{self, Event, Kind, PriceMap, Subscription};

const SELECT_BILLING: &str = "\
    SELECT plan, status, stripe_customer_id, stripe_subscription_id, stripe_price_id, \
    current_period_end, cancel_at_period_end, last_event_created, updated_at \
    FROM team_billing WHERE team_id = ?";
const UPSERT_BILLING: &str = "\
    INSERT INTO team_billing (team_id, plan, status, stripe_customer_id, stripe_subscription_id, \
    stripe_price_id, current_period_end, cancel_at_period_end, last_event_created, updated_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) \
    ON CONFLICT (team_id) DO UPDATE SET plan = excluded.plan, status = excluded.status, \
    stripe_customer_id = COALESCE(excluded.stripe_customer_id, team_billing.stripe_customer_id), \
    stripe_subscription_id = excluded.stripe_subscription_id, \
    stripe_price_id = excluded.stripe_price_id, current_period_end = excluded.current_period_end, \
    cancel_at_period_end = excluded.cancel_at_period_end, \
    last_event_created = excluded.last_event_created, updated_at = excluded.updated_at";
const COUNT_TEAM: &str = "SELECT COUNT(*) FROM teams WHERE id = ?";
const SELECT_MEMBERSHIP: &str = "SELECT 1 FROM team_members WHERE team_id = ? AND user_id = ?";
const COUNT_PROFILES: &str = "SELECT COUNT(*) FROM profiles WHERE team_id = ?";
const COUNT_MEMBERS: &str = "SELECT COUNT(*) FROM team_members WHERE team_id = ?";
const SELECT_EVENT: &str = "SELECT outcome, reason FROM stripe_events WHERE id = ?";
const INSERT_EVENT: &str = "\
    INSERT INTO stripe_events (id, type, team_id, outcome, reason, received_at) \
    VALUES (?, ?, ?, ?, ?, ?)";
const DELETE_OLD_EVENTS: &str = "DELETE FROM stripe_events WHERE received_at < ?";

/// How long a processed event id is kept: Stripe redelivers an event for up
/// to three days, and a captured delivery is refused by its signature's
/// timestamp long before this.
pub const EVENT_RETENTION_MS: i64 = 30 * 86_400_000;

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn count(
    db: &Connection,
    context: &'static str,
    sql: &str,
    team_id: &str,
) -> Result<i64, ApiError> {
    let result = db::execute(db, context, sql, &[text(team_id)])?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| ApiError::internal(format!("{context}: no row")))?;
    db::int(row, 0, "count")
}

/// A team's row of `team_billing`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Billing {
    pub plan: Plan,
    pub status: String,
    pub customer: Option<String>,
    pub subscription_id: Option<String>,
    pub price_id: Option<String>,
    /// Milliseconds.
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
    /// Unix seconds.
    pub last_event_created: i64,
    pub updated_at: i64,
}

impl TryFrom<&RowResult> for Billing {
    type Error = ApiError;

    fn try_from(row: &RowResult) -> Result<Self, ApiError> {
        let plan = db::text(row, 0, "team_billing.plan")?;
        Ok(Billing {
            plan: Plan::parse(&plan)
                .ok_or_else(|| ApiError::internal(format!("team_billing.plan {plan:?}")))?,
            status: db::text(row, 1, "team_billing.status")?,
            customer: db::opt_text(row, 2, "team_billing.stripe_customer_id")?,
            subscription_id: db::opt_text(row, 3, "team_billing.stripe_subscription_id")?,
            price_id: db::opt_text(row, 4, "team_billing.stripe_price_id")?,
            current_period_end: db::opt_int(row, 5, "team_billing.current_period_end")?,
            cancel_at_period_end: db::int(row, 6, "team_billing.cancel_at_period_end")? != 0,
            last_event_created: db::int(row, 7, "team_billing.last_event_created")?,
            updated_at: db::int(row, 8, "team_billing.updated_at")?,
        })
    }
}

/// The team's billing row; `None` for a team that never had a subscription.
pub fn billing(db: &Connection, team_id: &str) -> Result<Option<Billing>, ApiError> {
    db::first(
        db,
        "selecting team billing",
        SELECT_BILLING,
        &[text(team_id)],
    )
}

/// Whether the user is a member of the team.
pub fn is_member(db: &Connection, team_id: &str, user_id: &str) -> Result<bool, ApiError> {
    let result = db::execute(
        db,
        "selecting membership",
        SELECT_MEMBERSHIP,
        &[text(team_id), text(user_id)],
    )?;
    Ok(!result.rows.is_empty())
}

/// The team's profiles and members now.
pub fn usage(db: &Connection, team_id: &str) -> Result<(i64, i64), ApiError> {
    Ok((
        count(db, "counting profiles", COUNT_PROFILES, team_id)?,
        count(db, "counting members", COUNT_MEMBERS, team_id)?,
    ))
}

/// What processing an event did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The event id was processed before; nothing was done again.
    Duplicate {
        outcome: String,
        reason: Option<String>,
    },
    /// The team's plan and subscription were written.
    Applied {
        team_id: String,
        from: Plan,
        to: Plan,
        status: String,
    },
    /// Nothing to change; `reason` says why.
    Ignored {
        reason: &'static str,
        team_id: Option<String>,
    },
}

/// Processes a verified event once: see the module documentation.
/// `subscription` is the event's `data.object` read as one (for the three
/// subscription events).
pub fn process(
    db: &Connection,
    event: &Event,
    subscription: Option<&Subscription>,
    prices: &PriceMap,
    request_id: &str,
) -> Result<Outcome, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "pruning old stripe events",
            DELETE_OLD_EVENTS,
            &[Value::Integer(now.saturating_sub(EVENT_RETENTION_MS))],
        )?;
        let seen = db::execute(
            db,
            "selecting stripe event",
            SELECT_EVENT,
            &[text(&event.id)],
        )?;
        if let Some(row) = seen.rows.first() {
            return Ok(Outcome::Duplicate {
                outcome: db::text(row, 0, "stripe_events.outcome")?,
                reason: db::opt_text(row, 1, "stripe_events.reason")?,
            });
        }
        let outcome = evaluate(db, event, subscription, prices, now, request_id)?;
        let (team_id, recorded, reason) = match &outcome {
            Outcome::Applied { team_id, .. } => (Some(team_id.as_str()), "applied", None),
            Outcome::Ignored { reason, team_id } => (team_id.as_deref(), "ignored", Some(*reason)),
            Outcome::Duplicate { .. } => {
                return Err(ApiError::internal("evaluate returned a duplicate"));
            }
        };
        db::execute(
            db,
            "inserting stripe event",
            INSERT_EVENT,
            &[
                text(&event.id),
                text(&event.event_type),
                db::nullable_text(team_id),
                text(recorded),
                db::nullable_text(reason),
                Value::Integer(now),
            ],
        )?;
        Ok(outcome)
    })
}

fn ignored(reason: &'static str, team_id: Option<&str>) -> Result<Outcome, ApiError> {
    Ok(Outcome::Ignored {
        reason,
        team_id: team_id.map(str::to_owned),
    })
}

/// Decides and writes the event's change (inside [`process`]'s transaction).
fn evaluate(
    db: &Connection,
    event: &Event,
    subscription: Option<&Subscription>,
    prices: &PriceMap,
    now: i64,
    request_id: &str,
) -> Result<Outcome, ApiError> {
    let (Some(kind), Some(sub)) = (Kind::of(&event.event_type), subscription) else {
        return ignored("unhandled_event_type", None);
    };
    let Some(team_id) = sub.team_id.as_deref() else {
        return ignored("no_team_id", None);
    };
    if !edge::ids::is_row_id(team_id) || count(db, "selecting team", COUNT_TEAM, team_id)? == 0 {
        return ignored("unknown_team", None);
    }
    let change = match stripe::change(kind, sub, prices) {
        Ok(change) => change,
        Err(reason) => return ignored(reason, Some(team_id)),
    };
    let current = billing(db, team_id)?;
    if let Some(cur) = &current {
        // Stripe does not promise order: an older event never overwrites
        // what a newer one wrote.
        if event.created < cur.last_event_created {
            return ignored("stale_event", Some(team_id));
        }
        // Another subscription ending (or not paid) does not take the
        // plan of the team's current one away.
        if change.plan == Plan::Free
            && cur
                .subscription_id
                .as_deref()
                .is_some_and(|current| current != sub.id)
        {
            return ignored("not_current_subscription", Some(team_id));
        }
    }
    let from = current.as_ref().map_or(Plan::Free, |c| c.plan);
    let period_end_ms = sub.current_period_end.map(|s| s.saturating_mul(1000));
    db::execute(
        db,
        "upserting team billing",
        UPSERT_BILLING,
        &[
            text(team_id),
            text(change.plan.as_str()),
            text(&sub.status),
            db::nullable_text(sub.customer.as_deref()),
            text(&sub.id),
            db::nullable_text(change.price_id.as_deref()),
            period_end_ms.map_or(Value::Null, Value::Integer),
            Value::Integer(i64::from(sub.cancel_at_period_end)),
            Value::Integer(event.created),
            Value::Integer(now),
        ],
    )?;
    db::audit(
        db,
        &AuditEntry {
            team_id: Some(team_id),
            user_id: None,
            action: "billing.plan_change",
            target_type: "team",
            target_id: team_id,
            details: json!({
                "from": from.as_str(),
                "to": change.plan.as_str(),
                "status": sub.status,
                "eventId": event.id,
                "eventType": event.event_type,
                "subscriptionId": sub.id,
                "priceId": change.price_id,
            }),
            request_id,
        },
    )?;
    Ok(Outcome::Applied {
        team_id: team_id.to_owned(),
        from,
        to: change.plan,
        status: sub.status.clone(),
    })
}

/// Audit action of a Checkout Session created for a team.
pub const AUDIT_CHECKOUT: &str = "billing.checkout_session";
/// Audit action of a Customer Portal session created for a team.
pub const AUDIT_PORTAL: &str = "billing.portal_session";

/// Records that `user_id` opened a Stripe session (`action`, one of the two
/// above) for the team; one statement, so no transaction. `details` names
/// the session, never its URL (it lets whoever holds it pay or manage).
pub fn record_session(
    db: &Connection,
    team_id: &str,
    user_id: &str,
    action: &'static str,
    details: serde_json::Value,
    request_id: &str,
) -> Result<(), ApiError> {
    db::audit(
        db,
        &AuditEntry {
            team_id: Some(team_id),
            user_id: Some(user_id),
            action,
            target_type: "team",
            target_id: team_id,
            details,
            request_id,
        },
    )
}
