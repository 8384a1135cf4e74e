//! `/api/v1/captures` over real HTTP, the images in the real blob store
//! (the `blobs` dependency, embedded in SQLite by default): seed 001's
//! data-URL upload and the raw-image upload, images served back byte for
//! byte with their type and a 304 on `If-None-Match`, every bad input with
//! the status that says why, limits from Spin variables, isolation between
//! users on every route, and images removed with their capture or project.

mod extension_api;

use e2e::{AppOptions, Resp, TestApp, json, spawn_app, spawn_app_with};
use extension_api::{
    UNKNOWN_ID, User, assert_error, assert_invalid, capture, data, data_url, image, project, user,
};
use serde_json::Value;

const TYPES: [(&str, &str); 3] = [
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/webp", "webp"),
];

fn id(v: &Value) -> String {
    v["id"].as_str().expect("id").to_owned()
}

fn user_id(app: &TestApp, u: &User) -> String {
    let info = data(&app.get("/api/v1/info").api_key(&u.key).send(), 200);
    info["user"]["id"].as_str().expect("user id").to_owned()
}

/// Percent-encodes a query parameter value.
fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn upload_json(app: &TestApp, key: &str, body: &Value) -> Resp {
    app.post("/api/v1/captures/upload").api_key(key).json(body)
}

fn upload_raw(app: &TestApp, key: &str, query: &str, content_type: &str, bytes: &[u8]) -> Resp {
    app.post(&format!("/api/v1/captures/upload?{query}"))
        .api_key(key)
        .header("Content-Type", content_type)
        .send_bytes(bytes)
}

fn get_image(app: &TestApp, key: &str, capture_id: &str) -> Resp {
    app.get(&format!("/api/v1/captures/{capture_id}/image"))
        .api_key(key)
        .send()
}

/// Asserts the image route serves exactly `bytes` as `mime`, with the
/// capture's ETag and a private cache lifetime.
fn assert_serves(app: &TestApp, key: &str, capture: &Value, mime: &str, bytes: &[u8]) {
    let r = get_image(app, key, &id(capture));
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.header("content-type"), Some(mime));
    assert!(
        r.body == bytes,
        "the image comes back byte for byte ({mime})"
    );
    assert_eq!(r.header("etag"), capture["etag"].as_str());
    let cache = r.header("cache-control").expect("cache-control");
    assert!(cache.starts_with("private, max-age="), "{cache}");
}

/// Rows of the embedded blob store (migrations/0005) and of the queue of
/// images still to remove (migrations/0007) for `key`.
fn stored(app: &TestApp, key: &str) -> (i64, i64) {
    let db = rusqlite::Connection::open(app.state_dir.join("sqlite_db.db")).expect("database");
    db.busy_timeout(std::time::Duration::from_secs(5))
        .expect("timeout");
    let count = |sql: &str| -> i64 {
        db.query_row(sql, [key], |row| row.get(0))
            .expect("count query")
    };
    (
        count("SELECT COUNT(*) FROM blobs WHERE key = ?1"),
        count("SELECT COUNT(*) FROM capture_blob_deletions WHERE blob_key = ?1"),
    )
}

