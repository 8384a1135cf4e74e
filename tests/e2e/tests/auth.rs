//! The auth component and the identity dependency over real HTTP: every
//! route's success path and every bad input of the foundation issue.

use e2e::{AppOptions, Resp, TEST_JWT_SECRET, TestApp, json, jwt, spawn_app, spawn_app_with};

const PASSWORD: &str = "correct horse battery";

fn register(app: &TestApp, email: &str) -> Resp {
    app.post("/auth/register")
        .json(&json!({ "email": email, "password": PASSWORD, "name": "Ann Lee" }))
}

fn login(app: &TestApp, email: &str) -> String {
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": email, "password": PASSWORD }));
    assert_eq!(r.status, 200, "{}", r.text());
    r.json()["token"].as_str().expect("token").to_owned()
}

/// A registered, logged-in user: returns the session token.
fn user(app: &TestApp, email: &str) -> String {
    let r = register(app, email);
    assert_eq!(r.status, 201, "{}", r.text());
    login(app, email)
}

/// Creates an API key with the session token; returns (key, id).
fn api_key(app: &TestApp, token: &str, kind: &str) -> (String, String) {
    let r = app
        .post("/api/keys")
        .bearer(token)
        .json(&json!({ "name": format!("{kind} key"), "kind": kind }));
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    (
        body["key"].as_str().expect("key").to_owned(),
        body["apiKey"]["id"].as_str().expect("id").to_owned(),
    )
}

fn assert_error(r: &Resp, status: u16, code: &str) {
    assert_eq!(r.status, status, "{}", r.text());
    let body = r.json();
    assert_eq!(body["success"], false, "{body}");
    assert_eq!(body["code"], code, "{body}");
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{body}"
    );
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

// ---------------------------------------------------------------- meta routes

#[test]
fn health_reports_status_timestamp_version_and_store_checks() {
    let app = spawn_app();
    let r = app.get("/health").send();
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["status"], "healthy");
    assert!(body["timestamp"].as_i64().expect("timestamp") > 1_700_000_000_000);
    assert!(body["version"].is_string());
    assert_eq!(body["checks"]["sqlite"]["status"], "ok");
    assert_eq!(body["checks"]["keyValue"]["status"], "ok");
}

