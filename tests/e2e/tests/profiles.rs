//! Profiles, groups, tags, proxies, templates and fingerprint validation
//! over real HTTP: every route's success path, bad input, and another
//! team's ids answering 404.

mod desktop;

use desktop::*;
use e2e::{json, spawn_app};
use serde_json::Value;

/// The names of a listed page as the server should order them: by `key`,
/// ties broken by id in the same direction.
fn names_sorted_by(list: &Value, key: &str, descending: bool) -> Vec<String> {
    let mut rows: Vec<(i64, String, String)> = list["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| {
            (
                p[key].as_i64().expect("timestamp"),
                p["id"].as_str().expect("id").to_owned(),
                p["name"].as_str().expect("name").to_owned(),
            )
        })
        .collect();
    rows.sort();
    if descending {
        rows.reverse();
    }
    rows.into_iter().map(|(_, _, name)| name).collect()
}

fn names(list: &Value) -> Vec<String> {
    list["profiles"]
        .as_array()
        .expect("profiles")
        .iter()
        .map(|p| p["name"].as_str().expect("name").to_owned())
        .collect()
}

#[test]
fn create_generates_a_deterministic_fingerprint_from_template_and_seed() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let a = profile(
        &app,
        &t,
        json!({ "name": "A", "templateId": "macos-safari", "fingerprintSeed": "s-1" }),
    );
    let b = profile(
        &app,
        &t,
        json!({ "name": "B", "templateId": "macos-safari", "fingerprintSeed": "s-1" }),
    );
    assert_eq!(a["fingerprint"], b["fingerprint"]);
    assert_eq!(a["fingerprintSeed"], "s-1");
    assert_eq!(a["fingerprint"]["platform"], "MacIntel");
    assert_eq!(a["fingerprint"]["vendor"], "Apple Computer, Inc.");
    assert!(a["fingerprint"]["deviceMemory"].is_null());
    let c = profile(
        &app,
        &t,
        json!({ "name": "C", "templateId": "macos-safari" }),
    );
    assert!(c["fingerprintSeed"].as_str().is_some_and(|s| s.len() == 16));
    // the generated fingerprint validates clean
    let r = app
        .post("/api/fingerprints/validate")
        .bearer(&t)
        .json(&json!({ "fingerprint": a["fingerprint"] }));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(
        r.json(),
        json!({ "valid": true, "errors": [], "warnings": [] })
    );
}

#[test]
fn create_takes_every_seed_field_and_get_returns_it() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let group = app
        .post("/api/groups")
        .bearer(&t)
        .json(&json!({ "name": "Ads", "color": "#FF0000" }))
        .json();
    let p = profile(
        &app,
        &t,
        json!({
            "name": "  Shop 1 ", "templateId": "windows-chrome", "groupId": group["id"],
            "tags": ["ads", "ADS", "fb"], "timezone": "Europe/Berlin", "language": "de-DE",
            "proxy": "socks5://user:secret@gw.example.net:1080", "notes": "first\nsecond",
        }),
    );
    assert_eq!(p["name"], "Shop 1");
    assert_eq!(p["groupId"], group["id"]);
    assert_eq!(p["tags"], json!(["ads", "fb"]));
    assert_eq!(p["timezone"], "Europe/Berlin");
    assert_eq!(p["fingerprint"]["language"], "de-DE");
    assert_eq!(p["fingerprint"]["languages"], json!(["de-DE", "de"]));
    assert_eq!(p["notes"], "first\nsecond");
    assert_eq!(
        p["proxy"],
        json!({ "scheme": "socks5", "host": "gw.example.net", "port": 1080, "hasCredentials": true })
    );
    assert_eq!(p["launchCount"], 0);
    assert!(p["lock"].is_null());
    let id = p["id"].as_str().expect("id");
    let got = app.get(&format!("/api/profiles/{id}")).bearer(&t).send();
    assert_eq!(got.status, 200);
    assert_eq!(got.json(), p);
    assert!(
        !got.text().contains("secret"),
        "credentials never appear in get"
    );
    // only the launch response carries them
    let launched = launch(&app, &t, id, "c1").json();
    assert_eq!(launched["proxy"]["username"], "user");
    assert_eq!(launched["proxy"]["password"], "secret");
    assert_eq!(
        launched["proxy"]["url"],
        "socks5://user:secret@gw.example.net:1080"
    );
}

