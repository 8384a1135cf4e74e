//! `POST /api/profiles/bulk`: the request, read into one action on a list of
//! ids (every invalid field named in one 422), and the tag arithmetic the
//! actions do on each profile. Pure, unit-tested.

use edge::FieldError;
use serde_json::{Map, Value};

/// Most ids in one request.
pub const MAX_IDS: usize = 100;

/// What to do to every profile listed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    /// Into this group, or out of any group (`null`).
    MoveGroup(Option<String>),
    AddTags(Vec<String>),
    RemoveTags(Vec<String>),
    /// This team proxy, or none (`null`); either way the profile's own
    /// proxy is dropped.
    SetProxy(Option<String>),
    Delete,
}

impl Action {
    /// The API name.
    pub fn name(&self) -> &'static str {
        match self {
            Action::MoveGroup(_) => "move_group",
            Action::AddTags(_) => "add_tags",
            Action::RemoveTags(_) => "remove_tags",
            Action::SetProxy(_) => "set_proxy",
            Action::Delete => "delete",
        }
    }

    /// The profile fields an edit changes (for the audit entry).
    pub fn fields(&self) -> &'static [&'static str] {
        match self {
            Action::MoveGroup(_) => &["groupId"],
            Action::AddTags(_) | Action::RemoveTags(_) => &["tags"],
            Action::SetProxy(_) => &["proxyId", "proxy"],
            Action::Delete => &[],
        }
    }
}

/// A whole request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BulkRequest {
    pub action: Action,
    /// As sent, in order (ids that cannot be ours are answered per item).
    pub ids: Vec<String>,
}

/// Reads the body: `action`, `ids` (1 to 100 distinct strings) and the
/// action's own field: `groupId` / `proxyId` (an id or null), `tags`.
pub fn parse(body: &Map<String, Value>, max_tags: usize) -> Result<BulkRequest, Vec<FieldError>> {
    let mut errors = Vec::new();
    let ids = parse_ids(body.get("ids"), &mut errors);
    let action = match body.get("action").and_then(Value::as_str) {
        Some("move_group") => reference(body, "groupId", &mut errors).map(Action::MoveGroup),
        Some("set_proxy") => reference(body, "proxyId", &mut errors).map(Action::SetProxy),
        Some("add_tags") => tags(body, max_tags, &mut errors).map(Action::AddTags),
        Some("remove_tags") => tags(body, usize::MAX, &mut errors).map(Action::RemoveTags),
        Some("delete") => Some(Action::Delete),
        _ => {
            errors.push(FieldError::new(
                "action",
                "must be one of move_group, add_tags, remove_tags, set_proxy, delete",
            ));
            None
        }
    };
    match (action, ids) {
        (Some(action), Some(ids)) if errors.is_empty() => Ok(BulkRequest { action, ids }),
        _ => Err(errors),
    }
}

fn parse_ids(raw: Option<&Value>, errors: &mut Vec<FieldError>) -> Option<Vec<String>> {
    let Some(Value::Array(items)) = raw else {
        errors.push(FieldError::new("ids", "must be a list of profile ids"));
        return None;
    };
    if items.is_empty() || items.len() > MAX_IDS {
        errors.push(FieldError::new(
            "ids",
            format!("must list 1 to {MAX_IDS} profile ids"),
        ));
        return None;
    }
    let mut ids: Vec<String> = Vec::with_capacity(items.len());
    let before = errors.len();
    for (i, item) in items.iter().enumerate() {
        match item.as_str() {
            Some(id) if ids.iter().any(|x| x == id) => errors.push(FieldError::new(
                format!("ids[{i}]"),
                "is listed more than once",
            )),
            Some(id) if id.len() <= 64 => ids.push(id.to_owned()),
            _ => errors.push(FieldError::new(
                format!("ids[{i}]"),
                "must be a profile id (a string)",
            )),
        }
    }
    (errors.len() == before).then_some(ids)
}

/// `groupId` / `proxyId`: required; an id or `null`. An id that cannot be
/// ours names the field, as an id of another team does later.
fn reference(
    body: &Map<String, Value>,
    field: &str,
    errors: &mut Vec<FieldError>,
) -> Option<Option<String>> {
    match body.get(field) {
        Some(Value::Null) => Some(None),
        Some(Value::String(id)) if edge::ids::is_row_id(id.trim()) => {
            Some(Some(id.trim().to_owned()))
        }
        Some(Value::String(id)) => {
            errors.push(FieldError::new(field, format!("no {id:?} in this team")));
            None
        }
        _ => {
            errors.push(FieldError::new(
                field,
                "is required for this action: an id, or null for none",
            ));
            None
        }
    }
}

