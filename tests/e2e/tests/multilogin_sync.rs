//! Session payloads as real browsers hold them, on every sync route: the
//! seed's `/api/sync` and the published clients' `/api/v1/sync` (push,
//! upload, download, status, delete, bulk upload). sessionStorage,
//! IndexedDB and extensions beside cookies and localStorage; localStorage
//! flat or keyed by origin; each part bounded; the hash of a session of the
//! old two parts unchanged.

mod desktop;

use desktop::*;
use e2e::{Resp, TestApp, json, spawn_app};
use serde_json::Value;

fn v1(app: &TestApp, key: &str, method: &str, path: &str, body: Option<&Value>) -> Resp {
    let req = app
        .request(method, path)
        .header("Content-Type", "application/json")
        .bearer(key)
        .header("X-Client-ID", "client_sync1");
    match body {
        Some(b) => req.send_bytes(&serde_json::to_vec(b).expect("json")),
        None => req.send(),
    }
}

fn data(r: &Resp) -> Value {
    let v = r.json();
    assert!(
        (200..300).contains(&r.status) && v["success"] == true,
        "{} {v}",
        r.status
    );
    v["data"].clone()
}

fn full_session() -> Value {
    json!({
        "cookies": [{"name": "sid", "value": "1", "domain": ".a.example"}],
        "localStorage": {"https://a.example": {"cart": "2"}, "https://b.example": {"t": "x"}},
        "sessionStorage": {"https://a.example": {"step": "3"}},
        "indexedDB": {"keyval-store": {"version": 1, "stores": {"kv": [["k", "v"]]}}},
        "extensions": ["nkbihfbeogaeaoehlefnkodbefgpgknn", {"id": "abc", "enabled": false}]
    })
}

#[test]
fn every_part_round_trips_on_both_surfaces_and_old_hashes_stay() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let key = desktop_key(&app, &t);
    let id = profile_id(&app, &t, "Shop");

    // The old two parts hash exactly as they did: the known canonical bytes.
    let old = json!({"cookies": [{"name": "a", "value": "1"}], "localStorage": {"k": "v"}});
    let r = app.post(&format!("/api/sync/{id}")).bearer(&t).json(&old);
    assert_eq!(r.status, 200, "{}", r.text());
    let expected = {
        use std::fmt::Write;
        let digest = sha256(br#"{"cookies":[{"name":"a","value":"1"}],"localStorage":{"k":"v"}}"#);
        digest.iter().fold(String::new(), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
    };
    assert_eq!(r.json()["hash"], expected.as_str());
    // Empty new parts are the same session.
    let mut same = old.clone();
    same["sessionStorage"] = json!({});
    same["extensions"] = json!([]);
    let r = app.post(&format!("/api/sync/{id}")).bearer(&t).json(&same);
    assert_eq!(r.json()["skipped"], true, "{}", r.text());

    // All five parts through BrowserCloud's own push, read back by both.
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .json(&full_session());
    assert_eq!(r.status, 200, "{}", r.text());
    let pulled = app.get(&format!("/api/sync/{id}")).bearer(&t).send().json();
    for part in [
        "cookies",
        "localStorage",
        "sessionStorage",
        "indexedDB",
        "extensions",
    ] {
        assert_eq!(pulled[part], full_session()[part], "{part}");
    }
    let down = data(&v1(
        &app,
        &key,
        "GET",
        &format!("/api/v1/sync/{id}/download"),
        None,
    ));
    assert_eq!(down["sessionStorage"], full_session()["sessionStorage"]);
    assert!(down["uploadedAt"].is_number());
    let strings = data(&v1(&app, &key, "GET", &format!("/api/v1/sync/{id}"), None));
    let idb: Value =
        serde_json::from_str(strings["indexedDB"].as_str().expect("string")).expect("json");
    assert_eq!(idb, full_session()["indexedDB"]);
    // And the launch hands them to the client.
    let r = launch(&app, &t, &id, "desktop-1");
    assert_eq!(
        r.json()["sessionData"]["extensions"],
        full_session()["extensions"]
    );
    let token = r.json()["lock"]["token"].as_u64().expect("token");
    let r = release(&app, &t, &id, "desktop-1", token);
    assert_eq!(r.status, 200, "{}", r.text());

    // The Worker's upload, with parts as strings, and its status.
    let mut as_strings = serde_json::Map::new();
    for (part, value) in full_session().as_object().expect("obj") {
        let mut v = value.clone();
        if part == "sessionStorage" {
            v = json!({"https://a.example": {"step": "4"}});
        }
        as_strings.insert(
            part.clone(),
            json!(serde_json::to_string(&v).expect("json")),
        );
    }
    let up = data(&v1(
        &app,
        &key,
        "POST",
        &format!("/api/v1/sync/{id}/upload"),
        Some(&Value::Object(as_strings)),
    ));
    assert_eq!(up["synced"], true);
    let status = data(&v1(
        &app,
        &key,
        "GET",
        &format!("/api/v1/sync/{id}/status"),
        None,
    ));
    assert_eq!(status["hasData"], true);
    assert_eq!(status["hash"], up["hash"]);
    assert!(status["lastModified"].as_str().expect("iso").ends_with('Z'));
    assert!(status["size"].as_i64().expect("size") > 0);

    // DELETE empties it as a new version; the previous one stays restorable.
    let cleared = data(&v1(
        &app,
        &key,
        "DELETE",
        &format!("/api/v1/sync/{id}"),
        None,
    ));
    assert_eq!(cleared["synced"], true);
    let pulled = app.get(&format!("/api/sync/{id}")).bearer(&t).send().json();
    assert_eq!(pulled["cookies"], json!([]));
    assert!(pulled.get("sessionStorage").is_none());
    let r = app
        .post(&format!("/api/sync/{id}/restore"))
        .bearer(&t)
        .json(&json!({"hash": up["hash"]}));
    assert_eq!(r.status, 200, "{}", r.text());
    let pulled = app.get(&format!("/api/sync/{id}")).bearer(&t).send().json();
    assert_eq!(
        pulled["sessionStorage"],
        json!({"https://a.example": {"step": "4"}})
    );
}

#[test]
fn parts_are_validated_and_bounded_naming_the_part() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .json(&json!({
            "cookies": [], "localStorage": {"https://a.example": {"n": 1}}, "indexedDB": []
        }));
    assert_error(&r, 400, "invalid_input");
    assert_eq!(
        fields(&r),
        ["localStorage.https://a.example.n", "indexedDB"]
    );
    let many: Vec<Value> = (0..101).map(|i| json!(format!("ext{i}"))).collect();
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .json(&json!({
            "cookies": [], "localStorage": {}, "extensions": many
        }));
    assert_error(&r, 413, "session_part_too_large");
    assert!(
        r.json()["message"]
            .as_str()
            .expect("msg")
            .contains("extensions")
    );
    let dbs: serde_json::Map<String, Value> =
        (0..101).map(|i| (format!("db{i}"), json!({}))).collect();
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .json(&json!({
            "cookies": [], "localStorage": {}, "indexedDB": dbs
        }));
    assert_error(&r, 413, "session_part_too_large");
}

