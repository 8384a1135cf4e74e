//! The cross-tenant matrix, generated from `docs/openapi.json`: every
//! documented operation whose path has a `{param}` is called with the ids of
//! real objects owned by a victim tenant, as
//!
//! * another team's user (session JWT, desktop key, extension key) → 404,
//! * another user of the victim's own team, for the user-scoped resources
//!   (API keys, projects, test plans, flows, captures) → 404,
//! * no credentials, the victim's revoked keys, the victim's logged-out
//!   session, an expired JWT signed with the real secret and an `alg: none`
//!   JWT carrying the victim's claims → 401,
//!
//! never a 2xx and never a byte of the victim's data (ids, names, email). The
//! documented list routes are called by the attacker too and must not show
//! the victim's objects. A documented object route without a victim fixture,
//! or a documented request body without a plausible body here, fails the test
//! so that a new route cannot slip past the matrix.

use std::collections::BTreeMap;

use e2e::{Resp, TEST_JWT_SECRET, TestApp, json, jwt, repo_root, spawn_app};
use serde_json::Value;

const PASSWORD: &str = "correct horse battery";
/// The victim's desktop client: attackers send it too, so a missing tenant
/// check could not hide behind a lock-holder check.
const VICTIM_CLIENT: &str = "victim-desktop";

/// The methods an OpenAPI path item may document.
const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// A registered, logged-in user with one key of each kind.
struct Tenant {
    email: String,
    token: String,
    user_id: String,
    team_id: String,
    desktop_key: String,
    extension_key: String,
    extension_key_id: String,
}

fn ok(r: &Resp, status: u16, what: &str) -> Value {
    assert_eq!(r.status, status, "{what}: {}", r.text());
    r.json()
}

fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("not a string: {v}"))
        .to_owned()
}

fn login(app: &TestApp, email: &str) -> Value {
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }));
    ok(&r, 200, "login")
}

fn key(app: &TestApp, token: &str, kind: &str) -> (String, String) {
    let r = app
        .post("/api/keys")
        .bearer(token)
        .json(&json!({ "name": format!("{kind} key"), "kind": kind }));
    let body = ok(&r, 201, "create key");
    (s(&body["key"]), s(&body["apiKey"]["id"]))
}

fn tenant(app: &TestApp, email: &str, name: &str) -> Tenant {
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": email, "password": PASSWORD, "name": name }));
    let user_id = s(&ok(&r, 201, "register")["user"]["id"]);
    let body = login(app, email);
    let token = s(&body["token"]);
    let (desktop_key, _) = key(app, &token, "desktop");
    let (extension_key, extension_key_id) = key(app, &token, "extension");
    Tenant {
        email: email.to_owned(),
        team_id: s(&body["team"]["id"]),
        token,
        user_id,
        desktop_key,
        extension_key,
        extension_key_id,
    }
}

/// How a request authenticates.
#[derive(Clone)]
enum Cred {
    None,
    Bearer(String),
    ApiKey(String),
}

/// What an attacker case must get on a victim's object.
#[derive(Clone, Copy, PartialEq, Debug)]
enum Expect {
    /// Not authenticated at all.
    Unauthorized,
    /// Authenticated, but the object is not theirs: it does not exist for them.
    NotFound,
}

struct Case {
    name: &'static str,
    cred: Cred,
    expect: Expect,
    /// Only for routes whose objects are scoped to the user, not the team.
    user_scoped_only: bool,
}

/// Resources owned by a user rather than a team: a teammate must not reach them.
fn user_scoped(path: &str) -> bool {
    [
        "/api/keys/",
        "/api/v1/users/api-keys/",
        "/api/v1/projects/",
        "/api/v1/test-plans/",
        "/api/v1/flows/",
        "/api/v1/captures/",
    ]
    .iter()
    .any(|p| path.starts_with(p))
}

