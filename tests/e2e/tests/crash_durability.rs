//! Crash durability: the runner killed with SIGKILL in the middle of writes, round after round,
//! on one state directory.
//!
//! Each round, writers push sessions (`POST /api/sync/:id`, every one different, some gzipped,
//! one in ten large enough for its blob to span several chunks), rename profiles (`PUT /api/profiles/:id`) and
//! create profiles (`POST /api/profiles`) concurrently, and the runner is killed at a seeded
//! random moment of that. Before it is started again, `PRAGMA integrity_check` runs on copies of
//! both SQLite files (copies, so that the runner itself recovers the real ones from the WAL it
//! left). Once it serves again:
//!
//! - every acknowledged write is there: an acknowledged profile exists with its name; a
//!   renamed profile carries the last acknowledged name, or that of a rename in flight at the
//!   kill or not followed by an acknowledged one; a profile nobody created (nor tried to) never
//!   appears;
//! - every acknowledged push is among the profile's kept versions with its version number and
//!   hash, unless newer versions pushed it out (`sync_versions_kept` of them); every kept
//!   version is one we pushed, and the current one is at least the newest acknowledged;
//! - the current session (`GET /api/sync/:id`) is what that push sent, and its hash is the
//!   SHA-256 of its canonical JSON.
//!
//! After the last round every kept version is read back too (restored, oldest first, and
//! pulled), the runner is killed a last time and `PRAGMA integrity_check` runs on the real
//! files.
//!
//! What this claims is survival of a *process* kill: the runner's SQLite is in WAL mode with
//! `synchronous=NORMAL`, under which a committed transaction is in the WAL file (the OS's page
//! cache) before the commit returns, so a killed process loses nothing acknowledged; a power
//! cut could lose the last commits, and this test does not simulate one.
//!
//! The seed (printed; `E2E_SEED` replays it) fixes the writers' choices, sizes and pauses, and
//! the kill moments. `E2E_LONG=1` runs more rounds.

mod desktop;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use e2e::chaos::{self, Answer, Rng};
use e2e::{AppOptions, TestApp, json, spawn_app_with};
use serde_json::Value;
use sha2::{Digest, Sha256};

const ROUNDS: usize = 20;
const WRITERS: usize = 8;
/// The profiles that are pushed to and renamed; created profiles are checked for presence.
const PROFILES: usize = 4;
/// `sync_versions_kept` of this app: small, so that pruning happens (and is killed) too.
const KEPT: usize = 8;

fn options(state: &Path) -> AppOptions {
    AppOptions {
        state_dir: Some(state.to_path_buf()),
        ..Default::default()
    }
    .variable("sync_versions_kept", &KEPT.to_string())
    // writers without pause: no rate limit may answer 429, no plan limit 409
    .variable("rate_limit_per_minute", "100000000")
    .variable("rate_limit_user_per_minute", "100000000")
    .variable("billing_free_requests_per_minute", "100000000")
    .variable("billing_free_max_profiles", "100000")
    .variable("max_profiles_per_team", "100000")
}

// ---------------------------------------------------------------------------------------------
// Sessions and their hashes, as the server computes them (crates/sessions: canonical JSON is
// compact with every object's keys sorted; the hash is its SHA-256 in hex).

fn canonical(v: &Value, out: &mut Vec<u8>) {
    match v {
        Value::Object(map) => {
            out.push(b'{');
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend(serde_json::to_vec(k).expect("a string serialises"));
                out.push(b':');
                canonical(&map[k.as_str()], out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                canonical(item, out);
            }
            out.push(b']');
        }
        scalar => out.extend(serde_json::to_vec(scalar).expect("a scalar serialises")),
    }
}

