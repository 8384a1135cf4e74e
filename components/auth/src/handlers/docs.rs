//! `GET /openapi.json`: the OpenAPI 3.1 document of every route the app
//! serves, kept in `docs/openapi.json` and compiled in (checked against
//! every component's route table by tests/e2e/tests/openapi.rs).

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
    use serde_json::Value;

    // That the document lists every route of every component, and that every
    // documented route is served, is checked against the running app in
    // tests/e2e/tests/openapi.rs (it needs all components' tables).

    #[test]
    fn the_compiled_in_document_is_openapi_3_1() {
        let doc: Value = serde_json::from_str(OPENAPI_JSON).expect("docs/openapi.json is JSON");
        assert!(doc["openapi"].as_str().expect("openapi").starts_with("3.1"));
        assert!(doc["info"]["title"].is_string());
        assert!(doc["paths"]["/openapi.json"]["get"].is_object());
    }
}
