//! What a client pushes: `{cookies: [object…], localStorage: {key: string}
//! or {origin: {key: string}}, sessionStorage?, indexedDB?, extensions?,
//! clientHash?}`, validated field by field, and its canonical form.
//!
//! The parts beyond the seed's two (cookies and localStorage) are kept only
//! when they are not empty, so a session of the two alone has the canonical
//! bytes, and so the hash, it had before they existed.

use edge::FieldError;
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};

/// A validated session: the cookies as the browser exported them (objects
/// with at least a string `name` and `value`), localStorage entries (flat,
/// or keyed by origin as Chrome stores them), and, when the client has
/// them, sessionStorage (the same two forms), IndexedDB databases (any JSON
/// per database name) and installed extensions (ids or objects).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct SessionData {
    pub cookies: Vec<Value>,
    pub local_storage: Map<String, Value>,
    pub session_storage: Map<String, Value>,
    pub indexed_db: Map<String, Value>,
    pub extensions: Vec<Value>,
}

/// The most of each part one session holds; over it, 413 naming the part.
pub const MAX_COOKIES: usize = 10_000;
pub const MAX_STORAGE_KEYS: usize = 10_000;
pub const MAX_INDEXED_DBS: usize = 100;
pub const MAX_EXTENSIONS: usize = 100;

/// A part of a session over its bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartTooLarge {
    pub part: &'static str,
    pub count: usize,
    pub limit: usize,
}

