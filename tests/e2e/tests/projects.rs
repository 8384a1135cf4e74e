//! `/api/v1/projects` over real HTTP: seed 001's shapes, hostname
//! normalisation, get-or-create by hostname under a race, pagination, bad
//! input, and isolation between users.

mod extension_api;

use e2e::{json, spawn_app};
use extension_api::{UNKNOWN_ID, assert_error, assert_invalid, data, project, user};

#[test]
fn a_project_is_created_listed_read_updated_and_deleted_in_seed_shapes() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");

    let r = app.post("/api/v1/projects").api_key(&ann.key).json(&json!({
        "name": "Example Website",
        "hostname": "example.com",
        "description": "Test project",
    }));
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    assert_eq!(body["success"], true);
    assert_eq!(body["message"], "Project created successfully");
    let p = &body["data"]["project"];
    let id = p["id"].as_str().expect("id").to_owned();
    assert_eq!(id.len(), 32);
    assert_eq!(p["name"], "Example Website");
    assert_eq!(p["hostname"], "example.com");
    assert_eq!(p["description"], "Test project");
    for field in ["created_at", "updated_at", "last_accessed_at"] {
        let secs = p[field].as_i64().unwrap_or_else(|| panic!("{field}: {p}"));
        assert!(
            (1_700_000_000..10_000_000_000).contains(&secs),
            "{field} in unix seconds: {secs}"
        );
    }
    assert_eq!(
        p.as_object().expect("object").len(),
        7,
        "exactly seed 001's fields: {p}"
    );
    assert!(r.header("x-ratelimit-limit").is_some());

    let list = data(&app.get("/api/v1/projects").api_key(&ann.key).send(), 200);
    assert_eq!(list["projects"].as_array().expect("projects").len(), 1);
    assert_eq!(list["projects"][0]["id"], id.as_str());
    assert_eq!(
        list["pagination"],
        json!({ "limit": 50, "offset": 0, "total": 1 })
    );

    let got = data(
        &app.get(&format!("/api/v1/projects/{id}"))
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(got["project"]["hostname"], "example.com");

    let r = app
        .put(&format!("/api/v1/projects/{id}"))
        .api_key(&ann.key)
        .json(&json!({ "name": "Renamed", "description": null }));
    assert_eq!(r.json()["message"], "Project updated successfully");
    let updated = data(&r, 200)["project"].clone();
    assert_eq!(updated["name"], "Renamed");
    assert_eq!(updated["description"], json!(null));
    assert_eq!(
        updated["hostname"], "example.com",
        "untouched fields are kept"
    );

    let r = app
        .delete(&format!("/api/v1/projects/{id}"))
        .api_key(&ann.key)
        .send();
    assert_eq!(r.json()["message"], "Project deleted successfully");
    assert_eq!(data(&r, 200)["project"]["id"], id.as_str());
    assert_error(
        &app.get(&format!("/api/v1/projects/{id}"))
            .api_key(&ann.key)
            .send(),
        404,
        "project_not_found",
    );
    let list = data(&app.get("/api/v1/projects").api_key(&ann.key).send(), 200);
    assert_eq!(list["projects"], json!([]));
}

#[test]
fn a_session_token_works_like_an_extension_key() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let r = app
        .post("/api/v1/projects")
        .bearer(&ann.token)
        .json(&json!({ "name": "Docs", "hostname": "docs.rs" }));
    let id = data(&r, 201)["project"]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let list = data(&app.get("/api/v1/projects").api_key(&ann.key).send(), 200);
    assert_eq!(list["projects"][0]["id"], id.as_str());
}

#[test]
fn requests_without_credentials_are_401() {
    let app = spawn_app();
    assert_error(
        &app.get("/api/v1/projects").send(),
        401,
        "missing_credentials",
    );
    assert_error(
        &app.post("/api/v1/projects/by-hostname")
            .json(&json!({ "hostname": "example.com" })),
        401,
        "missing_credentials",
    );
    assert_error(
        &app.get("/api/v1/projects")
            .api_key("bgx_not_a_real_key")
            .send(),
        401,
        "invalid_credentials",
    );
}

