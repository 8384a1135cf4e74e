//! List parameters: pages, the profile list's filters and order, the opaque
//! keyset cursor, and `LIKE` escaping for search. Bad values are named in a
//! 400 (`invalid_input`).

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use edge::FieldError;
use serde::{Deserialize, Serialize};

/// Default and largest page size.
pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 100;
/// Largest offset (deeper pages use the cursor).
pub const MAX_OFFSET: u32 = 1_000_000;

/// `?limit=&offset=`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: u32,
    pub offset: u32,
}

impl Page {
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = match limit {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        "limit",
                        format!("must be a whole number from 1 to {MAX_LIMIT}"),
                    ));
                    DEFAULT_LIMIT
                }
            },
        };
        let offset = match offset {
            None => 0,
            Some(raw) => match raw.trim().parse::<u32>() {
                Ok(n) if n <= MAX_OFFSET => n,
                _ => {
                    errors.push(FieldError::new(
                        "offset",
                        format!("must be a whole number from 0 to {MAX_OFFSET}"),
                    ));
                    0
                }
            },
        };
        if errors.is_empty() {
            Ok(Self { limit, offset })
        } else {
            Err(errors)
        }
    }
}

/// What the profile list is sorted by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum OrderBy {
    #[serde(rename = "name")]
    Name,
    #[serde(rename = "last_active")]
    LastActive,
    #[serde(rename = "created_at")]
    CreatedAt,
    #[serde(rename = "updated_at")]
    UpdatedAt,
}

impl OrderBy {
    fn parse(raw: &str) -> Option<Self> {
        match raw {
            "name" => Some(Self::Name),
            "last_active" | "lastActive" => Some(Self::LastActive),
            "created_at" | "createdAt" => Some(Self::CreatedAt),
            "updated_at" | "updatedAt" => Some(Self::UpdatedAt),
            _ => None,
        }
    }
    /// The SQL sort expression (a fixed string, never client text).
    pub fn column(self) -> &'static str {
        match self {
            Self::Name => "p.name COLLATE NOCASE",
            Self::LastActive => "p.last_active",
            Self::CreatedAt => "p.created_at",
            Self::UpdatedAt => "p.updated_at",
        }
    }
}

/// Sort direction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Order {
    #[serde(rename = "asc")]
    Asc,
    #[serde(rename = "desc")]
    Desc,
}

impl Order {
    pub fn sql(self) -> &'static str {
        match self {
            Self::Asc => "ASC",
            Self::Desc => "DESC",
        }
    }
    /// The keyset comparison that continues after a row in this order.
    pub fn after(self) -> &'static str {
        match self {
            Self::Asc => ">",
            Self::Desc => "<",
        }
    }
}

/// The sort value of the last row of a page.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SortValue {
    Int(i64),
    Text(String),
}

/// Where the next page starts: the order it belongs to and the last row's
/// sort value and id. Opaque to clients (base64url of versioned JSON).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Cursor {
    #[serde(rename = "v")]
    pub version: u8,
    #[serde(rename = "o")]
    pub order_by: OrderBy,
    #[serde(rename = "d")]
    pub order: Order,
    #[serde(rename = "k")]
    pub value: SortValue,
    #[serde(rename = "i")]
    pub id: String,
}

impl Cursor {
    pub const VERSION: u8 = 1;

    pub fn new(order_by: OrderBy, order: Order, value: SortValue, id: String) -> Self {
        Self {
            version: Self::VERSION,
            order_by,
            order,
            value,
            id,
        }
    }

    pub fn encode(&self) -> String {
        // Serializing plain data cannot fail.
        let json = serde_json::to_vec(self).unwrap_or_default();
        URL_SAFE_NO_PAD.encode(json)
    }

    pub fn decode(raw: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("cursor", "is not a cursor this API returned");
        if raw.len() > 512 {
            return Err(bad());
        }
        let bytes = URL_SAFE_NO_PAD.decode(raw.trim()).map_err(|_| bad())?;
        let cursor: Self = serde_json::from_slice(&bytes).map_err(|_| bad())?;
        let value_ok = match (&cursor.order_by, &cursor.value) {
            (OrderBy::Name, SortValue::Text(_)) => true,
            (OrderBy::Name, SortValue::Int(_)) | (_, SortValue::Text(_)) => false,
            (_, SortValue::Int(_)) => true,
        };
        if cursor.version != Self::VERSION || !value_ok || !super::is_row_id(&cursor.id) {
            return Err(bad());
        }
        Ok(cursor)
    }
}

/// The profile list's parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProfileQuery {
    pub page: Page,
    pub group_id: Option<String>,
    pub search: Option<String>,
    pub tag: Option<String>,
    pub order_by: OrderBy,
    pub order: Order,
    pub updated_since: Option<i64>,
    pub cursor: Option<Cursor>,
    pub status: Option<LockStatus>,
}

/// `?status=`: whether a live launch lock holds the profile.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockStatus {
    /// `in_use` (or `locked`, the published dashboard's other word for it).
    InUse,
    Available,
}

