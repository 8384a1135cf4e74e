//! The teams component over real HTTP: teams, invitations, roles, removal
//! and leaving, the permission table at the edges (viewer / member / admin /
//! owner), other teams' ids answering 404, and the team audit log with its
//! filters, cursor and visibility.

use e2e::{AppOptions, Resp, TestApp, json, spawn_app, spawn_app_with};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery";

struct User {
    token: String,
    id: String,
    personal_team: String,
}

/// A registered, logged-in user.
fn user(app: &TestApp, email: &str) -> User {
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Test User" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["user"]["id"].as_str().expect("id").to_owned();
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }));
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    User {
        token: body["token"].as_str().expect("token").to_owned(),
        id,
        personal_team: body["team"]["id"].as_str().expect("team id").to_owned(),
    }
}

fn create_team(app: &TestApp, owner: &User, name: &str) -> String {
    let r = app
        .post("/api/teams")
        .bearer(&owner.token)
        .json(&json!({ "name": name }));
    assert_eq!(r.status, 201, "{}", r.text());
    let team = &r.json()["team"];
    assert_eq!(team["role"], "owner");
    assert_eq!(team["personal"], false);
    team["id"].as_str().expect("id").to_owned()
}

fn invite(app: &TestApp, by: &User, team: &str, email: &str, role: &str) -> Resp {
    app.post(&format!("/api/teams/{team}/invitations"))
        .bearer(&by.token)
        .json(&json!({ "email": email, "role": role }))
}

fn accept(app: &TestApp, who: &User, token: &str) -> Resp {
    app.post("/api/teams/invitations/accept")
        .bearer(&who.token)
        .json(&json!({ "token": token }))
}

/// Invites `who` (registered as `email`) into `team` with `role` and accepts.
fn join(app: &TestApp, by: &User, team: &str, who: &User, email: &str, role: &str) {
    let r = invite(app, by, team, email, role);
    assert_eq!(r.status, 201, "{}", r.text());
    let token = r.json()["token"].as_str().expect("token").to_owned();
    let r = accept(app, who, &token);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["team"]["role"], role);
}

fn set_role(app: &TestApp, by: &User, team: &str, user_id: &str, role: &str) -> Resp {
    app.put(&format!("/api/teams/{team}/members/{user_id}"))
        .bearer(&by.token)
        .json(&json!({ "role": role }))
}

fn remove(app: &TestApp, by: &User, team: &str, user_id: &str) -> Resp {
    app.delete(&format!("/api/teams/{team}/members/{user_id}"))
        .bearer(&by.token)
        .send()
}

fn members(app: &TestApp, by: &User, team: &str) -> Resp {
    app.get(&format!("/api/teams/{team}/members"))
        .bearer(&by.token)
        .send()
}

fn audit(app: &TestApp, by: &User, query: &str) -> Resp {
    app.get(&format!("/api/audit?{query}"))
        .bearer(&by.token)
        .send()
}

fn entries(r: &Resp) -> Vec<Value> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["entries"].as_array().expect("entries").clone()
}

fn actions(r: &Resp) -> Vec<String> {
    entries(r)
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .collect()
}

fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["code"], code, "{body}");
}

