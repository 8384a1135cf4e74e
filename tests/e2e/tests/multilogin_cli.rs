//! The published multilogin.io desktop CLI (`packages/client`) against
//! `/api/v1`, written from what it sends and reads: on every call
//! `Content-Type: application/json`, `Authorization: Bearer <key>` and
//! `X-Client-ID: client_<hex>`; it throws unless `success === true` and
//! reads `data`. It never sees a lock token: it holds a launch by its
//! client id.

mod desktop;

use std::sync::{Arc, Barrier};

use desktop::*;
use e2e::{Resp, TestApp, json, spawn_app};
use serde_json::Value;

/// The CLI as `packages/client/src/api.ts` calls the API.
struct Cli<'a> {
    app: &'a TestApp,
    key: String,
    client_id: String,
}

impl<'a> Cli<'a> {
    fn new(app: &'a TestApp, key: &str, client_id: &str) -> Self {
        Self {
            app,
            key: key.to_owned(),
            client_id: client_id.to_owned(),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let req = self
            .app
            .request(method, path)
            .header("Content-Type", "application/json")
            .bearer(&self.key)
            .header("X-Client-ID", &self.client_id);
        match body {
            Some(b) => req.send_bytes(&serde_json::to_vec(b).expect("json")),
            None => req.send(),
        }
    }

    /// `request()`: the unwrapped `data`, or the `error` it would throw.
    fn data(&self, method: &str, path: &str, body: Option<&Value>) -> Result<Value, String> {
        let r = self.call(method, path, body);
        let v = r.json();
        if (200..300).contains(&r.status) && v["success"] == true {
            Ok(v["data"].clone())
        } else {
            Err(v["error"]
                .as_str()
                .unwrap_or("API request failed")
                .to_owned())
        }
    }

    fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        self.data(method, path, body)
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"))
    }
}

fn cli_key(app: &TestApp, email: &str) -> (String, String) {
    let t = user(app, email);
    let key = desktop_key(app, &t);
    (t, key)
}

/// What `page.cookies()` gives puppeteer 22, as the CLI serialises it.
fn puppeteer_cookies() -> Value {
    json!([{
        "name": "sid", "value": "abc123", "domain": ".shop.example", "path": "/",
        "expires": 1_900_000_000.5, "size": 9, "httpOnly": true, "secure": true,
        "session": false, "sameSite": "Lax", "priority": "Medium", "sameParty": false,
        "sourceScheme": "Secure", "sourcePort": 443
    }])
}