impl LockStatus {
    pub fn parse(raw: &str) -> Option<Self> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "in_use" | "locked" => Some(Self::InUse),
            "available" => Some(Self::Available),
            _ => None,
        }
    }
}

/// The raw query-string values.
#[derive(Debug, Default)]
pub struct RawProfileQuery<'a> {
    pub limit: Option<&'a str>,
    pub offset: Option<&'a str>,
    pub group_id: Option<&'a str>,
    pub search: Option<&'a str>,
    pub tag: Option<&'a str>,
    pub order_by: Option<&'a str>,
    pub order: Option<&'a str>,
    pub updated_since: Option<&'a str>,
    pub cursor: Option<&'a str>,
    pub status: Option<&'a str>,
}

impl ProfileQuery {
    /// Parses the list parameters. Defaults: `last_active desc`, or
    /// `updated_at asc` when `updated_since` is given (a cache catching up).
    /// A cursor fixes the order; giving another one, or an offset, with it
    /// is an error.
    pub fn parse(raw: &RawProfileQuery<'_>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let page = Page::parse(raw.limit, raw.offset).unwrap_or_else(|e| {
            errors.extend(e);
            Page {
                limit: DEFAULT_LIMIT,
                offset: 0,
            }
        });
        let group_id = raw.group_id.filter(|g| !g.is_empty()).map(str::to_owned);
        if let Some(g) = &group_id
            && !super::is_row_id(g)
        {
            errors.push(FieldError::new("groupId", "is not a group id"));
        }
        let text_filter = |field: &str, v: Option<&str>, errors: &mut Vec<FieldError>| {
            let v = v.map(str::trim).filter(|s| !s.is_empty())?;
            if v.chars().count() > 100 {
                errors.push(FieldError::new(field, "must be at most 100 characters"));
                return None;
            }
            Some(v.to_owned())
        };
        let search = text_filter("search", raw.search, &mut errors);
        let tag = text_filter("tag", raw.tag, &mut errors);
        let updated_since = match raw.updated_since {
            None => None,
            Some(v) => match v.trim().parse::<i64>() {
                Ok(n) if n >= 0 => Some(n),
                _ => {
                    errors.push(FieldError::new(
                        "updated_since",
                        "must be a time in milliseconds since the unix epoch",
                    ));
                    None
                }
            },
        };
        let order_by = match raw.order_by {
            None => None,
            Some(v) => {
                let parsed = OrderBy::parse(v.trim());
                if parsed.is_none() {
                    errors.push(FieldError::new(
                        "orderBy",
                        "must be name, last_active, created_at or updated_at",
                    ));
                }
                parsed
            }
        };
        let order = match raw.order {
            None => None,
            Some(v) => match v.trim().to_ascii_lowercase().as_str() {
                "asc" => Some(Order::Asc),
                "desc" => Some(Order::Desc),
                _ => {
                    errors.push(FieldError::new("order", "must be asc or desc"));
                    None
                }
            },
        };
        let cursor = match raw.cursor.filter(|c| !c.is_empty()) {
            None => None,
            Some(c) => match Cursor::decode(c) {
                Ok(cursor) => Some(cursor),
                Err(e) => {
                    errors.push(e);
                    None
                }
            },
        };
        let status = match raw.status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(v) => {
                let parsed = LockStatus::parse(v);
                if parsed.is_none() {
                    errors.push(FieldError::new(
                        "status",
                        "must be available, in_use or locked",
                    ));
                }
                parsed
            }
        };
        let (default_by, default_order) = if updated_since.is_some() {
            (OrderBy::UpdatedAt, Order::Asc)
        } else {
            (OrderBy::LastActive, Order::Desc)
        };
        let (order_by, order) = match &cursor {
            Some(c) => {
                if order_by.is_some_and(|o| o != c.order_by) || order.is_some_and(|o| o != c.order)
                {
                    errors.push(FieldError::new(
                        "cursor",
                        "belongs to another orderBy/order; leave them out or start again",
                    ));
                }
                if page.offset != 0 {
                    errors.push(FieldError::new("offset", "cannot be combined with cursor"));
                }
                (c.order_by, c.order)
            }
            None => (
                order_by.unwrap_or(default_by),
                order.unwrap_or(default_order),
            ),
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        Ok(Self {
            page,
            group_id,
            search,
            tag,
            order_by,
            order,
            updated_since,
            cursor,
            status,
        })
    }
}

/// The escape character of [`like_contains`] patterns (`LIKE ? ESCAPE '\'`).
pub const LIKE_ESCAPE: char = '\\';