/// Routes whose objects are not owned by any tenant, with the reason; the
/// credential-less cases still run on them.
fn shared_catalogue(path: &str) -> Option<&'static str> {
    (path == "/api/templates/{id}" || path.starts_with("/api/v1/templates/"))
        .then_some("templates are a read-only catalogue shared by every team, not tenant data")
}

/// Object routes documented without security: only the public catalogue
/// (the published dashboard reads templates without a token).
fn public_catalogue(path: &str) -> bool {
    path.starts_with("/api/v1/templates/")
}

/// The collection a `{param}` belongs to: the path up to the first `{`.
fn collection(path: &str) -> &str {
    path.split('{').next().unwrap_or(path).trim_end_matches('/')
}

fn send(
    app: &TestApp,
    method: &str,
    path: &str,
    cred: &Cred,
    body: Option<&Value>,
    lock: u64,
) -> Resp {
    let mut req = app
        .request(method, path)
        .header("X-Client-ID", VICTIM_CLIENT)
        .header("X-Lock-Token", &lock.to_string());
    req = match cred {
        Cred::None => req,
        Cred::Bearer(t) => req.bearer(t),
        Cred::ApiKey(k) => req.api_key(k),
    };
    match body {
        Some(b) => req.json(b),
        None => req.send(),
    }
}

/// The first of the victim's secrets that `r`'s body shows, if any.
fn leak<'a>(r: &Resp, secrets: &'a [String]) -> Option<&'a String> {
    let text = r.text();
    secrets.iter().find(|secret| text.contains(secret.as_str()))
}

