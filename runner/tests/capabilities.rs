//! Every host capability, granted: SQLite v2 and v3, Spin key-value, wasi:keyvalue
//! (store, atomics, batch), variables and wasi:config, and where state lives.

mod support;

use serde_json::{Value, json};
use support::{App, Runner, enc, single};

const GRANTED: &str = "sqlite_databases = [\"default\"]\nkey_value_stores = [\"default\"]\n";

fn caps(extra: &str) -> Runner {
    App::new(single("caps", "caps", "/...", extra)).start()
}

/// `GET /<group>/execute?sql=…&p=…` on `fixture-caps`.
fn execute(runner: &Runner, group: &str, sql: &str, params: &[&str]) -> Value {
    let mut path = format!("/{group}/execute?sql={}", enc(sql));
    for p in params {
        path.push_str(&format!("&p={}", enc(p)));
    }
    runner.get_json(&path)
}

#[test]
fn sqlite_v2_executes_statements_with_typed_parameters() {
    let runner = caps(GRANTED);
    let created = execute(
        &runner,
        "sqlite2",
        "create table t (i integer, r real, s text, b blob, n)",
        &[],
    );
    assert_eq!(created["rows"], json!([]), "{created}");
    execute(
        &runner,
        "sqlite2",
        "insert into t values (?, ?, ?, ?, ?)",
        &["i:42", "r:1.5", "t:hello world", "b:00ff", "null"],
    );
    let selected = execute(&runner, "sqlite2", "select i, r, s, b, n from t", &[]);
    assert_eq!(selected["columns"], json!(["i", "r", "s", "b", "n"]));
    assert_eq!(
        selected["rows"],
        json!([[42, 1.5, "hello world", {"blob": "00ff"}, null]])
    );
}

#[test]
fn sqlite_v3_reports_last_insert_rowid_and_changes() {
    let runner = caps(GRANTED);
    execute(
        &runner,
        "sqlite3",
        "create table notes (id integer primary key, body text)",
        &[],
    );
    execute(
        &runner,
        "sqlite3",
        "insert into notes (body) values ('a')",
        &[],
    );
    let second = execute(
        &runner,
        "sqlite3",
        "insert into notes (body) values (?)",
        &["t:b"],
    );
    assert_eq!(second["last_insert_rowid"], 2, "{second}");
    assert_eq!(second["changes"], 1, "{second}");
    let updated = execute(&runner, "sqlite3", "update notes set body = 'z'", &[]);
    assert_eq!(updated["changes"], 2, "{updated}");
    let rows = execute(
        &runner,
        "sqlite3",
        "select id, body from notes order by id",
        &[],
    );
    assert_eq!(rows["rows"], json!([[1, "z"], [2, "z"]]));
}

#[test]
fn sqlite_v2_and_v3_share_the_default_database() {
    let runner = caps(GRANTED);
    execute(&runner, "sqlite2", "create table shared (v text)", &[]);
    execute(
        &runner,
        "sqlite2",
        "insert into shared values ('from v2')",
        &[],
    );
    let rows = execute(&runner, "sqlite3", "select v from shared", &[]);
    assert_eq!(rows["rows"], json!([["from v2"]]));
}

#[test]
fn invalid_sql_is_an_io_error_not_a_trap() {
    let runner = caps(GRANTED);
    let v2 = execute(&runner, "sqlite2", "selec nonsense", &[]);
    assert_eq!(v2["error"], "io", "{v2}");
    let v3 = execute(&runner, "sqlite3", "select * from no_such_table", &[]);
    assert_eq!(v3["error"], "io", "{v3}");
    assert_eq!(runner.get("/sqlite3/open").ok_json()["opened"], true);
}

