//! What a client pushes: `{cookies: [object…], localStorage: {key: string},
//! clientHash?}`, validated field by field, and its canonical form.

use edge::FieldError;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A validated session: the cookies as the browser exported them (objects
/// with at least a string `name` and `value`) and localStorage entries.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionData {
    pub cookies: Vec<Value>,
    pub local_storage: Map<String, Value>,
}

/// A parsed push body.
#[derive(Debug, Clone, PartialEq)]
pub struct Push {
    pub data: SessionData,
    /// The hash the client computed, if it sent one (kept for its logs; the
    /// server always compares against the hash it stored).
    pub client_hash: Option<String>,
}

impl SessionData {
    pub fn empty() -> Self {
        Self {
            cookies: Vec::new(),
            local_storage: Map::new(),
        }
    }

    /// The canonical JSON: `{"cookies":[…],"localStorage":{…}}` with every
    /// object's keys sorted and no whitespace, so the same session always
    /// has the same bytes and hash whichever client serialised it.
    pub fn canonical_json(&self) -> Vec<u8> {
        // Written field by field (the two keys are already in sorted order) rather than
        // through a cloned root object: a 256 KiB session's value tree is megabytes, and
        // every concurrent push holds one.
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(br#"{"cookies":["#);
        for (n, cookie) in self.cookies.iter().enumerate() {
            if n > 0 {
                out.push(b',');
            }
            write_canonical(cookie, &mut out);
        }
        out.extend_from_slice(br#"],"localStorage":"#);
        write_object(&self.local_storage, &mut out);
        out.push(b'}');
        out
    }

    /// The JSON the API answers with.
    pub fn to_json(&self) -> Value {
        serde_json::json!({
            "cookies": self.cookies,
            "localStorage": self.local_storage,
        })
    }

    /// Reads canonical JSON back (a stored version).
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, String> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("stored session is not JSON: {e}"))?;
        let Value::Object(mut root) = value else {
            return Err("stored session is not an object".into());
        };
        match (root.remove("cookies"), root.remove("localStorage")) {
            (Some(Value::Array(cookies)), Some(Value::Object(local_storage))) => Ok(Self {
                cookies,
                local_storage,
            }),
            _ => Err("stored session lacks cookies or localStorage".into()),
        }
    }
}

/// SHA-256 of `bytes` as 64 lowercase hex characters.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// Whether `s` looks like a hash this API hands out.
pub fn is_hash(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Parses a push body, naming every invalid field (`cookies[2].value`).
pub fn parse_push(body: &Value) -> Result<Push, Vec<FieldError>> {
    let mut errors = Vec::new();
    let Value::Object(root) = body else {
        return Err(vec![FieldError::new("body", "must be a JSON object")]);
    };
    for key in root.keys() {
        if !matches!(key.as_str(), "cookies" | "localStorage" | "clientHash") {
            errors.push(FieldError::new(
                key.as_str(),
                "unknown field; expected cookies, localStorage, clientHash",
            ));
        }
    }
    let cookies = match root.get("cookies") {
        None => {
            errors.push(FieldError::new(
                "cookies",
                "is required (an array, may be empty)",
            ));
            Vec::new()
        }
        Some(Value::Array(items)) => {
            for (i, cookie) in items.iter().enumerate() {
                check_cookie(i, cookie, &mut errors);
            }
            items.clone()
        }
        Some(_) => {
            errors.push(FieldError::new(
                "cookies",
                "must be an array of cookie objects",
            ));
            Vec::new()
        }
    };
    let local_storage = match root.get("localStorage") {
        None => {
            errors.push(FieldError::new(
                "localStorage",
                "is required (an object, may be empty)",
            ));
            Map::new()
        }
        Some(Value::Object(entries)) => {
            for (key, value) in entries {
                if !value.is_string() {
                    errors.push(FieldError::new(
                        format!("localStorage.{key}"),
                        "must be a string (localStorage holds strings only)",
                    ));
                }
            }
            entries.clone()
        }
        Some(_) => {
            errors.push(FieldError::new(
                "localStorage",
                "must be an object of string values",
            ));
            Map::new()
        }
    };
    let client_hash = match root.get("clientHash") {
        None | Some(Value::Null) => None,
        Some(Value::String(s)) if s.len() <= 128 => Some(s.clone()),
        Some(_) => {
            errors.push(FieldError::new(
                "clientHash",
                "must be a string of at most 128 characters",
            ));
            None
        }
    };
    if errors.is_empty() {
        Ok(Push {
            data: SessionData {
                cookies,
                local_storage,
            },
            client_hash,
        })
    } else {
        Err(errors)
    }
}

fn check_cookie(i: usize, cookie: &Value, errors: &mut Vec<FieldError>) {
    let Value::Object(fields) = cookie else {
        errors.push(FieldError::new(
            format!("cookies[{i}]"),
            "must be a cookie object",
        ));
        return;
    };
    for name in ["name", "value"] {
        match fields.get(name) {
            Some(Value::String(_)) => {}
            Some(_) => errors.push(FieldError::new(
                format!("cookies[{i}].{name}"),
                "must be a string",
            )),
            None => errors.push(FieldError::new(
                format!("cookies[{i}].{name}"),
                "is required",
            )),
        }
    }
    for name in ["domain", "path", "sameSite"] {
        if let Some(v) = fields.get(name)
            && !v.is_string()
            && !v.is_null()
        {
            errors.push(FieldError::new(
                format!("cookies[{i}].{name}"),
                "must be a string",
            ));
        }
    }
}

/// Canonical JSON: sorted object keys, no whitespace, serde_json's number
/// and string encoding.
fn write_object(map: &Map<String, Value>, out: &mut Vec<u8>) {
    out.push(b'{');
    let mut entries: Vec<(&String, &Value)> = map.iter().collect();
    entries.sort_by(|a, b| a.0.cmp(b.0));
    for (n, (key, value)) in entries.into_iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_key(key, out);
        out.push(b':');
        write_canonical(value, out);
    }
    out.push(b'}');
}