#[test]
fn hostnames_are_normalised_and_one_hostname_is_one_project() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let r = app.post("/api/v1/projects").api_key(&ann.key).json(&json!({
        "name": "Books",
        "hostname": "HTTPS://Bücher.Example:8443/shop?x=1#top",
    }));
    assert_eq!(
        data(&r, 201)["project"]["hostname"],
        "xn--bcher-kva.example"
    );
    let r = app
        .post("/api/v1/projects")
        .api_key(&ann.key)
        .json(&json!({ "name": "Again", "hostname": "xn--BCHER-kva.example." }));
    assert_error(&r, 409, "project_exists");
    // Without a name, the project is named after the hostname as people read it.
    let r = app
        .post("/api/v1/projects")
        .api_key(&ann.key)
        .json(&json!({ "hostname": "http://пример.рф/" }));
    let p = data(&r, 201)["project"].clone();
    assert_eq!(p["hostname"], "xn--e1afmkfd.xn--p1ai");
    assert_eq!(p["name"], "пример.рф");
}

#[test]
fn bad_input_is_400_naming_each_field() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let post = |body| app.post("/api/v1/projects").api_key(&ann.key).json(&body);

    assert_invalid(&post(json!({ "name": "No host" })), &["hostname"]);
    assert_invalid(
        &post(json!({ "name": "x".repeat(201), "hostname": "exa mple.com", "description": 5 })),
        &["hostname", "name", "description"],
    );
    assert_invalid(
        &post(json!({ "hostname": "user:pw@example.com" })),
        &["hostname"],
    );
    assert_invalid(
        &post(json!({ "hostname": "example.com:http" })),
        &["hostname"],
    );
    assert_invalid(&post(json!({ "hostname": ["example.com"] })), &["hostname"]);
    assert_invalid(&post(json!({ "hostname": "a".repeat(300) })), &["hostname"]);
    assert_invalid(
        &post(json!({ "hostname": "example.com", "description": "d".repeat(2001) })),
        &["description"],
    );
    assert_invalid(
        &app.post("/api/v1/projects/by-hostname")
            .api_key(&ann.key)
            .json(&json!({ "hostname": "-bad-.com" })),
        &["hostname"],
    );
    let r = app
        .post("/api/v1/projects")
        .api_key(&ann.key)
        .header("Content-Type", "application/json")
        .send_bytes(b"{\"hostname\": ");
    assert_error(&r, 400, "malformed_json");
    let r = app
        .post("/api/v1/projects")
        .api_key(&ann.key)
        .header("Content-Type", "text/plain")
        .send_bytes(b"hostname=example.com");
    assert_error(&r, 415, "unsupported_media_type");
    let r = app
        .get("/api/v1/projects?limit=0&offset=-1")
        .api_key(&ann.key)
        .send();
    assert_invalid(&r, &["limit", "offset"]);
}

#[test]
fn by_hostname_creates_the_project_once_then_returns_it() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let r = app
        .post("/api/v1/projects/by-hostname")
        .api_key(&ann.key)
        .json(&json!({ "hostname": "github.com" }));
    let first = data(&r, 201);
    assert_eq!(first["created"], true);
    assert_eq!(first["project"]["hostname"], "github.com");
    assert_eq!(first["project"]["name"], "github.com");
    assert!(
        r.json().get("message").is_none(),
        "seed 001's shape has no message"
    );

    let r = app
        .post("/api/v1/projects/by-hostname")
        .api_key(&ann.key)
        .json(&json!({ "hostname": "https://GitHub.com/login" }));
    let second = data(&r, 200);
    assert_eq!(second["created"], false);
    assert_eq!(second["project"]["id"], first["project"]["id"]);
    assert!(
        second["project"]["last_accessed_at"].as_i64()
            >= first["project"]["last_accessed_at"].as_i64()
    );
    // A project made by POST /projects is found too.
    let made = project(&app, &ann.key, "gitlab.com");
    let r = app
        .post("/api/v1/projects/by-hostname")
        .api_key(&ann.key)
        .json(&json!({ "hostname": "GITLAB.COM" }));
    let found = data(&r, 200);
    assert_eq!(found["created"], false);
    assert_eq!(found["project"]["id"], made["id"]);
}

