//! Every route this component serves. `docs/openapi.json` documents exactly
//! these (a unit test checks it), and spin.toml routes their prefixes here.

use edge::{Method, Route, Router};

use crate::handlers::{captures, health, image, upload};

pub static ROUTES: &[Route] = &[
    // Exact route in spin.toml: this component's own health check.
    Route::new(Method::Get, "/health/captures", health::health),
    Route::new(Method::Get, "/api/v1/captures", captures::list),
    Route::new(Method::Post, "/api/v1/captures/upload", upload::upload),
    Route::new(Method::Get, "/api/v1/captures/:id", captures::get),
    Route::new(Method::Delete, "/api/v1/captures/:id", captures::delete),
    Route::new(Method::Get, "/api/v1/captures/:id/image", image::image),
];

pub static ROUTER: Router = Router::new(ROUTES);

#[cfg(test)]
mod tests {
    use super::ROUTES;
    use serde_json::Value;

    /// The prefix spin.toml routes to this component (`/…` and exact).
    const OURS: &str = "/api/v1/captures";
    /// The exact routes spin.toml sends to this component.
    const EXACT: &[&str] = &["/health/captures", "/api/v1/captures"];

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
    fn every_documented_route_under_our_prefix_is_served() {
        let doc = document();
        for (path, item) in doc["paths"].as_object().expect("paths") {
            let ours = path == OURS || path.starts_with(&format!("{OURS}/"));
            if !ours && !EXACT.contains(&path.as_str()) {
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
    fn every_route_is_one_spin_toml_sends_here() {
        let manifest = include_str!("../../../spin.toml");
        assert!(
            manifest.contains(&format!("route = \"{OURS}/...\"\ncomponent = \"captures\"")),
            "spin.toml does not route {OURS}/... to captures"
        );
        for route in EXACT {
            assert!(
                manifest.contains(&format!("route = \"{route}\"\ncomponent = \"captures\"")),
                "spin.toml does not route {route} to captures"
            );
        }
        for route in ROUTES {
            assert!(
                route.pattern.starts_with(&format!("{OURS}/")) || EXACT.contains(&route.pattern),
                "{} is outside the component's routes",
                route.pattern
            );
        }
    }
}