#[test]
fn a_data_url_capture_is_uploaded_listed_read_and_served_in_seed_shapes() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let ann_id = user_id(&app, &ann);
    let p = id(&project(&app, &ann.key, "example.com"));
    let png = image("image/png", 5000, 1);
    let dom = json!({ "tag": "html", "children": [{ "tag": "body", "text": "Login ✓" }] });

    let r = upload_json(
        &app,
        &ann.key,
        &json!({
            "projectId": p,
            "imageData": data_url("image/png", &png),
            "url": "https://example.com/login",
            "title": "Login Page",
            "notes": "Test login screen\nsecond line",
            "domSnapshot": dom,
            "viewport": { "width": 1280, "height": 720, "devicePixelRatio": 2 },
            "metadata": { "browser": "Chrome 131", "zoom": 1 },
        }),
    );
    assert_eq!(r.json()["message"], "Capture uploaded successfully");
    let c = data(&r, 201)["capture"].clone();
    let cid = id(&c);
    assert_eq!(cid.len(), 32);
    assert_eq!(c["project_id"], p.as_str());
    let key = c["image_r2_key"].as_str().expect("image_r2_key");
    let prefix = format!("captures/{ann_id}/{cid}-");
    let stamp = key
        .strip_prefix(&prefix)
        .and_then(|rest| rest.strip_suffix(".png"))
        .unwrap_or_else(|| panic!("key {key} is not {prefix}<timestamp>.png"));
    assert!(
        stamp.parse::<i64>().expect("timestamp") / 1000 == c["captured_at"].as_i64().expect("s"),
        "the key's millisecond timestamp is the capture time: {key} {c}"
    );
    assert_eq!(c["image_url"], format!("/api/v1/captures/{cid}/image"));
    assert_eq!(c["content_type"], "image/png");
    assert_eq!(c["size"], png.len());
    assert_eq!(c["url"], "https://example.com/login");
    assert_eq!(c["title"], "Login Page");
    assert_eq!(c["notes"], "Test login screen\nsecond line");
    assert_eq!(
        c["viewport"],
        json!({ "width": 1280, "height": 720, "devicePixelRatio": 2 })
    );
    assert_eq!(c["metadata"], json!({ "browser": "Chrome 131", "zoom": 1 }));
    assert_eq!(c["has_dom_snapshot"], true);
    assert!(
        c.get("dom_snapshot").is_none(),
        "the upload does not echo the snapshot: {c}"
    );
    let captured = c["captured_at"].as_i64().expect("captured_at");
    assert!(
        (1_700_000_000..10_000_000_000).contains(&captured),
        "unix seconds: {captured}"
    );
    assert_eq!(stored(&app, key), (1, 0), "the image is in the blob store");

    let got = data(
        &app.get(&format!("/api/v1/captures/{cid}"))
            .api_key(&ann.key)
            .send(),
        200,
    )["capture"]
        .clone();
    assert_eq!(got["dom_snapshot"], dom, "GET /:id returns the snapshot");
    let mut without_dom = got.clone();
    without_dom
        .as_object_mut()
        .expect("object")
        .remove("dom_snapshot");
    assert_eq!(without_dom, c, "GET /:id shows what the upload showed");

    for path in [
        "/api/v1/captures".to_owned(),
        format!("/api/v1/captures?projectId={p}"),
    ] {
        let list = data(&app.get(&path).api_key(&ann.key).send(), 200);
        assert_eq!(list["captures"], json!([c]), "{path}: no snapshot in lists");
        assert_eq!(
            list["pagination"],
            json!({ "limit": 50, "offset": 0, "total": 1 })
        );
    }

    assert_serves(&app, &ann.key, &c, "image/png", &png);
    // A session token works like the extension key.
    let r = app
        .get(&format!("/api/v1/captures/{cid}/image"))
        .bearer(&ann.token)
        .send();
    assert!(r.status == 200 && r.body == png, "{}", r.status);
}

#[test]
fn every_type_both_ways_comes_back_byte_identical_with_its_type() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let mut seed = 0;
    for (mime, ext) in TYPES {
        seed += 1;
        let bytes = image(mime, 3000, seed);
        let r = upload_json(
            &app,
            &ann.key,
            &json!({ "projectId": p, "imageData": data_url(mime, &bytes), "url": "https://example.com/a" }),
        );
        let c = data(&r, 201)["capture"].clone();
        assert_eq!(c["content_type"], mime);
        assert!(
            c["image_r2_key"]
                .as_str()
                .expect("key")
                .ends_with(&format!(".{ext}"))
        );
        assert_serves(&app, &ann.key, &c, mime, &bytes);

        seed += 1;
        let bytes = image(mime, 3000, seed);
        let query = format!(
            "projectId={p}&url={}&title={}&notes={}",
            enc("https://example.com/raw?x=1&y=2"),
            enc("Raw upload ✓"),
            enc("sent as the body")
        );
        let r = upload_raw(&app, &ann.key, &query, mime, &bytes);
        let c = data(&r, 201)["capture"].clone();
        assert_eq!(c["content_type"], mime);
        assert_eq!(c["url"], "https://example.com/raw?x=1&y=2");
        assert_eq!(c["title"], "Raw upload ✓");
        assert_eq!(c["notes"], "sent as the body");
        assert_eq!(c["project_id"], p.as_str());
        assert_eq!(c["has_dom_snapshot"], false);
        assert_serves(&app, &ann.key, &c, mime, &bytes);
    }
    // Without a project (seed 001's project_id is nullable); a parameter on
    // the Content-Type is fine.
    let bytes = image("image/png", 400, 99);
    let r = upload_raw(
        &app,
        &ann.key,
        "url=https%3A%2F%2Fexample.com%2F",
        "image/png; name=shot.png",
        &bytes,
    );
    let c = data(&r, 201)["capture"].clone();
    assert_eq!(c["project_id"], json!(null));
    assert_serves(&app, &ann.key, &c, "image/png", &bytes);
    let all = data(&app.get("/api/v1/captures").api_key(&ann.key).send(), 200);
    assert_eq!(all["pagination"]["total"], 7);
}

