//! The API fuzzed from its own specification: schemathesis (PyPI, pinned and installed by
//! scripts/ensure-test-tools) reads `GET /openapi.json` from the runner and sends thousands of
//! generated requests, valid and invalid, to every documented operation with a desktop key and an
//! extension key; not one may be answered 5xx. Deterministic generation, so a failure replays.

use std::path::PathBuf;
use std::process::Command;

use e2e::fake_stripe::FakeStripe;
use e2e::{AppOptions, json, spawn_app_with};

fn schemathesis() -> PathBuf {
    if let Some(bin) = std::env::var_os("E2E_SCHEMATHESIS") {
        return PathBuf::from(bin);
    }
    let home = std::env::var_os("HOME").expect("HOME");
    PathBuf::from(home).join(".cache/browsercloud/tools/schemathesis/bin/st")
}

#[test]
fn no_generated_request_gets_a_server_error() {
    let st = schemathesis();
    assert!(
        st.exists(),
        "{} is missing: run scripts/ensure-test-tools (scripts/test does)",
        st.display()
    );
    // Limits high enough that the fuzzer is never measuring 429s or plan limits.
    let mut opts = AppOptions::default();
    for name in [
        "rate_limit_per_minute",
        "rate_limit_user_per_minute",
        "billing_free_requests_per_minute",
    ] {
        opts = opts.variable(name, "1000000000");
    }
    // Billing's Stripe calls go to a fake Stripe (a 503 billing_not_configured would be a 5xx).
    let stripe = FakeStripe::start();
    opts = opts
        .variable("stripe_secret_key", "sk_test_fuzz")
        .variable("stripe_api_base", &stripe.base_url)
        .variable("stripe_price_pro", "price_fuzz_pro")
        .variable("stripe_price_team", "price_fuzz_team");
    let app = spawn_app_with(opts);
    let r = app.post("/auth/register").json(&json!({
        "email": "fuzz@example.com",
        "password": "fuzz password 123456",
        "name": "Fuzz",
    }));
    assert_eq!(r.status, 201, "{}", r.text());
    let token = app
        .post("/auth/login")
        .json(&json!({ "email": "fuzz@example.com", "password": "fuzz password 123456" }))
        .json()["token"]
        .as_str()
        .expect("token")
        .to_owned();
    let key = |kind: &str| {
        let r = app
            .post("/api/keys")
            .bearer(&token)
            .json(&json!({ "name": kind, "kind": kind }));
        assert_eq!(r.status, 201, "{}", r.text());
        r.json()["key"].as_str().expect("key").to_owned()
    };
    let (desktop, extension) = (key("desktop"), key("extension"));
    let out = Command::new(&st)
        .args(["run", &format!("{}/openapi.json", app.base_url)])
        .args(["--url", &app.base_url])
        .args(["--checks", "not_a_server_error"])
        .args(["--max-examples", "20", "--generation-deterministic"])
        .args(["--request-timeout", "10", "--warnings", "off"])
        .args(["-H", &format!("Authorization: Bearer {desktop}")])
        .args(["-H", &format!("X-Api-Key: {extension}")])
        // Header values stay ASCII: see the hooks file for why.
        .env("SCHEMATHESIS_HOOKS", "schemathesis_hooks")
        .env("PYTHONPATH", e2e::repo_root().join("tests/e2e"))
        .env("NO_COLOR", "1")
        .output()
        .expect("run schemathesis");
    let report = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "schemathesis found server errors ({}):\n{report}\n{}\nrunner log:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        app.logs()
    );
    assert!(report.contains("No issues found"), "{report}");
    // It did test every documented operation (schemathesis leaves out the document itself).
    let doc = app.get("/openapi.json").send().json();
    let operations: usize = doc["paths"]
        .as_object()
        .expect("paths")
        .iter()
        .filter(|(path, _)| path.as_str() != "/openapi.json")
        .map(|(_, item)| {
            ["get", "post", "put", "patch", "delete"]
                .iter()
                .filter(|m| item.get(**m).is_some())
                .count()
        })
        .sum();
    assert!(
        report.contains(&format!("Tested: {operations}")),
        "not every one of the {operations} operations was tested:\n{report}"
    );
    assert!(
        !app.logs().contains("-> 5"),
        "a 5xx in the runner log:\n{}",
        app.logs()
    );
}
