//! `/api/v1/flows` and their executions over real HTTP: CRUD with version
//! bumps, start / finish / list, `success_rate` and `total_executions` after
//! several (and concurrent) finishes, bad input, limits from Spin
//! variables, and isolation between users.

mod extension_api;

use e2e::{AppOptions, TestApp, json, spawn_app, spawn_app_with};
use extension_api::{UNKNOWN_ID, assert_error, assert_invalid, data, user};
use serde_json::Value;

fn checkout_flow() -> Value {
    json!({
        "name": "Checkout",
        "description": "Buy one item",
        "baseUrl": "https://shop.example.com",
        "startUrl": "https://shop.example.com/cart",
        "goal": "Place an order",
        "steps": [
            { "action": "click", "selector": "#add" },
            { "action": "click", "selector": "#checkout" },
            { "action": "type", "selector": "#email", "value": "a@b.c" }
        ],
        "selectors": { "add": "#add", "checkout": "#checkout" },
        "domSnapshot": "<html><body><button id=\"add\"></button></body></html>"
    })
}

fn create_flow(app: &TestApp, key: &str) -> Value {
    let r = app
        .post("/api/v1/flows")
        .api_key(key)
        .json(&checkout_flow());
    data(&r, 201)["flow"].clone()
}

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn start(app: &TestApp, key: &str, flow_id: &str) -> Value {
    let r = app
        .post(&format!("/api/v1/flows/{flow_id}/executions"))
        .api_key(key)
        .send();
    data(&r, 201)["execution"].clone()
}

fn finish(app: &TestApp, key: &str, flow_id: &str, exec_id: &str, body: &Value) -> e2e::Resp {
    app.post(&format!(
        "/api/v1/flows/{flow_id}/executions/{exec_id}/finish"
    ))
    .api_key(key)
    .json(body)
}

#[test]
fn a_flow_is_created_listed_read_updated_and_deleted() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let r = app
        .post("/api/v1/flows")
        .api_key(&ann.key)
        .json(&checkout_flow());
    assert_eq!(r.json()["message"], "Flow created successfully");
    let flow = data(&r, 201)["flow"].clone();
    assert_eq!(id(&flow).len(), 32);
    assert_eq!(flow["name"], "Checkout");
    assert_eq!(flow["base_url"], "https://shop.example.com");
    assert_eq!(flow["start_url"], "https://shop.example.com/cart");
    assert_eq!(flow["goal"], "Place an order");
    assert_eq!(flow["steps"], checkout_flow()["steps"]);
    assert_eq!(flow["selectors"], checkout_flow()["selectors"]);
    assert_eq!(flow["dom_snapshot"], checkout_flow()["domSnapshot"]);
    assert_eq!(flow["status"], "draft");
    assert_eq!(flow["version"], 1);
    assert_eq!(flow["success_rate"], 0.0);
    assert_eq!(flow["total_executions"], 0);

    let list = data(&app.get("/api/v1/flows").api_key(&ann.key).send(), 200);
    assert_eq!(list["flows"].as_array().expect("flows").len(), 1);
    assert!(
        list["flows"][0].get("dom_snapshot").is_none(),
        "lists leave the DOM snapshot out"
    );
    assert_eq!(
        list["pagination"],
        json!({ "limit": 50, "offset": 0, "total": 1 })
    );

    let path = format!("/api/v1/flows/{}", id(&flow));
    assert_eq!(
        data(&app.get(&path).api_key(&ann.key).send(), 200)["flow"],
        flow
    );

    // Changing anything but the steps keeps the version.
    let r = app
        .put(&path)
        .api_key(&ann.key)
        .json(&json!({ "name": "Checkout v1", "status": "active", "goal": null }));
    assert_eq!(r.json()["message"], "Flow updated successfully");
    let updated = data(&r, 200)["flow"].clone();
    assert_eq!(updated["name"], "Checkout v1");
    assert_eq!(updated["status"], "active");
    assert_eq!(updated["goal"], json!(null));
    assert_eq!(updated["version"], 1);
    assert_eq!(updated["base_url"], flow["base_url"], "kept");
    // The same steps again keep it too; different steps bump it.
    let same = app
        .put(&path)
        .api_key(&ann.key)
        .json(&json!({ "steps": checkout_flow()["steps"] }));
    assert_eq!(data(&same, 200)["flow"]["version"], 1);
    let changed = app
        .put(&path)
        .api_key(&ann.key)
        .json(&json!({ "steps": [{ "action": "click", "selector": "#buy" }] }));
    let changed = data(&changed, 200)["flow"].clone();
    assert_eq!(changed["version"], 2);
    assert_eq!(
        changed["steps"],
        json!([{ "action": "click", "selector": "#buy" }])
    );

    let r = app.delete(&path).api_key(&ann.key).send();
    assert_eq!(r.json()["message"], "Flow deleted successfully");
    data(&r, 200);
    assert_error(
        &app.get(&path).api_key(&ann.key).send(),
        404,
        "flow_not_found",
    );
}

