//! A test plan's test cases and capture ids, validated from the raw JSON so
//! that every problem is named by case index and field
//! (`testCases[2].steps[0]`), whatever the client sent.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use edge::FieldError;

/// Longest test case id, in characters.
pub const MAX_ID_CHARS: usize = 64;
/// Longest title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;
/// Most steps in one test case.
pub const MAX_STEPS_PER_CASE: usize = 100;
/// Longest step, in characters.
pub const MAX_STEP_CHARS: usize = 1000;
/// Longest expected result, in characters.
pub const MAX_EXPECTED_CHARS: usize = 2000;
/// Most capture ids on one plan.
pub const MAX_CAPTURE_IDS: usize = 100;
/// Longest capture id, in characters.
pub const MAX_CAPTURE_ID_CHARS: usize = 64;
/// At most this many problems are reported for one request.
pub const MAX_REPORTED_ERRORS: usize = 50;

/// One test case, as stored and returned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestCase {
    pub id: String,
    pub title: String,
    pub steps: Vec<String>,
    pub expected: String,
}

/// Parses `testCases`: a list of 1..=`max_cases` objects with a unique
/// string `id`, a `title`, `steps` (a list of 1..=100 non-empty strings) and
/// `expected`. Text is trimmed. Every invalid field is named.
pub fn parse_test_cases(
    field: &str,
    raw: &Value,
    max_cases: usize,
) -> Result<Vec<TestCase>, Vec<FieldError>> {
    let Some(items) = raw.as_array() else {
        return Err(vec![FieldError::new(field, "must be a list of test cases")]);
    };
    if items.is_empty() {
        return Err(vec![FieldError::new(
            field,
            "must contain at least one test case",
        )]);
    }
    if items.len() > max_cases {
        return Err(vec![FieldError::new(
            field,
            format!("must contain at most {max_cases} test cases"),
        )]);
    }
    let mut errors = Vec::new();
    let mut cases = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        match parse_case(&format!("{field}[{i}]"), item) {
            Ok(case) => {
                if let Some(first) = cases.iter().position(|c: &TestCase| c.id == case.id) {
                    errors.push(FieldError::new(
                        format!("{field}[{i}].id"),
                        format!("duplicates the id of {field}[{first}]"),
                    ));
                }
                cases.push(case);
            }
            Err(mut case_errors) => {
                errors.append(&mut case_errors);
                // Keeps indices aligned for the duplicate check.
                cases.push(TestCase {
                    id: String::new(),
                    title: String::new(),
                    steps: Vec::new(),
                    expected: String::new(),
                });
            }
        }
        if errors.len() >= MAX_REPORTED_ERRORS {
            break;
        }
    }
    errors.truncate(MAX_REPORTED_ERRORS);
    if errors.is_empty() {
        Ok(cases)
    } else {
        Err(errors)
    }
}

fn parse_case(prefix: &str, item: &Value) -> Result<TestCase, Vec<FieldError>> {
    let Some(object) = item.as_object() else {
        return Err(vec![FieldError::new(
            prefix,
            "must be an object with id, title, steps and expected",
        )]);
    };
    let mut errors = Vec::new();
    let mut text = |name: &str, max: usize| -> String {
        let field = format!("{prefix}.{name}");
        match object.get(name) {
            None | Some(Value::Null) => errors.push(FieldError::new(field, "is required")),
            Some(Value::String(s)) => match super::required_text(&field, s, max) {
                Ok(t) => return t,
                Err(e) => errors.push(e),
            },
            Some(_) => errors.push(FieldError::new(field, "must be a string")),
        }
        String::new()
    };
    let id = text("id", MAX_ID_CHARS);
    let title = text("title", MAX_TITLE_CHARS);
    let expected = text("expected", MAX_EXPECTED_CHARS);
    let steps = parse_steps(&format!("{prefix}.steps"), object.get("steps"), &mut errors);
    if errors.is_empty() {
        Ok(TestCase {
            id,
            title,
            steps,
            expected,
        })
    } else {
        Err(errors)
    }
}