fn field_names(r: &Resp) -> Vec<String> {
    r.json()["details"]
        .as_array()
        .map(|d| {
            d.iter()
                .filter_map(|f| f["field"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

fn member_roles(r: &Resp) -> Vec<(String, String)> {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| {
            (
                m["userId"].as_str().expect("userId").to_owned(),
                m["role"].as_str().expect("role").to_owned(),
            )
        })
        .collect()
}

#[test]
fn teams_are_created_listed_and_renamed_with_input_checked() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let team = create_team(&app, &ann, "  QA crew ");

    let r = app.get("/api/teams").bearer(&ann.token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["total"], 2, "{body}");
    let teams = body["teams"].as_array().expect("teams");
    assert!(teams.iter().any(|t| t["id"] == ann.personal_team.as_str()
        && t["personal"] == true
        && t["role"] == "owner"));
    let created = teams
        .iter()
        .find(|t| t["id"] == team.as_str())
        .expect("created");
    assert_eq!(created["name"], "QA crew");
    assert_eq!(created["memberCount"], 1);

    let r = app
        .put(&format!("/api/teams/{team}"))
        .bearer(&ann.token)
        .json(&json!({ "name": "QA" }));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["team"]["name"], "QA");

    for bad in [
        json!({ "name": "   " }),
        json!({ "name": "x".repeat(101) }),
        json!({}),
    ] {
        let r = app.post("/api/teams").bearer(&ann.token).json(&bad);
        assert_error(&r, 422, "validation_failed");
        assert_eq!(field_names(&r), vec!["name"], "{}", r.text());
    }
    let r = app
        .post("/api/teams")
        .bearer(&ann.token)
        .header("content-type", "application/json")
        .send_bytes(b"{not json");
    assert_eq!(r.status, 400, "{}", r.text());
    assert_eq!(app.get("/api/teams").send().status, 401);

    let r = audit(&app, &ann, &format!("teamId={team}"));
    assert_eq!(actions(&r), vec!["team.rename", "team.create"]);
    let rename = &entries(&r)[0];
    assert_eq!(rename["details"]["from"], "QA crew");
    assert_eq!(rename["details"]["to"], "QA");
    assert_eq!(rename["userId"], ann.id.as_str());
    assert_eq!(rename["targetId"], team.as_str());
}

#[test]
fn invite_accept_change_role_and_remove() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let cat = user(&app, "cat@example.com");
    let team = create_team(&app, &ann, "QA");

    let r = invite(&app, &ann, &team, " Bob@Example.com ", "member");
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    let token = body["token"].as_str().expect("token").to_owned();
    assert!(token.starts_with("bti_") && token.len() == 68, "{token}");
    assert_eq!(body["invitation"]["email"], "bob@example.com");
    assert_eq!(body["invitation"]["role"], "member");
    assert!(body["invitation"].get("tokenHash").is_none());
    assert!(!body["invitation"].to_string().contains(&token[4..]));

    // Only the invited address may accept; then it is used up.
    assert_error(
        &accept(&app, &cat, &token),
        403,
        "invitation_email_mismatch",
    );
    let r = accept(&app, &bob, &token);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["team"]["id"], team.as_str());
    assert_eq!(r.json()["team"]["role"], "member");
    assert_error(&accept(&app, &bob, &token), 409, "invitation_used");
    let unknown = format!("bti_{}", "0".repeat(64));
    assert_error(&accept(&app, &bob, &unknown), 404, "invitation_not_found");
    let r = accept(&app, &bob, "nope");
    assert_error(&r, 422, "validation_failed");
    assert_eq!(field_names(&r), vec!["token"]);
    assert_error(
        &invite(&app, &ann, &team, "bob@example.com", "viewer"),
        409,
        "already_member",
    );

    let r = invite(&app, &ann, &team, "not-an-email", "root");
    assert_error(&r, 422, "validation_failed");
    assert_eq!(field_names(&r), vec!["email", "role"]);

    // Bob sees the team in his list; members are paginated.
    let r = app.get("/api/teams").bearer(&bob.token).send();
    assert!(
        r.json()["teams"]
            .as_array()
            .expect("teams")
            .iter()
            .any(|t| t["id"] == team.as_str() && t["role"] == "member")
    );
    assert_eq!(
        member_roles(&members(&app, &bob, &team)),
        vec![
            (ann.id.clone(), "owner".into()),
            (bob.id.clone(), "member".into())
        ]
    );
    let r = app
        .get(&format!("/api/teams/{team}/members?limit=1&offset=1"))
        .bearer(&ann.token)
        .send();
    assert_eq!(member_roles(&r), vec![(bob.id.clone(), "member".into())]);
    assert_eq!(r.json()["total"], 2);
    let r = app
        .get(&format!("/api/teams/{team}/members?limit=0&offset=-1"))
        .bearer(&ann.token)
        .send();
    assert_error(&r, 400, "invalid_input");
    assert_eq!(field_names(&r), vec!["limit", "offset"]);

    // Promote Bob to admin: he manages members, but cannot grant owner.
    let r = set_role(&app, &ann, &team, &bob.id, "admin");
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["member"]["role"], "admin");
    assert_error(
        &invite(&app, &bob, &team, "cat@example.com", "owner"),
        403,
        "owner_role_requires_owner",
    );
    assert_error(
        &set_role(&app, &bob, &team, &ann.id, "admin"),
        403,
        "owner_role_requires_owner",
    );
    assert_error(
        &remove(&app, &bob, &team, &ann.id),
        403,
        "owner_role_requires_owner",
    );
    let r = set_role(&app, &ann, &team, &bob.id, "superuser");
    assert_error(&r, 422, "validation_failed");
    assert_eq!(field_names(&r), vec!["role"]);
    join(&app, &bob, &team, &cat, "cat@example.com", "viewer");
    assert_error(
        &set_role(&app, &ann, &team, &"f".repeat(32), "member"),
        404,
        "member_not_found",
    );

    // Ann removes Bob: he is out, and the team is 404 to him.
    let r = remove(&app, &ann, &team, &bob.id);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["left"], false);
    assert_eq!(r.json()["removed"]["role"], "admin");
    assert_error(&members(&app, &bob, &team), 404, "team_not_found");
    assert_error(&remove(&app, &ann, &team, &bob.id), 404, "member_not_found");

    let r = audit(&app, &ann, &format!("teamId={team}"));
    assert_eq!(
        actions(&r),
        vec![
            "member.remove",
            "invitation.accept",
            "invitation.create",
            "member.role_change",
            "invitation.accept",
            "invitation.create",
            "team.create"
        ]
    );
    let change = &entries(&r)[3];
    assert_eq!(change["targetId"], bob.id.as_str());
    assert_eq!(change["details"]["from"], "member");
    assert_eq!(change["details"]["to"], "admin");
    assert!(
        !r.text().contains(&token[4..]),
        "tokens never reach the audit log"
    );
}

