//! The billing component over real HTTP: Stripe-Signature verification (valid, expired,
//! future, tampered, wrong secret, rotated, missing, unconfigured), replays by event id,
//! subscription events moving a team between plans, the plan limits enforced where profiles
//! and members are created and on the team's request budget, and `GET /api/billing` showing
//! each caller only their own team's plan, usage and limits.
//!
//! Signatures are made here with `hmac` and `sha2`, independently of the component's code.

use e2e::{AppOptions, Resp, TestApp, json, spawn_app, spawn_app_with};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

const PASSWORD: &str = "correct horse battery";
const SECRET: &str = "whsec_e2e_0123456789abcdefghijklmnop";
const OLD_SECRET: &str = "whsec_e2e_old_secret_zyxwvutsrqpo";
const PRO: &str = "price_pro_monthly";
const PRO_YEARLY: &str = "price_pro_yearly";
const TEAM: &str = "price_team_monthly";

/// An app that knows the signing secret and the prices, with `extra` variables.
fn billing_app(extra: &[(&str, &str)]) -> TestApp {
    let mut opts = AppOptions::default()
        .variable("stripe_webhook_secret", SECRET)
        .variable("stripe_price_pro", &format!("{PRO}, {PRO_YEARLY}"))
        .variable("stripe_price_team", TEAM);
    for (k, v) in extra {
        opts = opts.variable(k, v);
    }
    spawn_app_with(opts)
}

struct User {
    token: String,
    team: String,
}

fn user(app: &TestApp, email: &str) -> User {
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Test User" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }));
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    User {
        token: body["token"].as_str().expect("token").to_owned(),
        team: body["team"]["id"].as_str().expect("team").to_owned(),
    }
}

fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["code"], code, "{body}");
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Stripe's `v1`: hex HMAC-SHA256 of `"{t}.{body}"` keyed with the secret.
fn v1(secret: &str, t: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("any key length");
    mac.update(format!("{t}.").as_bytes());
    mac.update(body);
    hex(&mac.finalize().into_bytes())
}

fn now_secs(app: &TestApp) -> i64 {
    app.server_time_ms() / 1000
}

/// POSTs a body to the webhook with this `Stripe-Signature` (none when `None`).
fn deliver(app: &TestApp, body: &[u8], signature: Option<&str>) -> Resp {
    let mut req = app
        .post("/webhooks/stripe")
        .header("Content-Type", "application/json; charset=utf-8")
        .header(
            "User-Agent",
            "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        );
    if let Some(s) = signature {
        req = req.header("Stripe-Signature", s);
    }
    req.send_bytes(body)
}

/// Delivers `event` signed now with the right secret, as Stripe does.
fn send(app: &TestApp, event: &Value) -> Resp {
    let body = event.to_string().into_bytes();
    let t = now_secs(app);
    deliver(
        app,
        &body,
        Some(&format!("t={t},v1={}", v1(SECRET, t, &body))),
    )
}

/// Delivers `event` and expects 200 with `outcome`; returns the body.
fn send_ok(app: &TestApp, event: &Value, outcome: &str) -> Value {
    let r = send(app, event);
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["received"], true, "{body}");
    assert_eq!(body["duplicate"], false, "{body}");
    assert_eq!(body["outcome"], outcome, "{body}");
    body
}

fn event(id: &str, event_type: &str, created: i64, object: Value) -> Value {
    json!({
        "id": id,
        "object": "event",
        "api_version": "2024-06-20",
        "created": created,
        "livemode": false,
        "pending_webhooks": 1,
        "type": event_type,
        "data": { "object": object },
    })
}

/// A subscription as Stripe sends it (the fields the component reads, and some it does not).
fn subscription(id: &str, team_id: &str, status: &str, price: &str) -> Value {
    json!({
        "id": id,
        "object": "subscription",
        "customer": "cus_e2e_42",
        "status": status,
        "cancel_at_period_end": false,
        "current_period_end": 1_900_000_000,
        "collection_method": "charge_automatically",
        "metadata": { "team_id": team_id },
        "items": { "object": "list", "data": [
            { "id": "si_e2e", "object": "subscription_item", "price": { "id": price, "object": "price", "unit_amount": 2900 } },
        ] },
    })
}

fn sub_event(
    id: &str,
    kind: &str,
    created: i64,
    sub_id: &str,
    team: &str,
    status: &str,
    price: &str,
) -> Value {
    event(
        id,
        &format!("customer.subscription.{kind}"),
        created,
        subscription(sub_id, team, status, price),
    )
}