#[test]
fn if_none_match_with_the_images_etag_is_304_without_a_body() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let c = capture(&app, &ann.key, &p, 1);
    let first = get_image(&app, &ann.key, &id(&c));
    let etag = first.header("etag").expect("etag").to_owned();
    assert!(etag.starts_with('"') && etag.len() == 66, "{etag}");
    let path = format!("/api/v1/captures/{}/image", id(&c));
    for (header, want) in [
        (etag.clone(), 304),
        (format!("W/{etag}"), 304),
        (format!("\"other\", {etag}"), 304),
        ("*".to_owned(), 304),
        ("\"0000\"".to_owned(), 200),
    ] {
        let r = app
            .get(&path)
            .api_key(&ann.key)
            .header("If-None-Match", &header)
            .send();
        assert_eq!(r.status, want, "If-None-Match: {header}");
        assert_eq!(r.header("etag"), Some(etag.as_str()), "{header}");
        assert!(
            r.header("cache-control")
                .is_some_and(|c| c.starts_with("private, max-age=")),
            "{header}"
        );
        if want == 304 {
            assert!(r.body.is_empty(), "a 304 has no body");
        } else {
            assert_eq!(r.body, first.body);
        }
    }
}

#[test]
fn bad_uploads_get_the_status_that_says_why_and_store_nothing() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let png = image("image/png", 300, 1);
    let jpeg = image("image/jpeg", 300, 2);
    let base = |image_data: Value| json!({ "projectId": p, "imageData": image_data, "url": "https://example.com/" });
    let post = |body: Value| upload_json(&app, &ann.key, &body);

    // 400 naming the fields.
    assert_invalid(&post(json!({ "projectId": p })), &["url", "imageData"]);
    assert_invalid(
        &post(
            json!({ "imageData": 7, "url": "relative/page", "title": ["x"], "notes": "a\u{0}b" }),
        ),
        &["title", "url", "notes", "imageData"],
    );
    for bad in [
        "iVBORw0KGgo=",
        "https://example.com/a.png",
        "data:image/png,rawbytes",
        "data:image/png;base64,",
    ] {
        assert_invalid(&post(base(json!(bad))), &["imageData"]);
    }
    let r = post(base(json!("data:image/png;base64,iVBO!!!*Rw0KGgo=")));
    assert_invalid(&r, &["imageData"]);
    assert!(r.text().contains("base64"), "{}", r.text());
    let mut body = base(json!(data_url("image/png", &png)));
    body["viewport"] = json!({ "width": 0, "height": 720 });
    body["metadata"] = json!("not an object");
    assert_invalid(&post(body), &["viewport.width", "metadata"]);
    let r = app
        .post("/api/v1/captures/upload")
        .api_key(&ann.key)
        .header("Content-Type", "application/json")
        .send_bytes(b"{\"imageData\": ");
    assert_error(&r, 400, "malformed_json");

    // 415: a type we do not keep, or bytes of another type than declared.
    let r = post(base(json!(data_url(
        "image/gif",
        b"GIF89a\x01\x00\x01\x00"
    ))));
    assert_error(&r, 415, "unsupported_media_type");
    assert!(r.text().contains("image/gif"), "{}", r.text());
    let r = post(base(json!(data_url("image/png", &jpeg))));
    assert_error(&r, 415, "unsupported_media_type");
    let message = r.json()["message"].as_str().expect("message").to_owned();
    assert!(
        message.contains("image/png") && message.contains("JPEG"),
        "says what was declared and what the bytes are: {message}"
    );
    let r = post(base(json!(data_url(
        "image/png",
        b"<svg/> not a png at all"
    ))));
    assert_error(&r, 415, "unsupported_media_type");

    // Raw uploads.
    let q = "url=https%3A%2F%2Fexample.com%2F";
    assert_error(
        &upload_raw(&app, &ann.key, q, "image/png", &jpeg),
        415,
        "unsupported_media_type",
    );
    assert_error(
        &upload_raw(&app, &ann.key, q, "image/webp", &png),
        415,
        "unsupported_media_type",
    );
    for content_type in ["image/gif", "text/plain", "application/octet-stream"] {
        assert_error(
            &upload_raw(&app, &ann.key, q, content_type, &png),
            415,
            "unsupported_media_type",
        );
    }
    let r = app
        .post(&format!("/api/v1/captures/upload?{q}"))
        .api_key(&ann.key)
        .send_bytes(&png);
    assert_error(&r, 415, "unsupported_media_type");
    assert_error(
        &upload_raw(&app, &ann.key, q, "image/png", b""),
        400,
        "empty_body",
    );
    assert_invalid(
        &upload_raw(&app, &ann.key, "title=x", "image/png", &png),
        &["url"],
    );

    // 404: a project that is nobody's, or not a project id at all.
    for project_id in [UNKNOWN_ID, "not-a-project"] {
        let mut body = base(json!(data_url("image/png", &png)));
        body["projectId"] = json!(project_id);
        assert_error(&post(body), 404, "project_not_found");
        assert_error(
            &upload_raw(
                &app,
                &ann.key,
                &format!("{q}&projectId={project_id}"),
                "image/png",
                &png,
            ),
            404,
            "project_not_found",
        );
    }

    // Nothing of all that was stored.
    let list = data(&app.get("/api/v1/captures").api_key(&ann.key).send(), 200);
    assert_eq!(list["pagination"]["total"], 0, "{list}");
    let db = rusqlite::Connection::open(app.state_dir.join("sqlite_db.db")).expect("database");
    let blobs: i64 = db
        .query_row(
            "SELECT COUNT(*) FROM blobs WHERE key LIKE 'captures/%'",
            [],
            |r| r.get(0),
        )
        .expect("count");
    assert_eq!(blobs, 0, "no image was written for a refused upload");
}