#[test]
fn every_documented_object_route_refuses_every_other_tenant_and_invalid_credential() {
    let app = spawn_app();
    let doc: Value = serde_json::from_str(
        &std::fs::read_to_string(repo_root().join("docs/openapi.json")).expect("openapi.json"),
    )
    .expect("openapi.json is JSON");
    let paths = doc["paths"].as_object().expect("paths");

    // ------------------------------------------------------------ the victim
    let victim = tenant(&app, "victim@example.com", "Vicky Victim");
    let mate = tenant(&app, "mate@example.com", "Matt Mate");
    let attacker = tenant(&app, "mallory@example.com", "Mallory Attacker");
    let vt = &victim.token;

    let team = ok(
        &app.post("/api/teams")
            .bearer(vt)
            .json(&json!({ "name": "Victim Corp qz7" })),
        201,
        "create team",
    );
    let team_id = s(&team["team"]["id"]);
    let invite = ok(
        &app.post(&format!("/api/teams/{team_id}/invitations"))
            .bearer(vt)
            .json(&json!({ "email": mate.email, "role": "member" })),
        201,
        "invite",
    );
    ok(
        &app.post("/api/teams/invitations/accept")
            .bearer(&mate.token)
            .json(&json!({ "token": invite["token"] })),
        200,
        "accept",
    );
    // One invitation left open, for the routes that list and cancel them.
    let pending = ok(
        &app.post(&format!("/api/teams/{team_id}/invitations"))
            .bearer(vt)
            .json(&json!({ "email": "pending-qz7@example.com", "role": "viewer" })),
        201,
        "pending invite",
    );
    let invitation_id = s(&pending["invitation"]["id"]);

    let group = ok(
        &app.post("/api/groups")
            .bearer(vt)
            .json(&json!({ "name": "Victim Group qz7", "color": "#FF0000" })),
        201,
        "group",
    );
    let proxy = ok(
        &app.post("/api/proxies").bearer(vt).json(
            &json!({ "name": "Victim Proxy qz7", "url": "http://victim:s3cret@10.9.8.7:3128" }),
        ),
        201,
        "proxy",
    );
    let (group_id, proxy_id) = (s(&group["id"]), s(&proxy["id"]));
    let profile = ok(
        &app.post("/api/profiles").bearer(vt).json(&json!({
            "name": "Victim Profile qz7",
            "templateId": "windows-chrome",
            "tags": ["victimtagqz7"],
            "notes": "victim notes qz7",
            "groupId": group_id,
            "proxyId": proxy_id,
        })),
        201,
        "profile",
    );
    let profile_id = s(&profile["id"]);
    let launched = ok(
        &app.post(&format!("/api/profiles/{profile_id}/launch"))
            .bearer(vt)
            .header("X-Client-ID", VICTIM_CLIENT)
            .send(),
        200,
        "launch",
    );
    let lock = launched["lock"]["token"].as_u64().expect("lock token");
    let pushed = ok(
        &app.post(&format!("/api/sync/{profile_id}"))
            .bearer(vt)
            .header("X-Client-ID", VICTIM_CLIENT)
            .header("X-Lock-Token", &lock.to_string())
            .json(&json!({
                "cookies": [{ "name": "sid", "value": "victim-cookie-qz7", "domain": ".victim-qz7.example" }],
                "localStorage": { "victim-key-qz7": "victim-value-qz7" },
            })),
        200,
        "sync push",
    );
    let session_hash = s(&pushed["hash"]);
    // Created after the launch and push above, so they deliver to nobody.
    let hook = ok(
        &app.post("/api/webhooks").bearer(vt).json(&json!({
            "url": "https://hooks.victim-qz7.example/in",
            "events": ["profile.launched", "sync.conflict"],
            "description": "victim hook qz7",
        })),
        201,
        "webhook",
    );
    let webhook_id = s(&hook["webhook"]["id"]);

    let ek = &victim.extension_key;
    let project = ok(
        &app.post("/api/v1/projects")
            .api_key(ek)
            .json(&json!({ "name": "Victim Project qz7", "hostname": "victim-qz7.example" })),
        201,
        "project",
    );
    let project_id = s(&project["data"]["project"]["id"]);
    let plan = ok(
        &app.post("/api/v1/test-plans").api_key(ek).json(&json!({
            "projectId": project_id,
            "name": "Victim Plan qz7",
            "testCases": [{ "id": "1", "title": "t", "steps": ["s"], "expected": "e" }],
        })),
        201,
        "test plan",
    );
    let plan_id = s(&plan["data"]["plan"]["id"]);
    let flow = ok(
        &app.post("/api/v1/flows").api_key(ek).json(&json!({
            "name": "Victim Flow qz7",
            "baseUrl": "https://victim-qz7.example",
            "steps": [{ "action": "click", "selector": "#victim" }],
        })),
        201,
        "flow",
    );
    let flow_id = s(&flow["data"]["flow"]["id"]);
    let exec = ok(
        &app.post(&format!("/api/v1/flows/{flow_id}/executions"))
            .api_key(ek)
            .json(&json!({ "stepsTotal": 1 })),
        201,
        "execution",
    );
    let exec_id = s(&exec["data"]["execution"]["id"]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    png.extend_from_slice(b"victim image qz7");
    let shot = ok(
        &app.post(&format!(
            "/api/v1/captures/upload?projectId={project_id}&url=https%3A%2F%2Fvictim-qz7.example%2Flogin&title=Victim%20Capture%20qz7"
        ))
        .api_key(ek)
        .header("Content-Type", "image/png")
        .send_bytes(&png),
        201,
        "capture",
    );
    let capture_id = s(&shot["data"]["capture"]["id"]);

    // The victim's dead credentials: revoked keys of both kinds, a logged-out
    // session, an expired session signed with the real secret, `alg: none`.
    let (revoked_desktop, revoked_desktop_id) = key(&app, vt, "desktop");
    let (revoked_extension, revoked_extension_id) = key(&app, vt, "extension");
    for id in [&revoked_desktop_id, &revoked_extension_id] {
        ok(
            &app.delete(&format!("/api/keys/{id}")).bearer(vt).send(),
            200,
            "revoke",
        );
    }
    let logged_out = s(&login(&app, &victim.email)["token"]);
    ok(
        &app.post("/auth/logout").bearer(&logged_out).send(),
        200,
        "logout",
    );
    let mut claims = jwt::claims(vt);
    claims["exp"] = json!(claims["iat"].as_i64().expect("iat") - 3600);
    let expired = jwt::sign_hs256(&claims, TEST_JWT_SECRET.as_bytes());
    let none_jwt = format!(
        "{}.{}.",
        jwt::b64url(br#"{"alg":"none","typ":"JWT"}"#),
        jwt::b64url(jwt::claims(vt).to_string().as_bytes())
    );
    // A real HS256 signature, but over an `alg: none` header.
    let none_signed = {
        let header = jwt::b64url(br#"{"alg":"none","typ":"JWT"}"#);
        let real = vt.split('.').collect::<Vec<_>>();
        format!("{header}.{}.{}", real[1], real[2])
    };

    // (collection, path parameter) -> the victim's object.
    let fixtures: BTreeMap<(&str, &str), String> = BTreeMap::from([
        (("/api/keys", "id"), victim.extension_key_id.clone()),
        (("/api/v1/projects", "id"), project_id.clone()),
        (("/api/v1/test-plans", "id"), plan_id.clone()),
        (("/api/v1/flows", "id"), flow_id.clone()),
        (("/api/v1/flows", "execId"), exec_id.clone()),
        (("/api/v1/captures", "id"), capture_id.clone()),
        (("/api/profiles", "id"), profile_id.clone()),
        (("/api/locks", "profileId"), profile_id.clone()),
        (("/api/sync", "profileId"), profile_id.clone()),
        (("/api/groups", "id"), group_id.clone()),
        (("/api/proxies", "id"), proxy_id.clone()),
        (("/api/templates", "id"), "windows-chrome".to_owned()),
        (("/api/v1/profiles", "id"), profile_id.clone()),
        (("/api/v1/groups", "id"), group_id.clone()),
        (("/api/teams", "invitationId"), invitation_id.clone()),
        (
            ("/api/v1/teams/invitations", "invitationId"),
            invitation_id.clone(),
        ),
        (("/api/v1/teams/members", "memberId"), mate.user_id.clone()),
        (("/api/v1/teams/members", "memberId"), mate.user_id.clone()),
        (("/api/v1/proxies", "id"), proxy_id.clone()),
        (
            ("/api/v1/users/api-keys", "id"),
            victim.extension_key_id.clone(),
        ),
        (("/api/v1/sync", "profileId"), profile_id.clone()),
        (("/api/teams", "id"), team_id.clone()),
        (("/api/teams", "userId"), mate.user_id.clone()),
        (("/api/webhooks", "id"), webhook_id.clone()),
    ]);
    // (method, path) -> a body the owner would get a 2xx with.
    let bodies: BTreeMap<(&str, &str), Value> = BTreeMap::from([
        (("PUT", "/api/v1/projects/{id}"), json!({ "name": "pwned" })),
        (
            ("PUT", "/api/v1/test-plans/{id}"),
            json!({ "name": "pwned" }),
        ),
        (("PUT", "/api/v1/flows/{id}"), json!({ "name": "pwned" })),
        (
            ("POST", "/api/v1/flows/{id}/executions"),
            json!({ "stepsTotal": 1 }),
        ),
        (
            ("POST", "/api/v1/flows/{id}/executions/{execId}/finish"),
            json!({ "status": "success" }),
        ),
        (("PUT", "/api/profiles/{id}"), json!({ "name": "pwned" })),
        (
            ("POST", "/api/sync/{profileId}"),
            json!({ "cookies": [{ "name": "pwned", "value": "pwned" }], "localStorage": {} }),
        ),
        (
            ("POST", "/api/sync/{profileId}/restore"),
            json!({ "hash": session_hash }),
        ),
        (
            ("POST", "/api/profiles/{id}/heartbeat"),
            json!({ "token": lock }),
        ),
        (
            ("POST", "/api/profiles/{id}/release"),
            json!({ "token": lock }),
        ),
        (
            ("PUT", "/api/groups/{id}"),
            json!({ "name": "pwned", "color": "#00FF00" }),
        ),
        (
            ("PUT", "/api/proxies/{id}"),
            json!({ "name": "pwned", "url": "http://6.6.6.6:8080" }),
        ),
        (("PUT", "/api/teams/{id}"), json!({ "name": "pwned" })),
        (
            ("POST", "/api/teams/{id}/invitations"),
            json!({ "email": attacker.email, "role": "owner" }),
        ),
        (
            ("PUT", "/api/teams/{id}/members/{userId}"),
            json!({ "role": "viewer" }),
        ),
        (
            ("PUT", "/api/webhooks/{id}"),
            json!({ "description": "pwned", "url": "https://pwned.example/in" }),
        ),
        // The published clients' /api/v1 surface (their bodies).
        (
            ("PATCH", "/api/v1/profiles/{id}"),
            json!({ "name": "pwned" }),
        ),
        (("POST", "/api/v1/profiles/{id}/launch"), json!({})),
        (("POST", "/api/v1/profiles/{id}/heartbeat"), json!({})),
        (("POST", "/api/v1/profiles/{id}/stop"), json!({})),
        (("POST", "/api/v1/profiles/{id}/release"), json!({})),
        (("POST", "/api/v1/profiles/{id}/duplicate"), json!({})),
        (("PATCH", "/api/v1/groups/{id}"), json!({ "name": "pwned" })),
        (
            ("POST", "/api/v1/groups/{id}/profiles"),
            json!({ "profileIds": [profile_id] }),
        ),
        (
            ("DELETE", "/api/v1/groups/{id}/profiles"),
            json!({ "profileIds": [profile_id] }),
        ),
        (
            ("PATCH", "/api/v1/proxies/{id}"),
            json!({ "name": "pwned" }),
        ),
        (
            ("PATCH", "/api/v1/teams/members/{memberId}"),
            json!({ "role": "viewer" }),
        ),
        (
            ("POST", "/api/v1/sync/{profileId}/upload"),
            json!({ "cookies": "[]", "localStorage": "{\"pwned\":\"1\"}" }),
        ),
        (
            ("POST", "/api/v1/sync/{profileId}"),
            json!({ "cookies": "[{\"name\":\"pwned\",\"value\":\"pwned\"}]", "localStorage": "{}" }),
        ),
    ]);
    // Query parameters that name an object: the victim's.
    let query_ids: BTreeMap<&str, String> = BTreeMap::from([
        ("teamId", team_id.clone()),
        ("projectId", project_id.clone()),
        ("groupId", group_id.clone()),
        ("targetId", profile_id.clone()),
        ("userId", victim.user_id.clone()),
    ]);

    // Everything of the victim's that must never reach anyone else.
    let mut secrets: Vec<String> = fixtures
        .iter()
        .filter(|((c, _), _)| *c != "/api/templates")
        .map(|(_, id)| id.clone())
        .collect();
    secrets.extend(
        [
            victim.user_id.as_str(),
            victim.team_id.as_str(),
            victim.email.as_str(),
            "Vicky Victim",
            "qz7",
            "s3cret",
            "10.9.8.7",
        ]
        .map(str::to_owned),
    );

    let dead = |name, cred| Case {
        name,
        cred,
        expect: Expect::Unauthorized,
        user_scoped_only: false,
    };
    let cases = [
        Case {
            name: "other team: session JWT",
            cred: Cred::Bearer(attacker.token.clone()),
            expect: Expect::NotFound,
            user_scoped_only: false,
        },
        Case {
            name: "other team: desktop key",
            cred: Cred::Bearer(attacker.desktop_key.clone()),
            expect: Expect::NotFound,
            user_scoped_only: false,
        },
        Case {
            name: "other team: extension key",
            cred: Cred::ApiKey(attacker.extension_key.clone()),
            expect: Expect::NotFound,
            user_scoped_only: false,
        },
        Case {
            name: "other user of the victim's team: session JWT",
            cred: Cred::Bearer(mate.token.clone()),
            expect: Expect::NotFound,
            user_scoped_only: true,
        },
        Case {
            name: "other user of the victim's team: extension key",
            cred: Cred::ApiKey(mate.extension_key.clone()),
            expect: Expect::NotFound,
            user_scoped_only: true,
        },
        dead("no credentials", Cred::None),
        dead("revoked desktop key", Cred::Bearer(revoked_desktop)),
        dead("revoked extension key", Cred::ApiKey(revoked_extension)),
        dead("logged-out session", Cred::Bearer(logged_out)),
        dead("expired JWT", Cred::Bearer(expired)),
        dead("alg none JWT", Cred::Bearer(none_jwt)),
        dead("alg none header, real signature", Cred::Bearer(none_signed)),
    ];

    // -------------------------------------------------------- object routes
    let mut routes = 0;
    let mut checks = 0;
    let mut failures = Vec::new();
    // Deletes last, so that a leaking delete cannot hide a leak elsewhere.
    let mut ops: Vec<(String, String, &Value)> = Vec::new();
    for (path, item) in paths {
        for method in METHODS {
            if let Some(op) = item.get(method) {
                ops.push((method.to_uppercase(), path.clone(), op));
            }
        }
    }
    ops.sort_by_key(|(m, _, _)| m == "DELETE");
    for (method, path, op) in &ops {
        if !path.contains('{') || public_catalogue(path) {
            continue;
        }
        assert!(
            op.get("security")
                .and_then(Value::as_array)
                .is_none_or(|s| !s.is_empty()),
            "{method} {path} is an object route documented without security"
        );
        let mut concrete = path.clone();
        for segment in path.split('/') {
            if let Some(param) = segment.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                let id = fixtures.get(&(collection(path), param)).unwrap_or_else(|| {
                    panic!(
                        "{method} {path}: no victim fixture for {{{param}}} under {}; \
                             add one to the cross-tenant matrix",
                        collection(path)
                    )
                });
                concrete = concrete.replace(segment, id);
            }
        }
        let body =
            if op.get("requestBody").is_some() {
                Some(bodies.get(&(method.as_str(), path.as_str())).unwrap_or_else(|| {
                panic!("{method} {path}: no plausible body in the cross-tenant matrix; add one")
            }))
            } else {
                None
            };
        routes += 1;
        for case in &cases {
            if case.user_scoped_only && !user_scoped(path) {
                continue;
            }
            if case.expect == Expect::NotFound && shared_catalogue(path).is_some() {
                continue;
            }
            checks += 1;
            let r = send(&app, method, &concrete, &case.cred, body, lock);
            let what = format!("{method} {path} as {}", case.name);
            let want = match case.expect {
                Expect::Unauthorized => 401,
                Expect::NotFound => 404,
            };
            if r.status != want {
                failures.push(format!("{what}: {} (want {want}): {}", r.status, r.text()));
            }
            if let Some(leaked) = leak(&r, &secrets) {
                failures.push(format!(
                    "{what}: {} shows the victim's {leaked:?}: {}",
                    r.status,
                    r.text()
                ));
            }
        }
    }

    // ---------------------------------------------------------- list routes
    let attackers = &cases[..3];
    let mut list_routes = 0;
    for (method, path, op) in &ops {
        if method != "GET" || path.contains('{') {
            continue;
        }
        let secured = op
            .get("security")
            .and_then(Value::as_array)
            .is_some_and(|s| !s.is_empty());
        if !secured {
            continue;
        }
        list_routes += 1;
        let mut queries = vec![String::new()];
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap_or_default();
            if p["in"] == "query" && name.ends_with("Id") {
                let id = query_ids.get(name).unwrap_or_else(|| {
                    panic!("GET {path}?{name}=: no victim fixture for this query id; add one")
                });
                queries.push(format!("?{name}={id}"));
            }
        }
        for q in &queries {
            let target = format!("{path}{q}");
            for case in attackers {
                checks += 1;
                let r = send(&app, "GET", &target, &case.cred, None, lock);
                let what = format!("GET {target} as {}", case.name);
                if q.is_empty() && r.status != 200 {
                    failures.push(format!("{what}: {} (want 200): {}", r.status, r.text()));
                }
                if r.status >= 500 {
                    failures.push(format!("{what}: {}: {}", r.status, r.text()));
                }
                if let Some(leaked) = leak(&r, &secrets) {
                    failures.push(format!(
                        "{what}: {} shows the victim's {leaked:?}: {}",
                        r.status,
                        r.text()
                    ));
                }
            }
            for case in cases.iter().filter(|c| c.expect == Expect::Unauthorized) {
                checks += 1;
                let r = send(&app, "GET", &target, &case.cred, None, lock);
                if r.status != 401 {
                    failures.push(format!(
                        "GET {target} as {}: {} (want 401): {}",
                        case.name,
                        r.status,
                        r.text()
                    ));
                }
            }
        }
    }

    // By hostname, the attacker gets their own project, never the victim's.
    let r = app
        .post("/api/v1/projects/by-hostname")
        .api_key(&attacker.extension_key)
        .json(&json!({ "hostname": "victim-qz7.example" }));
    // (The attacker's own project echoes the hostname they sent, so only the
    // victim's id and name count as a leak here.)
    assert!(
        (200..300).contains(&r.status)
            && !r.text().contains(&project_id)
            && !r.text().contains("Victim Project"),
        "by-hostname leaks the victim's project: {}",
        r.text()
    );

    assert!(
        failures.is_empty(),
        "{} of {checks} cross-tenant checks failed:\n{}",
        failures.len(),
        failures.join("\n")
    );

    // ------------------------------------------- the fixtures are real and intact
    for (method, path, _) in &ops {
        if method != "GET" || !path.contains('{') || public_catalogue(path) {
            continue;
        }
        let mut concrete = path.clone();
        for segment in path.split('/') {
            if let Some(param) = segment.strip_prefix('{').and_then(|p| p.strip_suffix('}')) {
                concrete = concrete.replace(segment, &fixtures[&(collection(path), param)]);
            }
        }
        let cred = if user_scoped(path) {
            Cred::ApiKey(victim.extension_key.clone())
        } else {
            Cred::Bearer(victim.token.clone())
        };
        let r = send(&app, "GET", &concrete, &cred, None, lock);
        assert_eq!(r.status, 200, "the victim reads {concrete}: {}", r.text());
        assert!(
            !r.text().contains("pwned"),
            "{concrete} was changed: {}",
            r.text()
        );
    }
    let keys = app.get("/api/keys").bearer(vt).send().text();
    assert!(keys.contains(&victim.extension_key_id), "{keys}");
    let locks = ok(&app.get("/api/locks").bearer(vt).send(), 200, "locks").to_string();
    assert!(
        locks.contains(&profile_id) && locks.contains(VICTIM_CLIENT),
        "{locks}"
    );
    let members = app
        .get(&format!("/api/teams/{team_id}/members"))
        .bearer(vt)
        .send()
        .text();
    assert!(
        members.contains(&mate.user_id) && !members.contains(&attacker.user_id),
        "{members}"
    );

    eprintln!(
        "cross-tenant matrix: {routes} object routes, {list_routes} list routes, {} attacker cases, {checks} checks",
        cases.len()
    );
}