fn write_canonical(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => write_object(map, out),
        Value::Array(items) => {
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_canonical(item, out);
            }
            out.push(b']');
        }
        scalar => write_scalar(scalar, out),
    }
}

/// A key, escaped as serde_json escapes any string.
fn write_key(key: &str, out: &mut Vec<u8>) {
    if serde_json::to_writer(&mut *out, key).is_err() {
        out.extend_from_slice(b"\"\"");
    }
}

fn write_scalar(value: &Value, out: &mut Vec<u8>) {
    // Serialising a scalar JSON value into a Vec cannot fail.
    if serde_json::to_writer(&mut *out, value).is_err() {
        out.extend_from_slice(b"null");
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn fields(r: Result<Push, Vec<FieldError>>) -> Vec<String> {
        r.expect_err("invalid")
            .into_iter()
            .map(|e| e.field)
            .collect()
    }

    #[test]
    fn the_canonical_form_ignores_key_order_and_whitespace() {
        let a = parse_push(&json!({
            "cookies": [{ "name": "sid", "value": "1", "domain": ".a.com" }],
            "localStorage": { "b": "2", "a": "1" }
        }))
        .expect("valid");
        let b: Value = serde_json::from_str(
            r#"{ "localStorage": {"a":"1","b":"2"},
                 "cookies": [ {"domain":".a.com","value":"1","name":"sid"} ] }"#,
        )
        .expect("json");
        let b = parse_push(&b).expect("valid");
        assert_eq!(a.data.canonical_json(), b.data.canonical_json());
        assert_eq!(
            String::from_utf8(a.data.canonical_json()).expect("utf8"),
            r#"{"cookies":[{"domain":".a.com","name":"sid","value":"1"}],"localStorage":{"a":"1","b":"2"}}"#
        );
        let hash = sha256_hex(&a.data.canonical_json());
        assert!(is_hash(&hash));
        // a changed value changes the hash; cookie order matters
        let c = parse_push(&json!({
            "cookies": [{ "name": "sid", "value": "2", "domain": ".a.com" }],
            "localStorage": { "b": "2", "a": "1" }
        }))
        .expect("valid");
        assert_ne!(sha256_hex(&c.data.canonical_json()), hash);
    }

    #[test]
    fn canonical_json_reads_back_to_the_same_session() {
        let p = parse_push(&json!({
            "cookies": [{ "name": "n", "value": "v", "expires": 1.5e9, "secure": true }],
            "localStorage": { "k": "\u{e9}\n\"" }
        }))
        .expect("valid");
        let bytes = p.data.canonical_json();
        let back = SessionData::from_canonical(&bytes).expect("read back");
        assert_eq!(back.canonical_json(), bytes);
    }

    #[test]
    fn every_bad_field_is_named() {
        assert_eq!(
            fields(parse_push(&json!({
                "cookies": [{ "name": "a", "value": 1 }, "x", { "value": "v", "domain": 3 }],
                "localStorage": { "ok": "s", "bad": 5 },
                "clientHash": 7,
                "extra": true
            }))),
            [
                "extra",
                "cookies[0].value",
                "cookies[1]",
                "cookies[2].name",
                "cookies[2].domain",
                "localStorage.bad",
                "clientHash"
            ]
        );
        assert_eq!(
            fields(parse_push(&json!({ "cookies": {}, "localStorage": [] }))),
            ["cookies", "localStorage"]
        );
        assert_eq!(fields(parse_push(&json!({}))), ["cookies", "localStorage"]);
        assert_eq!(fields(parse_push(&json!([1]))), ["body"]);
    }

    #[test]
    fn empty_sessions_are_valid() {
        let p = parse_push(&json!({ "cookies": [], "localStorage": {}, "clientHash": null }))
            .expect("valid");
        assert_eq!(p.data, SessionData::empty());
    }

    /// The field-by-field writer gives the bytes the generic one gives for the whole
    /// document, so hashes stored before it still match.
    #[test]
    fn the_canonical_bytes_are_those_of_the_whole_document() {
        let data = SessionData {
            cookies: vec![
                json!({"value": "1", "name": "sid", "domain": ".a.example", "z": [3, {"b": 1, "a": "é\n"}]}),
                json!({"name": "k", "value": "v"}),
            ],
            local_storage: serde_json::from_str(
                r#"{"zeta": "1", "Alpha": "{\"x\":1}", "mid": "\u0001"}"#,
            )
            .expect("map"),
        };
        let mut whole = Vec::new();
        write_canonical(&data.to_json(), &mut whole);
        assert_eq!(data.canonical_json(), whole);
        let mut empty = Vec::new();
        write_canonical(&SessionData::empty().to_json(), &mut empty);
        assert_eq!(SessionData::empty().canonical_json(), empty);
        assert_eq!(empty, br#"{"cookies":[],"localStorage":{}}"#);
    }
}
