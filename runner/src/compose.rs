//! Component dependencies, composed at load time with `wac-graph` the way Spin composes them:
//! each dependency name is matched against the importing component's imports, the
//! dependency's export satisfies the import (checked as a subtype), and a dependency that does
//! not inherit the parent's configuration gets the deny adapter in front of its capability
//! imports, so its SQLite, key-value, variables and outbound calls fail with Spin's errors.

use crate::manifest::InheritConfiguration;
use anyhow::{Context, Result, anyhow, bail};
use std::collections::BTreeMap;
use wac_graph::types::{Package, SubtypeChecker, are_semver_compatible};
use wac_graph::{CompositionGraph, EncodeOptions, NodeId};

/// Built from `deny-adapter/` by build.rs: exports every capability interface with
/// implementations that refuse.
const DENY_ADAPTER: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/deny_adapter.wasm"));

/// The interfaces each `inherit_configuration` key lets through (Spin's capability sets,
/// restricted to what this runner provides).
const CAPABILITY_SETS: &[(&str, &[&str])] = &[
    (
        "allowed_outbound_hosts",
        &["wasi:http/outgoing-handler@0.2.6"],
    ),
    ("environment", &["wasi:cli/environment@0.2.6"]),
    ("files", &["wasi:filesystem/preopens@0.2.6"]),
    (
        "key_value_stores",
        &[
            "fermyon:spin/key-value@2.0.0",
            "wasi:keyvalue/store@0.2.0-draft2",
        ],
    ),
    (
        "sqlite_databases",
        &["fermyon:spin/sqlite@2.0.0", "spin:sqlite/sqlite@3.0.0"],
    ),
    (
        "variables",
        &[
            "fermyon:spin/variables@2.0.0",
            "wasi:config/store@0.2.0-draft-2024-09-27",
        ],
    ),
];

pub struct DependencySource {
    pub name: String,
    pub bytes: Vec<u8>,
    pub export: Option<String>,
    pub inherit: InheritConfiguration,
}

/// A parsed dependency key: `ns:pkg[/iface][@version]` or a plain kebab name.
#[derive(Debug, PartialEq)]
enum DependencyName {
    Plain(String),
    Package {
        package: String,
        interface: Option<String>,
        version: Option<semver::Version>,
    },
}

impl DependencyName {
    fn parse(s: &str) -> Result<Self> {
        if !s.contains(':') {
            if s.is_empty() || s.contains('/') || s.contains('@') {
                bail!(
                    "dependency name {s:?} is neither a plain name nor `ns:pkg[/interface][@version]`"
                );
            }
            return Ok(Self::Plain(s.to_string()));
        }
        let (rest, version) = match s.split_once('@') {
            Some((r, v)) => (
                r,
                Some(
                    semver::Version::parse(v)
                        .with_context(|| format!("dependency name {s:?}: bad version"))?,
                ),
            ),
            None => (s, None),
        };
        let (package, interface) = match rest.split_once('/') {
            Some((p, i)) => (p.to_string(), Some(i.to_string())),
            None => (rest.to_string(), None),
        };
        Ok(Self::Package {
            package,
            interface,
            version,
        })
    }

    fn matches_import(&self, import: &str) -> bool {
        match self {
            Self::Plain(name) => name == import,
            Self::Package {
                package,
                interface,
                version,
            } => {
                let Some((import_pkg, rest)) = import.split_once('/') else {
                    return false;
                };
                let (import_iface, import_ver) = match rest.split_once('@') {
                    Some((i, v)) => (i, semver::Version::parse(v).ok()),
                    None => (rest, None),
                };
                import_pkg == package
                    && interface.as_deref().is_none_or(|i| i == import_iface)
                    && version
                        .as_ref()
                        .is_none_or(|v| import_ver.as_ref() == Some(v))
            }
        }
    }
}

