//! HTTP route matching, as Spin does it: the same `routefinder` crate Spin uses, the same
//! `/...` trailing wildcard (which also matches the bare prefix), `:name` segments, the most
//! specific route wins, and the same `spin-*` request headers.

use anyhow::{Result, anyhow};
use http::{HeaderMap, HeaderName, HeaderValue};
use std::net::SocketAddr;

/// Where Spin answers requests itself; routes under it are never reached.
pub const WELL_KNOWN_PREFIX: &str = "/.well-known/spin/";

#[derive(Debug, Clone)]
struct Handler {
    component: String,
    /// The route with the base path applied and one trailing slash removed.
    based_route: String,
    /// Header values that are the same for every request on this route, built once.
    matched_route_value: HeaderValue,
    raw_route_value: HeaderValue,
    component_route_value: HeaderValue,
}

pub struct Router {
    inner: routefinder::Router<Handler>,
}

/// A route that replaced an earlier one with the same pattern (Spin keeps the last).
#[derive(Debug, PartialEq, Eq)]
pub struct Duplicate {
    pub route: String,
    pub replaced: String,
    pub effective: String,
}

/// The result of matching one request path.
pub struct RouteMatch<'r> {
    handler: &'r Handler,
    named: Vec<(String, String)>,
    path_info: String,
}

const PATH_INFO: HeaderName = HeaderName::from_static("spin-path-info");
const FULL_URL: HeaderName = HeaderName::from_static("spin-full-url");
const MATCHED_ROUTE: HeaderName = HeaderName::from_static("spin-matched-route");
const BASE_PATH: HeaderName = HeaderName::from_static("spin-base-path");
const RAW_COMPONENT_ROUTE: HeaderName = HeaderName::from_static("spin-raw-component-route");
const COMPONENT_ROUTE: HeaderName = HeaderName::from_static("spin-component-route");
const CLIENT_ADDR: HeaderName = HeaderName::from_static("spin-client-addr");

impl Router {
    /// `routes`: (component id, raw route). Later duplicates replace earlier ones, as in
    /// Spin; the replaced ones are returned so they can be reported.
    pub fn build<'a>(
        routes: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<(Self, Vec<Duplicate>)> {
        let mut unique: indexmap::IndexMap<String, Handler> = indexmap::IndexMap::new();
        let mut duplicates = Vec::new();
        for (component, raw) in routes {
            let based_route = sanitize_with_base("/", raw);
            let component_route = raw.strip_suffix("/...").unwrap_or(raw);
            let value = |s: &str| {
                HeaderValue::from_str(s)
                    .map_err(|_| anyhow!("invalid route {raw:?} for component {component:?}"))
            };
            let handler = Handler {
                component: component.to_string(),
                matched_route_value: value(&based_route)?,
                raw_route_value: value(raw)?,
                component_route_value: value(component_route)?,
                based_route,
            };
            if let Some(replaced) = unique.insert(raw.to_string(), handler) {
                duplicates.push(Duplicate {
                    route: if replaced.based_route.is_empty() {
                        "/".into()
                    } else {
                        replaced.based_route
                    },
                    replaced: replaced.component,
                    effective: component.to_string(),
                });
            }
        }
        let mut inner = routefinder::Router::new();
        for handler in unique.into_values() {
            let spec = match handler.based_route.strip_suffix("/...") {
                Some(prefix) => format!("{prefix}/*"),
                None => handler.based_route.clone(),
            };
            let spec: routefinder::RouteSpec = spec
                .as_str()
                .try_into()
                .and_then(matchable)
                .map_err(|e: String| {
                    anyhow!(
                        "Error parsing route {} associated with component {}: {e}",
                        handler.based_route,
                        handler.component
                    )
                })?;
            let (based, component) = (handler.based_route.clone(), handler.component.clone());
            inner.add(spec, handler).map_err(|e| {
                anyhow!("Error parsing route {based} associated with component {component}: {e}")
            })?;
        }
        Ok((Self { inner }, duplicates))
    }

    /// (component, route shown to the user, is wildcard), in the order Spin lists them.
    pub fn routes(&self) -> Vec<(&str, String, bool)> {
        self.inner
            .iter()
            .map(|(_, h)| {
                let (shown, wildcard) = match h
                    .based_route
                    .strip_suffix("/...")
                    .or_else(|| h.based_route.strip_suffix("/*"))
                {
                    Some(prefix) => (prefix, true),
                    None => (h.based_route.as_str(), false),
                };
                let shown = if shown.is_empty() {
                    "/".to_string()
                } else {
                    shown.to_string()
                };
                (h.component.as_str(), shown, wildcard)
            })
            .collect()
    }