#[test]
fn bulk_upload_pushes_each_session_on_its_own() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let key = desktop_key(&app, &t);
    let a = profile_id(&app, &t, "A");
    let b = profile_id(&app, &t, "B");
    let other = user(&app, "mallory@example.com");
    let theirs = profile_id(&app, &other, "Theirs");
    let r = v1(
        &app,
        &key,
        "POST",
        "/api/v1/sync/bulk-upload",
        Some(&json!({"sessions": [
            {"profileId": a, "data": {"cookies": "[]", "localStorage": "{\"k\":\"a\"}"}},
            {"profileId": b, "data": {"cookies": [], "localStorage": {"k": "b"}, "sessionStorage": {"s": "1"}}},
            {"profileId": theirs, "data": {"cookies": [], "localStorage": {}}},
            {"profileId": a, "data": {"cookies": "not json", "localStorage": "{}"}}
        ]})),
    );
    let out = data(&r);
    assert_eq!(out["uploaded"], 2);
    assert_eq!(out["failed"], 2);
    assert_eq!(out["results"][2]["code"], "profile_not_found");
    assert_eq!(out["results"][3]["code"], "invalid_input");
    let pulled = app.get(&format!("/api/sync/{b}")).bearer(&t).send().json();
    assert_eq!(pulled["sessionStorage"], json!({"s": "1"}));
    let theirs_now = app
        .get(&format!("/api/sync/{theirs}"))
        .bearer(&other)
        .send()
        .json();
    assert_eq!(
        theirs_now["hash"],
        Value::Null,
        "nothing written to another team's profile"
    );
    let r = v1(
        &app,
        &key,
        "POST",
        "/api/v1/sync/bulk-upload",
        Some(&json!({"sessions": []})),
    );
    assert_error(&r, 400, "invalid_input");
}

/// SHA-256, for the expected hash of known canonical bytes.
fn sha256(bytes: &[u8]) -> [u8; 32] {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).into()
}
