//! HTTP route matching, as Spin does it: the same `routefinder` crate Spin uses, the same
//! `/...` trailing wildcard (which also matches the bare prefix), `:name` segments, the most
//! specific route wins, and the same `spin-*` request headers.

use anyhow::{Result, anyhow};
use std::net::SocketAddr;

#[derive(Debug, Clone)]
struct Handler {
    component: String,
    /// The route as written in the manifest (`/api/...`).
    raw_route: String,
    /// The route with the base path applied and one trailing slash removed.
    based_route: String,
}

pub struct Router {
    inner: routefinder::Router<Handler>,
    listed: Vec<(String, String, bool)>,
}

/// The result of matching one request path.
pub struct RouteMatch {
    pub component: String,
    raw_route: String,
    based_route: String,
    named: Vec<(String, String)>,
    path_info: String,
}

impl Router {
    /// `routes`: (component id, raw route). Later duplicates replace earlier ones, as in Spin.
    pub fn build<'a>(routes: impl IntoIterator<Item = (&'a str, &'a str)>) -> Result<Self> {
        let mut unique: indexmap::IndexMap<String, Handler> = indexmap::IndexMap::new();
        for (component, raw) in routes {
            let based_route = sanitize_with_base("/", raw);
            unique.insert(
                raw.to_string(),
                Handler { component: component.to_string(), raw_route: raw.to_string(), based_route },
            );
        }
        let mut inner = routefinder::Router::new();
        let mut listed = Vec::new();
        for handler in unique.into_values() {
            let (spec, shown, wildcard) = if let Some(prefix) = handler.based_route.strip_suffix("/...") {
                (format!("{prefix}/*"), prefix.to_string(), true)
            } else if let Some(prefix) = handler.based_route.strip_suffix("/*") {
                (handler.based_route.clone(), prefix.to_string(), true)
            } else {
                (handler.based_route.clone(), handler.based_route.clone(), false)
            };
            let shown = if shown.is_empty() { "/".to_string() } else { shown };
            listed.push((handler.component.clone(), shown, wildcard));
            let spec: routefinder::RouteSpec = spec.as_str().try_into().map_err(|e: String| {
                anyhow!("invalid route {:?} for component {:?}: {e}", handler.raw_route, handler.component)
            })?;
            inner
                .add(spec, handler.clone())
                .map_err(|e| anyhow!("invalid route {:?}: {e}", handler.raw_route))?;
        }
        Ok(Self { inner, listed })
    }

    /// (component, route shown to the user, is wildcard), in manifest order.
    pub fn routes(&self) -> &[(String, String, bool)] {
        &self.listed
    }

    pub fn route(&self, path: &str) -> Option<RouteMatch> {
        let best = self.inner.best_match(path)?;
        let handler = best.handler();
        let captures = best.captures();
        let named = captures.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        // Spin keeps the trailing slash in the path info, which routefinder drops.
        let path_info = match captures.wildcard() {
            None => String::new(),
            Some(s) => match (s.is_empty(), path.ends_with('/')) {
                (true, false) => String::new(),
                (true, true) => "/".to_string(),
                (false, false) => format!("/{s}"),
                (false, true) => format!("/{s}/"),
            },
        };
        Some(RouteMatch {
            component: handler.component.clone(),
            raw_route: handler.raw_route.clone(),
            based_route: handler.based_route.clone(),
            named,
            path_info,
        })
    }
}

impl RouteMatch {
    /// The `spin-*` headers Spin adds to the request it hands the component.
    pub fn spin_headers(&self, full_url: &str, client: SocketAddr) -> Vec<(String, String)> {
        let component_route = self.raw_route.strip_suffix("/...").unwrap_or(&self.raw_route);
        let mut headers = vec![
            ("spin-path-info".to_string(), self.path_info.clone()),
            ("spin-full-url".to_string(), full_url.to_string()),
            ("spin-matched-route".to_string(), self.based_route.clone()),
            ("spin-base-path".to_string(), "/".to_string()),
            ("spin-raw-component-route".to_string(), self.raw_route.clone()),
            ("spin-component-route".to_string(), component_route.to_string()),
            ("spin-client-addr".to_string(), client.to_string()),
        ];
        for (name, value) in &self.named {
            headers.push((format!("spin-path-match-{}", name.to_ascii_lowercase()), value.clone()));
        }
        headers
    }
}

fn sanitize_with_base(base: &str, path: &str) -> String {
    let path = if path.starts_with('/') { path.to_string() } else { format!("/{path}") };
    format!("{}{}", strip_one_slash(base), strip_one_slash(&path))
}

fn strip_one_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().copied()).expect("valid routes")
    }

    fn client() -> SocketAddr {
        "127.0.0.1:5000".parse().unwrap()
    }

    fn header(m: &RouteMatch, name: &str) -> String {
        m.spin_headers("http://h/x", client())
            .into_iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v)
            .unwrap_or_default()
    }

    #[test]
    fn exact_route_matches_only_itself() {
        let r = router(&[("a", "/health")]);
        assert_eq!(r.route("/health").unwrap().component, "a");
        assert!(r.route("/health/x").is_none());
        assert!(r.route("/other").is_none());
    }

    #[test]
    fn wildcard_matches_bare_prefix_and_below() {
        let r = router(&[("a", "/api/...")]);
        assert_eq!(header(&r.route("/api").unwrap(), "spin-path-info"), "");
        assert_eq!(header(&r.route("/api/").unwrap(), "spin-path-info"), "/");
        assert_eq!(header(&r.route("/api/x/y").unwrap(), "spin-path-info"), "/x/y");
        assert!(r.route("/apix").is_none());
    }

    #[test]
    fn most_specific_route_wins() {
        let r = router(&[("all", "/..."), ("api", "/api/..."), ("one", "/api/keys"), ("p", "/api/:id")]);
        assert_eq!(r.route("/x").unwrap().component, "all");
        assert_eq!(r.route("/api/keys").unwrap().component, "one");
        assert_eq!(r.route("/api/k2").unwrap().component, "p");
        assert_eq!(r.route("/api/k2/z").unwrap().component, "api");
    }

    #[test]
    fn named_segments_become_headers() {
        let r = router(&[("p", "/api/profiles/:id/launch")]);
        let m = r.route("/api/profiles/abc/launch").unwrap();
        assert_eq!(header(&m, "spin-path-match-id"), "abc");
        assert_eq!(header(&m, "spin-matched-route"), "/api/profiles/:id/launch");
    }

    #[test]
    fn component_route_drops_the_wildcard() {
        let r = router(&[("a", "/auth/...")]);
        let m = r.route("/auth/login").unwrap();
        assert_eq!(header(&m, "spin-raw-component-route"), "/auth/...");
        assert_eq!(header(&m, "spin-component-route"), "/auth");
        assert_eq!(header(&m, "spin-base-path"), "/");
        assert_eq!(header(&m, "spin-client-addr"), "127.0.0.1:5000");
    }

    #[test]
    fn root_wildcard_catches_everything_unmatched() {
        let r = router(&[("a", "/...")]);
        assert_eq!(r.route("/").unwrap().component, "a");
        assert_eq!(header(&r.route("/deep/path").unwrap(), "spin-path-info"), "/deep/path");
    }
}