/// The hash of a session's `cookies` and `localStorage`.
fn session_hash(v: &Value) -> String {
    let data = json!({ "cookies": v["cookies"], "localStorage": v["localStorage"] });
    let mut bytes = Vec::new();
    canonical(&data, &mut bytes);
    Sha256::digest(&bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

fn gzip(data: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(data).expect("gzip");
    e.finish().expect("gzip")
}

/// A session no other push sends: its cookie names the writer, round and step; its
/// localStorage carries random hex, mostly up to 48 KB, one in ten 0.5 to 1 MB (which gzip
/// only halves: blobs of several 256 KiB chunks in the embedded store).
fn session(rng: &mut Rng, tag: &str) -> Value {
    let words = if rng.chance(0.1) {
        rng.range(30_000, 60_000)
    } else {
        rng.range(4, 3000)
    };
    let blob: String = (0..words)
        .map(|_| format!("{:016x}", rng.next_u64()))
        .collect();
    json!({
        "cookies": [
            { "name": "sid", "value": tag, "domain": ".shop.example", "path": "/", "secure": true },
            { "name": "lang", "value": "en", "domain": "shop.example" }
        ],
        "localStorage": { "tag": tag, "blob": blob }
    })
}

// ---------------------------------------------------------------------------------------------
// The writers.

#[derive(Debug, Clone)]
enum Write {
    Push { profile: usize, hash: String },
    Rename { profile: usize, name: String },
    Create { name: String },
}

#[derive(Debug, Clone)]
enum Outcome {
    /// 2xx, with the body.
    Acked(Value),
    /// No complete answer (cut by the kill), or a 5xx (`answered`): it may or may not have
    /// been applied.
    Unknown { answered: bool },
}

#[derive(Debug, Clone)]
struct Rec {
    write: Write,
    inv: Instant,
    end: Instant,
    outcome: Outcome,
}

struct Ctx {
    base: String,
    token: String,
    profiles: Vec<String>,
}

/// One writer's round: writes until the runner is gone. Returns what it did, and the sessions
/// it sent (hash -> profile and data).
fn writer(
    w: usize,
    round: usize,
    mut rng: Rng,
    ctx: Arc<Ctx>,
) -> (Vec<Rec>, Vec<(String, usize, Value)>) {
    let agent = chaos::agent();
    let auth = format!("Bearer {}", ctx.token);
    let client = format!("writer-{w}");
    let mut recs = Vec::new();
    let mut sent = Vec::new();
    for step in 0.. {
        let tag = format!("w{w}-r{round}-s{step}");
        let pick = rng.range(0, 99);
        let (write, method, url, body, gzipped) = if pick < 50 {
            let profile = rng.index(PROFILES);
            let data = session(&mut rng, &tag);
            let hash = session_hash(&data);
            let mut body = serde_json::to_vec(&data).expect("json");
            let gzipped = rng.chance(0.3);
            if gzipped {
                body = gzip(&body);
            }
            sent.push((hash.clone(), profile, data));
            (
                Write::Push { profile, hash },
                "POST",
                format!("{}/api/sync/{}", ctx.base, ctx.profiles[profile]),
                body,
                gzipped,
            )
        } else if pick < 80 {
            let profile = rng.index(PROFILES);
            let name = format!("Renamed {tag}");
            let body = serde_json::to_vec(&json!({ "name": name })).expect("json");
            (
                Write::Rename { profile, name },
                "PUT",
                format!("{}/api/profiles/{}", ctx.base, ctx.profiles[profile]),
                body,
                false,
            )
        } else {
            let name = format!("Created {tag}");
            let body = serde_json::to_vec(&json!({ "name": name, "templateId": "windows-chrome" }))
                .expect("json");
            (
                Write::Create { name },
                "POST",
                format!("{}/api/profiles", ctx.base),
                body,
                false,
            )
        };
        let mut headers = vec![
            ("Authorization", auth.as_str()),
            ("Content-Type", "application/json"),
            ("X-Client-ID", client.as_str()),
        ];
        if gzipped {
            headers.push(("Content-Encoding", "gzip"));
        }
        let inv = Instant::now();
        let answer = chaos::send(
            &agent,
            method,
            &url,
            &headers,
            Some(&body),
            Duration::from_secs(30),
        );
        let end = Instant::now();
        let outcome = match answer {
            Answer::Response { status, body } if (200..300).contains(&status) => {
                Outcome::Acked(serde_json::from_str(&body).expect("a 2xx body is JSON"))
            }
            Answer::Response { status, .. } if status >= 500 => Outcome::Unknown { answered: true },
            Answer::Response { status, body } => {
                panic!("{write:?} answered {status}: {body}")
            }
            // the runner is gone: this writer's round is over
            Answer::Unknown(_) => {
                recs.push(Rec {
                    write,
                    inv,
                    end,
                    outcome: Outcome::Unknown { answered: false },
                });
                break;
            }
            Answer::Unreachable => break,
        };
        recs.push(Rec {
            write,
            inv,
            end,
            outcome,
        });
        std::thread::sleep(rng.millis(0, 15));
    }
    (recs, sent)
}

// ---------------------------------------------------------------------------------------------
// What must be true after every restart.

#[derive(Default)]
struct Expected {
    /// Every profile that exists, with its name as last verified.
    names: BTreeMap<String, String>,
    /// Every session ever sent: hash -> (profile, data).
    sent: HashMap<String, (usize, Value)>,
    /// Every acknowledged push: (profile, hash, version).
    acked: Vec<(usize, String, i64)>,
    /// Sessions found kept whose push was cut by a kill (it had committed).
    applied_unknown: HashSet<String>,
}

#[derive(Default, Debug)]
struct Counts {
    rounds: usize,
    acked_pushes: usize,
    acked_renames: usize,
    acked_creates: usize,
    unknown: usize,
    answered_5xx: usize,
    unknown_applied: usize,
    versions_read_back: usize,
}

fn get(app: &TestApp, token: &str, path: &str) -> Value {
    let r = app.get(path).bearer(token).send();
    assert_eq!(r.status, 200, "GET {path}: {}", r.text());
    r.json()
}

fn all_profiles(app: &TestApp, token: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut offset = 0;
    loop {
        let page = get(
            app,
            token,
            &format!("/api/profiles?limit=100&offset={offset}"),
        );
        let profiles = page["profiles"].as_array().expect("profiles");
        for p in profiles {
            out.insert(
                p["id"].as_str().expect("id").to_owned(),
                p["name"].as_str().expect("name").to_owned(),
            );
        }
        offset += profiles.len();
        if profiles.is_empty() || offset as u64 >= page["total"].as_u64().expect("total") {
            return out;
        }
    }
}

/// `(version, hash, current)` of every kept version, newest first.
fn versions(app: &TestApp, token: &str, id: &str) -> Vec<(i64, String, bool)> {
    let body = get(app, token, &format!("/api/sync/{id}/versions?limit=100"));
    assert!(
        body["total"].as_u64().expect("total") <= KEPT as u64,
        "more than {KEPT} versions kept: {body}"
    );
    body["versions"]
        .as_array()
        .expect("versions")
        .iter()
        .map(|v| {
            (
                v["version"].as_i64().expect("version"),
                v["hash"].as_str().expect("hash").to_owned(),
                v["current"].as_bool().expect("current"),
            )
        })
        .collect()
}

/// Pulls the current session and checks it is what was pushed under its hash.
fn check_current(app: &TestApp, token: &str, id: &str, sent: &HashMap<String, (usize, Value)>) {
    let got = get(app, token, &format!("/api/sync/{id}"));
    let hash = got["hash"].as_str().expect("a current hash");
    assert_eq!(
        session_hash(&got),
        hash,
        "profile {id}: the current data does not hash to its hash"
    );
    let (_, data) = sent
        .get(hash)
        .unwrap_or_else(|| panic!("profile {id}: current hash {hash} was never pushed"));
    assert_eq!(got["cookies"], data["cookies"], "profile {id}: cookies");
    assert_eq!(
        got["localStorage"], data["localStorage"],
        "profile {id}: localStorage"
    );
}

fn check_round(
    app: &TestApp,
    token: &str,
    ids: &[String],
    recs: &[Rec],
    killed: Instant,
    exp: &mut Expected,
    counts: &mut Counts,
) {
    // Profiles: acknowledged creates exist, unknown ones may; nothing else appears.
    let now = all_profiles(app, token);
    let mut unknown_creates: HashSet<&str> = HashSet::new();
    for r in recs {
        if let Write::Create { name } = &r.write {
            match &r.outcome {
                Outcome::Acked(body) => {
                    let id = body["id"].as_str().expect("created id").to_owned();
                    assert_eq!(body["name"], name.as_str());
                    exp.names.insert(id, name.clone());
                }
                Outcome::Unknown { .. } => {
                    unknown_creates.insert(name);
                }
            }
        }
    }
    for (id, name) in &now {
        if !exp.names.contains_key(id) {
            assert!(
                unknown_creates.contains(name.as_str()),
                "profile {id} {name:?} appeared, but nobody created it"
            );
            counts.unknown_applied += 1;
            exp.names.insert(id.clone(), name.clone());
        }
    }
    for (id, name) in &exp.names {
        let Some(found) = now.get(id) else {
            panic!("profile {id} {name:?} was lost");
        };
        // only the first PROFILES are renamed
        if !ids.contains(id) {
            assert_eq!(found, name, "profile {id} was renamed by nobody");
        }
    }
    // Names of the renamed profiles: a rename may be the current name unless an acknowledged
    // rename was sent after it answered (an unknown one may have landed up to the kill).
    for (p, id) in ids.iter().enumerate() {
        let renames: Vec<&Rec> = recs
            .iter()
            .filter(|r| matches!(&r.write, Write::Rename { profile, .. } if *profile == p))
            .collect();
        let answered = |r: &Rec| match r.outcome {
            Outcome::Acked(_) | Outcome::Unknown { answered: true } => r.end,
            Outcome::Unknown { answered: false } => killed,
        };
        let mut allowed: Vec<&str> = renames
            .iter()
            .filter(|r| {
                !renames.iter().any(|later| {
                    matches!(later.outcome, Outcome::Acked(_)) && later.inv > answered(r)
                })
            })
            .filter_map(|r| match &r.write {
                Write::Rename { name, .. } => Some(name.as_str()),
                _ => None,
            })
            .collect();
        if !renames
            .iter()
            .any(|r| matches!(r.outcome, Outcome::Acked(_)))
        {
            allowed.push(exp.names[id].as_str());
        }
        let name = &now[id];
        assert!(
            allowed.contains(&name.as_str()),
            "profile {id} is named {name:?}; after this round's renames it may only be one of \
             {allowed:?}"
        );
        exp.names.insert(id.clone(), name.clone());
    }
    // Sessions.
    for r in recs {
        if let (Write::Push { profile, hash }, Outcome::Acked(body)) = (&r.write, &r.outcome) {
            assert_eq!(body["synced"], true, "{body}");
            assert_eq!(
                body["hash"].as_str(),
                Some(hash.as_str()),
                "the server hashed the session differently: {body}"
            );
            exp.acked.push((
                *profile,
                hash.clone(),
                body["version"].as_i64().expect("version"),
            ));
        }
    }
    for (p, id) in ids.iter().enumerate() {
        let kept = versions(app, token, id);
        for (seq, hash, _) in &kept {
            if !exp.acked.iter().any(|a| &a.1 == hash) {
                exp.applied_unknown.insert(hash.clone());
            }
            let (profile, _) = exp
                .sent
                .get(hash)
                .unwrap_or_else(|| panic!("profile {id}: version {seq} {hash} was never pushed"));
            assert_eq!(
                *profile, p,
                "profile {id}: version {seq} was pushed to another"
            );
        }
        let oldest = kept.iter().map(|v| v.0).min();
        let mut acked: Vec<&(usize, String, i64)> = exp.acked.iter().filter(|a| a.0 == p).collect();
        // newest first: a lost version is named before the older ones its loss lets through
        acked.sort_by_key(|a| std::cmp::Reverse(a.2));
        let newest_acked = acked.first().map(|a| a.2);
        for (_, hash, seq) in acked {
            match kept.iter().find(|v| v.0 == *seq) {
                Some((_, h, _)) => assert_eq!(h, hash, "profile {id}: version {seq}"),
                None => assert!(
                    kept.len() == KEPT && oldest.is_some_and(|o| o > *seq),
                    "profile {id}: acknowledged version {seq} ({hash}) is gone, and not pushed \
                     out by {KEPT} newer ones: {kept:?}"
                ),
            }
        }
        let current: Vec<_> = kept.iter().filter(|v| v.2).collect();
        match (current.as_slice(), newest_acked) {
            ([], None) => {}
            ([(seq, hash, _)], newest) => {
                assert!(
                    newest.is_none_or(|n| *seq >= n),
                    "profile {id}: current version {seq} is older than acknowledged {newest:?}"
                );
                check_current(app, token, id, &exp.sent);
                let got = get(app, token, &format!("/api/sync/{id}"));
                assert_eq!(got["hash"], hash.as_str());
                assert_eq!(got["version"], *seq);
            }
            (c, n) => panic!("profile {id}: current versions {c:?} with acknowledged {n:?}"),
        }
    }
}

/// `PRAGMA integrity_check` of one SQLite file (with its WAL, if any).
fn integrity(db: &Path) -> String {
    let conn =
        rusqlite::Connection::open(db).unwrap_or_else(|e| panic!("opening {}: {e}", db.display()));
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .and_then(|mut s| {
            s.query_map([], |r| r.get::<_, String>(0))?
                .collect::<Result<Vec<_>, _>>()
        })
        .unwrap_or_else(|e| panic!("integrity_check of {}: {e}", db.display()));
    rows.join("\n")
}

const DATABASES: [&str; 2] = ["sqlite_db.db", "sqlite_key_value.db"];

/// Copies the state's databases as the kill left them (main file and WAL, not the shared-memory
/// index, which SQLite rebuilds) and checks the copies, leaving the originals for the runner.
fn check_integrity_of_copies(state: &Path) {
    let copy = tempfile::tempdir().expect("tempdir");
    for db in DATABASES {
        for suffix in ["", "-wal"] {
            let from = state.join(format!("{db}{suffix}"));
            if from.exists() {
                std::fs::copy(&from, copy.path().join(format!("{db}{suffix}")))
                    .unwrap_or_else(|e| panic!("copying {}: {e}", from.display()));
            }
        }
        assert_eq!(integrity(&copy.path().join(db)), "ok", "{db} after a kill");
    }
}

#[test]
fn acknowledged_writes_survive_sigkill_round_after_round() {
    let started = Instant::now();
    let seed = chaos::seed("crash_durability");
    let mut rng = Rng::new(seed);
    let rounds = if chaos::long_mode() {
        ROUNDS * 5
    } else {
        ROUNDS
    };
    let state = tempfile::tempdir().expect("state dir");
    let mut app = spawn_app_with(options(state.path()));
    let token = desktop::user(&app, "ann@example.com");
    let ids: Vec<String> = (0..PROFILES)
        .map(|i| desktop::profile_id(&app, &token, &format!("Profile {i}")))
        .collect();
    let mut exp = Expected::default();
    for (i, id) in ids.iter().enumerate() {
        exp.names.insert(id.clone(), format!("Profile {i}"));
    }
    let mut counts = Counts::default();
    for round in 0..rounds {
        let ctx = Arc::new(Ctx {
            base: app.base_url.clone(),
            token: token.clone(),
            profiles: ids.clone(),
        });
        let handles: Vec<_> = (0..WRITERS)
            .map(|w| {
                let (ctx, rng) = (ctx.clone(), rng.fork());
                std::thread::spawn(move || writer(w, round, rng, ctx))
            })
            .collect();
        // the kill comes at a random moment of the writes: the pause is the workload
        std::thread::sleep(rng.millis(40, 700));
        app.kill();
        let killed = Instant::now();
        let mut recs = Vec::new();
        for h in handles {
            let (r, sent) = h.join().expect("writer");
            recs.extend(r);
            for (hash, profile, data) in sent {
                exp.sent.insert(hash, (profile, data));
            }
        }
        check_integrity_of_copies(state.path());
        app.restart().expect("the runner starts again after a kill");
        for r in &recs {
            match (&r.write, &r.outcome) {
                (_, Outcome::Unknown { answered }) => {
                    counts.unknown += 1;
                    counts.answered_5xx += usize::from(*answered);
                }
                (Write::Push { .. }, Outcome::Acked(_)) => counts.acked_pushes += 1,
                (Write::Rename { .. }, Outcome::Acked(_)) => counts.acked_renames += 1,
                (Write::Create { .. }, Outcome::Acked(_)) => counts.acked_creates += 1,
            }
        }
        check_round(&app, &token, &ids, &recs, killed, &mut exp, &mut counts);
        counts.rounds += 1;
    }

    // Every kept version reads back as pushed: restored oldest first (a restore adds a
    // version and prunes the oldest, which has been read by then), then pulled.
    for id in &ids {
        let mut kept = versions(&app, &token, id);
        kept.reverse();
        for (seq, hash, _) in kept {
            let r = app
                .post(&format!("/api/sync/{id}/restore"))
                .bearer(&token)
                .json(&json!({ "hash": hash }));
            assert_eq!(r.status, 200, "restoring version {seq}: {}", r.text());
            check_current(&app, &token, id, &exp.sent);
            assert_eq!(
                get(&app, &token, &format!("/api/sync/{id}"))["hash"],
                hash.as_str()
            );
            counts.versions_read_back += 1;
        }
    }
    app.kill();
    for db in DATABASES {
        assert_eq!(
            integrity(&state.path().join(db)),
            "ok",
            "{db} after the last kill"
        );
    }
    eprintln!(
        "crash_durability: {} rounds, {} kills survived: {} pushes, {} renames, {} creates \
         acknowledged and found; {} writes unknown ({} answered 5xx; {} pushes and {} creates of them \
         found applied), {} kept versions read back; {:.1}s",
        counts.rounds,
        counts.rounds + 1,
        counts.acked_pushes,
        counts.acked_renames,
        counts.acked_creates,
        counts.unknown,
        counts.answered_5xx,
        exp.applied_unknown.len(),
        counts.unknown_applied,
        counts.versions_read_back,
        started.elapsed().as_secs_f64()
    );
    assert!(counts.acked_pushes > 0 && counts.acked_renames > 0 && counts.acked_creates > 0);
    assert!(counts.unknown > 0, "no write was ever cut by a kill");
}