#[test]
fn leaving_and_the_last_owner() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let team = create_team(&app, &ann, "QA");

    assert_error(&remove(&app, &ann, &team, &ann.id), 409, "last_owner");
    assert_error(
        &set_role(&app, &ann, &team, &ann.id, "admin"),
        409,
        "last_owner",
    );
    assert_error(
        &remove(&app, &ann, &ann.personal_team, &ann.id),
        409,
        "last_owner",
    );
    assert_error(
        &invite(&app, &ann, &ann.personal_team, "bob@example.com", "member"),
        409,
        "personal_team",
    );

    // With a second owner the first may leave; then the second is the last.
    join(&app, &ann, &team, &bob, "bob@example.com", "owner");
    let r = remove(&app, &ann, &team, &ann.id);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["left"], true);
    assert_error(&members(&app, &ann, &team), 404, "team_not_found");
    assert_error(&remove(&app, &bob, &team, &bob.id), 409, "last_owner");
    assert_error(
        &set_role(&app, &bob, &team, &bob.id, "member"),
        409,
        "last_owner",
    );

    let r = audit(&app, &bob, &format!("teamId={team}&action=member.leave"));
    let left = entries(&r);
    assert_eq!(left.len(), 1);
    assert_eq!(left[0]["userId"], ann.id.as_str());
    assert_eq!(left[0]["targetId"], ann.id.as_str());
}

