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

/// A team "Agency" made by `owner` (email `email`), and the owner signed in
/// acting for it, as the dashboard's sign-in with `teamId` gives.
fn shared_team<'a>(
    app: &'a TestApp,
    owner: &Dashboard<'_>,
    email: &str,
) -> (String, Dashboard<'a>) {
    let r = app
        .post("/api/teams")
        .bearer(&owner.token)
        .json(&json!({"name": "Agency"}));
    assert_eq!(r.status, 201, "{}", r.text());
    let team_id = r.json()["team"]["id"].as_str().expect("id").to_owned();
    let r = app.post("/api/v1/auth/login").json(&json!({
        "email": email, "password": PASSWORD, "teamId": team_id
    }));
    let token = r.json()["data"]["token"]
        .as_str()
        .expect("token")
        .to_owned();
    (team_id, Dashboard { app, token })
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

#[test]
fn the_groups_page_keeps_descriptions_and_moves_profiles_in_and_out() {
    let app = spawn_app();
    let d = registered(&app, "ann@example.com");
    let g = d.ok(
        "POST",
        "/api/v1/groups",
        Some(&json!({"name": "EU shops", "color": "#6366f1", "description": "Accounts in the EU"})),
    );
    let gid = g["id"].as_str().expect("id").to_owned();
    assert_eq!(g["description"], "Accounts in the EU");
    let ids: Vec<String> = ["A", "B", "C"]
        .iter()
        .map(|n| {
            d.ok(
                "POST",
                "/api/v1/profiles",
                Some(&json!({"name": n, "templateId": "windows-chrome"})),
            )["id"]
                .as_str()
                .expect("id")
                .to_owned()
        })
        .collect();
    let added = d.ok(
        "POST",
        &format!("/api/v1/groups/{gid}/profiles"),
        Some(&json!({"profileIds": [ids[0], ids[1]]})),
    );
    assert_eq!(added["succeeded"], 2);
    let list = d.ok("GET", "/api/v1/groups", None);
    assert_eq!(list[0]["profileCount"], 2);
    assert_eq!(list[0]["description"], "Accounts in the EU");
    // only members of this group are ungrouped; C was never in it
    let removed = d.ok(
        "DELETE",
        &format!("/api/v1/groups/{gid}/profiles"),
        Some(&json!({"profileIds": [ids[0], ids[2]]})),
    );
    assert_eq!(removed["succeeded"], 1);
    assert_eq!(removed["failed"], 1);
    assert_eq!(
        d.ok("GET", &format!("/api/v1/groups/{gid}"), None)["profileCount"],
        1
    );
    let patched = d.ok(
        "PATCH",
        &format!("/api/v1/groups/{gid}"),
        Some(&json!({"description": null, "name": "EU"})),
    );
    assert_eq!(patched["name"], "EU");
    assert_eq!(patched["description"], Value::Null);
    let r = d.call(
        "POST",
        "/api/v1/groups",
        Some(&json!({"name": "x", "description": "d".repeat(201)})),
    );
    assert_error(&r, 422, "validation_failed");
    let gone = d.ok("DELETE", &format!("/api/v1/groups/{gid}"), None);
    assert_eq!(gone["ungroupedProfiles"], 1);
    let r = d.call("GET", &format!("/api/v1/groups/{gid}"), None);
    assert_error(&r, 404, "group_not_found");
    // BrowserCloud's own surface shows the same description
    let r = app
        .post("/api/groups")
        .bearer(&d.token)
        .json(&json!({"name": "Own", "description": "mine"}));
    assert_eq!(r.json()["description"], "mine", "{}", r.text());
}

#[test]
fn the_proxies_page_creates_lists_and_deletes_with_its_names() {
    let app = spawn_app();
    let d = registered(&app, "ann@example.com");
    let p = d.ok(
        "POST",
        "/api/v1/proxies",
        Some(
            &json!({"name": "Res 1", "type": "socks5", "host": "10.0.0.7", "port": 1080,
                     "username": "u", "password": "secret-pw"}),
        ),
    );
    let pid = p["id"].as_str().expect("id").to_owned();
    assert_eq!(p["type"], "socks5");
    let list = d.ok("GET", "/api/v1/proxies?page=1&limit=10", None);
    assert_eq!(list["total"], 1);
    let item = &list["items"][0];
    assert_eq!(item["type"], "socks5");
    assert_eq!(item["host"], "10.0.0.7");
    assert_eq!(item["port"], 1080);
    assert_eq!(item["status"], "unchecked");
    assert!(item.as_object().expect("obj").contains_key("latency"));
    assert!(item.as_object().expect("obj").contains_key("country"));
    assert!(
        !list.to_string().contains("secret-pw"),
        "never the password"
    );
    let patched = d.ok(
        "PATCH",
        &format!("/api/v1/proxies/{pid}"),
        Some(&json!({"name": "Res one"})),
    );
    assert_eq!(patched["name"], "Res one");
    let r = d.call(
        "POST",
        "/api/v1/proxies",
        Some(&json!({"name": "Bad", "type": "ftp", "host": "h", "port": 1})),
    );
    assert_error(&r, 422, "validation_failed");
    d.ok("DELETE", &format!("/api/v1/proxies/{pid}"), None);
    assert_eq!(d.ok("GET", "/api/v1/proxies", None)["total"], 0);
}

#[test]
fn settings_rename_change_the_password_and_end_other_sessions() {
    let app = spawn_app();
    let d = registered(&app, "ann@example.com");
    let other = Dashboard::sign_in(&app, "ann@example.com", PASSWORD);
    let renamed = d.ok(
        "PATCH",
        "/api/v1/users/me",
        Some(&json!({"name": "Ann B. Lee"})),
    );
    assert_eq!(renamed["name"], "Ann B. Lee");
    assert_eq!(d.ok("GET", "/api/v1/users/me", None)["name"], "Ann B. Lee");
    let r = d.call(
        "POST",
        "/api/v1/users/me/change-password",
        Some(&json!({"currentPassword": "not it at all", "newPassword": "brand new password 1"})),
    );
    assert_error(&r, 400, "wrong_password");
    assert_eq!(r.json()["error"], "Current password is incorrect");
    let r = d.call(
        "POST",
        "/api/v1/users/me/change-password",
        Some(&json!({"currentPassword": PASSWORD, "newPassword": "short"})),
    );
    assert_error(&r, 422, "validation_failed");
    let changed = d.ok(
        "POST",
        "/api/v1/users/me/change-password",
        Some(&json!({"currentPassword": PASSWORD, "newPassword": "brand new password 1"})),
    );
    assert_eq!(changed["sessionsEnded"], 1);
    // this session goes on; the other one ended; the new password signs in
    d.ok("GET", "/api/v1/users/me", None);
    let r = other.call("GET", "/api/v1/users/me", None);
    assert_error(&r, 401, "credentials_revoked");
    Dashboard::sign_in(&app, "ann@example.com", "brand new password 1");
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({"email": "ann@example.com", "password": PASSWORD}));
    assert_error(&r, 401, "invalid_credentials");
}

