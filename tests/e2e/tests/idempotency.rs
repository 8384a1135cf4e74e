//! `Idempotency-Key` on the POST routes that create things, over real HTTP:
//! a replay gets the first response back (with `Idempotent-Replayed: true`)
//! and creates nothing; the same key with another request is 422; a key
//! whose first request is still in flight is 409; failures free the key;
//! keys are the caller's own and expire after `idempotency_ttl`.

mod desktop;

use desktop::*;
use e2e::{AppOptions, Resp, TestApp, json, spawn_app, spawn_app_with};
use serde_json::Value;

fn post(app: &TestApp, token: &str, path: &str, key: &str, body: &Value) -> Resp {
    app.post(path)
        .bearer(token)
        .header("Idempotency-Key", key)
        .json(body)
}

fn count(app: &TestApp, token: &str, path: &str, field: &str) -> usize {
    let r = app.get(path).bearer(token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    let list = if body["data"].is_object() {
        &body["data"][field]
    } else {
        &body[field]
    };
    list.as_array().expect("list").len()
}

#[test]
fn every_create_route_replays_its_first_response_and_creates_once() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let project = app
        .post("/api/v1/projects")
        .bearer(&ann)
        .json(&json!({ "name": "Shop", "hostname": "shop.example" }));
    assert_eq!(project.status, 201, "{}", project.text());
    let project_id = project.json()["data"]["project"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let victim = profile_id(&app, &ann, "Bulk me");
    // (route, body, list route, list field)
    let cases = [
        (
            "/api/profiles",
            json!({ "name": "Replayed", "templateId": "windows-chrome" }),
            "/api/profiles",
            "profiles",
        ),
        (
            "/api/groups",
            json!({ "name": "Shop", "color": "#112233" }),
            "/api/groups",
            "groups",
        ),
        (
            "/api/proxies",
            json!({ "name": "DE", "url": "http://10.0.0.1:8080" }),
            "/api/proxies",
            "proxies",
        ),
        (
            "/api/keys",
            json!({ "name": "desk", "kind": "desktop" }),
            "/api/keys",
            "keys",
        ),
        (
            "/api/v1/projects",
            json!({ "name": "Blog", "hostname": "blog.example" }),
            "/api/v1/projects",
            "projects",
        ),
        (
            "/api/v1/test-plans",
            json!({
                "projectId": project_id,
                "name": "Checkout",
                "testCases": [{ "id": "1", "title": "t", "steps": ["s"], "expected": "e" }],
            }),
            "/api/v1/test-plans",
            "plans",
        ),
        (
            "/api/v1/flows",
            json!({
                "name": "Login",
                "baseUrl": "https://shop.example",
                "steps": [{ "action": "click", "selector": "#go" }],
            }),
            "/api/v1/flows",
            "flows",
        ),
    ];
    for (path, body, list, field) in &cases {
        let before = count(&app, &ann, list, field);
        let key = format!("create {path} #1");
        let first = post(&app, &ann, path, &key, body);
        assert_eq!(first.status, 201, "{path}: {}", first.text());
        assert_eq!(first.header("idempotent-replayed"), None, "{path}");
        let again = post(&app, &ann, path, &key, body);
        assert_eq!(again.status, 201, "{path}: {}", again.text());
        assert_eq!(again.header("idempotent-replayed"), Some("true"), "{path}");
        assert_eq!(
            again.body, first.body,
            "{path}: the same body, byte for byte"
        );
        assert_eq!(
            again.header("content-type"),
            first.header("content-type"),
            "{path}"
        );
        assert_eq!(count(&app, &ann, list, field), before + 1, "{path}");
        // The same key with another body, or on another route: 422.
        let mut other = body.clone();
        other["name"] = json!("Something else");
        let r = post(&app, &ann, path, &key, &other);
        assert_error(&r, 422, "idempotency_key_reused");
        assert_eq!(count(&app, &ann, list, field), before + 1, "{path}");
    }
    let r = post(
        &app,
        &ann,
        "/api/groups",
        "create /api/proxies #1",
        &cases[1].1,
    );
    assert_error(&r, 422, "idempotency_key_reused");
    // A stored response is sealed: the new API key it carries is not in the database.
    let db = rusqlite::Connection::open(app.state_dir.join("sqlite_db.db")).expect("db");
    let stored: String = db
        .query_row(
            "SELECT body FROM idempotency_keys WHERE idem_key = 'create /api/keys #1'",
            [],
            |row| row.get(0),
        )
        .expect("stored");
    assert!(
        !stored.contains("bcd_") && !stored.contains("apiKey"),
        "{stored}"
    );

    // The bulk route too: a replay answers the first results, applying nothing again.
    let body = json!({ "action": "add_tags", "ids": [victim], "tags": ["once"] });
    let first = post(&app, &ann, "/api/profiles/bulk", "bulk-1", &body);
    assert_eq!(first.status, 200, "{}", first.text());
    let r = app
        .put(&format!("/api/profiles/{victim}"))
        .bearer(&ann)
        .json(&json!({ "tags": [] }));
    assert_eq!(r.status, 200, "{}", r.text());
    let again = post(&app, &ann, "/api/profiles/bulk", "bulk-1", &body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, first.body);
    let r = app
        .get(&format!("/api/profiles/{victim}"))
        .bearer(&ann)
        .send();
    assert_eq!(r.json()["tags"], json!([]), "the replay changed nothing");
}

#[test]
fn keys_are_checked_freed_on_failure_and_scoped_to_the_caller() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let group = json!({ "name": "Shop", "color": "#112233" });

    for bad in [String::new(), "k".repeat(256)] {
        let r = post(&app, &ann, "/api/groups", &bad, &group);
        assert_error(&r, 400, "invalid_idempotency_key");
    }
    let r = post(
        &app,
        &ann,
        "/api/groups",
        &"k".repeat(255),
        &json!({ "name": "Long key", "color": "#112233" }),
    );
    assert_eq!(r.status, 201, "{}", r.text());

    // A refused request stores nothing: the key can be used again, with a fixed body.
    let r = post(&app, &ann, "/api/groups", "fix-me", &json!({ "name": "" }));
    assert_error(&r, 422, "validation_failed");
    let r = post(&app, &ann, "/api/groups", "fix-me", &group);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("idempotent-replayed"), None);

    // Bob's "fix-me" is his own.
    let r = post(
        &app,
        &bob,
        "/api/groups",
        "fix-me",
        &json!({ "name": "Bob's", "color": "#000000" }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("idempotent-replayed"), None);
    assert!(!r.text().contains("Shop"));

    // Without a key nothing is remembered: two groups.
    let before = count(&app, &ann, "/api/profiles", "profiles");
    for _ in 0..2 {
        profile_id(&app, &ann, "Twice");
    }
    assert_eq!(count(&app, &ann, "/api/profiles", "profiles"), before + 2);
}

