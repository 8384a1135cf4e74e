//! `docs/openapi.json` against what the app serves, in both directions:
//!
//! - every route in every component's route table (`components/*/src/routes.rs`)
//!   is documented;
//! - every documented operation reaches a handler through the real
//!   `spin.toml` routing and the component's table: called on the running
//!   app it answers anything but `route_not_found` / `method_not_allowed`.

use std::path::PathBuf;

use e2e::{repo_root, spawn_app};
use serde_json::Value;

/// Stands in for path parameters: the shape of our ids, matching no row.
const SAMPLE_ID: &str = "0123456789abcdef0123456789abcdef";

fn document() -> Value {
    let text =
        std::fs::read_to_string(repo_root().join("docs/openapi.json")).expect("docs/openapi.json");
    serde_json::from_str(&text).expect("docs/openapi.json is JSON")
}

/// `(METHOD, "/pattern/:param")` of every `Route::new(Method::X, "…", …)` in
/// a component's `src/routes.rs`.
fn route_table(routes_rs: &str) -> Vec<(String, String)> {
    let mut routes = Vec::new();
    for chunk in routes_rs.split("Route::new(").skip(1) {
        let rest = chunk.trim_start();
        let Some(rest) = rest.strip_prefix("Method::") else {
            continue;
        };
        let method: String = rest
            .chars()
            .take_while(char::is_ascii_alphanumeric)
            .collect();
        let Some(start) = rest.find('"') else {
            continue;
        };
        let Some(len) = rest[start + 1..].find('"') else {
            continue;
        };
        routes.push((
            method.to_ascii_uppercase(),
            rest[start + 1..start + 1 + len].to_owned(),
        ));
    }
    routes
}

fn component_route_tables() -> Vec<(String, Vec<(String, String)>)> {
    let mut tables = Vec::new();
    let dir = repo_root().join("components");
    let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)
        .expect("components/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for component in entries {
        let file = component.join("src/routes.rs");
        let Ok(text) = std::fs::read_to_string(&file) else {
            continue; // a library component (identity, locks) serves no routes
        };
        let routes = route_table(&text);
        assert_eq!(
            routes.len(),
            text.matches("Route::new(").count(),
            "{}: every Route::new(Method::X, \"/path\", …) must be readable by this test",
            file.display()
        );
        let name = component
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        tables.push((name, routes));
    }
    tables
}

fn openapi_path(pattern: &str) -> String {
    pattern
        .split('/')
        .map(|s| match s.strip_prefix(':') {
            Some(name) => format!("{{{name}}}"),
            None => s.to_owned(),
        })
        .collect::<Vec<_>>()
        .join("/")
}

#[test]
fn the_document_is_openapi_3_1() {
    let doc = document();
    assert!(doc["openapi"].as_str().expect("openapi").starts_with("3.1"));
    assert!(doc["info"]["title"].is_string());
}

#[test]
fn every_route_of_every_component_is_documented() {
    let doc = document();
    let tables = component_route_tables();
    assert!(
        tables.iter().any(|(name, _)| name == "auth"),
        "found the route tables"
    );
    for (component, routes) in tables {
        assert!(!routes.is_empty(), "{component} has routes");
        for (method, pattern) in routes {
            let path = openapi_path(&pattern);
            assert!(
                doc["paths"][&path][method.to_ascii_lowercase()].is_object(),
                "{method} {pattern} ({component}) is missing from docs/openapi.json"
            );
        }
    }
}

#[test]
fn every_documented_operation_is_served_by_some_component() {
    let doc = document();
    let app = spawn_app();
    let paths = doc["paths"].as_object().expect("paths");
    let mut checked = 0;
    for (path, item) in paths {
        let concrete: String = path
            .split('/')
            .map(|s| {
                if s.starts_with('{') && s.ends_with('}') {
                    SAMPLE_ID
                } else {
                    s
                }
            })
            .collect::<Vec<_>>()
            .join("/");
        for method in item.as_object().expect("path item").keys() {
            if !["get", "post", "put", "patch", "delete"].contains(&method.as_str()) {
                continue;
            }
            let r = app.request(&method.to_ascii_uppercase(), &concrete).send();
            let code = serde_json::from_slice::<Value>(&r.body)
                .ok()
                .and_then(|b| b["code"].as_str().map(str::to_owned))
                .unwrap_or_default();
            assert!(
                code != "route_not_found" && code != "method_not_allowed",
                "{} {path} is documented but not served (got {} {code})",
                method.to_ascii_uppercase(),
                r.status
            );
            checked += 1;
        }
    }
    assert!(checked > 30, "checked {checked} operations");
}

#[test]
fn the_route_table_reader_reads_multi_line_entries() {
    let text = r#"
        Route::new(Method::Get, "/a", h::a),
        Route::new(
            Method::Post,
            "/b/:id/c",
            h::b,
        ),
    "#;
    assert_eq!(
        route_table(text),
        vec![
            ("GET".to_string(), "/a".to_string()),
            ("POST".to_string(), "/b/:id/c".to_string())
        ]
    );
}
