//! `/api/v1/test-plans` over real HTTP: seed 001's shapes, test cases
//! validated case by case, the project and capture ids scoped to the caller,
//! pagination, limits from Spin variables.

mod extension_api;

use e2e::{AppOptions, TestApp, json, spawn_app, spawn_app_with};
use extension_api::{UNKNOWN_ID, assert_error, assert_invalid, capture, data, project, user};
use serde_json::Value;

fn seed_plan(project_id: &str) -> Value {
    json!({
        "projectId": project_id,
        "name": "Login Flow Test",
        "description": "Test login functionality",
        "captureIds": [],
        "testCases": [
            {
                "id": "1",
                "title": "Valid login",
                "steps": ["Enter email", "Enter password", "Click submit"],
                "expected": "User logged in"
            }
        ]
    })
}

fn create_plan(app: &TestApp, key: &str, body: &Value) -> Value {
    let r = app.post("/api/v1/test-plans").api_key(key).json(body);
    data(&r, 201)["plan"].clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

#[test]
fn a_test_plan_is_created_listed_read_updated_and_deleted_in_seed_shapes() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = project(&app, &ann.key, "example.com");
    let captures = [
        id(&capture(&app, &ann.key, &id(&p), 1)),
        id(&capture(&app, &ann.key, &id(&p), 2)),
    ];
    let mut body = seed_plan(&id(&p));
    body["captureIds"] = json!(captures);

    let r = app.post("/api/v1/test-plans").api_key(&ann.key).json(&body);
    assert_eq!(r.json()["message"], "Test plan created successfully");
    let plan = data(&r, 201)["plan"].clone();
    assert_eq!(id(&plan).len(), 32);
    assert_eq!(plan["project_id"], p["id"]);
    assert_eq!(plan["name"], "Login Flow Test");
    assert_eq!(plan["description"], "Test login functionality");
    assert_eq!(plan["capture_ids"], json!(captures));
    assert_eq!(plan["test_cases"], seed_plan("")["testCases"]);
    assert_eq!(plan["last_run_at"], json!(null));
    assert!(plan["created_at"].as_i64().expect("created_at") < 10_000_000_000);

    let list = data(
        &app.get(&format!("/api/v1/test-plans?projectId={}", id(&p)))
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(list["plans"].as_array().expect("plans").len(), 1);
    assert_eq!(list["plans"][0], plan);
    assert_eq!(list["pagination"]["total"], 1);

    let path = format!("/api/v1/test-plans/{}", id(&plan));
    assert_eq!(
        data(&app.get(&path).api_key(&ann.key).send(), 200)["plan"],
        plan
    );

    let r = app.put(&path).api_key(&ann.key).json(&json!({
        "name": "Login and logout",
        "testCases": [
            { "id": "1", "title": "Valid login", "steps": ["Log in"], "expected": "Dashboard" },
            { "id": "2", "title": "Logout", "steps": ["Click logout"], "expected": "Login page" }
        ]
    }));
    assert_eq!(r.json()["message"], "Test plan updated successfully");
    let updated = data(&r, 200)["plan"].clone();
    assert_eq!(updated["name"], "Login and logout");
    assert_eq!(updated["test_cases"].as_array().expect("cases").len(), 2);
    assert_eq!(updated["description"], plan["description"], "kept");
    assert_eq!(updated["capture_ids"], plan["capture_ids"], "kept");

    // Sending the whole plan back, its own projectId included, is fine.
    let mut whole = body.clone();
    whole["name"] = json!("Round trip");
    assert_eq!(
        data(&app.put(&path).api_key(&ann.key).json(&whole), 200)["plan"]["name"],
        "Round trip"
    );

    let r = app.delete(&path).api_key(&ann.key).send();
    assert_eq!(r.json()["message"], "Test plan deleted successfully");
    assert_eq!(data(&r, 200)["plan"]["id"], plan["id"]);
    assert_error(
        &app.get(&path).api_key(&ann.key).send(),
        404,
        "test_plan_not_found",
    );
}

#[test]
fn malformed_test_cases_are_400_naming_the_case_and_field() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let post = |body: Value| app.post("/api/v1/test-plans").api_key(&ann.key).json(&body);

    let mut body = seed_plan(&p);
    body["testCases"] = json!([
        { "id": "1", "title": "ok", "steps": ["a"], "expected": "b" },
        { "id": "2", "title": "", "steps": "click", "expected": "b" },
        { "id": "3", "title": "t", "steps": ["a", 7], "expected": ["b"] },
        { "id": "1", "title": "dup", "steps": ["a"], "expected": "b" },
        "not a case"
    ]);
    assert_invalid(
        &post(body),
        &[
            "testCases[1].title",
            "testCases[1].steps",
            "testCases[2].expected",
            "testCases[2].steps[1]",
            "testCases[3].id",
            "testCases[4]",
        ],
    );

    assert_invalid(
        &post(json!({ "name": "No cases", "testCases": [] })),
        &["projectId", "testCases"],
    );
    assert_invalid(
        &post(json!({ "projectId": p, "testCases": {}, "captureIds": "c1" })),
        &["name", "captureIds", "testCases"],
    );
    let mut body = seed_plan(&p);
    body["captureIds"] = json!(["ok", 3, ""]);
    assert_invalid(&post(body), &["captureIds[1]", "captureIds[2]"]);

    // Updates are checked the same way.
    let plan = create_plan(&app, &ann.key, &seed_plan(&p));
    let r = app
        .put(&format!("/api/v1/test-plans/{}", id(&plan)))
        .api_key(&ann.key)
        .json(&json!({ "testCases": [{ "id": "1", "title": "t", "steps": [] }], "projectId": UNKNOWN_ID }));
    assert_invalid(&r, &["testCases[0].expected", "testCases[0].steps"]);
    let r = app
        .put(&format!("/api/v1/test-plans/{}", id(&plan)))
        .api_key(&ann.key)
        .json(&json!({ "projectId": UNKNOWN_ID }));
    assert_invalid(&r, &["projectId"]);
}