#[test]
fn create_names_every_bad_field() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let r = app.post("/api/profiles").bearer(&t).json(&json!({
        "name": "", "templateId": "amiga-netscape", "tags": [""], "timezone": "Mars/Base",
        "language": "english", "proxy": "ftp://x:1", "notes": "x".repeat(1001),
        "groupId": "0123456789abcdef0123456789abcdef",
    }));
    assert_error(&r, 422, "validation_failed");
    let f = fields(&r);
    for name in [
        "name",
        "notes",
        "tags[0]",
        "templateId",
        "proxy",
        "timezone",
        "language",
    ] {
        assert!(f.contains(&name.to_string()), "{name} in {f:?}");
    }
    assert!(
        r.json()["message"]
            .as_str()
            .expect("message")
            .contains("amiga-netscape")
    );
    // unknown (or another team's) group and proxy: 422 naming them
    let r = app.post("/api/profiles").bearer(&t).json(&json!({
        "name": "x", "templateId": "windows-chrome",
        "groupId": "0123456789abcdef0123456789abcdef", "proxyId": "fedcba9876543210fedcba9876543210",
    }));
    assert_error(&r, 422, "validation_failed");
    assert_eq!(fields(&r), vec!["groupId", "proxyId"]);
    // wrong types, missing fields, not JSON
    assert_error(
        &app.post("/api/profiles")
            .bearer(&t)
            .json(&json!({ "name": "x" })),
        422,
        "validation_failed",
    );
    assert_error(
        &app.post("/api/profiles")
            .bearer(&t)
            .json(&json!({ "name": 5, "templateId": "x" })),
        422,
        "validation_failed",
    );
    let r = app
        .post("/api/profiles")
        .bearer(&t)
        .header("Content-Type", "application/json")
        .send_bytes(b"{oops");
    assert_error(&r, 400, "malformed_json");
    assert_error(
        &app.post("/api/profiles").json(&json!({})),
        401,
        "missing_credentials",
    );
}

#[test]
fn update_changes_only_what_is_sent_and_null_clears() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let group = app
        .post("/api/groups")
        .bearer(&t)
        .json(&json!({ "name": "G" }))
        .json();
    let proxy = app
        .post("/api/proxies")
        .bearer(&t)
        .json(&json!({ "name": "P", "url": "http://1.2.3.4:8080" }))
        .json();
    let p = profile(
        &app,
        &t,
        json!({ "name": "A", "templateId": "linux-firefox", "groupId": group["id"], "tags": ["x"] }),
    );
    let id = p["id"].as_str().expect("id");
    let r = app
        .put(&format!("/api/profiles/{id}"))
        .bearer(&t)
        .json(&json!({
            "name": "B", "proxyId": proxy["id"], "timezone": "Asia/Tokyo", "language": "ja-JP",
        }));
    assert_eq!(r.status, 200, "{}", r.text());
    let u = r.json();
    assert_eq!(u["name"], "B");
    assert_eq!(u["groupId"], group["id"]);
    assert_eq!(u["tags"], json!(["x"]));
    assert_eq!(u["proxyId"], proxy["id"]);
    assert_eq!(u["timezone"], "Asia/Tokyo");
    assert_eq!(
        u["fingerprint"]["userAgent"], p["fingerprint"]["userAgent"],
        "the fingerprint stays"
    );
    assert!(u["updatedAt"].as_i64() > p["updatedAt"].as_i64());
    let u = app
        .put(&format!("/api/profiles/{id}"))
        .bearer(&t)
        .json(&json!({ "groupId": null, "proxyId": null, "tags": [] }))
        .json();
    assert!(u["groupId"].is_null() && u["proxyId"].is_null());
    assert_eq!(u["tags"], json!([]));
    let r = app
        .put(&format!("/api/profiles/{id}"))
        .bearer(&t)
        .json(&json!({ "name": null, "timezone": "Nowhere" }));
    assert_error(&r, 422, "validation_failed");
    assert_eq!(fields(&r), vec!["name", "timezone"]);
    let r = app
        .put(&format!("/api/profiles/{id}"))
        .bearer(&t)
        .json(&json!({ "tags": "x" }));
    assert_eq!(fields(&r), vec!["tags"]);
}

