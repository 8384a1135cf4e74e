//! Route matching as Spin does it: exact routes, `:name` segments, trailing `/...` wildcards
//! (which also match the bare prefix), the most specific route wins, no match is 404, and a
//! private component is never served over HTTP.

mod support;

use support::{App, Runner, manifest, source};

/// One `fixture-hello` component per route; each component's id names its route.
fn app_with_routes(routes: &[(&str, &str)]) -> Runner {
    let mut body = String::new();
    for (id, route) in routes {
        body.push_str(&format!(
            "[[trigger.http]]\nroute = \"{route}\"\ncomponent = \"{id}\"\n\n"
        ));
    }
    for (id, _) in routes {
        body.push_str(&format!(
            "[component.{id}]\nsource = {}\n\n",
            source("hello")
        ));
    }
    App::new(manifest(&body)).start()
}

/// The route pattern that served `path`, as the runner told the component.
fn matched(runner: &Runner, path: &str) -> String {
    let echo = runner.get_json(path);
    echo["headers"]["spin-matched-route"]
        .as_str()
        .unwrap_or_else(|| panic!("no spin-matched-route header for {path}: {echo}"))
        .to_owned()
}

#[test]
fn exact_route_matches_only_its_own_path() {
    let runner = app_with_routes(&[("exact", "/exact")]);
    assert_eq!(matched(&runner, "/exact"), "/exact");
    assert_eq!(runner.get("/exact/more").status, 404);
    assert_eq!(runner.get("/exactly").status, 404);
    assert_eq!(runner.get("/").status, 404);
}

#[test]
fn parameter_segment_matches_any_single_segment_and_passes_its_value() {
    let runner = app_with_routes(&[("user", "/users/:id")]);
    let echo = runner.get_json("/users/42");
    assert_eq!(echo["headers"]["spin-matched-route"], "/users/:id");
    assert_eq!(echo["headers"]["spin-path-match-id"], "42");
    assert_eq!(runner.get("/users/42/extra").status, 404);
    assert_eq!(runner.get("/users").status, 404);
}

#[test]
fn wildcard_matches_the_bare_prefix_and_everything_below_it() {
    let runner = app_with_routes(&[("files", "/files/...")]);
    assert_eq!(matched(&runner, "/files"), "/files/...");
    assert_eq!(matched(&runner, "/files/"), "/files/...");
    assert_eq!(matched(&runner, "/files/a/b/c.txt"), "/files/...");
    assert_eq!(runner.get("/filesystem").status, 404);
}

#[test]
fn root_wildcard_catches_every_path() {
    let runner = app_with_routes(&[("all", "/...")]);
    assert_eq!(matched(&runner, "/"), "/...");
    assert_eq!(matched(&runner, "/anything/at/all"), "/...");
}

#[test]
fn most_specific_route_wins() {
    let runner = app_with_routes(&[
        ("fallback", "/..."),
        ("files", "/files/..."),
        ("deep", "/files/deep/..."),
        ("special", "/files/special"),
        ("user", "/users/:id"),
        ("me", "/users/me"),
    ]);
    assert_eq!(matched(&runner, "/files/special"), "/files/special");
    assert_eq!(matched(&runner, "/files/other"), "/files/...");
    assert_eq!(matched(&runner, "/files/deep/x"), "/files/deep/...");
    assert_eq!(matched(&runner, "/files/deep"), "/files/deep/...");
    assert_eq!(matched(&runner, "/users/me"), "/users/me");
    assert_eq!(matched(&runner, "/users/7"), "/users/:id");
    assert_eq!(matched(&runner, "/elsewhere"), "/...");
}

#[test]
fn unmatched_path_is_404_and_the_runner_keeps_serving() {
    let runner = app_with_routes(&[("exact", "/exact"), ("files", "/files/...")]);
    assert_eq!(runner.get("/nothing-here").status, 404);
    assert_eq!(runner.get("/").status, 404);
    assert_eq!(runner.get("/exact").status, 200);
}

#[test]
fn private_component_is_never_served_over_http() {
    let body = format!(
        "[[trigger.http]]\nroute = {{ private = true }}\ncomponent = \"hidden\"\n\n\
         [[trigger.http]]\nroute = \"/public\"\ncomponent = \"public\"\n\n\
         [component.hidden]\nsource = {src}\n\n[component.public]\nsource = {src}\n",
        src = source("hello")
    );
    let runner = App::new(manifest(&body)).start();
    assert_eq!(runner.get("/public").status, 200);
    for path in ["/", "/hidden", "/private", "/public/x"] {
        assert_eq!(runner.get(path).status, 404, "{path} must not be served");
    }
}
