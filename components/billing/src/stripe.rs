//! Stripe's events as this component reads them, and what a subscription
//! means for a team's plan. Plain Rust, unit-tested; the webhook handler
//! calls it after the signature is verified.
//!
//! Only three event types change anything: `customer.subscription.created`,
//! `.updated` and `.deleted`. Their `data.object` is the subscription:
//!
//! * the team is `metadata.team_id` of the subscription: create the Checkout
//!   Session (or the subscription) with `subscription_data.metadata.team_id`
//!   (or `metadata.team_id`) set to the BrowserCloud team id;
//! * the plan is the one whose variable (`stripe_price_pro`,
//!   `stripe_price_team`) lists the price of one of its items (`items.data[].price.id`,
//!   or the legacy `plan.id`); the team plan wins when both appear;
//! * the plan is in force while the status is `active`, `trialing` or
//!   `past_due` (Stripe is still retrying the payment); any other status
//!   (`incomplete`, `incomplete_expired`, `unpaid`, `canceled`, `paused`)
//!   and a deleted subscription put the team on the free plan.

use plans::Plan;
use serde_json::Value;

/// The three subscription events.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Created,
    Updated,
    Deleted,
}

impl Kind {
    /// The kind of a Stripe event type; `None` for every other type.
    pub fn of(event_type: &str) -> Option<Kind> {
        match event_type {
            "customer.subscription.created" => Some(Kind::Created),
            "customer.subscription.updated" => Some(Kind::Updated),
            "customer.subscription.deleted" => Some(Kind::Deleted),
            _ => None,
        }
    }
}

/// A Stripe event: the envelope, with `data.object` left as JSON.
#[derive(Debug, Clone, PartialEq)]
pub struct Event {
    /// `evt_…`: the id redeliveries share.
    pub id: String,
    /// `type`.
    pub event_type: String,
    /// `created`: when Stripe made the event, unix seconds.
    pub created: i64,
    /// `data.object`.
    pub object: Value,
}

/// Reads an event's envelope. `Err` says what is wrong (answered 400).
pub fn parse_event(body: &[u8]) -> Result<Event, EventError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| EventError::Json(format!("The body is not valid JSON: {e}")))?;
    if !value.is_object() {
        return Err(EventError::Json("The body must be a JSON object".into()));
    }
    let id = value["id"]
        .as_str()
        .filter(|id| is_stripe_id(id))
        .ok_or_else(|| EventError::Shape("id must be a Stripe id (evt_…)".into()))?;
    let event_type = value["type"]
        .as_str()
        .filter(|t| !t.is_empty() && t.len() <= 100)
        .ok_or_else(|| EventError::Shape("type must be a string".into()))?;
    let created = value["created"]
        .as_i64()
        .ok_or_else(|| EventError::Shape("created must be unix seconds".into()))?;
    let object = value["data"]["object"].clone();
    if !object.is_object() {
        return Err(EventError::Shape("data.object must be an object".into()));
    }
    Ok(Event {
        id: id.to_owned(),
        event_type: event_type.to_owned(),
        created,
        object,
    })
}

/// Why an event body is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EventError {
    /// Not JSON, or not an object.
    Json(String),
    /// JSON, but not an event (or not a subscription where one is due).
    Shape(String),
}

impl EventError {
    pub fn code(&self) -> &'static str {
        match self {
            EventError::Json(_) => "malformed_json",
            EventError::Shape(_) => "invalid_event",
        }
    }
    pub fn message(&self) -> &str {
        match self {
            EventError::Json(m) | EventError::Shape(m) => m,
        }
    }
}

/// Stripe ids and the values we keep from them: 1-255 characters of
/// `[A-Za-z0-9_-]` (`evt_1Nq…`, `sub_…`, `cus_…`, `price_…`).
pub fn is_stripe_id(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= 255
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
}

/// What this component keeps of a subscription.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    /// `sub_…`.
    pub id: String,
    /// `cus_…` (`customer` as an id or an expanded object).
    pub customer: Option<String>,
    pub status: String,
    /// `metadata.team_id`.
    pub team_id: Option<String>,
    /// Every item's price id (and the legacy `plan.id`), in order.
    pub price_ids: Vec<String>,
    /// End of the current period, unix seconds (top-level before Stripe's
    /// 2025-03-31 API version, per item since: the latest item's).
    pub current_period_end: Option<i64>,
    pub cancel_at_period_end: bool,
}

