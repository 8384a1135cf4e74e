//! Every limit exercised, from the OpenAPI document so a new route is covered without anyone
//! remembering: every documented `limit` query parameter refuses its maximum + 1 (400 naming
//! `limit`) and takes its maximum, and every documented body refuses one byte over the body cap
//! of its component (413 before any parsing). (Decompression caps: tests/e2e/tests/sync.rs, the
//! gzip bomb; capture and snapshot caps: captures.rs; rate limits: auth.rs and billing.rs.)

use std::collections::BTreeMap;

use e2e::{AppOptions, TestApp, json, spawn_app_with};
use serde_json::Value;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

fn ok(r: e2e::Resp, what: &str) -> Value {
    assert!(
        (200..300).contains(&r.status),
        "{what}: {} {}",
        r.status,
        r.text()
    );
    r.json()
}

fn fill(path: &str, fixtures: &BTreeMap<&str, String>) -> String {
    let mut concrete = path.to_owned();
    for segment in path.split('/') {
        if let Some(name) = segment.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
            let prefix = path.split('{').next().unwrap_or(path);
            let key = format!("{prefix}{{{name}}}");
            let value = fixtures
                .get(key.as_str())
                .unwrap_or_else(|| panic!("{path}: no fixture for {key}; add one to this test"));
            concrete = concrete.replace(segment, value);
        }
    }
    concrete
}

struct Owner {
    token: String,
    fixtures: BTreeMap<&'static str, String>,
}

fn owner(app: &TestApp) -> Owner {
    let r = app.post("/auth/register").json(&json!({
        "email": "limits@example.com", "password": "limits password 123", "name": "Lim",
    }));
    assert_eq!(r.status, 201, "{}", r.text());
    let token = ok(
        app.post("/auth/login")
            .json(&json!({ "email": "limits@example.com", "password": "limits password 123" })),
        "login",
    )["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let s = |v: &Value| v.as_str().expect("id").to_owned();
    let team = ok(app.get("/api/teams").bearer(&token).send(), "teams");
    let team_id = s(&team["teams"][0]["id"]);
    let profile = ok(
        app.post("/api/profiles")
            .bearer(&token)
            .json(&json!({ "name": "p", "templateId": "windows-chrome" })),
        "profile",
    );
    let flow = ok(
        app.post("/api/v1/flows").bearer(&token).json(&json!({
            "name": "f", "baseUrl": "https://limits.example",
            "steps": [{ "action": "click", "selector": "#a" }],
        })),
        "flow",
    );
    let fixtures = BTreeMap::from([
        ("/api/teams/{id}", team_id),
        ("/api/sync/{profileId}", s(&profile["id"])),
        ("/api/v1/flows/{id}", s(&flow["data"]["flow"]["id"])),
    ]);
    Owner { token, fixtures }
}

#[test]
fn every_documented_page_size_cap_refuses_one_more_and_takes_the_maximum() {
    let app = spawn_app_with(AppOptions::default());
    let who = owner(&app);
    let doc = app.get("/openapi.json").send().json();
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        let Some(get) = item.get("get") else { continue };
        let params = get["parameters"]
            .as_array()
            .into_iter()
            .chain(item["parameters"].as_array())
            .flatten();
        let Some(limit) = params
            .filter(|p| p["name"] == "limit" && p["in"] == "query")
            .find_map(|p| p["schema"]["maximum"].as_i64())
        else {
            continue;
        };
        if path.starts_with("/api/webhooks/") {
            // Needs a delivery target; the page cap is the same shared parser (webhooks.rs).
            continue;
        }
        let concrete = fill(path, &who.fixtures);
        let at = |n: i64| {
            app.get(&format!("{concrete}?limit={n}"))
                .bearer(&who.token)
                .send()
        };
        let r = at(limit);
        assert_eq!(r.status, 200, "GET {concrete}?limit={limit}: {}", r.text());
        let r = at(limit + 1);
        assert_eq!(
            r.status,
            400,
            "GET {concrete}?limit={}: {}",
            limit + 1,
            r.text()
        );
        assert!(
            r.text().contains("\"limit\""),
            "GET {concrete}?limit={}: the error names `limit`: {}",
            limit + 1,
            r.text()
        );
        checked += 1;
    }
    assert!(checked >= 14, "only {checked} paged routes found");
}

#[test]
fn every_documented_body_over_its_components_cap_is_413_before_parsing() {
    // Small caps, so the oversize bodies stay small; captures computes its own cap from
    // max_capture_bytes and max_dom_snapshot_bytes (plus fixed headroom, 256 KiB).
    let app = spawn_app_with(
        AppOptions::default()
            .variable("max_body_bytes", "2048")
            .variable("max_sync_body_bytes", "4096")
            .variable("max_capture_bytes", "1024")
            .variable("max_dom_snapshot_bytes", "1024"),
    );
    let who = owner(&app);
    let doc = app.get("/openapi.json").send().json();
    let oversize = |path: &str| -> usize {
        if path.starts_with("/api/sync/") || path.starts_with("/api/v1/sync/") {
            4097
        } else if path.starts_with("/api/v1/captures") {
            512 * 1024
        } else {
            2049
        }
    };
    let mut checked = 0;
    for (path, item) in doc["paths"].as_object().expect("paths") {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            if op.get("requestBody").is_none() {
                continue;
            }
            let concrete = path
                .split('/')
                .map(|seg| {
                    if seg.starts_with('{') {
                        "0123456789abcdef0123456789abcdef"
                    } else {
                        seg
                    }
                })
                .collect::<Vec<_>>()
                .join("/");
            let mut body = b"{\"pad\":\"".to_vec();
            body.resize(oversize(path) - 2, b'x');
            body.extend_from_slice(b"\"}");
            let r = app
                .request(&method.to_uppercase(), &concrete)
                .bearer(&who.token)
                .header("content-type", "application/json")
                .send_bytes(&body);
            assert_eq!(
                r.status,
                413,
                "{} {concrete} with {} bytes: {}",
                method.to_uppercase(),
                body.len(),
                r.text()
            );
            assert!(r.text().contains("payload_too_large"), "{}", r.text());
            checked += 1;
        }
    }
    assert!(checked >= 30, "only {checked} documented bodies found");
}