#[test]
fn openapi_document_is_openapi_3_1_and_lists_the_auth_routes() {
    let app = spawn_app();
    let r = app.get("/openapi.json").send();
    assert_eq!(r.status, 200);
    let doc = r.json();
    assert!(doc["openapi"].as_str().expect("version").starts_with("3.1"));
    for (path, method) in [
        ("/auth/register", "post"),
        ("/auth/login", "post"),
        ("/auth/logout", "post"),
        ("/auth/me", "get"),
        ("/api/keys", "post"),
        ("/api/keys", "get"),
        ("/api/keys/{id}", "delete"),
        ("/api/v1/info", "get"),
        ("/health", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
}

#[test]
fn an_unknown_path_is_a_json_404() {
    let app = spawn_app();
    assert_error(&app.get("/no/such/thing").send(), 404, "route_not_found");
    assert_error(&app.get("/auth/nope").send(), 404, "route_not_found");
}

#[test]
fn a_wrong_method_on_a_known_path_is_405_with_allow() {
    let app = spawn_app();
    let r = app.put("/auth/login").json(&json!({}));
    assert_error(&r, 405, "method_not_allowed");
    assert!(r.header("allow").expect("allow").contains("POST"));
    assert_error(&app.delete("/api/keys").send(), 405, "method_not_allowed");
}

#[test]
fn every_response_carries_a_request_id_and_security_headers() {
    let app = spawn_app();
    for r in [
        app.get("/health").send(),
        app.get("/nope").send(),
        app.get("/auth/me").send(),
    ] {
        assert!(r.header("x-request-id").is_some_and(|id| id.len() >= 8));
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(r.header("x-frame-options"), Some("DENY"));
        assert_eq!(r.header("referrer-policy"), Some("no-referrer"));
    }
    let r = app
        .get("/health")
        .header("X-Request-Id", "client-chosen-id-42")
        .send();
    assert_eq!(r.header("x-request-id"), Some("client-chosen-id-42"));
}

// ------------------------------------------------------------------- register

#[test]
fn register_normalises_the_email_and_creates_a_personal_team() {
    let app = spawn_app();
    let r = register(&app, "  Ann.Lee@Example.COM ");
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    assert_eq!(body["user"]["email"], "ann.lee@example.com");
    assert_eq!(body["user"]["name"], "Ann Lee");
    assert!(
        body["user"].get("passwordHash").is_none() && body["user"].get("password_hash").is_none()
    );
    assert_eq!(body["team"]["personal"], true);
    assert_eq!(body["team"]["role"], "owner");
}

#[test]
fn registering_an_email_twice_in_any_case_is_409() {
    let app = spawn_app();
    assert_eq!(register(&app, "ann@example.com").status, 201);
    assert_error(&register(&app, "ANN@example.com"), 409, "email_taken");
}

#[test]
fn a_weak_password_is_422_naming_the_field() {
    let app = spawn_app();
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": "ann@example.com", "password": "short", "name": "Ann" }));
    assert_error(&r, 422, "validation_failed");
    assert_eq!(field_names(&r), ["password"]);
}

#[test]
fn every_invalid_field_is_named_at_once() {
    let app = spawn_app();
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": "not-an-email", "password": "aaaaaaaaaaaa", "name": "  " }));
    assert_error(&r, 422, "validation_failed");
    assert_eq!(field_names(&r), ["email", "password", "name"]);
}

#[test]
fn a_missing_field_is_422_naming_it() {
    let app = spawn_app();
    let r = app
        .post("/auth/register")
        .json(&json!({ "email": "ann@example.com", "password": PASSWORD }));
    assert_eq!(r.status, 422, "{}", r.text());
    assert_eq!(field_names(&r), ["name"]);
}

#[test]
fn malformed_json_is_400_saying_what_is_wrong() {
    let app = spawn_app();
    let r = app
        .post("/auth/register")
        .header("Content-Type", "application/json")
        .send_bytes(br#"{"email": "ann@example.com","#);
    assert_error(&r, 400, "malformed_json");
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("line 1"),
        "{}",
        r.text()
    );
}

#[test]
fn a_body_that_is_not_json_is_415() {
    let app = spawn_app();
    let r = app
        .post("/auth/register")
        .header("Content-Type", "text/plain")
        .send_bytes(b"email=ann");
    assert_error(&r, 415, "unsupported_media_type");
}

#[test]
fn a_body_over_the_limit_is_413() {
    let app = spawn_app_with(AppOptions::default().variable("max_body_bytes", "1024"));
    let big = json!({ "email": "ann@example.com", "password": "x".repeat(4000), "name": "Ann" });
    assert_error(
        &app.post("/auth/register").json(&big),
        413,
        "payload_too_large",
    );
}

// ---------------------------------------------------------- login, me, logout

#[test]
fn login_returns_a_bearer_token_valid_for_seven_days() {
    let app = spawn_app();
    assert_eq!(register(&app, "ann@example.com").status, 201);
    let r = app
        .post("/auth/login")
        .json(&json!({ "email": "Ann@Example.com", "password": PASSWORD }));
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["tokenType"], "Bearer");
    let claims = jwt::claims(body["token"].as_str().expect("token"));
    let exp = claims["exp"].as_i64().expect("exp");
    let iat = claims["iat"].as_i64().expect("iat");
    assert_eq!(exp - iat, 7 * 24 * 3600);
    assert_eq!(body["expiresAt"].as_i64(), Some(exp * 1000));
    assert_eq!(
        jwt::header(body["token"].as_str().expect("token"))["alg"],
        "HS256"
    );
}

#[test]
fn a_wrong_password_and_an_unknown_email_get_the_same_401() {
    let app = spawn_app();
    assert_eq!(register(&app, "ann@example.com").status, 201);
    let wrong = app
        .post("/auth/login")
        .json(&json!({ "email": "ann@example.com", "password": "not the password" }));
    let unknown = app
        .post("/auth/login")
        .json(&json!({ "email": "bob@example.com", "password": PASSWORD }));
    assert_error(&wrong, 401, "invalid_credentials");
    assert_error(&unknown, 401, "invalid_credentials");
    assert_eq!(wrong.json()["message"], unknown.json()["message"]);
}

#[test]
fn me_returns_the_user_team_and_credential_with_rate_limit_headers() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let r = app.get("/auth/me").bearer(&token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["user"]["email"], "ann@example.com");
    assert!(body["user"]["lastLogin"].is_i64());
    assert_eq!(body["team"]["role"], "owner");
    assert_eq!(body["credential"]["kind"], "jwt");
    assert_eq!(r.header("x-ratelimit-limit"), Some("600"));
    assert!(r.header("x-ratelimit-remaining").is_some());
    assert!(
        r.header("x-ratelimit-reset")
            .and_then(|v| v.parse::<u64>().ok())
            .is_some()
    );
}