/// Reads a subscription from an event's `data.object`.
pub fn parse_subscription(object: &Value) -> Result<Subscription, EventError> {
    let shape = |m: &str| EventError::Shape(format!("data.object: {m}"));
    if object["object"]
        .as_str()
        .is_some_and(|o| o != "subscription")
    {
        return Err(shape("is not a subscription"));
    }
    let id = object["id"]
        .as_str()
        .filter(|id| is_stripe_id(id))
        .ok_or_else(|| shape("id must be a subscription id (sub_…)"))?;
    let status = object["status"]
        .as_str()
        .filter(|s| is_stripe_id(s))
        .ok_or_else(|| shape("status must be a subscription status"))?;
    let customer = match &object["customer"] {
        Value::String(c) => Some(c.as_str()),
        Value::Object(c) => c.get("id").and_then(Value::as_str),
        _ => None,
    }
    .filter(|c| is_stripe_id(c))
    .map(str::to_owned);
    let team_id = object["metadata"]["team_id"]
        .as_str()
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_owned);
    let items = object["items"]["data"].as_array();
    let mut price_ids: Vec<String> = Vec::new();
    for price in items
        .into_iter()
        .flatten()
        .filter_map(|item| item["price"]["id"].as_str().or(item["plan"]["id"].as_str()))
        .chain(object["plan"]["id"].as_str())
        .filter(|p| is_stripe_id(p))
    {
        if !price_ids.iter().any(|p| p == price) {
            price_ids.push(price.to_owned());
        }
    }
    let current_period_end = object["current_period_end"].as_i64().or_else(|| {
        items
            .into_iter()
            .flatten()
            .filter_map(|item| item["current_period_end"].as_i64())
            .max()
    });
    Ok(Subscription {
        id: id.to_owned(),
        customer,
        status: status.to_owned(),
        team_id,
        price_ids,
        current_period_end,
        cancel_at_period_end: object["cancel_at_period_end"].as_bool().unwrap_or(false),
    })
}

/// Which Stripe prices are which plan (variables `stripe_price_pro`,
/// `stripe_price_team`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PriceMap {
    pro: Vec<String>,
    team: Vec<String>,
}

impl PriceMap {
    pub fn new(pro: Vec<String>, team: Vec<String>) -> Self {
        Self { pro, team }
    }

    /// The plan of the first price that is a team price, else of the first
    /// that is a pro price, with that price; `None` when no price is known.
    pub fn plan_of<'a>(&self, price_ids: &'a [String]) -> Option<(Plan, &'a str)> {
        let find = |list: &[String]| price_ids.iter().find(|p| list.contains(p));
        find(&self.team)
            .map(|p| (Plan::Team, p.as_str()))
            .or_else(|| find(&self.pro).map(|p| (Plan::Pro, p.as_str())))
    }
}

/// Statuses in which the subscription's plan is in force.
pub fn status_grants_plan(status: &str) -> bool {
    matches!(status, "active" | "trialing" | "past_due")
}

/// What an event does to the plan: the plan it puts the team on, and the
/// price that decided it (none for the free plan when no price is known).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub plan: Plan,
    pub price_id: Option<String>,
}

