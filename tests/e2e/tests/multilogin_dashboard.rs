//! The published multilogin.io web dashboard (`src/lib/api.ts`) against
//! `/api/v1`, written from what it sends and reads: `Content-Type:
//! application/json` always, `Authorization: Bearer <token from
//! /api/v1/auth/login>`, a JSON body or none; it throws unless `success`.

mod desktop;

use desktop::*;
use e2e::{Resp, TestApp, json, spawn_app};
use serde_json::Value;

/// The dashboard's `request()`.
struct Dashboard<'a> {
    app: &'a TestApp,
    token: String,
}

impl<'a> Dashboard<'a> {
    /// Signs in as the credentials provider does.
    fn sign_in(app: &'a TestApp, email: &str, password: &str) -> Self {
        let r = app
            .post("/api/v1/auth/login")
            .json(&json!({"email": email, "password": password}));
        assert_eq!(r.status, 200, "{}", r.text());
        let data = &r.json()["data"];
        Self {
            app,
            token: data["token"].as_str().expect("token").to_owned(),
        }
    }

    fn call(&self, method: &str, path: &str, body: Option<&Value>) -> Resp {
        let req = self
            .app
            .request(method, path)
            .header("Content-Type", "application/json")
            .bearer(&self.token);
        match body {
            Some(b) => req.send_bytes(&serde_json::to_vec(b).expect("json")),
            None => req.send(),
        }
    }

    fn ok(&self, method: &str, path: &str, body: Option<&Value>) -> Value {
        let r = self.call(method, path, body);
        let v = r.json();
        assert!(
            (200..300).contains(&r.status) && v["success"] == true,
            "{method} {path}: {} {v}",
            r.status
        );
        v["data"].clone()
    }
}

fn registered<'a>(app: &'a TestApp, email: &str) -> Dashboard<'a> {
    let r = app.post("/api/v1/auth/register").json(&json!({
        "email": email, "password": PASSWORD, "name": "Ann Lee"
    }));
    assert_eq!(r.status, 201, "{}", r.text());
    let data = &r.json()["data"];
    assert_eq!(data["user"]["email"], email);
    assert_eq!(data["team"]["plan"], "free");
    Dashboard::sign_in(app, email, PASSWORD)
}

#[test]
fn sign_in_answers_the_credentials_providers_shape_and_me_both_clients() {
    let app = spawn_app();
    registered(&app, "ann@example.com");
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({"email": "ann@example.com", "password": PASSWORD}));
    let data = &r.json()["data"];
    assert_eq!(data["user"]["email"], "ann@example.com");
    assert_eq!(data["user"]["name"], "Ann Lee");
    assert!(data["user"]["id"].is_string());
    assert!(
        data["user"]
            .as_object()
            .expect("user")
            .contains_key("image")
    );
    assert_eq!(data["team"]["plan"], "free");
    assert_eq!(data["team"]["role"], "owner");
    assert!(data["token"].is_string());
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({"email": "ann@example.com", "password": "wrong password here"}));
    assert_error(&r, 401, "invalid_credentials");
    assert_eq!(r.json()["error"], "Email or password is incorrect");

    let d = Dashboard::sign_in(&app, "ann@example.com", PASSWORD);
    let me = d.ok("GET", "/api/v1/users/me", None);
    assert_eq!(me["email"], "ann@example.com");
    assert_eq!(me["name"], "Ann Lee");
    assert_eq!(me["team"]["role"], "owner");
    assert_eq!(me["team"]["plan"], "free");
    assert_eq!(me["user"]["email"], "ann@example.com");
    assert!(me["createdAt"].is_number());
}

