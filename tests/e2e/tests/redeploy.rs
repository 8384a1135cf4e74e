//! Per-component redeploy, for real: the selective deployment of `deploy/spinkube/selective.yaml`
//! run on this machine. Two runner processes share ONE state directory (so one SQLite file and
//! one key-value file, written by both): the first serves the components of the SpinApp that
//! answers `/health` (auth), the second every other SpinApp's components (`--component-id`).
//! An nginx front on 127.0.0.1 routes by the manifest's own Ingress paths, each SpinApp's
//! Service pointing at the process that serves it.
//!
//! While a client calls the first process's routes through the front without pause, the second
//! process is stopped, a changed build of its components is swapped in (a copy of each `.wasm`
//! under a new path, one custom section added: another file and hash, compiled anew, same
//! behaviour) and it is started again, and the front is reloaded to point at it, as an Ingress
//! does when a SpinApp's pods are replaced. Zero calls on the first may fail, and what was
//! written through the second before its restart must be there after it.

use e2e::deploy::{
    Front, SpinManifest, base_addr, call, ingress_paths, load_spinkube_docs, yaml_get, yaml_str,
};
use e2e::{AppOptions, TestApp, json, spawn_app_with, try_spawn_app_from};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::{Duration, Instant};

const PASSWORD: &str = "correct horse battery";
/// Calls the client must have made in each phase (before the stop, while the second process
/// is down, after it is back).
const CALLS_PER_PHASE: usize = 50;
const PHASE_LIMIT: Duration = Duration::from_secs(120);

struct Selective {
    /// SpinApp name -> its components.
    apps: BTreeMap<String, Vec<String>>,
    ingress: Vec<e2e::deploy::IngressPath>,
}

fn selective() -> Selective {
    let docs = load_spinkube_docs().expect("manifests load");
    let file = docs
        .iter()
        .find(|(_, d)| {
            yaml_str(d, &["kind"]) == Some("SpinApp")
                && yaml_get(d, &["spec", "components"]).is_some()
        })
        .map(|(f, _)| f.clone())
        .expect("a selective SpinApp manifest");
    let mut apps = BTreeMap::new();
    let mut ingress = None;
    for (_, d) in docs.iter().filter(|(f, _)| *f == file) {
        match yaml_str(d, &["kind"]) {
            Some("SpinApp") => {
                let components = yaml_get(d, &["spec", "components"])
                    .and_then(|c| c.as_sequence())
                    .expect("components")
                    .iter()
                    .map(|c| c.as_str().expect("component id").to_string())
                    .collect();
                apps.insert(
                    yaml_str(d, &["metadata", "name"])
                        .expect("name")
                        .to_string(),
                    components,
                );
            }
            Some("Ingress") => ingress = Some(ingress_paths(d).expect("Ingress paths")),
            _ => {}
        }
    }
    Selective {
        apps,
        ingress: ingress.expect("an Ingress beside the selective SpinApps"),
    }
}

fn options(state: &std::path::Path, components: &BTreeSet<String>) -> AppOptions {
    AppOptions {
        component_ids: components.iter().cloned().collect(),
        state_dir: Some(state.to_path_buf()),
        ..Default::default()
    }
    // The client calls without pause: no rate limit may answer 429 during the test.
    .variable("rate_limit_per_minute", "100000000")
    .variable("rate_limit_user_per_minute", "100000000")
    .variable("billing_free_requests_per_minute", "100000000")
}

fn addr(app: &TestApp) -> SocketAddr {
    base_addr(&app.base_url).expect("runner address")
}

fn upstream(r: &e2e::Resp) -> String {
    r.header("X-Front-Upstream").unwrap_or("").to_string()
}

/// Waits for `n` more calls of the client, failing after `PHASE_LIMIT`.
fn wait_calls(ticks: &mpsc::Receiver<()>, n: usize, phase: &str) {
    let deadline = Instant::now() + PHASE_LIMIT;
    for _ in 0..n {
        let left = deadline.saturating_duration_since(Instant::now());
        ticks
            .recv_timeout(left)
            .unwrap_or_else(|e| panic!("{phase}: the client stopped calling: {e}"));
    }
}

