//! Session sync over real HTTP: round trip, stored-hash skip, If-Match,
//! fencing by the launch lock, versions and restore, ETag pulls, gzip
//! bodies and bombs, launch and delete reading and removing the session.

mod desktop;

use std::io::Write;

use desktop::*;
use e2e::{AppOptions, Resp, TestApp, json, spawn_app, spawn_app_with};
use serde_json::Value;

fn session(n: usize) -> Value {
    json!({
        "cookies": [
            { "name": "sid", "value": format!("s{n}"), "domain": ".shop.example", "path": "/", "secure": true },
            { "name": "lang", "value": "en", "domain": "shop.example" }
        ],
        "localStorage": { "cart": format!("[{n}]"), "theme": "dark" }
    })
}

fn push(app: &TestApp, t: &str, id: &str, body: &Value) -> Resp {
    app.post(&format!("/api/sync/{id}")).bearer(t).json(body)
}

fn pull(app: &TestApp, t: &str, id: &str) -> Resp {
    app.get(&format!("/api/sync/{id}")).bearer(t).send()
}

fn hash_of(r: &Resp) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["hash"].as_str().expect("hash").to_owned()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

#[test]
fn a_pushed_session_comes_back_and_an_unchanged_push_is_skipped() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");

    let empty = pull(&app, &t, &id);
    assert_eq!(empty.status, 200, "{}", empty.text());
    assert_eq!(empty.json()["cookies"], json!([]));
    assert!(empty.json()["hash"].is_null());

    let r = push(&app, &t, &id, &session(1));
    let body = r.json();
    assert_eq!(body["synced"], true, "{body}");
    assert_eq!(body["skipped"], false);
    let hash = hash_of(&r);
    assert_eq!(hash.len(), 64);
    assert_eq!(r.header("etag"), Some(format!("\"{hash}\"").as_str()));

    let r = pull(&app, &t, &id);
    assert_eq!(r.status, 200);
    let got = r.json();
    assert_eq!(got["cookies"], session(1)["cookies"]);
    assert_eq!(got["localStorage"], session(1)["localStorage"]);
    assert_eq!(got["hash"], hash.as_str());
    assert_eq!(r.header("etag"), Some(format!("\"{hash}\"").as_str()));

    // the same data in another key order is the same session: skipped
    let reordered: Value = serde_json::from_str(
        r#"{"localStorage":{"theme":"dark","cart":"[1]"},"cookies":[
            {"path":"/","secure":true,"domain":".shop.example","value":"s1","name":"sid"},
            {"domain":"shop.example","value":"en","name":"lang"}]}"#,
    )
    .expect("json");
    let r = push(&app, &t, &id, &reordered);
    assert_eq!(r.json()["skipped"], true, "{}", r.text());
    assert_eq!(r.json()["synced"], false);
    assert_eq!(hash_of(&r), hash);
    let versions = app
        .get(&format!("/api/sync/{id}/versions"))
        .bearer(&t)
        .send()
        .json();
    assert_eq!(versions["total"], 1, "a skipped push writes nothing");
}

#[test]
fn if_none_match_is_304_and_a_stale_if_match_is_412_with_the_current_hash() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let h1 = hash_of(&push(&app, &t, &id, &session(1)));
    let r = app
        .get(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("if-none-match", &format!("\"{h1}\""))
        .send();
    assert_eq!(r.status, 304);
    assert!(r.text().is_empty());

    // a client that based its data on h1 pushes
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("if-match", &format!("\"{h1}\""))
        .json(&session(2));
    let h2 = hash_of(&r);
    // a second client still on h1 is refused, told the current hash
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("if-match", &format!("\"{h1}\""))
        .json(&session(3));
    assert_error(&r, 412, "session_changed");
    assert_eq!(r.json()["current"], h2.as_str());
    assert_eq!(r.header("etag"), Some(format!("\"{h2}\"").as_str()));
    assert_eq!(pull(&app, &t, &id).json()["hash"], h2.as_str());
    // If-None-Match with the old hash gets the new data
    let r = app
        .get(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("if-none-match", &format!("\"{h1}\""))
        .send();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["localStorage"]["cart"], "[2]");
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("if-match", "not-a-hash")
        .json(&session(3));
    assert_error(&r, 400, "invalid_if_match");
}