impl std::fmt::Display for PartTooLarge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} holds {} entries; a session holds at most {}",
            self.part, self.count, self.limit
        )
    }
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
        Self::default()
    }

    /// The first part over its bound, if any.
    pub fn check_bounds(&self) -> Result<(), PartTooLarge> {
        let storage_keys = |m: &Map<String, Value>| -> usize {
            m.values().map(|v| v.as_object().map_or(1, Map::len)).sum()
        };
        for (part, count, limit) in [
            ("cookies", self.cookies.len(), MAX_COOKIES),
            (
                "localStorage",
                storage_keys(&self.local_storage),
                MAX_STORAGE_KEYS,
            ),
            (
                "sessionStorage",
                storage_keys(&self.session_storage),
                MAX_STORAGE_KEYS,
            ),
            ("indexedDB", self.indexed_db.len(), MAX_INDEXED_DBS),
            ("extensions", self.extensions.len(), MAX_EXTENSIONS),
        ] {
            if count > limit {
                return Err(PartTooLarge { part, count, limit });
            }
        }
        Ok(())
    }

    /// The canonical JSON: `{"cookies":[…],"localStorage":{…}}` (with
    /// `extensions`, `indexedDB` and `sessionStorage` in their sorted places
    /// when not empty), every object's keys sorted and no whitespace, so the
    /// same session always has the same bytes and hash whichever client
    /// serialised it.
    pub fn canonical_json(&self) -> Vec<u8> {
        // Written field by field (the keys in sorted order) rather than through a
        // cloned root object: a 256 KiB session's value tree is megabytes, and
        // every concurrent push holds one.
        let mut out = Vec::with_capacity(64);
        out.extend_from_slice(br#"{"cookies":"#);
        write_array(&self.cookies, &mut out);
        if !self.extensions.is_empty() {
            out.extend_from_slice(br#","extensions":"#);
            write_array(&self.extensions, &mut out);
        }
        if !self.indexed_db.is_empty() {
            out.extend_from_slice(br#","indexedDB":"#);
            write_object(&self.indexed_db, &mut out);
        }
        out.extend_from_slice(br#","localStorage":"#);
        write_object(&self.local_storage, &mut out);
        if !self.session_storage.is_empty() {
            out.extend_from_slice(br#","sessionStorage":"#);
            write_object(&self.session_storage, &mut out);
        }
        out.push(b'}');
        out
    }

    /// The JSON the API answers with: the parts beyond cookies and
    /// localStorage only when the session has them.
    pub fn to_json(&self) -> Value {
        let mut out = serde_json::json!({
            "cookies": self.cookies,
            "localStorage": self.local_storage,
        });
        if !self.session_storage.is_empty() {
            out["sessionStorage"] = Value::Object(self.session_storage.clone());
        }
        if !self.indexed_db.is_empty() {
            out["indexedDB"] = Value::Object(self.indexed_db.clone());
        }
        if !self.extensions.is_empty() {
            out["extensions"] = Value::Array(self.extensions.clone());
        }
        out
    }

    /// Reads canonical JSON back (a stored version).
    pub fn from_canonical(bytes: &[u8]) -> Result<Self, String> {
        let value: Value = serde_json::from_slice(bytes)
            .map_err(|e| format!("stored session is not JSON: {e}"))?;
        let Value::Object(mut root) = value else {
            return Err("stored session is not an object".into());
        };
        let object = |v: Option<Value>| match v {
            Some(Value::Object(m)) => Some(m),
            None => Some(Map::new()),
            Some(_) => None,
        };
        let array = |v: Option<Value>| match v {
            Some(Value::Array(a)) => Some(a),
            None => Some(Vec::new()),
            Some(_) => None,
        };
        match (root.remove("cookies"), root.remove("localStorage")) {
            (Some(Value::Array(cookies)), Some(Value::Object(local_storage))) => Ok(Self {
                cookies,
                local_storage,
                session_storage: object(root.remove("sessionStorage"))
                    .ok_or("stored sessionStorage is not an object")?,
                indexed_db: object(root.remove("indexedDB"))
                    .ok_or("stored indexedDB is not an object")?,
                extensions: array(root.remove("extensions"))
                    .ok_or("stored extensions is not an array")?,
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
        if !matches!(
            key.as_str(),
            "cookies"
                | "localStorage"
                | "sessionStorage"
                | "indexedDB"
                | "extensions"
                | "clientHash"
        ) {
            errors.push(FieldError::new(
                key.as_str(),
                "unknown field; expected cookies, localStorage, sessionStorage, indexedDB, extensions, clientHash",
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
        Some(v) => storage("localStorage", v, &mut errors),
    };
    let session_storage = match root.get("sessionStorage") {
        None | Some(Value::Null) => Map::new(),
        Some(v) => storage("sessionStorage", v, &mut errors),
    };
    let indexed_db = match root.get("indexedDB") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(dbs)) => dbs.clone(),
        Some(_) => {
            errors.push(FieldError::new(
                "indexedDB",
                "must be an object of databases by name",
            ));
            Map::new()
        }
    };
    let extensions = match root.get("extensions") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(items)) => {
            for (i, item) in items.iter().enumerate() {
                if !item.is_string() && !item.is_object() {
                    errors.push(FieldError::new(
                        format!("extensions[{i}]"),
                        "must be an extension id or an object",
                    ));
                }
            }
            items.clone()
        }
        Some(_) => {
            errors.push(FieldError::new(
                "extensions",
                "must be an array of extension ids or objects",
            ));
            Vec::new()
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
                session_storage,
                indexed_db,
                extensions,
            },
            client_hash,
        })
    } else {
        Err(errors)
    }
}

/// Web storage (`localStorage`, `sessionStorage`): `{key: string}`, or by
/// origin, `{origin: {key: string}}`; each entry may take either form.
fn storage(part: &str, value: &Value, errors: &mut Vec<FieldError>) -> Map<String, Value> {
    let Value::Object(entries) = value else {
        errors.push(FieldError::new(
            part,
            "must be an object of string values (or of such objects by origin)",
        ));
        return Map::new();
    };
    for (key, value) in entries {
        match value {
            Value::String(_) => {}
            Value::Object(inner) => {
                for (k, v) in inner {
                    if !v.is_string() {
                        errors.push(FieldError::new(
                            format!("{part}.{key}.{k}"),
                            "must be a string (web storage holds strings only)",
                        ));
                    }
                }
            }
            _ => errors.push(FieldError::new(
                format!("{part}.{key}"),
                "must be a string, or an object of strings for an origin",
            )),
        }
    }
    entries.clone()
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

fn write_array(items: &[Value], out: &mut Vec<u8>) {
    out.push(b'[');
    for (n, item) in items.iter().enumerate() {
        if n > 0 {
            out.push(b',');
        }
        write_canonical(item, out);
    }
    out.push(b']');
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
        Value::Array(items) => write_array(items, out),
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
            ..SessionData::default()
        };
        let mut whole = Vec::new();
        write_canonical(&data.to_json(), &mut whole);
        assert_eq!(data.canonical_json(), whole);
        let mut empty = Vec::new();
        write_canonical(&SessionData::empty().to_json(), &mut empty);
        assert_eq!(SessionData::empty().canonical_json(), empty);
        assert_eq!(empty, br#"{"cookies":[],"localStorage":{}}"#);
    }

    #[test]
    fn empty_new_parts_keep_the_old_bytes_and_present_ones_sit_in_sorted_order() {
        let old = parse_push(&json!({
            "cookies": [{"name": "a", "value": "1"}], "localStorage": {"k": "v"}
        }))
        .expect("valid");
        let with_empty = parse_push(&json!({
            "cookies": [{"name": "a", "value": "1"}], "localStorage": {"k": "v"},
            "sessionStorage": {}, "indexedDB": {}, "extensions": []
        }))
        .expect("valid");
        assert_eq!(old.data.canonical_json(), with_empty.data.canonical_json());
        assert_eq!(
            String::from_utf8(old.data.canonical_json()).expect("utf8"),
            r#"{"cookies":[{"name":"a","value":"1"}],"localStorage":{"k":"v"}}"#
        );
        let full = parse_push(&json!({
            "cookies": [], "localStorage": {"https://a.example": {"t": "1"}, "flat": "x"},
            "sessionStorage": {"s": "2"}, "indexedDB": {"db1": {"stores": [1, 2]}},
            "extensions": ["abcdefghijklmnop", {"id": "x", "enabled": true}]
        }))
        .expect("valid");
        let mut whole = Vec::new();
        write_canonical(&full.data.to_json(), &mut whole);
        assert_eq!(full.data.canonical_json(), whole);
        let back = SessionData::from_canonical(&whole).expect("reads back");
        assert_eq!(back, full.data);
    }

    #[test]
    fn web_storage_by_origin_is_accepted_and_bad_values_are_named() {
        assert_eq!(
            fields(parse_push(&json!({
                "cookies": [],
                "localStorage": {"https://a.example": {"ok": "s", "bad": 1}, "n": null},
                "sessionStorage": [],
                "indexedDB": "x",
                "extensions": [3]
            }))),
            [
                "localStorage.https://a.example.bad",
                "localStorage.n",
                "sessionStorage",
                "indexedDB",
                "extensions[0]"
            ]
        );
    }

    #[test]
    fn each_part_is_bounded() {
        let mut data = SessionData::empty();
        assert_eq!(data.check_bounds(), Ok(()));
        data.extensions = vec![json!("e"); MAX_EXTENSIONS + 1];
        assert_eq!(data.check_bounds().map_err(|e| e.part), Err("extensions"));
        let mut data = SessionData::empty();
        let origin: Map<String, Value> = (0..=MAX_STORAGE_KEYS)
            .map(|i| (format!("k{i}"), json!("v")))
            .collect();
        data.session_storage
            .insert("https://a.example".into(), Value::Object(origin));
        assert_eq!(
            data.check_bounds().map_err(|e| e.part),
            Err("sessionStorage")
        );
    }
}