#[test]
fn an_execution_is_started_finished_listed_and_read() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let flow = create_flow(&app, &ann.key);
    let fid = id(&flow);

    let r = app
        .post(&format!("/api/v1/flows/{fid}/executions"))
        .api_key(&ann.key)
        .send();
    assert_eq!(r.json()["message"], "Execution started");
    let exec = data(&r, 201)["execution"].clone();
    assert_eq!(exec["status"], "running");
    assert_eq!(exec["flow_id"], fid.as_str());
    assert_eq!(exec["flow_version"], 1);
    assert_eq!(exec["steps_total"], 3, "defaults to the flow's steps");
    assert_eq!(exec["steps_completed"], 0);
    assert_eq!(exec["completed_at"], json!(null));

    let r = finish(
        &app,
        &ann.key,
        &fid,
        &id(&exec),
        &json!({
            "status": "failed",
            "durationMs": 1234,
            "stepsCompleted": 2,
            "error": "Selector #email not found",
            "log": ["step 1 ok", "step 2 ok", { "step": 3, "error": "not found" }],
            "screenshotKeys": ["flows/u/1.png", "flows/u/2.png"]
        }),
    );
    assert_eq!(r.json()["message"], "Execution finished");
    let body = data(&r, 200);
    let done = &body["execution"];
    assert_eq!(done["status"], "failed");
    assert_eq!(done["duration_ms"], 1234);
    assert_eq!(done["steps_completed"], 2);
    assert_eq!(done["error_message"], "Selector #email not found");
    assert_eq!(done["execution_log"][2]["step"], 3);
    assert_eq!(
        done["screenshot_keys"],
        json!(["flows/u/1.png", "flows/u/2.png"])
    );
    assert!(
        done["completed_at"].as_i64().expect("completed_at")
            >= exec["started_at"].as_i64().expect("started_at")
    );
    assert_eq!(body["flow"]["total_executions"], 1);
    assert_eq!(body["flow"]["success_rate"], 0.0);

    // A finished execution cannot be finished again.
    let again = finish(
        &app,
        &ann.key,
        &fid,
        &id(&exec),
        &json!({ "status": "success" }),
    );
    assert_error(&again, 409, "execution_already_finished");

    let got = data(
        &app.get(&format!("/api/v1/flows/{fid}/executions/{}", id(&exec)))
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(got["execution"], *done);

    // Without stepsCompleted or durationMs, a success completes every step
    // and lasts from start to finish.
    let second = start(&app, &ann.key, &fid);
    let body = data(
        &finish(
            &app,
            &ann.key,
            &fid,
            &id(&second),
            &json!({ "status": "success" }),
        ),
        200,
    );
    assert_eq!(body["execution"]["steps_completed"], 3);
    assert!(body["execution"]["duration_ms"].as_i64().expect("duration") >= 0);
    assert_eq!(body["execution"]["execution_log"], json!(null));

    let list = data(
        &app.get(&format!("/api/v1/flows/{fid}/executions?limit=1"))
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(list["executions"].as_array().expect("executions").len(), 1);
    assert_eq!(list["executions"][0]["id"], second["id"], "newest first");
    assert!(list["executions"][0].get("execution_log").is_none());
    assert_eq!(
        list["pagination"],
        json!({ "limit": 1, "offset": 0, "total": 2 })
    );
}

#[test]
fn success_rate_and_total_executions_follow_every_finish() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let fid = id(&create_flow(&app, &ann.key));
    let expected = [
        ("success", 1, 1.0),
        ("failed", 2, 0.5),
        ("success", 3, 2.0 / 3.0),
        ("success", 4, 0.75),
        ("failed", 5, 0.6),
    ];
    for (status, total, rate) in expected {
        let exec = start(&app, &ann.key, &fid);
        let body = data(
            &finish(
                &app,
                &ann.key,
                &fid,
                &id(&exec),
                &json!({ "status": status }),
            ),
            200,
        );
        assert_eq!(body["flow"]["total_executions"], total, "{body}");
        let got = body["flow"]["success_rate"].as_f64().expect("rate");
        assert!((got - rate).abs() < 1e-9, "after {total}: {got} != {rate}");
    }
    // A started but unfinished execution is not counted.
    start(&app, &ann.key, &fid);
    let flow = data(
        &app.get(&format!("/api/v1/flows/{fid}"))
            .api_key(&ann.key)
            .send(),
        200,
    )["flow"]
        .clone();
    assert_eq!(flow["total_executions"], 5);
    assert_eq!(flow["successful_executions"], 3);
    assert!((flow["success_rate"].as_f64().expect("rate") - 0.6).abs() < 1e-9);
}