#[test]
fn one_group_is_redeployed_while_the_other_serves_without_a_failed_call() {
    let spin = SpinManifest::load().expect("spin.toml");
    let sel = selective();
    let health = spin
        .component_for("/health")
        .expect("a component serves /health");
    let first: BTreeSet<String> = sel
        .apps
        .values()
        .filter(|cs| cs.iter().any(|c| c == health))
        .flatten()
        .cloned()
        .collect();
    let second: BTreeSet<String> = sel
        .apps
        .values()
        .filter(|cs| !cs.iter().any(|c| c == health))
        .flatten()
        .cloned()
        .collect();
    for c in ["projects", "profiles"] {
        assert!(second.contains(c), "{c} is redeployed here: {second:?}");
    }

    let state = tempfile::tempdir().expect("state dir");
    let a = spawn_app_with(options(state.path(), &first));
    let b = spawn_app_with(options(state.path(), &second));
    let services = |second_at: SocketAddr| -> BTreeMap<String, SocketAddr> {
        sel.apps
            .iter()
            .map(|(name, cs)| {
                let at = if cs.iter().any(|c| first.contains(c)) {
                    addr(&a)
                } else {
                    second_at
                };
                (name.clone(), at)
            })
            .collect()
    };
    let mut front = Front::start(&sel.ingress, &services(addr(&b))).expect("nginx front starts");
    let base = front.base_url.clone();
    let url = |path: &str| format!("{base}{path}");
    // No pooled connections: after a reload, a kept-alive connection would stay with an old
    // nginx worker and its old upstream, which is not what a new client of the Ingress sees.
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(30))
        .max_idle_connections(0)
        .build();
    let get = |path: &str, headers: &[(&str, &str)]| {
        call(&agent, "GET", &url(path), headers, None).expect("front answers")
    };
    let post = |path: &str, headers: &[(&str, &str)], body: Value| {
        call(&agent, "POST", &url(path), headers, Some(&body)).expect("front answers")
    };

    // The front routes every route of spin.toml to the process serving its component.
    for route in &spin.routes {
        for path in route.sample_paths() {
            let component = spin.component_for(&path).expect("routed");
            let want = if first.contains(component) {
                addr(&a)
            } else {
                addr(&b)
            };
            let r = get(&path, &[]);
            assert_eq!(
                upstream(&r),
                want.to_string(),
                "{path} ({component}) answered by the wrong process: {} {}",
                r.status,
                r.text()
            );
            assert_ne!(r.status, 502, "{path}");
        }
    }

    // A user, through the first process; data written through the second.
    let r = post(
        "/auth/register",
        &[],
        json!({ "email": "redeploy@example.com", "password": PASSWORD, "name": "Re Deploy" }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = post(
        "/auth/login",
        &[],
        json!({ "email": "redeploy@example.com", "password": PASSWORD }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let token = r.json()["token"].as_str().expect("token").to_string();
    let bearer = format!("Bearer {token}");
    let r = post(
        "/api/keys",
        &[("Authorization", &bearer)],
        json!({ "name": "extension", "kind": "extension" }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let key = r.json()["key"].as_str().expect("key").to_string();

    let r = post(
        "/api/v1/projects",
        &[("X-Api-Key", &key)],
        json!({ "name": "Before the restart", "hostname": "before.example.com" }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(upstream(&r), addr(&b).to_string());
    let project = r.json()["data"]["project"]["id"]
        .as_str()
        .expect("project id")
        .to_string();
    let r = post(
        "/api/profiles",
        &[("Authorization", &bearer)],
        json!({ "name": "Before the restart", "templateId": "windows-chrome" }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    assert_eq!(upstream(&r), addr(&b).to_string());
    let profile = r.json();
    let profile_id = profile["id"].as_str().expect("profile id").to_string();

    // The client: the first process's routes, through the front, without pause.
    let stop = Arc::new(AtomicBool::new(false));
    let failures = Arc::new(Mutex::new(Vec::<String>::new()));
    let (tick, ticks) = mpsc::channel();
    let client = {
        let (stop, failures) = (stop.clone(), failures.clone());
        let (base, bearer, first_at) = (front.base_url.clone(), bearer.clone(), addr(&a));
        std::thread::spawn(move || {
            let agent = ureq::AgentBuilder::new()
                .timeout(Duration::from_secs(30))
                .build();
            let mut calls = 0usize;
            while !stop.load(Ordering::Relaxed) {
                for (path, headers) in [
                    ("/health", vec![]),
                    ("/auth/me", vec![("Authorization", bearer.as_str())]),
                ] {
                    calls += 1;
                    match call(&agent, "GET", &format!("{base}{path}"), &headers, None) {
                        Ok(r) if r.status == 200 && upstream(&r) == first_at.to_string() => {}
                        Ok(r) => failures.lock().expect("lock").push(format!(
                            "GET {path}: {} from {:?}: {}",
                            r.status,
                            upstream(&r),
                            r.text()
                        )),
                        Err(e) => failures.lock().expect("lock").push(e),
                    }
                    if tick.send(()).is_err() {
                        return calls;
                    }
                }
            }
            calls
        })
    };
    wait_calls(&ticks, CALLS_PER_PHASE, "before the stop");

    // Stop the second process. Its routes fail at the front now; the first's do not.
    let old = addr(&b);
    drop(b);
    let r = get(
        &format!("/api/v1/projects/{project}"),
        &[("X-Api-Key", &key)],
    );
    assert_eq!(r.status, 502, "the second process is down: {}", r.text());
    assert_eq!(upstream(&r), old.to_string());
    wait_calls(&ticks, CALLS_PER_PHASE, "while the second process is down");

    // A changed build of the second group's components, started on the same state directory.
    let build = tempfile::tempdir().expect("build dir");
    let manifest = spin
        .write_swapped_copy(build.path(), &second)
        .expect("swapped manifest");
    let b = try_spawn_app_from(&manifest, options(state.path(), &second))
        .expect("the second process starts again");
    for c in &second {
        let swapped = build.path().join(format!("{c}-swapped.wasm"));
        assert!(swapped.is_file(), "{} swapped in", swapped.display());
    }
    front
        .reroute(&services(addr(&b)))
        .expect("the front follows the new process");
    // The reloaded front sends the second group's routes to the new process. An old nginx
    // worker keeps the old upstream for connections it already holds, hence the agent without a
    // pool above. Bounded by a deadline, not by a number of tries.
    let mut moved = false;
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::time::Instant::now() < deadline {
        let r = get(
            &format!("/api/v1/projects/{project}"),
            &[("X-Api-Key", &key)],
        );
        if upstream(&r) == addr(&b).to_string() {
            moved = true;
            break;
        }
    }
    assert!(
        moved,
        "front still not on the new process:\n{}",
        front.log()
    );
    wait_calls(&ticks, CALLS_PER_PHASE, "after the restart");

    stop.store(true, Ordering::Relaxed);
    drop(ticks);
    let calls = client.join().expect("client thread");
    let failures = failures.lock().expect("lock").clone();
    assert!(
        failures.is_empty(),
        "{} of {calls} calls to the first process failed during the redeploy:\n{}\n---- front ----\n{}",
        failures.len(),
        failures.join("\n"),
        front.log()
    );
    assert!(calls >= 3 * CALLS_PER_PHASE, "{calls} calls");

    // Everything written through the second process before its restart is there after it.
    let r = get(
        &format!("/api/v1/projects/{project}"),
        &[("X-Api-Key", &key)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(upstream(&r), addr(&b).to_string());
    assert_eq!(
        r.json()["data"]["project"]["hostname"],
        "before.example.com"
    );
    let r = get(
        &format!("/api/profiles/{profile_id}"),
        &[("Authorization", &bearer)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json(), profile);
    // And both processes still write the one database: a write through the new second process,
    // a session made through the first, each seen by the other.
    let r = post(
        "/api/v1/projects",
        &[("X-Api-Key", &key)],
        json!({ "name": "After the restart", "hostname": "after.example.com" }),
    );
    assert_eq!(r.status, 201, "{}", r.text());
    let r = get("/api/v1/projects", &[("X-Api-Key", &key)]);
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["data"]["pagination"]["total"], 2, "{}", r.text());
    let r = post(
        "/auth/login",
        &[],
        json!({ "email": "redeploy@example.com", "password": PASSWORD }),
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(upstream(&r), addr(&a).to_string());
    let fresh = format!("Bearer {}", r.json()["token"].as_str().expect("token"));
    let r = get(
        &format!("/api/profiles/{profile_id}"),
        &[("Authorization", &fresh)],
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(upstream(&r), addr(&b).to_string());
}