#[test]
fn spin_key_value_sets_gets_lists_and_deletes() {
    let runner = caps(GRANTED);
    assert_eq!(runner.get_json("/kv/get?key=a"), json!({ "value": null }));
    assert_eq!(
        runner.get_json("/kv/exists?key=a"),
        json!({ "exists": false })
    );
    assert_eq!(
        runner.get_json("/kv/set?key=a&value=1"),
        json!({ "set": true })
    );
    assert_eq!(
        runner.get_json("/kv/set?key=b&value=two"),
        json!({ "set": true })
    );
    assert_eq!(runner.get_json("/kv/get?key=b"), json!({ "value": "two" }));
    assert_eq!(
        runner.get_json("/kv/exists?key=a"),
        json!({ "exists": true })
    );
    assert_eq!(runner.get_json("/kv/keys"), json!({ "keys": ["a", "b"] }));
    assert_eq!(
        runner.get_json("/kv/delete?key=a"),
        json!({ "deleted": true })
    );
    assert_eq!(runner.get_json("/kv/keys"), json!({ "keys": ["b"] }));
    assert_eq!(
        runner.get_json("/kv/delete?key=missing"),
        json!({ "deleted": true })
    );
}

#[test]
fn wasi_keyvalue_and_spin_key_value_share_the_default_store() {
    let runner = caps(GRANTED);
    runner.get_json("/kv/set?key=shared&value=from-spin");
    assert_eq!(
        runner.get_json("/wasi-kv/get?key=shared"),
        json!({ "value": "from-spin" })
    );
    runner.get_json("/wasi-kv/set?key=other&value=from-wasi");
    assert_eq!(
        runner.get_json("/kv/get?key=other"),
        json!({ "value": "from-wasi" })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/keys"),
        json!({ "keys": ["other", "shared"] })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/exists?key=other"),
        json!({ "exists": true })
    );
    runner.get_json("/wasi-kv/delete?key=other");
    assert_eq!(
        runner.get_json("/wasi-kv/exists?key=other"),
        json!({ "exists": false })
    );
}

#[test]
fn wasi_keyvalue_increment_counts_from_zero() {
    let runner = caps(GRANTED);
    assert_eq!(
        runner.get_json("/wasi-kv/increment?key=hits&delta=1"),
        json!({ "value": 1 })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/increment?key=hits&delta=5"),
        json!({ "value": 6 })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/increment?key=hits&delta=-2"),
        json!({ "value": 4 })
    );
}

#[test]
fn wasi_keyvalue_compare_and_swap_succeeds_when_unchanged() {
    let runner = caps(GRANTED);
    runner.get_json("/wasi-kv/set?key=lock&value=free");
    assert_eq!(
        runner.get_json("/wasi-kv/cas?key=lock&value=taken"),
        json!({ "previous": "free", "swapped": true })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/get?key=lock"),
        json!({ "value": "taken" })
    );
    assert_eq!(
        runner.get_json("/wasi-kv/cas?key=fresh&value=first"),
        json!({ "previous": null, "swapped": true })
    );
}

#[test]
fn wasi_keyvalue_compare_and_swap_fails_when_the_value_changed_behind_it() {
    let runner = caps(GRANTED);
    runner.get_json("/wasi-kv/set?key=lock&value=free");
    let answer = runner.get_json("/wasi-kv/cas-conflict?key=lock&value=mine");
    assert_eq!(answer["error"], "cas-failed", "{answer}");
    assert_eq!(
        runner.get_json("/wasi-kv/get?key=lock"),
        json!({ "value": "changed-behind-the-cas" })
    );
}

#[test]
fn wasi_keyvalue_batch_sets_gets_and_deletes_many() {
    let runner = caps(GRANTED);
    assert_eq!(
        runner.get_json("/wasi-kv/set-many?kv=a:1&kv=b:2&kv=c:3"),
        json!({ "set": 3 })
    );
    let values = runner.get_json("/wasi-kv/get-many?key=a&key=c&key=zzz")["values"].clone();
    assert_eq!(values["a"], "1", "{values}");
    assert_eq!(values["c"], "3", "{values}");
    // Spin's SQLite store answers only the keys it holds; the WIT also allows a `none` entry.
    assert!(values.get("zzz").is_none_or(Value::is_null), "{values}");
    assert_eq!(
        runner.get_json("/wasi-kv/delete-many?key=a&key=b"),
        json!({ "deleted": 2 })
    );
    assert_eq!(runner.get_json("/wasi-kv/keys"), json!({ "keys": ["c"] }));
}