#[test]
fn the_cli_cycle_login_list_groups_launch_heartbeat_sync_stop_works_unchanged() {
    let app = spawn_app();
    let (t, key) = cli_key(&app, "ann@example.com");
    let r = app
        .post("/api/groups")
        .bearer(&t)
        .json(&json!({"name": "Shops", "color": "#1e90ff"}));
    assert_eq!(r.status, 201, "{}", r.text());
    let group = r.json()["id"].as_str().expect("group id").to_owned();
    let r = app.post("/api/proxies").bearer(&t).json(&json!({
        "name": "Res", "scheme": "socks5", "host": "10.1.2.3", "port": 1080,
        "username": "alice", "password": "s3cret pass"
    }));
    assert_eq!(r.status, 201, "{}", r.text());
    let proxy = r.json()["id"].as_str().expect("proxy id").to_owned();
    let id = profile(
        &app,
        &t,
        json!({"name": "Shop", "templateId": "windows-chrome", "groupId": group, "proxyId": proxy}),
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let cli = Cli::new(&app, &key, "client_5f3a9c21");

    // login -k: api.verify()
    let me = cli.ok("GET", "/api/v1/users/me", None);
    assert_eq!(me["user"]["email"], "ann@example.com");
    assert_eq!(me["user"]["name"], "Ann Lee");
    assert!(me["user"]["id"].is_string());
    assert_eq!(me["team"]["plan"], "free");
    assert!(me["team"]["name"].is_string());

    // list, and list --search / --group
    let list = cli.ok("GET", "/api/v1/profiles", None);
    assert_eq!(list["total"], 1);
    let p = &list["profiles"][0];
    assert_eq!(p["id"], id.as_str());
    assert_eq!(p["name"], "Shop");
    assert_eq!(p["groupName"], "Shops");
    assert_eq!(p["lockedBy"], Value::Null);
    assert_eq!(list["items"], list["profiles"], "the dashboard's name too");
    let found = cli.ok(
        "GET",
        &format!("/api/v1/profiles?search=sho&groupId={group}"),
        None,
    );
    assert_eq!(found["total"], 1);
    let none = cli.ok("GET", "/api/v1/profiles?search=nothing", None);
    assert_eq!(none["profiles"], json!([]));

    // groups
    let groups = cli.ok("GET", "/api/v1/groups", None);
    assert_eq!(groups[0]["name"], "Shops");
    assert_eq!(groups[0]["color"], "#1e90ff");
    assert_eq!(groups[0]["profileCount"], 1);

    // launch: POST {clientId}
    let launched = cli.ok(
        "POST",
        &format!("/api/v1/profiles/{id}/launch"),
        Some(&json!({"clientId": "client_5f3a9c21"})),
    );
    let fp = &launched["profile"]["fingerprint"];
    assert!(fp["userAgent"].as_str().expect("ua").contains("Windows"));
    assert_eq!(fp["platform"], "Win32");
    assert!(fp["screen"]["width"].as_u64().expect("width") >= 800);
    assert!(fp["screen"]["height"].as_u64().expect("height") >= 600);
    assert!(fp["timezone"].is_string() && fp["language"].is_string());
    let px = &launched["profile"]["proxy"];
    assert_eq!(
        (
            &px["protocol"],
            &px["host"],
            &px["port"],
            &px["username"],
            &px["password"]
        ),
        (
            &json!("socks5"),
            &json!("10.1.2.3"),
            &json!(1080),
            &json!("alice"),
            &json!("s3cret pass")
        )
    );
    let session = &launched["sessionData"];
    let cookies: Value =
        serde_json::from_str(session["cookies"].as_str().expect("string")).expect("JSON");
    assert_eq!(cookies, json!([]));
    let storage: Value =
        serde_json::from_str(session["localStorage"].as_str().expect("string")).expect("JSON");
    assert_eq!(storage, json!({}));
    let listed = cli.ok("GET", "/api/v1/profiles", None);
    assert_eq!(listed["profiles"][0]["lockedBy"], "client_5f3a9c21");
    assert_eq!(listed["profiles"][0]["status"], "in_use");

    // heartbeat every 60 s, no body, no token
    for _ in 0..2 {
        let hb = cli.ok("POST", &format!("/api/v1/profiles/{id}/heartbeat"), None);
        assert_eq!(hb["lock"]["clientId"], "client_5f3a9c21");
    }

    // sync every 5 min: each part a JSON string
    let cookies_text = serde_json::to_string(&puppeteer_cookies()).expect("json");
    let body = json!({"cookies": cookies_text, "localStorage": "{\"cart\":\"3 items\"}"});
    let pushed = cli.ok("POST", &format!("/api/v1/sync/{id}"), Some(&body));
    assert_eq!(pushed["synced"], true);
    let again = cli.ok("POST", &format!("/api/v1/sync/{id}"), Some(&body));
    assert_eq!(
        again["skipped"], true,
        "an unchanged session is not written again"
    );
    // The same session, as the fenced API pulls it.
    let pulled = app.get(&format!("/api/sync/{id}")).bearer(&t).send().json();
    assert_eq!(pulled["cookies"], puppeteer_cookies());
    assert_eq!(pulled["localStorage"], json!({"cart": "3 items"}));
    // downloadSession: strings again
    let down = cli.ok("GET", &format!("/api/v1/sync/{id}"), None);
    let back: Value = serde_json::from_str(down["cookies"].as_str().expect("s")).expect("json");
    assert_eq!(back, puppeteer_cookies());

    // SIGTERM: a final sync and stop, up to four times over; each answers as the first
    for _ in 0..4 {
        cli.ok("POST", &format!("/api/v1/sync/{id}"), Some(&body));
        let stopped = cli.ok("POST", &format!("/api/v1/profiles/{id}/stop"), None);
        assert_eq!(stopped["success"], true);
    }
    let listed = cli.ok("GET", "/api/v1/profiles", None);
    assert_eq!(listed["profiles"][0]["lockedBy"], Value::Null);
    assert_eq!(listed["profiles"][0]["status"], "available");

    // the next launch restores what was synced
    let relaunched = cli.ok(
        "POST",
        &format!("/api/v1/profiles/{id}/launch"),
        Some(&json!({})),
    );
    let cookies: Value = serde_json::from_str(
        relaunched["sessionData"]["cookies"]
            .as_str()
            .expect("string"),
    )
    .expect("JSON");
    assert_eq!(cookies, puppeteer_cookies());
    assert_eq!(relaunched["profile"]["launchCount"], 2);
    cli.ok("POST", &format!("/api/v1/profiles/{id}/stop"), None);

    // every step is in the team's audit log
    let audit = app.get("/api/audit?limit=100").bearer(&t).send().json();
    let actions: Vec<&str> = audit["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    for action in ["profile.launch", "sync.push", "profile.release"] {
        assert!(actions.contains(&action), "{action} in {actions:?}");
    }
}

#[test]
fn two_clients_racing_a_v1_launch_have_exactly_one_winner() {
    let app = Arc::new(spawn_app());
    let (t, key) = cli_key(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    for round in 0..3 {
        let barrier = Arc::new(Barrier::new(2));
        let handles: Vec<_> = ["client_aaaa", "client_bbbb"]
            .into_iter()
            .map(|client| {
                let (app, key, id, barrier) = (
                    Arc::clone(&app),
                    key.clone(),
                    id.clone(),
                    Arc::clone(&barrier),
                );
                std::thread::spawn(move || {
                    let cli = Cli::new(&app, &key, client);
                    barrier.wait();
                    let r = cli.call("POST", &format!("/api/v1/profiles/{id}/launch"), None);
                    (client, r.status, r.json())
                })
            })
            .collect();
        let results: Vec<_> = handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect();
        let winners: Vec<_> = results.iter().filter(|(_, s, _)| *s == 200).collect();
        assert_eq!(winners.len(), 1, "round {round}: {results:?}");
        let (_, _, loser) = results.iter().find(|(_, s, _)| *s == 409).expect("one 409");
        assert_eq!(loser["success"], false);
        assert_eq!(loser["code"], "profile_locked");
        assert!(
            loser["error"].as_str().expect("error").contains("in use"),
            "a message the CLI can show: {loser}"
        );
        let winner = Cli::new(&app, &key, winners[0].0);
        winner.ok("POST", &format!("/api/v1/profiles/{id}/stop"), None);
    }
}

#[test]
fn a_v1_client_and_a_fenced_client_share_one_lock() {
    let app = spawn_app();
    let (t, key) = cli_key(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let cli = Cli::new(&app, &key, "client_cli1");
    cli.ok("POST", &format!("/api/v1/profiles/{id}/launch"), None);

    // A fenced client is refused while the CLI holds the profile.
    let r = launch(&app, &t, &id, "desktop-2");
    assert_error(&r, 409, "profile_locked");
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("X-Client-ID", "desktop-2")
        .json(&json!({"cookies": [], "localStorage": {"a": "b"}}));
    assert_error(&r, 409, "profile_locked");
    // Another v1 client (its own client id) cannot heartbeat, stop or sync it.
    let other = Cli::new(&app, &key, "client_other");
    let r = other.call("POST", &format!("/api/v1/profiles/{id}/heartbeat"), None);
    assert_error(&r, 409, "lock_not_held");
    let r = other.call("POST", &format!("/api/v1/profiles/{id}/stop"), None);
    assert_error(&r, 409, "lock_not_held");
    let r = other.call(
        "POST",
        &format!("/api/v1/sync/{id}"),
        Some(&json!({"cookies": "[]", "localStorage": "{}"})),
    );
    assert_error(&r, 409, "profile_locked");

    // Once the CLI stops, the fenced client takes it with a greater token.
    cli.ok("POST", &format!("/api/v1/profiles/{id}/stop"), None);
    let token = launched_token(&app, &t, &id, "desktop-2");
    assert!(token >= 2, "token {token}");
    // The CLI's heartbeat and sync are now refused; its stop is not an error
    // for a lock it no longer holds, but takes nothing from the new holder.
    let r = cli.call("POST", &format!("/api/v1/profiles/{id}/heartbeat"), None);
    assert_error(&r, 409, "lock_not_held");
    let r = cli.call(
        "POST",
        &format!("/api/v1/sync/{id}"),
        Some(&json!({"cookies": "[]", "localStorage": "{\"x\":\"1\"}"})),
    );
    assert_error(&r, 409, "profile_locked");
    let r = cli.call("POST", &format!("/api/v1/profiles/{id}/stop"), None);
    assert_error(&r, 409, "lock_not_held");
    let r = heartbeat(&app, &t, &id, "desktop-2", token);
    assert_eq!(
        r.status,
        200,
        "the fenced holder keeps its lock: {}",
        r.text()
    );
    // A v1 call that does send a token is fenced by it.
    let r = app
        .post(&format!("/api/v1/profiles/{id}/heartbeat"))
        .header("Content-Type", "application/json")
        .bearer(&key)
        .header("X-Client-ID", "desktop-2")
        .header("X-Lock-Token", &(token - 1).to_string())
        .send();
    assert_error(&r, 409, "lock_not_held");
    let r = app
        .post(&format!("/api/v1/profiles/{id}/heartbeat"))
        .header("Content-Type", "application/json")
        .bearer(&key)
        .header("X-Client-ID", "desktop-2")
        .header("X-Lock-Token", &token.to_string())
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
}

#[test]
fn v1_errors_keep_status_and_code_with_a_readable_error() {
    let app = spawn_app();
    let (_t, key) = cli_key(&app, "ann@example.com");
    let cli = Cli::new(&app, &key, "client_1");
    let missing = "0123456789abcdef0123456789abcdef";
    for (method, path) in [
        ("GET", format!("/api/v1/profiles/{missing}")),
        ("POST", format!("/api/v1/profiles/{missing}/launch")),
        ("POST", format!("/api/v1/profiles/{missing}/heartbeat")),
        ("POST", format!("/api/v1/profiles/{missing}/stop")),
        ("GET", format!("/api/v1/sync/{missing}")),
    ] {
        let r = cli.call(method, &path, None);
        assert_error(&r, 404, "profile_not_found");
        let body = r.json();
        assert_eq!(body["error"], body["message"], "{method} {path}: {body}");
        assert_ne!(body["error"], "Not Found");
    }
    let r = app.get("/api/v1/users/me").bearer("bcd_not-a-key").send();
    assert_error(&r, 401, "invalid_credentials");
    // A body that is not JSON is 400, never 500.
    let r = app
        .post("/api/v1/auth/login")
        .header("Content-Type", "application/json")
        .send_bytes(b"{not json");
    assert_error(&r, 400, "malformed_json");
    let r = app
        .post(&format!("/api/v1/sync/{missing}"))
        .header("Content-Type", "application/json")
        .bearer(&key)
        .send_bytes(b"[1,");
    assert_error(&r, 400, "malformed_json");
    // A part sent as a string that is not JSON is named.
    let t = user(&app, "bob@example.com");
    let bob_key = desktop_key(&app, &t);
    let id = profile_id(&app, &t, "Mine");
    let r = Cli::new(&app, &bob_key, "client_2").call(
        "POST",
        &format!("/api/v1/sync/{id}"),
        Some(&json!({"cookies": "[{", "localStorage": "{}"})),
    );
    assert_error(&r, 400, "invalid_input");
    assert_eq!(fields(&r), ["cookies"]);
}

#[test]
fn v1_lists_are_page_numbered_and_filter_by_status() {
    let app = spawn_app();
    let (t, key) = cli_key(&app, "ann@example.com");
    let ids: Vec<String> = ["Alpha", "Bravo", "Charlie"]
        .iter()
        .map(|n| profile_id(&app, &t, n))
        .collect();
    let cli = Cli::new(&app, &key, "client_1");
    cli.ok("POST", &format!("/api/v1/profiles/{}/launch", ids[1]), None);
    let page = cli.ok(
        "GET",
        "/api/v1/profiles?page=2&limit=2&sortBy=name&sortOrder=asc",
        None,
    );
    assert_eq!(page["total"], 3);
    assert_eq!(page["page"], 2);
    assert_eq!(page["pageSize"], 2);
    assert_eq!(page["totalPages"], 2);
    assert_eq!(page["items"][0]["name"], "Charlie");
    let busy = cli.ok("GET", "/api/v1/profiles?status=in_use", None);
    assert_eq!(busy["total"], 1);
    assert_eq!(busy["items"][0]["name"], "Bravo");
    let locked = cli.ok("GET", "/api/v1/profiles?status=locked", None);
    assert_eq!(locked["total"], 1);
    let free = cli.ok("GET", "/api/v1/profiles?status=available&sortBy=name", None);
    assert_eq!(free["total"], 2);
    let r = cli.call("GET", "/api/v1/profiles?page=0", None);
    assert_error(&r, 400, "invalid_input");
    let r = cli.call("GET", "/api/v1/profiles?status=busy", None);
    assert_error(&r, 400, "invalid_input");
    assert_eq!(fields(&r), ["status"]);
    // The same filter on BrowserCloud's own list.
    let r = app.get("/api/profiles?status=in_use").bearer(&t).send();
    assert_eq!(r.json()["total"], 1, "{}", r.text());
}

#[test]
fn another_teams_key_gets_404_on_every_v1_profile_route() {
    let app = spawn_app();
    let (t, _key) = cli_key(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Ann's");
    let (_t2, mallory) = cli_key(&app, "mallory@example.com");
    let m = Cli::new(&app, &mallory, "client_m");
    for (method, path) in [
        ("GET", format!("/api/v1/profiles/{id}")),
        ("POST", format!("/api/v1/profiles/{id}/launch")),
        ("POST", format!("/api/v1/profiles/{id}/heartbeat")),
        ("POST", format!("/api/v1/profiles/{id}/stop")),
        ("POST", format!("/api/v1/profiles/{id}/release")),
        ("GET", format!("/api/v1/sync/{id}")),
    ] {
        let r = m.call(method, &path, None);
        assert_error(&r, 404, "profile_not_found");
    }
    let r = m.call(
        "POST",
        &format!("/api/v1/sync/{id}"),
        Some(&json!({"cookies": "[]", "localStorage": "{}"})),
    );
    assert_error(&r, 404, "profile_not_found");
    assert_eq!(m.ok("GET", "/api/v1/profiles", None)["total"], 0);
    assert_eq!(m.ok("GET", "/api/v1/groups", None), json!([]));
}
