//! The deployment files checked against their sources of truth, read at test time: spin.toml
//! (components, routes, variables), SpinKube's SpinApp CRD (the field list below), Spin's
//! runtime-config types. Each check returns the problems it finds; the `*_bite` tests feed it
//! a broken copy to prove it finds them.

use e2e::deploy::{
    IngressPath, SPIN_HEALTH, SpinManifest, ingress_paths, ingress_service_for, load_spinkube_docs,
    yaml_get, yaml_str,
};
use e2e::repo_root;
use serde_yaml_ng::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;

/// Every field of a SpinApp that SpinKube's CRD defines (`core.spinkube.dev/v1alpha1`,
/// spin-operator v0.6.1 `api/v1alpha1/spinapp_types.go`, unchanged on its main branch), as
/// dotted paths: `[]` is a list item, `.*` a free-form map. Kubernetes core types are spelled
/// out where the manifests use them (EnvVarSource, SecretKeySelector, ConfigMapKeySelector,
/// ObjectFieldSelector, ResourceFieldSelector, LocalObjectReference); `volumes` and
/// `volumeMounts` (core Volume, VolumeMount) are not checked below their items.
const SPINAPP_FIELDS: &[&str] = &[
    "apiVersion",
    "kind",
    "metadata.name",
    "metadata.namespace",
    "metadata.labels.*",
    "metadata.annotations.*",
    "spec.executor",
    "spec.image",
    "spec.imagePullSecrets[].name",
    "spec.checks.readiness.httpGet.path",
    "spec.checks.readiness.httpGet.httpHeaders[].name",
    "spec.checks.readiness.httpGet.httpHeaders[].value",
    "spec.checks.readiness.initialDelaySeconds",
    "spec.checks.readiness.timeoutSeconds",
    "spec.checks.readiness.periodSeconds",
    "spec.checks.readiness.successThreshold",
    "spec.checks.readiness.failureThreshold",
    "spec.checks.liveness.httpGet.path",
    "spec.checks.liveness.httpGet.httpHeaders[].name",
    "spec.checks.liveness.httpGet.httpHeaders[].value",
    "spec.checks.liveness.initialDelaySeconds",
    "spec.checks.liveness.timeoutSeconds",
    "spec.checks.liveness.periodSeconds",
    "spec.checks.liveness.successThreshold",
    "spec.checks.liveness.failureThreshold",
    "spec.replicas",
    "spec.enableAutoscaling",
    "spec.runtimeConfig.loadFromSecret",
    "spec.runtimeConfig.sqliteDatabases[].name",
    "spec.runtimeConfig.sqliteDatabases[].type",
    "spec.runtimeConfig.sqliteDatabases[].options[].name",
    "spec.runtimeConfig.sqliteDatabases[].options[].value",
    "spec.runtimeConfig.sqliteDatabases[].options[].valueFrom.configMapKeyRef.name",
    "spec.runtimeConfig.sqliteDatabases[].options[].valueFrom.configMapKeyRef.key",
    "spec.runtimeConfig.sqliteDatabases[].options[].valueFrom.configMapKeyRef.optional",
    "spec.runtimeConfig.sqliteDatabases[].options[].valueFrom.secretKeyRef.name",
    "spec.runtimeConfig.sqliteDatabases[].options[].valueFrom.secretKeyRef.key",
    "spec.runtimeConfig.sqliteDatabases[].options[].valueFrom.secretKeyRef.optional",
    "spec.runtimeConfig.keyValueStores[].name",
    "spec.runtimeConfig.keyValueStores[].type",
    "spec.runtimeConfig.keyValueStores[].options[].name",
    "spec.runtimeConfig.keyValueStores[].options[].value",
    "spec.runtimeConfig.keyValueStores[].options[].valueFrom.configMapKeyRef.name",
    "spec.runtimeConfig.keyValueStores[].options[].valueFrom.configMapKeyRef.key",
    "spec.runtimeConfig.keyValueStores[].options[].valueFrom.configMapKeyRef.optional",
    "spec.runtimeConfig.keyValueStores[].options[].valueFrom.secretKeyRef.name",
    "spec.runtimeConfig.keyValueStores[].options[].valueFrom.secretKeyRef.key",
    "spec.runtimeConfig.keyValueStores[].options[].valueFrom.secretKeyRef.optional",
    "spec.runtimeConfig.llmCompute.type",
    "spec.runtimeConfig.llmCompute.options[].name",
    "spec.runtimeConfig.llmCompute.options[].value",
    "spec.runtimeConfig.llmCompute.options[].valueFrom.configMapKeyRef.name",
    "spec.runtimeConfig.llmCompute.options[].valueFrom.configMapKeyRef.key",
    "spec.runtimeConfig.llmCompute.options[].valueFrom.configMapKeyRef.optional",
    "spec.runtimeConfig.llmCompute.options[].valueFrom.secretKeyRef.name",
    "spec.runtimeConfig.llmCompute.options[].valueFrom.secretKeyRef.key",
    "spec.runtimeConfig.llmCompute.options[].valueFrom.secretKeyRef.optional",
    "spec.volumes[].*",
    "spec.volumeMounts[].*",
    "spec.variables[].name",
    "spec.variables[].value",
    "spec.variables[].valueFrom.secretKeyRef.name",
    "spec.variables[].valueFrom.secretKeyRef.key",
    "spec.variables[].valueFrom.secretKeyRef.optional",
    "spec.variables[].valueFrom.configMapKeyRef.name",
    "spec.variables[].valueFrom.configMapKeyRef.key",
    "spec.variables[].valueFrom.configMapKeyRef.optional",
    "spec.variables[].valueFrom.fieldRef.apiVersion",
    "spec.variables[].valueFrom.fieldRef.fieldPath",
    "spec.variables[].valueFrom.resourceFieldRef.containerName",
    "spec.variables[].valueFrom.resourceFieldRef.resource",
    "spec.variables[].valueFrom.resourceFieldRef.divisor",
    "spec.serviceAnnotations.*",
    "spec.deploymentAnnotations.*",
    "spec.podAnnotations.*",
    "spec.podLabels.*",
    "spec.resources.limits.*",
    "spec.resources.requests.*",
    "spec.components[]",
    "spec.serviceAccountName",
    "spec.invocationLimits.*",
];