#[test]
fn logout_revokes_the_session_token_at_once() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let r = app.post("/auth/logout").bearer(&token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["success"], true);
    assert_error(
        &app.get("/auth/me").bearer(&token).send(),
        401,
        "credentials_revoked",
    );
    // Another session of the same user is unaffected.
    let other = login(&app, "ann@example.com");
    assert_eq!(app.get("/auth/me").bearer(&other).send().status, 200);
}

#[test]
fn logout_with_an_api_key_is_400() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let (key, _) = api_key(&app, &token, "desktop");
    assert_error(
        &app.post("/auth/logout").bearer(&key).send(),
        400,
        "not_a_session",
    );
}

// ------------------------------------------------------------ bad credentials

#[test]
fn a_request_without_credentials_is_401() {
    let app = spawn_app();
    let r = app.get("/auth/me").send();
    assert_error(&r, 401, "missing_credentials");
    assert_eq!(r.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn a_malformed_authorization_header_is_401() {
    let app = spawn_app();
    for value in ["Basic dXNlcjpwYXNz", "Bearer", "Token abc"] {
        assert_error(
            &app.get("/auth/me").header("Authorization", value).send(),
            401,
            "malformed_credentials",
        );
    }
}

#[test]
fn an_expired_token_is_401() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let mut claims = jwt::claims(&token);
    claims["exp"] = json!(claims["iat"].as_i64().expect("iat") - 3600);
    let expired = jwt::sign_hs256(&claims, TEST_JWT_SECRET.as_bytes());
    assert_error(
        &app.get("/auth/me").bearer(&expired).send(),
        401,
        "credentials_expired",
    );
}

#[test]
fn a_token_with_alg_none_is_401() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let claims = jwt::claims(&token);
    let payload = jwt::b64url(claims.to_string().as_bytes());
    let header = jwt::b64url(br#"{"alg":"none","typ":"JWT"}"#);
    for forged in [
        format!("{header}.{payload}."),
        format!("{header}.{payload}.x"),
    ] {
        let r = app.get("/auth/me").bearer(&forged).send();
        assert_eq!(r.status, 401, "{forged}: {}", r.text());
    }
}

#[test]
fn a_token_signed_with_another_secret_or_tampered_is_401() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let claims = jwt::claims(&token);
    let forged = jwt::sign_hs256(&claims, b"not-the-server-secret-not-the-server-secret");
    assert_error(
        &app.get("/auth/me").bearer(&forged).send(),
        401,
        "invalid_credentials",
    );
    let mut other = claims.clone();
    other["sub"] = json!("someone-else");
    let parts: Vec<&str> = token.split('.').collect();
    let tampered = format!(
        "{}.{}.{}",
        parts[0],
        jwt::b64url(other.to_string().as_bytes()),
        parts[2]
    );
    assert_error(
        &app.get("/auth/me").bearer(&tampered).send(),
        401,
        "invalid_credentials",
    );
}

#[test]
fn an_unknown_api_key_is_401() {
    let app = spawn_app();
    let fake = format!("bgx_{}", "0".repeat(64));
    assert_error(
        &app.get("/api/v1/info").api_key(&fake).send(),
        401,
        "invalid_credentials",
    );
    assert_error(
        &app.get("/auth/me").bearer("bcd_nothing").send(),
        401,
        "invalid_credentials",
    );
}

// ------------------------------------------------------------------- API keys

#[test]
fn an_extension_key_is_shown_once_and_authenticates_with_x_api_key() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let r = app
        .post("/api/keys")
        .bearer(&token)
        .json(&json!({ "name": "Chrome", "kind": "extension" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let body = r.json();
    let key = body["key"].as_str().expect("key");
    assert!(key.starts_with("bgx_"));
    assert!(key.len() >= 4 + 32, "at least 128 random bits");
    assert_eq!(body["apiKey"]["keyPrefix"], &key[..8]);
    assert_eq!(body["apiKey"]["lastFour"], &key[key.len() - 4..]);

    let me = app.get("/auth/me").api_key(key).send();
    assert_eq!(me.status, 200, "{}", me.text());
    assert_eq!(me.json()["credential"]["kind"], "extension");

    let list = app.get("/api/keys").bearer(&token).send();
    assert_eq!(list.status, 200);
    assert!(
        !list.text().contains(&key[8..]),
        "the key is never shown again"
    );
}

#[test]
fn a_desktop_key_authenticates_as_a_bearer_token() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let (key, id) = api_key(&app, &token, "desktop");
    assert!(key.starts_with("bcd_"));
    let r = app.get("/auth/me").bearer(&key).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["credential"]["kind"], "desktop");
    assert_eq!(r.json()["credential"]["keyId"], id.as_str());
}

