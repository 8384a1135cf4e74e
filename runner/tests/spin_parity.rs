//! Behaviours Spin 4.0.2 has that an app or its client can observe, checked over real HTTP:
//! the `/.well-known/spin/` endpoints, the request authority, header naming, HEAD, variable
//! errors, `--sqlite`/`--key-value`/`--state-dir` and runtime-config paths, and start-up checks.

mod support;

use serde_json::json;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::time::Duration;
use support::{App, enc, manifest, single, source};

/// Sends `request` as raw bytes and returns everything the runner wrote back before closing.
fn raw(base: &str, request: &str) -> String {
    let addr = base.trim_start_matches("http://");
    let mut stream = TcpStream::connect(addr).expect("connect to the runner");
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .expect("set a read timeout");
    stream
        .write_all(request.as_bytes())
        .expect("send the request");
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    String::from_utf8_lossy(&answer).into_owned()
}

#[test]
fn well_known_health_and_info_are_answered_by_the_runner_itself() {
    let body = format!(
        "[[trigger.http]]\nroute = \"/...\"\ncomponent = \"echo\"\n\n[component.echo]\nsource = {}\n",
        source("hello")
    );
    let runner = App::new(manifest(&body).replace(
        "name = \"runner-test\"",
        "name = \"runner-test\"\nversion = \"1.2.3\"",
    ))
    .start();
    let health = runner.get("/.well-known/spin/health");
    assert_eq!((health.status, health.body.as_str()), (200, "OK"));
    let info = runner.get("/.well-known/spin/info");
    assert_eq!(info.status, 200);
    assert_eq!(
        info.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
    assert_eq!(
        info.json(),
        json!({ "name": "runner-test", "version": "1.2.3" })
    );
    // Anything else under the prefix is a 404 even though `/...` would match it.
    assert_eq!(runner.get("/.well-known/spin/other").status, 404);
    assert_eq!(runner.get("/.well-known/other").status, 200);
}

#[test]
fn route_under_the_reserved_prefix_is_reported_at_start_up() {
    let runner = App::new(single("echo", "hello", "/.well-known/spin/...", "")).start();
    assert!(
        runner.wait_for_output("are handled by the Spin runtime and will never be reached"),
        "{}",
        runner.output()
    );
}

#[test]
fn request_without_any_authority_is_refused_without_an_answer() {
    let runner = App::new(single("echo", "hello", "/...", "")).start();
    let answer = raw(&runner.base, "GET /echo HTTP/1.0\r\n\r\n");
    assert_eq!(answer, "", "Spin closes the connection without answering");
    // The well-known endpoints do not need an authority.
    let answer = raw(
        &runner.base,
        "GET /.well-known/spin/health HTTP/1.0\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.0 200"), "{answer}");
}

