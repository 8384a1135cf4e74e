//! Helpers shared by the extension API tests (`projects.rs`, `test_plans.rs`,
//! `flows.rs`): users with an extension key, error assertions.

#![allow(dead_code)]

use e2e::{Resp, TestApp, json};
use serde_json::Value;

pub const PASSWORD: &str = "correct horse battery";

/// A registered user: their session token and an extension key (`bgx_…`).
pub struct User {
    pub token: String,
    pub key: String,
}

/// Registers `email`, logs in and creates an extension key.
pub fn user(app: &TestApp, email: &str) -> User {
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": email, "password": PASSWORD, "name": "QA Tester" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }));
    assert_eq!(r.status, 200, "{}", r.text());
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let r = app
        .post("/api/keys")
        .bearer(&token)
        .json(&json!({ "name": "extension", "kind": "extension" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json()["key"].as_str().expect("key").to_owned();
    assert!(key.starts_with("bgx_"), "{key}");
    User { token, key }
}

/// Asserts an error response: status, `success: false`, code, message.
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

/// Asserts a 400 `invalid_input` whose details name exactly `fields`.
pub fn assert_invalid(r: &Resp, fields: &[&str]) {
    assert_error(r, 400, "invalid_input");
    assert_eq!(field_names(r), fields, "{}", r.text());
}

/// The fields named in an error's `details`.
pub fn field_names(r: &Resp) -> Vec<String> {
    r.json()["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Asserts a success envelope with `status` and returns its `data`.
pub fn data(r: &Resp, status: u16) -> Value {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["success"], true, "{body}");
    body["data"].clone()
}

/// Creates a project for `hostname`; returns it.
pub fn project(app: &TestApp, key: &str, hostname: &str) -> Value {
    let r = app
        .post("/api/v1/projects")
        .api_key(key)
        .json(&json!({ "name": format!("Site {hostname}"), "hostname": hostname }));
    data(&r, 201)["project"].clone()
}

/// A well-formed id that exists for nobody.
pub const UNKNOWN_ID: &str = "0123456789abcdef0123456789abcdef";