#[test]
fn size_limits_come_from_variables_and_answer_413() {
    let app = spawn_app_with(
        AppOptions::default()
            .variable("max_capture_bytes", "4000")
            .variable("max_dom_snapshot_bytes", "600"),
    );
    let ann = user(&app, "ann@example.com");
    let url = "https://example.com/";

    let at_limit = image("image/png", 4000, 1);
    let r = upload_json(
        &app,
        &ann.key,
        &json!({ "imageData": data_url("image/png", &at_limit), "url": url }),
    );
    assert_serves(
        &app,
        &ann.key,
        &data(&r, 201)["capture"],
        "image/png",
        &at_limit,
    );

    let over = image("image/png", 4001, 2);
    let r = upload_json(
        &app,
        &ann.key,
        &json!({ "imageData": data_url("image/png", &over), "url": url }),
    );
    assert_error(&r, 413, "capture_too_large");
    assert!(r.text().contains("4000"), "names the limit: {}", r.text());
    let far_over = image("image/jpeg", 100_000, 3);
    let r = upload_json(
        &app,
        &ann.key,
        &json!({ "imageData": data_url("image/jpeg", &far_over), "url": url }),
    );
    assert_error(&r, 413, "capture_too_large");
    assert_error(
        &upload_raw(
            &app,
            &ann.key,
            "url=https%3A%2F%2Fe.com",
            "image/png",
            &over,
        ),
        413,
        "capture_too_large",
    );

    let small = data_url("image/png", &image("image/png", 300, 4));
    let r = upload_json(
        &app,
        &ann.key,
        &json!({ "imageData": small, "url": url, "domSnapshot": { "html": "x".repeat(600) } }),
    );
    assert_error(&r, 413, "dom_snapshot_too_large");
    assert!(r.text().contains("600"), "names the limit: {}", r.text());
    let r = upload_json(
        &app,
        &ann.key,
        &json!({ "imageData": small, "url": url, "domSnapshot": "<p>fits</p>" }),
    );
    let c = data(&r, 201)["capture"].clone();
    let got = data(
        &app.get(&format!("/api/v1/captures/{}", id(&c)))
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(got["capture"]["dom_snapshot"], "<p>fits</p>");

    // With these small limits, the general max_body_bytes (1 MiB) is the
    // body limit: a bigger body is refused before it is read.
    let r = upload_raw(
        &app,
        &ann.key,
        "url=https%3A%2F%2Fe.com",
        "image/png",
        &image("image/png", 1024 * 1024 + 1, 5),
    );
    assert_error(&r, 413, "payload_too_large");
    let list = data(&app.get("/api/v1/captures").api_key(&ann.key).send(), 200);
    assert_eq!(list["pagination"]["total"], 2);
}

#[test]
fn captures_take_bodies_over_the_general_limit_and_other_components_do_not() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    // 1.5 MiB: as a data URL in JSON a 2 MiB body, over max_body_bytes (1 MiB).
    let big = image("image/webp", 3 * 512 * 1024, 1);
    let r = upload_json(
        &app,
        &ann.key,
        &json!({ "imageData": data_url("image/webp", &big), "url": "https://example.com/" }),
    );
    let c = data(&r, 201)["capture"].clone();
    assert_serves(&app, &ann.key, &c, "image/webp", &big);
    let r = upload_raw(
        &app,
        &ann.key,
        "url=https%3A%2F%2Fe.com",
        "image/webp",
        &big,
    );
    assert_serves(
        &app,
        &ann.key,
        &data(&r, 201)["capture"],
        "image/webp",
        &big,
    );
    // The same body size to the projects component is still 413.
    let r = app.post("/api/v1/projects").api_key(&ann.key).json(&json!({
        "hostname": "example.com",
        "description": "x".repeat(3 * 512 * 1024),
    }));
    assert_error(&r, 413, "payload_too_large");
}

