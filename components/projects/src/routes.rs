//! Every route this component serves. `docs/openapi.json` documents exactly
//! these (a unit test checks it), and spin.toml routes their prefixes here.

use edge::{Method, Route, Router};

use crate::handlers::{flows, health, projects, test_plans};

pub static ROUTES: &[Route] = &[
    // Exact route in spin.toml: this component's own health check.
    Route::new(Method::Get, "/health/projects", health::health),
    Route::new(Method::Get, "/api/v1/projects", projects::list),
    Route::new(Method::Post, "/api/v1/projects", projects::create),
    // Before `/:id`, so that it is not read as a project id.
    Route::new(
        Method::Post,
        "/api/v1/projects/by-hostname",
        projects::by_hostname,
    ),
    Route::new(Method::Get, "/api/v1/projects/:id", projects::get),
    Route::new(Method::Put, "/api/v1/projects/:id", projects::update),
    Route::new(Method::Delete, "/api/v1/projects/:id", projects::delete),
    Route::new(Method::Get, "/api/v1/test-plans", test_plans::list),
    Route::new(Method::Post, "/api/v1/test-plans", test_plans::create),
    Route::new(Method::Get, "/api/v1/test-plans/:id", test_plans::get),
    Route::new(Method::Put, "/api/v1/test-plans/:id", test_plans::update),
    Route::new(Method::Delete, "/api/v1/test-plans/:id", test_plans::delete),
    Route::new(Method::Get, "/api/v1/flows", flows::list),
    Route::new(Method::Post, "/api/v1/flows", flows::create),
    Route::new(Method::Get, "/api/v1/flows/:id", flows::get),
    Route::new(Method::Put, "/api/v1/flows/:id", flows::update),
    Route::new(Method::Delete, "/api/v1/flows/:id", flows::delete),
    Route::new(
        Method::Get,
        "/api/v1/flows/:id/executions",
        flows::list_executions,
    ),
    Route::new(Method::Post, "/api/v1/flows/:id/executions", flows::start),
    Route::new(
        Method::Get,
        "/api/v1/flows/:id/executions/:execId",
        flows::get_execution,
    ),
    Route::new(
        Method::Post,
        "/api/v1/flows/:id/executions/:execId/finish",
        flows::finish,
    ),
];

pub static ROUTER: Router = Router::new(ROUTES);

#[cfg(test)]
mod tests {
    use super::ROUTES;
    use serde_json::Value;

    /// The prefixes spin.toml routes to this component.
    const OURS: &[&str] = &["/api/v1/projects", "/api/v1/test-plans", "/api/v1/flows"];
    /// The exact routes spin.toml sends to this component.
    const EXACT: &[&str] = &["/health/projects"];

    fn document() -> Value {
        serde_json::from_str(include_str!("../../../docs/openapi.json"))
            .expect("docs/openapi.json is JSON")
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
    fn every_route_served_is_documented() {
        let doc = document();
        for route in ROUTES {
            let path = openapi_path(route.pattern);
            let method = route.method.as_str().to_ascii_lowercase();
            assert!(
                doc["paths"][&path][&method].is_object(),
                "{} {} is missing from docs/openapi.json",
                route.method.as_str(),
                route.pattern
            );
        }
    }

    #[test]
    fn every_documented_route_under_our_prefixes_is_served() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            if !OURS.iter().any(|p| path.starts_with(p)) && !EXACT.contains(&path.as_str()) {
                continue;
            }
            for method in item.as_object().expect("path item").keys() {
                if method == "parameters" {
                    continue;
                }
                assert!(
                    ROUTES.iter().any(|r| openapi_path(r.pattern) == *path
                        && r.method.as_str().eq_ignore_ascii_case(method)),
                    "{method} {path} is documented but not served"
                );
            }
        }
    }

    #[test]
    fn every_route_is_under_a_prefix_spin_toml_sends_here() {
        let manifest = include_str!("../../../spin.toml");
        for prefix in OURS {
            assert!(
                manifest.contains(&format!(
                    "route = \"{prefix}/...\"\ncomponent = \"projects\""
                )),
                "spin.toml does not route {prefix}/... to projects"
            );
        }
        for route in EXACT {
            assert!(
                manifest.contains(&format!("route = \"{route}\"\ncomponent = \"projects\"")),
                "spin.toml does not route {route} to projects"
            );
        }
        for route in ROUTES {
            assert!(
                OURS.iter().any(|p| route.pattern.starts_with(p)) || EXACT.contains(&route.pattern),
                "{} is outside the component's prefixes",
                route.pattern
            );
        }
    }
}
