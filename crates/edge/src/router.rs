//! A table of `method + pattern -> handler`. Patterns are literal segments
//! and `:name` parameters: `/api/keys/:id`. A trailing slash is ignored.

use crate::error::ApiError;
use crate::request::{Ctx, Method};
use crate::response::Response;

/// A handler: reads the context, returns a response or the error to answer.
pub type Handler = fn(&mut Ctx) -> Result<Response, ApiError>;

/// One row of the table.
#[derive(Clone, Copy)]
pub struct Route {
    pub method: Method,
    pub pattern: &'static str,
    pub handler: Handler,
}

impl Route {
    pub const fn new(method: Method, pattern: &'static str, handler: Handler) -> Self {
        Self {
            method,
            pattern,
            handler,
        }
    }
}

/// The outcome of matching a request against the table.
pub enum Matched {
    /// A route matched, with its path parameters.
    Route(Handler, Vec<(&'static str, String)>),
    /// The path is known but not with this method.
    MethodNotAllowed(Vec<Method>),
    /// No route has this path.
    NotFound,
}

/// The route table of a component.
pub struct Router {
    routes: &'static [Route],
}

impl Router {
    pub const fn new(routes: &'static [Route]) -> Self {
        Self { routes }
    }

    /// Every route, for documentation checks.
    pub fn routes(&self) -> &'static [Route] {
        self.routes
    }

    /// Finds the handler for `method path`.
    pub fn find(&self, method: Method, path: &str) -> Matched {
        let mut allowed = Vec::new();
        for route in self.routes {
            if let Some(params) = match_path(route.pattern, path) {
                if route.method == method {
                    return Matched::Route(route.handler, params);
                }
                if !allowed.contains(&route.method) {
                    allowed.push(route.method);
                }
            }
        }
        if allowed.is_empty() {
            Matched::NotFound
        } else {
            allowed.push(Method::Options);
            Matched::MethodNotAllowed(allowed)
        }
    }
}

/// Matches `path` against `pattern`, returning the `:name` parameters.
pub fn match_path(pattern: &'static str, path: &str) -> Option<Vec<(&'static str, String)>> {
    let mut params = Vec::new();
    let mut pattern_segments = segments(pattern);
    let mut path_segments = segments(path);
    loop {
        match (pattern_segments.next(), path_segments.next()) {
            (None, None) => return Some(params),
            (Some(p), Some(s)) => {
                if let Some(name) = p.strip_prefix(':') {
                    params.push((name, s.to_owned()));
                } else if p != s {
                    return None;
                }
            }
            _ => return None,
        }
    }
}

fn segments(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|s| !s.is_empty())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok(_: &mut Ctx) -> Result<Response, ApiError> {
        Ok(Response::no_content())
    }

    static ROUTES: &[Route] = &[
        Route::new(Method::Get, "/api/keys", ok),
        Route::new(Method::Post, "/api/keys", ok),
        Route::new(Method::Delete, "/api/keys/:id", ok),
    ];
    static ROUTER: Router = Router::new(ROUTES);

    #[test]
    fn parameters_are_captured() {
        match ROUTER.find(Method::Delete, "/api/keys/abc123") {
            Matched::Route(_, params) => assert_eq!(params, vec![("id", "abc123".to_string())]),
            _ => panic!("expected a route"),
        }
    }

    #[test]
    fn a_trailing_slash_is_ignored() {
        assert!(matches!(
            ROUTER.find(Method::Get, "/api/keys/"),
            Matched::Route(..)
        ));
    }

    #[test]
    fn a_known_path_with_another_method_is_405_listing_methods() {
        match ROUTER.find(Method::Put, "/api/keys") {
            Matched::MethodNotAllowed(m) => {
                assert_eq!(m, vec![Method::Get, Method::Post, Method::Options])
            }
            _ => panic!("expected 405"),
        }
    }

    #[test]
    fn unknown_paths_are_not_found() {
        for path in ["/", "/api", "/api/keys/a/b", "/api/keysx"] {
            assert!(
                matches!(ROUTER.find(Method::Get, path), Matched::NotFound),
                "{path}"
            );
        }
    }
}