#[test]
fn another_users_captures_answer_404_on_every_route() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let bob = user(&app, "bob@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let c = capture(&app, &ann.key, &p, 1);
    let cid = id(&c);
    let png = image("image/png", 300, 2);

    for r in [
        app.get(&format!("/api/v1/captures/{cid}"))
            .api_key(&bob.key)
            .send(),
        get_image(&app, &bob.key, &cid),
        app.get(&format!("/api/v1/captures/{cid}/image"))
            .api_key(&bob.key)
            .header("If-None-Match", c["etag"].as_str().expect("etag"))
            .send(),
        app.delete(&format!("/api/v1/captures/{cid}"))
            .api_key(&bob.key)
            .send(),
    ] {
        assert_error(&r, 404, "capture_not_found");
        assert!(!r.text().contains(&p), "{}", r.text());
    }
    assert_error(
        &app.get(&format!("/api/v1/captures?projectId={p}"))
            .api_key(&bob.key)
            .send(),
        404,
        "project_not_found",
    );
    let list = data(&app.get("/api/v1/captures").api_key(&bob.key).send(), 200);
    assert_eq!(list["captures"], json!([]));
    // Bob cannot put a capture into Ann's project, either way.
    let r = upload_json(
        &app,
        &bob.key,
        &json!({ "projectId": p, "imageData": data_url("image/png", &png), "url": "https://e.com/" }),
    );
    assert_error(&r, 404, "project_not_found");
    let r = upload_raw(
        &app,
        &bob.key,
        &format!("projectId={p}&url=https%3A%2F%2Fe.com"),
        "image/png",
        &png,
    );
    assert_error(&r, 404, "project_not_found");
    // Bob's own capture is his alone, and Ann's is intact.
    let bobs = data(
        &upload_json(
            &app,
            &bob.key,
            &json!({ "imageData": data_url("image/png", &png), "url": "https://e.com/" }),
        ),
        201,
    )["capture"]
        .clone();
    assert_error(
        &get_image(&app, &ann.key, &id(&bobs)),
        404,
        "capture_not_found",
    );
    let list = data(&app.get("/api/v1/captures").api_key(&ann.key).send(), 200);
    assert_eq!(list["pagination"]["total"], 1);
    assert_eq!(list["captures"][0]["id"], cid.as_str());
    assert_eq!(get_image(&app, &ann.key, &cid).status, 200);
}

