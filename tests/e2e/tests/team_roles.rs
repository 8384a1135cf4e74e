//! The one permission table (crates/roles) as every component enforces it,
//! route by route and role by role, for a shared team whose members act
//! through sessions switched to it (`POST /auth/switch-team`) and through
//! keys created for it; and the audit entry each state change writes.

use e2e::{AppOptions, Resp, TestApp, json, spawn_app_with};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery";
const ROLES: [&str; 4] = ["viewer", "member", "admin", "owner"];

struct User {
    id: String,
    /// A session acting for the user's personal team.
    personal: String,
}

fn register(app: &TestApp, email: &str) -> User {
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Test User" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let id = r.json()["user"]["id"].as_str().expect("id").to_owned();
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }));
    assert_eq!(r.status, 200, "{}", r.text());
    User {
        id,
        personal: r.json()["token"].as_str().expect("token").to_owned(),
    }
}

/// The free plan is too small for a team of four and the matrix's profiles.
fn app() -> TestApp {
    spawn_app_with(
        AppOptions::default()
            .variable("billing_free_max_members", "10")
            .variable("billing_free_max_profiles", "1000"),
    )
}

fn switch(app: &TestApp, token: &str, team: &str) -> Resp {
    app.post("/auth/switch-team")
        .bearer(token)
        .json(&json!({ "teamId": team }))
}

fn token_of(r: &Resp) -> String {
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_owned()
}

fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    assert_eq!(r.json()["code"], code, "{}", r.text());
}

