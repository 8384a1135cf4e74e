//! The blob-store suite: the `blobs` component, plugged into the `blob-probe` test component
//! (tests/e2e/fixtures/blob-probe), served by the runner and called over HTTP. Every case in
//! `on_both_backends!` runs twice, once on the embedded store (SQLite) and once on a real S3
//! server (Garage, started per test), so the two backends keep one behaviour.

use e2e::garage::Garage;
use e2e::{AppOptions, Resp, TestApp, repo_root, target_dir, try_spawn_app_from};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::path::PathBuf;

/// One chunk of the embedded store (components/blobs/src/embedded.rs).
const CHUNK: usize = 256 * 1024;

#[derive(Clone, Copy, Debug, PartialEq)]
enum Backend {
    Embedded,
    Garage,
}

/// The probe app on one backend. Fields drop in order: the app stops before its Garage.
struct Store {
    app: TestApp,
    garage: Option<Garage>,
    _manifest: tempfile::TempDir,
}

impl Backend {
    fn start(self) -> Store {
        self.start_with(AppOptions::default())
    }

    fn start_with(self, opts: AppOptions) -> Store {
        let garage = match self {
            Backend::Embedded => None,
            Backend::Garage => Some(Garage::start()),
        };
        let opts = match &garage {
            Some(g) => opts.blob_store(g),
            None => opts,
        };
        let (manifest_dir, manifest) = probe_manifest();
        let app = spawn_probe(&manifest, opts);
        Store {
            app,
            garage,
            _manifest: manifest_dir,
        }
    }
}

/// The probe's manifest, copied with its `target/` paths made absolute: the `.wasm` files are
/// taken from the target directory of this test build, wherever `CARGO_TARGET_DIR` put it (as
/// the runner binary is), not from whatever the repository's `target/` holds.
fn probe_manifest() -> (tempfile::TempDir, PathBuf) {
    let source = repo_root().join("tests/e2e/fixtures/blob-probe/spin.toml");
    let text = std::fs::read_to_string(&source).expect("the probe manifest");
    let relative = "../../../../target/wasm32-wasip2/release/";
    assert!(
        text.contains(relative),
        "{} names its wasm under {relative}",
        source.display()
    );
    let wasm_dir = target_dir().join("wasm32-wasip2/release");
    let text = text.replace(relative, &format!("{}/", wasm_dir.display()));
    let dir = tempfile::tempdir().expect("manifest dir");
    let manifest = dir.path().join("spin.toml");
    std::fs::write(&manifest, text).expect("manifest written");
    (dir, manifest)
}

fn spawn_probe(manifest: &std::path::Path, mut opts: AppOptions) -> TestApp {
    opts.without_jwt_secret = true;
    try_spawn_app_from(manifest, opts).expect("the blob probe app starts")
}

impl Store {
    fn put(&self, key: &str, data: &[u8], content_type: &str) -> Resp {
        let req = self.app.put(&format!("/blob?key={}", enc(key)));
        let req = if content_type.is_empty() {
            req
        } else {
            req.header("Content-Type", content_type)
        };
        req.send_bytes(data)
    }

    /// Puts and returns the meta the store answered with.
    fn put_ok(&self, key: &str, data: &[u8], content_type: &str) -> Value {
        let r = self.put(key, data, content_type);
        assert_eq!(r.status, 200, "put {key:?}: {}", r.text());
        r.json()
    }

    fn get(&self, key: &str) -> Resp {
        self.app.get(&format!("/blob?key={}", enc(key))).send()
    }

    fn head(&self, key: &str) -> Resp {
        self.app
            .request("HEAD", &format!("/blob?key={}", enc(key)))
            .send()
    }

    fn meta(&self, key: &str) -> Resp {
        self.app.get(&format!("/meta?key={}", enc(key))).send()
    }

    fn delete(&self, key: &str) -> Resp {
        self.app.delete(&format!("/blob?key={}", enc(key))).send()
    }

    fn list(&self, prefix: &str, start_after: Option<&str>, limit: u32) -> Resp {
        let mut path = format!("/list?prefix={}&limit={limit}", enc(prefix));
        if let Some(after) = start_after {
            path.push_str(&format!("&startAfter={}", enc(after)));
        }
        self.app.get(&path).send()
    }

