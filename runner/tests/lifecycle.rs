//! Start-up (flags, errors), guest traps and limits, selective serving, and shutdown.

mod support;

use serde_json::json;
use support::{App, enc, manifest, single, source};

#[test]
fn prints_serving_line_and_answers_on_the_bound_port() {
    let runner = App::new(single("hello", "hello", "/hello", "")).start();
    assert!(runner.base.starts_with("http://127.0.0.1:"));
    assert!(!runner.base.ends_with(":0"));
    assert_eq!(runner.get("/hello").status, 200);
}

#[test]
fn guest_stdout_and_stderr_reach_the_runner_output() {
    let runner = App::new(single("hello", "hello", "/...", "")).start();
    assert_eq!(runner.get("/print?marker=m-4711").status, 200);
    assert!(
        runner.wait_for_output("fixture-hello stdout m-4711"),
        "guest stdout missing from:\n{}",
        runner.output()
    );
    assert!(
        runner.wait_for_output("fixture-hello stderr m-4711"),
        "guest stderr missing from:\n{}",
        runner.output()
    );
}

#[test]
fn trap_answers_500_is_logged_and_the_runner_keeps_serving() {
    let runner = App::new(single("hello", "hello", "/...", "")).start();
    assert_eq!(runner.get("/trap").status, 500);
    assert!(
        runner.wait_for_output("fixture-hello traps on purpose"),
        "the trap's reason should be logged:\n{}",
        runner.output()
    );
    assert_eq!(runner.get("/after").status, 200);
    assert_eq!(runner.get("/trap").status, 500);
    assert_eq!(runner.get("/after-again").status, 200);
}

#[test]
fn request_over_the_time_limit_answers_500_and_the_runner_keeps_serving() {
    let runner = App::new(single("hello", "hello", "/...", ""))
        .env("RUNNER_REQUEST_TIMEOUT_MS", "300")
        .start();
    assert_eq!(runner.get("/loop").status, 500);
    assert_eq!(runner.get("/echo").status, 200);
}

#[test]
fn instance_over_the_memory_limit_answers_500_and_the_runner_keeps_serving() {
    let runner = App::new(single("hello", "hello", "/...", ""))
        .env("RUNNER_MAX_MEMORY_MB", "64")
        .start();
    assert_eq!(runner.get_json("/alloc?mb=8"), json!({ "allocated_mb": 8 }));
    assert_eq!(runner.get("/alloc?mb=128").status, 500);
    assert_eq!(runner.get("/echo").status, 200);
}

#[test]
fn component_id_serves_only_the_named_components() {
    let body = format!(
        "[[trigger.http]]\nroute = \"/a/...\"\ncomponent = \"a\"\n\n\
         [[trigger.http]]\nroute = \"/b/...\"\ncomponent = \"b\"\n\n\
         [[trigger.http]]\nroute = \"/c/...\"\ncomponent = \"c\"\n\n\
         [component.a]\nsource = {src}\n\n[component.b]\nsource = {src}\n\n\
         [component.c]\nsource = {src}\n",
        src = source("hello")
    );
    let runner = App::new(manifest(&body))
        .args(["--component-id", "a", "--component-id", "c"])
        .start();
    assert_eq!(runner.get("/a/x").status, 200);
    assert_eq!(runner.get("/c/x").status, 200);
    assert_eq!(runner.get("/b/x").status, 404);
}

#[test]
fn sqlite_flags_run_statements_and_files_in_order_before_serving() {
    let app = App::new(single(
        "caps",
        "caps",
        "/...",
        "sqlite_databases = [\"default\"]\n",
    ))
    .file(
        "seed.sql",
        "insert into seeded (n, v) values (2, 'from file');\n\
         insert into seeded (n, v) values (3, 'also from file');\n",
    );
    let seed = app.dir().join("seed.sql").display().to_string();
    let runner = app
        .args([
            "--sqlite".to_owned(),
            "create table seeded (n integer, v text)".to_owned(),
            "--sqlite".to_owned(),
            "insert into seeded (n, v) values (1, 'from flag')".to_owned(),
            "--sqlite".to_owned(),
            format!("@{seed}"),
        ])
        .start();
    let rows = runner.get_json(&format!(
        "/sqlite3/execute?sql={}",
        enc("select n, v from seeded order by n")
    ));
    assert_eq!(
        rows["rows"],
        json!([[1, "from flag"], [2, "from file"], [3, "also from file"]])
    );
}

#[test]
fn failing_sqlite_statement_fails_start_up() {
    let failure = App::new(single(
        "caps",
        "caps",
        "/...",
        "sqlite_databases = [\"default\"]\n",
    ))
    .args(["--sqlite", "insert into no_such_table values (1)"])
    .start_err();
    failure.assert_mentions(&["no_such_table"]);
}

#[test]
fn manifest_field_of_the_wrong_type_fails_start_up_naming_the_field() {
    let body = "[[trigger.http]]\nroute = \"/x\"\ncomponent = \"x\"\n\n\
                [component.x]\nsource = 42\n";
    App::new(manifest(body))
        .start_err()
        .assert_mentions(&["source"]);
}

#[test]
fn unparsable_manifest_fails_start_up_naming_the_file() {
    App::new("spin_manifest_version = 2\n[application\nname = \"broken\"\n")
        .start_err()
        .assert_mentions(&["spin.toml"]);
}

#[test]
fn trigger_naming_an_undefined_component_fails_start_up_naming_it() {
    let body = format!(
        "[[trigger.http]]\nroute = \"/x\"\ncomponent = \"ghost\"\n\n\
         [component.real]\nsource = {}\n",
        source("hello")
    );
    App::new(manifest(&body))
        .start_err()
        .assert_mentions(&["ghost"]);
}

#[test]
fn missing_wasm_file_fails_start_up_naming_the_path() {
    App::new(
        single("x", "hello", "/x", "")
            .replace(&source("hello"), "\"components/missing-component.wasm\""),
    )
    .start_err()
    .assert_mentions(&["missing-component.wasm"]);
}

#[test]
fn unknown_import_fails_start_up_naming_the_import() {
    App::new(single("llm", "unknown-import", "/...", ""))
        .start_err()
        .assert_mentions(&["fermyon:spin/llm"]);
}

#[test]
fn undefined_key_value_store_fails_start_up_naming_it() {
    App::new(single(
        "caps",
        "caps",
        "/...",
        "key_value_stores = [\"default\", \"undefined-store\"]\n",
    ))
    .start_err()
    .assert_mentions(&["undefined-store"]);
}

#[test]
fn sigterm_shuts_down_gracefully() {
    let runner = App::new(single("hello", "hello", "/...", "")).start();
    assert_eq!(runner.get("/before").status, 200);
    let status = runner.signal_and_wait("TERM");
    assert!(status.success(), "exit after SIGTERM: {status:?}");
}

#[test]
fn sigint_shuts_down_gracefully() {
    let runner = App::new(single("hello", "hello", "/...", "")).start();
    assert_eq!(runner.get("/before").status, 200);
    let status = runner.signal_and_wait("INT");
    assert!(status.success(), "exit after SIGINT: {status:?}");
}
