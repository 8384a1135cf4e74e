//! The launch lock over real HTTP: one winner among concurrent launches,
//! fencing tokens that grow with every holder, heartbeat and release only
//! for the holder, stale takeover, force release, team scoping.

mod desktop;

use std::sync::{Arc, Barrier};

use desktop::*;
use e2e::{AppOptions, json, spawn_app, spawn_app_with};

#[test]
fn launch_returns_the_profile_an_empty_session_and_a_lock() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let r = launch(&app, &t, &id, "desktop-1");
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["profile"]["id"], id.as_str());
    assert_eq!(body["profile"]["launchCount"], 1);
    assert_eq!(body["profile"]["lock"]["clientId"], "desktop-1");
    assert!(
        body["profile"]["lock"]["token"].is_null(),
        "the token is never shown in a view"
    );
    assert_eq!(
        body["sessionData"],
        json!({ "cookies": [], "localStorage": {} })
    );
    assert_eq!(body["lock"]["token"], 1);
    assert_eq!(body["lock"]["heartbeatIntervalMs"], 15_000);
    let expires = body["lock"]["expiresAt"].as_i64().expect("expiresAt");
    let acquired = body["lock"]["acquiredAt"].as_i64().expect("acquiredAt");
    assert_eq!(
        expires - acquired,
        5 * 60 * 1000,
        "default lock_ttl is 5 minutes"
    );
    assert!(body["proxy"].is_null());
}

#[test]
fn launch_without_a_client_id_is_400() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let r = app
        .post(&format!("/api/profiles/{id}/launch"))
        .bearer(&t)
        .send();
    assert_error(&r, 400, "client_id_required");
    let r = launch(&app, &t, &id, "bad id with spaces");
    assert_error(&r, 400, "invalid_client_id");
}

#[test]
fn launch_of_an_unknown_profile_is_404() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    assert_error(
        &launch(&app, &t, "0123456789abcdef0123456789abcdef", "c1"),
        404,
        "profile_not_found",
    );
    assert_error(
        &launch(&app, &t, "not-an-id", "c1"),
        404,
        "profile_not_found",
    );
}

#[test]
fn concurrent_launches_of_one_profile_have_exactly_one_winner() {
    let app = Arc::new(spawn_app());
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Contended");
    const CLIENTS: usize = 50;
    let barrier = Arc::new(Barrier::new(CLIENTS));
    let handles: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let (app, t, id, barrier) = (app.clone(), t.clone(), id.clone(), barrier.clone());
            std::thread::spawn(move || {
                let client = format!("client-{i}");
                barrier.wait();
                let r = launch(&app, &t, &id, &client);
                (client, r.status, r.json())
            })
        })
        .collect();
    let results: Vec<_> = handles
        .into_iter()
        .map(|h| h.join().expect("thread"))
        .collect();
    let winners: Vec<_> = results.iter().filter(|(_, s, _)| *s == 200).collect();
    assert_eq!(
        winners.len(),
        1,
        "{:?}",
        results.iter().map(|r| r.1).collect::<Vec<_>>()
    );
    let winner = &winners[0].0;
    assert_eq!(winners[0].2["lock"]["token"], 1);
    for (client, status, body) in &results {
        if client == winner {
            continue;
        }
        assert_eq!(*status, 409, "{body}");
        assert_eq!(body["code"], "profile_locked");
        assert_eq!(
            body["holder"]["clientId"],
            winner.as_str(),
            "the refusal names the holder"
        );
        assert!(body["holder"]["userId"].is_string());
        assert!(body["holder"]["since"].is_i64() && body["holder"]["expiresAt"].is_i64());
        assert!(body["holder"].get("token").is_none());
        assert!(
            body["message"]
                .as_str()
                .expect("message")
                .contains(winner.as_str())
        );
    }
}