#[test]
fn unknown_ids_are_404_and_no_credentials_are_401() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    for id in [UNKNOWN_ID, "not-an-id", "upload"] {
        for r in [
            app.get(&format!("/api/v1/captures/{id}"))
                .api_key(&ann.key)
                .send(),
            get_image(&app, &ann.key, id),
            app.delete(&format!("/api/v1/captures/{id}"))
                .api_key(&ann.key)
                .send(),
        ] {
            assert_error(&r, 404, "capture_not_found");
        }
    }
    assert_error(
        &app.get("/api/v1/captures?projectId=nope")
            .api_key(&ann.key)
            .send(),
        404,
        "project_not_found",
    );
    let png = image("image/png", 300, 1);
    for r in [
        app.get("/api/v1/captures").send(),
        app.get(&format!("/api/v1/captures/{UNKNOWN_ID}")).send(),
        app.get(&format!("/api/v1/captures/{UNKNOWN_ID}/image"))
            .send(),
        app.delete(&format!("/api/v1/captures/{UNKNOWN_ID}")).send(),
        app.post("/api/v1/captures/upload")
            .json(&json!({ "imageData": data_url("image/png", &png), "url": "https://e.com/" })),
        app.post("/api/v1/captures/upload?url=https%3A%2F%2Fe.com")
            .header("Content-Type", "image/png")
            .send_bytes(&png),
    ] {
        assert_error(&r, 401, "missing_credentials");
    }
    assert_error(
        &app.get("/api/v1/captures")
            .api_key("bgx_not_a_real_key")
            .send(),
        401,
        "invalid_credentials",
    );
}

#[test]
fn lists_filter_by_project_and_page_newest_first() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let q = id(&project(&app, &ann.key, "example.org"));
    let in_p: Vec<String> = (1..=3)
        .map(|i| id(&capture(&app, &ann.key, &p, i)))
        .collect();
    let in_q = id(&capture(&app, &ann.key, &q, 9));

    let list = |query: &str| {
        data(
            &app.get(&format!("/api/v1/captures{query}"))
                .api_key(&ann.key)
                .send(),
            200,
        )
    };
    let ids = |v: &Value| -> Vec<String> {
        v["captures"]
            .as_array()
            .expect("captures")
            .iter()
            .map(id)
            .collect()
    };
    let newest_first: Vec<String> = in_p.iter().rev().cloned().collect();
    assert_eq!(ids(&list(&format!("?projectId={p}"))), newest_first);
    assert_eq!(ids(&list(&format!("?projectId={q}"))), vec![in_q.clone()]);
    let page = list(&format!("?projectId={p}&limit=1&offset=1"));
    assert_eq!(ids(&page), vec![in_p[1].clone()]);
    assert_eq!(
        page["pagination"],
        json!({ "limit": 1, "offset": 1, "total": 3 })
    );
    let all = list("?limit=2");
    assert_eq!(ids(&all), vec![in_q, in_p[2].clone()]);
    assert_eq!(all["pagination"]["total"], 4);
    assert_invalid(
        &app.get("/api/v1/captures?limit=0&offset=-1")
            .api_key(&ann.key)
            .send(),
        &["limit", "offset"],
    );
}

