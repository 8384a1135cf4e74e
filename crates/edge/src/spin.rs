//! The glue between Spin's HTTP types and the edge: a component's
//! `#[http_component]` function is one call to [`handle`].

use crate::cors::CorsPolicy;
use crate::request::{Method, Request};
use crate::response::Response;
use crate::router::Router;
use crate::serve::{self, DEFAULT_MAX_BODY_BYTES, EdgeConfig};

/// Variable holding the CORS allow-list.
pub const VAR_CORS_ALLOWED_ORIGINS: &str = "cors_allowed_origins";
/// Variable holding the body limit in bytes.
pub const VAR_MAX_BODY_BYTES: &str = "max_body_bytes";

/// Answers a Spin request with `router`.
pub fn handle(req: spin_sdk::http::Request, router: &Router) -> spin_sdk::http::Response {
    handle_with(req, router, |_| {})
}

/// Like [`handle`], for a component that needs its own settings on top of
/// the shared ones: `configure` gets the configuration read from the
/// variables (e.g. to give this component a larger body limit than
/// `max_body_bytes`, which stays the limit of every other component).
pub fn handle_with(
    req: spin_sdk::http::Request,
    router: &Router,
    configure: impl FnOnce(&mut EdgeConfig),
) -> spin_sdk::http::Response {
    let request = from_spin(req);
    let mut config = load_config();
    configure(&mut config);
    to_spin(serve::serve(request, &config, router))
}

/// Reads the edge's variables. A missing or unreadable variable falls back
/// to its default (no CORS origins, 1 MiB) and is reported as a warning.
pub fn load_config() -> EdgeConfig {
    let mut config = EdgeConfig::default();
    match variable(VAR_CORS_ALLOWED_ORIGINS) {
        Ok(Some(list)) => {
            let (policy, ignored) = CorsPolicy::parse(&list);
            config.cors = policy;
            if !ignored.is_empty() {
                config.warnings.push(format!(
                    "{VAR_CORS_ALLOWED_ORIGINS}: ignored entries that are not exact origins: {ignored:?}"
                ));
            }
        }
        Ok(None) => {}
        Err(e) => config.warnings.push(e),
    }
    match variable(VAR_MAX_BODY_BYTES) {
        Ok(Some(v)) => match v.trim().parse::<usize>() {
            Ok(n) if n > 0 => config.max_body_bytes = n,
            _ => config.warnings.push(format!(
                "{VAR_MAX_BODY_BYTES} = {v:?} is not a positive number; using {DEFAULT_MAX_BODY_BYTES}"
            )),
        },
        Ok(None) => {}
        Err(e) => config.warnings.push(e),
    }
    config
}

/// A Spin variable: `Ok(None)` when the component does not declare it.
pub fn variable(name: &str) -> Result<Option<String>, String> {
    use spin_sdk::variables::Error;
    match spin_sdk::variables::get(name) {
        Ok(v) => Ok(Some(v)),
        Err(Error::Undefined(_)) => Ok(None),
        Err(e) => Err(format!("reading variable {name}: {e}")),
    }
}

fn from_spin(req: spin_sdk::http::Request) -> Request {
    let method = Method::parse(&req.method().to_string());
    let path = req.path().to_owned();
    let query = req.query().to_owned();
    let headers = req
        .headers()
        .map(|(name, value)| {
            (
                name.to_ascii_lowercase(),
                String::from_utf8_lossy(value.as_bytes()).into_owned(),
            )
        })
        .collect();
    Request {
        method,
        path,
        query,
        headers,
        body: req.into_body(),
    }
}

fn to_spin(response: Response) -> spin_sdk::http::Response {
    let mut builder = spin_sdk::http::Response::builder();
    builder.status(response.status);
    for (name, value) in response.headers {
        builder.header(name, value);
    }
    builder.body(response.body).build()
}
