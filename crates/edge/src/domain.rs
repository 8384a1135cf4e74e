//! Validation newtypes: parse, don't validate. Each `parse` returns the
//! value in its normal form or a [`FieldError`] naming the field, so a
//! handler collects them into one 422.

use crate::error::FieldError;

/// An email address, trimmed and lowercased (so `Ann@Example.COM` and
/// `ann@example.com` are one account).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub const MAX_LEN: usize = 254;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let email = raw.trim().to_lowercase();
        let invalid = |why: &str| FieldError::new(field, why);
        if email.is_empty() {
            return Err(invalid("is required"));
        }
        if email.len() > Self::MAX_LEN {
            return Err(invalid("must be at most 254 characters"));
        }
        let Some((local, domain)) = email.split_once('@') else {
            return Err(invalid("is not an email address (no @)"));
        };
        let local_ok = !local.is_empty()
            && local.len() <= 64
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..")
            && local
                .chars()
                .all(|c| c.is_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c));
        let domain_ok = domain.contains('.')
            && domain.split('.').all(|label| {
                !label.is_empty()
                    && label.len() <= 63
                    && !label.starts_with('-')
                    && !label.ends_with('-')
                    && label.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if !local_ok || !domain_ok {
            return Err(invalid("is not an email address"));
        }
        Ok(Self(email))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password that meets the policy: 10 to 128 characters, not only
/// whitespace, at least 4 different characters. (Length over composition
/// rules, as NIST SP 800-63B recommends.) Never printed by `Debug`.
#[derive(Clone, PartialEq, Eq)]
pub struct Password(String);

impl Password {
    pub const MIN_CHARS: usize = 10;
    pub const MAX_CHARS: usize = 128;

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let chars = raw.chars().count();
        if chars < Self::MIN_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at least {} characters", Self::MIN_CHARS),
            ));
        }
        if chars > Self::MAX_CHARS {
            return Err(FieldError::new(
                field,
                format!("must be at most {} characters", Self::MAX_CHARS),
            ));
        }
        if raw.trim().is_empty() {
            return Err(FieldError::new(field, "must not be only whitespace"));
        }
        let mut distinct: Vec<char> = raw.chars().collect();
        distinct.sort_unstable();
        distinct.dedup();
        if distinct.len() < 4 {
            return Err(FieldError::new(
                field,
                "must contain at least 4 different characters",
            ));
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(..)")
    }
}

/// Trimmed text of 1..=`max` characters with no control characters: names
/// of people, teams, keys.
fn bounded_text(field: &str, raw: &str, max: usize) -> Result<String, FieldError> {
    let text = raw.trim();
    if text.is_empty() {
        return Err(FieldError::new(field, "is required"));
    }
    if text.chars().count() > max {
        return Err(FieldError::new(
            field,
            format!("must be at most {max} characters"),
        ));
    }
    if text.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(text.to_owned())
}

/// A person's display name (1 to 100 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        bounded_text(field, raw, 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An API key's label (1 to 100 characters).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyName(String);

impl KeyName {
    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        bounded_text(field, raw, 100).map(Self)
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A permission: `*` (everything), `resource:*` or `resource:action`, with
/// lowercase ASCII letters, digits, `_` and `-` (`profiles:read`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Scope(String);

impl Scope {
    pub const ALL: &'static str = "*";

