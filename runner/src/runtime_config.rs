//! `--runtime-config-file`: Spin's `runtime-config.toml`, for the store types this runner can
//! back (`type = "spin"`, a local SQLite file) and the top-level `state_dir`. Other types
//! (libsql, redis, …) are refused by name rather than silently replaced by a local file.
//!
//! Relative paths follow Spin: a SQLite database's `path` is relative to the current
//! directory, a key-value store's `path` to the directory holding the runtime config file.

use anyhow::{Context, Result, bail};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

#[derive(Debug, Default)]
pub struct RuntimeConfig {
    /// Top-level `state_dir`: `Some(None)` for `state_dir = ""` (no state directory).
    pub state_dir: Option<Option<PathBuf>>,
    /// Labels whose database may `ATTACH` other files (`allow_attach_file = true`).
    pub allow_attach: std::collections::BTreeSet<String>,
    /// label -> file (None = in memory)
    pub sqlite_databases: BTreeMap<String, Option<PathBuf>>,
    pub key_value_stores: BTreeMap<String, Option<PathBuf>>,
}

impl RuntimeConfig {
    pub fn load(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path)
            .with_context(|| format!("cannot read runtime config {}", path.display()))?;
        let base = path.parent().unwrap_or(Path::new("."));
        let cwd = std::env::current_dir().context("cannot read the current directory")?;
        Self::parse(&text, base, &cwd)
            .with_context(|| format!("invalid runtime config {}", path.display()))
    }

    fn parse(text: &str, base: &Path, cwd: &Path) -> Result<Self> {
        let table: toml::Table = toml::from_str(text)?;
        let mut config = Self::default();
        for (section, value) in table {
            if section == "state_dir" {
                let Some(dir) = value.as_str() else {
                    bail!("`state_dir` must be a string");
                };
                config.state_dir = Some((!dir.is_empty()).then(|| PathBuf::from(dir)));
                continue;
            }
            let is_sqlite = section == "sqlite_database";
            let target = match section.as_str() {
                "sqlite_database" => &mut config.sqlite_databases,
                "key_value_store" => &mut config.key_value_stores,
                other => bail!(
                    "section [{other}] is not supported by this runner (only `state_dir`, [sqlite_database.*] and [key_value_store.*])"
                ),
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
                    let known =
                        key == "type" || key == "path" || (is_sqlite && key == "allow_attach_file");
                    if !known {
                        bail!("{at}: unknown field `{key}`");
                    }
                }
                let relative_to = if is_sqlite { cwd } else { base };
                let path = match entry.get("path") {
                    None => None,
                    Some(toml::Value::String(p)) => Some(relative_to.join(p)),
                    Some(_) => bail!("{at}: field `path` must be a string"),
                };
                match entry.get("allow_attach_file") {
                    None | Some(toml::Value::Boolean(false)) => {}
                    Some(toml::Value::Boolean(true)) => {
                        config.allow_attach.insert(label.clone());
                    }
                    Some(_) => bail!("{at}: field `allow_attach_file` must be a boolean"),
                }
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
    fn relative_paths_resolve_as_in_spin() {
        let c = RuntimeConfig::parse(
            "state_dir = \"st\"\n[sqlite_database.default]\ntype = \"spin\"\npath = \"data/app.db\"\n\
             [key_value_store.cache]\ntype = \"spin\"\n[key_value_store.files]\ntype = \"spin\"\npath = \"kv.db\"\n",
            Path::new("/cfg"),
            Path::new("/cwd"),
        )
        .unwrap();
        assert_eq!(
            c.sqlite_databases["default"],
            Some(PathBuf::from("/cwd/data/app.db"))
        );
        assert_eq!(c.key_value_stores["cache"], None);
        assert_eq!(
            c.key_value_stores["files"],
            Some(PathBuf::from("/cfg/kv.db"))
        );
        assert_eq!(c.state_dir, Some(Some(PathBuf::from("st"))));
    }

    #[test]
    fn other_store_types_are_refused_by_name() {
        let err = RuntimeConfig::parse(
            "[key_value_store.default]\ntype = \"redis\"\nurl = \"redis://x\"\n",
            Path::new("/"),
            Path::new("/"),
        )
        .unwrap_err();
        assert!(err.to_string().contains("redis"));
    }
}
