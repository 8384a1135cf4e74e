//! `?limit=&offset=` of every list route.

use crate::error::FieldError;

/// One page of a list, with the total the page was cut from.
#[derive(Debug)]
pub struct Listed<T> {
    pub items: Vec<T>,
    pub total: i64,
}

/// A window into a list: at most `limit` items after skipping `offset`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Page {
    pub limit: i64,
    pub offset: i64,
}

impl Page {
    pub const DEFAULT_LIMIT: i64 = 50;
    pub const MAX_LIMIT: i64 = 100;
    /// Deep offsets are refused rather than scanned.
    pub const MAX_OFFSET: i64 = 1_000_000;

    /// Parses the two query parameters; absent means the default.
    pub fn parse(limit: Option<&str>, offset: Option<&str>) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let limit = match limit.map(str::trim) {
            None | Some("") => Self::DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=Self::MAX_LIMIT).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        "limit",
                        format!("must be a whole number from 1 to {}", Self::MAX_LIMIT),
                    ));
                    Self::DEFAULT_LIMIT
                }
            },
        };
        let offset = match offset.map(str::trim) {
            None | Some("") => 0,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (0..=Self::MAX_OFFSET).contains(&n) => n,
                _ => {
                    errors.push(FieldError::new(
                        "offset",
                        format!("must be a whole number from 0 to {}", Self::MAX_OFFSET),
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn absent_parameters_take_the_defaults() {
        assert_eq!(
            Page::parse(None, None).expect("valid"),
            Page {
                limit: 50,
                offset: 0
            }
        );
        assert_eq!(
            Page::parse(Some("10"), Some("20")).expect("valid"),
            Page {
                limit: 10,
                offset: 20
            }
        );
    }

    #[test]
    fn out_of_range_or_non_numeric_values_name_the_parameter() {
        for (limit, offset, field) in [
            (Some("0"), None, "limit"),
            (Some("101"), None, "limit"),
            (Some("ten"), None, "limit"),
            (None, Some("-1"), "offset"),
            (None, Some("1e3"), "offset"),
        ] {
            let errors = Page::parse(limit, offset).expect_err("invalid");
            assert_eq!(errors[0].field, field);
        }
        assert_eq!(
            Page::parse(Some("x"), Some("y"))
                .expect_err("invalid")
                .len(),
            2
        );
    }
}