    pub fn parse(field: &str, raw: &str) -> Result<Self, FieldError> {
        let s = raw.trim();
        let word = |w: &str| {
            !w.is_empty()
                && w.len() <= 32
                && w.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        };
        let ok = s == Self::ALL
            || match s.split_once(':') {
                Some((resource, action)) => word(resource) && (action == "*" || word(action)),
                None => false,
            };
        if ok {
            Ok(Self(s.to_owned()))
        } else {
            Err(FieldError::new(
                field,
                format!("{s:?} is not a scope; use \"*\", \"resource:*\" or \"resource:action\""),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// Whether holding this scope grants `wanted`.
    pub fn grants(&self, wanted: &Scope) -> bool {
        if self.0 == Self::ALL || self.0 == wanted.0 {
            return true;
        }
        match (self.0.split_once(':'), wanted.0.split_once(':')) {
            (Some((r, "*")), Some((wr, _))) => r == wr,
            _ => false,
        }
    }
}

/// Parses a list of scopes (at most 32), deduplicated and sorted; every
/// invalid entry is named (`scopes[2]`).
pub fn parse_scopes(field: &str, raw: &[String]) -> Result<Vec<Scope>, Vec<FieldError>> {
    if raw.len() > 32 {
        return Err(vec![FieldError::new(field, "must list at most 32 scopes")]);
    }
    let mut errors = Vec::new();
    let mut scopes = Vec::new();
    for (i, s) in raw.iter().enumerate() {
        match Scope::parse(&format!("{field}[{i}]"), s) {
            Ok(scope) => scopes.push(scope),
            Err(e) => errors.push(e),
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    if scopes.is_empty() {
        return Err(vec![FieldError::new(field, "must not be empty")]);
    }
    scopes.sort();
    scopes.dedup();
    Ok(scopes)
}

/// Whether a caller holding `held` may use (or hand out) every scope in `wanted`.
pub fn scopes_grant(held: &[Scope], wanted: &[Scope]) -> bool {
    wanted.iter().all(|w| held.iter().any(|h| h.grants(w)))
}

/// The `X-Client-ID` of a desktop client: 1 to 128 characters of
/// `[A-Za-z0-9._:-]` (the same rule as the `locks` provider's).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClientId(String);

impl ClientId {
    pub fn parse(raw: &str) -> Result<Self, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("X-Client-ID is empty".into());
        }
        if s.len() > 128 {
            return Err("X-Client-ID is longer than 128 characters".into());
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b':' | b'-'))
        {
            return Err(
                "X-Client-ID may only contain letters, digits, '.', '_', ':' and '-'".into(),
            );
        }
        Ok(Self(s.to_owned()))
    }
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_trimmed_and_lowercased() {
        let e = Email::parse("email", "  Ann.Lee+qa@Example.COM ").expect("valid");
        assert_eq!(e.as_str(), "ann.lee+qa@example.com");
    }

    #[test]
    fn malformed_emails_are_refused_naming_the_field() {
        for raw in [
            "",
            "ann",
            "ann@",
            "@example.com",
            "ann@example",
            "ann@@example.com",
            "a b@example.com",
            "ann@exa_mple.com",
            ".ann@example.com",
            "ann@-example.com",
        ] {
            let e = Email::parse("email", raw).expect_err(raw);
            assert_eq!(e.field, "email");
        }
        assert!(Email::parse("email", &format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn passwords_follow_the_policy() {
        assert!(Password::parse("password", "correct horse").is_ok());
        let short = Password::parse("password", "short").expect_err("too short");
        assert_eq!(short.field, "password");
        assert!(short.message.contains("10"));
        assert!(Password::parse("password", &"ab".repeat(65)).is_err());
        assert!(Password::parse("password", "          ").is_err());
        assert!(Password::parse("password", "aaaaaaaaaaaa").is_err());
        assert!(Password::parse("password", "ababababab").is_err());
        assert!(Password::parse("password", "пароль-длинный").is_ok());
    }

    #[test]
    fn passwords_are_not_printed() {
        let p = Password::parse("password", "hunter2hunter2").expect("valid");
        assert_eq!(format!("{p:?}"), "Password(..)");
    }

    #[test]
    fn names_are_trimmed_and_bounded() {
        assert_eq!(
            PersonName::parse("name", "  Ann Lee ")
                .expect("valid")
                .as_str(),
            "Ann Lee"
        );
        assert!(PersonName::parse("name", "   ").is_err());
        assert!(PersonName::parse("name", &"x".repeat(101)).is_err());
        assert!(KeyName::parse("name", "ci\u{0007}key").is_err());
        assert!(KeyName::parse("name", "Laptop – Chrome").is_ok());
    }

    #[test]
    fn scopes_parse_and_grant() {
        let all = Scope::parse("s", "*").expect("valid");
        let profiles_any = Scope::parse("s", "profiles:*").expect("valid");
        let profiles_read = Scope::parse("s", "profiles:read").expect("valid");
        let sync_write = Scope::parse("s", "sync:write").expect("valid");
        assert!(all.grants(&sync_write));
        assert!(profiles_any.grants(&profiles_read));
        assert!(!profiles_any.grants(&sync_write));
        assert!(!profiles_read.grants(&profiles_any));
        for bad in ["", "profiles", "Profiles:read", "a:b:c", "x:", ":y", "**"] {
            assert!(Scope::parse("s", bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn scope_lists_name_each_bad_entry() {
        let raw = vec![
            "profiles:read".to_string(),
            "nope".to_string(),
            "profiles:read".to_string(),
        ];
        let errors = parse_scopes("scopes", &raw).expect_err("invalid");
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "scopes[1]");
        let ok = parse_scopes(
            "scopes",
            &["b:x".to_string(), "a:y".to_string(), "b:x".to_string()],
        )
        .expect("valid");
        assert_eq!(
            ok.iter().map(Scope::as_str).collect::<Vec<_>>(),
            ["a:y", "b:x"]
        );
        assert!(parse_scopes("scopes", &[]).is_err());
    }

    #[test]
    fn a_limited_caller_cannot_hand_out_wider_scopes() {
        let held = parse_scopes("s", &["profiles:*".to_string()]).expect("valid");
        let narrower = parse_scopes("s", &["profiles:read".to_string()]).expect("valid");
        let wider = parse_scopes("s", &["*".to_string()]).expect("valid");
        assert!(scopes_grant(&held, &narrower));
        assert!(!scopes_grant(&held, &wider));
    }
}