#[test]
fn another_teams_profiles_groups_and_proxies_are_404() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let p = profile_id(&app, &ann, "Ann's");
    let g = app
        .post("/api/groups")
        .bearer(&ann)
        .json(&json!({ "name": "G" }))
        .json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    let x = app
        .post("/api/proxies")
        .bearer(&ann)
        .json(&json!({ "name": "X", "url": "http://h.example:1" }))
        .json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    for (path, code) in [
        (format!("/api/profiles/{p}"), "profile_not_found"),
        (format!("/api/groups/{g}"), "group_not_found"),
        (format!("/api/proxies/{x}"), "proxy_not_found"),
    ] {
        assert_error(&app.get(&path).bearer(&bob).send(), 404, code);
        assert_error(
            &app.put(&path).bearer(&bob).json(&json!({ "name": "mine" })),
            404,
            code,
        );
        assert_error(&app.delete(&path).bearer(&bob).send(), 404, code);
        assert_eq!(app.get(&path).bearer(&ann).send().status, 200, "{path}");
    }
    assert_eq!(
        app.get("/api/profiles").bearer(&bob).send().json()["total"],
        0
    );
    // Bob cannot point his profile at Ann's group or proxy
    let r = app
        .post("/api/profiles")
        .bearer(&bob)
        .json(&json!({ "name": "b", "templateId": "windows-edge", "groupId": g, "proxyId": x }));
    assert_eq!(fields(&r), vec!["groupId", "proxyId"]);
}

#[test]
fn the_list_filters_searches_orders_and_pages() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let g = app
        .post("/api/groups")
        .bearer(&t)
        .json(&json!({ "name": "G" }))
        .json()["id"]
        .as_str()
        .expect("id")
        .to_owned();
    profile(
        &app,
        &t,
        json!({ "name": "alpha 100%", "templateId": "windows-chrome", "tags": ["fb"], "groupId": g }),
    );
    profile(
        &app,
        &t,
        json!({ "name": "beta_1", "templateId": "windows-chrome", "tags": ["50%_off"] }),
    );
    profile(
        &app,
        &t,
        json!({ "name": "gamma", "templateId": "windows-chrome", "tags": ["fb", "x"] }),
    );
    profile(
        &app,
        &t,
        json!({ "name": "betaX1", "templateId": "windows-chrome" }),
    );
    let list = |q: &str| {
        let r = app.get(&format!("/api/profiles{q}")).bearer(&t).send();
        assert_eq!(r.status, 200, "{q}: {}", r.text());
        r.json()
    };
    let all = list("");
    assert_eq!(all["total"], 4);
    // Profiles made in the same millisecond tie on the timestamp; the id
    // breaks ties in the same direction (the cursor relies on it).
    assert_eq!(
        names(&all),
        names_sorted_by(&all, "lastActive", true),
        "default: last_active desc"
    );
    assert_eq!(
        names(&list("?orderBy=name&order=asc")),
        vec!["alpha 100%", "beta_1", "betaX1", "gamma"]
    );
    let by_created = list("?orderBy=created_at&order=asc");
    assert_eq!(
        names(&by_created),
        names_sorted_by(&by_created, "createdAt", false)
    );
    assert_eq!(
        names(&list("?orderBy=created_at&order=asc&limit=2&offset=1")),
        names(&by_created)[1..3]
    );
    assert_eq!(
        list("?orderBy=created_at&order=asc&limit=2&offset=1")["total"],
        4
    );
    assert_eq!(names(&list("?groupId=")), names(&all));
    assert_eq!(names(&list(&format!("?groupId={g}"))), vec!["alpha 100%"]);
    // search matches names and tags; % and _ match literally
    assert_eq!(names(&list("?search=100%25")), vec!["alpha 100%"]);
    assert_eq!(names(&list("?search=beta_")), vec!["beta_1"]);
    assert_eq!(names(&list("?search=%25_off")), vec!["beta_1"]);
    assert_eq!(
        names(&list("?search=FB&orderBy=name&order=asc")),
        vec!["alpha 100%", "gamma"]
    );
    assert_eq!(list("?search=%25")["total"], 2);
    assert_eq!(names(&list("?tag=x")), vec!["gamma"]);
    // bad parameters are 400 naming them
    for q in [
        "?limit=0",
        "?limit=101",
        "?limit=x",
        "?offset=-1",
        "?orderBy=price",
        "?order=up",
        "?cursor=zzz",
        "?updated_since=yesterday",
        "?groupId=nope",
    ] {
        assert_error(
            &app.get(&format!("/api/profiles{q}")).bearer(&t).send(),
            400,
            "invalid_input",
        );
    }
}