/// Spin 4.0.2's runtime-config entry types and the fields each takes (crates/sqlite,
/// crates/key-value-spin, crates/key-value-redis, crates/runtime-config). `None`: the type is
/// documented, its fields are not checked here (not used by BrowserCloud).
const SQLITE_TYPES: &[(&str, Option<&[&str]>)] = &[
    ("spin", Some(&["path", "allow_attach_file"])),
    ("libsql", Some(&["url", "token"])),
];
const KEY_VALUE_TYPES: &[(&str, Option<&[&str]>)] = &[
    ("spin", Some(&["path"])),
    ("redis", Some(&["url"])),
    ("azure_cosmos", None),
    ("aws_dynamo", None),
];
/// Top-level keys of a Spin runtime config besides the labelled tables above.
const RUNTIME_CONFIG_KEYS: &[&str] = &[
    "state_dir",
    "log_dir",
    "max_instance_memory",
    "sqlite_database",
    "key_value_store",
    "variables_provider",
    "llm_compute",
    "client_tls",
    "outbound_http",
    "otel",
];

const SPINAPP_API: &str = "core.spinkube.dev/v1alpha1";

/// One manifest file's objects.
struct ManifestSet {
    file: PathBuf,
    spinapps: Vec<Value>,
    ingresses: Vec<Value>,
    others: Vec<Value>,
}

impl ManifestSet {
    fn selective(&self) -> bool {
        self.spinapps
            .iter()
            .any(|a| yaml_get(a, &["spec", "components"]).is_some())
    }

    fn name(&self) -> String {
        self.file
            .file_name()
            .map(|f| f.to_string_lossy().into_owned())
            .unwrap_or_default()
    }
}

fn app_name(app: &Value) -> String {
    yaml_str(app, &["metadata", "name"])
        .unwrap_or("<unnamed>")
        .to_string()
}