#[test]
fn listing_keys_shows_prefix_last_four_created_last_used_and_revoked() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let (key, id) = api_key(&app, &token, "extension");
    assert_eq!(app.get("/api/v1/info").api_key(&key).send().status, 200);
    let r = app.get("/api/keys").bearer(&token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["total"], 1);
    let listed = &body["keys"][0];
    assert_eq!(listed["id"], id.as_str());
    assert_eq!(listed["keyPrefix"], &key[..8]);
    assert_eq!(listed["lastFour"], &key[key.len() - 4..]);
    assert!(listed["createdAt"].is_i64());
    assert!(listed["lastUsed"].is_i64(), "{listed}");
    assert_eq!(listed["revoked"], false);
    assert!(listed.get("keyHash").is_none() && listed.get("key").is_none());
}

#[test]
fn a_revoked_key_fails_on_the_very_next_request() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let (key, id) = api_key(&app, &token, "extension");
    assert_eq!(app.get("/api/v1/info").api_key(&key).send().status, 200);
    let r = app.delete(&format!("/api/keys/{id}")).bearer(&token).send();
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["apiKey"]["revoked"], true);
    assert_error(
        &app.get("/api/v1/info").api_key(&key).send(),
        401,
        "credentials_revoked",
    );
    let listed = app.get("/api/keys").bearer(&token).send().json();
    assert!(listed["keys"][0]["revokedAt"].is_i64());
}

#[test]
fn a_user_never_sees_or_revokes_another_users_keys() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let (ann_key, ann_key_id) = api_key(&app, &ann, "extension");
    api_key(&app, &bob, "desktop");

    let bobs = app.get("/api/keys").bearer(&bob).send().json();
    assert_eq!(bobs["total"], 1);
    assert!(!bobs.to_string().contains(&ann_key_id));

    assert_error(
        &app.delete(&format!("/api/keys/{ann_key_id}"))
            .bearer(&bob)
            .send(),
        404,
        "api_key_not_found",
    );
    assert_eq!(
        app.get("/api/v1/info").api_key(&ann_key).send().status,
        200,
        "still valid"
    );
    assert_error(
        &app.delete("/api/keys/not-an-id").bearer(&bob).send(),
        404,
        "api_key_not_found",
    );
}

#[test]
fn creating_a_key_with_a_bad_kind_name_or_scope_is_422_naming_each() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let r = app
        .post("/api/keys")
        .bearer(&token)
        .json(&json!({ "name": "", "kind": "admin", "scopes": ["ok:read", "NOPE"] }));
    assert_error(&r, 422, "validation_failed");
    assert_eq!(field_names(&r), ["name", "kind", "scopes[1]"]);
}

#[test]
fn a_key_cannot_grant_more_than_its_creator_holds() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let r = app
        .post("/api/keys")
        .bearer(&token)
        .json(&json!({ "name": "read only", "kind": "desktop", "scopes": ["profiles:read"] }));
    assert_eq!(r.status, 201, "{}", r.text());
    let limited = r.json()["key"].as_str().expect("key").to_owned();
    // Without keys:read / keys:write it can neither list nor mint keys.
    assert_error(
        &app.get("/api/keys").bearer(&limited).send(),
        403,
        "insufficient_scope",
    );
    assert_error(
        &app.post("/api/keys")
            .bearer(&limited)
            .json(&json!({ "name": "x", "kind": "desktop" })),
        403,
        "insufficient_scope",
    );
}

// -------------------------------------------------------------- /api/v1/info

#[test]
fn info_has_seed_001s_shape() {
    let app = spawn_app();
    let token = user(&app, "ann@example.com");
    let (key, id) = api_key(&app, &token, "extension");
    let r = app.get("/api/v1/info").api_key(&key).send();
    assert_eq!(r.status, 200, "{}", r.text());
    let body = r.json();
    assert_eq!(body["success"], true);
    let k = &body["data"]["key"];
    assert_eq!(k["id"], id.as_str());
    assert_eq!(k["keyPrefix"], &key[..8]);
    assert_eq!(k["lastFour"], &key[key.len() - 4..]);
    let created = k["createdAt"].as_str().expect("ISO date");
    assert!(
        created.len() == 24 && created.ends_with('Z') && created.as_bytes()[10] == b'T',
        "{created}"
    );
    let u = &body["data"]["user"];
    assert_eq!(u["email"], "ann@example.com");
    assert_eq!(u["name"], "Ann Lee");
    assert_eq!(u["subscriptionTier"], "free");
    assert_eq!(u["apiCredits"], 100);
    let created_secs = u["createdAt"].as_i64().expect("seconds");
    assert!(
        (1_700_000_000..10_000_000_000).contains(&created_secs),
        "unix seconds"
    );
    assert!(u["lastLogin"].is_i64());
}