fn billing(app: &TestApp, token: &str) -> Value {
    let r = app.get("/api/billing").bearer(token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn create_profile(app: &TestApp, token: &str, name: &str) -> Resp {
    app.post("/api/profiles")
        .bearer(token)
        .json(&json!({ "name": name, "templateId": "windows-chrome" }))
}

fn audit_actions(app: &TestApp, token: &str, query: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/audit?action=billing.plan_change{query}"))
        .bearer(token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["entries"].as_array().expect("entries").clone()
}

// ------------------------------------------------------------------ signatures

#[test]
fn signatures_are_verified_valid_expired_tampered_wrong_secret_rotated_and_missing() {
    let app = billing_app(&[]);
    let now = now_secs(&app);
    let body = event(
        "evt_sig_1",
        "invoice.paid",
        now,
        json!({ "id": "in_1", "object": "invoice" }),
    )
    .to_string()
    .into_bytes();
    let good = v1(SECRET, now, &body);

    // No header, a header without v1, an unreadable header.
    assert_error(&deliver(&app, &body, None), 400, "missing_signature");
    assert_error(
        &deliver(&app, &body, Some(&format!("t={now}"))),
        400,
        "missing_signature",
    );
    assert_error(
        &deliver(&app, &body, Some("garbage")),
        400,
        "malformed_signature",
    );
    assert_error(
        &deliver(&app, &body, Some(&format!("t=soon,v1={good}"))),
        400,
        "malformed_signature",
    );
    // Signed with another secret.
    let r = deliver(
        &app,
        &body,
        Some(&format!("t={now},v1={}", v1("whsec_wrong", now, &body))),
    );
    assert_error(&r, 400, "invalid_signature");
    // A tampered body under the original signature; a moved timestamp.
    let tampered = String::from_utf8(body.clone())
        .expect("utf-8")
        .replace("invoice.paid", "invoice.voided")
        .into_bytes();
    assert_error(
        &deliver(&app, &tampered, Some(&format!("t={now},v1={good}"))),
        400,
        "invalid_signature",
    );
    assert_error(
        &deliver(&app, &body, Some(&format!("t={},v1={good}", now - 1))),
        400,
        "invalid_signature",
    );
    // Correctly signed, but too old or too far ahead (300 s either way; the server's clock
    // moves on while the test runs, so not right at the edge ahead).
    for t in [now - 301, now - 3600, now + 400] {
        let r = deliver(
            &app,
            &body,
            Some(&format!("t={t},v1={}", v1(SECRET, t, &body))),
        );
        assert_error(&r, 400, "signature_expired");
        assert!(
            r.json()["message"]
                .as_str()
                .expect("message")
                .contains("300"),
            "{}",
            r.text()
        );
    }
    // None of the refused deliveries was recorded: the event is new when it finally verifies.
    // Rotated: two v1 values, the first under the old secret, one of them ours.
    let t = now - 200;
    let rotated = format!(
        "t={t},v1={},v1={}",
        v1(OLD_SECRET, t, &body),
        v1(SECRET, t, &body)
    );
    let r = deliver(&app, &body, Some(&rotated));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({ "received": true, "duplicate": false, "outcome": "ignored", "reason": "unhandled_event_type" })
    );
    // Replayed: the same event id again, freshly signed (as Stripe redelivers).
    let r = send(&app, &serde_json::from_slice(&body).expect("json"));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["duplicate"], true, "{}", r.text());
    assert_eq!(r.json()["received"], true, "{}", r.text());

    for code in [
        "missing_signature",
        "malformed_signature",
        "invalid_signature",
        "signature_expired",
    ] {
        app.assert_logged(&format!("stripe webhook refused: {code}"));
    }
    app.assert_logged("evt_sig_1 (invoice.paid): ignored: unhandled_event_type");
    app.assert_logged("already processed");
}

#[test]
fn the_signing_secret_may_be_rotated_on_our_side_too() {
    let app = spawn_app_with(
        AppOptions::default().variable("stripe_webhook_secret", &format!("{SECRET},{OLD_SECRET}")),
    );
    let now = now_secs(&app);
    for (i, secret) in [SECRET, OLD_SECRET].into_iter().enumerate() {
        let body = event(&format!("evt_rot_{i}"), "charge.succeeded", now, json!({}))
            .to_string()
            .into_bytes();
        let r = deliver(
            &app,
            &body,
            Some(&format!("t={now},v1={}", v1(secret, now, &body))),
        );
        assert_eq!(r.status, 200, "{secret}: {}", r.text());
    }
}

#[test]
fn without_a_signing_secret_every_webhook_is_refused_and_logged() {
    let app = spawn_app();
    let now = now_secs(&app);
    let body = event(
        "evt_nosecret",
        "customer.subscription.created",
        now,
        json!({}),
    )
    .to_string()
    .into_bytes();
    for secret in ["", SECRET] {
        let r = deliver(
            &app,
            &body,
            Some(&format!("t={now},v1={}", v1(secret, now, &body))),
        );
        assert_error(&r, 400, "webhook_not_configured");
    }
    assert_error(&deliver(&app, &body, None), 400, "webhook_not_configured");
    app.assert_logged("stripe webhook refused: webhook_not_configured");
    app.assert_logged("stripe_webhook_secret");
}

#[test]
fn the_tolerance_is_a_variable() {
    let app = billing_app(&[("stripe_webhook_tolerance", "10s")]);
    let now = now_secs(&app);
    let body = event("evt_tol", "charge.succeeded", now, json!({}))
        .to_string()
        .into_bytes();
    let t = now - 60;
    let r = deliver(
        &app,
        &body,
        Some(&format!("t={t},v1={}", v1(SECRET, t, &body))),
    );
    assert_error(&r, 400, "signature_expired");
    let r = deliver(
        &app,
        &body,
        Some(&format!("t={now},v1={}", v1(SECRET, now, &body))),
    );
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn signed_bodies_that_are_not_events_are_400_and_large_bodies_413() {
    let app = billing_app(&[("max_body_bytes", "4096")]);
    let now = now_secs(&app);
    let signed = |body: &[u8]| format!("t={now},v1={}", v1(SECRET, now, body));
    for (body, code) in [
        (&b"{\"id\": \"evt_1\", "[..], "malformed_json"),
        (&b"[1, 2]"[..], "malformed_json"),
        (&b"{\"id\": \"evt_1\"}"[..], "invalid_event"),
        (
            &br#"{"id":"evt_1","type":"customer.subscription.updated","created":1,"data":{"object":{"object":"invoice","id":"in_1"}}}"#[..],
            "invalid_event",
        ),
    ] {
        assert_error(&deliver(&app, body, Some(&signed(body))), 400, code);
    }
    let big = event(
        "evt_big",
        "charge.succeeded",
        now,
        json!({ "padding": "x".repeat(8192) }),
    )
    .to_string()
    .into_bytes();
    let r = deliver(&app, &big, Some(&signed(&big)));
    assert_error(&r, 413, "payload_too_large");
}

// ----------------------------------------------------------- plans and limits

#[test]
fn subscriptions_move_the_team_between_plans_and_the_profile_limit_follows() {
    let app = billing_app(&[("billing_free_max_profiles", "2")]);
    let ann = user(&app, "ann@example.com");

    let b = billing(&app, &ann.token);
    assert_eq!(b["teamId"], ann.team.as_str());
    assert_eq!(b["plan"], "free");
    assert_eq!(b["limits"]["profiles"], 2);
    assert_eq!(b["limits"]["members"], 3);
    assert_eq!(b["limits"]["requestsPerMinute"], 600);
    assert_eq!(b["usage"]["profiles"], 0);
    assert_eq!(b["usage"]["members"], 1);
    assert_eq!(b["subscription"]["status"], "none");
    assert!(b["subscription"]["stripeCustomerId"].is_null(), "{b}");
    let plans: Vec<&str> = b["plans"]
        .as_array()
        .expect("plans")
        .iter()
        .map(|p| p["plan"].as_str().expect("plan"))
        .collect();
    assert_eq!(plans, ["free", "pro", "team"]);
    assert_eq!(b["plans"][1]["limits"]["profiles"], 100);

    // Free: two profiles, then the plan's limit.
    for name in ["One", "Two"] {
        let r = create_profile(&app, &ann.token, name);
        assert_eq!(r.status, 201, "{}", r.text());
    }
    let r = create_profile(&app, &ann.token, "Three");
    assert_error(&r, 409, "plan_limit_reached");
    let message = r.json()["message"].as_str().expect("message").to_owned();
    assert!(
        message.contains("Free plan allows 2 profiles per team"),
        "{message}"
    );

    // Subscribed to pro: the limit is pro's, the profile can be created.
    let now = now_secs(&app);
    let created = sub_event("evt_c1", "created", now, "sub_1", &ann.team, "active", PRO);
    let r = send_ok(&app, &created, "applied");
    assert_eq!(r["teamId"], ann.team.as_str());
    assert_eq!(r["plan"], "pro");
    assert_eq!(r["previousPlan"], "free");
    let b = billing(&app, &ann.token);
    assert_eq!(b["plan"], "pro");
    assert_eq!(b["limits"]["profiles"], 100);
    assert_eq!(b["subscription"]["status"], "active");
    assert_eq!(b["subscription"]["stripeCustomerId"], "cus_e2e_42");
    assert_eq!(b["subscription"]["stripeSubscriptionId"], "sub_1");
    assert_eq!(b["subscription"]["stripePriceId"], PRO);
    assert_eq!(b["subscription"]["currentPeriodEnd"], 1_900_000_000_000_i64);
    let r = create_profile(&app, &ann.token, "Three");
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(billing(&app, &ann.token)["usage"]["profiles"], 3);

    // A redelivery of the created event changes nothing.
    let r = send(&app, &created);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["duplicate"], true);
    // Updated to the team price (yearly pro first: the team price wins).
    let mut updated = sub_event("evt_u1", "updated", now, "sub_1", &ann.team, "active", TEAM);
    updated["data"]["object"]["items"]["data"]
        .as_array_mut()
        .expect("items")
        .insert(0, json!({ "id": "si_0", "price": { "id": PRO_YEARLY } }));
    assert_eq!(send_ok(&app, &updated, "applied")["plan"], "team");
    assert_eq!(billing(&app, &ann.token)["limits"]["profiles"], 1000);
    // past_due keeps the plan while Stripe retries the payment.
    let past_due = sub_event(
        "evt_u2", "updated", now, "sub_1", &ann.team, "past_due", TEAM,
    );
    assert_eq!(send_ok(&app, &past_due, "applied")["plan"], "team");

    // Deleted: back to free; the three profiles stay, a fourth is refused.
    let deleted = sub_event(
        "evt_d1", "deleted", now, "sub_1", &ann.team, "canceled", TEAM,
    );
    let r = send_ok(&app, &deleted, "applied");
    assert_eq!(r["plan"], "free");
    assert_eq!(r["previousPlan"], "team");
    let b = billing(&app, &ann.token);
    assert_eq!(b["plan"], "free");
    assert_eq!(b["limits"]["profiles"], 2);
    assert_eq!(b["usage"]["profiles"], 3);
    assert_eq!(b["subscription"]["status"], "canceled");
    assert_error(
        &create_profile(&app, &ann.token, "Four"),
        409,
        "plan_limit_reached",
    );

    // One billing.plan_change audit entry per applied event, by no user.
    let entries = audit_actions(&app, &ann.token, "");
    let changes: Vec<(String, String)> = entries
        .iter()
        .rev()
        .map(|e| {
            assert!(e["userId"].is_null(), "{e}");
            assert_eq!(e["targetId"], ann.team.as_str(), "{e}");
            (
                e["details"]["from"].as_str().expect("from").to_owned(),
                e["details"]["to"].as_str().expect("to").to_owned(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = changes
        .iter()
        .map(|(a, b)| (a.as_str(), b.as_str()))
        .collect();
    assert_eq!(
        pairs,
        [
            ("free", "pro"),
            ("pro", "team"),
            ("team", "team"),
            ("team", "free")
        ]
    );
    assert_eq!(entries[0]["details"]["eventId"], "evt_d1");
}

#[test]
fn late_foreign_and_unmapped_events_are_ignored_with_a_reason() {
    let app = billing_app(&[]);
    let ann = user(&app, "ann@example.com");
    let now = now_secs(&app);
    send_ok(
        &app,
        &sub_event(
            "evt_new", "updated", now, "sub_1", &ann.team, "active", TEAM,
        ),
        "applied",
    );
    let cases = [
        // Older than the event applied last (Stripe does not promise order).
        (
            sub_event(
                "evt_old",
                "updated",
                now - 60,
                "sub_1",
                &ann.team,
                "active",
                PRO,
            ),
            "stale_event",
        ),
        // Another subscription of the team ending does not end the current one.
        (
            sub_event(
                "evt_other",
                "deleted",
                now,
                "sub_2",
                &ann.team,
                "canceled",
                PRO,
            ),
            "not_current_subscription",
        ),
        (
            sub_event(
                "evt_incomplete",
                "created",
                now,
                "sub_3",
                &ann.team,
                "incomplete",
                PRO,
            ),
            "not_current_subscription",
        ),
        // A price neither plan lists: nothing is guessed.
        (
            sub_event(
                "evt_price",
                "updated",
                now,
                "sub_1",
                &ann.team,
                "active",
                "price_unknown",
            ),
            "unknown_price",
        ),
        // No team, or one that does not exist.
        (
            sub_event("evt_noteam", "created", now, "sub_4", "", "active", PRO),
            "no_team_id",
        ),
        (
            sub_event(
                "evt_ghost",
                "created",
                now,
                "sub_5",
                "0123456789abcdef0123456789abcdef",
                "active",
                PRO,
            ),
            "unknown_team",
        ),
        (
            sub_event(
                "evt_junk",
                "created",
                now,
                "sub_6",
                "'; DROP TABLE teams; --",
                "active",
                PRO,
            ),
            "unknown_team",
        ),
    ];
    for (e, reason) in &cases {
        let body = send_ok(&app, e, "ignored");
        assert_eq!(body["reason"], *reason, "{e}");
    }
    let b = billing(&app, &ann.token);
    assert_eq!(b["plan"], "team");
    assert_eq!(b["subscription"]["stripeSubscriptionId"], "sub_1");
    assert_eq!(audit_actions(&app, &ann.token, "").len(), 1);
    // The unknown price is logged with the variables to fix.
    app.assert_logged("price_unknown");
    app.assert_logged("stripe_price_pro");
}

#[test]
fn member_limits_follow_the_plan_of_the_team_named_in_the_metadata() {
    let app = billing_app(&[("billing_free_max_members", "2")]);
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let cat = user(&app, "cat@example.com");
    let r = app
        .post("/api/teams")
        .bearer(&ann.token)
        .json(&json!({ "name": "Growth" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let team = r.json()["team"]["id"].as_str().expect("id").to_owned();
    let invite = |email: &str| {
        app.post(&format!("/api/teams/{team}/invitations"))
            .bearer(&ann.token)
            .json(&json!({ "email": email, "role": "member" }))
    };
    let accept = |who: &User, token: &str| {
        app.post("/api/teams/invitations/accept")
            .bearer(&who.token)
            .json(&json!({ "token": token }))
    };
    let token_of = |r: Resp| {
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["token"].as_str().expect("token").to_owned()
    };
    // Two invitations while the team has one member; the second to accept finds it full.
    let bob_token = token_of(invite("bob@example.com"));
    let cat_token = token_of(invite("cat@example.com"));
    assert_eq!(accept(&bob, &bob_token).status, 200);
    let r = accept(&cat, &cat_token);
    assert_error(&r, 409, "plan_limit_reached");
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("Free plan allows 2 members per team"),
        "{}",
        r.text()
    );
    // Full: no more invitations either.
    assert_error(&invite("dan@example.com"), 409, "plan_limit_reached");
    let b = app
        .get(&format!("/api/billing?teamId={team}"))
        .bearer(&ann.token)
        .send()
        .json();
    assert_eq!(
        (b["plan"].clone(), b["usage"]["members"].clone()),
        (json!("free"), json!(2))
    );
    assert_eq!(b["limits"]["members"], 2);

    // The team subscribes to pro: cat's invitation is still good and there is room.
    let now = now_secs(&app);
    send_ok(
        &app,
        &sub_event(
            "evt_team_pro",
            "created",
            now,
            "sub_t",
            &team,
            "trialing",
            PRO_YEARLY,
        ),
        "applied",
    );
    let r = accept(&cat, &cat_token);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(invite("dan@example.com").status, 201);
    let b = app
        .get(&format!("/api/billing?teamId={team}"))
        .bearer(&bob.token)
        .send()
        .json();
    assert_eq!(b["plan"], "pro");
    assert_eq!(b["limits"]["members"], 10);
    assert_eq!(b["usage"]["members"], 3);
    assert_eq!(b["subscription"]["status"], "trialing");
    // The personal teams were not touched.
    assert_eq!(billing(&app, &ann.token)["plan"], "free");
    let entries = audit_actions(&app, &ann.token, &format!("&teamId={team}"));
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["details"]["to"], "pro");
}

#[test]
fn the_teams_request_budget_follows_the_plan() {
    let app = billing_app(&[
        ("billing_free_requests_per_minute", "5"),
        ("billing_pro_requests_per_minute", "1000"),
    ]);
    let ann = user(&app, "ann@example.com");
    let r = app
        .post("/api/keys")
        .bearer(&ann.token)
        .json(&json!({ "name": "desktop", "kind": "desktop" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json()["key"].as_str().expect("key").to_owned();
    for attempt in 0..3 {
        // Four requests per credential, alternating: neither credential nor the user comes
        // near its own limit (600, 1200); the team's 5 a minute is what answers 429.
        let responses: Vec<Resp> = (0..8)
            .map(|i| {
                let credential = if i % 2 == 0 { &ann.token } else { &key };
                app.get("/api/billing").bearer(credential).send()
            })
            .collect();
        let resets: Vec<&str> = responses
            .iter()
            .filter_map(|r| r.header("x-ratelimit-reset"))
            .collect();
        if resets.len() != responses.len() || resets.windows(2).any(|w| w[0] != w[1]) {
            continue; // a minute boundary: the count restarted
        }
        let ok = responses.iter().filter(|r| r.status == 200).count();
        assert!(ok <= 5, "{ok} requests passed a budget of 5");
        let last = &responses[7];
        assert_error(last, 429, "rate_limited");
        assert_eq!(last.header("x-ratelimit-limit"), Some("5"));
        assert!(last.header("retry-after").is_some());

        // Upgraded: the same team, the same minute, room again.
        let now = now_secs(&app);
        send_ok(
            &app,
            &sub_event(
                &format!("evt_rpm_{attempt}"),
                "created",
                now,
                &format!("sub_r{attempt}"),
                &ann.team,
                "active",
                PRO,
            ),
            "applied",
        );
        let r = app.get("/api/billing").bearer(&key).send();
        assert_eq!(r.status, 200, "{}", r.text());
        let b = r.json();
        assert_eq!(b["plan"], "pro");
        assert_eq!(b["limits"]["requestsPerMinute"], 1000);
        if r.header("x-ratelimit-reset") == Some(resets[0]) {
            let used = b["usage"]["requestsPerMinute"].as_i64().expect("usage");
            assert!(
                used >= 9,
                "every request of the team in this minute is counted: {b}"
            );
        }
        return;
    }
    panic!("could not fit the requests into one minute window");
}

// ------------------------------------------------------------- visibility

#[test]
fn each_caller_sees_only_their_own_teams_billing() {
    let app = billing_app(&[]);
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let now = now_secs(&app);
    send_ok(
        &app,
        &sub_event(
            "evt_ann", "created", now, "sub_ann", &ann.team, "active", TEAM,
        ),
        "applied",
    );
    assert_eq!(billing(&app, &ann.token)["plan"], "team");
    let b = billing(&app, &bob.token);
    assert_eq!(b["teamId"], bob.team.as_str());
    assert_eq!(b["plan"], "free");
    assert!(!b.to_string().contains("cus_e2e_42"), "{b}");
    assert!(!b.to_string().contains(&ann.team), "{b}");
    // Another team by id: not found, like a team that does not exist.
    for team in [
        ann.team.as_str(),
        "0123456789abcdef0123456789abcdef",
        "nope",
    ] {
        let r = app
            .get(&format!("/api/billing?teamId={team}"))
            .bearer(&bob.token)
            .send();
        assert_error(&r, 404, "team_not_found");
        assert!(!r.text().contains("cus_e2e_42"));
    }
    // Any member reads their own team's, with a key too; no credential, no billing.
    let r = app
        .post("/api/keys")
        .bearer(&ann.token)
        .json(&json!({ "name": "ext", "kind": "extension" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json()["key"].as_str().expect("key").to_owned();
    let r = app.get("/api/billing").api_key(&key).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["plan"], "team");
    let r = app
        .post("/api/keys")
        .bearer(&ann.token)
        .json(&json!({ "name": "narrow", "kind": "desktop", "scopes": ["profiles:read"] }));
    assert_eq!(r.status, 201, "{}", r.text());
    let narrow = r.json()["key"].as_str().expect("key").to_owned();
    assert_error(
        &app.get("/api/billing").bearer(&narrow).send(),
        403,
        "insufficient_scope",
    );
    assert_error(&app.get("/api/billing").send(), 401, "missing_credentials");
}