#[test]
fn api_keys_take_permissions_as_scopes_and_stop_at_their_expiry() {
    let app = spawn_app();
    let d = registered(&app, "ann@example.com");
    let created = d.ok(
        "POST",
        "/api/v1/users/api-keys",
        Some(&json!({"name": "CLI", "permissions": ["profiles:read", "profiles:launch"]})),
    );
    let key = created["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("bcd_"), "a desktop key: {key}");
    assert!(created["keyPrefix"].is_string());
    assert_eq!(
        created["permissions"],
        json!(["profiles:read", "profiles:write", "sync:read", "sync:write"])
    );
    // the key reads profiles but may not manage proxies
    let r = app.get("/api/v1/profiles").bearer(&key).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let r = app
        .post("/api/v1/proxies")
        .bearer(&key)
        .json(&json!({"name": "x", "type": "http", "host": "h.example", "port": 8080}));
    assert_error(&r, 403, "insufficient_scope");

    // a key that expires
    let soon = app.server_time_ms() + 1_500;
    let expiring = d.ok(
        "POST",
        "/api/v1/users/api-keys",
        Some(&json!({"name": "Short", "expiresAt": soon})),
    );
    let short = expiring["key"].as_str().expect("key").to_owned();
    assert_eq!(expiring["expiresAt"], soon);
    assert_eq!(
        app.get("/api/v1/users/me").bearer(&short).send().status,
        200
    );
    app.wait_server_ms(1_600);
    let r = app.get("/api/v1/users/me").bearer(&short).send();
    assert_error(&r, 401, "credentials_expired");
    let r = d.call(
        "POST",
        "/api/v1/users/api-keys",
        Some(&json!({"name": "Past", "expiresAt": 1_000})),
    );
    assert_error(&r, 422, "validation_failed");
    assert_eq!(fields(&r), ["expiresAt"]);

    // list and revoke
    let keys = d.ok("GET", "/api/v1/users/api-keys", None);
    assert_eq!(keys.as_array().expect("array").len(), 2);
    let id = created["id"].as_str().expect("id");
    d.ok("DELETE", &format!("/api/v1/users/api-keys/{id}"), None);
    let keys = d.ok("GET", "/api/v1/users/api-keys", None);
    assert_eq!(
        keys.as_array().expect("array").len(),
        1,
        "revoked keys are gone: {keys}"
    );
    let r = app.get("/api/v1/users/me").bearer(&key).send();
    assert_error(&r, 401, "credentials_revoked");
}

#[test]
fn the_team_page_shows_the_team_invites_changes_roles_and_removes() {
    let app = spawn_app();
    let owner = registered(&app, "ann@example.com");
    let (team_id, d) = shared_team(&app, &owner, "ann@example.com");
    d.ok(
        "POST",
        "/api/v1/profiles",
        Some(&json!({"name": "Team profile", "templateId": "windows-chrome"})),
    );
    let team = d.ok("GET", "/api/v1/teams/current", None);
    assert_eq!(team["id"], team_id.as_str());
    assert_eq!(team["name"], "Agency");
    assert_eq!(team["plan"], "free");
    assert_eq!(team["owner"]["email"], "ann@example.com");
    assert_eq!(team["memberCount"], 1);
    assert_eq!(team["profileCount"], 1);

    // invite, accept, then change the role and remove
    registered(&app, "bob@example.com");
    let invited = d.ok(
        "POST",
        "/api/v1/teams/members/invite",
        Some(&json!({"email": "bob@example.com"})),
    );
    assert_eq!(invited["role"], "member");
    assert!(invited["invitationId"].is_string());
    let bob = Dashboard::sign_in(&app, "bob@example.com", PASSWORD);
    let r = app
        .post("/api/teams/invitations/accept")
        .bearer(&bob.token)
        .json(&json!({"token": invited["token"]}));
    assert_eq!(r.status, 200, "{}", r.text());
    let members = d.ok("GET", "/api/v1/teams/members", None);
    let members = members.as_array().expect("array");
    assert_eq!(members.len(), 2);
    let bob_member = members
        .iter()
        .find(|m| m["email"] == "bob@example.com")
        .expect("bob");
    assert_eq!(bob_member["id"], bob_member["userId"]);
    let member_id = bob_member["id"].as_str().expect("id").to_owned();
    let changed = d.ok(
        "PATCH",
        &format!("/api/v1/teams/members/{member_id}"),
        Some(&json!({"role": "viewer"})),
    );
    assert_eq!(changed["role"], "viewer");
    d.ok(
        "DELETE",
        &format!("/api/v1/teams/members/{member_id}"),
        None,
    );
    assert_eq!(d.ok("GET", "/api/v1/teams/current", None)["memberCount"], 1);
    let renamed = d.ok(
        "PATCH",
        "/api/v1/teams/current",
        Some(&json!({"name": "Agency Ltd"})),
    );
    assert_eq!(renamed["name"], "Agency Ltd");
    // the last owner cannot leave
    let r = d.call("POST", "/api/v1/teams/leave", None);
    assert_eq!(r.status, 409, "{}", r.text());
}

#[test]
fn the_audit_page_is_page_numbered_with_names_and_addresses_and_health_is_computed() {
    let app = spawn_app();
    let d = registered(&app, "ann@example.com");
    for n in ["A", "B", "C"] {
        d.ok(
            "POST",
            "/api/v1/profiles",
            Some(&json!({"name": n, "templateId": "windows-chrome"})),
        );
    }
    let first = d.ok("GET", "/api/v1/audit?page=1&limit=2", None);
    let total = first["total"].as_i64().expect("total");
    assert!(total >= 5, "register, logins and three creates: {first}");
    assert_eq!(first["items"].as_array().expect("items").len(), 2);
    assert_eq!(first["totalPages"], (total + 1) / 2);
    let newest = &first["items"][0];
    assert_eq!(newest["action"], "profile.create");
    assert_eq!(newest["userName"], "Ann Lee");
    assert_eq!(newest["ipAddress"], "127.0.0.1");
    assert!(newest["userAgent"].is_string(), "{newest}");
    assert!(newest["createdAt"].is_number());
    let second = d.ok("GET", "/api/v1/audit?page=2&limit=2", None);
    assert_ne!(second["items"][0]["id"], newest["id"]);
    let creates = d.ok("GET", "/api/v1/audit?action=profile.create", None);
    assert_eq!(creates["total"], 3);
    let activity = d.ok("GET", "/api/v1/users/activity?limit=100", None);
    assert_eq!(activity["total"], total);
    // BrowserCloud's own audit list shows the same facts
    let own = app.get("/api/audit?limit=1").bearer(&d.token).send().json();
    assert_eq!(own["entries"][0]["ipAddress"], "127.0.0.1");
    assert_eq!(own["total"], total);

    let health = d.ok("GET", "/api/v1/health/system", None);
    assert_eq!(health["profiles"]["total"], 3);
    assert_eq!(health["profiles"]["healthy"], 3);
    assert_eq!(health["overall"], "healthy");
    assert_eq!(health["score"], 100);
    assert_eq!(health["api"]["status"], "operational");
    assert!(
        health["sync"]
            .as_object()
            .expect("sync")
            .contains_key("lastSync")
    );
}

#[test]
fn open_invitations_are_listed_and_cancelled_and_a_cancelled_one_cannot_be_accepted() {
    let app = spawn_app();
    let owner = registered(&app, "ann@example.com");
    let (_, d) = shared_team(&app, &owner, "ann@example.com");
    let invited = d.ok(
        "POST",
        "/api/v1/teams/members/invite",
        Some(&json!({"email": "bob@example.com", "role": "viewer"})),
    );
    let open = d.ok("GET", "/api/v1/teams/invitations", None);
    assert_eq!(open.as_array().expect("array").len(), 1);
    assert_eq!(open[0]["email"], "bob@example.com");
    assert!(open[0].get("tokenHash").is_none() && !open.to_string().contains("bti_"));
    let id = invited["invitationId"].as_str().expect("id");
    d.ok("DELETE", &format!("/api/v1/teams/invitations/{id}"), None);
    assert_eq!(d.ok("GET", "/api/v1/teams/invitations", None), json!([]));
    let r = d.call("DELETE", &format!("/api/v1/teams/invitations/{id}"), None);
    assert_error(&r, 404, "invitation_not_found");
    let bob = registered(&app, "bob@example.com");
    let r = app
        .post("/api/teams/invitations/accept")
        .bearer(&bob.token)
        .json(&json!({"token": invited["token"]}));
    assert!(
        r.status >= 400,
        "a cancelled invitation is refused: {}",
        r.text()
    );
}

#[test]
fn the_dashboards_preflight_passes_from_an_allowed_origin_only() {
    let app = e2e::spawn_app_with(
        e2e::AppOptions::default().variable("cors_allowed_origins", "http://localhost:3100"),
    );
    for path in [
        "/api/v1/profiles",
        "/api/v1/auth/login",
        "/api/v1/sync/x",
        "/api/v1/teams/current",
    ] {
        let r = app
            .request("OPTIONS", path)
            .header("Origin", "http://localhost:3100")
            .header("Access-Control-Request-Method", "PATCH")
            .header(
                "Access-Control-Request-Headers",
                "authorization, content-type, x-client-id",
            )
            .send();
        assert_eq!(r.status, 204, "{path}: {}", r.text());
        assert_eq!(
            r.header("access-control-allow-origin"),
            Some("http://localhost:3100")
        );
        let allowed = r
            .header("access-control-allow-headers")
            .expect("headers")
            .to_ascii_lowercase();
        for h in [
            "authorization",
            "content-type",
            "x-client-id",
            "x-lock-token",
            "idempotency-key",
        ] {
            assert!(allowed.contains(h), "{path}: {h} in {allowed}");
        }
        assert!(
            r.header("access-control-allow-methods")
                .expect("methods")
                .contains("PATCH")
        );
        let r = app
            .request("OPTIONS", path)
            .header("Origin", "http://evil.example")
            .header("Access-Control-Request-Method", "GET")
            .send();
        assert_eq!(r.status, 403, "{path}: {}", r.text());
    }
}

#[test]
fn v1_creates_honour_idempotency_keys_and_carry_rate_limit_headers() {
    let app = spawn_app();
    let d = registered(&app, "ann@example.com");
    let create = || {
        app.post("/api/v1/profiles")
            .bearer(&d.token)
            .header("Idempotency-Key", "create-shop-1")
            .json(&json!({"name": "Shop", "templateId": "windows-chrome"}))
    };
    let first = create();
    assert_eq!(first.status, 201, "{}", first.text());
    for name in [
        "x-ratelimit-limit",
        "x-ratelimit-remaining",
        "x-ratelimit-reset",
    ] {
        assert!(first.header(name).is_some(), "{name}");
    }
    let again = create();
    assert_eq!(again.status, 201, "{}", again.text());
    assert_eq!(again.json()["data"]["id"], first.json()["data"]["id"]);
    assert_eq!(again.json()["success"], true);
    assert_eq!(d.ok("GET", "/api/v1/profiles", None)["total"], 1);
    // duplicate and import create profiles too: replayed, not repeated
    let id = first.json()["data"]["id"].as_str().expect("id").to_owned();
    for _ in 0..2 {
        let r = app
            .post(&format!("/api/v1/profiles/{id}/duplicate"))
            .bearer(&d.token)
            .header("Idempotency-Key", "dup-1")
            .json(&json!({}));
        assert_eq!(r.status, 201, "{}", r.text());
        let r = app
            .post("/api/v1/profiles/import")
            .bearer(&d.token)
            .header("Idempotency-Key", "import-1")
            .json(&json!({"profiles": [{"name": "Imported", "templateId": "linux-chrome"}]}));
        assert_eq!(r.status, 201, "{}", r.text());
        assert_eq!(r.json()["data"]["imported"], 1);
    }
    assert_eq!(d.ok("GET", "/api/v1/profiles", None)["total"], 3);
}

#[test]
fn deleting_an_account_refuses_the_last_owner_and_then_removes_everything_of_its_own() {
    let app = spawn_app();
    let ann = registered(&app, "ann@example.com");
    let personal = ann.ok(
        "POST",
        "/api/v1/profiles",
        Some(&json!({"name": "Personal", "templateId": "windows-chrome"})),
    );
    let pid = personal["id"].as_str().expect("id").to_owned();
    let r = app
        .post(&format!("/api/sync/{pid}"))
        .bearer(&ann.token)
        .json(&json!({"cookies": [{"name": "sid", "value": "secret"}], "localStorage": {}}));
    assert_eq!(r.status, 200, "{}", r.text());
    let key = desktop_key(&app, &ann.token);
    // a team shared with Bob, where Ann is the only owner
    let r = app
        .post("/api/teams")
        .bearer(&ann.token)
        .json(&json!({"name": "Agency"}));
    let team = r.json()["team"]["id"].as_str().expect("id").to_owned();
    let bob = registered(&app, "bob@example.com");
    let r = app
        .post(&format!("/api/teams/{team}/invitations"))
        .bearer(&ann.token)
        .json(&json!({"email": "bob@example.com", "role": "member"}));
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let r = app
        .post("/api/teams/invitations/accept")
        .bearer(&bob.token)
        .json(&json!({"token": token}));
    assert_eq!(r.status, 200, "{}", r.text());

    let r = app.delete("/api/v1/users/me").bearer(&key).send();
    assert_error(&r, 400, "not_a_session");
    let r = ann.call("DELETE", "/api/v1/users/me", None);
    assert_error(&r, 409, "last_owner");
    assert!(
        r.json()["error"]
            .as_str()
            .expect("error")
            .contains("Agency")
    );

    let bob_id = bob.ok("GET", "/api/v1/users/me", None)["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .put(&format!("/api/teams/{team}/members/{bob_id}"))
        .bearer(&ann.token)
        .json(&json!({"role": "owner"}));
    assert_eq!(r.status, 200, "{}", r.text());
    let deleted = ann.ok("DELETE", "/api/v1/users/me", None);
    assert_eq!(deleted["teamsDeleted"], 1, "the personal team");
    assert_eq!(deleted["teamsLeft"], 1);

    // every credential of Ann's is gone, and so is the account
    let r = ann.call("GET", "/api/v1/users/me", None);
    assert_eq!(r.status, 401, "{}", r.text());
    assert_eq!(app.get("/api/v1/users/me").bearer(&key).send().status, 401);
    let r = app
        .post("/api/v1/auth/login")
        .json(&json!({"email": "ann@example.com", "password": PASSWORD}));
    assert_error(&r, 401, "invalid_credentials");
    // the shared team goes on with Bob, who now owns it, and saw her go
    let r = app.post("/api/v1/auth/login").json(&json!({
        "email": "bob@example.com", "password": PASSWORD, "teamId": team
    }));
    let bob_in_team = Dashboard {
        app: &app,
        token: r.json()["data"]["token"]
            .as_str()
            .expect("token")
            .to_owned(),
    };
    let current = bob_in_team.ok("GET", "/api/v1/teams/current", None);
    assert_eq!(current["memberCount"], 1);
    assert_eq!(current["owner"]["email"], "bob@example.com");
    let audit = bob_in_team.ok("GET", "/api/v1/audit?action=user.delete", None);
    assert_eq!(audit["total"], 1);
    // the address is free again, and the new account starts empty
    let again = registered(&app, "ann@example.com");
    assert_eq!(again.ok("GET", "/api/v1/profiles", None)["total"], 0);
    let r = app
        .get(&format!("/api/sync/{pid}"))
        .bearer(&again.token)
        .send();
    assert_error(&r, 404, "profile_not_found");
}
