//! The request a component receives: method, URI, body, the client's headers, and Spin's
//! `spin-*` headers.

mod support;

use support::{App, single};

#[test]
fn wildcard_route_gets_every_spin_header() {
    let runner = App::new(single("echo", "hello", "/api/...", "")).start();
    let echo = runner.get_json("/api/items/7?sort=asc");
    let headers = &echo["headers"];
    assert_eq!(
        headers["spin-full-url"],
        runner.url("/api/items/7?sort=asc").as_str()
    );
    assert_eq!(headers["spin-path-info"], "/items/7");
    assert_eq!(headers["spin-matched-route"], "/api/...");
    assert_eq!(headers["spin-raw-component-route"], "/api/...");
    assert_eq!(headers["spin-component-route"], "/api");
    assert_eq!(headers["spin-base-path"], "/");
    let client = headers["spin-client-addr"].as_str().unwrap_or_default();
    assert!(
        client.starts_with("127.0.0.1:"),
        "spin-client-addr should be the client's address: {client:?}"
    );
    assert_eq!(echo["path"], "/api/items/7");
    assert_eq!(echo["query"], "sort=asc");
}

#[test]
fn exact_route_has_empty_path_info() {
    let runner = App::new(single("echo", "hello", "/exact", "")).start();
    let echo = runner.get_json("/exact");
    assert_eq!(echo["headers"]["spin-path-info"], "");
    assert_eq!(echo["headers"]["spin-matched-route"], "/exact");
    assert_eq!(echo["headers"]["spin-component-route"], "/exact");
}

#[test]
fn every_named_segment_becomes_a_path_match_header() {
    let runner = App::new(single("echo", "hello", "/orgs/:org/repos/:repo", "")).start();
    let echo = runner.get_json("/orgs/acme/repos/rocket");
    assert_eq!(echo["headers"]["spin-path-match-org"], "acme");
    assert_eq!(echo["headers"]["spin-path-match-repo"], "rocket");
    assert_eq!(
        echo["headers"]["spin-matched-route"],
        "/orgs/:org/repos/:repo"
    );
}

#[test]
fn method_body_and_client_headers_reach_the_component() {
    let runner = App::new(single("echo", "hello", "/...", "")).start();
    let body = vec![b'x'; 1234];
    let reply = runner.request(
        "PUT",
        "/upload",
        &[("x-custom", "custom value"), ("content-type", "text/plain")],
        Some(&body),
    );
    let echo = reply.ok_json();
    assert_eq!(echo["method"], "PUT");
    assert_eq!(echo["body_len"], 1234);
    assert_eq!(echo["headers"]["x-custom"], "custom value");
    assert_eq!(echo["headers"]["content-type"], "text/plain");
}
