//! Outbound HTTP is allowed only to `allowed_outbound_hosts`, in Spin's syntax
//! (`scheme://host:port`, `*` wildcards, `{{ variable }}` templates); anything else is denied
//! with `http-request-denied`, which the component receives as an error value.

mod support;

use serde_json::{Value, json};
use support::{App, Backend, Runner, enc, manifest, source, toml_string};

fn caps_allowing(hosts: &[&str]) -> Runner {
    let list: Vec<String> = hosts.iter().map(|h| toml_string(h)).collect();
    App::new(support::single(
        "caps",
        "caps",
        "/...",
        &format!("allowed_outbound_hosts = [{}]\n", list.join(", ")),
    ))
    .start()
}

fn send(runner: &Runner, url: &str) -> Value {
    runner.get_json(&format!("/http/send?url={}", enc(url)))
}

fn reached(answer: &Value) {
    assert_eq!(
        answer,
        &json!({ "status": 200, "body": Backend::BODY }),
        "the request should have reached the backend"
    );
}

fn denied(answer: &Value) {
    assert_eq!(answer["error"], "http-request-denied", "{answer}");
}

#[test]
fn exact_scheme_host_and_port_is_allowed() {
    let backend = Backend::start();
    let runner = caps_allowing(&[&format!("http://127.0.0.1:{}", backend.port)]);
    reached(&send(&runner, &backend.url("/hello")));
}

#[test]
fn no_allowed_hosts_denies_every_request() {
    let backend = Backend::start();
    let runner = caps_allowing(&[]);
    denied(&send(&runner, &backend.url("/")));
}

#[test]
fn another_port_or_host_or_scheme_is_denied() {
    let backend = Backend::start();
    let other = Backend::start();
    let runner = caps_allowing(&[&format!("http://127.0.0.1:{}", backend.port)]);
    denied(&send(&runner, &other.url("/")));
    denied(&send(
        &runner,
        &format!("http://localhost:{}/", backend.port),
    ));
    let https_only = caps_allowing(&[&format!("https://127.0.0.1:{}", backend.port)]);
    denied(&send(&https_only, &backend.url("/")));
}

#[test]
fn port_wildcard_allows_any_port() {
    let backend = Backend::start();
    let runner = caps_allowing(&["http://127.0.0.1:*"]);
    reached(&send(&runner, &backend.url("/")));
}

#[test]
fn scheme_wildcard_allows_any_scheme() {
    let backend = Backend::start();
    let runner = caps_allowing(&[&format!("*://127.0.0.1:{}", backend.port)]);
    reached(&send(&runner, &backend.url("/")));
}

#[test]
fn host_wildcard_allows_any_host() {
    let backend = Backend::start();
    let runner = caps_allowing(&[&format!("http://*:{}", backend.port)]);
    reached(&send(&runner, &backend.url("/")));
}

#[test]
fn variable_template_in_allowed_hosts_is_resolved() {
    let backend = Backend::start();
    let body = format!(
        "[variables]\nbackend_port = {{ required = true }}\n\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"caps\"\n\n\
         [component.caps]\nsource = {}\n\
         allowed_outbound_hosts = [\"http://127.0.0.1:{{{{ backend_port }}}}\"]\n\n\
         [component.caps.variables]\nbackend_port = \"{{{{ backend_port }}}}\"\n",
        source("caps")
    );
    let runner = App::new(manifest(&body))
        .args(["--variable", &format!("backend_port={}", backend.port)])
        .start();
    reached(&send(&runner, &backend.url("/templated")));
    let other = Backend::start();
    denied(&send(&runner, &other.url("/")));
}
