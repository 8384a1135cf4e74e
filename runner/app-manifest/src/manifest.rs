//! Spin manifest v2 (`spin.toml`), the subset of fields Spin 4.0 accepts.
//!
//! Unknown fields are refused the way Spin refuses them (`deny_unknown_fields`), so a
//! manifest that starts here also parses on Spin, and a typo is reported with its field name.

use anyhow::{Context, Result, bail};
use indexmap::IndexMap;
use serde::Deserialize;
use std::path::{Path, PathBuf};

// Parsed so every field Spin accepts is accepted here too; the runner itself has no use for some.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Manifest {
    pub spin_manifest_version: toml::Value,
    pub application: Application,
    #[serde(default)]
    pub variables: IndexMap<String, Variable>,
    #[serde(default, rename = "trigger")]
    pub triggers: IndexMap<String, Vec<toml::Table>>,
    #[serde(default, rename = "component")]
    pub components: IndexMap<String, Component>,
}

// Parsed so every field Spin accepts is accepted here too; the runner itself has no use for some.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Application {
    pub name: String,
    #[serde(default)]
    pub version: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub authors: Vec<String>,
    #[serde(default)]
    pub targets: Vec<toml::Value>,
    #[serde(default)]
    pub trigger: IndexMap<String, toml::Table>,
    #[serde(default)]
    pub tool: IndexMap<String, toml::Table>,
}

// Parsed so every field Spin accepts is accepted here too; the runner itself has no use for some.
#[allow(dead_code)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variable {
    #[serde(default)]
    pub default: Option<String>,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub secret: bool,
    #[serde(default)]
    pub description: Option<String>,
}

// Parsed so every field Spin accepts is accepted here too; the runner itself has no use for some.
#[allow(dead_code)]
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Component {
    pub source: toml::Value,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub variables: IndexMap<String, String>,
    #[serde(default)]
    pub environment: IndexMap<String, String>,
    #[serde(default)]
    pub files: Vec<toml::Value>,
    #[serde(default)]
    pub exclude_files: Vec<String>,
    #[serde(default)]
    pub allowed_http_hosts: Vec<String>,
    #[serde(default)]
    pub allowed_outbound_hosts: Vec<String>,
    #[serde(default)]
    pub key_value_stores: Vec<String>,
    #[serde(default)]
    pub sqlite_databases: Vec<String>,
    #[serde(default)]
    pub ai_models: Vec<String>,
    #[serde(default)]
    pub targets: Option<Vec<toml::Value>>,
    #[serde(default)]
    pub build: Option<toml::Table>,
    #[serde(default)]
    pub tool: IndexMap<String, toml::Table>,
    #[serde(default)]
    pub dependencies_inherit_configuration: Option<bool>,
    #[serde(default)]
    pub dependencies: IndexMap<String, Dependency>,
    #[serde(default)]
    pub profile: IndexMap<String, toml::Table>,
}

/// A `[component.x.dependencies]` entry. Only local sources can be composed here: a registry
/// or URL dependency is refused at start-up with its name.
// Parsed so every field Spin accepts is accepted here too; the runner itself has no use for some.
#[allow(dead_code)]
#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum Dependency {
    Version(String),
    Table(DependencyTable),
}