fn tags(
    body: &Map<String, Value>,
    max: usize,
    errors: &mut Vec<FieldError>,
) -> Option<Vec<String>> {
    let raw: Option<Vec<String>> = body
        .get("tags")
        .and_then(|v| serde_json::from_value(v.clone()).ok());
    match raw {
        Some(raw) if !raw.is_empty() => crate::domain::parse_tags("tags", &raw, max)
            .map_err(|e| errors.extend(e))
            .ok(),
        _ => {
            errors.push(FieldError::new(
                "tags",
                "is required for this action: a non-empty list of tags",
            ));
            None
        }
    }
}

/// `current` plus `added` (case-insensitively new ones, in order), or the
/// count it would reach when that is over `max`.
pub fn add_tags(current: &[String], added: &[String], max: usize) -> Result<Vec<String>, usize> {
    let mut tags = current.to_vec();
    for tag in added {
        if !tags.iter().any(|t| t.eq_ignore_ascii_case(tag)) {
            tags.push(tag.clone());
        }
    }
    if tags.len() > max && tags.len() > current.len() {
        Err(tags.len())
    } else {
        Ok(tags)
    }
}

/// `current` without `removed` (case-insensitively).
pub fn remove_tags(current: &[String], removed: &[String]) -> Vec<String> {
    current
        .iter()
        .filter(|t| !removed.iter().any(|r| r.eq_ignore_ascii_case(t)))
        .cloned()
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    const ID: &str = "0123456789abcdef0123456789abcdef";

    fn parsed(v: Value) -> Result<BulkRequest, Vec<String>> {
        let Value::Object(map) = v else {
            panic!("object")
        };
        parse(&map, 3).map_err(|e| e.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn each_action_reads_its_own_field() {
        let r = parsed(json!({"action": "move_group", "ids": [ID], "groupId": ID})).expect("ok");
        assert_eq!(r.action, Action::MoveGroup(Some(ID.into())));
        let r = parsed(json!({"action": "set_proxy", "ids": ["x"], "proxyId": null})).expect("ok");
        assert_eq!(r.action, Action::SetProxy(None));
        assert_eq!(r.ids, vec!["x".to_string()]);
        let r = parsed(json!({"action": "add_tags", "ids": [ID], "tags": ["a", "A", "b"]}))
            .expect("ok");
        assert_eq!(r.action, Action::AddTags(vec!["a".into(), "b".into()]));
        let r = parsed(json!({"action": "delete", "ids": [ID]})).expect("ok");
        assert_eq!(r.action, Action::Delete);
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            parsed(json!({"action": "explode", "ids": []})).expect_err("bad"),
            vec!["ids", "action"]
        );
        assert_eq!(
            parsed(json!({"action": "move_group", "ids": [ID, ID, 7]})).expect_err("bad"),
            vec!["ids[1]", "ids[2]", "groupId"]
        );
        assert_eq!(
            parsed(json!({"action": "add_tags", "ids": [ID], "tags": []})).expect_err("bad"),
            vec!["tags"]
        );
        assert_eq!(
            parsed(json!({"action": "add_tags", "ids": [ID], "tags": ["a", "b", "c", "d"]}))
                .expect_err("bad"),
            vec!["tags"]
        );
        assert_eq!(
            parsed(json!({"action": "set_proxy", "ids": [ID], "proxyId": "nope"}))
                .expect_err("bad"),
            vec!["proxyId"]
        );
        let many: Vec<String> = (0..101).map(|i| format!("{i}")).collect();
        assert_eq!(
            parsed(json!({"action": "delete", "ids": many})).expect_err("bad"),
            vec!["ids"]
        );
    }

    #[test]
    fn tags_are_added_and_removed_case_insensitively_within_the_limit() {
        let current = vec!["Work".to_string(), "us".to_string()];
        assert_eq!(
            add_tags(&current, &["work".into(), "eu".into()], 3),
            Ok(vec!["Work".into(), "us".into(), "eu".into()])
        );
        assert_eq!(add_tags(&current, &["a".into(), "b".into()], 3), Err(4));
        assert_eq!(add_tags(&current, &["US".into()], 1), Ok(current.clone()));
        assert_eq!(
            remove_tags(&current, &["WORK".into()]),
            vec!["us".to_string()]
        );
    }
}