/// A `LIKE` pattern matching `text` anywhere, with `%`, `_` and the escape
/// character itself matching literally.
pub fn like_contains(text: &str) -> String {
    let mut pattern = String::with_capacity(text.len() + 2);
    pattern.push('%');
    for c in text.chars() {
        if matches!(c, '%' | '_' | LIKE_ESCAPE) {
            pattern.push(LIKE_ESCAPE);
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(raw: RawProfileQuery<'_>) -> Result<ProfileQuery, Vec<String>> {
        ProfileQuery::parse(&raw).map_err(|e| e.into_iter().map(|f| f.field).collect())
    }

    #[test]
    fn defaults_are_50_from_0_by_last_active_descending() {
        let q = parse(RawProfileQuery::default()).expect("ok");
        assert_eq!(
            q.page,
            Page {
                limit: 50,
                offset: 0
            }
        );
        assert_eq!((q.order_by, q.order), (OrderBy::LastActive, Order::Desc));
    }

    #[test]
    fn updated_since_defaults_to_updated_at_ascending() {
        let q = parse(RawProfileQuery {
            updated_since: Some("1700000000000"),
            ..Default::default()
        })
        .expect("ok");
        assert_eq!((q.order_by, q.order), (OrderBy::UpdatedAt, Order::Asc));
        assert_eq!(q.updated_since, Some(1_700_000_000_000));
    }

    #[test]
    fn status_reads_both_clients_words_and_names_a_bad_one() {
        for (raw, want) in [
            ("available", LockStatus::Available),
            ("in_use", LockStatus::InUse),
            ("locked", LockStatus::InUse),
            (" IN_USE ", LockStatus::InUse),
        ] {
            let q = parse(RawProfileQuery {
                status: Some(raw),
                ..Default::default()
            })
            .expect(raw);
            assert_eq!(q.status, Some(want), "{raw}");
        }
        assert_eq!(
            parse(RawProfileQuery {
                status: Some("busy"),
                ..Default::default()
            }),
            Err(vec!["status".to_string()])
        );
    }

    #[test]
    fn limit_must_be_1_to_100() {
        for bad in ["0", "101", "-1", "ten", ""] {
            assert_eq!(
                parse(RawProfileQuery {
                    limit: Some(bad),
                    ..Default::default()
                }),
                Err(vec!["limit".to_string()]),
                "{bad}"
            );
        }
        for ok in ["1", "100"] {
            assert!(
                parse(RawProfileQuery {
                    limit: Some(ok),
                    ..Default::default()
                })
                .is_ok()
            );
        }
    }

    #[test]
    fn every_bad_parameter_is_named() {
        let errors = parse(RawProfileQuery {
            offset: Some("-3"),
            order_by: Some("price"),
            order: Some("up"),
            group_id: Some("x"),
            updated_since: Some("yesterday"),
            cursor: Some("garbage"),
            ..Default::default()
        })
        .expect_err("bad");
        assert_eq!(
            errors,
            vec![
                "offset",
                "groupId",
                "updated_since",
                "orderBy",
                "order",
                "cursor"
            ]
        );
    }

    #[test]
    fn cursors_round_trip_and_are_opaque() {
        let c = Cursor::new(
            OrderBy::Name,
            Order::Asc,
            SortValue::Text("Shop %1".into()),
            "0123456789abcdef0123456789abcdef".into(),
        );
        let encoded = c.encode();
        assert!(
            encoded
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(Cursor::decode(&encoded), Ok(c));
        let c = Cursor::new(
            OrderBy::LastActive,
            Order::Desc,
            SortValue::Int(1_700_000_000_123),
            "0123456789abcdef0123456789abcdef".into(),
        );
        assert_eq!(Cursor::decode(&c.encode()), Ok(c));
    }

    #[test]
    fn tampered_cursors_are_refused() {
        let forged = |json: &str| URL_SAFE_NO_PAD.encode(json);
        for bad in [
            "not base64 !".to_string(),
            forged("{}"),
            forged(
                r#"{"v":2,"o":"name","d":"asc","k":"a","i":"0123456789abcdef0123456789abcdef"}"#,
            ),
            forged(r#"{"v":1,"o":"name","d":"asc","k":5,"i":"0123456789abcdef0123456789abcdef"}"#),
            forged(
                r#"{"v":1,"o":"created_at","d":"asc","k":"x","i":"0123456789abcdef0123456789abcdef"}"#,
            ),
            forged(r#"{"v":1,"o":"name","d":"asc","k":"a","i":"' OR 1=1 --"}"#),
        ] {
            assert!(Cursor::decode(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_cursor_fixes_the_order_and_excludes_offset() {
        let c = Cursor::new(
            OrderBy::CreatedAt,
            Order::Asc,
            SortValue::Int(5),
            "0123456789abcdef0123456789abcdef".into(),
        )
        .encode();
        let q = parse(RawProfileQuery {
            cursor: Some(&c),
            ..Default::default()
        })
        .expect("ok");
        assert_eq!((q.order_by, q.order), (OrderBy::CreatedAt, Order::Asc));
        assert_eq!(
            parse(RawProfileQuery {
                cursor: Some(&c),
                order_by: Some("name"),
                offset: Some("10"),
                ..Default::default()
            }),
            Err(vec!["cursor".to_string(), "offset".to_string()])
        );
    }

    #[test]
    fn search_wildcards_match_literally() {
        assert_eq!(like_contains("50%"), "%50\\%%");
        assert_eq!(like_contains("a_b"), "%a\\_b%");
        assert_eq!(like_contains("back\\slash"), "%back\\\\slash%");
        assert_eq!(like_contains("plain"), "%plain%");
    }
}