#[test]
fn concurrent_finishes_are_all_counted() {
    const RUNS: usize = 12;
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let fid = id(&create_flow(&app, &ann.key));
    let execs: Vec<String> = (0..RUNS)
        .map(|_| id(&start(&app, &ann.key, &fid)))
        .collect();
    std::thread::scope(|s| {
        for (i, exec) in execs.iter().enumerate() {
            let (app, key, fid) = (&app, &ann.key, &fid);
            s.spawn(move || {
                let status = if i % 3 == 0 { "failed" } else { "success" };
                let r = finish(app, key, fid, exec, &json!({ "status": status }));
                assert_eq!(r.status, 200, "{}", r.text());
            });
        }
    });
    let flow = data(
        &app.get(&format!("/api/v1/flows/{fid}"))
            .api_key(&ann.key)
            .send(),
        200,
    )["flow"]
        .clone();
    assert_eq!(flow["total_executions"], RUNS);
    assert_eq!(flow["successful_executions"], 8);
    assert!((flow["success_rate"].as_f64().expect("rate") - 8.0 / 12.0).abs() < 1e-9);
}

#[test]
fn an_execution_records_the_flow_version_it_ran() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let fid = id(&create_flow(&app, &ann.key));
    let first = start(&app, &ann.key, &fid);
    let r = app
        .put(&format!("/api/v1/flows/{fid}"))
        .api_key(&ann.key)
        .json(&json!({ "steps": [{ "action": "click" }] }));
    assert_eq!(data(&r, 200)["flow"]["version"], 2);
    let second = app
        .post(&format!("/api/v1/flows/{fid}/executions"))
        .api_key(&ann.key)
        .json(&json!({ "stepsTotal": 7 }));
    let second = data(&second, 201)["execution"].clone();
    assert_eq!(first["flow_version"], 1);
    assert_eq!(second["flow_version"], 2);
    assert_eq!(second["steps_total"], 7);
}

#[test]
fn bad_input_is_400_naming_each_field() {
    let app = spawn_app_with(
        AppOptions::default()
            .variable("max_flow_steps", "2")
            .variable("max_execution_log_bytes", "64"),
    );
    let ann = user(&app, "ann@example.com");
    let post = |body: Value| app.post("/api/v1/flows").api_key(&ann.key).json(&body);
    assert_invalid(&post(json!({})), &["name", "baseUrl"]);
    assert_invalid(
        &post(json!({ "name": "x", "baseUrl": "javascript:alert(1)", "status": "done" })),
        &["baseUrl", "status"],
    );
    let mut three_steps = checkout_flow();
    three_steps["steps"] = json!([{}, {}, {}]);
    let r = post(three_steps);
    assert_invalid(&r, &["steps"]);
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("at most 2")
    );
    let mut bad_steps = checkout_flow();
    bad_steps["steps"] = json!([{}, "click"]);
    assert_invalid(&post(bad_steps), &["steps[1]"]);
    assert_invalid(
        &app.get("/api/v1/flows?status=done&limit=x")
            .api_key(&ann.key)
            .send(),
        &["limit", "status"],
    );

    let mut two_steps = checkout_flow();
    two_steps["steps"] = json!([{}, {}]);
    let fid = id(&data(&post(two_steps), 201)["flow"]);
    let exec = id(&start(&app, &ann.key, &fid));
    assert_invalid(
        &finish(&app, &ann.key, &fid, &exec, &json!({})),
        &["status"],
    );
    assert_invalid(
        &finish(
            &app,
            &ann.key,
            &fid,
            &exec,
            &json!({
                "status": "passed",
                "durationMs": -5,
                "stepsCompleted": "2",
                "error": 42,
                "log": "x".repeat(100),
                "screenshotKeys": ["ok.png", "../../etc/passwd"]
            }),
        ),
        &[
            "status",
            "durationMs",
            "stepsCompleted",
            "error",
            "log",
            "screenshotKeys[1]",
        ],
    );
    assert_invalid(
        &finish(
            &app,
            &ann.key,
            &fid,
            &exec,
            &json!({ "status": "success", "stepsCompleted": 3 }),
        ),
        &["stepsCompleted"],
    );
    // The execution is still running after refused finishes.
    data(
        &finish(
            &app,
            &ann.key,
            &fid,
            &exec,
            &json!({ "status": "success", "log": "ok" }),
        ),
        200,
    );
    assert_invalid(
        &app.post(&format!("/api/v1/flows/{fid}/executions"))
            .api_key(&ann.key)
            .json(&json!({ "stepsTotal": -1 })),
        &["stepsTotal"],
    );
}