#[test]
fn while_another_client_holds_the_lock_only_its_token_may_push() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let token = launched_token(&app, &t, &id, "desktop-1");
    let r = push(&app, &t, &id, &session(1));
    assert_error(&r, 409, "profile_locked");
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("desktop-1")
    );
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("x-lock-token", &(token + 1).to_string())
        .json(&session(1));
    assert_error(&r, 409, "profile_locked");
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("x-client-id", "desktop-1")
        .header("x-lock-token", &token.to_string())
        .json(&session(1));
    assert_eq!(r.json()["synced"], true, "{}", r.text());
    // after release anyone may push, but the old token is fenced out once
    // another client has launched
    assert_eq!(release(&app, &t, &id, "desktop-1", token).status, 200);
    let token2 = launched_token(&app, &t, &id, "desktop-2");
    assert!(token2 > token);
    assert_eq!(release(&app, &t, &id, "desktop-2", token2).status, 200);
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("x-lock-token", &token.to_string())
        .json(&session(2));
    assert_error(&r, 409, "lock_not_held");
    assert_eq!(push(&app, &t, &id, &session(2)).json()["synced"], true);
}

#[test]
fn versions_are_kept_up_to_the_limit_and_a_restore_makes_one_current_again() {
    let app = spawn_app_with(AppOptions::default().variable("sync_versions_kept", "3"));
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let hashes: Vec<String> = (1..=5)
        .map(|n| hash_of(&push(&app, &t, &id, &session(n))))
        .collect();
    let list = app
        .get(&format!("/api/sync/{id}/versions"))
        .bearer(&t)
        .send();
    assert_eq!(list.status, 200, "{}", list.text());
    let list = list.json();
    assert_eq!(list["total"], 3);
    let listed: Vec<&str> = list["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| v["hash"].as_str().expect("hash"))
        .collect();
    assert_eq!(listed, [&hashes[4], &hashes[3], &hashes[2]]);
    assert_eq!(list["versions"][0]["current"], true);
    assert_eq!(list["versions"][1]["current"], false);
    assert_eq!(list["versions"][0]["cookieCount"], 2);

    let r = app
        .post(&format!("/api/sync/{id}/restore"))
        .bearer(&t)
        .json(&json!({ "hash": hashes[2] }));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["restored"], true);
    let got = pull(&app, &t, &id).json();
    assert_eq!(got["hash"], hashes[2].as_str());
    assert_eq!(got["localStorage"]["cart"], "[3]");
    // pruned versions cannot be restored; bad input is named
    let r = app
        .post(&format!("/api/sync/{id}/restore"))
        .bearer(&t)
        .json(&json!({ "hash": hashes[0] }));
    assert_error(&r, 404, "version_not_found");
    let r = app
        .post(&format!("/api/sync/{id}/restore"))
        .bearer(&t)
        .json(&json!({ "hash": 5 }));
    assert_eq!(r.status, 400);
    assert_eq!(fields(&r), ["hash"]);
    let r = app
        .get(&format!("/api/sync/{id}/versions?limit=0"))
        .bearer(&t)
        .send();
    assert_eq!(fields(&r), ["limit"]);
}

#[test]
fn bad_shapes_are_400_naming_the_field() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let r = push(
        &app,
        &t,
        &id,
        &json!({ "cookies": {}, "localStorage": { "a": 1 } }),
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(fields(&r), ["cookies", "localStorage.a"]);
    let r = push(
        &app,
        &t,
        &id,
        &json!({ "cookies": [{ "name": "a" }], "localStorage": {} }),
    );
    assert_eq!(fields(&r), ["cookies[0].value"]);
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("content-type", "application/json")
        .send_bytes(b"{not json");
    assert_error(&r, 400, "malformed_json");
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("x-lock-token", "abc")
        .json(&session(1));
    assert_error(&r, 400, "invalid_lock_token");
}