/// The change `kind` of `sub` makes, or why it makes none: a paid status
/// whose prices map to no plan is `unknown_price` (the variables are
/// missing a price; logged, nothing guessed).
pub fn change(kind: Kind, sub: &Subscription, prices: &PriceMap) -> Result<Change, &'static str> {
    let mapped = prices.plan_of(&sub.price_ids);
    let price_id = mapped
        .map(|(_, p)| p.to_owned())
        .or_else(|| sub.price_ids.first().cloned());
    if kind == Kind::Deleted || !status_grants_plan(&sub.status) {
        return Ok(Change {
            plan: Plan::Free,
            price_id,
        });
    }
    match mapped {
        Some((plan, _)) => Ok(Change { plan, price_id }),
        None => Err("unknown_price"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn event(object: Value) -> Vec<u8> {
        json!({
            "id": "evt_1",
            "object": "event",
            "type": "customer.subscription.updated",
            "created": 1_700_000_000,
            "data": { "object": object },
        })
        .to_string()
        .into_bytes()
    }

    fn prices() -> PriceMap {
        PriceMap::new(
            vec!["price_pro_m".into(), "price_pro_y".into()],
            vec!["price_team".into()],
        )
    }

    fn sub(status: &str, prices: &[&str]) -> Subscription {
        Subscription {
            id: "sub_1".into(),
            customer: Some("cus_1".into()),
            status: status.into(),
            team_id: Some("t".into()),
            price_ids: prices.iter().map(|p| (*p).to_owned()).collect(),
            current_period_end: None,
            cancel_at_period_end: false,
        }
    }

    #[test]
    fn only_the_three_subscription_events_have_a_kind() {
        assert_eq!(
            Kind::of("customer.subscription.created"),
            Some(Kind::Created)
        );
        assert_eq!(
            Kind::of("customer.subscription.updated"),
            Some(Kind::Updated)
        );
        assert_eq!(
            Kind::of("customer.subscription.deleted"),
            Some(Kind::Deleted)
        );
        assert_eq!(Kind::of("invoice.paid"), None);
        assert_eq!(Kind::of("customer.subscription.paused"), None);
    }

    #[test]
    fn an_event_envelope_is_read_and_checked() {
        let e = parse_event(&event(json!({ "id": "sub_1" }))).expect("event");
        assert_eq!(e.id, "evt_1");
        assert_eq!(e.event_type, "customer.subscription.updated");
        assert_eq!(e.created, 1_700_000_000);
        assert_eq!(e.object["id"], "sub_1");
        assert_eq!(
            parse_event(b"{not json").map_err(|e| e.code()),
            Err("malformed_json")
        );
        assert_eq!(
            parse_event(b"[]").map_err(|e| e.code()),
            Err("malformed_json")
        );
        for bad in [
            json!({ "type": "x", "created": 1, "data": { "object": {} } }),
            json!({ "id": "evt 1", "type": "x", "created": 1, "data": { "object": {} } }),
            json!({ "id": "evt_1", "created": 1, "data": { "object": {} } }),
            json!({ "id": "evt_1", "type": "x", "created": "now", "data": { "object": {} } }),
            json!({ "id": "evt_1", "type": "x", "created": 1, "data": {} }),
        ] {
            assert_eq!(
                parse_event(bad.to_string().as_bytes()).map_err(|e| e.code()),
                Err("invalid_event"),
                "{bad}"
            );
        }
    }

    #[test]
    fn a_subscription_is_read_from_old_and_new_api_versions() {
        // Before 2025-03-31: current_period_end on the subscription, legacy plan.
        let old = parse_subscription(&json!({
            "id": "sub_1", "object": "subscription", "customer": "cus_9", "status": "active",
            "current_period_end": 1_800_000_000, "cancel_at_period_end": true,
            "metadata": { "team_id": " 0123 " },
            "items": { "data": [ { "price": { "id": "price_pro_m" } } ] },
            "plan": { "id": "price_pro_m" },
        }))
        .expect("subscription");
        assert_eq!(old.customer.as_deref(), Some("cus_9"));
        assert_eq!(old.team_id.as_deref(), Some("0123"));
        assert_eq!(old.price_ids, vec!["price_pro_m"]);
        assert_eq!(old.current_period_end, Some(1_800_000_000));
        assert!(old.cancel_at_period_end);
        // Since: per-item periods, an expanded customer, no metadata.
        let new = parse_subscription(&json!({
            "id": "sub_2", "status": "trialing", "customer": { "id": "cus_8" },
            "items": { "data": [
                { "price": { "id": "price_a" }, "current_period_end": 10 },
                { "price": { "id": "price_b" }, "current_period_end": 20 },
            ] },
        }))
        .expect("subscription");
        assert_eq!(new.customer.as_deref(), Some("cus_8"));
        assert_eq!(new.team_id, None);
        assert_eq!(new.price_ids, vec!["price_a", "price_b"]);
        assert_eq!(new.current_period_end, Some(20));
        assert!(!new.cancel_at_period_end);
        for bad in [
            json!({ "object": "invoice", "id": "in_1", "status": "paid" }),
            json!({ "status": "active" }),
            json!({ "id": "sub_1" }),
        ] {
            assert_eq!(
                parse_subscription(&bad).map_err(|e| e.code()),
                Err("invalid_event"),
                "{bad}"
            );
        }
    }

    #[test]
    fn prices_map_to_plans_and_team_wins() {
        let p = prices();
        assert_eq!(
            p.plan_of(&["price_pro_y".into()]),
            Some((Plan::Pro, "price_pro_y"))
        );
        assert_eq!(
            p.plan_of(&["price_pro_m".into(), "price_team".into()]),
            Some((Plan::Team, "price_team"))
        );
        assert_eq!(p.plan_of(&["price_other".into()]), None);
        assert_eq!(PriceMap::default().plan_of(&["price_pro_m".into()]), None);
    }

    #[test]
    fn paid_statuses_keep_the_plan_and_every_other_status_is_free() {
        for status in ["active", "trialing", "past_due"] {
            assert_eq!(
                change(Kind::Updated, &sub(status, &["price_pro_m"]), &prices()),
                Ok(Change {
                    plan: Plan::Pro,
                    price_id: Some("price_pro_m".into())
                }),
                "{status}"
            );
        }
        for status in [
            "incomplete",
            "incomplete_expired",
            "unpaid",
            "canceled",
            "paused",
        ] {
            assert_eq!(
                change(Kind::Updated, &sub(status, &["price_team"]), &prices()).map(|c| c.plan),
                Ok(Plan::Free),
                "{status}"
            );
        }
    }

    #[test]
    fn deleted_is_free_and_an_unknown_price_is_not_guessed() {
        assert_eq!(
            change(Kind::Deleted, &sub("active", &["price_team"]), &prices()).map(|c| c.plan),
            Ok(Plan::Free)
        );
        assert_eq!(
            change(Kind::Created, &sub("active", &["price_other"]), &prices()),
            Err("unknown_price")
        );
        assert_eq!(
            change(Kind::Deleted, &sub("canceled", &["price_other"]), &prices()),
            Ok(Change {
                plan: Plan::Free,
                price_id: Some("price_other".into())
            })
        );
    }

    #[test]
    fn stripe_ids_are_bounded_plain_tokens() {
        assert!(is_stripe_id("evt_1NqXyz-AB"));
        assert!(!is_stripe_id(""));
        assert!(!is_stripe_id("evt 1"));
        assert!(!is_stripe_id("evt_\u{e9}"));
        assert!(!is_stripe_id(&"a".repeat(256)));
    }
}
