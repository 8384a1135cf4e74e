//! Capabilities that were not granted answer Spin's error values; they never trap.

mod support;

use serde_json::json;
use support::{App, Runner, enc, single};

fn caps(extra: &str) -> Runner {
    App::new(single("caps", "caps", "/...", extra)).start()
}

#[test]
fn sqlite_without_sqlite_databases_is_access_denied() {
    let runner = caps("");
    for group in ["sqlite2", "sqlite3"] {
        assert_eq!(
            runner.get_json(&format!("/{group}/open?db=default")),
            json!({ "error": "access-denied" }),
            "{group}"
        );
        assert_eq!(
            runner.get_json(&format!(
                "/{group}/execute?db=default&sql={}",
                enc("select 1")
            )),
            json!({ "error": "access-denied" }),
            "{group}"
        );
    }
}

#[test]
fn sqlite_database_not_listed_for_the_component_is_access_denied() {
    let runner = caps("sqlite_databases = [\"default\"]\n");
    assert_eq!(
        runner.get_json("/sqlite3/open?db=default"),
        json!({ "opened": true })
    );
    assert_eq!(
        runner.get_json("/sqlite3/open?db=other"),
        json!({ "error": "access-denied" })
    );
    assert_eq!(
        runner.get_json("/sqlite2/open?db=other"),
        json!({ "error": "access-denied" })
    );
}

#[test]
fn key_value_without_key_value_stores_is_access_denied() {
    let runner = caps("");
    assert_eq!(
        runner.get_json("/kv/open?store=default"),
        json!({ "error": "access-denied" })
    );
    assert_eq!(
        runner.get_json("/kv/get?store=default&key=k"),
        json!({ "error": "access-denied" })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/open?store=default"),
        json!({ "error": "access-denied" })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/increment?store=default&key=k&delta=1"),
        json!({ "error": "access-denied" })
    );
}

#[test]
fn key_value_store_not_listed_for_the_component_is_access_denied() {
    let runner = caps("key_value_stores = [\"default\"]\n");
    assert_eq!(
        runner.get_json("/kv/open?store=default"),
        json!({ "opened": true })
    );
    assert_eq!(
        runner.get_json("/kv/open?store=elsewhere"),
        json!({ "error": "access-denied" })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/open?store=elsewhere"),
        json!({ "error": "access-denied" })
    );
}

#[test]
fn stores_granted_to_one_component_are_denied_to_another() {
    let body = format!(
        "[[trigger.http]]\nroute = \"/granted/...\"\ncomponent = \"granted\"\n\n\
         [[trigger.http]]\nroute = \"/plain/...\"\ncomponent = \"plain\"\n\n\
         [component.granted]\nsource = {src}\nkey_value_stores = [\"default\"]\n\
         sqlite_databases = [\"default\"]\n\n\
         [component.plain]\nsource = {src}\n",
        src = support::source("caps")
    );
    let runner = App::new(support::manifest(&body)).start();
    assert_eq!(
        runner.get_json("/granted/kv/set?key=k&value=v"),
        json!({ "set": true })
    );
    assert_eq!(
        runner.get_json("/plain/kv/get?key=k"),
        json!({ "error": "access-denied" })
    );
    assert_eq!(
        runner.get_json("/plain/sqlite3/open"),
        json!({ "error": "access-denied" })
    );
}

#[test]
fn variable_not_declared_by_the_component_is_undefined() {
    let runner = caps("");
    let answer = runner.get_json("/variables/get?name=secret");
    assert_eq!(answer["error"], "undefined", "{answer}");
}

#[test]
fn component_still_serves_after_denials() {
    let runner = caps("");
    runner.get_json("/kv/open");
    runner.get_json("/sqlite3/open");
    runner.get_json("/variables/get?name=x");
    assert_eq!(runner.get("/no/such-endpoint").status, 404);
    assert_eq!(runner.get_json("/config/get-all"), json!({ "values": {} }));
}