fn app_components(app: &Value) -> Option<Vec<String>> {
    yaml_get(app, &["spec", "components"])
        .and_then(|c| c.as_sequence())
        .map(|s| {
            s.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
}

fn load_sets() -> Vec<ManifestSet> {
    let mut sets: BTreeMap<PathBuf, ManifestSet> = BTreeMap::new();
    for (file, doc) in load_spinkube_docs().expect("deploy/spinkube/*.yaml load") {
        let set = sets.entry(file.clone()).or_insert_with(|| ManifestSet {
            file,
            spinapps: vec![],
            ingresses: vec![],
            others: vec![],
        });
        match yaml_str(&doc, &["kind"]) {
            Some("SpinApp") => set.spinapps.push(doc),
            Some("Ingress") => set.ingresses.push(doc),
            _ => set.others.push(doc),
        }
    }
    sets.into_values().collect()
}

fn deployments(sets: &[ManifestSet]) -> Vec<&ManifestSet> {
    sets.iter().filter(|s| !s.spinapps.is_empty()).collect()
}

// ---------------------------------------------------------------- checks

/// Components: the whole-app set is one SpinApp without `components`; in a selective set every
/// component with a route is in exactly one SpinApp, and every listed component exists.
fn check_components(spin: &SpinManifest, sets: &[&ManifestSet]) -> Vec<String> {
    let mut problems = vec![];
    let routed = spin.routed_components();
    let (mut whole, mut selective) = (0, 0);
    for set in sets {
        let name = set.name();
        if !set.selective() {
            whole += 1;
            if set.spinapps.len() != 1 {
                problems.push(format!(
                    "{name}: a whole-app set has exactly one SpinApp, not {}",
                    set.spinapps.len()
                ));
            }
            continue;
        }
        selective += 1;
        let mut owner: BTreeMap<String, Vec<String>> = BTreeMap::new();
        for app in &set.spinapps {
            let Some(components) = app_components(app) else {
                problems.push(format!(
                    "{name}: SpinApp {} has no spec.components in a selective set (it would serve every component)",
                    app_name(app)
                ));
                continue;
            };
            if components.is_empty() {
                problems.push(format!(
                    "{name}: SpinApp {} lists no component",
                    app_name(app)
                ));
            }
            for c in components {
                if !spin.components.contains_key(&c) {
                    problems.push(format!(
                        "{name}: SpinApp {} lists {c:?}, which spin.toml does not declare",
                        app_name(app)
                    ));
                }
                owner.entry(c).or_default().push(app_name(app));
            }
        }
        for c in &routed {
            match owner.get(c).map(Vec::as_slice) {
                None | Some([]) => problems.push(format!(
                    "{name}: component {c:?} of spin.toml is in no SpinApp"
                )),
                Some([_]) => {}
                Some(apps) => problems.push(format!(
                    "{name}: component {c:?} is in more than one SpinApp: {apps:?}"
                )),
            }
        }
    }
    if whole != 1 {
        problems.push(format!(
            "want one whole-app manifest (a SpinApp without components), found {whole}"
        ));
    }
    if selective < 1 {
        problems.push("want a selective manifest (SpinApps with spec.components)".into());
    }
    problems
}

/// Routes: the Ingress of each set sends every route of spin.toml (the exact path, or a
/// wildcard's prefix and a path below it) to the SpinApp serving the route's component, and
/// every Ingress path to a SpinApp of the same set on port 80, agreeing with Spin there too.
fn check_routes(spin: &SpinManifest, sets: &[&ManifestSet]) -> Vec<String> {
    let mut problems = vec![];
    for set in sets {
        let name = set.name();
        if set.ingresses.len() != 1 {
            problems.push(format!(
                "{name}: want one Ingress beside the SpinApps, found {}",
                set.ingresses.len()
            ));
            continue;
        }
        let paths = match ingress_paths(&set.ingresses[0]) {
            Ok(p) => p,
            Err(e) => {
                problems.push(format!("{name}: {e}"));
                continue;
            }
        };
        let apps: BTreeMap<String, Option<Vec<String>>> = set
            .spinapps
            .iter()
            .map(|a| (app_name(a), app_components(a)))
            .collect();
        let serving = |component: &str| -> Vec<&str> {
            apps.iter()
                .filter(|(_, cs)| {
                    cs.as_ref()
                        .is_none_or(|cs| cs.iter().any(|c| c == component))
                })
                .map(|(n, _)| n.as_str())
                .collect()
        };
        for p in &paths {
            if !apps.contains_key(&p.service) {
                problems.push(format!(
                    "{name}: Ingress path {} goes to {}, no SpinApp of this file",
                    p.path, p.service
                ));
            }
            if p.port != Some(80) {
                problems.push(format!(
                    "{name}: Ingress path {} must use port 80 (the SpinApp Service's port)",
                    p.path
                ));
            }
            if !matches!(p.path_type.as_str(), "Prefix" | "Exact") {
                problems.push(format!(
                    "{name}: Ingress path {} has pathType {}; use Prefix or Exact",
                    p.path, p.path_type
                ));
            }
        }
        let mut samples: Vec<String> = vec![];
        for r in &spin.routes {
            if r.has_parameters() {
                problems.push(format!(
                    "route {} has parameters: give it an Ingress path by hand and teach this check",
                    r.route
                ));
                continue;
            }
            samples.extend(r.sample_paths());
        }
        for p in &paths {
            let base = p.path.trim_end_matches('/');
            samples.push(if base.is_empty() {
                "/".into()
            } else {
                base.into()
            });
            if p.path_type == "Prefix" {
                samples.push(format!("{base}/zz-sample"));
            }
        }
        for path in samples {
            let Some(component) = spin.component_for(&path) else {
                continue;
            };
            let want = serving(component);
            match ingress_service_for(&paths, &path) {
                None => problems.push(format!(
                    "{name}: {path} (component {component}) matches no Ingress path"
                )),
                Some(got) if !want.contains(&got) => problems.push(format!(
                    "{name}: {path} goes to {got}, but its component {component} is served by {want:?}"
                )),
                Some(_) => {}
            }
        }
    }
    problems.sort();
    problems.dedup();
    problems
}

/// Fields: every SpinApp field is one the CRD defines.
fn check_fields(sets: &[&ManifestSet]) -> Vec<String> {
    fn walk(v: &Value, path: String, out: &mut Vec<String>) {
        match v {
            Value::Mapping(m) if !m.is_empty() => {
                for (k, v) in m {
                    let k = k.as_str().unwrap_or("<non-string key>");
                    let p = if path.is_empty() {
                        k.to_string()
                    } else {
                        format!("{path}.{k}")
                    };
                    walk(v, p, out);
                }
            }
            Value::Sequence(s) if !s.is_empty() => {
                for v in s {
                    walk(v, format!("{path}[]"), out);
                }
            }
            _ => out.push(path),
        }
    }
    let allowed = |p: &str| {
        SPINAPP_FIELDS.iter().any(|f| {
            *f == p
                || f.strip_suffix("*")
                    .is_some_and(|pre| p.starts_with(pre) && p.len() > pre.len())
        })
    };
    let mut problems = vec![];
    for set in sets {
        for app in &set.spinapps {
            if yaml_str(app, &["apiVersion"]) != Some(SPINAPP_API) {
                problems.push(format!(
                    "{}: SpinApp {} is not {SPINAPP_API}",
                    set.name(),
                    app_name(app)
                ));
            }
            let mut leaves = vec![];
            walk(app, String::new(), &mut leaves);
            for leaf in leaves {
                if !allowed(&leaf) {
                    problems.push(format!(
                        "{}: SpinApp {}: `{leaf}` is not a field of the SpinApp CRD",
                        set.name(),
                        app_name(app)
                    ));
                }
            }
        }
    }
    problems
}

/// Variables: every variable spin.toml requires, used by a SpinApp's components, comes from a
/// Secret (`valueFrom.secretKeyRef`, not optional); a secret variable never has a plain value;
/// every variable named exists in spin.toml and is used by the SpinApp's components.
fn check_variables(spin: &SpinManifest, sets: &[&ManifestSet]) -> Vec<String> {
    let mut problems = vec![];
    for set in sets {
        for app in &set.spinapps {
            let who = format!("{}: SpinApp {}", set.name(), app_name(app));
            let components: Vec<String> =
                app_components(app).unwrap_or_else(|| spin.components.keys().cloned().collect());
            let used: BTreeSet<String> = components
                .iter()
                .filter_map(|c| spin.components.get(c))
                .flat_map(|c| c.app_variables.iter().cloned())
                .collect();
            let given: BTreeMap<String, &Value> = yaml_get(app, &["spec", "variables"])
                .and_then(|v| v.as_sequence())
                .map(|s| {
                    s.iter()
                        .filter_map(|v| yaml_str(v, &["name"]).map(|n| (n.to_string(), v)))
                        .collect()
                })
                .unwrap_or_default();
            for (name, v) in &given {
                let Some(decl) = spin.variables.get(name) else {
                    problems.push(format!("{who}: variable {name} is not in spin.toml"));
                    continue;
                };
                if !used.contains(name) {
                    problems.push(format!(
                        "{who}: variable {name} is used by none of its components"
                    ));
                }
                let secret_ref = yaml_get(v, &["valueFrom", "secretKeyRef"]);
                if decl.secret && secret_ref.is_none() {
                    problems.push(format!(
                        "{who}: secret variable {name} must come from a secretKeyRef"
                    ));
                }
                if let Some(r) = secret_ref
                    && (yaml_str(r, &["name"]).is_none() || yaml_str(r, &["key"]).is_none())
                {
                    problems.push(format!("{who}: {name}: secretKeyRef needs name and key"));
                }
            }
            for name in &used {
                let Some(decl) = spin.variables.get(name) else {
                    continue;
                };
                if !decl.required {
                    continue;
                }
                let from_secret = given.get(name).and_then(|v| {
                    yaml_get(v, &["valueFrom", "secretKeyRef"]).filter(|r| {
                        yaml_get(r, &["optional"]).and_then(|o| o.as_bool()) != Some(true)
                    })
                });
                if from_secret.is_none() {
                    problems.push(format!(
                        "{who}: required variable {name} has no (non-optional) secretKeyRef"
                    ));
                }
            }
        }
    }
    problems
}

/// Each SpinApp stands alone: a tagged image, `replicas` or autoscaling (with an HPA on its
/// Deployment), requests and limits, readiness and liveness on a path it serves, the runtime
/// config from a Secret.
fn check_spinapps(spin: &SpinManifest, sets: &[&ManifestSet]) -> Vec<String> {
    let mut problems = vec![];
    for set in sets {
        for app in &set.spinapps {
            let name = app_name(app);
            let who = format!("{}: SpinApp {name}", set.name());
            let image = yaml_str(app, &["spec", "image"]).unwrap_or("");
            let tag = image
                .rsplit_once(':')
                .filter(|(repo, _)| !repo.is_empty())
                .map(|(_, t)| t);
            if tag.is_none_or(|t| t.contains('/') || t == "latest") {
                problems.push(format!("{who}: image {image:?} needs its own explicit tag"));
            }
            let replicas = yaml_get(app, &["spec", "replicas"]).and_then(|r| r.as_u64());
            let autoscaling = yaml_get(app, &["spec", "enableAutoscaling"])
                .and_then(|a| a.as_bool())
                .unwrap_or(false);
            match (replicas, autoscaling) {
                (Some(n), false) if n >= 1 => {}
                (None, true) => {
                    let hpa = set.others.iter().any(|o| {
                        yaml_str(o, &["kind"]) == Some("HorizontalPodAutoscaler")
                            && yaml_str(o, &["spec", "scaleTargetRef", "name"]) == Some(&name)
                            && yaml_str(o, &["spec", "scaleTargetRef", "kind"])
                                == Some("Deployment")
                    });
                    if !hpa {
                        problems.push(format!(
                            "{who}: enableAutoscaling without a HorizontalPodAutoscaler on Deployment {name}"
                        ));
                    }
                }
                _ => problems.push(format!(
                    "{who}: want replicas >= 1 or enableAutoscaling: true (not both)"
                )),
            }
            for side in ["requests", "limits"] {
                for res in ["cpu", "memory"] {
                    if yaml_get(app, &["spec", "resources", side, res]).is_none() {
                        problems.push(format!("{who}: no resources.{side}.{res}"));
                    }
                }
            }
            let components = app_components(app);
            for probe in ["readiness", "liveness"] {
                let Some(path) = yaml_str(app, &["spec", "checks", probe, "httpGet", "path"])
                else {
                    problems.push(format!("{who}: no checks.{probe}.httpGet.path"));
                    continue;
                };
                problems.extend(
                    probe_problems(spin, components.as_deref(), path)
                        .into_iter()
                        .map(|p| format!("{who}: {probe} probe {path} {p}")),
                );
                // A SpinApp serving /health must be probed there, not on Spin's own route.
                let has_health = spin.component_for("/health").is_some_and(|c| {
                    components
                        .as_ref()
                        .is_none_or(|cs| cs.iter().any(|x| x == c))
                });
                if has_health && path != "/health" {
                    problems.push(format!("{who}: it serves /health; probe {probe} there"));
                }
            }
            if yaml_str(app, &["spec", "runtimeConfig", "loadFromSecret"]).is_none() {
                problems.push(format!("{who}: no runtimeConfig.loadFromSecret"));
            }
        }
    }
    problems
}

/// Why `path` does not prove that a SpinApp keeping `components` (`None`: all) works: it must be
/// an exact `[[trigger.http]]` route of spin.toml (not Spin's own `/.well-known/spin/health`,
/// which only shows the process is up, nor a path falling to a wildcard such as auth's `/...`)
/// whose component is one this SpinApp keeps, and that component's route table
/// (`components/<id>/src/routes.rs`) must serve it on GET.
fn probe_problems(spin: &SpinManifest, components: Option<&[String]>, path: &str) -> Vec<String> {
    if path == SPIN_HEALTH {
        return vec![
            "is Spin's own route, which proves only that the process is up: probe a health \
             route of this SpinApp's own components"
                .into(),
        ];
    }
    let Some(route) = spin
        .routes
        .iter()
        .find(|r| r.wildcard_prefix().is_none() && r.route == path)
    else {
        return vec!["is no exact route of spin.toml".into()];
    };
    let component = &route.component;
    if components.is_some_and(|cs| !cs.contains(component)) {
        return vec![format!(
            "is served by component {component}, not by this SpinApp's components {components:?}"
        )];
    }
    let routes_rs = repo_root()
        .join("components")
        .join(component)
        .join("src/routes.rs");
    let table: String = std::fs::read_to_string(&routes_rs)
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    if !table.contains(&format!("Route::new(Method::Get,\"{path}\",")) {
        return vec![format!(
            "is routed to {component}, but {} has no GET route for it",
            routes_rs.display()
        )];
    }
    vec![]
}

fn check_runtime_config(file: &str, text: &str) -> Vec<String> {
    let mut problems = vec![];
    let table: toml::Table = match toml::from_str(text) {
        Ok(t) => t,
        Err(e) => return vec![format!("{file}: not TOML: {e}")],
    };
    for (key, value) in &table {
        if !RUNTIME_CONFIG_KEYS.contains(&key.as_str()) {
            problems.push(format!("{file}: `{key}` is not a Spin runtime-config key"));
        }
        let types = match key.as_str() {
            "sqlite_database" => SQLITE_TYPES,
            "key_value_store" => KEY_VALUE_TYPES,
            _ => continue,
        };
        let Some(entries) = value.as_table() else {
            problems.push(format!("{file}: [{key}] must be a table of labels"));
            continue;
        };
        for (label, entry) in entries {
            let at = format!("{file}: [{key}.{label}]");
            let ty = entry.get("type").and_then(|t| t.as_str()).unwrap_or("");
            let Some((_, fields)) = types.iter().find(|(t, _)| *t == ty) else {
                problems.push(format!("{at}: type {ty:?} is not one Spin documents"));
                continue;
            };
            if let (Some(fields), Some(entry)) = (fields, entry.as_table()) {
                for k in entry.keys().filter(|k| *k != "type") {
                    if !fields.contains(&k.as_str()) {
                        problems.push(format!("{at}: `{k}` is not a field of type {ty:?}"));
                    }
                }
                for f in *fields {
                    let required = matches!((ty, *f), ("libsql", _) | ("redis", "url"));
                    if required && !entry.contains_key(*f) {
                        problems.push(format!("{at}: type {ty:?} needs `{f}`"));
                    }
                }
            }
        }
    }
    problems
}

// ---------------------------------------------------------------- tests

fn spin() -> SpinManifest {
    SpinManifest::load().expect("spin.toml loads")
}

fn assert_none(problems: Vec<String>) {
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

#[test]
fn every_routed_component_is_in_exactly_one_selective_spinapp() {
    let sets = load_sets();
    let spin = spin();
    assert!(!spin.routed_components().is_empty());
    assert_none(check_components(&spin, &deployments(&sets)));
}

#[test]
fn every_route_prefix_goes_to_the_spinapp_serving_its_component() {
    let sets = load_sets();
    assert_none(check_routes(&spin(), &deployments(&sets)));
}

#[test]
fn spinapps_use_only_fields_the_crd_defines() {
    let sets = load_sets();
    assert_none(check_fields(&deployments(&sets)));
}

#[test]
fn every_required_variable_comes_from_a_secret() {
    let spin = spin();
    assert!(
        spin.variables.values().any(|v| v.required),
        "spin.toml requires no variable any more: is this check still needed?"
    );
    let sets = load_sets();
    assert_none(check_variables(&spin, &deployments(&sets)));
}

#[test]
fn each_spinapp_has_its_image_tag_scale_resources_checks_and_runtime_config() {
    let sets = load_sets();
    assert_none(check_spinapps(&spin(), &deployments(&sets)));
}

#[test]
fn runtime_configs_use_only_types_and_fields_spin_documents() {
    let dir = repo_root().join("runtime-config");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).expect("runtime-config/") {
        let path = entry.expect("entry").path();
        if path.extension().is_some_and(|e| e == "toml") {
            seen += 1;
            let text = std::fs::read_to_string(&path).expect("readable");
            assert_none(check_runtime_config(&path.display().to_string(), &text));
        }
    }
    assert!(
        seen >= 2,
        "runtime-config/ holds local.toml and deploy.toml"
    );
}

#[test]
fn local_runtime_config_keeps_spins_default_files_under_the_state_directory() {
    let root = repo_root();
    let text = std::fs::read_to_string(root.join("runtime-config/local.toml")).expect("local.toml");
    let t: toml::Table = toml::from_str(&text).expect("TOML");
    // Spin: state_dir and a `spin` database's path against the current directory (the
    // repository root, where the commands run); a `spin` store's path against the file's dir.
    let state = root.join(t["state_dir"].as_str().expect("state_dir"));
    let db = &t["sqlite_database"]["default"];
    assert_eq!(db["type"].as_str(), Some("spin"));
    let db_path = root.join(db["path"].as_str().expect("path"));
    let kv = &t["key_value_store"]["default"];
    assert_eq!(kv["type"].as_str(), Some("spin"));
    let kv_path = root
        .join("runtime-config")
        .join(kv["path"].as_str().expect("path"));
    let norm = |p: PathBuf| -> PathBuf {
        let mut out = PathBuf::new();
        for c in p.components() {
            match c {
                std::path::Component::ParentDir => {
                    out.pop();
                }
                std::path::Component::CurDir => {}
                c => out.push(c),
            }
        }
        out
    };
    assert_eq!(norm(db_path), norm(state.join("sqlite_db.db")));
    assert_eq!(norm(kv_path), norm(state.join("sqlite_key_value.db")));
}

#[test]
fn deploy_runtime_config_is_libsql_and_redis_with_placeholders_only() {
    let text = std::fs::read_to_string(repo_root().join("runtime-config/deploy.toml"))
        .expect("deploy.toml");
    let t: toml::Table = toml::from_str(&text).expect("TOML");
    let db = &t["sqlite_database"]["default"];
    let kv = &t["key_value_store"]["default"];
    assert_eq!(db["type"].as_str(), Some("libsql"));
    assert_eq!(kv["type"].as_str(), Some("redis"));
    for v in [&db["url"], &db["token"], &kv["url"]] {
        let v = v.as_str().expect("string");
        let placeholder = v
            .strip_prefix("${")
            .and_then(|r| r.strip_suffix('}'))
            .is_some_and(|n| {
                !n.is_empty() && n.chars().all(|c| c.is_ascii_uppercase() || c == '_')
            });
        assert!(
            placeholder,
            "{v:?}: only ${{NAME}} placeholders, never a value"
        );
    }
}

#[test]
fn deployment_doc_creates_every_secret_the_manifests_use() {
    let doc = std::fs::read_to_string(repo_root().join("docs/deployment.md"))
        .expect("docs/deployment.md");
    let sets = load_sets();
    let mut refs = BTreeSet::new();
    for set in deployments(&sets) {
        for app in &set.spinapps {
            if let Some(s) = yaml_str(app, &["spec", "runtimeConfig", "loadFromSecret"]) {
                refs.insert((s.to_string(), "runtime-config.toml".to_string()));
            }
            for v in yaml_get(app, &["spec", "variables"])
                .and_then(|v| v.as_sequence())
                .into_iter()
                .flatten()
            {
                if let Some(r) = yaml_get(v, &["valueFrom", "secretKeyRef"]) {
                    refs.insert((
                        yaml_str(r, &["name"]).unwrap_or("").to_string(),
                        yaml_str(r, &["key"]).unwrap_or("").to_string(),
                    ));
                }
            }
        }
    }
    assert!(!refs.is_empty());
    for (secret, key) in refs {
        assert!(
            doc.contains(&format!("kubectl create secret generic {secret}"))
                && doc.contains(&format!("{key}=")),
            "docs/deployment.md must show how to create Secret {secret} with key {key}"
        );
    }
    for needle in [
        "spin build",
        "spin registry push",
        "kubectl apply -f deploy/spinkube/",
        "spin cloud deploy",
    ] {
        assert!(doc.contains(needle), "docs/deployment.md lacks `{needle}`");
    }
}

// ------------------------------------------------ the checks find what they must

fn selective_set(sets: &mut [ManifestSet]) -> &mut ManifestSet {
    sets.iter_mut()
        .find(|s| s.selective())
        .expect("a selective set")
}

#[test]
fn component_check_bites() {
    let spin = spin();
    let mut sets = load_sets();
    let set = selective_set(&mut sets);
    // Drop the last SpinApp: its components are in no SpinApp.
    let gone = set.spinapps.pop().expect("a SpinApp");
    let lost = app_components(&gone).expect("components");
    let p = check_components(&spin, &deployments(&sets));
    assert!(
        lost.iter().any(|c| p
            .iter()
            .any(|x| x.contains(c.as_str()) && x.contains("in no SpinApp"))),
        "{p:?}"
    );
    // One component in two SpinApps.
    let mut sets = load_sets();
    let set = selective_set(&mut sets);
    let first = app_components(&set.spinapps[0]).expect("components")[0].clone();
    let list = set.spinapps[1]["spec"]["components"]
        .as_sequence_mut()
        .expect("list");
    list.push(Value::String(first.clone()));
    let p = check_components(&spin, &deployments(&sets));
    assert!(p.iter().any(|x| x.contains("more than one")), "{p:?}");
}

#[test]
fn route_check_bites() {
    let spin = spin();
    let mut sets = load_sets();
    let set = selective_set(&mut sets);
    // Send one non-root Ingress path to a different SpinApp than it names now.
    let names: Vec<String> = set.spinapps.iter().map(app_name).collect();
    let paths = set.ingresses[0]["spec"]["rules"][0]["http"]["paths"]
        .as_sequence_mut()
        .expect("paths");
    let victim = paths
        .iter_mut()
        .find(|p| p["path"].as_str() != Some("/"))
        .expect("a path");
    let now = victim["backend"]["service"]["name"]
        .as_str()
        .expect("name")
        .to_string();
    let other = names.iter().find(|n| **n != now).expect("another SpinApp");
    victim["backend"]["service"]["name"] = Value::String(other.clone());
    let p = check_routes(&spin, &deployments(&sets));
    assert!(
        p.iter().any(|x| x.contains(&format!("goes to {other}"))),
        "{p:?}"
    );
    // Remove every path but `/`: the prefixes are unrouted (they fall to `/`'s SpinApp).
    let mut sets = load_sets();
    let set = selective_set(&mut sets);
    let paths = set.ingresses[0]["spec"]["rules"][0]["http"]["paths"]
        .as_sequence_mut()
        .expect("paths");
    paths.retain(|p| p["path"].as_str() == Some("/"));
    assert!(!check_routes(&spin, &deployments(&sets)).is_empty());
}

#[test]
fn field_and_variable_checks_bite() {
    let spin = spin();
    let mut sets = load_sets();
    let set = selective_set(&mut sets);
    set.spinapps[0]["spec"]["replica"] = Value::from(3);
    set.spinapps[0]["spec"]["checks"]["readiness"]["httpGet"]["port"] = Value::from(80);
    let p = check_fields(&deployments(&sets));
    assert!(p.iter().any(|x| x.contains("`spec.replica`")), "{p:?}");
    assert!(
        p.iter()
            .any(|x| x.contains("`spec.checks.readiness.httpGet.port`")),
        "{p:?}"
    );
    let mut sets = load_sets();
    let set = selective_set(&mut sets);
    let vars = set.spinapps[0]["spec"]["variables"]
        .as_sequence_mut()
        .expect("variables");
    vars.retain(|v| v["name"].as_str() != Some("jwt_secret"));
    let p = check_variables(&spin, &deployments(&sets));
    assert!(
        p.iter().any(|x| x.contains("required variable jwt_secret")),
        "{p:?}"
    );
}

#[test]
fn probe_check_bites() {
    let spin = spin();
    let probe_of = |sets: &mut Vec<ManifestSet>, component: &str, path: &str| {
        let set = selective_set(sets);
        let app = set
            .spinapps
            .iter_mut()
            .find(|a| app_components(a).is_some_and(|cs| cs.iter().any(|c| c == component)))
            .expect("the SpinApp of the component");
        app["spec"]["checks"]["readiness"]["httpGet"]["path"] = Value::String(path.into());
        app_name(app)
    };
    for (component, path, want) in [
        // Spin's own route: the process is up, the component may not work.
        ("projects", SPIN_HEALTH, "Spin's own route"),
        // Another SpinApp's health route.
        ("projects", "/health", "not by this SpinApp's components"),
        (
            "teams",
            "/health/profiles",
            "not by this SpinApp's components",
        ),
        // A path only auth's `/...` catch-all answers (a JSON 404).
        ("auth", "/health/nope", "no exact route"),
        // An exact route of the component that its route table does not serve on GET.
        ("auth", "/api/v1/infox", "no exact route"),
    ] {
        let mut sets = load_sets();
        let name = probe_of(&mut sets, component, path);
        let p = check_spinapps(&spin, &deployments(&sets));
        assert!(
            p.iter().any(|x| x.contains(&name)
                && x.contains(&format!("readiness probe {path} "))
                && x.contains(want)),
            "{component} probed on {path}: {p:?}"
        );
    }
    let mut spin_wrong = spin.clone();
    spin_wrong.routes.push(e2e::deploy::HttpRoute {
        route: "/health/teams-unserved".into(),
        component: "teams".into(),
    });
    let mut sets = load_sets();
    probe_of(&mut sets, "teams", "/health/teams-unserved");
    let p = check_spinapps(&spin_wrong, &deployments(&sets));
    assert!(
        p.iter().any(|x| x.contains("has no GET route for it")),
        "{p:?}"
    );
}

#[test]
fn runtime_config_check_bites() {
    let p = check_runtime_config(
        "x.toml",
        "[sqlite_database.default]\ntype = \"turso\"\n[key_value_store.default]\ntype = \"redis\"\nhost = \"r\"\n",
    );
    assert!(p.iter().any(|x| x.contains("\"turso\"")), "{p:?}");
    assert!(p.iter().any(|x| x.contains("`host`")), "{p:?}");
    assert!(p.iter().any(|x| x.contains("needs `url`")), "{p:?}");
}

#[test]
fn ingress_matching_follows_kubernetes() {
    let p = |path: &str, ty: &str, svc: &str| IngressPath {
        path: path.into(),
        path_type: ty.into(),
        service: svc.into(),
        port: Some(80),
    };
    let paths = vec![
        p("/", "Prefix", "root"),
        p("/api/v1/projects", "Prefix", "projects"),
        p("/health", "Exact", "auth"),
    ];
    assert_eq!(
        ingress_service_for(&paths, "/api/v1/projects"),
        Some("projects")
    );
    assert_eq!(
        ingress_service_for(&paths, "/api/v1/projects/x"),
        Some("projects")
    );
    assert_eq!(
        ingress_service_for(&paths, "/api/v1/projectsx"),
        Some("root")
    );
    assert_eq!(ingress_service_for(&paths, "/health"), Some("auth"));
    assert_eq!(ingress_service_for(&paths, "/health/x"), Some("root"));
}
