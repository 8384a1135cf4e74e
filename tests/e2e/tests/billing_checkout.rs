//! The owner's Stripe sessions over real HTTP (`POST /api/billing/checkout`, `POST
//! /api/billing/portal`), against a fake Stripe this test runs on 127.0.0.1 (`e2e::fake_stripe`)
//! and reaches through `stripe_api_base`: the form body each call sends (the plan's price, the
//! team in `client_reference_id` and in the subscription's metadata, the team's customer once a
//! webhook has named it), the secret key as a bearer token, Stripe's session passed back; owners
//! only (admins, members, viewers and narrow keys 403); bad input 400 naming each field; no key
//! 503 `billing_not_configured`; Stripe down, slow or failing 503 `stripe_unavailable`, Stripe
//! refusing 502 `stripe_request_failed` (its detail logged, not returned); an audit entry per
//! session created and none for a failure.

use e2e::fake_stripe::{FakeStripe, Reply, closed_base_url};
use e2e::{AppOptions, Resp, TestApp, json, spawn_app_with};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

const PASSWORD: &str = "correct horse battery";
const KEY: &str = "sk_test_e2e_51NqFakeKey0123456789";
const WEBHOOK_SECRET: &str = "whsec_e2e_0123456789abcdefghijklmnop";
const PRO: &str = "price_pro_monthly";
const PRO_YEARLY: &str = "price_pro_yearly";
const TEAM: &str = "price_team_monthly";
const SUCCESS: &str = "https://app.example.com/billing/done?session={CHECKOUT_SESSION_ID}&from=e2e";
const CANCEL: &str = "https://app.example.com/billing?cancelled=1";
const RETURN: &str = "http://localhost:3000/settings/billing";

/// An app that calls `stripe` with the key, knows the prices and the webhook's secret; `extra`
/// variables last (they win).
fn app_with(stripe_base: &str, extra: &[(&str, &str)]) -> TestApp {
    let mut opts = AppOptions::default()
        .variable("stripe_secret_key", KEY)
        .variable("stripe_api_base", stripe_base)
        .variable("stripe_price_pro", &format!("{PRO}, {PRO_YEARLY}"))
        .variable("stripe_price_team", TEAM)
        .variable("stripe_webhook_secret", WEBHOOK_SECRET)
        .variable("billing_free_max_members", "10");
    for (k, v) in extra {
        opts = opts.variable(k, v);
    }
    spawn_app_with(opts)
}

struct User {
    id: String,
    /// A session acting for the user's personal team.
    token: String,
    team: String,
}

