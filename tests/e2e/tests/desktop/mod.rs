//! Helpers shared by the desktop API's end-to-end tests (profiles, locks):
//! users with their own team, profiles, and error-shape assertions.

#![allow(dead_code)]

use e2e::{Resp, TestApp, json};
use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery";

/// Registers and logs in a user (owner of their personal team); returns
/// the session token.
pub fn user(app: &TestApp, email: &str) -> String {
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Ann Lee" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_owned()
}

/// A desktop API key of the user (`Authorization: Bearer bcd_…`).
pub fn desktop_key(app: &TestApp, token: &str) -> String {
    let r = app
        .post("/api/keys")
        .bearer(token)
        .json(&json!({ "name": "desktop", "kind": "desktop" }));
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["key"].as_str().expect("key").to_owned()
}

/// Creates a profile from a template; returns its JSON.
pub fn profile(app: &TestApp, token: &str, body: Value) -> Value {
    let r = app.post("/api/profiles").bearer(token).json(&body);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()
}

/// Creates a profile named `name` (windows-chrome); returns its id.
pub fn profile_id(app: &TestApp, token: &str, name: &str) -> String {
    profile(
        app,
        token,
        json!({ "name": name, "templateId": "windows-chrome" }),
    )["id"]
        .as_str()
        .expect("id")
        .to_owned()
}

pub fn launch(app: &TestApp, token: &str, id: &str, client: &str) -> Resp {
    app.post(&format!("/api/profiles/{id}/launch"))
        .bearer(token)
        .header("X-Client-ID", client)
        .send()
}

pub fn heartbeat(app: &TestApp, token: &str, id: &str, client: &str, lock_token: u64) -> Resp {
    app.post(&format!("/api/profiles/{id}/heartbeat"))
        .bearer(token)
        .header("X-Client-ID", client)
        .json(&json!({ "token": lock_token }))
}

pub fn release(app: &TestApp, token: &str, id: &str, client: &str, lock_token: u64) -> Resp {
    app.post(&format!("/api/profiles/{id}/release"))
        .bearer(token)
        .header("X-Client-ID", client)
        .json(&json!({ "token": lock_token }))
}

/// Launches and returns the lock's fencing token.
pub fn launched_token(app: &TestApp, token: &str, id: &str, client: &str) -> u64 {
    let r = launch(app, token, id, client);
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["lock"]["token"].as_u64().expect("token")
}

pub fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
}

pub fn fields(r: &Resp) -> Vec<String> {
    r.json()["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}
