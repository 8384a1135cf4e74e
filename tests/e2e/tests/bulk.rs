//! `POST /api/profiles/bulk` over real HTTP: every action with a mix of the
//! team's profiles, another team's, missing ids and ids that are not ids at
//! all; one result per id in order, foreign and missing alike
//! `profile_not_found`, locked profiles `profile_locked`, the valid ones
//! applied and audited one by one.

mod desktop;

use desktop::*;
use e2e::{Resp, TestApp, json, spawn_app};
use serde_json::Value;

const MISSING: &str = "0123456789abcdef0123456789abcdef";

fn bulk(app: &TestApp, token: &str, body: Value) -> Resp {
    app.post("/api/profiles/bulk").bearer(token).json(&body)
}

/// `(id, ok, error code)` of every result, in order.
fn outcomes(r: &Resp) -> Vec<(String, bool, String)> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["results"]
        .as_array()
        .expect("results")
        .iter()
        .map(|x| {
            (
                x["id"].as_str().expect("id").to_owned(),
                x["ok"].as_bool().expect("ok"),
                x["error"]["code"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect()
}

fn ok(id: &str) -> (String, bool, String) {
    (id.to_owned(), true, String::new())
}

fn refused(id: &str, code: &str) -> (String, bool, String) {
    (id.to_owned(), false, code.to_owned())
}

fn get(app: &TestApp, token: &str, id: &str) -> Value {
    let r = app.get(&format!("/api/profiles/{id}")).bearer(token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()
}

fn create(app: &TestApp, token: &str, path: &str, body: Value) -> String {
    let r = app.post(path).bearer(token).json(&body);
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

#[test]
fn every_action_answers_each_id_in_order_and_applies_only_the_teams() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let eve = user(&app, "eve@example.com");
    let a = profile_id(&app, &ann, "A");
    let b = profile_id(&app, &ann, "B");
    let foreign = profile_id(&app, &eve, "Eve's");
    let group = create(
        &app,
        &ann,
        "/api/groups",
        json!({ "name": "Shop", "color": "#112233" }),
    );
    let proxy = create(
        &app,
        &ann,
        "/api/proxies",
        json!({ "name": "DE", "url": "http://u:p@10.0.0.1:8080" }),
    );
    let ids = json!([a, foreign, MISSING, "not-an-id", b]);
    let expected = vec![
        ok(&a),
        refused(&foreign, "profile_not_found"),
        refused(MISSING, "profile_not_found"),
        refused("not-an-id", "profile_not_found"),
        ok(&b),
    ];

    // move_group
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "move_group", "ids": ids, "groupId": group }),
    );
    assert_eq!(outcomes(&r), expected);
    let body = r.json();
    assert_eq!(
        (body["succeeded"].as_u64(), body["failed"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(body["action"], "move_group");
    // Foreign and missing are told apart by nothing: the same error, word for word.
    let results = body["results"].as_array().expect("results");
    assert_eq!(results[1]["error"], results[2]["error"]);
    assert!(!r.text().contains("Eve"), "{}", r.text());
    assert_eq!(get(&app, &ann, &a)["groupId"], group.as_str());
    assert_eq!(get(&app, &eve, &foreign)["groupId"], Value::Null);

    // add_tags, then remove_tags (case-insensitively)
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "add_tags", "ids": ids, "tags": ["vip", "EU"] }),
    );
    assert_eq!(outcomes(&r), expected);
    assert_eq!(get(&app, &ann, &b)["tags"], json!(["vip", "EU"]));
    assert_eq!(get(&app, &eve, &foreign)["tags"], json!([]));
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "remove_tags", "ids": ids, "tags": ["VIP"] }),
    );
    assert_eq!(outcomes(&r), expected);
    assert_eq!(get(&app, &ann, &a)["tags"], json!(["EU"]));

    // set_proxy, then none
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "set_proxy", "ids": ids, "proxyId": proxy }),
    );
    assert_eq!(outcomes(&r), expected);
    assert_eq!(get(&app, &ann, &a)["proxyId"], proxy.as_str());
    assert_eq!(get(&app, &eve, &foreign)["proxyId"], Value::Null);
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "set_proxy", "ids": [a], "proxyId": null }),
    );
    assert_eq!(outcomes(&r), vec![ok(&a)]);
    assert_eq!(get(&app, &ann, &a)["proxyId"], Value::Null);

    // Another team's group or proxy is the whole request's 422.
    let eves_group = create(
        &app,
        &eve,
        "/api/groups",
        json!({ "name": "Eve's", "color": "#445566" }),
    );
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "move_group", "ids": [a], "groupId": eves_group }),
    );
    assert_error(&r, 422, "validation_failed");
    assert_eq!(fields(&r), vec!["groupId"]);

    // Every edit is audited one by one, under the one request id.
    let audit = app
        .get(&format!("/api/audit?action=profile.update&targetId={a}"))
        .bearer(&ann)
        .send();
    assert_eq!(audit.status, 200, "{}", audit.text());
    assert_eq!(
        audit.json()["entries"].as_array().expect("entries").len(),
        5
    );

    // delete: the foreign one survives.
    let r = bulk(&app, &ann, json!({ "action": "delete", "ids": ids }));
    assert_eq!(outcomes(&r), expected);
    for id in [&a, &b] {
        let r = app.get(&format!("/api/profiles/{id}")).bearer(&ann).send();
        assert_error(&r, 404, "profile_not_found");
    }
    get(&app, &eve, &foreign);
    let audit = app
        .get("/api/audit?action=profile.delete")
        .bearer(&ann)
        .send();
    assert_eq!(
        audit.json()["entries"].as_array().expect("entries").len(),
        2
    );
    // Deleted ids are now simply missing.
    let r = bulk(&app, &ann, json!({ "action": "delete", "ids": [a] }));
    assert_eq!(outcomes(&r), vec![refused(&a, "profile_not_found")]);
}