fn user(app: &TestApp, email: &str) -> User {
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Test User" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["user"]["id"].as_str().expect("id").to_owned();
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }));
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    User {
        id,
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

fn fields(r: &Resp) -> Vec<String> {
    r.json()["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn checkout(app: &TestApp, token: &str, plan: &str) -> Resp {
    app.post("/api/billing/checkout")
        .bearer(token)
        .json(&json!({ "plan": plan, "successUrl": SUCCESS, "cancelUrl": CANCEL }))
}

fn portal(app: &TestApp, token: &str) -> Resp {
    app.post("/api/billing/portal")
        .bearer(token)
        .json(&json!({ "returnUrl": RETURN }))
}

/// A subscription event for `team`, signed as Stripe signs it, applied.
fn subscription_event(app: &TestApp, id: &str, kind: &str, team: &str, status: &str, price: &str) {
    let now = app.server_time_ms() / 1000;
    let body = json!({
        "id": id,
        "object": "event",
        "created": now,
        "type": format!("customer.subscription.{kind}"),
        "data": { "object": {
            "id": "sub_e2e_1",
            "object": "subscription",
            "customer": "cus_e2e_7",
            "status": status,
            "metadata": { "team_id": team },
            "items": { "data": [ { "price": { "id": price } } ] },
        }},
    })
    .to_string();
    let mut mac = Hmac::<Sha256>::new_from_slice(WEBHOOK_SECRET.as_bytes()).expect("key");
    mac.update(format!("{now}.{body}").as_bytes());
    let v1: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    let r = app
        .post("/webhooks/stripe")
        .header("Content-Type", "application/json")
        .header("Stripe-Signature", &format!("t={now},v1={v1}"))
        .send_bytes(body.as_bytes());
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["outcome"], "applied", "{}", r.text());
}

fn audit(app: &TestApp, token: &str, action: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/audit?action={action}"))
        .bearer(token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["entries"].as_array().expect("entries").clone()
}

/// Whether the runner's log shows `needle` within a few seconds.
fn logged(app: &TestApp, needle: &str) -> bool {
    app.wait_for_log(needle, std::time::Duration::from_secs(5))
}

fn switch(app: &TestApp, token: &str, team: &str) -> String {
    let r = app
        .post("/auth/switch-team")
        .bearer(token)
        .json(&json!({ "teamId": team }));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_owned()
}

#[test]
fn the_owner_opens_checkout_and_portal_sessions_carrying_price_team_and_customer() {
    let stripe = FakeStripe::start();
    let app = app_with(&stripe.base_url, &[]);
    let ann = user(&app, "ann@example.com");

    // No Stripe customer yet: nothing to manage in the portal, and Stripe is not called.
    assert_error(&portal(&app, &ann.token), 409, "no_stripe_customer");
    assert!(stripe.received().is_empty());

    // Checkout for the pro plan: the plan's first price, the team everywhere Stripe returns it.
    let r = checkout(&app, &ann.token, "pro");
    assert_eq!(r.status, 201, "{}", r.text());
    let session = r.json();
    let sent = stripe.last();
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/checkout/sessions");
    assert_eq!(
        sent.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(
        sent.header("content-type"),
        Some("application/x-www-form-urlencoded")
    );
    let form = sent.form();
    let keys: Vec<&str> = form.iter().map(|(k, _)| k.as_str()).collect();
    assert!(!keys.contains(&"customer"), "{form:?}");
    for (name, value) in [
        ("mode", "subscription"),
        ("line_items[0][price]", PRO),
        ("line_items[0][quantity]", "1"),
        ("success_url", SUCCESS),
        ("cancel_url", CANCEL),
        ("client_reference_id", ann.team.as_str()),
        ("metadata[team_id]", ann.team.as_str()),
        ("subscription_data[metadata][team_id]", ann.team.as_str()),
    ] {
        assert_eq!(sent.field(name).as_deref(), Some(value), "{name}: {form:?}");
    }
    // The URL's `{`, `?`, `&`, `=` were percent-encoded on the wire, not dropped or doubled.
    let raw = String::from_utf8_lossy(&sent.body).into_owned();
    assert!(
        raw.contains("%7BCHECKOUT_SESSION_ID%7D%26from%3De2e"),
        "{raw}"
    );
    let id = session["id"].as_str().expect("id");
    assert!(id.starts_with("cs_test_"), "{session}");
    assert_eq!(
        session["url"],
        format!("https://checkout.stripe.com/c/pay/{id}#fidkdWxOYHwnPyd1blpxYHZxWjA0").as_str()
    );
    assert_eq!(session.as_object().expect("object").len(), 2, "{session}");

    // The checkout is paid: Stripe's webhook names the team's subscription and customer.
    subscription_event(&app, "evt_co_1", "created", &ann.team, "active", PRO);
    assert_eq!(
        app.get("/api/billing").bearer(&ann.token).send().json()["plan"],
        "pro"
    );

    // Paying again would be a second subscription: the portal changes plans instead.
    let before = stripe.received().len();
    let r = checkout(&app, &ann.token, "team");
    assert_error(&r, 409, "subscription_active");
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("/api/billing/portal")
    );
    assert_eq!(stripe.received().len(), before);

    // The portal, for the team's customer.
    let r = portal(&app, &ann.token);
    assert_eq!(r.status, 201, "{}", r.text());
    let sent = stripe.last();
    assert_eq!(sent.path, "/v1/billing_portal/sessions");
    assert_eq!(
        sent.header("authorization"),
        Some(&*format!("Bearer {KEY}"))
    );
    assert_eq!(
        sent.form(),
        vec![
            ("customer".to_owned(), "cus_e2e_7".to_owned()),
            ("return_url".to_owned(), RETURN.to_owned()),
        ]
    );
    let url = r.json()["url"].as_str().expect("url").to_owned();
    assert!(
        url.starts_with("https://billing.stripe.com/p/session/test_bps_"),
        "{url}"
    );
    assert_eq!(r.json().as_object().expect("object").len(), 1);

    // Cancelled: back on free, and a new checkout reuses the team's customer.
    subscription_event(&app, "evt_co_2", "deleted", &ann.team, "canceled", PRO);
    let r = checkout(&app, &ann.token, "team");
    assert_eq!(r.status, 201, "{}", r.text());
    let sent = stripe.last();
    assert_eq!(sent.field("customer").as_deref(), Some("cus_e2e_7"));
    assert_eq!(sent.field("line_items[0][price]").as_deref(), Some(TEAM));
    assert_eq!(
        sent.field("subscription_data[metadata][team_id]")
            .as_deref(),
        Some(ann.team.as_str())
    );

    // One audit entry per session, by the owner, naming the session but not its URL.
    let checkouts = audit(&app, &ann.token, "billing.checkout_session");
    assert_eq!(checkouts.len(), 2, "{checkouts:?}");
    let newest = &checkouts[0];
    assert_eq!(newest["userId"], ann.id.as_str());
    assert_eq!(newest["targetId"], ann.team.as_str());
    assert_eq!(newest["details"]["plan"], "team");
    assert_eq!(newest["details"]["priceId"], TEAM);
    assert_eq!(newest["details"]["customer"], "cus_e2e_7");
    assert_eq!(
        newest["details"]["sessionId"],
        r.json()["id"].as_str().expect("id")
    );
    assert_eq!(checkouts[1]["details"]["customer"], Value::Null);
    assert!(
        !newest.to_string().contains("checkout.stripe.com"),
        "{newest}"
    );
    let portals = audit(&app, &ann.token, "billing.portal_session");
    assert_eq!(portals.len(), 1, "{portals:?}");
    assert_eq!(portals[0]["details"]["customer"], "cus_e2e_7");
    assert!(!portals[0].to_string().contains(&url), "{}", portals[0]);
}

#[test]
fn only_the_owner_may_pay_and_admins_members_viewers_and_narrow_keys_get_403() {
    let stripe = FakeStripe::start();
    let app = app_with(&stripe.base_url, &[]);
    let owner = user(&app, "owner@example.com");
    let r = app
        .post("/api/teams")
        .bearer(&owner.token)
        .json(&json!({ "name": "Shared" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let team = r.json()["team"]["id"].as_str().expect("id").to_owned();
    subscription_event(&app, "evt_roles_1", "deleted", &team, "canceled", TEAM);

    for role in ["viewer", "member", "admin"] {
        let email = format!("{role}@example.com");
        let who = user(&app, &email);
        let r = app
            .post(&format!("/api/teams/{team}/invitations"))
            .bearer(&owner.token)
            .json(&json!({ "email": email, "role": role }));
        assert_eq!(r.status, 201, "{}", r.text());
        let invitation = r.json()["token"].as_str().expect("token").to_owned();
        let r = app
            .post("/api/teams/invitations/accept")
            .bearer(&who.token)
            .json(&json!({ "token": invitation }));
        assert_eq!(r.status, 200, "{}", r.text());
        let token = switch(&app, &who.token, &team);
        for r in [checkout(&app, &token, "team"), portal(&app, &token)] {
            assert_error(&r, 403, "insufficient_role");
            let message = r.json()["message"].as_str().expect("message").to_owned();
            assert!(
                message.contains(role) && message.contains("owner"),
                "{message}"
            );
        }
    }
    // No credential, and an owner's key without billing:write.
    assert_error(
        &app.post("/api/billing/checkout")
            .json(&json!({ "plan": "pro", "successUrl": SUCCESS, "cancelUrl": CANCEL })),
        401,
        "missing_credentials",
    );
    let owner_in_team = switch(&app, &owner.token, &team);
    let r = app.post("/api/keys").bearer(&owner_in_team).json(
        &json!({ "name": "read only", "kind": "desktop", "scopes": ["billing:read"], "teamId": team }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let narrow = r.json()["key"].as_str().expect("key").to_owned();
    assert_error(&checkout(&app, &narrow, "pro"), 403, "insufficient_scope");
    assert_error(&portal(&app, &narrow), 403, "insufficient_scope");
    assert!(stripe.received().is_empty(), "{:?}", stripe.received());

    // The owner, acting for the shared team: that team is the one paying.
    let r = checkout(&app, &owner_in_team, "team");
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(
        stripe.last().field("client_reference_id").as_deref(),
        Some(team.as_str())
    );
    assert_eq!(
        stripe.last().field("customer").as_deref(),
        Some("cus_e2e_7")
    );
    let r = portal(&app, &owner_in_team);
    assert_eq!(r.status, 201, "{}", r.text());
    // With a key holding billing:write, too.
    let r = app.post("/api/keys").bearer(&owner_in_team).json(
        &json!({ "name": "billing", "kind": "desktop", "scopes": ["billing:*"], "teamId": team }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json()["key"].as_str().expect("key").to_owned();
    let r = portal(&app, &key);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(stripe.received().len(), 3);
}

#[test]
fn bad_plans_and_urls_are_400_naming_each_field_and_an_unpriced_plan_is_409() {
    let stripe = FakeStripe::start();
    let app = app_with(&stripe.base_url, &[("stripe_price_team", "")]);
    let ann = user(&app, "ann@example.com");
    let post = |path: &str, body: Value| app.post(path).bearer(&ann.token).json(&body);
    let cases = [
        (json!({}), vec!["plan", "successUrl", "cancelUrl"]),
        (
            json!({ "plan": "free", "successUrl": SUCCESS, "cancelUrl": CANCEL }),
            vec!["plan"],
        ),
        (
            json!({ "plan": "enterprise", "successUrl": "/billing/done", "cancelUrl": CANCEL }),
            vec!["plan", "successUrl"],
        ),
        (
            json!({ "plan": "pro", "successUrl": "javascript:alert(1)", "cancelUrl": 7 }),
            vec!["successUrl", "cancelUrl"],
        ),
        (
            json!({
                "plan": "pro",
                "successUrl": format!("https://app.example.com/{}", "a".repeat(2048)),
                "cancelUrl": "https://user:pw@app.example.com/",
            }),
            vec!["successUrl", "cancelUrl"],
        ),
        (
            json!({ "plan": null, "successUrl": "ftp://files.example.com/", "cancelUrl": CANCEL }),
            vec!["plan", "successUrl"],
        ),
    ];
    for (body, want) in cases {
        let r = post("/api/billing/checkout", body.clone());
        assert_error(&r, 400, "invalid_input");
        assert_eq!(fields(&r), want, "{body}: {}", r.text());
    }
    for body in [
        json!({}),
        json!({ "returnUrl": "mailto:billing@example.com" }),
        json!({ "returnUrl": "app.example.com/settings" }),
    ] {
        let r = post("/api/billing/portal", body.clone());
        assert_error(&r, 400, "invalid_input");
        assert_eq!(fields(&r), vec!["returnUrl"], "{body}: {}", r.text());
    }
    let r = app
        .post("/api/billing/checkout")
        .bearer(&ann.token)
        .send_bytes(b"plan=pro");
    assert_eq!(r.status, 415, "{}", r.text());
    let r = app
        .post("/api/billing/checkout")
        .bearer(&ann.token)
        .header("Content-Type", "application/json")
        .send_bytes(b"{\"plan\":");
    assert_eq!(r.status, 400, "{}", r.text());

    // A plan without a price cannot be sold, and says so.
    let r = checkout(&app, &ann.token, "team");
    assert_error(&r, 409, "plan_not_purchasable");
    assert!(
        r.json()["message"].as_str().expect("m").contains("Team"),
        "{}",
        r.text()
    );
    assert!(stripe.received().is_empty(), "{:?}", stripe.received());
    // The pro plan still is.
    assert_eq!(checkout(&app, &ann.token, "pro").status, 201);
}

#[test]
fn without_a_secret_key_both_routes_are_503_billing_not_configured() {
    let stripe = FakeStripe::start();
    let app = app_with(&stripe.base_url, &[("stripe_secret_key", "")]);
    let ann = user(&app, "ann@example.com");
    for r in [checkout(&app, &ann.token, "pro"), portal(&app, &ann.token)] {
        assert_error(&r, 503, "billing_not_configured");
        assert_eq!(r.json()["error"], "Service Unavailable");
    }
    assert!(stripe.received().is_empty());
    assert!(
        logged(
            &app,
            "upstream 503 billing_not_configured: the variable stripe_secret_key is empty"
        ),
        "{}",
        app.logs()
    );
    // Input is still checked first: a client learns what to fix.
    let r = app
        .post("/api/billing/checkout")
        .bearer(&ann.token)
        .json(&json!({ "plan": "gold" }));
    assert_error(&r, 400, "invalid_input");
}

#[test]
fn stripe_down_slow_or_failing_is_503_a_refusal_is_502_and_nothing_is_audited() {
    // Nothing listens where Stripe should be.
    let down = closed_base_url();
    let app = app_with(&down, &[]);
    let ann = user(&app, "ann@example.com");
    let r = checkout(&app, &ann.token, "pro");
    assert_error(&r, 503, "stripe_unavailable");
    assert_eq!(r.header("retry-after"), Some("5"));
    assert!(
        logged(&app, "upstream 503 stripe_unavailable"),
        "{}",
        app.logs()
    );
    assert!(audit(&app, &ann.token, "billing.checkout_session").is_empty());
    drop(app);

    let stripe = FakeStripe::start();
    let app = app_with(&stripe.base_url, &[("stripe_timeout", "700ms")]);
    let ann = user(&app, "ann@example.com");
    subscription_event(&app, "evt_fail_1", "deleted", &ann.team, "canceled", PRO);
    let stripe_error = |status: u16, message: &str| {
        Reply::Json(
            status,
            json!({ "error": {
                "type": "invalid_request_error",
                "code": "resource_missing",
                "param": "line_items[0][price]",
                "message": message,
            }}),
        )
    };
    stripe.reply([
        Reply::Hang,
        Reply::Json(
            500,
            json!({ "error": { "type": "api_error", "message": "boom" } }),
        ),
        Reply::Json(
            429,
            json!({ "error": { "type": "rate_limit_error", "message": "slow down" } }),
        ),
        stripe_error(400, "No such price: 'price_pro_monthly' zq9"),
        stripe_error(401, "Invalid API Key provided: sk_test_****6789 zq9"),
        Reply::Json(
            200,
            json!({ "id": "cs_test_nourl", "object": "checkout.session" }),
        ),
        Reply::Json(200, json!({ "id": "bps_x", "url": "javascript:alert(1)" })),
    ]);

    // Too slow: answered within the timeout's reach, not after a minute.
    let started = std::time::Instant::now();
    let r = checkout(&app, &ann.token, "pro");
    assert_error(&r, 503, "stripe_unavailable");
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    assert!(logged(&app, "no answer within"), "{}", app.logs());
    assert_error(
        &checkout(&app, &ann.token, "pro"),
        503,
        "stripe_unavailable",
    );
    assert_error(&portal(&app, &ann.token), 503, "stripe_unavailable");
    // Refusals and answers that are no session: 502, Stripe's words in the log only.
    for r in [
        checkout(&app, &ann.token, "pro"),
        portal(&app, &ann.token),
        checkout(&app, &ann.token, "pro"),
        portal(&app, &ann.token),
    ] {
        assert_error(&r, 502, "stripe_request_failed");
        assert_eq!(r.json()["error"], "Bad Gateway");
        assert!(
            !r.text().contains("zq9") && !r.text().contains("sk_test"),
            "{}",
            r.text()
        );
        assert_eq!(r.header("retry-after"), None);
    }
    assert!(
        logged(
            &app,
            "Stripe answered HTTP 400: invalid_request_error/resource_missing (param \
             line_items[0][price]): No such price: 'price_pro_monthly' zq9 [Stripe request req_fake]"
        ),
        "{}",
        app.logs()
    );
    assert!(logged(&app, "Stripe answered HTTP 401"), "{}", app.logs());
    assert!(!app.logs().contains(KEY), "the key was logged");
    assert_eq!(stripe.received().len(), 7);
    assert!(audit(&app, &ann.token, "billing.checkout_session").is_empty());
    assert!(audit(&app, &ann.token, "billing.portal_session").is_empty());

    // Stripe is back: the next call goes through.
    let r = checkout(&app, &ann.token, "pro");
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(audit(&app, &ann.token, "billing.checkout_session").len(), 1);
}