#[test]
fn viewers_and_members_cannot_manage_members_but_can_read_and_leave() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let vic = user(&app, "vic@example.com");
    let max = user(&app, "max@example.com");
    let team = create_team(&app, &ann, "QA");
    join(&app, &ann, &team, &vic, "vic@example.com", "viewer");
    join(&app, &ann, &team, &max, "max@example.com", "member");

    for who in [&vic, &max] {
        assert_eq!(members(&app, who, &team).status, 200);
        assert_error(
            &invite(&app, who, &team, "new@example.com", "viewer"),
            403,
            "insufficient_role",
        );
        assert_error(
            &set_role(&app, who, &team, &ann.id, "viewer"),
            403,
            "insufficient_role",
        );
        assert_error(
            &set_role(&app, who, &team, &who.id, "admin"),
            403,
            "insufficient_role",
        );
        let other = if who.id == vic.id { &max } else { &vic };
        assert_error(
            &remove(&app, who, &team, &other.id),
            403,
            "insufficient_role",
        );
        let r = app
            .put(&format!("/api/teams/{team}"))
            .bearer(&who.token)
            .json(&json!({ "name": "Mine now" }));
        assert_error(&r, 403, "insufficient_role");
        assert_error(
            &audit(&app, who, &format!("teamId={team}")),
            403,
            "insufficient_role",
        );
    }
    let r = remove(&app, &vic, &team, &vic.id);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        member_roles(&members(&app, &ann, &team)),
        vec![
            (ann.id.clone(), "owner".into()),
            (max.id.clone(), "member".into())
        ]
    );
}

#[test]
fn another_teams_ids_are_404() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let eve = user(&app, "eve@example.com");
    let team = create_team(&app, &ann, "QA");

    assert_error(&members(&app, &eve, &team), 404, "team_not_found");
    assert_error(
        &invite(&app, &eve, &team, "eve@example.com", "owner"),
        404,
        "team_not_found",
    );
    assert_error(
        &set_role(&app, &eve, &team, &ann.id, "viewer"),
        404,
        "team_not_found",
    );
    assert_error(&remove(&app, &eve, &team, &ann.id), 404, "team_not_found");
    let r = app
        .put(&format!("/api/teams/{team}"))
        .bearer(&eve.token)
        .json(&json!({ "name": "Taken" }));
    assert_error(&r, 404, "team_not_found");
    assert_error(
        &audit(&app, &eve, &format!("teamId={team}")),
        404,
        "team_not_found",
    );
    assert_error(
        &audit(&app, &eve, &format!("teamId={}", ann.personal_team)),
        404,
        "team_not_found",
    );
    assert_error(&members(&app, &eve, "not-an-id"), 404, "team_not_found");
    // Ann's own ids in Eve's personal team are no more reachable.
    assert_error(
        &remove(&app, &ann, &eve.personal_team, &eve.id),
        404,
        "team_not_found",
    );
    let r = app.get("/api/teams").bearer(&eve.token).send();
    assert_eq!(r.json()["total"], 1);
}

#[test]
fn invitations_expire_after_the_configured_ttl() {
    let app = spawn_app_with(AppOptions::default().variable("invitation_ttl", "1ms"));
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let team = create_team(&app, &ann, "QA");
    let r = invite(&app, &ann, &team, "bob@example.com", "member");
    assert_eq!(r.status, 201, "{}", r.text());
    let token = r.json()["token"].as_str().expect("token").to_owned();
    app.wait_server_ms(2);
    assert_error(&accept(&app, &bob, &token), 409, "invitation_expired");
    assert_error(&members(&app, &bob, &team), 404, "team_not_found");
}