    /// Whether a route lies under `/.well-known/spin/`, which Spin answers itself.
    pub fn contains_reserved_route(&self) -> bool {
        self.inner
            .iter()
            .any(|(_, h)| h.based_route.starts_with(WELL_KNOWN_PREFIX))
    }

    pub fn route(&self, path: &str) -> Option<RouteMatch<'_>> {
        let best = self.inner.best_match(path)?;
        let handler = best.handler();
        let captures = best.captures();
        let named = captures
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
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
            handler,
            named,
            path_info,
        })
    }
}

/// Refuses the specs routefinder parses but then panics on while matching a request (found by
/// the `routes` fuzz target: `*.*` matched against `""`): a wildcard that is not the last
/// segment, a parameter followed by anything but `/`, `.` or the end. Spin 4.0 passes them to
/// the same matcher and its request task panics; refusing the manifest at start is kinder.
fn matchable(spec: routefinder::RouteSpec) -> Result<routefinder::RouteSpec, String> {
    use routefinder::Segment;
    let segments = spec.segments();
    for (i, segment) in segments.iter().enumerate() {
        let next = segments.get(i + 1);
        match segment {
            Segment::Wildcard if next.is_some() => {
                return Err("a wildcard must be the last segment of a route".into());
            }
            Segment::Param(_) if !matches!(next, None | Some(Segment::Slash | Segment::Dot)) => {
                return Err("a parameter must be followed by '/', '.' or the end".into());
            }
            _ => {}
        }
    }
    Ok(spec)
}

impl RouteMatch<'_> {
    pub fn component(&self) -> &str {
        &self.handler.component
    }

    /// The rest of the path after a wildcard route's prefix (`spin-path-info`).
    pub fn path_info(&self) -> &str {
        &self.path_info
    }

    /// The `:name` segments the route captured, in order.
    pub fn named(&self) -> &[(String, String)] {
        &self.named
    }

    /// Appends the `spin-*` headers Spin adds to the request it hands the component. Like
    /// Spin, they are appended after the client's headers, not put in their place.
    pub fn append_spin_headers(&self, headers: &mut HeaderMap, full_url: &str, client: SocketAddr) {
        let h = self.handler;
        if let Ok(v) = HeaderValue::from_str(&self.path_info) {
            headers.append(PATH_INFO, v);
        }
        if let Ok(v) = HeaderValue::from_str(full_url) {
            headers.append(FULL_URL, v);
        }
        headers.append(MATCHED_ROUTE, h.matched_route_value.clone());
        headers.append(BASE_PATH, HeaderValue::from_static("/"));
        headers.append(RAW_COMPONENT_ROUTE, h.raw_route_value.clone());
        headers.append(COMPONENT_ROUTE, h.component_route_value.clone());
        let mut addr = String::with_capacity(24);
        {
            use std::fmt::Write;
            let _ = write!(addr, "{client}");
        }
        if let Ok(v) = HeaderValue::from_str(&addr) {
            headers.append(CLIENT_ADDR, v);
        }
        for (name, value) in &self.named {
            // Spin builds `SPIN_PATH_MATCH_<NAME>` and then turns `_` into `-`.
            let name = format!(
                "spin-path-match-{}",
                name.to_ascii_lowercase().replace('_', "-")
            );
            if let (Ok(name), Ok(value)) = (
                HeaderName::from_bytes(name.as_bytes()),
                HeaderValue::from_str(value),
            ) {
                headers.append(name, value);
            }
        }
    }
}

fn sanitize_with_base(base: &str, path: &str) -> String {
    let path = if path.starts_with('/') {
        path.to_string()
    } else {
        format!("/{path}")
    };
    format!("{}{}", strip_one_slash(base), strip_one_slash(&path))
}