/// A shared team with one user of each role; returns the team id and, per
/// role, the user and a session switched to the team.
fn team_of_four(app: &TestApp) -> (String, Vec<(User, String)>) {
    let owner = register(app, "owner@example.com");
    let r = app
        .post("/api/teams")
        .bearer(&owner.personal)
        .json(&json!({ "name": "Shared" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let team = r.json()["team"]["id"].as_str().expect("id").to_owned();
    let mut people = Vec::new();
    for role in ["viewer", "member", "admin"] {
        let email = format!("{role}@example.com");
        let who = register(app, &email);
        let r = app
            .post(&format!("/api/teams/{team}/invitations"))
            .bearer(&owner.personal)
            .json(&json!({ "email": email, "role": role }));
        assert_eq!(r.status, 201, "{}", r.text());
        let invitation = r.json()["token"].as_str().expect("token").to_owned();
        let r = app
            .post("/api/teams/invitations/accept")
            .bearer(&who.personal)
            .json(&json!({ "token": invitation }));
        assert_eq!(r.status, 200, "{}", r.text());
        let token = token_of(&switch(app, &who.personal, &team));
        people.push((who, token));
    }
    let token = token_of(&switch(app, &owner.personal, &team));
    people.push((owner, token));
    (team, people)
}

fn new_profile(app: &TestApp, token: &str, name: &str) -> String {
    let r = app
        .post("/api/profiles")
        .bearer(token)
        .json(&json!({ "name": name, "templateId": "windows-chrome" }));
    assert_eq!(r.status, 201, "{}", r.text());
    r.json()["id"].as_str().expect("id").to_owned()
}

/// One call of the matrix: made fresh for each role, so that one role's
/// success does not change what the next role meets.
type Call = fn(&TestApp, &str, &Fixture) -> Resp;

struct Fixture {
    team: String,
    profile: String,
    owner_token: String,
}

fn session_body() -> Value {
    json!({ "cookies": [{ "name": "sid", "value": "1", "domain": "a.example" }], "localStorage": {} })
}

/// (what, least role, call): every component's permission checks.
fn matrix() -> Vec<(&'static str, &'static str, Call)> {
    vec![
        ("list profiles", "viewer", |app, t, _| {
            app.get("/api/profiles").bearer(t).send()
        }),
        ("read a profile", "viewer", |app, t, f| {
            app.get(&format!("/api/profiles/{}", f.profile))
                .bearer(t)
                .send()
        }),
        ("pull a session", "viewer", |app, t, f| {
            app.get(&format!("/api/sync/{}", f.profile))
                .bearer(t)
                .send()
        }),
        ("read billing", "viewer", |app, t, _| {
            app.get("/api/billing").bearer(t).send()
        }),
        ("list members", "viewer", |app, t, f| {
            app.get(&format!("/api/teams/{}/members", f.team))
                .bearer(t)
                .send()
        }),
        ("create a profile", "member", |app, t, _| {
            app.post("/api/profiles")
                .bearer(t)
                .json(&json!({ "name": "Made by role", "templateId": "windows-chrome" }))
        }),
        ("edit a profile", "member", |app, t, f| {
            app.put(&format!("/api/profiles/{}", f.profile))
                .bearer(t)
                .json(&json!({ "notes": "edited" }))
        }),
        ("create a group", "member", |app, t, _| {
            app.post("/api/groups")
                .bearer(t)
                .json(&json!({ "name": format!("G-{}", &t[t.len() - 12..]) }))
        }),
        ("launch a profile", "member", |app, t, f| {
            let id = new_profile(app, &f.owner_token, "To launch");
            app.post(&format!("/api/profiles/{id}/launch"))
                .bearer(t)
                .header("X-Client-ID", "matrix")
                .send()
        }),
        ("push a session", "member", |app, t, f| {
            let id = new_profile(app, &f.owner_token, "To sync");
            app.post(&format!("/api/sync/{id}"))
                .bearer(t)
                .json(&session_body())
        }),
        ("bulk-tag profiles", "member", |app, t, f| {
            app.post("/api/profiles/bulk")
                .bearer(t)
                .json(&json!({ "action": "add_tags", "ids": [f.profile], "tags": ["bulk"] }))
        }),
        ("create a proxy", "admin", |app, t, _| {
            app.post("/api/proxies")
                .bearer(t)
                .json(&json!({ "name": "P", "url": "http://10.1.2.3:3128" }))
        }),
        ("force-release a lock", "admin", |app, t, f| {
            let id = new_profile(app, &f.owner_token, "Locked");
            let r = app
                .post(&format!("/api/profiles/{id}/launch"))
                .bearer(&f.owner_token)
                .header("X-Client-ID", "holder")
                .send();
            assert_eq!(r.status, 200, "{}", r.text());
            app.delete(&format!("/api/locks/{id}")).bearer(t).send()
        }),
        ("invite a member", "admin", |app, t, f| {
            app.post(&format!("/api/teams/{}/invitations", f.team))
                .bearer(t)
                .json(&json!({ "email": "someone@example.com", "role": "viewer" }))
        }),
        ("rename the team", "admin", |app, t, f| {
            app.put(&format!("/api/teams/{}", f.team))
                .bearer(t)
                .json(&json!({ "name": "Renamed" }))
        }),
        ("read the audit log", "admin", |app, t, _| {
            app.get("/api/audit").bearer(t).send()
        }),
        ("create a webhook", "admin", |app, t, _| {
            app.post("/api/webhooks").bearer(t).json(
                &json!({ "url": "https://hooks.example.com/in", "events": ["profile.launched"] }),
            )
        }),
    ]
}

#[test]
fn every_component_enforces_the_one_permission_table_role_by_role() {
    let app = app();
    let (team, people) = team_of_four(&app);
    let owner_token = people[3].1.clone();
    let r = app
        .post("/api/keys")
        .bearer(&owner_token)
        .json(&json!({ "name": "owner's key", "kind": "desktop" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let fixture = Fixture {
        profile: new_profile(&app, &owner_token, "Shared profile"),
        team,
        owner_token,
    };
    let mut checked = 0;
    for (what, least, call) in matrix() {
        let least_rank = ROLES.iter().position(|r| *r == least).expect("role");
        for (rank, (_, token)) in people.iter().enumerate() {
            let r = call(&app, token, &fixture);
            if rank >= least_rank {
                assert!(
                    (200..300).contains(&r.status),
                    "{what} as {}: {} {}",
                    ROLES[rank],
                    r.status,
                    r.text()
                );
            } else {
                assert_eq!(r.status, 403, "{what} as {}: {}", ROLES[rank], r.text());
                assert_eq!(r.json()["code"], "insufficient_role", "{what}");
            }
            checked += 1;
        }
    }
    assert_eq!(checked, matrix().len() * 4);
}

#[test]
fn a_key_acts_for_the_team_it_was_made_for_with_its_makers_live_role() {
    let app = app();
    let (team, people) = team_of_four(&app);
    let (member, member_token) = &people[1];
    let (_, admin_token) = &people[2];
    let (_, owner_token) = &people[3];

    // From the personal session, naming the team.
    let r = app
        .post("/api/keys")
        .bearer(&member.personal)
        .json(&json!({ "name": "laptop", "kind": "desktop", "teamId": team }));
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json()["key"].as_str().expect("key").to_owned();
    let key_id = r.json()["apiKey"]["id"].as_str().expect("id").to_owned();
    assert_eq!(r.json()["apiKey"]["teamId"], team.as_str());
    assert_eq!(r.json()["apiKey"]["userId"], member.id.as_str());

    // What the key creates belongs to the team: the owner sees it.
    let profile = new_profile(&app, &key, "By key");
    let r = app
        .get(&format!("/api/profiles/{profile}"))
        .bearer(owner_token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    // ...and not to the member's personal team.
    let r = app
        .get(&format!("/api/profiles/{profile}"))
        .bearer(&member.personal)
        .send();
    assert_error(&r, 404, "profile_not_found");
    // A member's key cannot do what a member cannot.
    let r = app
        .post("/api/proxies")
        .bearer(&key)
        .json(&json!({ "name": "P", "url": "http://10.1.2.3:3128" }));
    assert_error(&r, 403, "insufficient_role");

    // A key cannot make keys for another team, even its maker's.
    let r = app
        .post("/api/keys")
        .bearer(&key)
        .json(&json!({ "name": "x", "kind": "desktop", "teamId": teams_personal(&app, &member.personal) }));
    assert_error(&r, 403, "key_bound_to_team");
    // A team one is not in is not found.
    let stranger = register(&app, "stranger@example.com");
    let r = app
        .post("/api/keys")
        .bearer(&stranger.personal)
        .json(&json!({ "name": "x", "kind": "desktop", "teamId": team }));
    assert_error(&r, 404, "team_not_found");

    // Members see their own keys of the team; admins see everyone's.
    let names = |t: &str| -> Vec<String> {
        let r = app
            .get(&format!("/api/keys?teamId={team}"))
            .bearer(t)
            .send();
        assert_eq!(r.status, 200, "{}", r.text());
        r.json()["keys"]
            .as_array()
            .expect("keys")
            .iter()
            .map(|k| k["name"].as_str().expect("name").to_owned())
            .collect()
    };
    let r = app
        .post("/api/keys")
        .bearer(admin_token)
        .json(&json!({ "name": "admin ci", "kind": "extension" }));
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(names(member_token), vec!["laptop"]);
    assert_eq!(names(admin_token), vec!["admin ci", "laptop"]);
    let r = app
        .get(&format!("/api/keys?teamId={team}"))
        .bearer(&stranger.personal)
        .send();
    assert_error(&r, 404, "team_not_found");

    // A member cannot revoke the admin's key; the admin revokes the member's.
    let admin_key_id = app.get("/api/keys").bearer(admin_token).send().json()["keys"][0]["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let r = app
        .delete(&format!("/api/keys/{admin_key_id}"))
        .bearer(member_token)
        .send();
    assert_error(&r, 404, "api_key_not_found");
    let r = app
        .delete(&format!("/api/keys/{key_id}"))
        .bearer(admin_token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["apiKey"]["revoked"], true);
    assert_eq!(app.get("/api/profiles").bearer(&key).send().status, 401);

    // A key stops with its maker's membership.
    let r = app
        .post("/api/keys")
        .bearer(member_token)
        .json(&json!({ "name": "second", "kind": "desktop" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let second = r.json()["key"].as_str().expect("key").to_owned();
    assert_eq!(app.get("/api/profiles").bearer(&second).send().status, 200);
    let r = app
        .delete(&format!("/api/teams/{team}/members/{}", member.id))
        .bearer(owner_token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(app.get("/api/profiles").bearer(&second).send().status, 401);
}

fn teams_personal(app: &TestApp, token: &str) -> String {
    let r = app.get("/auth/me").bearer(token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["team"]["id"].as_str().expect("team").to_owned()
}

#[test]
fn sessions_switch_to_teams_their_user_belongs_to_and_only_those() {
    let app = app();
    let (team, people) = team_of_four(&app);
    let (viewer, viewer_token) = &people[0];

    let r = app.get("/auth/me").bearer(viewer_token).send();
    assert_eq!(r.json()["team"]["id"], team.as_str(), "{}", r.text());
    assert_eq!(r.json()["team"]["role"], "viewer");
    // The personal session still acts for the personal team.
    let r = app.get("/auth/me").bearer(&viewer.personal).send();
    assert_eq!(r.json()["team"]["personal"], true, "{}", r.text());
    assert_eq!(r.json()["team"]["role"], "owner");

    // Login may name the team directly.
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": "viewer@example.com", "password": PASSWORD, "teamId": team }));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["team"]["id"], team.as_str());

    let stranger = register(&app, "stranger@example.com");
    assert_error(
        &switch(&app, &stranger.personal, &team),
        404,
        "team_not_found",
    );
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": "stranger@example.com", "password": PASSWORD, "teamId": team }));
    assert_error(&r, 404, "team_not_found");
    let r = switch(&app, &stranger.personal, "not-an-id");
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(r.json()["details"][0]["field"], "teamId");
    assert_eq!(
        app.post("/auth/switch-team")
            .json(&json!({ "teamId": team }))
            .status,
        401
    );

    // A key is bound to its team: it cannot switch.
    let r = app
        .post("/api/keys")
        .bearer(viewer_token)
        .json(&json!({ "name": "k", "kind": "desktop" }));
    let key = r.json()["key"].as_str().expect("key").to_owned();
    assert_error(&switch(&app, &key, &team), 400, "not_a_session");

    // The switch is audited in the team switched to.
    let (_, owner_token) = &people[3];
    let r = app
        .get("/api/audit?action=session.switch_team")
        .bearer(owner_token)
        .send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert!(
        r.json()["entries"].as_array().expect("entries").len() >= 4,
        "{}",
        r.text()
    );
}

#[test]
fn every_state_change_of_the_team_writes_its_audit_entry() {
    let app = app();
    let (team, people) = team_of_four(&app);
    let (member, member_token) = &people[1];
    let (_, owner_token) = &people[3];
    let ok = |r: Resp| -> Value {
        assert!((200..300).contains(&r.status), "{} {}", r.status, r.text());
        r.json()
    };

    // (the call, the action it must audit)
    let profile = ok(app
        .post("/api/profiles")
        .bearer(member_token)
        .json(&json!({ "name": "Audited", "templateId": "windows-chrome" })))["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let mut expected = vec!["profile.create"];
    ok(app
        .put(&format!("/api/profiles/{profile}"))
        .bearer(member_token)
        .json(&json!({ "notes": "n" })));
    expected.push("profile.update");
    let group = ok(app
        .post("/api/groups")
        .bearer(member_token)
        .json(&json!({ "name": "G" })))["id"]
        .as_str()
        .expect("group id")
        .to_owned();
    expected.push("group.create");
    ok(app
        .put(&format!("/api/groups/{group}"))
        .bearer(member_token)
        .json(&json!({ "name": "G2" })));
    expected.push("group.update");
    ok(app
        .delete(&format!("/api/groups/{group}"))
        .bearer(member_token)
        .send());
    expected.push("group.delete");
    let proxy = ok(app
        .post("/api/proxies")
        .bearer(owner_token)
        .json(&json!({ "name": "P", "url": "http://10.1.2.3:3128" })))["id"]
        .as_str()
        .expect("proxy id")
        .to_owned();
    expected.push("proxy.create");
    ok(app
        .put(&format!("/api/proxies/{proxy}"))
        .bearer(owner_token)
        .json(&json!({ "name": "P2" })));
    expected.push("proxy.update");
    ok(app
        .delete(&format!("/api/proxies/{proxy}"))
        .bearer(owner_token)
        .send());
    expected.push("proxy.delete");
    let launched = ok(app
        .post(&format!("/api/profiles/{profile}/launch"))
        .bearer(member_token)
        .header("X-Client-ID", "c1")
        .send());
    expected.push("profile.launch");
    let token = launched["lock"]["token"].as_u64().expect("token");
    ok(app
        .post(&format!("/api/sync/{profile}"))
        .bearer(member_token)
        .header("X-Client-ID", "c1")
        .header("X-Lock-Token", &token.to_string())
        .json(&session_body()));
    expected.push("sync.push");
    ok(app
        .post(&format!("/api/profiles/{profile}/release"))
        .bearer(member_token)
        .header("X-Client-ID", "c1")
        .json(&json!({ "token": token })));
    expected.push("profile.release");
    ok(app
        .post(&format!("/api/profiles/{profile}/launch"))
        .bearer(member_token)
        .header("X-Client-ID", "c2")
        .send());
    expected.push("profile.launch");
    ok(app
        .delete(&format!("/api/locks/{profile}"))
        .bearer(owner_token)
        .send());
    expected.push("lock.force_release");
    let key = ok(app
        .post("/api/keys")
        .bearer(member_token)
        .json(&json!({ "name": "k", "kind": "desktop" })))["apiKey"]["id"]
        .as_str()
        .expect("key id")
        .to_owned();
    expected.push("api_key.create");
    ok(app
        .delete(&format!("/api/keys/{key}"))
        .bearer(owner_token)
        .send());
    expected.push("api_key.revoke");
    let hook =
        ok(app.post("/api/webhooks").bearer(owner_token).json(
            &json!({ "url": "https://hooks.example.com/in", "events": ["profile.launched"] }),
        ))["webhook"]["id"]
            .as_str()
            .expect("webhook id")
            .to_owned();
    expected.push("webhook.create");
    ok(app
        .delete(&format!("/api/webhooks/{hook}"))
        .bearer(owner_token)
        .send());
    expected.push("webhook.delete");
    ok(app
        .put(&format!("/api/teams/{team}"))
        .bearer(owner_token)
        .json(&json!({ "name": "Renamed" })));
    expected.push("team.rename");
    ok(app
        .put(&format!("/api/teams/{team}/members/{}", member.id))
        .bearer(owner_token)
        .json(&json!({ "role": "admin" })));
    expected.push("member.role_change");
    ok(app
        .delete(&format!("/api/profiles/{profile}"))
        .bearer(owner_token)
        .send());
    expected.push("profile.delete");

    let r = app.get("/api/audit?limit=100").bearer(owner_token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let mut seen: Vec<String> = r.json()["entries"]
        .as_array()
        .expect("entries")
        .iter()
        .map(|e| e["action"].as_str().expect("action").to_owned())
        .filter(|a| {
            !a.starts_with("session.") && !a.starts_with("invitation.") && a != "team.create"
        })
        .collect();
    seen.reverse();
    assert_eq!(seen, expected, "{}", r.text());
}