#[test]
fn fencing_tokens_strictly_increase_across_holders() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let t1 = launched_token(&app, &t, &id, "a");
    // the same live holder launching again keeps its token; `renewed` compares the lock's
    // acquisition time with now (milliseconds), so let the server's clock move on first
    app.wait_server_ms(1);
    let again = launch(&app, &t, &id, "a");
    assert_eq!(again.json()["lock"]["token"].as_u64(), Some(t1));
    assert_eq!(again.json()["lock"]["renewed"], true);
    assert_eq!(release(&app, &t, &id, "a", t1).status, 200);
    let t2 = launched_token(&app, &t, &id, "b");
    assert!(t2 > t1);
    // force release, then a new holder
    assert_eq!(
        app.delete(&format!("/api/locks/{id}"))
            .bearer(&t)
            .send()
            .status,
        200
    );
    let t3 = launched_token(&app, &t, &id, "c");
    assert!(t3 > t2);
}

/// Launches as `client` until the current lock has gone stale and the launch wins. Bounded by
/// wall time, not by a guess at how long the ttl takes: the condition is the answer itself.
fn launch_when_stale(app: &e2e::TestApp, t: &str, id: &str, client: &str) -> serde_json::Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let r = launch(app, t, id, client);
        if r.status == 200 {
            return r.json();
        }
        assert_error(&r, 409, "profile_locked");
        assert!(
            std::time::Instant::now() < deadline,
            "the lock never went stale"
        );
    }
}

#[test]
fn a_stale_lock_is_taken_over_with_a_higher_token_and_the_old_holder_is_refused() {
    let app = spawn_app_with(AppOptions::default().variable("lock_ttl", "200ms"));
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let old = launch(&app, &t, &id, "old").json();
    let old_token = old["lock"]["token"].as_u64().expect("token");
    let new = launch_when_stale(&app, &t, &id, "new");
    assert!(new["lock"]["token"].as_u64().expect("token") > old_token);
    let locks = app.get("/api/locks").bearer(&t).send().json();
    assert_eq!(locks["total"], 1);
    assert_eq!(locks["locks"][0]["clientId"], "new");
    // the old holder's heartbeat is refused, naming the new holder
    let r = heartbeat(&app, &t, &id, "old", old_token);
    assert_error(&r, 409, "lock_not_held");
    assert_eq!(r.json()["holder"]["clientId"], "new");
}

#[test]
fn a_short_ttl_shortens_the_heartbeat_interval_to_a_third() {
    let app = spawn_app_with(AppOptions::default().variable("lock_ttl", "3s"));
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let r = launch(&app, &t, &id, "a");
    assert_eq!(r.json()["lock"]["heartbeatIntervalMs"], 1000);
}

#[test]
fn heartbeat_extends_the_lock_for_its_holder_only() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let launched = launch(&app, &t, &id, "a").json();
    let token = launched["lock"]["token"].as_u64().expect("token");
    // Expiry has millisecond resolution: heartbeat until the clock has moved on, then the
    // new expiry must be later than the launch's (bounded by attempts, not by a sleep).
    let mut extended = false;
    for _ in 0..1000 {
        let r = heartbeat(&app, &t, &id, "a", token);
        assert_eq!(r.status, 200, "{}", r.text());
        assert_eq!(r.json()["success"], true);
        assert_eq!(r.json()["lock"]["token"].as_u64(), Some(token));
        let expires = r.json()["lock"]["expiresAt"].as_i64();
        assert!(expires >= launched["lock"]["expiresAt"].as_i64());
        if expires > launched["lock"]["expiresAt"].as_i64() {
            extended = true;
            break;
        }
    }
    assert!(extended, "heartbeat never moved the expiry forward");
    // token in a header works too
    let r = app
        .post(&format!("/api/profiles/{id}/heartbeat"))
        .bearer(&t)
        .header("X-Client-ID", "a")
        .header("X-Lock-Token", &token.to_string())
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    // wrong token, wrong client: 409 naming the holder
    let r = heartbeat(&app, &t, &id, "a", token + 1);
    assert_error(&r, 409, "lock_not_held");
    assert_eq!(r.json()["holder"]["clientId"], "a");
    assert_error(&heartbeat(&app, &t, &id, "b", token), 409, "lock_not_held");
    // missing pieces: 400
    let r = app
        .post(&format!("/api/profiles/{id}/heartbeat"))
        .bearer(&t)
        .header("X-Client-ID", "a")
        .send();
    assert_error(&r, 400, "lock_token_required");
    let r = app
        .post(&format!("/api/profiles/{id}/heartbeat"))
        .bearer(&t)
        .json(&json!({ "token": token }));
    assert_error(&r, 400, "client_id_required");
    let r = app
        .post(&format!("/api/profiles/{id}/heartbeat"))
        .bearer(&t)
        .header("X-Client-ID", "a")
        .json(&json!({ "token": "abc" }));
    assert_error(&r, 400, "invalid_lock_token");
}