#[test]
fn audit_log_filters_and_paginates_with_a_cursor() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let team = create_team(&app, &ann, "QA");
    join(&app, &ann, &team, &bob, "bob@example.com", "member");
    for role in ["viewer", "admin", "member", "viewer"] {
        assert_eq!(set_role(&app, &ann, &team, &bob.id, role).status, 200);
    }
    let q = format!("teamId={team}");

    // Every entry, newest first, 9 in all: walk them two at a time.
    let all = entries(&audit(&app, &ann, &q));
    assert_eq!(all.len(), 7, "{all:?}");
    let ids: Vec<i64> = all.iter().map(|e| e["id"].as_i64().expect("id")).collect();
    assert!(ids.windows(2).all(|w| w[0] > w[1]), "{ids:?}");
    let mut walked = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let query = match &cursor {
            Some(c) => format!("{q}&limit=2&cursor={c}"),
            None => format!("{q}&limit=2"),
        };
        let r = audit(&app, &ann, &query);
        let page = entries(&r);
        assert!(page.len() <= 2);
        walked.extend(page.iter().map(|e| e["id"].as_i64().expect("id")));
        match r.json()["nextCursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(walked, ids);

    // Filters.
    let r = audit(&app, &ann, &format!("{q}&action=member.role_change"));
    let changes = entries(&r);
    assert_eq!(changes.len(), 4);
    assert_eq!(changes[0]["details"]["to"], "viewer");
    assert_eq!(changes[3]["details"]["to"], "viewer");
    assert_eq!(changes[3]["details"]["from"], "member");
    let r = audit(&app, &ann, &format!("{q}&userId={}", bob.id));
    assert_eq!(actions(&r), vec!["invitation.accept"]);
    let r = audit(&app, &ann, &format!("{q}&targetType=invitation"));
    assert_eq!(actions(&r), vec!["invitation.create"]);
    let r = audit(
        &app,
        &ann,
        &format!("{q}&targetType=member&targetId={}", bob.id),
    );
    assert_eq!(entries(&r).len(), 5);
    let created_at = all[6]["createdAt"].as_i64().expect("createdAt");
    let r = audit(
        &app,
        &ann,
        &format!("{q}&to={created_at}&from={created_at}"),
    );
    assert!(actions(&r).contains(&"team.create".to_owned()));
    let r = audit(&app, &ann, &format!("{q}&from={}", 4_102_444_800_000_i64));
    assert!(entries(&r).is_empty());
    assert!(r.json()["nextCursor"].is_null());

    // Bad input names the field.
    for (query, field) in [
        ("limit=0", "limit"),
        ("limit=101", "limit"),
        ("cursor=garbage", "cursor"),
        ("from=yesterday", "from"),
        ("from=10&to=5", "to"),
        ("action=", "action"),
    ] {
        let r = audit(&app, &ann, &format!("{q}&{query}"));
        assert_error(&r, 400, "invalid_input");
        assert_eq!(field_names(&r), vec![field], "{query}");
    }
}

#[test]
fn audit_log_is_only_for_admins_and_only_of_their_team() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let team = create_team(&app, &ann, "QA");
    join(&app, &ann, &team, &bob, "bob@example.com", "member");

    // Without teamId: the credential's team (the personal team for a session).
    let r = audit(&app, &ann, "");
    let mine = entries(&r);
    assert!(!mine.is_empty());
    assert!(
        mine.iter()
            .all(|e| e["teamId"] == ann.personal_team.as_str()),
        "{mine:?}"
    );
    let r = audit(&app, &bob, "limit=100");
    let his = entries(&r);
    assert!(
        his.iter()
            .all(|e| e["teamId"] == bob.personal_team.as_str()),
        "{his:?}"
    );
    assert!(
        !r.text().contains(&team),
        "another team's entries never show"
    );

    // A member of the team is refused; once admin, allowed.
    assert_error(
        &audit(&app, &bob, &format!("teamId={team}")),
        403,
        "insufficient_role",
    );
    assert_eq!(set_role(&app, &ann, &team, &bob.id, "admin").status, 200);
    let r = audit(&app, &bob, &format!("teamId={team}"));
    assert!(entries(&r).iter().all(|e| e["teamId"] == team.as_str()));
    assert_eq!(actions(&r)[0], "member.role_change");

    // API keys act for one team: a key made in Bob's session reads his personal team.
    let r = app
        .post("/api/keys")
        .bearer(&bob.token)
        .json(&json!({ "name": "desk", "kind": "desktop" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json()["key"].as_str().expect("key").to_owned();
    let r = app.get("/api/audit").bearer(&key).send();
    assert!(
        entries(&r)
            .iter()
            .all(|e| e["teamId"] == bob.personal_team.as_str())
    );
    assert_eq!(app.get("/api/audit").send().status, 401);
}