#[test]
fn the_cursor_walks_every_profile_once_and_updated_since_reports_deletions() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(profile_id(&app, &t, &format!("p{i}")));
    }
    let mut seen = Vec::new();
    let mut url = "/api/profiles?orderBy=name&order=asc&limit=3".to_string();
    loop {
        let page = app.get(&url).bearer(&t).send().json();
        assert_eq!(page["total"], 7);
        seen.extend(names(&page));
        match page["nextCursor"].as_str() {
            Some(c) => url = format!("/api/profiles?limit=3&cursor={c}"),
            None => break,
        }
    }
    assert_eq!(seen, (0..7).map(|i| format!("p{i}")).collect::<Vec<_>>());
    // a desktop cache: everything changed since a moment, and what was deleted
    let since = app
        .get(&format!("/api/profiles/{}", ids[0]))
        .bearer(&t)
        .send()
        .json()["createdAt"]
        .as_i64()
        .expect("t");
    app.wait_server_ms(1);
    let mark = since;
    app.put(&format!("/api/profiles/{}", ids[1]))
        .bearer(&t)
        .json(&json!({ "notes": "changed" }));
    app.delete(&format!("/api/profiles/{}", ids[2]))
        .bearer(&t)
        .send();
    let changed_after = app
        .get(&format!("/api/profiles/{}", ids[1]))
        .bearer(&t)
        .send()
        .json()["updatedAt"]
        .as_i64()
        .expect("t");
    let page = app
        .get(&format!("/api/profiles?updated_since={changed_after}"))
        .bearer(&t)
        .send()
        .json();
    assert_eq!(names(&page), vec!["p1"]);
    assert_eq!(page["deleted"], json!([ids[2]]));
    let page = app
        .get(&format!("/api/profiles?updated_since={mark}"))
        .bearer(&t)
        .send()
        .json();
    assert_eq!(page["total"], 6);
    // a cursor with another order is refused
    let c = app
        .get("/api/profiles?orderBy=name&limit=1")
        .bearer(&t)
        .send()
        .json()["nextCursor"]
        .as_str()
        .expect("cursor")
        .to_owned();
    assert_error(
        &app.get(&format!("/api/profiles?cursor={c}&orderBy=created_at"))
            .bearer(&t)
            .send(),
        400,
        "invalid_input",
    );
}

#[test]
fn delete_removes_the_profile() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let id = profile_id(&app, &t, "Doomed");
    let r = app.delete(&format!("/api/profiles/{id}")).bearer(&t).send();
    assert_eq!(r.status, 200);
    assert_eq!(r.json(), json!({ "success": true, "id": id }));
    assert_error(
        &app.get(&format!("/api/profiles/{id}")).bearer(&t).send(),
        404,
        "profile_not_found",
    );
    assert_error(
        &app.delete(&format!("/api/profiles/{id}")).bearer(&t).send(),
        404,
        "profile_not_found",
    );
    assert_error(
        &app.get("/api/profiles/not-an-id").bearer(&t).send(),
        404,
        "profile_not_found",
    );
}