#[test]
fn release_needs_the_holders_client_and_token_and_frees_the_profile() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let token = launched_token(&app, &t, &id, "a");
    assert_error(
        &release(&app, &t, &id, "a", token + 7),
        409,
        "lock_not_held",
    );
    assert_error(&release(&app, &t, &id, "b", token), 409, "lock_not_held");
    let r = release(&app, &t, &id, "a", token);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), json!({ "success": true }));
    // released: a second release and a heartbeat are refused, another client may launch
    assert_error(&release(&app, &t, &id, "a", token), 409, "lock_not_held");
    assert_error(&heartbeat(&app, &t, &id, "a", token), 409, "lock_not_held");
    assert_eq!(app.get("/api/locks").bearer(&t).send().json()["total"], 0);
    assert_eq!(launch(&app, &t, &id, "b").status, 200);
}

#[test]
fn heartbeat_release_and_force_release_from_another_team_are_404() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let id = profile_id(&app, &ann, "Shop");
    let token = launched_token(&app, &ann, &id, "a");
    assert_error(&launch(&app, &bob, &id, "a"), 404, "profile_not_found");
    assert_error(
        &heartbeat(&app, &bob, &id, "a", token),
        404,
        "profile_not_found",
    );
    assert_error(
        &release(&app, &bob, &id, "a", token),
        404,
        "profile_not_found",
    );
    let r = app.delete(&format!("/api/locks/{id}")).bearer(&bob).send();
    assert_error(&r, 404, "profile_not_found");
    assert_eq!(app.get("/api/locks").bearer(&bob).send().json()["total"], 0);
    // Ann still holds it
    assert_eq!(heartbeat(&app, &ann, &id, "a", token).status, 200);
}

#[test]
fn the_team_admin_force_releases_a_lock_and_it_is_audited() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let token = launched_token(&app, &t, &id, "stuck-client");
    let locks = app.get("/api/locks").bearer(&t).send();
    assert_eq!(locks.status, 200);
    let locks = locks.json();
    assert_eq!(locks["total"], 1);
    assert_eq!(locks["locks"][0]["profileId"], id.as_str());
    assert_eq!(locks["locks"][0]["userName"], "Ann Lee");
    assert!(locks["locks"][0].get("token").is_none());
    let r = app.delete(&format!("/api/locks/{id}")).bearer(&t).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["released"]["clientId"], "stuck-client");
    // the evicted client can no longer heartbeat; nothing left to release
    assert_error(
        &heartbeat(&app, &t, &id, "stuck-client", token),
        409,
        "lock_not_held",
    );
    assert_error(
        &app.delete(&format!("/api/locks/{id}")).bearer(&t).send(),
        404,
        "lock_not_found",
    );
    assert_eq!(app.get("/api/locks").bearer(&t).send().json()["total"], 0);
    app.assert_logged("DELETE /api/locks/");
}

