//! Application variables and the `{{ name }}` templates that reference them.
//!
//! Precedence is Spin's: `--variable` on the command line, then `SPIN_VARIABLE_<NAME>` in the
//! environment, then the manifest default. A required variable without a value fails start-up.

use crate::manifest::Variable;
use anyhow::{Result, bail};
use indexmap::IndexMap;
use std::collections::HashMap;

#[derive(Debug, Clone, Default)]
pub struct AppVariables {
    values: HashMap<String, String>,
}

impl AppVariables {
    pub fn resolve(
        declared: &IndexMap<String, Variable>,
        cli: &[(String, String)],
        env: impl Fn(&str) -> Option<String>,
    ) -> Result<Self> {
        let mut values = HashMap::new();
        for (name, _) in cli {
            if !declared.contains_key(name) {
                bail!("--variable {name}: no variable {name:?} is declared in [variables]");
            }
        }
        for (name, decl) in declared {
            let from_cli = cli
                .iter()
                .rev()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone());
            let from_env = || env(&format!("SPIN_VARIABLE_{}", name.to_ascii_uppercase()));
            let value = from_cli.or_else(from_env).or_else(|| decl.default.clone());
            match value {
                Some(v) => {
                    values.insert(name.clone(), v);
                }
                None if decl.required => bail!(
                    "required variable {name:?} has no value: pass --variable {name}=... or set SPIN_VARIABLE_{}",
                    name.to_ascii_uppercase()
                ),
                None => {}
            }
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    /// Expands every `{{ name }}` in `template`. An undefined name is an error naming it.
    pub fn expand(&self, template: &str) -> Result<String> {
        let mut out = String::with_capacity(template.len());
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            out.push_str(&rest[..start]);
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                bail!("unterminated `{{{{` in template {template:?}");
            };
            let name = after[..end].trim();
            match self.get(name) {
                Some(v) => out.push_str(v),
                None => bail!("template {template:?} references undefined variable {name:?}"),
            }
            rest = &after[end + 2..];
        }
        out.push_str(rest);
        Ok(out)
    }

    /// Checks that every variable a template names is declared, without needing its value.
    pub fn check_references(template: &str, declared: &IndexMap<String, Variable>) -> Result<()> {
        let mut rest = template;
        while let Some(start) = rest.find("{{") {
            let after = &rest[start + 2..];
            let Some(end) = after.find("}}") else {
                bail!("unterminated `{{{{` in template {template:?}");
            };
            let name = after[..end].trim();
            if !declared.contains_key(name) {
                bail!(
                    "template {template:?} references {name:?}, which is not declared in [variables]"
                );
            }
            rest = &after[end + 2..];
        }
        Ok(())
    }
}

/// The variables one component may read: its `[component.x.variables]`, expanded.
#[derive(Debug, Clone, Default)]
pub struct ComponentVariables {
    values: IndexMap<String, String>,
}

impl ComponentVariables {
    pub fn new(templates: &IndexMap<String, String>, app: &AppVariables) -> Result<Self> {
        let mut values = IndexMap::new();
        for (name, template) in templates {
            let value = app
                .expand(template)
                .map_err(|e| anyhow::anyhow!("component variable {name:?}: {e}"))?;
            values.insert(name.clone(), value);
        }
        Ok(Self { values })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.values.get(name).map(String::as_str)
    }

    pub fn all(&self) -> impl Iterator<Item = (&str, &str)> {
        self.values.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }
}

/// Spin's rule for a variable name passed to `variables.get`, with Spin's reasons:
/// lower-case letters, digits and single underscores, starting with a letter and ending with
/// a letter or digit. The error is the text of Spin's `invalid-name`.
pub fn check_name(key: &str) -> Result<(), String> {
    let reason = if key.is_empty() {
        "must not be empty".to_string()
    } else if let Some(c) = key
        .chars()
        .find(|c| !(c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_'))
    {
        format!(
            "invalid character {c:?}. Variable names may contain only lower-case letters, numbers, and underscores."
        )
    } else if !key.as_bytes()[0].is_ascii_lowercase() {
        "must start with a lowercase ASCII letter".to_string()
    } else if !key.as_bytes()[key.len() - 1].is_ascii_alphanumeric() {
        "must end with a lowercase ASCII letter or digit".to_string()
    } else if key.contains("__") {
        "must not contain multiple consecutive underscores".to_string()
    } else {
        return Ok(());
    };
    Err(format!("{key:?}: {reason}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn decl(entries: &[(&str, Option<&str>, bool)]) -> IndexMap<String, Variable> {
        entries
            .iter()
            .map(|(n, d, r)| {
                (
                    n.to_string(),
                    Variable {
                        default: d.map(str::to_string),
                        required: *r,
                        secret: false,
                        description: None,
                    },
                )
            })
            .collect()
    }

    #[test]
    fn cli_beats_env_beats_default() {
        let d = decl(&[
            ("a", Some("def"), false),
            ("b", Some("def"), false),
            ("c", Some("def"), false),
        ]);
        let env = |k: &str| match k {
            "SPIN_VARIABLE_A" | "SPIN_VARIABLE_B" => Some("env".to_string()),
            _ => None,
        };
        let v = AppVariables::resolve(&d, &[("a".into(), "cli".into())], env).unwrap();
        assert_eq!(v.get("a"), Some("cli"));
        assert_eq!(v.get("b"), Some("env"));
        assert_eq!(v.get("c"), Some("def"));
    }

    #[test]
    fn required_variable_without_value_fails() {
        let d = decl(&[("secret_key", None, true)]);
        let err = AppVariables::resolve(&d, &[], |_| None).unwrap_err();
        assert!(err.to_string().contains("secret_key"));
    }

    #[test]
    fn undeclared_cli_variable_fails() {
        let d = decl(&[]);
        assert!(AppVariables::resolve(&d, &[("x".into(), "1".into())], |_| None).is_err());
    }

    #[test]
    fn templates_expand_and_name_missing_variables() {
        let d = decl(&[("host", Some("example.com"), false)]);
        let v = AppVariables::resolve(&d, &[], |_| None).unwrap();
        assert_eq!(
            v.expand("https://{{ host }}:443").unwrap(),
            "https://example.com:443"
        );
        assert_eq!(v.expand("{{host}}").unwrap(), "example.com");
        assert!(
            v.expand("{{ nope }}")
                .unwrap_err()
                .to_string()
                .contains("nope")
        );
    }

    #[test]
    fn names_are_checked_with_spins_reasons() {
        assert_eq!(check_name("api_key"), Ok(()));
        assert_eq!(check_name(""), Err("\"\": must not be empty".into()));
        assert!(
            check_name("Api")
                .unwrap_err()
                .contains("invalid character 'A'")
        );
        assert!(
            check_name("1a")
                .unwrap_err()
                .contains("must start with a lowercase ASCII letter")
        );
        assert!(
            check_name("a_")
                .unwrap_err()
                .contains("must end with a lowercase ASCII letter or digit")
        );
        assert!(
            check_name("a__b")
                .unwrap_err()
                .contains("must not contain multiple consecutive underscores")
        );
    }
}