#[test]
fn a_key_whose_first_request_is_in_flight_is_409() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let me = app.get("/auth/me").bearer(&ann).send().json();
    let scope = format!(
        "{}:{}",
        me["team"]["id"].as_str().expect("team"),
        me["user"]["id"].as_str().expect("user")
    );
    // A first request that claimed the key and has not answered yet.
    let now = app.server_time_ms();
    let db = rusqlite::Connection::open(app.state_dir.join("sqlite_db.db")).expect("db");
    db.execute(
        "INSERT INTO idempotency_keys (scope, idem_key, request_hash, claim, locked_until, created_at, expires_at) \
         VALUES (?1, 'busy', 'h', 'c', ?2, ?3, ?4)",
        rusqlite::params![scope, now + 60_000, now, now + 3_600_000],
    )
    .expect("insert");
    let r = post(
        &app,
        &ann,
        "/api/groups",
        "busy",
        &json!({ "name": "G", "color": "#112233" }),
    );
    assert_error(&r, 409, "idempotency_request_in_progress");
    assert_eq!(count(&app, &ann, "/api/groups", "groups"), 0);

    // A claim that lapsed (its request died) is taken over by a retry of the same request.
    let body = json!({ "name": "P", "color": "#112233" });
    let probe = post(&app, &ann, "/api/groups", "probe", &body);
    assert_eq!(probe.status, 201, "{}", probe.text());
    let probe_id = probe.json()["id"].as_str().expect("id").to_owned();
    let hash: String = db
        .query_row(
            "SELECT request_hash FROM idempotency_keys WHERE idem_key = 'probe'",
            [],
            |row| row.get(0),
        )
        .expect("stored");
    let r = app
        .delete(&format!("/api/groups/{probe_id}"))
        .bearer(&ann)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    db.execute(
        "UPDATE idempotency_keys SET request_hash = ?1, locked_until = ?2 WHERE idem_key = 'busy'",
        rusqlite::params![hash, now - 1],
    )
    .expect("lapse");
    let r = post(&app, &ann, "/api/groups", "busy", &body);
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(r.header("idempotent-replayed"), None);
    let again = post(&app, &ann, "/api/groups", "busy", &body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    assert_eq!(again.body, r.body);
}

#[test]
fn keys_expire_after_the_ttl() {
    let app = spawn_app_with(AppOptions::default().variable("idempotency_ttl", "1500ms"));
    let ann = user(&app, "ann@example.com");
    let body = json!({ "name": "Shop", "color": "#112233" });
    let first = post(&app, &ann, "/api/groups", "k1", &body);
    assert_eq!(first.status, 201, "{}", first.text());
    let again = post(&app, &ann, "/api/groups", "k1", &body);
    assert_eq!(again.header("idempotent-replayed"), Some("true"));
    app.wait_server_ms(1600);
    // Expired: the key is free, the request runs again (a group of that name exists: 409).
    let r = post(&app, &ann, "/api/groups", "k1", &body);
    assert_eq!(r.header("idempotent-replayed"), None, "{}", r.text());
    let other = post(
        &app,
        &ann,
        "/api/groups",
        "k1",
        &json!({ "name": "Other", "color": "#112233" }),
    );
    assert_eq!(other.status, 201, "{}", other.text());
}
