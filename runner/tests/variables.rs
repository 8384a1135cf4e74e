//! Variable resolution: `--variable` beats `SPIN_VARIABLE_<NAME>` beats the manifest default;
//! a required variable with no value fails start-up.

mod support;

use serde_json::json;
use support::{App, manifest, source};

fn greeting_app(variables: &str) -> App {
    App::new(manifest(&format!(
        "[variables]\n{variables}\n\n\
         [[trigger.http]]\nroute = \"/...\"\ncomponent = \"caps\"\n\n\
         [component.caps]\nsource = {}\n\n\
         [component.caps.variables]\ngreeting = \"{{{{ app_greeting }}}}\"\n",
        source("caps")
    )))
}

const WITH_DEFAULT: &str = "app_greeting = { default = \"from-default\" }";

fn greeting(app: App) -> serde_json::Value {
    app.start().get_json("/variables/get?name=greeting")
}

#[test]
fn manifest_default_applies_when_nothing_overrides_it() {
    assert_eq!(
        greeting(greeting_app(WITH_DEFAULT)),
        json!({ "value": "from-default" })
    );
}

#[test]
fn environment_variable_beats_the_default() {
    let app = greeting_app(WITH_DEFAULT).env("SPIN_VARIABLE_APP_GREETING", "from-env");
    assert_eq!(greeting(app), json!({ "value": "from-env" }));
}

#[test]
fn command_line_variable_beats_environment_and_default() {
    let app = greeting_app(WITH_DEFAULT)
        .env("SPIN_VARIABLE_APP_GREETING", "from-env")
        .args(["--variable", "app_greeting=from-flag"]);
    assert_eq!(greeting(app), json!({ "value": "from-flag" }));
}

#[test]
fn required_variable_is_satisfied_by_the_command_line() {
    let app = greeting_app("app_greeting = { required = true }")
        .args(["--variable", "app_greeting=given"]);
    assert_eq!(greeting(app), json!({ "value": "given" }));
}

#[test]
fn required_variable_is_satisfied_by_the_environment() {
    let app = greeting_app("app_greeting = { required = true, secret = true }")
        .env("SPIN_VARIABLE_APP_GREETING", "from-env");
    assert_eq!(greeting(app), json!({ "value": "from-env" }));
}

#[test]
fn required_variable_without_a_value_fails_start_up_naming_it() {
    let failure = greeting_app("app_greeting = { required = true }").start_err();
    failure.assert_mentions(&["app_greeting"]);
}