#[test]
fn deleting_a_capture_removes_its_image_and_the_same_image_can_come_again() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let png = image("image/png", 800, 1);
    let body = json!({ "projectId": p, "imageData": data_url("image/png", &png), "url": "https://e.com/" });
    let c = data(&upload_json(&app, &ann.key, &body), 201)["capture"].clone();
    let cid = id(&c);
    let key = c["image_r2_key"].as_str().expect("key").to_owned();
    assert_eq!(stored(&app, &key), (1, 0));

    let r = app
        .delete(&format!("/api/v1/captures/{cid}"))
        .api_key(&ann.key)
        .send();
    assert_eq!(r.json()["message"], "Capture deleted successfully");
    assert_eq!(data(&r, 200)["capture"]["id"], cid.as_str());
    assert_eq!(
        stored(&app, &key),
        (0, 0),
        "the blob is gone, and nothing is left queued"
    );
    for r in [
        app.get(&format!("/api/v1/captures/{cid}"))
            .api_key(&ann.key)
            .send(),
        get_image(&app, &ann.key, &cid),
        app.delete(&format!("/api/v1/captures/{cid}"))
            .api_key(&ann.key)
            .send(),
    ] {
        assert_error(&r, 404, "capture_not_found");
    }
    let list = data(&app.get("/api/v1/captures").api_key(&ann.key).send(), 200);
    assert_eq!(list["pagination"]["total"], 0);

    let again = data(&upload_json(&app, &ann.key, &body), 201)["capture"].clone();
    assert_ne!(id(&again), cid);
    assert_eq!(again["etag"], c["etag"], "same bytes, same ETag");
    assert_serves(&app, &ann.key, &again, "image/png", &png);
}

#[test]
fn deleting_a_project_deletes_its_captures_and_then_their_images() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let p = id(&project(&app, &ann.key, "example.com"));
    let q = id(&project(&app, &ann.key, "example.org"));
    let doomed = [
        capture(&app, &ann.key, &p, 1),
        capture(&app, &ann.key, &p, 2),
    ];
    let kept = capture(&app, &ann.key, &q, 3);
    let keys: Vec<String> = doomed
        .iter()
        .map(|c| c["image_r2_key"].as_str().expect("key").to_owned())
        .collect();

    let r = app
        .delete(&format!("/api/v1/projects/{p}"))
        .api_key(&ann.key)
        .send();
    data(&r, 200);
    for c in &doomed {
        assert_error(
            &app.get(&format!("/api/v1/captures/{}", id(c)))
                .api_key(&ann.key)
                .send(),
            404,
            "capture_not_found",
        );
        assert_error(&get_image(&app, &ann.key, &id(c)), 404, "capture_not_found");
    }
    // The rows went with the project; their images are queued, not lost.
    for key in &keys {
        assert_eq!(stored(&app, key), (1, 1), "{key}");
    }
    let list = data(&app.get("/api/v1/captures").api_key(&ann.key).send(), 200);
    assert_eq!(list["captures"].as_array().map(Vec::len), Some(1));
    assert_eq!(list["captures"][0]["id"], kept["id"]);

    // The next write of the captures component removes them.
    capture(&app, &ann.key, &q, 4);
    for key in &keys {
        assert_eq!(stored(&app, key), (0, 0), "{key}");
    }
    assert_eq!(get_image(&app, &ann.key, &id(&kept)).status, 200);
}

#[test]
fn the_largest_upload_the_defaults_allow_goes_through_whole() {
    let app = spawn_app();
    let ann = user(&app, "ann@example.com");
    let max = 10 * 1024 * 1024;
    // A 10 MiB image as a data URL beside a DOM snapshot just under 2 MiB:
    // the largest JSON body the default limits allow (about 16 MB).
    let biggest = image("image/jpeg", max, 1);
    let dom = json!({ "html": "d".repeat(2 * 1024 * 1024 - 64) });
    let r = upload_json(
        &app,
        &ann.key,
        &json!({ "imageData": data_url("image/jpeg", &biggest), "url": "https://e.com/", "domSnapshot": dom }),
    );
    let c = data(&r, 201)["capture"].clone();
    assert_eq!(c["size"], max);
    assert_serves(&app, &ann.key, &c, "image/jpeg", &biggest);
    let got = data(
        &app.get(&format!("/api/v1/captures/{}", id(&c)))
            .api_key(&ann.key)
            .send(),
        200,
    );
    assert_eq!(got["capture"]["dom_snapshot"], dom);
    // One byte more is refused, either way.
    let over = image("image/jpeg", max + 1, 2);
    assert_error(
        &upload_raw(
            &app,
            &ann.key,
            "url=https%3A%2F%2Fe.com",
            "image/jpeg",
            &over,
        ),
        413,
        "capture_too_large",
    );
    let r = upload_json(
        &app,
        &ann.key,
        &json!({ "imageData": data_url("image/jpeg", &over), "url": "https://e.com/" }),
    );
    assert_error(&r, 413, "capture_too_large");
}