#[test]
fn an_archived_flow_is_not_run() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let fid = id(&create_flow(&app, &ann.key));
    let r = app
        .put(&format!("/api/v1/flows/{fid}"))
        .api_key(&ann.key)
        .json(&json!({ "status": "archived" }));
    data(&r, 200);
    let r = app
        .post(&format!("/api/v1/flows/{fid}/executions"))
        .api_key(&ann.key)
        .send();
    assert_error(&r, 409, "flow_archived");
    let list = data(
        &app.get("/api/v1/flows?status=archived")
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(list["pagination"]["total"], 1);
    let list = data(
        &app.get("/api/v1/flows?status=active")
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(list["flows"], json!([]));
}

#[test]
fn another_users_flows_and_executions_are_404_on_every_route() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let fid = id(&create_flow(&app, &ann.key));
    let exec = id(&start(&app, &ann.key, &fid));
    let flow_path = format!("/api/v1/flows/{fid}");
    let exec_path = format!("{flow_path}/executions/{exec}");

    assert_error(
        &app.get(&flow_path).api_key(&bob.key).send(),
        404,
        "flow_not_found",
    );
    assert_error(
        &app.put(&flow_path)
            .api_key(&bob.key)
            .json(&json!({ "name": "Mine" })),
        404,
        "flow_not_found",
    );
    assert_error(
        &app.delete(&flow_path).api_key(&bob.key).send(),
        404,
        "flow_not_found",
    );
    assert_error(
        &app.post(&format!("{flow_path}/executions"))
            .api_key(&bob.key)
            .send(),
        404,
        "flow_not_found",
    );
    assert_error(
        &app.get(&format!("{flow_path}/executions"))
            .api_key(&bob.key)
            .send(),
        404,
        "flow_not_found",
    );
    assert_error(
        &app.get(&exec_path).api_key(&bob.key).send(),
        404,
        "execution_not_found",
    );
    assert_error(
        &finish(&app, &bob.key, &fid, &exec, &json!({ "status": "success" })),
        404,
        "execution_not_found",
    );
    let list = data(&app.get("/api/v1/flows").api_key(&bob.key).send(), 200);
    assert_eq!(list["flows"], json!([]));

    // An execution is only found under its own flow.
    let other = id(&create_flow(&app, &ann.key));
    assert_error(
        &finish(
            &app,
            &ann.key,
            &other,
            &exec,
            &json!({ "status": "success" }),
        ),
        404,
        "execution_not_found",
    );
    for bad in [UNKNOWN_ID, "nope"] {
        assert_error(
            &app.get(&format!("/api/v1/flows/{bad}"))
                .api_key(&ann.key)
                .send(),
            404,
            "flow_not_found",
        );
        assert_error(
            &app.get(&format!("{flow_path}/executions/{bad}"))
                .api_key(&ann.key)
                .send(),
            404,
            "execution_not_found",
        );
    }
    // Ann's execution is untouched and still finishes.
    let body = data(
        &finish(&app, &ann.key, &fid, &exec, &json!({ "status": "success" })),
        200,
    );
    assert_eq!(body["flow"]["total_executions"], 1);
}

#[test]
fn deleting_a_flow_deletes_its_executions() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let fid = id(&create_flow(&app, &ann.key));
    let exec = id(&start(&app, &ann.key, &fid));
    data(
        &app.delete(&format!("/api/v1/flows/{fid}"))
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_error(
        &app.get(&format!("/api/v1/flows/{fid}/executions/{exec}"))
            .api_key(&ann.key)
            .send(),
        404,
        "execution_not_found",
    );
    assert_error(
        &finish(&app, &ann.key, &fid, &exec, &json!({ "status": "success" })),
        404,
        "execution_not_found",
    );
}