    /// One page: the keys and the next start-after.
    fn page(&self, prefix: &str, start_after: Option<&str>, limit: u32) -> (Vec<String>, Value) {
        let r = self.list(prefix, start_after, limit);
        assert_eq!(r.status, 200, "list {prefix:?}: {}", r.text());
        let body = r.json();
        let keys = body["items"]
            .as_array()
            .expect("items")
            .iter()
            .map(|m| m["key"].as_str().expect("key").to_owned())
            .collect();
        (keys, body["nextStartAfter"].clone())
    }
}

/// Percent-encodes everything but unreserved characters, so any key reaches the probe as is.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'.' | b'_' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// Bytes that differ from chunk to chunk (xorshift), so a misplaced chunk cannot go unseen.
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect()
}

fn int(v: &Value) -> u64 {
    v.as_u64().unwrap_or_else(|| panic!("not a number: {v}"))
}

macro_rules! on_both_backends {
    ($($case:ident),* $(,)?) => {
        mod embedded {
            $(#[test] fn $case() { super::$case(super::Backend::Embedded) })*
        }
        mod garage {
            $(#[test] fn $case() { super::$case(super::Backend::Garage) })*
        }
    };
}

on_both_backends!(
    values_round_trip_byte_identical,
    content_type_is_kept,
    head_reports_what_put_answered,
    overwrite_replaces_the_value,
    delete_is_idempotent,
    missing_keys_are_none,
    list_pages_by_prefix_in_key_order,
    invalid_keys_are_refused,
    values_over_max_blob_bytes_are_refused,
);

fn values_round_trip_byte_identical(backend: Backend) {
    let store = backend.start();
    let cases = [
        ("small/hello.txt", b"hello, blobs".to_vec()),
        ("empty", Vec::new()),
        ("one-byte", vec![0]),
        ("chunk/just-under", data(CHUNK - 1, 1)),
        ("chunk/exact", data(CHUNK, 2)),
        ("chunk/just-over", data(CHUNK + 1, 3)),
        ("multi/1MiB-and-1", data((1 << 20) + 1, 4)),
        ("all-Allowed_chars.ok=yes/-9", data(100, 5)),
    ];
    for (key, value) in &cases {
        let meta = store.put_ok(key, value, "application/octet-stream");
        assert_eq!(meta["key"], *key);
        assert_eq!(int(&meta["size"]), value.len() as u64, "{key}");
        assert!(
            !meta["etag"].as_str().unwrap_or_default().is_empty(),
            "{key}: {meta}"
        );
    }
    for (key, value) in &cases {
        let r = store.get(key);
        assert_eq!(r.status, 200, "get {key}: {}", r.text());
        assert_eq!(r.body.len(), value.len(), "{key}");
        assert!(r.body == *value, "{key}: the bytes read back differ");
        assert_eq!(
            r.header("x-blob-size"),
            Some(value.len().to_string().as_str())
        );
    }
    if backend == Backend::Embedded {
        // The embedded store's ETag is the hex SHA-256 of the content.
        for (key, value) in &cases {
            let meta = store.meta(key).json();
            assert_eq!(meta["etag"], hex_sha256(value), "{key}");
        }
    }
}

fn content_type_is_kept(backend: Backend) {
    let store = backend.start();
    store.put_ok("img/a.png", &data(300, 6), "image/png");
    store.put_ok("doc/b.json", b"{}", "application/json; charset=utf-8");
    store.put_ok("raw/c", b"raw", "");
    for (key, content_type) in [
        ("img/a.png", "image/png"),
        ("doc/b.json", "application/json; charset=utf-8"),
        // Stored without one: served as bytes on both backends.
        ("raw/c", "application/octet-stream"),
    ] {
        let r = store.get(key);
        assert_eq!(r.status, 200, "{key}");
        assert_eq!(r.header("content-type"), Some(content_type), "get {key}");
        assert_eq!(
            store.meta(key).json()["contentType"],
            content_type,
            "head {key}"
        );
    }
}

fn head_reports_what_put_answered(backend: Backend) {
    let store = backend.start();
    let value = data(CHUNK + 10, 7);
    let put = store.put_ok("h/k", &value, "text/plain");

    let head = store.head("h/k");
    assert_eq!(head.status, 200);
    assert!(head.body.is_empty());
    assert_eq!(
        head.header("x-blob-size"),
        Some(value.len().to_string().as_str())
    );
    assert_eq!(head.header("content-type"), Some("text/plain"));

    let meta = store.meta("h/k").json();
    assert_eq!(meta["key"], "h/k");
    assert_eq!(meta["size"], put["size"]);
    assert_eq!(meta["etag"], put["etag"]);
    assert_eq!(meta["contentType"], put["contentType"]);
    let (put_ms, head_ms) = (int(&put["lastModified"]), int(&meta["lastModified"]));
    // S3 reports times to the second: the put's answer and a later HEAD may straddle one.
    assert!(
        put_ms.abs_diff(head_ms) <= 1000,
        "put {put_ms}, head {head_ms}"
    );
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_millis() as u64;
    assert!(
        now_ms.abs_diff(head_ms) < 10 * 60 * 1000,
        "now {now_ms}, head {head_ms}"
    );

    let get = store.get("h/k");
    assert_eq!(
        get.header("etag").map(|e| e.trim_matches('"')),
        put["etag"].as_str()
    );
}

fn overwrite_replaces_the_value(backend: Backend) {
    let store = backend.start();
    let big = data(3 * CHUNK + 5, 8);
    let small = b"small now".to_vec();
    let first = store.put_ok("o/k", &big, "application/octet-stream");
    let second = store.put_ok("o/k", &small, "text/plain");
    assert_ne!(first["etag"], second["etag"]);

    let r = store.get("o/k");
    assert_eq!(r.body, small);
    assert_eq!(r.header("content-type"), Some("text/plain"));
    let meta = store.meta("o/k").json();
    assert_eq!(int(&meta["size"]), small.len() as u64);
    assert_eq!(meta["etag"], second["etag"]);

    // And back to more chunks than before.
    let bigger = data(5 * CHUNK, 9);
    store.put_ok("o/k", &bigger, "application/octet-stream");
    assert!(store.get("o/k").body == bigger);
    let (keys, _) = store.page("o/", None, 10);
    assert_eq!(keys, ["o/k"]);
}

fn delete_is_idempotent(backend: Backend) {
    let store = backend.start();
    store.put_ok("d/k", &data(CHUNK * 2, 10), "");
    store.put_ok("d/keep", b"stays", "");
    assert_eq!(store.delete("d/k").status, 204);
    assert_eq!(store.get("d/k").status, 404);
    assert_eq!(store.head("d/k").status, 404);
    assert_eq!(store.delete("d/k").status, 204, "second delete");
    assert_eq!(store.delete("d/never-was").status, 204);
    assert_eq!(store.page("d/", None, 10).0, ["d/keep"]);
    assert_eq!(store.get("d/keep").body, b"stays");

    // A deleted key can be written again.
    store.put_ok("d/k", b"again", "");
    assert_eq!(store.get("d/k").body, b"again");
}

fn missing_keys_are_none(backend: Backend) {
    let store = backend.start();
    store.put_ok("m/present", b"x", "");
    for key in ["m/absent", "m/presen", "m/present/child", "m"] {
        let get = store.get(key);
        assert_eq!(get.status, 404, "get {key}: {}", get.text());
        assert_eq!(get.json()["error"], "not-found");
        assert_eq!(store.head(key).status, 404, "head {key}");
        assert_eq!(store.meta(key).status, 404, "meta {key}");
    }
}

fn list_pages_by_prefix_in_key_order(backend: Backend) {
    let store = backend.start();
    // Byte order: '-' < '0' < '=' < 'A' < '_' < 'a'.
    let inside = ["l/x/-1", "l/x/0", "l/x/=", "l/x/A", "l/x/_", "l/x/a/deeper"];
    // Neighbours that share the start of the prefix but not all of it.
    let outside = ["l/x", "l/x0", "l/w/z", "l/y/1", "lx/1"];
    for (i, key) in inside.iter().chain(&outside).enumerate() {
        store.put_ok(key, &data(i * 10, i as u64), "");
    }

    let mut seen = Vec::new();
    let mut after: Option<String> = None;
    let mut pages = 0;
    loop {
        let (keys, next) = store.page("l/x/", after.as_deref(), 4);
        pages += 1;
        assert!(keys.len() <= 4);
        seen.extend(keys.clone());
        match next.as_str() {
            Some(n) => {
                assert_eq!(Some(n), keys.last().map(String::as_str), "next = last key");
                after = Some(n.to_owned());
            }
            None => {
                assert!(next.is_null());
                break;
            }
        }
        assert!(pages < 10, "paging does not end");
    }
    assert_eq!(
        seen, inside,
        "every key under the prefix once, in key order"
    );
    assert_eq!(pages, 2);

    let (page, next) = store.page("l/x/", None, 1000);
    assert_eq!(page, inside);
    assert!(next.is_null());

    // Sizes and ETags in a listing are the blobs'.
    let body = store.list("l/x/", None, 2).json();
    let items = body["items"].as_array().expect("items");
    assert_eq!(items.len(), 2);
    for item in items {
        let key = item["key"].as_str().expect("key");
        let meta = store.meta(key).json();
        assert_eq!(item["size"], meta["size"], "{key}");
        assert_eq!(item["etag"], meta["etag"], "{key}");
        assert_eq!(
            item["lastModified"].as_u64().map(|t| t / 1000),
            meta["lastModified"].as_u64().map(|t| t / 1000),
            "{key}"
        );
    }

    // start-after outside the prefix: before it lists all, after it lists none.
    assert_eq!(store.page("l/x/", Some("l/a"), 100).0, inside);
    assert!(store.page("l/x/", Some("l/z"), 100).0.is_empty());
    // Mid-prefix start-after that is not a key.
    assert_eq!(store.page("l/x/", Some("l/x/1"), 100).0, inside[2..]);

    let mut everything: Vec<&str> = inside.iter().chain(&outside).copied().collect();
    everything.sort_unstable();
    assert_eq!(store.page("", None, 1000).0, everything);
    assert_eq!(
        store.page("l/", None, 1000).0,
        everything[..everything.len() - 1]
    );
    assert!(store.page("nothing/", None, 10).0.is_empty());
}

fn invalid_keys_are_refused(backend: Backend) {
    let store = backend.start();
    let long = "k".repeat(513);
    let bad = [
        "",
        "/abs",
        "a/../b",
        "..",
        "a//b",
        "sp ace",
        "é",
        "a?b",
        "a\\b",
        long.as_str(),
    ];
    for key in bad {
        for (what, r) in [
            ("put", store.put(key, b"x", "")),
            ("get", store.get(key)),
            ("head", store.meta(key)),
            ("delete", store.delete(key)),
        ] {
            assert_eq!(r.status, 400, "{what} {key:?}: {}", r.text());
            assert_eq!(r.json()["error"], "invalid-key", "{what} {key:?}");
        }
    }
    for prefix in ["a b", "é/"] {
        let r = store.list(prefix, None, 10);
        assert_eq!(r.status, 400, "list {prefix:?}");
        assert_eq!(r.json()["error"], "invalid-key");
    }
    let r = store.list("", Some("x y"), 10);
    assert_eq!(r.status, 400, "start-after");
    assert!(
        store.page("", None, 1000).0.is_empty(),
        "nothing was stored"
    );

    // The longest valid key is accepted.
    let longest = "k".repeat(512);
    store.put_ok(&longest, b"ok", "");
    assert_eq!(store.get(&longest).body, b"ok");
}

fn values_over_max_blob_bytes_are_refused(backend: Backend) {
    let store = backend.start_with(AppOptions::default().variable("max_blob_bytes", "1000"));
    store.put_ok("s/at-limit", &data(1000, 11), "");
    let r = store.put("s/over", &data(1001, 12), "");
    assert_eq!(r.status, 413, "{}", r.text());
    assert_eq!(r.json()["error"], "too-large");
    assert_eq!(int(&r.json()["limit"]), 1000);
    assert_eq!(store.get("s/over").status, 404);

    // A refused overwrite leaves the old value.
    let r = store.put("s/at-limit", &data(5000, 13), "");
    assert_eq!(r.status, 413);
    assert!(store.get("s/at-limit").body == data(1000, 11));
}

#[test]
fn garage_stopped_is_unavailable() {
    let mut store = Backend::Garage.start();
    store.put_ok("u/k", b"before", "");
    store.garage.as_mut().expect("garage").stop();
    for (what, r) in [
        ("put", store.put("u/k", b"after", "")),
        ("get", store.get("u/k")),
        ("head", store.meta("u/k")),
        ("delete", store.delete("u/k")),
        ("list", store.list("u/", None, 10)),
    ] {
        assert_eq!(r.status, 503, "{what}: {}", r.text());
        assert_eq!(r.json()["error"], "unavailable", "{what}");
    }
}

#[test]
fn wrong_s3_credentials_are_internal_errors() {
    let garage = Garage::start();
    let opts = AppOptions::default()
        .blob_store(&garage)
        .variable("blob_secret_key", &"0".repeat(64));
    let (_dir, manifest) = probe_manifest();
    let app = spawn_probe(&manifest, opts);
    let r = app.put("/blob?key=w").send_bytes(b"x");
    assert_eq!(r.status, 500, "{}", r.text());
    let body = r.json();
    assert_eq!(body["error"], "internal");
    let detail = body["detail"].as_str().unwrap_or_default();
    assert!(detail.contains("403"), "{detail}");
    drop(app);
}

#[test]
fn the_embedded_store_writes_its_tables() {
    let store = Backend::Embedded.start();
    store.put_ok("t/k", &data(2 * CHUNK + 1, 14), "text/plain");
    let db = rusqlite::Connection::open(store.app.state_dir.join("sqlite_db.db")).expect("db");
    let (size, chunks, etag): (i64, i64, String) = db
        .query_row(
            "SELECT size, chunk_count, etag FROM blobs WHERE key = 't/k'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .expect("metadata row");
    assert_eq!((size, chunks), (2 * CHUNK as i64 + 1, 3));
    assert_eq!(etag, hex_sha256(&data(2 * CHUNK + 1, 14)));
    let rows: i64 = db
        .query_row(
            "SELECT count(*) FROM blob_chunks WHERE key = 't/k'",
            [],
            |r| r.get(0),
        )
        .expect("chunk rows");
    assert_eq!(rows, 3);
    let version: i64 = db
        .query_row(
            "SELECT version FROM schema_migrations WHERE name = '0005_blobs'",
            [],
            |r| r.get(0),
        )
        .expect("migration recorded");
    assert_eq!(version, 5);

    assert_eq!(store.delete("t/k").status, 204);
    let left: i64 = db
        .query_row(
            "SELECT count(*) FROM blob_chunks WHERE key = 't/k'",
            [],
            |r| r.get(0),
        )
        .expect("chunk rows");
    assert_eq!(left, 0, "delete removes the chunks");
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// An S3 endpoint that takes the connection and never answers: each call gives up after
/// `blob_timeout` with `unavailable` (503) instead of holding the request.
#[test]
fn a_silent_s3_server_is_unavailable_after_blob_timeout() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", listener.local_addr().expect("addr"));
    // Accept and hold every connection, answering nothing, until the test ends.
    let held = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let keep = held.clone();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            keep.lock().expect("lock").push(stream);
        }
    });
    let opts = AppOptions::default()
        .variable("blob_endpoint", &endpoint)
        .variable("blob_bucket", "silent")
        .variable("blob_access_key", "GKsilent")
        .variable("blob_secret_key", &"0".repeat(64))
        .variable("blob_timeout", "400ms");
    let (_dir, manifest) = probe_manifest();
    let app = spawn_probe(&manifest, opts);
    for (what, r) in [
        ("put", app.put("/blob?key=s/k").send_bytes(b"x")),
        ("get", app.get("/blob?key=s/k").send()),
        ("list", app.get("/list?prefix=s/&limit=10").send()),
    ] {
        assert_eq!(r.status, 503, "{what}: {}", r.text());
        assert_eq!(r.json()["error"], "unavailable", "{what}");
    }
    assert!(
        !held.lock().expect("lock").is_empty(),
        "the server was reached"
    );
}
