//! Component dependencies, composed at load time: `fixture-dep-user` imports
//! `fixture:dep/lib@0.1.0`, satisfied by `fixture-dep-lib`. With the component-level
//! `dependencies_inherit_configuration = true` the dependency gets the parent's capabilities;
//! without it every capability is denied to the dependency (but not to the parent).

mod support;

use serde_json::Value;
use support::{App, Backend, Runner, enc, manifest, source, toml_string};

const DEPENDENCY: &str = "fixture:dep/lib@0.1.0";

/// `inherit`: the `dependencies_inherit_configuration` line (or nothing); `dependency`: the
/// right-hand side of the dependency entry.
fn user_app(inherit: &str, dependency: &str, extra_components: &str, backend: &Backend) -> Runner {
    let body = format!(
        "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"user\"\n\n\
         [component.user]\nsource = {user}\n\
         sqlite_databases = [\"default\"]\nkey_value_stores = [\"default\"]\n\
         allowed_outbound_hosts = [\"http://127.0.0.1:{port}\"]\n{inherit}\n\n\
         [component.user.variables]\ndep_secret = \"s3cret\"\n\n\
         [component.user.dependencies]\n\"{DEPENDENCY}\" = {dependency}\n\n{extra_components}",
        user = source("dep-user"),
        port = backend.port,
    );
    App::new(manifest(&body)).start()
}

fn path_dependency() -> String {
    format!(
        "{{ path = {} }}",
        toml_string(&support::fixture("dep-lib").display().to_string())
    )
}

fn ask(runner: &Runner, backend: &Backend) -> Value {
    runner.get_json(&format!("/?url={}", enc(&backend.url("/from-dependency"))))
}

fn ok(answer: &Value, key: &str) -> String {
    answer[key]["ok"]
        .as_str()
        .unwrap_or_else(|| panic!("expected {key} to succeed: {answer}"))
        .to_owned()
}

fn err(answer: &Value, key: &str) -> String {
    answer[key]["error"]
        .as_str()
        .unwrap_or_else(|| panic!("expected {key} to fail: {answer}"))
        .to_owned()
}

#[test]
fn dependency_inheriting_configuration_uses_the_parents_capabilities() {
    let backend = Backend::start();
    let runner = user_app(
        "dependencies_inherit_configuration = true",
        &path_dependency(),
        "",
        &backend,
    );
    let answer = ask(&runner, &backend);
    let dep = &answer["dep"];
    assert_eq!(ok(dep, "variable"), "s3cret");
    assert_eq!(ok(dep, "config"), "s3cret");
    assert_eq!(ok(dep, "sqlite2"), "1 row");
    assert_eq!(ok(dep, "sqlite3"), "1 row");
    assert_eq!(ok(dep, "key_value"), "written by the dependency");
    assert_eq!(ok(dep, "wasi_key_value"), "written by the dependency");
    assert_eq!(ok(dep, "outbound"), "200");
    assert_eq!(ok(&answer["own"], "variable"), "s3cret");
}

#[test]
fn dependency_without_inheritance_is_denied_every_capability() {
    let backend = Backend::start();
    let runner = user_app("", &path_dependency(), "", &backend);
    let answer = ask(&runner, &backend);
    let dep = &answer["dep"];
    assert!(err(dep, "variable").starts_with("undefined"), "{dep}");
    assert!(err(dep, "config").starts_with("io"), "{dep}");
    assert!(
        err(dep, "config").contains("wasi:config/store"),
        "the wasi:config denial names the interface: {dep}"
    );
    assert_eq!(err(dep, "sqlite2"), "access-denied");
    assert_eq!(err(dep, "sqlite3"), "access-denied");
    assert_eq!(err(dep, "key_value"), "access-denied");
    assert_eq!(err(dep, "wasi_key_value"), "access-denied");
    assert!(err(dep, "outbound").starts_with("internal-error"), "{dep}");

    // The parent keeps its own capabilities.
    let own = &answer["own"];
    assert_eq!(ok(own, "variable"), "s3cret");
    assert_eq!(ok(own, "sqlite3"), "opened");
    assert_eq!(ok(own, "key_value"), "opened");
}

#[test]
fn inheritance_set_to_false_denies_like_absent() {
    let backend = Backend::start();
    let runner = user_app(
        "dependencies_inherit_configuration = false",
        &path_dependency(),
        "",
        &backend,
    );
    let answer = ask(&runner, &backend);
    assert_eq!(err(&answer["dep"], "key_value"), "access-denied");
    assert_eq!(ok(&answer["own"], "key_value"), "opened");
}

#[test]
fn dependency_on_another_component_of_the_app_is_composed() {
    let backend = Backend::start();
    let lib = format!("[component.lib]\nsource = {}\n", source("dep-lib"));
    let runner = user_app(
        "dependencies_inherit_configuration = true",
        "{ component = \"lib\" }",
        &lib,
        &backend,
    );
    let answer = ask(&runner, &backend);
    assert_eq!(ok(&answer["dep"], "variable"), "s3cret");
    assert_eq!(ok(&answer["dep"], "key_value"), "written by the dependency");
}

#[test]
fn dependency_writes_land_in_the_apps_default_store() {
    let backend = Backend::start();
    let reader = format!(
        "[[trigger.http]]\nroute = \"/reader/...\"\ncomponent = \"reader\"\n\n\
         [component.reader]\nsource = {}\nkey_value_stores = [\"default\"]\n",
        source("caps")
    );
    let runner = user_app(
        "dependencies_inherit_configuration = true",
        &path_dependency(),
        &reader,
        &backend,
    );
    ask(&runner, &backend);
    assert_eq!(
        runner.get_json("/reader/kv/get?key=fixture-dep-lib"),
        serde_json::json!({ "value": "written by the dependency" })
    );
}

#[test]
fn missing_dependency_file_fails_start_up_naming_it() {
    let body = format!(
        "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"user\"\n\n\
         [component.user]\nsource = {}\n\n\
         [component.user.dependencies]\n\"{DEPENDENCY}\" = {{ path = \"no-such-lib.wasm\" }}\n",
        source("dep-user"),
    );
    App::new(manifest(&body))
        .start_err()
        .assert_mentions(&["no-such-lib.wasm"]);
}

#[test]
fn unsatisfied_dependency_import_fails_start_up_naming_it() {
    let body = format!(
        "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"user\"\n\n\
         [component.user]\nsource = {}\n",
        source("dep-user"),
    );
    App::new(manifest(&body))
        .start_err()
        .assert_mentions(&["fixture:dep/lib"]);
}