#[test]
fn groups_crud_counts_profiles_and_ungroups_on_delete() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let r = app
        .post("/api/groups")
        .bearer(&t)
        .json(&json!({ "name": "Ads", "color": "#1E90FF" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let g = r.json();
    assert_eq!(g["color"], "#1e90ff");
    let gid = g["id"].as_str().expect("id");
    assert_error(
        &app.post("/api/groups")
            .bearer(&t)
            .json(&json!({ "name": "ads" })),
        409,
        "group_name_taken",
    );
    let r = app
        .post("/api/groups")
        .bearer(&t)
        .json(&json!({ "name": "", "color": "blue" }));
    assert_eq!(fields(&r), vec!["name", "color"]);
    let p = profile(
        &app,
        &t,
        json!({ "name": "p", "templateId": "windows-chrome", "groupId": gid }),
    );
    let got = app
        .get(&format!("/api/groups/{gid}"))
        .bearer(&t)
        .send()
        .json();
    assert_eq!(got["profileCount"], 1);
    let u = app
        .put(&format!("/api/groups/{gid}"))
        .bearer(&t)
        .json(&json!({ "name": "Social", "color": null }))
        .json();
    assert_eq!(u["name"], "Social");
    assert!(u["color"].is_null());
    let list = app.get("/api/groups?limit=10").bearer(&t).send().json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["groups"][0]["name"], "Social");
    let r = app.delete(&format!("/api/groups/{gid}")).bearer(&t).send();
    assert_eq!(r.json()["ungroupedProfiles"], 1);
    let p = app
        .get(&format!("/api/profiles/{}", p["id"].as_str().expect("id")))
        .bearer(&t)
        .send()
        .json();
    assert!(p["groupId"].is_null());
    assert_error(
        &app.get(&format!("/api/groups/{gid}")).bearer(&t).send(),
        404,
        "group_not_found",
    );
}

#[test]
fn tags_are_listed_with_counts() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    profile(
        &app,
        &t,
        json!({ "name": "a", "templateId": "windows-chrome", "tags": ["fb", "ads"] }),
    );
    profile(
        &app,
        &t,
        json!({ "name": "b", "templateId": "windows-chrome", "tags": ["fb"] }),
    );
    let r = app.get("/api/tags").bearer(&t).send();
    assert_eq!(r.status, 200);
    assert_eq!(
        r.json()["tags"],
        json!([{ "name": "fb", "count": 2 }, { "name": "ads", "count": 1 }])
    );
    assert_eq!(r.json()["total"], 2);
    assert_error(
        &app.get("/api/tags?limit=500").bearer(&t).send(),
        400,
        "invalid_input",
    );
}