// Parsed so every field Spin accepts is accepted here too; the runner itself has no use for some.
#[allow(dead_code)]
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependencyTable {
    pub path: Option<String>,
    pub component: Option<String>,
    pub version: Option<String>,
    pub registry: Option<String>,
    pub package: Option<String>,
    pub url: Option<String>,
    pub digest: Option<String>,
    pub export: Option<String>,
    pub inherit_configuration: Option<InheritConfiguration>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum InheritConfiguration {
    All(bool),
    Some(Vec<String>),
}

/// One `[[trigger.http]]` entry after validation.
#[derive(Debug, Clone)]
pub struct HttpTrigger {
    pub component: String,
    /// `None` for `route = { private = true }`: the component is loaded but never routed.
    pub route: Option<String>,
}

/// Where a component's wasm comes from, resolved against the manifest's directory.
#[derive(Debug, Clone)]
pub struct LocalSource(pub PathBuf);

impl Manifest {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read manifest {}", path.display()))?;
        Self::parse(&text).with_context(|| format!("invalid manifest {}", path.display()))
    }

    /// Parses and validates a manifest's text.
    pub fn parse(text: &str) -> Result<Self> {
        let manifest: Manifest = toml::from_str(text).map_err(|e| anyhow::anyhow!("{e}"))?;
        manifest.validate()?;
        Ok(manifest)
    }

    fn validate(&self) -> Result<()> {
        if self.spin_manifest_version.as_integer() != Some(2) {
            bail!("field `spin_manifest_version` must be 2");
        }
        for name in self.variables.keys() {
            check_snake_id(name).with_context(|| format!("variable name {name:?}"))?;
        }
        for (name, var) in &self.variables {
            if var.required && var.default.is_some() {
                bail!("variable {name:?}: `required` and `default` are mutually exclusive");
            }
        }
        for (id, component) in &self.components {
            check_kebab_id(id).with_context(|| format!("component id {id:?}"))?;
            for name in component.variables.keys() {
                check_snake_id(name)
                    .with_context(|| format!("component {id:?}: variable name {name:?}"))?;
            }
            let per_dep = component
                .dependencies
                .values()
                .any(|d| matches!(d, Dependency::Table(t) if t.inherit_configuration.is_some()));
            if component.dependencies_inherit_configuration.is_some() && per_dep {
                bail!(
                    "component {id:?} specifies both `dependencies_inherit_configuration` and \
                     per-dependency `inherit_configuration`; use one or the other"
                );
            }
        }
        // Spin 4 refuses the old `base` unless it is the default `/` (then it warns).
        if let Some(http) = self.application.trigger.get("http") {
            for key in http.keys() {
                if key != "base" {
                    bail!("[application.trigger.http]: unknown field `{key}`, expected `base`");
                }
            }
            match http.get("base") {
                None => {}
                Some(toml::Value::String(base)) if base == "/" => tracing::warn!(
                    "This application has the deprecated trigger 'base' set to the default value '/'. This may be an error in the future!"
                ),
                Some(_) => bail!(
                    "This application is using the deprecated trigger 'base' field. The base must be prepended to each [[trigger.http]]'s 'route'."
                ),
            }
        }
        for trigger_type in self.triggers.keys() {
            if trigger_type != "http" {
                bail!(
                    "trigger type {trigger_type:?} is not supported by this runner (only `http`)"
                );
            }
        }
        self.http_triggers()?;
        Ok(())
    }

    pub fn http_triggers(&self) -> Result<Vec<HttpTrigger>> {
        let mut out = Vec::new();
        for (index, table) in self.triggers.get("http").into_iter().flatten().enumerate() {
            let at = format!("[[trigger.http]] #{}", index + 1);
            for key in table.keys() {
                if !matches!(key.as_str(), "id" | "component" | "route" | "executor") {
                    bail!("{at}: unknown field `{key}`");
                }
            }
            let component = match table.get("component") {
                Some(toml::Value::String(c)) => c.clone(),
                Some(_) => bail!("{at}: field `component` must be a component id string"),
                None => bail!("{at}: missing field `component`"),
            };
            if !self.components.contains_key(&component) {
                bail!(
                    "{at}: field `component` names {component:?}, which is not a [component.{component}]"
                );
            }
            let route = match table.get("route") {
                Some(toml::Value::String(r)) => Some(r.clone()),
                Some(toml::Value::Table(t)) => match t.get("private") {
                    Some(toml::Value::Boolean(true)) if t.len() == 1 => None,
                    _ => bail!(
                        "{at}: field `route` must be a string pattern or `{{ private = true }}`"
                    ),
                },
                Some(_) => {
                    bail!("{at}: field `route` must be a string pattern or `{{ private = true }}`")
                }
                None => bail!("{at}: missing field `route`"),
            };
            if let Some(executor) = table.get("executor") {
                let is_http = executor
                    .as_table()
                    .and_then(|t| t.get("type"))
                    .and_then(|t| t.as_str())
                    == Some("http");
                if !is_http {
                    bail!("{at}: only the default `http` executor is supported");
                }
            }
            out.push(HttpTrigger { component, route });
        }
        Ok(out)
    }
}