#[test]
fn concurrent_by_hostname_calls_create_exactly_one_project() {
    const CALLS: usize = 20;
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let results: Vec<(u16, serde_json::Value)> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..CALLS)
            .map(|i| {
                let (app, key) = (&app, &ann.key);
                s.spawn(move || {
                    // Different spellings of one hostname.
                    let hostname = if i % 2 == 0 {
                        "race.example"
                    } else {
                        "https://RACE.example:443/x"
                    };
                    let r = app
                        .post("/api/v1/projects/by-hostname")
                        .api_key(key)
                        .json(&json!({ "hostname": hostname }));
                    (r.status, r.json())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("thread"))
            .collect()
    });
    let created: Vec<_> = results
        .iter()
        .filter(|(_, b)| b["data"]["created"] == true)
        .collect();
    assert_eq!(created.len(), 1, "{results:?}");
    assert_eq!(created[0].0, 201);
    let id = &created[0].1["data"]["project"]["id"];
    for (status, body) in &results {
        assert!(*status == 200 || *status == 201, "{status} {body}");
        assert_eq!(&body["data"]["project"]["id"], id, "{body}");
    }
    let list = data(&app.get("/api/v1/projects").api_key(&ann.key).send(), 200);
    assert_eq!(list["pagination"]["total"], 1, "{list}");
}

#[test]
fn another_users_project_is_404_on_every_route() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let p = project(&app, &ann.key, "example.com");
    let path = format!("/api/v1/projects/{}", p["id"].as_str().expect("id"));

    assert_error(
        &app.get(&path).api_key(&bob.key).send(),
        404,
        "project_not_found",
    );
    assert_error(
        &app.put(&path)
            .api_key(&bob.key)
            .json(&json!({ "name": "Mine now" })),
        404,
        "project_not_found",
    );
    assert_error(
        &app.delete(&path).api_key(&bob.key).send(),
        404,
        "project_not_found",
    );
    let list = data(&app.get("/api/v1/projects").api_key(&bob.key).send(), 200);
    assert_eq!(list["projects"], json!([]));
    // The same hostname is a separate project for another user.
    let r = app
        .post("/api/v1/projects/by-hostname")
        .api_key(&bob.key)
        .json(&json!({ "hostname": "example.com" }));
    let bobs = data(&r, 201);
    assert_eq!(bobs["created"], true);
    assert_ne!(bobs["project"]["id"], p["id"]);
    // Ann's project is untouched.
    let mine = data(&app.get(&path).api_key(&ann.key).send(), 200);
    assert_eq!(mine["project"]["name"], p["name"]);
    // Unknown and malformed ids are 404 too.
    for id in [UNKNOWN_ID, "not-an-id", "BY-HOSTNAME"] {
        assert_error(
            &app.get(&format!("/api/v1/projects/{id}"))
                .api_key(&ann.key)
                .send(),
            404,
            "project_not_found",
        );
    }
}

#[test]
fn updating_checks_the_fields_and_the_hostname_stays_unique() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let a = project(&app, &ann.key, "a.example");
    project(&app, &ann.key, "b.example");
    let path = format!("/api/v1/projects/{}", a["id"].as_str().expect("id"));
    assert_error(
        &app.put(&path)
            .api_key(&ann.key)
            .json(&json!({ "hostname": "B.example" })),
        409,
        "project_exists",
    );
    assert_invalid(
        &app.put(&path)
            .api_key(&ann.key)
            .json(&json!({ "hostname": "", "name": " " })),
        &["name", "hostname"],
    );
    let r = app
        .put(&path)
        .api_key(&ann.key)
        .json(&json!({ "hostname": "https://C.example/x" }));
    let p = data(&r, 200)["project"].clone();
    assert_eq!(p["hostname"], "c.example");
    assert_eq!(p["name"], a["name"]);
}

#[test]
fn lists_are_paginated_newest_first() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    for host in ["one.example", "two.example", "three.example"] {
        project(&app, &ann.key, host);
        app.wait_server_ms(1);
    }
    let page = data(
        &app.get("/api/v1/projects?limit=2").api_key(&ann.key).send(),
        200,
    );
    let hosts: Vec<_> = page["projects"]
        .as_array()
        .expect("projects")
        .iter()
        .map(|p| p["hostname"].as_str().expect("hostname").to_owned())
        .collect();
    assert_eq!(hosts, ["three.example", "two.example"]);
    assert_eq!(
        page["pagination"],
        json!({ "limit": 2, "offset": 0, "total": 3 })
    );
    let rest = data(
        &app.get("/api/v1/projects?limit=2&offset=2")
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(rest["projects"][0]["hostname"], "one.example");
    assert_eq!(rest["projects"].as_array().expect("projects").len(), 1);
}
