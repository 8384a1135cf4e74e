//! The auth component and the identity dependency over real HTTP: every
//! route's success path and every bad input of the foundation issue.

use e2e::{AppOptions, Resp, TEST_JWT_SECRET, TestApp, json, spawn_app, spawn_app_with};

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

/// Just enough JWT for the tests: decode, and sign HS256 (SHA-256 and HMAC
/// written out here so the harness needs no crypto dependency).
mod jwt {
    use serde_json::Value;

    fn b64url_decode(s: &str) -> Vec<u8> {
        let val = |c: u8| match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'-' => 62,
            _ => 63,
        };
        let bytes: Vec<u8> = s.bytes().filter(|&c| c != b'=').map(val).collect();
        let mut out = Vec::new();
        for chunk in bytes.chunks(4) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &v)| acc | (u32::from(v) << (18 - 6 * i)));
            for i in 0..chunk.len().saturating_sub(1) {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        out
    }

    pub fn b64url(input: &[u8]) -> String {
        const T: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
        let mut out = String::new();
        for chunk in input.chunks(3) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |acc, (i, &b)| acc | (u32::from(b) << (16 - 8 * i)));
            for i in 0..=chunk.len() {
                out.push(T[((n >> (18 - 6 * i)) & 63) as usize] as char);
            }
        }
        out
    }

    fn part(token: &str, index: usize) -> Value {
        let seg = token.split('.').nth(index).expect("segment");
        serde_json::from_slice(&b64url_decode(seg)).expect("JSON segment")
    }

    pub fn header(token: &str) -> Value {
        part(token, 0)
    }

    pub fn claims(token: &str) -> Value {
        part(token, 1)
    }

    pub fn sign_hs256(claims: &Value, secret: &[u8]) -> String {
        let signing_input = format!(
            "{}.{}",
            b64url(br#"{"alg":"HS256","typ":"JWT"}"#),
            b64url(claims.to_string().as_bytes())
        );
        format!(
            "{signing_input}.{}",
            b64url(&hmac_sha256(secret, signing_input.as_bytes()))
        )
    }

    fn hmac_sha256(key: &[u8], message: &[u8]) -> [u8; 32] {
        let mut block = [0u8; 64];
        if key.len() > 64 {
            block[..32].copy_from_slice(&sha256(key));
        } else {
            block[..key.len()].copy_from_slice(key);
        }
        let inner: Vec<u8> = block
            .iter()
            .map(|b| b ^ 0x36)
            .chain(message.iter().copied())
            .collect();
        let outer: Vec<u8> = block
            .iter()
            .map(|b| b ^ 0x5c)
            .chain(sha256(&inner))
            .collect();
        sha256(&outer)
    }

    fn sha256(data: &[u8]) -> [u8; 32] {
        const K: [u32; 64] = [
            0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
            0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
            0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
            0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
            0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
            0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
            0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
            0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
            0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
            0xc67178f2,
        ];
        let mut h: [u32; 8] = [
            0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab,
            0x5be0cd19,
        ];
        let mut msg = data.to_vec();
        msg.push(0x80);
        while msg.len() % 64 != 56 {
            msg.push(0);
        }
        msg.extend_from_slice(&((data.len() as u64) * 8).to_be_bytes());
        for chunk in msg.chunks(64) {
            let mut w = [0u32; 64];
            for (i, word) in chunk.chunks(4).enumerate() {
                w[i] = u32::from_be_bytes([word[0], word[1], word[2], word[3]]);
            }
            for i in 16..64 {
                let s0 = w[i - 15].rotate_right(7) ^ w[i - 15].rotate_right(18) ^ (w[i - 15] >> 3);
                let s1 = w[i - 2].rotate_right(17) ^ w[i - 2].rotate_right(19) ^ (w[i - 2] >> 10);
                w[i] = w[i - 16]
                    .wrapping_add(s0)
                    .wrapping_add(w[i - 7])
                    .wrapping_add(s1);
            }
            let mut v = h;
            for i in 0..64 {
                let s1 = v[4].rotate_right(6) ^ v[4].rotate_right(11) ^ v[4].rotate_right(25);
                let ch = (v[4] & v[5]) ^ (!v[4] & v[6]);
                let t1 = v[7]
                    .wrapping_add(s1)
                    .wrapping_add(ch)
                    .wrapping_add(K[i])
                    .wrapping_add(w[i]);
                let s0 = v[0].rotate_right(2) ^ v[0].rotate_right(13) ^ v[0].rotate_right(22);
                let maj = (v[0] & v[1]) ^ (v[0] & v[2]) ^ (v[1] & v[2]);
                let t2 = s0.wrapping_add(maj);
                v = [
                    t1.wrapping_add(t2),
                    v[0],
                    v[1],
                    v[2],
                    v[3].wrapping_add(t1),
                    v[4],
                    v[5],
                    v[6],
                ];
            }
            for (hi, vi) in h.iter_mut().zip(v) {
                *hi = hi.wrapping_add(vi);
            }
        }
        let mut out = [0u8; 32];
        for (i, word) in h.iter().enumerate() {
            out[i * 4..i * 4 + 4].copy_from_slice(&word.to_be_bytes());
        }
        out
    }

    #[test]
    fn sha256_and_hmac_match_known_vectors() {
        let hex = |b: &[u8]| b.iter().map(|x| format!("{x:02x}")).collect::<String>();
        assert_eq!(
            hex(&sha256(b"abc")),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        // RFC 4231 test case 2.
        assert_eq!(
            hex(&hmac_sha256(b"Jefe", b"what do ya want for nothing?")),
            "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"
        );
    }
}