#[test]
fn component_variables_are_read_through_spin_variables_and_wasi_config() {
    let body = format!(
        "[variables]\nwho = {{ default = \"world\" }}\n\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"caps\"\n\n\
         [component.caps]\nsource = {}\n\n\
         [component.caps.variables]\ngreeting = \"hello {{{{ who }}}}\"\nplain = \"fixed\"\n",
        support::source("caps")
    );
    let runner = App::new(support::manifest(&body)).start();
    assert_eq!(
        runner.get_json("/variables/get?name=greeting"),
        json!({ "value": "hello world" })
    );
    assert_eq!(
        runner.get_json("/config/get?name=plain"),
        json!({ "value": "fixed" })
    );
    assert_eq!(
        runner.get_json("/config/get-all")["values"],
        json!({ "greeting": "hello world", "plain": "fixed" })
    );
}

#[test]
fn undefined_variable_is_undefined_for_spin_and_none_for_wasi_config() {
    let runner = caps("[component.caps.variables]\nplain = \"fixed\"\n");
    let spin = runner.get_json("/variables/get?name=nope");
    assert_eq!(spin["error"], "undefined", "{spin}");
    assert_eq!(
        runner.get_json("/config/get?name=nope"),
        json!({ "value": null })
    );
}

#[test]
fn state_persists_across_restarts_in_the_state_directory() {
    let runner = caps(GRANTED);
    runner.get_json("/kv/set?key=kept&value=yes");
    execute(&runner, "sqlite3", "create table kept (v text)", &[]);
    execute(&runner, "sqlite3", "insert into kept values ('row')", &[]);
    let state = runner.app().state_path();
    assert!(
        state.join("sqlite_db.db").is_file(),
        "sqlite_db.db in {}",
        state.display()
    );
    assert!(
        state.join("sqlite_key_value.db").is_file(),
        "sqlite_key_value.db in {}",
        state.display()
    );

    let runner = runner.stop().start();
    assert_eq!(
        runner.get_json("/kv/get?key=kept"),
        json!({ "value": "yes" })
    );
    assert_eq!(
        execute(&runner, "sqlite3", "select v from kept", &[])["rows"],
        json!([["row"]])
    );
}

#[test]
fn default_state_directory_is_dot_spin_beside_the_manifest() {
    let runner = App::new(single("caps", "caps", "/...", GRANTED))
        .default_state_dir()
        .start();
    runner.get_json("/kv/set?key=k&value=v");
    execute(&runner, "sqlite3", "create table t (v)", &[]);
    let dot_spin = runner.app().dir().join(".spin");
    assert!(dot_spin.join("sqlite_db.db").is_file());
    assert!(dot_spin.join("sqlite_key_value.db").is_file());
}

#[test]
fn runtime_config_file_defines_extra_spin_stores_with_paths() {
    let runtime_config = "[key_value_store.extra]\ntype = \"spin\"\npath = \"extra_kv.db\"\n\n\
                          [sqlite_database.reports]\ntype = \"spin\"\npath = \"reports.db\"\n";
    let app = App::new(single(
        "caps",
        "caps",
        "/...",
        "sqlite_databases = [\"default\", \"reports\"]\nkey_value_stores = [\"default\", \"extra\"]\n",
    ))
    .file("runtime-config.toml", runtime_config);
    let config_path = app.dir().join("runtime-config.toml");
    let runner = app
        .arg("--runtime-config-file")
        .arg(config_path.display().to_string())
        .start();
    runner.get_json("/kv/set?store=extra&key=k&value=in-extra");
    assert_eq!(
        runner.get_json("/kv/get?store=extra&key=k"),
        json!({ "value": "in-extra" })
    );
    assert_eq!(
        runner.get_json("/kv/get?store=default&key=k"),
        json!({ "value": null })
    );
    let created = runner.get_json(&format!(
        "/sqlite3/execute?db=reports&sql={}",
        enc("create table r (v)")
    ));
    assert!(created.get("error").is_none(), "{created}");
    // Relative paths are resolved against the runtime config file's directory.
    assert!(runner.app().dir().join("extra_kv.db").is_file());
    assert!(runner.app().dir().join("reports.db").is_file());
}
