//! Outbound webhooks over real HTTP: `/api/webhooks` CRUD for team admins
//! (members and viewers 403, other teams 404), the secret shown once, URLs
//! checked against `webhook_allowed_hosts` (private addresses refused unless
//! named), and deliveries to a receiver this test runs on 127.0.0.1: each
//! event's payload, the Stripe-style signature verified here with the
//! secret, a failed delivery retried (by the retry route, and by the next
//! event once its backoff is due), given up after `webhook_max_attempts`,
//! and every outcome listed.

use std::collections::VecDeque;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

use e2e::{AppOptions, Resp, TestApp, json, spawn_app, spawn_app_with};
use hmac::{Hmac, Mac};
use serde_json::Value;
use sha2::Sha256;

const PASSWORD: &str = "correct horse battery";
const ALL_EVENTS: [&str; 5] = [
    "profile.launched",
    "profile.released",
    "lock.taken_over",
    "sync.conflict",
    "member.joined",
];

/// One request the receiver got.
#[derive(Debug, Clone)]
struct Received {
    path: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Received {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("the payload is JSON")
    }
}

/// A tiny HTTP server on 127.0.0.1: records every request, answers each
/// with the next scripted status (200 once the script is used up).
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    fn start(script: &[u16]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let got = Arc::new(Mutex::new(Vec::new()));
        let statuses = Arc::new(Mutex::new(
            script.iter().copied().collect::<VecDeque<u16>>(),
        ));
        let (seen, script) = (got.clone(), statuses);
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { continue };
                let Some(request) = read_request(&mut stream) else {
                    continue;
                };
                if let Ok(mut g) = seen.lock() {
                    g.push(request);
                }
                let status = script
                    .lock()
                    .ok()
                    .and_then(|mut s| s.pop_front())
                    .unwrap_or(200);
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status} Scripted\r\ncontent-length: 2\r\nconnection: close\r\n\r\nok"
                );
                let _ = stream.flush();
            }
        });
        Self {
            url: format!("http://127.0.0.1:{port}/hooks/in?src=test"),
            got,
        }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().expect("lock").clone()
    }
}

fn read_request(stream: &mut std::net::TcpStream) -> Option<Received> {
    stream
        .set_read_timeout(Some(std::time::Duration::from_secs(10)))
        .ok()?;
    let mut reader = BufReader::new(stream.try_clone().ok()?);
    let mut line = String::new();
    reader.read_line(&mut line).ok()?;
    let path = line.split_whitespace().nth(1)?.to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        reader.read_line(&mut h).ok()?;
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        let (n, v) = h.split_once(':')?;
        headers.push((n.trim().to_ascii_lowercase(), v.trim().to_owned()));
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n == "content-length")
        .and_then(|(_, v)| v.parse().ok())?;
    let mut body = vec![0; len];
    reader.read_exact(&mut body).ok()?;
    Some(Received {
        path,
        headers,
        body,
    })
}

/// The `Webhook-Signature` of a delivery checked with the secret: `t` and a
/// `v1` that is the HMAC-SHA256 of `"{t}.{body}"`.
fn assert_signed(r: &Received, secret: &str) {
    let header = r.header("webhook-signature").expect("signed");
    let mut t = None;
    let mut v1 = Vec::new();
    for part in header.split(',') {
        match part.split_once('=') {
            Some(("t", v)) => t = Some(v.to_owned()),
            Some(("v1", v)) => v1.push(v.to_owned()),
            _ => {}
        }
    }
    let t = t.expect("t=");
    let age = (std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs() as i64
        - t.parse::<i64>().expect("t is seconds"))
    .abs();
    assert!(age < 300, "the timestamp is now: {t}");
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("key");
    mac.update(t.as_bytes());
    mac.update(b".");
    mac.update(&r.body);
    let expected: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(v1, vec![expected], "the signature verifies with the secret");
}

struct User {
    token: String,
    id: String,
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
    User {
        token: r.json()["token"].as_str().expect("token").to_owned(),
        id,
    }
}