// ---------------------------------------------------------------- rate limits

#[test]
fn the_rate_limit_answers_429_with_retry_after_after_the_configured_count() {
    let app = spawn_app_with(AppOptions::default().variable("rate_limit_per_minute", "3"));
    user(&app, "ann@example.com");
    // A minute boundary between requests restarts the count; then try again at once with a
    // fresh session and key, whose counters start from zero.
    for _attempt in 0..3 {
        let token = login(&app, "ann@example.com");
        let (key, _) = api_key(&app, &token, "extension");
        let responses: Vec<Resp> = (0..4)
            .map(|_| app.get("/api/v1/info").api_key(&key).send())
            .collect();
        let resets: Vec<&str> = responses
            .iter()
            .filter_map(|r| r.header("x-ratelimit-reset"))
            .collect();
        if resets.windows(2).any(|w| w[0] != w[1]) || responses[0].status == 429 {
            continue;
        }
        for (i, r) in responses[..3].iter().enumerate() {
            assert_eq!(r.status, 200, "request {i}: {}", r.text());
            assert_eq!(r.header("x-ratelimit-limit"), Some("3"));
            assert_eq!(
                r.header("x-ratelimit-remaining"),
                Some((2 - i).to_string().as_str())
            );
        }
        let limited = &responses[3];
        assert_error(limited, 429, "rate_limited");
        let retry: u64 = limited
            .header("retry-after")
            .expect("Retry-After")
            .parse()
            .expect("seconds");
        assert!((1..=60).contains(&retry));
        assert_eq!(limited.header("x-ratelimit-remaining"), Some("0"));
        return;
    }
    panic!("could not fit four requests into one minute window");
}

// ----------------------------------------------------------------------- CORS

const EXTENSION_ORIGIN: &str = "chrome-extension://abcdefghijklmnopabcdefghijklmnop";

fn cors_app() -> TestApp {
    spawn_app_with(AppOptions::default().variable(
        "cors_allowed_origins",
        &format!("http://localhost:3000,{EXTENSION_ORIGIN}"),
    ))
}

#[test]
fn a_preflight_from_an_allowed_origin_is_204_with_cors_headers() {
    let app = cors_app();
    let r = app
        .request("OPTIONS", "/api/keys")
        .header("Origin", EXTENSION_ORIGIN)
        .header("Access-Control-Request-Method", "POST")
        .header("Access-Control-Request-Headers", "x-api-key, content-type")
        .send();
    assert_eq!(r.status, 204, "{}", r.text());
    assert_eq!(
        r.header("access-control-allow-origin"),
        Some(EXTENSION_ORIGIN)
    );
    assert!(
        r.header("access-control-allow-methods")
            .expect("methods")
            .contains("POST")
    );
    assert!(
        r.header("access-control-allow-headers")
            .expect("headers")
            .contains("X-Api-Key")
    );
}

#[test]
fn a_preflight_from_a_refused_origin_is_403_without_allow_origin() {
    let app = cors_app();
    for origin in [
        "https://evil.example",
        "chrome-extension://someotherextensionxxxxxxxxxxxxxx",
    ] {
        let r = app
            .request("OPTIONS", "/api/keys")
            .header("Origin", origin)
            .header("Access-Control-Request-Method", "POST")
            .send();
        assert_error(&r, 403, "origin_not_allowed");
        assert_eq!(r.header("access-control-allow-origin"), None);
    }
}

#[test]
fn only_allowed_origins_are_echoed_on_actual_requests() {
    let app = cors_app();
    let ok = app
        .get("/health")
        .header("Origin", "http://localhost:3000")
        .send();
    assert_eq!(
        ok.header("access-control-allow-origin"),
        Some("http://localhost:3000")
    );
    let refused = app
        .get("/health")
        .header("Origin", "https://evil.example")
        .send();
    assert_eq!(refused.header("access-control-allow-origin"), None);
}