fn strip_one_slash(s: &str) -> &str {
    s.strip_suffix('/').unwrap_or(s)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(routes: &[(&str, &str)]) -> Router {
        Router::build(routes.iter().copied())
            .expect("valid routes")
            .0
    }

    fn client() -> SocketAddr {
        "127.0.0.1:5000".parse().expect("ok")
    }

    fn header(m: &RouteMatch, name: &str) -> String {
        let mut headers = HeaderMap::new();
        m.append_spin_headers(&mut headers, "http://h/x", client());
        headers
            .get(name)
            .map(|v| v.to_str().expect("ok").to_string())
            .unwrap_or_default()
    }

    #[test]
    fn exact_route_matches_only_itself() {
        let r = router(&[("a", "/health")]);
        assert_eq!(r.route("/health").expect("ok").component(), "a");
        assert!(r.route("/health/x").is_none());
        assert!(r.route("/other").is_none());
    }

    #[test]
    fn wildcard_matches_bare_prefix_and_below() {
        let r = router(&[("a", "/api/...")]);
        assert_eq!(header(&r.route("/api").expect("ok"), "spin-path-info"), "");
        assert_eq!(
            header(&r.route("/api/").expect("ok"), "spin-path-info"),
            "/"
        );
        assert_eq!(
            header(&r.route("/api/x/y").expect("ok"), "spin-path-info"),
            "/x/y"
        );
        assert!(r.route("/apix").is_none());
    }

    #[test]
    fn most_specific_route_wins() {
        let r = router(&[
            ("all", "/..."),
            ("api", "/api/..."),
            ("one", "/api/keys"),
            ("p", "/api/:id"),
        ]);
        assert_eq!(r.route("/x").expect("ok").component(), "all");
        assert_eq!(r.route("/api/keys").expect("ok").component(), "one");
        assert_eq!(r.route("/api/k2").expect("ok").component(), "p");
        assert_eq!(r.route("/api/k2/z").expect("ok").component(), "api");
    }

    #[test]
    fn named_segments_become_headers() {
        let r = router(&[("p", "/api/profiles/:id/launch")]);
        let m = r.route("/api/profiles/abc/launch").expect("ok");
        assert_eq!(header(&m, "spin-path-match-id"), "abc");
        assert_eq!(header(&m, "spin-matched-route"), "/api/profiles/:id/launch");
    }

    #[test]
    fn component_route_drops_the_wildcard() {
        let r = router(&[("a", "/auth/...")]);
        let m = r.route("/auth/login").expect("ok");
        assert_eq!(header(&m, "spin-raw-component-route"), "/auth/...");
        assert_eq!(header(&m, "spin-component-route"), "/auth");
        assert_eq!(header(&m, "spin-base-path"), "/");
        assert_eq!(header(&m, "spin-client-addr"), "127.0.0.1:5000");
    }

    #[test]
    fn root_wildcard_catches_everything_unmatched() {
        let r = router(&[("a", "/...")]);
        assert_eq!(r.route("/").expect("ok").component(), "a");
        assert_eq!(
            header(&r.route("/deep/path").expect("ok"), "spin-path-info"),
            "/deep/path"
        );
    }

    #[test]
    fn underscores_in_named_segments_become_hyphens_as_in_spin() {
        let r = router(&[("p", "/users/:user_id")]);
        assert_eq!(
            header(
                &r.route("/users/42").expect("ok"),
                "spin-path-match-user-id"
            ),
            "42"
        );
    }

    #[test]
    fn later_duplicate_route_wins_and_is_reported() {
        let (r, dups) = Router::build([("a", "/x"), ("b", "/x")]).expect("ok");
        assert_eq!(r.route("/x").expect("ok").component(), "b");
        assert_eq!(
            dups,
            vec![Duplicate {
                route: "/x".into(),
                replaced: "a".into(),
                effective: "b".into()
            }]
        );
    }

    #[test]
    fn routes_are_listed_in_spin_order() {
        let r = router(&[("all", "/..."), ("one", "/api/keys")]);
        let listed: Vec<_> = r
            .routes()
            .into_iter()
            .map(|(c, _, _)| c.to_string())
            .collect();
        assert_eq!(listed, ["one", "all"]);
    }

    /// Found by `fuzz/fuzz_targets/routes.rs`: routefinder accepted these specs and then
    /// panicked matching a path against them.
    #[test]
    fn routes_the_matcher_would_panic_on_are_refused_at_build() {
        for route in ["*.*", "/a/*/b", "/*.json"] {
            let err = Router::build([("c", route)])
                .err()
                .map(|e| format!("{e:#}"));
            assert!(
                err.as_deref()
                    .is_some_and(|e| e.contains("Error parsing route")),
                "{route:?}: {err:?}"
            );
        }
        let (router, _) =
            Router::build([("c", "/files/:name.json")]).expect("a parameter then a dot");
        let m = router.route("/files/report.json").expect("matches");
        assert_eq!(m.named(), [("name".to_string(), "report".to_string())]);
    }
}