/// Composes `main` with its dependencies; returns the bytes of the composed component.
pub fn compose(component_id: &str, main: Vec<u8>, deps: Vec<DependencySource>) -> Result<Vec<u8>> {
    if deps.is_empty() {
        return Ok(main);
    }
    let mut graph = CompositionGraph::new();
    let package = Package::from_bytes(component_id, None, main, graph.types_mut())
        .with_context(|| format!("component {component_id:?} is not a valid component"))?;
    let world = package.ty();
    let package_id = graph.register_package(package)?;
    let instance = graph.instantiate(package_id);
    let imports: Vec<String> = graph.types()[world].imports.keys().cloned().collect();

    let mut by_import: BTreeMap<String, Vec<(usize, NodeId, wac_graph::types::WorldId)>> =
        BTreeMap::new();
    for (index, dep) in deps.iter().enumerate() {
        let name = DependencyName::parse(&dep.name)
            .with_context(|| format!("component {component_id:?}"))?;
        let matched: Vec<&String> = imports.iter().filter(|i| name.matches_import(i)).collect();
        if matched.is_empty() {
            bail!(
                "dependency {:?} doesn't match any imports of component {component_id:?}",
                dep.name
            );
        }
        let bytes = apply_deny_adapter(&dep.bytes, &dep.inherit)
            .with_context(|| format!("dependency {:?} of component {component_id:?}", dep.name))?;
        let package_name = match &name {
            DependencyName::Plain(n) => n.clone(),
            DependencyName::Package { package, .. } => package.clone(),
        };
        // Registered under its package name alone, as Spin does: two dependencies of one
        // component from the same package collide there, so they must here too.
        let dep_package = Package::from_bytes(&package_name, None, bytes, graph.types_mut())
            .with_context(|| format!("dependency {:?} is not a valid component", dep.name))?;
        let dep_world = dep_package.ty();
        let dep_id = graph.register_package(dep_package).with_context(|| {
            format!(
                "failed to resolve dependencies for component {component_id:?}: \
                 an error occurred when preparing dependencies"
            )
        })?;
        let dep_instance = graph.instantiate(dep_id);
        for import in matched {
            by_import
                .entry(import.clone())
                .or_default()
                .push((index, dep_instance, dep_world));
        }
    }

    let mut cache = Default::default();
    let mut checker = SubtypeChecker::new(&mut cache);
    for (import, sources) in by_import {
        if sources.len() > 1 {
            let names: Vec<&str> = sources
                .iter()
                .map(|(i, _, _)| deps[*i].name.as_str())
                .collect();
            bail!(
                "component {component_id:?} has dependency conflicts: import {import:?} satisfied by {names:?}"
            );
        }
        let (index, dep_instance, dep_world) = sources[0];
        let dep = &deps[index];
        let export_name = dep.export.clone().unwrap_or_else(|| import.clone());
        let export_ty = *graph.types()[dep_world]
            .exports
            .get(&export_name)
            .ok_or_else(|| {
                anyhow!(
                    "dependency {:?} doesn't export {export_name:?} to satisfy import {import:?}",
                    dep.name
                )
            })?;
        let import_ty = *graph.types()[world]
            .imports
            .get(&import)
            .ok_or_else(|| anyhow!("import {import:?} vanished"))?;
        checker
            .is_subtype(export_ty, graph.types(), import_ty, graph.types())
            .with_context(|| {
                format!("dependency {:?} exports {export_name:?}, which is not compatible with import {import:?}", dep.name)
            })?;
        let export = graph.alias_instance_export(dep_instance, &export_name)?;
        graph.set_instantiation_argument(instance, &import, export)?;
    }

    for name in graph.types()[world]
        .exports
        .keys()
        .cloned()
        .collect::<Vec<_>>()
    {
        let export = graph.alias_instance_export(instance, &name)?;
        graph.export(export, &name)?;
    }
    graph
        .encode(EncodeOptions::default())
        .with_context(|| format!("cannot encode the composition of component {component_id:?}"))
}

fn allow_list(inherit: &InheritConfiguration) -> Vec<&'static str> {
    let keys: Vec<&str> = match inherit {
        InheritConfiguration::All(true) => CAPABILITY_SETS.iter().map(|(k, _)| *k).collect(),
        InheritConfiguration::All(false) => Vec::new(),
        InheritConfiguration::Some(keys) => keys.iter().map(String::as_str).collect(),
    };
    CAPABILITY_SETS
        .iter()
        .filter(|(k, _)| keys.contains(k))
        .flat_map(|(_, ifaces)| ifaces.iter().copied())
        .collect()
}