#[test]
fn the_number_of_test_cases_is_limited_by_a_variable() {
    let app = spawn_app_with(AppOptions::default().variable("max_test_cases", "2"));
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let case =
        |i: u32| json!({ "id": i.to_string(), "title": "t", "steps": ["s"], "expected": "e" });
    let mut body = seed_plan(&p);
    body["testCases"] = json!([case(1), case(2), case(3)]);
    let r = app.post("/api/v1/test-plans").api_key(&ann.key).json(&body);
    assert_invalid(&r, &["testCases"]);
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("at most 2")
    );
    body["testCases"] = json!([case(1), case(2)]);
    create_plan(&app, &ann.key, &body);
}

#[test]
fn the_project_must_be_the_callers() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let anns = id(&project(&app, &ann.key, "example.com"));
    for project_id in [anns.as_str(), UNKNOWN_ID, "not-an-id"] {
        let r = app
            .post("/api/v1/test-plans")
            .api_key(&bob.key)
            .json(&seed_plan(project_id));
        assert_error(&r, 404, "project_not_found");
        let r = app
            .get(&format!("/api/v1/test-plans?projectId={project_id}"))
            .api_key(&bob.key)
            .send();
        assert_error(&r, 404, "project_not_found");
    }
}

#[test]
fn another_users_test_plan_is_404_on_every_route() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let plan = create_plan(&app, &ann.key, &seed_plan(&p));
    let path = format!("/api/v1/test-plans/{}", id(&plan));

    assert_error(
        &app.get(&path).api_key(&bob.key).send(),
        404,
        "test_plan_not_found",
    );
    assert_error(
        &app.put(&path)
            .api_key(&bob.key)
            .json(&json!({ "name": "Mine" })),
        404,
        "test_plan_not_found",
    );
    assert_error(
        &app.delete(&path).api_key(&bob.key).send(),
        404,
        "test_plan_not_found",
    );
    let all = data(&app.get("/api/v1/test-plans").api_key(&bob.key).send(), 200);
    assert_eq!(all["plans"], json!([]));
    assert_eq!(
        data(&app.get(&path).api_key(&ann.key).send(), 200)["plan"],
        plan
    );
    for bad in [UNKNOWN_ID, "x"] {
        assert_error(
            &app.get(&format!("/api/v1/test-plans/{bad}"))
                .api_key(&ann.key)
                .send(),
            404,
            "test_plan_not_found",
        );
    }
}

