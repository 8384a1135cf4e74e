//! `--runtime-config-file`: Spin's `runtime-config.toml`, for the store types this runner can
//! back (`type = "spin"`, a local SQLite file). Other types (libsql, redis, …) are refused by
//! name rather than silently replaced by a local file.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
pub struct RuntimeConfig {
    /// label -> file (None = in memory)
    pub sqlite_databases: BTreeMap<String, Option<PathBuf>>,
    pub key_value_stores: BTreeMap<String, Option<PathBuf>>,
}

impl RuntimeConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read runtime config {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        Self::parse(&text, base).with_context(|| format!("invalid runtime config {}", path.display()))
    }

    fn parse(text: &str, base: &Path) -> Result<Self> {
        let table: toml::Table = toml::from_str(text)?;
        let mut config = Self::default();
        for (section, value) in table {
            let target = match section.as_str() {
                "sqlite_database" => &mut config.sqlite_databases,
                "key_value_store" => &mut config.key_value_stores,
                other => bail!("section [{other}] is not supported by this runner (only [sqlite_database.*] and [key_value_store.*])"),
            };
            let Some(entries) = value.as_table() else {
                bail!("[{section}] must be a table of labels");
            };
            for (label, entry) in entries {
                let at = format!("[{section}.{label}]");
                let Some(entry) = entry.as_table() else {
                    bail!("{at} must be a table");
                };
                match entry.get("type").and_then(|t| t.as_str()) {
                    Some("spin") => {}
                    Some(other) => bail!(
                        "{at}: type {other:?} is not supported by this runner; only type = \"spin\" (a local SQLite file) is. Use Spin itself for {other:?}"
                    ),
                    None => bail!("{at}: missing field `type`"),
                }
                for key in entry.keys() {
                    if key != "type" && key != "path" {
                        bail!("{at}: unknown field `{key}`");
                    }
                }
                let path = match entry.get("path") {
                    None => None,
                    Some(toml::Value::String(p)) => Some(base.join(p)),
                    Some(_) => bail!("{at}: field `path` must be a string"),
                };
                target.insert(label.clone(), path);
            }
        }
        Ok(config)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spin_type_with_relative_path_resolves_against_the_file() {
        let c = RuntimeConfig::parse(
            "[sqlite_database.default]\ntype = \"spin\"\npath = \"data/app.db\"\n[key_value_store.cache]\ntype = \"spin\"\n",
            Path::new("/cfg"),
        )
        .unwrap();
        assert_eq!(c.sqlite_databases["default"], Some(PathBuf::from("/cfg/data/app.db")));
        assert_eq!(c.key_value_stores["cache"], None);
    }

    #[test]
    fn other_store_types_are_refused_by_name() {
        let err = RuntimeConfig::parse("[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://x\"\n", Path::new("/"))
            .unwrap_err();
        assert!(err.to_string().contains("redis"));
    }
}