#[test]
fn gzip_bodies_are_read_and_a_gzip_bomb_is_413() {
    let app = spawn_app_with(AppOptions::default().variable("max_session_bytes", "65536"));
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let body = serde_json::to_vec(&session(7)).expect("json");
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .send_bytes(&gzip(&body));
    assert_eq!(r.json()["synced"], true, "{}", r.text());
    assert_eq!(pull(&app, &t, &id).json()["localStorage"]["cart"], "[7]");

    // 64 MiB of spaces inside a JSON object, gzipped to ~64 KiB
    let mut bomb = b"{\"cookies\":[],\"localStorage\":{}".to_vec();
    bomb.extend(std::iter::repeat_n(b' ', 64 << 20));
    bomb.push(b'}');
    let packed = gzip(&bomb);
    assert!(packed.len() < 1 << 20);
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .send_bytes(&packed);
    assert_error(&r, 413, "payload_too_large");
    let r = app
        .post(&format!("/api/sync/{id}"))
        .bearer(&t)
        .header("content-type", "application/json")
        .header("content-encoding", "gzip")
        .send_bytes(b"plain text, not gzip");
    assert_error(&r, 400, "malformed_gzip");
    // a plain body over the session limit is 413 too
    let big = json!({ "cookies": [], "localStorage": { "k": "x".repeat(70_000) } });
    assert_error(&push(&app, &t, &id, &big), 413, "payload_too_large");
    assert_eq!(pull(&app, &t, &id).json()["localStorage"]["cart"], "[7]");
}

#[test]
fn launch_returns_the_synced_session_and_delete_removes_it() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let h = hash_of(&push(&app, &t, &id, &session(4)));
    let r = launch(&app, &t, &id, "desktop-1");
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["sessionData"]["cookies"], session(4)["cookies"]);
    assert_eq!(
        body["sessionData"]["localStorage"],
        session(4)["localStorage"]
    );
    assert_eq!(body["sessionHash"], h.as_str());
    let token = body["lock"]["token"].as_u64().expect("token");
    assert_eq!(release(&app, &t, &id, "desktop-1", token).status, 200);
    let r = app.delete(&format!("/api/profiles/{id}")).bearer(&t).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_error(&pull(&app, &t, &id), 404, "profile_not_found");
    assert_error(
        &app.get(&format!("/api/sync/{id}/versions"))
            .bearer(&t)
            .send(),
        404,
        "profile_not_found",
    );
}

#[test]
fn another_teams_profile_is_404_on_every_sync_route() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let id = profile_id(&app, &ann, "Shop");
    hash_of(&push(&app, &ann, &id, &session(1)));
    assert_error(&pull(&app, &bob, &id), 404, "profile_not_found");
    assert_error(
        &push(&app, &bob, &id, &session(2)),
        404,
        "profile_not_found",
    );
    assert_error(
        &app.get(&format!("/api/sync/{id}/versions"))
            .bearer(&bob)
            .send(),
        404,
        "profile_not_found",
    );
    let r = app
        .post(&format!("/api/sync/{id}/restore"))
        .bearer(&bob)
        .json(&json!({ "hash": "a".repeat(64) }));
    assert_error(&r, 404, "profile_not_found");
    assert_error(&pull(&app, &ann, "nope"), 404, "profile_not_found");
    assert_eq!(app.get(&format!("/api/sync/{id}")).send().status, 401);
    assert_eq!(pull(&app, &ann, &id).json()["localStorage"]["cart"], "[1]");
}

fn sqlite(app: &TestApp) -> rusqlite::Connection {
    let db = rusqlite::Connection::open(app.state_dir.join("sqlite_db.db")).expect("open db");
    db.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    db
}

