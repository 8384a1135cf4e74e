//! `GET /openapi.json`: the OpenAPI 3.1 document of every route the app
//! serves, kept in `docs/openapi.json` and compiled in.

use edge::{ApiError, Ctx, Response};

/// The document, as committed.
pub const OPENAPI_JSON: &str = include_str!("../../../../docs/openapi.json");

/// `GET /openapi.json`.
pub fn openapi(_ctx: &mut Ctx) -> Result<Response, ApiError> {
    Ok(Response::raw_json(200, OPENAPI_JSON.as_bytes().to_vec())
        .with_header("cache-control", "public, max-age=300"))
}

#[cfg(test)]
mod tests {
    use super::OPENAPI_JSON;
    use crate::routes::ROUTES;
    use serde_json::Value;

    fn document() -> Value {
        serde_json::from_str(OPENAPI_JSON).expect("docs/openapi.json is JSON")
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
    fn every_documented_auth_route_is_served() {
        let doc = document();
        let paths = doc["paths"].as_object().expect("paths");
        let ours = [
            "/health",
            "/openapi.json",
            "/auth/",
            "/api/keys",
            "/api/v1/info",
        ];
        for (path, item) in paths {
            if !ours.iter().any(|p| path.starts_with(p)) {
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
}