#[test]
fn absolute_form_target_must_agree_with_the_host_header() {
    let runner = App::new(single("echo", "hello", "/...", "")).start();
    let mismatch =
        "GET http://a.example/echo HTTP/1.1\r\nHost: b.example\r\nConnection: close\r\n\r\n";
    assert_eq!(raw(&runner.base, mismatch), "");
    let agree =
        "GET http://a.example/echo?x=1 HTTP/1.1\r\nHost: a.example\r\nConnection: close\r\n\r\n";
    let answer = raw(&runner.base, agree);
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        answer.contains(r#""uri":"http://a.example/echo?x=1""#),
        "{answer}"
    );
    assert!(
        answer.contains(r#""spin-full-url":"http://a.example/echo?x=1""#),
        "{answer}"
    );
}

#[test]
fn authority_comes_from_the_host_header_into_the_uri_and_full_url() {
    let runner = App::new(single("echo", "hello", "/...", "")).start();
    let echo = runner
        .request("GET", "/echo?q=1", &[("host", "app.example:8080")], None)
        .ok_json();
    assert_eq!(echo["uri"], "http://app.example:8080/echo?q=1");
    assert_eq!(
        echo["headers"]["spin-full-url"],
        "http://app.example:8080/echo?q=1"
    );
}

#[test]
fn service_chaining_host_header_is_stripped_and_the_request_refused() {
    let runner = App::new(single("echo", "hello", "/...", "")).start();
    let request = "GET /echo HTTP/1.1\r\nHost: other.spin.internal\r\nConnection: close\r\n\r\n";
    assert_eq!(raw(&runner.base, request), "");
}

#[test]
fn named_segment_with_underscores_becomes_a_hyphenated_header() {
    let runner = App::new(single("echo", "hello", "/users/:user_id/...", "")).start();
    let echo = runner.get_json("/users/42/echo");
    assert_eq!(echo["headers"]["spin-path-match-user-id"], "42");
    assert!(
        echo["headers"].get("spin-path-match-user_id").is_none(),
        "{echo}"
    );
}

#[test]
fn head_request_reaches_the_component_and_gets_no_body() {
    let runner = App::new(single("echo", "hello", "/...", "")).start();
    let reply = runner.request("HEAD", "/echo", &[], None);
    assert_eq!(reply.status, 200);
    assert_eq!(reply.body, "");
    assert_eq!(
        reply.headers.get("content-type").map(String::as_str),
        Some("application/json")
    );
}

#[test]
fn later_duplicate_route_wins_and_the_duplicate_is_reported() {
    let body = format!(
        "[[trigger.http]]\nroute = \"/x/...\"\ncomponent = \"first\"\n\n\
         [[trigger.http]]\nroute = \"/x/...\"\ncomponent = \"second\"\n\n\
         [component.first]\nsource = {src}\nenvironment = {{ WHO = \"first\" }}\n\n\
         [component.second]\nsource = {src}\nenvironment = {{ WHO = \"second\" }}\n",
        src = source("hello")
    );
    let runner = App::new(manifest(&body)).start();
    assert_eq!(runner.get("/x/echo").status, 200);
    assert!(
        runner.wait_for_output("first: /x/... (duplicate of second)"),
        "{}",
        runner.output()
    );
    assert!(
        !runner.output().contains("  first: http://"),
        "{}",
        runner.output()
    );
}

#[test]
fn component_description_is_listed_under_its_route() {
    let runner = App::new(single(
        "echo",
        "hello",
        "/e",
        "description = \"Echoes requests\"\n",
    ))
    .start();
    assert!(
        runner.wait_for_output("    Echoes requests"),
        "{}",
        runner.output()
    );
}

fn caps_with_variable() -> App {
    App::new(manifest(&format!(
        "[variables]\nv = {{ default = \"x\" }}\n\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"caps\"\n\n\
         [component.caps]\nsource = {}\nvariables = {{ known = \"{{{{ v }}}}\" }}\n",
        source("caps")
    )))
}

#[test]
fn variable_errors_carry_spins_messages() {
    let runner = caps_with_variable().start();
    assert_eq!(
        runner.get_json("/variables/get?name=known"),
        json!({ "value": "x" })
    );
    let undefined = runner.get_json("/variables/get?name=missing");
    assert_eq!(undefined["error"], "undefined");
    let message = undefined["message"].as_str().unwrap_or_default();
    assert!(
        message.contains(r#"no variable for \"caps\".\"missing\""#),
        "{undefined}"
    );
    for (name, reason) in [
        ("Known", "invalid character 'K'"),
        ("9lives", "must start with a lowercase ASCII letter"),
        ("known_", "must end with a lowercase ASCII letter or digit"),
        (
            "kn__own",
            "must not contain multiple consecutive underscores",
        ),
    ] {
        let answer = runner.get_json(&format!("/variables/get?name={name}"));
        assert_eq!(answer["error"], "invalid-name", "{answer}");
        assert!(
            answer["message"]
                .as_str()
                .unwrap_or_default()
                .contains(reason),
            "{name}: {answer}"
        );
    }
}

#[test]
fn wasi_config_answers_none_for_an_invalid_name() {
    let runner = caps_with_variable().start();
    assert_eq!(
        runner.get_json("/config/get?name=Bad__Name"),
        json!({ "value": null })
    );
    assert_eq!(
        runner.get_json("/config/get?name=known"),
        json!({ "value": "x" })
    );
}

fn caps_with(extra: &str) -> App {
    App::new(single("caps", "caps", "/...", extra))
}

#[test]
fn sqlite_file_flag_with_a_label_runs_against_that_database() {
    let app = caps_with("sqlite_databases = [\"default\", \"other\"]\n")
        .file(
            "rc.toml",
            "[sqlite_database.other]\ntype = \"spin\"\npath = \"other.db\"\n",
        )
        .file(
            "other.sql",
            "create table t (v text); insert into t values ('in other');\n",
        );
    let rc = app.dir().join("rc.toml").display().to_string();
    let runner = app
        .args([
            "--runtime-config-file",
            rc.as_str(),
            "--sqlite",
            "@other.sql:other",
        ])
        .start();
    let rows = runner.get_json(&format!(
        "/sqlite3/execute?db=other&sql={}",
        enc("select v from t")
    ));
    assert_eq!(rows["rows"], json!([["in other"]]));
    let default = runner.get_json(&format!("/sqlite3/execute?sql={}", enc("select v from t")));
    assert_eq!(default["error"], "io", "{default}");
}

#[test]
fn sqlite_flag_takes_one_statement_as_spin_does() {
    caps_with("sqlite_databases = [\"default\"]\n")
        .args(["--sqlite", "create table a (x); create table b (x)"])
        .start_err()
        .assert_mentions(&["failed to execute following sql statement against default database"]);
}

#[test]
fn sqlite_file_flag_naming_an_unknown_database_fails_start_up() {
    caps_with("")
        .file("x.sql", "select 1;")
        .args(["--sqlite", "@x.sql:nowhere"])
        .start_err()
        .assert_mentions(&["a registered database named 'nowhere' was expected but not found"]);
}

#[test]
fn key_value_flag_sets_keys_in_the_default_store() {
    let runner = caps_with("key_value_stores = [\"default\"]\n")
        .args(["--key-value", "greeting=hello", "--key-value", "n=1"])
        .start();
    assert_eq!(
        runner.get_json("/kv/get?key=greeting"),
        json!({ "value": "hello" })
    );
    assert_eq!(runner.get_json("/kv/get?key=n"), json!({ "value": "1" }));
}

#[test]
fn empty_state_dir_keeps_default_stores_in_memory() {
    let app = caps_with("key_value_stores = [\"default\"]\nsqlite_databases = [\"default\"]\n")
        .default_state_dir()
        .args(["--state-dir", ""]);
    let dir = app.dir().to_path_buf();
    let runner = app.start();
    assert_eq!(
        runner.get_json("/kv/set?key=k&value=v"),
        json!({ "set": true })
    );
    assert_eq!(runner.get_json("/kv/get?key=k"), json!({ "value": "v" }));
    // Spin's in-memory SQLite database is new on every open.
    runner.get_json(&format!(
        "/sqlite3/execute?sql={}",
        enc("create table t (x)")
    ));
    let again = runner.get_json(&format!(
        "/sqlite3/execute?sql={}",
        enc("create table t (x)")
    ));
    assert!(again.get("error").is_none(), "{again}");
    assert!(
        !dir.join(".spin").exists(),
        "no state directory should be created"
    );
}

#[test]
fn runtime_config_state_dir_and_relative_paths_resolve_as_in_spin() {
    let app = caps_with(
        "key_value_stores = [\"default\", \"extra\"]\nsqlite_databases = [\"default\", \"data\"]\n",
    )
    .default_state_dir();
    std::fs::create_dir_all(app.dir().join("config")).expect("create config/");
    std::fs::write(
        app.dir().join("config/rc.toml"),
        "state_dir = \"from-config\"\n\
         [sqlite_database.data]\ntype = \"spin\"\npath = \"data.db\"\n\
         [key_value_store.extra]\ntype = \"spin\"\npath = \"extra.db\"\n",
    )
    .expect("write the runtime config");
    let dir = app.dir().to_path_buf();
    let runner = app
        .args(["--runtime-config-file", "config/rc.toml"])
        .start();
    assert_eq!(
        runner.get_json("/kv/set?key=k&value=v"),
        json!({ "set": true })
    );
    assert_eq!(
        runner.get_json("/kv/set?store=extra&key=k&value=v"),
        json!({ "set": true })
    );
    runner.get_json(&format!(
        "/sqlite3/execute?db=data&sql={}",
        enc("create table t (x)")
    ));
    // SQLite paths are relative to the current directory, key-value paths to the file's.
    assert!(dir.join("data.db").is_file());
    assert!(dir.join("config/extra.db").is_file());
    assert!(dir.join("from-config/sqlite_key_value.db").is_file());
    assert!(!dir.join(".spin").exists());
}

#[test]
fn relative_state_dir_flag_is_relative_to_the_current_directory() {
    let app = caps_with("key_value_stores = [\"default\"]\n")
        .default_state_dir()
        .args(["--state-dir", "rel-state"]);
    let dir = app.dir().to_path_buf();
    let runner = app.start();
    assert_eq!(
        runner.get_json("/kv/set?key=k&value=v"),
        json!({ "set": true })
    );
    assert!(dir.join("rel-state/sqlite_key_value.db").is_file());
}

#[test]
fn trigger_base_other_than_slash_fails_start_up() {
    let body = format!(
        "[application.trigger.http]\nbase = \"/api\"\n\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"echo\"\n\n[component.echo]\nsource = {}\n",
        source("hello")
    );
    App::new(manifest(&body))
        .start_err()
        .assert_mentions(&["deprecated trigger 'base' field"]);
    let slash = body.replace("\"/api\"", "\"/\"");
    let runner = App::new(manifest(&slash)).start();
    assert_eq!(runner.get("/echo").status, 200);
}

#[test]
fn malformed_allowed_outbound_host_fails_start_up_with_spins_message() {
    caps_with("allowed_outbound_hosts = [\"example.com\"]\n")
        .start_err()
        .assert_mentions(&["does not contain a scheme (e.g., 'http://' or '*://')"]);
    caps_with("allowed_outbound_hosts = [\"insecure:allow-all\"]\n")
        .start_err()
        .assert_mentions(&["use '*://*:*' instead"]);
}

#[test]
fn start_up_names_where_the_default_stores_keep_their_data() {
    let app = caps_with("key_value_stores = [\"default\"]\nsqlite_databases = [\"default\"]\n");
    let state = app.state_path();
    let runner = app.start();
    let kv = format!(
        "Storing default key-value data to \"{}\".",
        state.join("sqlite_key_value.db").display()
    );
    let db = format!(
        "Storing default SQLite data to \"{}\".",
        state.join("sqlite_db.db").display()
    );
    assert!(runner.wait_for_output(&kv), "{}", runner.output());
    assert!(runner.wait_for_output(&db), "{}", runner.output());
    let memory = caps_with("key_value_stores = [\"default\"]\n")
        .default_state_dir()
        .args(["--state-dir", ""])
        .start();
    assert!(
        memory.wait_for_output("Storing default key-value data to a temporary in-memory store."),
        "{}",
        memory.output()
    );
    assert!(
        !memory.output().contains("default SQLite data"),
        "{}",
        memory.output()
    );
}