fn stored_blob_keys(db: &rusqlite::Connection, profile: &str) -> Vec<String> {
    let mut q = db
        .prepare("SELECT key FROM blobs WHERE key LIKE ? ORDER BY key")
        .expect("prepare");
    q.query_map([format!("sessions/{profile}/%")], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

#[test]
fn a_failure_between_the_blob_write_and_the_commit_keeps_the_previous_version_and_the_orphan_is_collected()
 {
    let app = spawn_app_with(AppOptions::default().variable("sync_orphan_grace", "1ms"));
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let h1 = hash_of(&push(&app, &t, &id, &session(1)));
    let db = sqlite(&app);
    // The commit fails after the blob was written: a trigger refuses the version row.
    db.execute_batch(
        "CREATE TRIGGER refuse_versions BEFORE INSERT ON session_versions \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .expect("trigger");
    let r = push(&app, &t, &id, &session(2));
    assert_error(&r, 500, "internal_error");
    let got = pull(&app, &t, &id).json();
    assert_eq!(got["hash"], h1.as_str(), "the previous version is current");
    assert_eq!(got["localStorage"]["cart"], "[1]");
    let keys = stored_blob_keys(&db, &id);
    assert_eq!(
        keys.len(),
        2,
        "the failed push's blob was written: {keys:?}"
    );
    let queued: i64 = db
        .query_row("SELECT COUNT(*) FROM session_blob_gc", [], |r| r.get(0))
        .expect("count");
    assert_eq!(queued, 1, "and queued for collection");

    // The next push collects the orphan (its grace is over) and keeps its own blob.
    db.execute_batch("DROP TRIGGER refuse_versions")
        .expect("drop");
    app.wait_server_ms(5);
    let h3 = hash_of(&push(&app, &t, &id, &session(3)));
    assert_eq!(stored_blob_keys(&db, &id), {
        let mut want = vec![
            format!("sessions/{id}/{h1}.json.gz"),
            format!("sessions/{id}/{h3}.json.gz"),
        ];
        want.sort();
        want
    });
    assert_eq!(pull(&app, &t, &id).json()["localStorage"]["cart"], "[3]");
}

#[test]
fn deleting_a_profile_removes_its_session_blobs() {
    let app = spawn_app_with(AppOptions::default().variable("sync_versions_kept", "2"));
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    for n in 1..=4 {
        hash_of(&push(&app, &t, &id, &session(n)));
    }
    let db = sqlite(&app);
    assert_eq!(
        stored_blob_keys(&db, &id).len(),
        2,
        "pruned versions' blobs are removed"
    );
    let r = app.delete(&format!("/api/profiles/{id}")).bearer(&t).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(stored_blob_keys(&db, &id).is_empty());
    let rows: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM session_versions WHERE profile_id = ?",
            [&id],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(rows, 0);
}

#[test]
fn on_an_s3_store_sync_round_trips_and_an_unreachable_store_is_503_with_nothing_changed() {
    let mut garage = e2e::garage::Garage::start();
    let app = spawn_app_with(AppOptions::default().blob_store(&garage));
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let h1 = hash_of(&push(&app, &t, &id, &session(1)));
    let h2 = hash_of(&push(&app, &t, &id, &session(2)));
    assert_eq!(pull(&app, &t, &id).json()["localStorage"]["cart"], "[2]");
    let r = app
        .post(&format!("/api/sync/{id}/restore"))
        .bearer(&t)
        .json(&json!({ "hash": h1 }));
    assert_eq!(r.json()["restored"], true, "{}", r.text());
    assert_eq!(pull(&app, &t, &id).json()["hash"], h1.as_str());
    let launched = launch(&app, &t, &id, "desktop-1").json();
    assert_eq!(launched["sessionData"]["localStorage"]["cart"], "[1]");
    let token = launched["lock"]["token"].as_u64().expect("token");
    assert_eq!(release(&app, &t, &id, "desktop-1", token).status, 200);

    garage.stop();
    let r = push(&app, &t, &id, &session(3));
    assert_error(&r, 503, "service_unavailable");
    assert!(r.header("retry-after").is_some());
    let versions = app
        .get(&format!("/api/sync/{id}/versions"))
        .bearer(&t)
        .send()
        .json();
    assert_eq!(versions["total"], 3, "{versions}");
    assert_eq!(
        versions["versions"][0]["hash"],
        h1.as_str(),
        "still current"
    );
    assert_eq!(versions["versions"][1]["hash"], h2.as_str());
    assert_error(&pull(&app, &t, &id), 503, "service_unavailable");
}