/// Plugs the deny adapter's exports into every capability import not in the allow list.
fn apply_deny_adapter(source: &[u8], inherit: &InheritConfiguration) -> Result<Vec<u8>> {
    let allow = allow_list(inherit);
    let mut graph = CompositionGraph::new();
    let dep = Package::from_bytes("dependency", None, source.to_vec(), graph.types_mut())?;
    let dep_world = dep.ty();
    let dep_id = graph.register_package(dep)?;
    let adapter =
        Package::from_bytes("runner-deny-adapter", None, DENY_ADAPTER, graph.types_mut())?;
    let adapter_world = adapter.ty();
    let adapter_id = graph.register_package(adapter)?;
    let socket = graph.instantiate(dep_id);

    let mut plugs: Vec<(String, String)> = Vec::new();
    let mut cache = Default::default();
    let mut checker = SubtypeChecker::new(&mut cache);
    for (name, plug_ty) in &graph.types()[adapter_world].exports {
        if allow.contains(&name.as_str()) {
            continue;
        }
        let imports = &graph.types()[dep_world].imports;
        let socket_import = imports.get(name).map(|ty| (name.clone(), *ty)).or_else(|| {
            imports
                .iter()
                .find(|(import, _)| are_semver_compatible(name, import))
                .map(|(import, ty)| (import.clone(), *ty))
        });
        if let Some((import, socket_ty)) = socket_import
            && checker
                .is_subtype(*plug_ty, graph.types(), socket_ty, graph.types())
                .is_ok()
        {
            plugs.push((name.clone(), import));
        }
    }
    if plugs.is_empty() {
        return Ok(source.to_vec());
    }
    let plug = graph.instantiate(adapter_id);
    for (plug_name, import) in plugs {
        let export = graph.alias_instance_export(plug, &plug_name)?;
        graph.set_instantiation_argument(socket, &import, export)?;
    }
    for name in graph.types()[dep_world]
        .exports
        .keys()
        .cloned()
        .collect::<Vec<_>>()
    {
        let export = graph.alias_instance_export(socket, &name)?;
        graph.export(export, &name)?;
    }
    Ok(graph.encode(EncodeOptions::default())?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dependency_names_match_imports_as_in_spin() {
        let yes = [
            ("foo:bar/baz@0.1.0", "foo:bar/baz@0.1.0"),
            ("foo:bar/baz", "foo:bar/baz@0.1.0"),
            ("foo:bar", "foo:bar/baz@0.1.0"),
            ("foo:bar@0.1.0", "foo:bar/baz@0.1.0"),
            ("foo-bar", "foo-bar"),
        ];
        for (dep, import) in yes {
            assert!(
                DependencyName::parse(dep).unwrap().matches_import(import),
                "{dep} vs {import}"
            );
        }
        let no = [
            ("foo:bar/baz@0.1.0", "foo:bar/baz"),
            ("foo:bar/baz", "foo:bar/bub@0.1.0"),
            ("foo:bar", "foo:bub/bib"),
            ("foo:bar/baz", "foo-bar"),
        ];
        for (dep, import) in no {
            assert!(
                !DependencyName::parse(dep).unwrap().matches_import(import),
                "{dep} vs {import}"
            );
        }
    }

    /// A component exporting one function `f` in instance `name`.
    fn exporter(name: &str) -> Vec<u8> {
        wat::parse_str(format!(
            r#"(component
                (core module $m (func (export "f")))
                (core instance $i (instantiate $m))
                (func $f (canon lift (core func $i "f")))
                (instance $x (export "f" (func $f)))
                (export "{name}" (instance $x)))"#
        ))
        .expect("valid component text")
    }

    fn dependency(name: &str, bytes: Vec<u8>) -> DependencySource {
        DependencySource {
            name: name.into(),
            bytes,
            export: None,
            inherit: InheritConfiguration::All(false),
        }
    }

    #[test]
    fn two_dependencies_from_one_package_fail_as_in_spin() {
        let main = wat::parse_str(
            r#"(component
                (import "a:one/x@0.1.0" (instance (export "f" (func))))
                (import "a:one/y@0.1.0" (instance (export "f" (func))))
                (import "a:two/z@0.1.0" (instance (export "f" (func)))))"#,
        )
        .expect("valid component text");
        let same = compose(
            "main",
            main,
            vec![
                dependency("a:one/x", exporter("a:one/x@0.1.0")),
                dependency("a:one/y", exporter("a:one/y@0.1.0")),
                dependency("a:two/z", exporter("a:two/z@0.1.0")),
            ],
        )
        .expect_err("Spin refuses two dependencies from one package");
        assert!(
            format!("{same:#}").contains("package `a:one` has already been registered"),
            "{same:#}"
        );
        // one dependency per package composes
        let main = wat::parse_str(
            r#"(component
                (import "a:one/x@0.1.0" (instance (export "f" (func))))
                (import "a:two/z@0.1.0" (instance (export "f" (func)))))"#,
        )
        .expect("valid component text");
        let composed = compose(
            "main",
            main,
            vec![
                dependency("a:one/x", exporter("a:one/x@0.1.0")),
                dependency("a:two/z", exporter("a:two/z@0.1.0")),
            ],
        )
        .expect("one dependency per package composes");
        wasmtime::component::Component::new(&wasmtime::Engine::default(), &composed)
            .expect("the composition is a valid component");
    }

    #[test]
    fn inheritance_keys_select_capability_sets() {
        assert!(allow_list(&InheritConfiguration::All(false)).is_empty());
        assert!(
            allow_list(&InheritConfiguration::All(true)).contains(&"fermyon:spin/sqlite@2.0.0")
        );
        let some = allow_list(&InheritConfiguration::Some(vec!["variables".into()]));
        assert!(some.contains(&"fermyon:spin/variables@2.0.0"));
        assert!(!some.contains(&"fermyon:spin/key-value@2.0.0"));
    }
}