fn create_team(app: &TestApp, owner: &User) -> String {
    let r = app
        .post("/api/teams")
        .bearer(&owner.token)
        .json(&json!({ "name": "QA" }));
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["team"]["id"].as_str().expect("id").to_owned()
}

fn join(app: &TestApp, owner: &User, team: &str, who: &User, email: &str, role: &str) {
    let r = app
        .post(&format!("/api/teams/{team}/invitations"))
        .bearer(&owner.token)
        .json(&json!({ "email": email, "role": role }));
    assert_eq!(r.status, 201, "{}", r.text());
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let r = app
        .post("/api/teams/invitations/accept")
        .bearer(&who.token)
        .json(&json!({ "token": token }));
    assert_eq!(r.status, 200, "{}", r.text());
}

fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.json()["code"], code, "{}", r.text());
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

fn local_app(extra: &[(&str, &str)]) -> TestApp {
    let mut opts = AppOptions::default().variable("webhook_allowed_hosts", "http://127.0.0.1:*");
    for (k, v) in extra {
        opts = opts.variable(k, v);
    }
    spawn_app_with(opts)
}

/// Creates a webhook; returns (id, secret).
fn webhook(app: &TestApp, by: &User, query: &str, url: &str, events: &[&str]) -> (String, String) {
    let r = app
        .post(&format!("/api/webhooks{query}"))
        .bearer(&by.token)
        .json(&json!({ "url": url, "events": events, "description": "test receiver" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    (
        body["webhook"]["id"].as_str().expect("id").to_owned(),
        body["secret"].as_str().expect("secret").to_owned(),
    )
}

fn deliveries(app: &TestApp, by: &User, id: &str) -> Vec<Value> {
    let r = app
        .get(&format!("/api/webhooks/{id}/deliveries"))
        .bearer(&by.token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["deliveries"]
        .as_array()
        .expect("deliveries")
        .clone()
}

fn new_profile(app: &TestApp, by: &User) -> String {
    let r = app
        .post("/api/profiles")
        .bearer(&by.token)
        .json(&json!({ "name": "Shop", "templateId": "windows-chrome" }));
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

fn launch(app: &TestApp, by: &User, profile: &str, client: &str) -> u64 {
    let r = app
        .post(&format!("/api/profiles/{profile}/launch"))
        .bearer(&by.token)
        .header("X-Client-ID", client)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["lock"]["token"].as_u64().expect("token")
}

#[test]
fn admins_manage_webhooks_members_viewers_and_other_teams_cannot() {
    let app = local_app(&[]);
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let vic = user(&app, "vic@example.com");
    let eve = user(&app, "eve@example.com");
    let team = create_team(&app, &ann);
    join(&app, &ann, &team, &bob, "bob@example.com", "member");
    join(&app, &ann, &team, &vic, "vic@example.com", "viewer");
    let q = format!("?teamId={team}");

    let r = app
        .post(&format!("/api/webhooks{q}"))
        .bearer(&ann.token)
        .json(&json!({ "url": "http://127.0.0.1:9/in", "events": ["member.joined", "profile.launched"] }));
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    let secret = body["secret"].as_str().expect("secret").to_owned();
    assert!(
        secret.starts_with("whsec_") && secret.len() == 70,
        "{secret}"
    );
    let hook = body["webhook"].clone();
    let id = hook["id"].as_str().expect("id").to_owned();
    assert_eq!(hook["teamId"], team.as_str());
    assert_eq!(hook["events"], json!(["profile.launched", "member.joined"]));
    assert_eq!(hook["active"], true);
    assert_eq!(hook["secretLast4"], &secret[secret.len() - 4..]);

    // The secret is never shown again.
    for r in [
        app.get(&format!("/api/webhooks/{id}"))
            .bearer(&ann.token)
            .send(),
        app.get(&format!("/api/webhooks{q}"))
            .bearer(&ann.token)
            .send(),
    ] {
        assert_eq!(r.status, 200, "{}", r.text());
        assert!(!r.text().contains(&secret[6..]), "{}", r.text());
    }
    let r = app
        .get(&format!("/api/webhooks{q}"))
        .bearer(&ann.token)
        .send();
    assert_eq!(r.json()["total"], 1);
    // Without teamId: the credential's (personal) team, which has none.
    let r = app.get("/api/webhooks").bearer(&ann.token).send();
    assert_eq!(r.json()["total"], 0, "{}", r.text());

    // Members and viewers: 403 everywhere.
    for who in [&bob, &vic] {
        assert_error(
            &app.get(&format!("/api/webhooks{q}"))
                .bearer(&who.token)
                .send(),
            403,
            "insufficient_role",
        );
        assert_error(
            &app.get(&format!("/api/webhooks/{id}"))
                .bearer(&who.token)
                .send(),
            403,
            "insufficient_role",
        );
        let r = app
            .post(&format!("/api/webhooks{q}"))
            .bearer(&who.token)
            .json(&json!({ "url": "http://127.0.0.1:9/x", "events": ["member.joined"] }));
        assert_error(&r, 403, "insufficient_role");
        assert_error(
            &app.delete(&format!("/api/webhooks/{id}"))
                .bearer(&who.token)
                .send(),
            403,
            "insufficient_role",
        );
    }
    // Another team: 404, whatever the route.
    assert_error(
        &app.get(&format!("/api/webhooks{q}"))
            .bearer(&eve.token)
            .send(),
        404,
        "team_not_found",
    );
    for r in [
        app.get(&format!("/api/webhooks/{id}"))
            .bearer(&eve.token)
            .send(),
        app.put(&format!("/api/webhooks/{id}"))
            .bearer(&eve.token)
            .json(&json!({ "active": false })),
        app.post(&format!("/api/webhooks/{id}/secret"))
            .bearer(&eve.token)
            .send(),
        app.get(&format!("/api/webhooks/{id}/deliveries"))
            .bearer(&eve.token)
            .send(),
        app.post(&format!("/api/webhooks/{id}/deliveries/retry"))
            .bearer(&eve.token)
            .send(),
        app.delete(&format!("/api/webhooks/{id}"))
            .bearer(&eve.token)
            .send(),
    ] {
        assert_error(&r, 404, "webhook_not_found");
        assert!(!r.text().contains("127.0.0.1"));
    }

    // Once admin, Bob manages them.
    let r = app
        .put(&format!("/api/teams/{team}/members/{}", bob.id))
        .bearer(&ann.token)
        .json(&json!({ "role": "admin" }));
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .put(&format!("/api/webhooks/{id}"))
        .bearer(&bob.token)
        .json(&json!({ "events": ["sync.conflict"], "active": false, "description": "off" }));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["events"], json!(["sync.conflict"]));
    assert_eq!(r.json()["active"], false);

    // Rotating shows a new secret once.
    let r = app
        .post(&format!("/api/webhooks/{id}/secret"))
        .bearer(&bob.token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let rotated = r.json()["secret"].as_str().expect("secret").to_owned();
    assert!(rotated.starts_with("whsec_") && rotated != secret);
    assert_eq!(
        r.json()["webhook"]["secretLast4"],
        &rotated[rotated.len() - 4..]
    );

    // Bad input: 400 naming each field.
    for (body, named) in [
        (json!({}), vec!["url", "events"]),
        (
            json!({ "url": "ftp://127.0.0.1/x", "events": ["member.joined"] }),
            vec!["url"],
        ),
        (
            json!({ "url": "http://127.0.0.2:80/x", "events": ["member.joined"] }),
            vec!["url"],
        ),
        (
            json!({ "url": "https://hooks.example.com/x", "events": ["member.joined"] }),
            vec!["url"],
        ),
        (
            json!({ "url": "http://127.0.0.1:9/x", "events": ["profile.deleted"] }),
            vec!["events"],
        ),
        (
            json!({ "url": "http://127.0.0.1:9/x", "events": [] }),
            vec!["events"],
        ),
        (
            json!({ "url": 7, "events": "member.joined", "active": "yes" }),
            vec!["url", "events", "active"],
        ),
    ] {
        let r = app
            .post(&format!("/api/webhooks{q}"))
            .bearer(&ann.token)
            .json(&body);
        assert_error(&r, 400, "invalid_input");
        assert_eq!(fields(&r), named, "{body}");
    }

    let r = app
        .delete(&format!("/api/webhooks/{id}"))
        .bearer(&ann.token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_error(
        &app.get(&format!("/api/webhooks/{id}"))
            .bearer(&ann.token)
            .send(),
        404,
        "webhook_not_found",
    );
    let r = app
        .get(&format!("/api/audit?teamId={team}&targetType=webhook"))
        .bearer(&ann.token)
        .send();
    let actions: Vec<String> = r.json()["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect();
    assert_eq!(
        actions,
        vec![
            "webhook.delete",
            "webhook.rotate_secret",
            "webhook.update",
            "webhook.create"
        ]
    );
    assert!(!r.text().contains(&rotated[6..]) && !r.text().contains(&secret[6..]));
}

#[test]
fn by_default_only_public_https_urls_are_accepted() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    for url in [
        "http://127.0.0.1:8080/in",
        "https://127.0.0.1/in",
        "https://10.0.0.8/in",
        "https://169.254.169.254/latest",
        "https://[::1]/in",
        "https://localhost/in",
        "http://hooks.example.com/in",
        "https://hooks.example.com:8443/in",
    ] {
        let r = app
            .post("/api/webhooks")
            .bearer(&ann.token)
            .json(&json!({ "url": url, "events": ["profile.launched"] }));
        assert_error(&r, 400, "invalid_input");
        assert_eq!(fields(&r), vec!["url"], "{url}");
    }
    let r = app
        .post("/api/webhooks")
        .bearer(&ann.token)
        .json(&json!({ "url": "https://hooks.example.com/in", "events": ["profile.launched"] }));
    assert_eq!(r.status, 201, "{}", r.text());
}

#[test]
fn every_event_is_delivered_signed_with_its_payload() {
    let app = local_app(&[("lock_ttl", "1s")]);
    let rx = Receiver::start(&[]);
    let ann = user(&app, "ann@example.com");
    let (id, secret) = webhook(&app, &ann, "", &rx.url, &ALL_EVENTS);
    let profile = new_profile(&app, &ann);

    // profile.launched, then profile.released.
    let token = launch(&app, &ann, &profile, "laptop");
    let r = app
        .post(&format!("/api/profiles/{profile}/release"))
        .bearer(&ann.token)
        .header("X-Client-ID", "laptop")
        .json(&json!({ "token": token }));
    assert_eq!(r.status, 200, "{}", r.text());
    let got = rx.received();
    assert_eq!(got.len(), 2, "{got:?}");
    for (r, event) in got.iter().zip(["profile.launched", "profile.released"]) {
        assert_eq!(r.path, "/hooks/in?src=test");
        assert_eq!(r.header("content-type"), Some("application/json"));
        assert_eq!(r.header("webhook-event"), Some(event));
        assert_signed(r, &secret);
        let p = r.json();
        assert_eq!(p["type"], event);
        assert_eq!(r.header("webhook-id"), p["id"].as_str());
        assert_eq!(p["data"]["profileId"], profile.as_str());
        assert_eq!(p["data"]["clientId"], "laptop");
        assert_eq!(p["data"]["userId"], ann.id.as_str());
        assert!(p["createdAt"].as_i64().expect("createdAt") > 0);
    }
    assert_eq!(got[0].json()["data"]["renewed"], false);

    // lock.taken_over: another client takes the lock once it went stale.
    launch(&app, &ann, &profile, "laptop");
    app.wait_server_ms(1100);
    launch(&app, &ann, &profile, "desktop");
    let got = rx.received();
    assert_eq!(got.len(), 5, "{got:?}");
    let events: Vec<&str> = got[2..]
        .iter()
        .map(|r| r.header("webhook-event").expect("event"))
        .collect();
    assert_eq!(
        events,
        vec!["profile.launched", "profile.launched", "lock.taken_over"]
    );
    let taken = got[4].json();
    assert_signed(&got[4], &secret);
    assert_eq!(taken["data"]["clientId"], "desktop");
    assert_eq!(taken["data"]["previous"]["clientId"], "laptop");
    assert_eq!(taken["data"]["previous"]["userId"], ann.id.as_str());

    // sync.conflict: a push based on a session that is not the current one.
    let r = app
        .post(&format!("/api/sync/{profile}"))
        .bearer(&ann.token)
        .header("If-Match", &format!("\"{}\"", "0".repeat(64)))
        .json(&json!({ "cookies": [], "localStorage": {} }));
    assert_eq!(r.status, 412, "{}", r.text());
    let got = rx.received();
    assert_eq!(got.len(), 6, "{got:?}");
    let conflict = got[5].json();
    assert_signed(&got[5], &secret);
    assert_eq!(conflict["type"], "sync.conflict");
    assert_eq!(conflict["data"]["profileId"], profile.as_str());
    assert_eq!(conflict["data"]["ifMatch"], "0".repeat(64));

    // Every outcome is listed, newest first.
    let listed = deliveries(&app, &ann, &id);
    assert_eq!(listed.len(), 6);
    assert!(listed.iter().all(|d| d["status"] == "delivered"
        && d["attempts"] == 1
        && d["lastStatusCode"] == 200
        && d["lastError"].is_null()));
    assert_eq!(listed[0]["event"], "sync.conflict");
    assert_eq!(listed[0]["payload"], conflict);
    let r = app
        .get(&format!("/api/webhooks/{id}/deliveries?limit=4"))
        .bearer(&ann.token)
        .send();
    let page = r.json();
    assert_eq!(page["deliveries"].as_array().expect("page").len(), 4);
    let cursor = page["nextCursor"].as_str().expect("cursor").to_owned();
    let r = app
        .get(&format!(
            "/api/webhooks/{id}/deliveries?limit=4&cursor={cursor}"
        ))
        .bearer(&ann.token)
        .send();
    let rest = r.json();
    assert_eq!(rest["deliveries"].as_array().expect("rest").len(), 2);
    assert!(rest["nextCursor"].is_null());
    assert_eq!(rest["deliveries"][1]["event"], "profile.launched");

    // An inactive webhook gets nothing; one not subscribed to an event neither.
    let r = app
        .put(&format!("/api/webhooks/{id}"))
        .bearer(&ann.token)
        .json(&json!({ "active": false }));
    assert_eq!(r.status, 200, "{}", r.text());
    launch(&app, &ann, &profile, "desktop");
    let r = app
        .put(&format!("/api/webhooks/{id}"))
        .bearer(&ann.token)
        .json(&json!({ "active": true, "events": ["member.joined"] }));
    assert_eq!(r.status, 200, "{}", r.text());
    launch(&app, &ann, &profile, "desktop");
    assert_eq!(rx.received().len(), 6);
}

#[test]
fn a_failed_delivery_is_retried_then_given_up_and_retried_by_hand() {
    let app = local_app(&[("webhook_max_attempts", "2")]);
    let rx = Receiver::start(&[500, 503, 500]);
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let team = create_team(&app, &ann);
    let (id, secret) = webhook(
        &app,
        &ann,
        &format!("?teamId={team}"),
        &rx.url,
        &["member.joined"],
    );

    // member.joined, answered 500: pending, due again after the backoff.
    join(&app, &ann, &team, &bob, "bob@example.com", "member");
    let got = rx.received();
    assert_eq!(got.len(), 1);
    let first = got[0].json();
    assert_eq!(first["type"], "member.joined");
    assert_eq!(first["teamId"], team.as_str());
    assert_eq!(first["data"]["userId"], bob.id.as_str());
    assert_eq!(first["data"]["email"], "bob@example.com");
    assert_eq!(first["data"]["role"], "member");
    let d = &deliveries(&app, &ann, &id)[0];
    assert_eq!(d["status"], "pending");
    assert_eq!(d["attempts"], 1);
    assert_eq!(d["lastStatusCode"], 500);
    assert_eq!(d["lastError"], "the receiver answered HTTP 500");
    let now = app.server_time_ms();
    let next = d["nextAttemptAt"].as_i64().expect("due later");
    assert!(
        next > now + 20_000 && next <= now + 31_000,
        "30 s backoff: {next} vs {now}"
    );

    // Retried now by hand: 503, the last of two attempts: given up.
    let r = app
        .post(&format!("/api/webhooks/{id}/deliveries/retry"))
        .bearer(&ann.token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["attempted"], 1);
    let d = &r.json()["deliveries"][0];
    assert_eq!(d["status"], "failed");
    assert_eq!(d["attempts"], 2);
    assert_eq!(d["lastStatusCode"], 503);
    assert!(d["nextAttemptAt"].is_null());

    // A failed delivery gets one more attempt per retry: 500, then 200.
    let r = app
        .post(&format!("/api/webhooks/{id}/deliveries/retry"))
        .bearer(&ann.token)
        .send();
    assert_eq!(r.json()["deliveries"][0]["status"], "failed");
    let r = app
        .post(&format!("/api/webhooks/{id}/deliveries/retry"))
        .bearer(&ann.token)
        .send();
    let d = &r.json()["deliveries"][0];
    assert_eq!(d["status"], "delivered", "{d}");
    assert_eq!(d["attempts"], 4);
    assert_eq!(d["lastStatusCode"], 200);
    assert!(d["lastError"].is_null());

    // Every attempt was the same event, byte for byte, signed afresh.
    let got = rx.received();
    assert_eq!(got.len(), 4);
    for r in &got {
        assert_eq!(r.body, got[0].body);
        assert_eq!(r.header("webhook-id"), got[0].header("webhook-id"));
        assert_signed(r, &secret);
    }
    // Nothing left to retry.
    let r = app
        .post(&format!("/api/webhooks/{id}/deliveries/retry"))
        .bearer(&ann.token)
        .send();
    assert_eq!(r.json()["attempted"], 0);
    let r = app
        .get(&format!("/api/webhooks/{id}/deliveries?status=failed"))
        .bearer(&ann.token)
        .send();
    assert_eq!(r.json()["deliveries"], json!([]));
}

#[test]
fn due_retries_go_out_with_the_teams_next_event() {
    let app = local_app(&[("webhook_retry_base", "300ms")]);
    let rx = Receiver::start(&[500]);
    let ann = user(&app, "ann@example.com");
    let (id, _) = webhook(
        &app,
        &ann,
        "",
        &rx.url,
        &["profile.launched", "profile.released"],
    );
    let profile = new_profile(&app, &ann);
    let token = launch(&app, &ann, &profile, "laptop");
    assert_eq!(rx.received().len(), 1);
    assert_eq!(deliveries(&app, &ann, &id)[0]["status"], "pending");

    // The backoff runs out; the next event of the team takes the retry along.
    app.wait_server_ms(400);
    let r = app
        .post(&format!("/api/profiles/{profile}/release"))
        .bearer(&ann.token)
        .header("X-Client-ID", "laptop")
        .json(&json!({ "token": token }));
    assert_eq!(r.status, 200, "{}", r.text());
    let got = rx.received();
    let events: Vec<&str> = got
        .iter()
        .map(|r| r.header("webhook-event").expect("event"))
        .collect();
    assert_eq!(
        events,
        vec!["profile.launched", "profile.released", "profile.launched"]
    );
    assert_eq!(got[2].body, got[0].body);
    let listed = deliveries(&app, &ann, &id);
    assert!(
        listed.iter().all(|d| d["status"] == "delivered"),
        "{listed:?}"
    );
    assert_eq!(listed[1]["attempts"], 2);
}
