//! Every HTTP component's own health route (`/health` in auth, `/health/<component>` in the
//! others, exact routes of spin.toml, one implementation in `edge::health`) answers 200 with
//! the SQLite and key-value checks: on the whole app, and on a process keeping only the
//! components of one selective SpinApp, probed on that SpinApp's own readiness and liveness
//! paths, as SpinKube would.

use e2e::deploy::{SpinManifest, load_spinkube_docs, yaml_get, yaml_str};
use e2e::{AppOptions, Resp, spawn_app, spawn_app_with};
use std::collections::BTreeSet;

/// The health routes of spin.toml: exact routes `/health` or `/health/<component>`.
fn health_routes(spin: &SpinManifest) -> Vec<(String, String)> {
    spin.routes
        .iter()
        .filter(|r| r.wildcard_prefix().is_none())
        .filter(|r| r.route == "/health" || r.route.starts_with("/health/"))
        .map(|r| (r.route.clone(), r.component.clone()))
        .collect()
}

fn assert_healthy(r: &Resp, what: &str) {
    assert_eq!(r.status, 200, "{what}: {}", r.text());
    let body = r.json();
    assert_eq!(body["status"], "healthy", "{what}: {body}");
    assert!(
        body["timestamp"].as_i64().expect("timestamp") > 1_700_000_000_000,
        "{what}: {body}"
    );
    assert!(body["version"].is_string(), "{what}: {body}");
    for check in ["sqlite", "keyValue"] {
        assert_eq!(body["checks"][check]["status"], "ok", "{what}: {body}");
        assert!(
            body["checks"][check]["latencyMs"].is_u64(),
            "{what}: {body}"
        );
    }
    let checks = body["checks"].as_object().expect("checks");
    assert_eq!(
        checks.len(),
        2,
        "{what}: exactly the two store checks: {body}"
    );
}

#[test]
fn every_routed_component_has_its_own_health_route() {
    let spin = SpinManifest::load().expect("spin.toml");
    let routes = health_routes(&spin);
    let with_health: BTreeSet<String> = routes.iter().map(|(_, c)| c.clone()).collect();
    assert_eq!(with_health, spin.routed_components(), "{routes:?}");
    for (route, component) in &routes {
        assert!(
            route == "/health" || *route == format!("/health/{component}"),
            "{route} is served by {component}: name it /health/{component}"
        );
    }
}

#[test]
fn every_health_route_answers_200_with_the_store_checks() {
    let spin = SpinManifest::load().expect("spin.toml");
    let app = spawn_app();
    let routes = health_routes(&spin);
    assert!(routes.len() >= 4, "{routes:?}");
    for (route, component) in &routes {
        assert_healthy(
            &app.get(route).send(),
            &format!("GET {route} ({component})"),
        );
    }
    // The auth `/health` body is the one it always was: the same keys, nothing more.
    let body = app.get("/health").send().json();
    let keys: BTreeSet<&str> = body
        .as_object()
        .expect("object")
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(
        keys,
        BTreeSet::from(["status", "timestamp", "version", "checks"])
    );
    // Below a health route is nothing of the component's (auth's catch-all answers 404).
    let r = app.get("/health/profiles/x").send();
    assert_eq!(r.status, 404, "{}", r.text());
}

#[test]
fn each_selective_spinapp_answers_its_own_probes_with_only_its_components() {
    let mut seen = 0;
    for (file, doc) in load_spinkube_docs().expect("deploy/spinkube/*.yaml") {
        if yaml_str(&doc, &["kind"]) != Some("SpinApp") {
            continue;
        }
        let Some(components) =
            yaml_get(&doc, &["spec", "components"]).and_then(|c| c.as_sequence())
        else {
            continue;
        };
        let name = yaml_str(&doc, &["metadata", "name"]).unwrap_or("<unnamed>");
        let component_ids: Vec<String> = components
            .iter()
            .filter_map(|c| c.as_str().map(str::to_owned))
            .collect();
        let app = spawn_app_with(AppOptions {
            component_ids: component_ids.clone(),
            ..Default::default()
        });
        for probe in ["readiness", "liveness"] {
            let path = yaml_str(&doc, &["spec", "checks", probe, "httpGet", "path"])
                .unwrap_or_else(|| panic!("{}: {name} has no {probe} path", file.display()));
            assert_healthy(
                &app.get(path).send(),
                &format!(
                    "{}: {name} ({component_ids:?}) {probe} GET {path}",
                    file.display()
                ),
            );
            seen += 1;
        }
    }
    assert!(seen >= 8, "probed {seen} paths");
}