fn parse_steps(field: &str, raw: Option<&Value>, errors: &mut Vec<FieldError>) -> Vec<String> {
    let items = match raw {
        None | Some(Value::Null) => {
            errors.push(FieldError::new(field, "is required"));
            return Vec::new();
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            errors.push(FieldError::new(field, "must be a list of strings"));
            return Vec::new();
        }
    };
    if items.is_empty() {
        errors.push(FieldError::new(field, "must contain at least one step"));
        return Vec::new();
    }
    if items.len() > MAX_STEPS_PER_CASE {
        errors.push(FieldError::new(
            field,
            format!("must contain at most {MAX_STEPS_PER_CASE} steps"),
        ));
        return Vec::new();
    }
    let mut steps = Vec::with_capacity(items.len());
    for (j, step) in items.iter().enumerate() {
        let step_field = format!("{field}[{j}]");
        match step {
            Value::String(s) => match super::required_text(&step_field, s, MAX_STEP_CHARS) {
                Ok(t) => steps.push(t),
                Err(e) => errors.push(e),
            },
            _ => errors.push(FieldError::new(step_field, "must be a string")),
        }
    }
    steps
}

/// Parses `captureIds`: a list of at most 100 non-empty strings without
/// control characters; duplicates are dropped, order kept.
pub fn parse_capture_ids(field: &str, raw: &Value) -> Result<Vec<String>, Vec<FieldError>> {
    let items = match raw {
        Value::Null => return Ok(Vec::new()),
        Value::Array(items) => items,
        _ => {
            return Err(vec![FieldError::new(
                field,
                "must be a list of capture ids",
            )]);
        }
    };
    if items.len() > MAX_CAPTURE_IDS {
        return Err(vec![FieldError::new(
            field,
            format!("must contain at most {MAX_CAPTURE_IDS} capture ids"),
        )]);
    }
    let mut errors = Vec::new();
    let mut ids: Vec<String> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let item_field = format!("{field}[{i}]");
        match item {
            Value::String(s) => match super::required_text(&item_field, s, MAX_CAPTURE_ID_CHARS) {
                Ok(id) if !ids.contains(&id) => ids.push(id),
                Ok(_) => {}
                Err(e) => errors.push(e),
            },
            _ => errors.push(FieldError::new(item_field, "must be a string")),
        }
    }
    errors.truncate(MAX_REPORTED_ERRORS);
    if errors.is_empty() {
        Ok(ids)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(errors: &[FieldError]) -> Vec<&str> {
        errors.iter().map(|e| e.field.as_str()).collect()
    }

    fn valid_case(id: &str) -> Value {
        json!({
            "id": id,
            "title": "Valid login",
            "steps": ["Enter email", "Enter password", "Click submit"],
            "expected": "User logged in",
        })
    }

    #[test]
    fn the_seed_example_parses() {
        let cases = parse_test_cases("testCases", &json!([valid_case("1")]), 10).expect("valid");
        assert_eq!(
            cases,
            vec![TestCase {
                id: "1".into(),
                title: "Valid login".into(),
                steps: vec![
                    "Enter email".into(),
                    "Enter password".into(),
                    "Click submit".into()
                ],
                expected: "User logged in".into(),
            }]
        );
    }

    #[test]
    fn text_is_trimmed_and_unknown_fields_are_dropped() {
        let raw = json!([{ "id": " a ", "title": " T ", "steps": [" s "], "expected": " e ", "extra": 1 }]);
        let cases = parse_test_cases("testCases", &raw, 10).expect("valid");
        assert_eq!(cases[0].id, "a");
        assert_eq!(cases[0].steps, vec!["s".to_string()]);
        assert_eq!(
            serde_json::to_value(&cases[0]).expect("json"),
            json!({"id":"a","title":"T","steps":["s"],"expected":"e"})
        );
    }

    #[test]
    fn each_bad_field_is_named_by_case_index() {
        let raw = json!([
            valid_case("1"),
            { "id": 2, "title": "", "steps": "click", "expected": "ok" },
            { "id": "3", "title": "t", "steps": ["a", 5, ""] },
            "not an object",
        ]);
        let errors = parse_test_cases("testCases", &raw, 10).expect_err("invalid");
        assert_eq!(
            fields(&errors),
            vec![
                "testCases[1].id",
                "testCases[1].title",
                "testCases[1].steps",
                "testCases[2].expected",
                "testCases[2].steps[1]",
                "testCases[2].steps[2]",
                "testCases[3]",
            ]
        );
        assert_eq!(errors[0].message, "must be a string");
        assert_eq!(errors[3].message, "is required");
    }

    #[test]
    fn duplicate_ids_are_refused() {
        let errors = parse_test_cases(
            "testCases",
            &json!([valid_case("a"), valid_case("b"), valid_case("a")]),
            10,
        )
        .expect_err("duplicate");
        assert_eq!(fields(&errors), vec!["testCases[2].id"]);
        assert!(errors[0].message.contains("testCases[0]"));
    }

    #[test]
    fn the_list_itself_is_checked() {
        for raw in [json!(null), json!({}), json!("x"), json!([])] {
            let errors = parse_test_cases("testCases", &raw, 10).expect_err("invalid");
            assert_eq!(fields(&errors), vec!["testCases"], "{raw}");
        }
        let many: Vec<Value> = (0..11).map(|i| valid_case(&i.to_string())).collect();
        let errors = parse_test_cases("testCases", &json!(many), 10).expect_err("too many");
        assert!(errors[0].message.contains("at most 10"));
    }

    #[test]
    fn steps_and_text_lengths_are_bounded() {
        let mut case = valid_case("1");
        case["steps"] = json!(vec!["s"; MAX_STEPS_PER_CASE + 1]);
        let errors = parse_test_cases("testCases", &json!([case]), 10).expect_err("too many");
        assert_eq!(fields(&errors), vec!["testCases[0].steps"]);
        let mut case = valid_case("1");
        case["steps"] = json!(["x".repeat(MAX_STEP_CHARS + 1)]);
        case["title"] = json!("t".repeat(MAX_TITLE_CHARS + 1));
        let errors = parse_test_cases("testCases", &json!([case]), 10).expect_err("too long");
        assert_eq!(
            fields(&errors),
            vec!["testCases[0].title", "testCases[0].steps[0]"]
        );
        let errors = parse_test_cases(
            "testCases",
            &json!([{ "id": "1", "title": "t", "steps": [], "expected": "e" }]),
            10,
        )
        .expect_err("no steps");
        assert_eq!(fields(&errors), vec!["testCases[0].steps"]);
    }

    #[test]
    fn the_number_of_reported_errors_is_bounded() {
        let bad: Vec<Value> = (0..200).map(|_| json!({})).collect();
        let errors = parse_test_cases("testCases", &json!(bad), 1000).expect_err("invalid");
        assert_eq!(errors.len(), MAX_REPORTED_ERRORS);
    }

    #[test]
    fn capture_ids_are_strings_deduplicated_in_order() {
        assert_eq!(
            parse_capture_ids("captureIds", &json!(["b", "a", "b"])).expect("valid"),
            vec!["b".to_string(), "a".to_string()]
        );
        assert_eq!(
            parse_capture_ids("captureIds", &json!(null)).expect("valid"),
            Vec::<String>::new()
        );
        let errors = parse_capture_ids("captureIds", &json!(["a", 1, ""])).expect_err("invalid");
        assert_eq!(fields(&errors), vec!["captureIds[1]", "captureIds[2]"]);
        assert!(parse_capture_ids("captureIds", &json!("a")).is_err());
        assert!(parse_capture_ids("captureIds", &json!(vec!["x"; 101])).is_err());
    }
}