#[test]
fn locked_profiles_are_refused_per_item_and_the_rest_applied() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let free = profile_id(&app, &ann, "Free");
    let held = profile_id(&app, &ann, "Held");
    launched_token(&app, &ann, &held, "laptop");

    let r = bulk(
        &app,
        &ann,
        json!({ "action": "delete", "ids": [held, free] }),
    );
    assert_eq!(
        outcomes(&r),
        vec![refused(&held, "profile_locked"), ok(&free)]
    );
    get(&app, &ann, &held);
    // Edits of a held profile are refused the same way as PUT refuses them ...
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "add_tags", "ids": [held], "tags": ["x"] }),
    );
    assert_eq!(outcomes(&r), vec![refused(&held, "profile_locked")]);
    // ... and allowed to the holding client.
    let r = app
        .post("/api/profiles/bulk")
        .bearer(&ann)
        .header("X-Client-ID", "laptop")
        .json(&json!({ "action": "delete", "ids": [held] }));
    assert_eq!(outcomes(&r), vec![ok(&held)]);
}

#[test]
fn the_tag_limit_holds_per_profile() {
    let app = spawn_app_with_tags(3);
    let ann = user(&app, "ann@example.com");
    let full = profile(
        &app,
        &ann,
        json!({ "name": "Full", "templateId": "windows-chrome", "tags": ["a", "b"] }),
    )["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let empty = profile_id(&app, &ann, "Empty");
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "add_tags", "ids": [full, empty], "tags": ["c", "d"] }),
    );
    assert_eq!(
        outcomes(&r),
        vec![refused(&full, "tag_limit_reached"), ok(&empty)]
    );
    assert_eq!(get(&app, &ann, &full)["tags"], json!(["a", "b"]));
}

fn spawn_app_with_tags(max: u32) -> TestApp {
    e2e::spawn_app_with(
        e2e::AppOptions::default().variable("max_tags_per_profile", &max.to_string()),
    )
}

#[test]
fn bad_requests_name_every_field_and_need_a_credential() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let a = profile_id(&app, &ann, "A");
    let r = bulk(&app, &ann, json!({ "action": "shred", "ids": [] }));
    assert_error(&r, 422, "validation_failed");
    assert_eq!(fields(&r), vec!["ids", "action"]);
    let r = bulk(
        &app,
        &ann,
        json!({ "action": "add_tags", "ids": [a, a, 3] }),
    );
    assert_eq!(fields(&r), vec!["ids[1]", "ids[2]", "tags"]);
    let many: Vec<String> = (0..101).map(|i| format!("{i:032x}")).collect();
    let r = bulk(&app, &ann, json!({ "action": "delete", "ids": many }));
    assert_eq!(fields(&r), vec!["ids"]);
    let r = bulk(&app, &ann, json!({ "action": "move_group", "ids": [a] }));
    assert_eq!(fields(&r), vec!["groupId"]);
    assert_eq!(
        app.post("/api/profiles/bulk")
            .json(&json!({ "action": "delete", "ids": [a] }))
            .status,
        401
    );
    get(&app, &ann, &a);
}
