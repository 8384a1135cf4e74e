//! Helpers shared by the extension API tests (`projects.rs`, `test_plans.rs`,
//! `flows.rs`, `captures.rs`): users with an extension key, error
//! assertions, projects and captures.

#![allow(dead_code)]

use base64::Engine;
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

/// A real 1×1 PNG (RGBA, one transparent pixel).
pub const PNG_1X1: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52,
    0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4,
    0x89, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0x9C, 0x63, 0xF8, 0xCF, 0xC0, 0xF0,
    0x1F, 0x00, 0x05, 0x00, 0x01, 0xFF, 0x89, 0x99, 0x3D, 0x1D, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45,
    0x4E, 0x44, 0xAE, 0x42, 0x60, 0x82,
];

/// An image of `mime` (image/png, image/jpeg or image/webp): its format's
/// signature and header, then `size` bytes in all, varied by `seed` so that
/// two images of one test differ.
pub fn image(mime: &str, size: usize, seed: u8) -> Vec<u8> {
    let mut bytes = match mime {
        "image/png" => PNG_1X1.to_vec(),
        "image/jpeg" => vec![
            0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
        ],
        "image/webp" => {
            let mut b = b"RIFF".to_vec();
            b.extend_from_slice(
                &u32::try_from(size.saturating_sub(8))
                    .unwrap_or(0)
                    .to_le_bytes(),
            );
            b.extend_from_slice(b"WEBPVP8L");
            b
        }
        other => panic!("no test image of type {other}"),
    };
    let mut x = u32::from(seed).wrapping_mul(2_654_435_761).wrapping_add(1);
    while bytes.len() < size {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        bytes.push(x.to_le_bytes()[0]);
    }
    bytes
}

/// `data:<mime>;base64,<bytes>`.
pub fn data_url(mime: &str, bytes: &[u8]) -> String {
    format!(
        "data:{mime};base64,{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

/// Uploads a PNG capture (seed 001's JSON body) into `project_id`; returns it.
pub fn capture(app: &TestApp, key: &str, project_id: &str, seed: u8) -> Value {
    let r = app
        .post("/api/v1/captures/upload")
        .api_key(key)
        .json(&json!({
            "projectId": project_id,
            "imageData": data_url("image/png", &image("image/png", 200, seed)),
            "url": "https://example.com/page",
            "title": format!("Capture {seed}"),
        }));
    data(&r, 201)["capture"].clone()
}