impl Component {
    pub fn local_source(&self, id: &str, base: &Path) -> Result<LocalSource> {
        match &self.source {
            toml::Value::String(p) => Ok(LocalSource(base.join(p))),
            toml::Value::Table(_) => bail!(
                "component {id:?}: field `source` is a URL or registry source; this runner only loads local files"
            ),
            _ => bail!("component {id:?}: field `source` must be a file path"),
        }
    }

    /// Spin's rule: the component-level flag, or each dependency's own `inherit_configuration`.
    pub fn inherit_for(&self, dep: &Dependency) -> InheritConfiguration {
        if self.dependencies_inherit_configuration == Some(true) {
            return InheritConfiguration::All(true);
        }
        match dep {
            Dependency::Table(t) => t
                .inherit_configuration
                .clone()
                .unwrap_or(InheritConfiguration::All(false)),
            Dependency::Version(_) => InheritConfiguration::All(false),
        }
    }
}

fn check_snake_id(s: &str) -> Result<()> {
    let ok = s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !s.contains("__")
        && !s.ends_with('_');
    if !ok {
        bail!("must be lower snake case (a-z, 0-9, single underscores, starting with a letter)");
    }
    Ok(())
}

fn check_kebab_id(s: &str) -> Result<()> {
    let ok = s.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && s.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !s.contains("--")
        && !s.ends_with('-');
    if !ok {
        bail!("must be lower kebab case (a-z, 0-9, single hyphens, starting with a letter)");
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(s: &str) -> Result<Manifest> {
        let m: Manifest = toml::from_str(s).map_err(|e| anyhow::anyhow!("{e}"))?;
        m.validate()?;
        Ok(m)
    }

    const BASE: &str = r#"
spin_manifest_version = 2
[application]
name = "t"
[[trigger.http]]
route = "/..."
component = "a"
[component.a]
source = "a.wasm"
"#;

    #[test]
    fn minimal_manifest_parses() {
        let m = parse(BASE).expect("parses");
        let t = m.http_triggers().expect("triggers");
        assert_eq!(t[0].route.as_deref(), Some("/..."));
    }

    #[test]
    fn unknown_component_field_is_named() {
        let err = parse(&format!("{BASE}sqlite_database = [\"default\"]\n")).expect_err("refused");
        assert!(format!("{err:#}").contains("sqlite_database"), "{err:#}");
    }

    #[test]
    fn wrong_version_is_refused() {
        let err = parse(&BASE.replace("= 2", "= 1")).expect_err("refused");
        assert!(format!("{err:#}").contains("spin_manifest_version"));
    }

    #[test]
    fn private_route_has_no_pattern() {
        let m = parse(&BASE.replace("route = \"/...\"", "route = { private = true }")).expect("ok");
        assert_eq!(m.http_triggers().expect("ok")[0].route, None);
    }

    #[test]
    fn trigger_for_missing_component_is_refused() {
        let err =
            parse(&BASE.replace("component = \"a\"", "component = \"b\"")).expect_err("refused");
        assert!(format!("{err:#}").contains("\"b\""));
    }

    #[test]
    fn both_inherit_forms_are_refused() {
        let s = format!(
            "{BASE}dependencies_inherit_configuration = true\n[component.a.dependencies]\n\"x:y/z\" = {{ path = \"d.wasm\", inherit_configuration = true }}\n"
        );
        assert!(parse(&s).is_err());
    }
}