#[test]
fn plans_are_listed_per_project_or_all_and_paginated() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let a = id(&project(&app, &ann.key, "a.example"));
    let b = id(&project(&app, &ann.key, "b.example"));
    for (project_id, name) in [(&a, "a1"), (&a, "a2"), (&a, "a3"), (&b, "b1")] {
        let mut body = seed_plan(project_id);
        body["name"] = json!(name);
        create_plan(&app, &ann.key, &body);
        app.wait_server_ms(1);
    }
    let names = |v: &Value| -> Vec<String> {
        v["plans"]
            .as_array()
            .expect("plans")
            .iter()
            .map(|p| p["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let page = data(
        &app.get(&format!("/api/v1/test-plans?projectId={a}&limit=2"))
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(names(&page), ["a3", "a2"]);
    assert_eq!(
        page["pagination"],
        json!({ "limit": 2, "offset": 0, "total": 3 })
    );
    let rest = data(
        &app.get(&format!(
            "/api/v1/test-plans?projectId={a}&limit=2&offset=2"
        ))
        .api_key(&ann.key)
        .send(),
        200,
    );
    assert_eq!(names(&rest), ["a1"]);
    let all = data(&app.get("/api/v1/test-plans").api_key(&ann.key).send(), 200);
    assert_eq!(names(&all), ["b1", "a3", "a2", "a1"]);
    assert_invalid(
        &app.get("/api/v1/test-plans?limit=1000")
            .api_key(&ann.key)
            .send(),
        &["limit"],
    );
}

#[test]
fn deleting_a_project_deletes_its_test_plans() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let plan = create_plan(&app, &ann.key, &seed_plan(&p));
    let r = app
        .delete(&format!("/api/v1/projects/{p}"))
        .api_key(&ann.key)
        .send();
    data(&r, 200);
    assert_error(
        &app.get(&format!("/api/v1/test-plans/{}", id(&plan)))
            .api_key(&ann.key)
            .send(),
        404,
        "test_plan_not_found",
    );
    let all = data(&app.get("/api/v1/test-plans").api_key(&ann.key).send(), 200);
    assert_eq!(all["pagination"]["total"], 0);
}

/// Capture ids must be the caller's captures (uploaded through the captures
/// component): another user's capture or an unknown id is 404, on create
/// and on update.
#[test]
fn capture_ids_must_be_the_callers_captures() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let bobs_project = id(&project(&app, &bob.key, "example.com"));
    let (ann_1, ann_2) = (
        id(&capture(&app, &ann.key, &p, 1)),
        id(&capture(&app, &ann.key, &p, 2)),
    );
    let bob_1 = id(&capture(&app, &bob.key, &bobs_project, 3));

    let mut body = seed_plan(&p);
    body["captureIds"] = json!([ann_1, ann_2]);
    let plan = create_plan(&app, &ann.key, &body);
    assert_eq!(plan["capture_ids"], json!([ann_1, ann_2]));

    body["captureIds"] = json!([ann_1, bob_1]);
    let r = app.post("/api/v1/test-plans").api_key(&ann.key).json(&body);
    assert_error(&r, 404, "capture_not_found");
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("captureIds[1]")
    );
    body["captureIds"] = json!(["no-such-capture"]);
    let r = app.post("/api/v1/test-plans").api_key(&ann.key).json(&body);
    assert_error(&r, 404, "capture_not_found");
    let r = app
        .put(&format!("/api/v1/test-plans/{}", id(&plan)))
        .api_key(&ann.key)
        .json(&json!({ "captureIds": [bob_1] }));
    assert_error(&r, 404, "capture_not_found");
    // A deleted capture cannot be added any more; a plan that already names
    // it can still be sent back unchanged (ids are checked when they change).
    let r = app
        .delete(&format!("/api/v1/captures/{ann_2}"))
        .api_key(&ann.key)
        .send();
    data(&r, 200);
    let path = format!("/api/v1/test-plans/{}", id(&plan));
    let r = app
        .put(&path)
        .api_key(&ann.key)
        .json(&json!({ "captureIds": [ann_2] }));
    assert_error(&r, 404, "capture_not_found");
    let r = app
        .put(&path)
        .api_key(&ann.key)
        .json(&json!({ "name": "Kept", "captureIds": [ann_1, ann_2] }));
    assert_eq!(data(&r, 200)["plan"]["capture_ids"], json!([ann_1, ann_2]));
}