#[test]
fn templates_are_public_with_the_dashboards_os_names() {
    let app = spawn_app();
    let r = app
        .get("/api/v1/templates")
        .header("Content-Type", "application/json")
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    let list = r.json()["data"].clone();
    let list = list.as_array().expect("array");
    assert!(list.len() >= 7);
    let oses: Vec<&str> = list.iter().filter_map(|t| t["os"].as_str()).collect();
    for os in ["Windows", "macOS", "Linux", "Android", "iOS"] {
        assert!(oses.contains(&os), "{os} in {oses:?}");
    }
    let r = app.get("/api/v1/templates/windows-chrome").send();
    let t = &r.json()["data"];
    assert_eq!(t["os"], "Windows");
    assert!(t["screens"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(t["languages"].as_array().is_some_and(|s| !s.is_empty()));
    assert!(t["timezones"].as_array().is_some_and(|s| !s.is_empty()));
    let r = app.post("/api/v1/templates/macos-safari/preview").send();
    let p = &r.json()["data"];
    assert!(p["userAgent"].as_str().expect("ua").contains("Safari"));
    assert_eq!(p["platform"], "MacIntel");
    let r = app.get("/api/v1/templates/nope").send();
    assert_error(&r, 404, "template_not_found");
    assert_eq!(r.json()["error"], "Template not found");
}

#[test]
fn the_profiles_page_creates_edits_duplicates_exports_imports_and_deletes() {
    let app = spawn_app();
    let d = registered(&app, "ann@example.com");
    let r = app.post("/api/proxies").bearer(&d.token).json(&json!({
        "name": "Res", "scheme": "http", "host": "10.0.0.9", "port": 8080
    }));
    assert_eq!(r.status, 201, "{}", r.text());
    let proxy = r.json()["id"].as_str().expect("id").to_owned();

    // create: `proxy` holds the proxy's id; the Worker's template id works too
    let created = d.ok(
        "POST",
        "/api/v1/profiles",
        Some(&json!({
            "name": "Shop 1", "templateId": "windows_chrome_desktop", "tags": ["eu"],
            "timezone": "Europe/Berlin", "language": "de-DE", "proxy": proxy, "notes": "first"
        })),
    );
    let id = created["id"].as_str().expect("id").to_owned();
    assert_eq!(created["templateId"], "windows-chrome");
    assert_eq!(created["status"], "available");
    assert_eq!(created["proxy"], proxy.as_str());
    assert!(created["createdAt"].is_number());

    // list with the page's parameters
    let list = d.ok(
        "GET",
        "/api/v1/profiles?page=1&limit=20&sortBy=lastActive&sortOrder=desc",
        None,
    );
    let item = &list["items"][0];
    for field in ["templateId", "status", "tags", "lastActive", "launchCount"] {
        assert!(!item[field].is_null(), "{field} in {item}");
    }
    assert_eq!(list["totalPages"], 1);

    // get and PATCH
    let got = d.ok("GET", &format!("/api/v1/profiles/{id}"), None);
    assert!(got["userAgent"].is_string() && got["platform"] == "Win32");
    assert_eq!(got["notes"], "first");
    let patched = d.ok(
        "PATCH",
        &format!("/api/v1/profiles/{id}"),
        Some(&json!({"name": "Shop one", "proxy": null, "notes": null})),
    );
    assert!(patched["message"].is_string());
    assert_eq!(patched["name"], "Shop one");
    assert_eq!(patched["proxy"], Value::Null);

    // regenerate: a new fingerprint, same template and locale
    let before = got["fingerprintSeed"].clone();
    let regen = d.ok(
        "POST",
        &format!("/api/v1/profiles/{id}/regenerate-fingerprint"),
        None,
    );
    assert!(regen["message"].is_string());
    assert!(regen["userAgent"].is_string() && regen["platform"] == "Win32");
    assert_ne!(regen["fingerprintSeed"], before);
    assert_eq!(regen["fingerprint"]["timezone"], "Europe/Berlin");
    let report = app
        .post("/api/fingerprints/validate")
        .bearer(&d.token)
        .json(&regen["fingerprint"]);
    assert_eq!(report.json()["valid"], true, "{}", report.text());

    // duplicate, with and without a name
    let copy = d.ok(
        "POST",
        &format!("/api/v1/profiles/{id}/duplicate"),
        Some(&json!({"newName": "Shop two"})),
    );
    assert_eq!(copy["name"], "Shop two");
    assert_eq!(copy["templateId"], "windows-chrome");
    assert_ne!(copy["id"], id.as_str());
    let copy2 = d.ok(
        "POST",
        &format!("/api/v1/profiles/{id}/duplicate"),
        Some(&json!({})),
    );
    assert_eq!(copy2["name"], "Shop one (copy)");

    // export, import
    let export = d.ok("GET", &format!("/api/v1/profiles/export?ids={id}"), None);
    assert_eq!(export["version"], "1.0");
    assert_eq!(export["profiles"].as_array().expect("list").len(), 1);
    assert_eq!(export["profiles"][0]["timezone"], "Europe/Berlin");
    let all = d.ok("GET", "/api/v1/profiles/export", None);
    assert_eq!(all["profiles"].as_array().expect("list").len(), 3);
    let imported = d.ok(
        "POST",
        "/api/v1/profiles/import",
        Some(&json!({"profiles": [
            {"name": "Imp A", "templateId": "linux-chrome"},
            {"name": "Imp B", "templateId": "no-such-template"}
        ]})),
    );
    assert_eq!(imported["imported"], 1);
    assert_eq!(imported["failed"], 1);
    assert_eq!(imported["results"][0]["success"], true);
    assert_eq!(imported["results"][1]["success"], false);
    assert!(imported["results"][1]["error"].is_string());

    // delete one, bulk delete the rest
    let deleted = d.ok("DELETE", &format!("/api/v1/profiles/{id}"), None);
    assert!(deleted["message"].is_string());
    let rest: Vec<Value> = d.ok("GET", "/api/v1/profiles", None)["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|p| p["id"].clone())
        .collect();
    assert_eq!(rest.len(), 3);
    let bulk = d.ok(
        "POST",
        "/api/v1/profiles/bulk-delete",
        Some(&json!({"ids": rest})),
    );
    assert_eq!(bulk["succeeded"], 3);
    assert!(bulk["message"].is_string());
    assert_eq!(d.ok("GET", "/api/v1/profiles", None)["total"], 0);

    // launch without a client id, then release: one holder per user
    let p = d.ok(
        "POST",
        "/api/v1/profiles",
        Some(&json!({"name": "Web", "templateId": "macos-chrome"})),
    );
    let pid = p["id"].as_str().expect("id");
    let launched = d.ok("POST", &format!("/api/v1/profiles/{pid}/launch"), None);
    assert_eq!(launched["profile"]["status"], "in_use");
    let held = d.ok("GET", &format!("/api/v1/profiles/{pid}"), None);
    assert!(
        held["lockedBy"]
            .as_str()
            .expect("holder")
            .starts_with("web-")
    );
    d.ok("POST", &format!("/api/v1/profiles/{pid}/release"), None);
    assert_eq!(
        d.ok("GET", &format!("/api/v1/profiles/{pid}"), None)["status"],
        "available"
    );
}

#[test]
fn a_stranger_sees_and_changes_none_of_another_teams_profiles() {
    let app = spawn_app();
    let owner = registered(&app, "ann@example.com");
    let id = owner.ok(
        "POST",
        "/api/v1/profiles",
        Some(&json!({"name": "Mine", "templateId": "windows-chrome"})),
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let stranger = registered(&app, "mallory@example.com");
    for (method, path, body) in [
        ("GET", format!("/api/v1/profiles/{id}"), None),
        (
            "PATCH",
            format!("/api/v1/profiles/{id}"),
            Some(json!({"name": "x"})),
        ),
        ("DELETE", format!("/api/v1/profiles/{id}"), None),
        ("POST", format!("/api/v1/profiles/{id}/duplicate"), None),
        (
            "POST",
            format!("/api/v1/profiles/{id}/regenerate-fingerprint"),
            None,
        ),
    ] {
        let r = stranger.call(method, &path, body.as_ref());
        assert_error(&r, 404, "profile_not_found");
    }
    let export = stranger.ok("GET", &format!("/api/v1/profiles/export?ids={id}"), None);
    assert_eq!(export["profiles"], json!([]));
    let bulk = stranger.ok(
        "POST",
        "/api/v1/profiles/bulk-delete",
        Some(&json!({"ids": [id]})),
    );
    assert_eq!(bulk["failed"], 1);
    assert_eq!(owner.ok("GET", "/api/v1/profiles", None)["total"], 1);
}