#[test]
fn proxies_crud_never_shows_credentials() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let r = app
        .post("/api/proxies")
        .bearer(&t)
        .json(&json!({ "name": "Res 1", "url": "socks5://bob:hunter2@Proxy.Example.com:1080" }));
    assert_eq!(r.status, 201, "{}", r.text());
    let x = r.json();
    assert_eq!(x["scheme"], "socks5");
    assert_eq!(x["host"], "proxy.example.com");
    assert_eq!(x["port"], 1080);
    assert_eq!(x["hasCredentials"], true);
    assert_eq!(x["url"], "socks5://proxy.example.com:1080");
    let id = x["id"].as_str().expect("id");
    let r = app.post("/api/proxies").bearer(&t).json(&json!({ "name": "Parts", "scheme": "http", "host": "10.0.0.1", "port": 3128, "username": "u", "password": "pw-xyz" }));
    assert_eq!(r.status, 201, "{}", r.text());
    for r in [
        app.get("/api/proxies").bearer(&t).send(),
        app.get(&format!("/api/proxies/{id}")).bearer(&t).send(),
    ] {
        assert_eq!(r.status, 200);
        assert!(
            !r.text().contains("hunter2")
                && !r.text().contains("bob")
                && !r.text().contains("pw-xyz"),
            "{}",
            r.text()
        );
    }
    assert_eq!(
        app.get("/api/proxies?limit=1").bearer(&t).send().json()["total"],
        2
    );
    for (body, field) in [
        (json!({ "name": "x", "url": "ftp://h:1" }), "url"),
        (
            json!({ "name": "x", "url": "http://h.example:70000" }),
            "url",
        ),
        (
            json!({ "name": "x", "url": "socks4://u:p@h.example:1080" }),
            "url",
        ),
        (
            json!({ "name": "x", "scheme": "http", "host": "bad host", "port": 80 }),
            "proxy",
        ),
        (json!({ "name": "x" }), "url"),
        (json!({ "url": "http://h.example:80" }), "name"),
    ] {
        let r = app.post("/api/proxies").bearer(&t).json(&body);
        assert_error(&r, 422, "validation_failed");
        assert!(
            fields(&r).contains(&field.to_string()),
            "{body} -> {:?}",
            fields(&r)
        );
    }
    // a profile using it: the launch carries the credentials; delete is refused
    let p = profile(
        &app,
        &t,
        json!({ "name": "p", "templateId": "windows-chrome", "proxyId": id }),
    );
    let launched = launch(&app, &t, p["id"].as_str().expect("id"), "c").json();
    assert_eq!(launched["proxy"]["password"], "hunter2");
    assert_error(
        &app.delete(&format!("/api/proxies/{id}")).bearer(&t).send(),
        409,
        "proxy_in_use",
    );
    let u = app
        .put(&format!("/api/proxies/{id}"))
        .bearer(&t)
        .json(&json!({ "name": "Renamed", "url": "http://1.1.1.1:80" }))
        .json();
    assert_eq!(u["name"], "Renamed");
    assert_eq!(u["hasCredentials"], false);
}

#[test]
fn templates_are_listed_and_fetched() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let r = app.get("/api/templates").bearer(&t).send();
    assert_eq!(r.status, 200);
    let list = r.json();
    assert!(list["total"].as_u64() >= Some(8));
    assert!(
        list["templates"]
            .as_array()
            .expect("list")
            .iter()
            .any(|x| x["device"] == "mobile")
    );
    let r = app.get("/api/templates/linux-chrome").bearer(&t).send();
    assert_eq!(r.status, 200);
    assert_eq!(r.json()["platform"], "Linux x86_64");
    assert!(r.json()["locales"].is_array());
    assert_error(
        &app.get("/api/templates/amiga").bearer(&t).send(),
        404,
        "template_not_found",
    );
    assert_error(
        &app.get("/api/templates").send(),
        401,
        "missing_credentials",
    );
}

#[test]
fn validate_reports_every_kind_of_inconsistency() {
    let app = spawn_app();
    let t = user(&app, "ann@example.com");
    let p = profile(
        &app,
        &t,
        json!({ "name": "p", "templateId": "windows-chrome" }),
    );
    let mut fp = p["fingerprint"].clone();
    fp["platform"] = json!("MacIntel");
    fp["vendor"] = json!("Apple Computer, Inc.");
    fp["webgl"] = json!({ "vendor": "Apple Inc.", "renderer": "Apple GPU" });
    fp["fonts"] = json!(["Helvetica Neue", "Arial"]);
    fp["screen"] = json!({ "width": 390, "height": 844 });
    fp["language"] = json!("en-US");
    fp["languages"] = json!(["en-US", "en"]);
    fp["timezone"] = json!("Europe/Paris");
    let r = app.post("/api/fingerprints/validate").bearer(&t).json(&fp);
    assert_eq!(r.status, 200, "{}", r.text());
    let report = r.json();
    assert_eq!(report["valid"], false);
    let codes: Vec<&str> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|e| e["code"].as_str().expect("code"))
        .collect();
    for code in [
        "ua_platform",
        "ua_vendor",
        "webgl_os",
        "fonts_os",
        "screen_device",
    ] {
        assert!(codes.contains(&code), "{code} in {codes:?}");
    }
    assert_eq!(report["warnings"][0]["code"], "language_timezone");
    let r = app
        .post("/api/fingerprints/validate")
        .bearer(&t)
        .json(&json!({ "userAgent": "x" }));
    assert_error(&r, 422, "validation_failed");
}