#[test]
fn locks_list_is_paginated_and_checks_its_parameters() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    for i in 0..3 {
        let id = profile_id(&app, &t, &format!("P{i}"));
        launched_token(&app, &t, &id, &format!("c{i}"));
    }
    let page = app
        .get("/api/locks?limit=2&offset=0")
        .bearer(&t)
        .send()
        .json();
    assert_eq!(page["locks"].as_array().map(Vec::len), Some(2));
    assert_eq!(page["total"], 3);
    let page = app
        .get("/api/locks?limit=2&offset=2")
        .bearer(&t)
        .send()
        .json();
    assert_eq!(page["locks"].as_array().map(Vec::len), Some(1));
    assert_error(
        &app.get("/api/locks?limit=0").bearer(&t).send(),
        400,
        "invalid_input",
    );
    assert_error(
        &app.get("/api/locks?limit=101").bearer(&t).send(),
        400,
        "invalid_input",
    );
}

#[test]
fn editing_or_deleting_a_profile_another_client_holds_is_409() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let token = launched_token(&app, &t, &id, "holder");
    let r = app
        .put(&format!("/api/profiles/{id}"))
        .bearer(&t)
        .json(&json!({ "name": "Renamed" }));
    assert_error(&r, 409, "profile_locked");
    let r = app
        .put(&format!("/api/profiles/{id}"))
        .bearer(&t)
        .header("X-Client-ID", "other")
        .json(&json!({ "name": "Renamed" }));
    assert_error(&r, 409, "profile_locked");
    assert_error(
        &app.delete(&format!("/api/profiles/{id}")).bearer(&t).send(),
        409,
        "profile_locked",
    );
    // the holder itself may edit
    let r = app
        .put(&format!("/api/profiles/{id}"))
        .bearer(&t)
        .header("X-Client-ID", "holder")
        .json(&json!({ "name": "Renamed" }));
    assert_eq!(r.status, 200, "{}", r.text());
    // once released, anyone may delete; the lock goes with the profile
    assert_eq!(release(&app, &t, &id, "holder", token).status, 200);
    assert_eq!(
        app.delete(&format!("/api/profiles/{id}"))
            .bearer(&t)
            .send()
            .status,
        200
    );
    assert_error(&launch(&app, &t, &id, "holder"), 404, "profile_not_found");
}

#[test]
fn desktop_api_keys_launch_too() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let key = desktop_key(&app, &t);
    let id = profile_id(&app, &key, "Shop");
    let r = launch(&app, &key, &id, "desktop");
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(r.header("x-ratelimit-limit").is_some());
}

/// The lock and what it leaves behind (audit entry, webhook outbox rows) are
/// one transaction: when the entry cannot be written, no lock was taken and
/// none was given up.
#[test]
fn a_launch_or_release_whose_audit_entry_fails_changes_no_lock() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Shop");
    let db = rusqlite::Connection::open(app.state_dir.join("sqlite_db.db")).expect("open db");
    db.busy_timeout(std::time::Duration::from_secs(5))
        .expect("busy timeout");
    db.execute_batch(
        "CREATE TRIGGER refuse_launch BEFORE INSERT ON audit_log \
         WHEN NEW.action IN ('profile.launch', 'profile.release') \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .expect("trigger");
    assert_error(&launch(&app, &t, &id, "a"), 500, "internal_error");
    let locks: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM profile_locks WHERE profile_id = ?1 AND client_id IS NOT NULL",
            [&id],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(locks, 0, "the failed launch took no lock");

    db.execute_batch("DROP TRIGGER refuse_launch")
        .expect("drop");
    let token = launched_token(&app, &t, &id, "b");
    assert_eq!(
        token, 1,
        "the first holder: the failed launch handed out no token"
    );

    db.execute_batch(
        "CREATE TRIGGER refuse_release BEFORE INSERT ON audit_log \
         WHEN NEW.action = 'profile.release' \
         BEGIN SELECT RAISE(ABORT, 'injected failure'); END;",
    )
    .expect("trigger");
    assert_error(&release(&app, &t, &id, "b", token), 500, "internal_error");
    let r = heartbeat(&app, &t, &id, "b", token);
    assert_eq!(r.status, 200, "the lock is still held: {}", r.text());
    let r = launch(&app, &t, &id, "c");
    assert_error(&r, 409, "profile_locked");
}
