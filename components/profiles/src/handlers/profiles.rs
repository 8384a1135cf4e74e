//! `/api/profiles`: list, get, create from a template, update, delete.

use edge::{ApiError, Ctx, FieldError, Response, db};
use platform_bindings::Principal;
use serde::Deserialize;
use serde_json::json;

use super::{Field, actor, allowed, body, caller, check, client_id, field, row_id};
use crate::config;
use crate::domain::fingerprint::{self, Fingerprint};
use crate::domain::proxy::ProxyAddress;
use crate::domain::query::{ProfileQuery, RawProfileQuery};
use crate::domain::{self, Name, Notes};
use crate::handlers::proxies::seal_credentials;
use crate::persistence::profiles::{self as store, NewProfile, OwnProxyFields, ProfileFields};
use roles::Permission;

/// `GET /api/profiles?groupId&search&tag&status&limit&offset&orderBy&order&updated_since&cursor`
/// -> `{profiles, total, nextCursor}` (+ `deleted` ids with `updated_since`).
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "profiles:read")?;
    let status = ctx.query("status");
    let (limit, offset, group_id, search, tag, order_by, order, updated_since, cursor) = (
        ctx.query("limit"),
        ctx.query("offset"),
        ctx.query("groupId"),
        ctx.query("search"),
        ctx.query("tag"),
        ctx.query("orderBy"),
        ctx.query("order"),
        ctx.query("updated_since")
            .or_else(|| ctx.query("updatedSince")),
        ctx.query("cursor"),
    );
    let q = ProfileQuery::parse(&RawProfileQuery {
        limit: limit.as_deref(),
        offset: offset.as_deref(),
        group_id: group_id.as_deref(),
        search: search.as_deref(),
        tag: tag.as_deref(),
        order_by: order_by.as_deref(),
        order: order.as_deref(),
        updated_since: updated_since.as_deref(),
        cursor: cursor.as_deref(),
        status: status.as_deref(),
    })
    .map_err(ApiError::invalid_input)?;
    let db = db::open()?;
    let page = store::list(&db, &caller.team_id, &q)?;
    let now = edge::time::now_ms();
    let mut body = json!({
        "profiles": page.profiles.iter().map(|p| p.view(now)).collect::<Vec<_>>(),
        "total": page.total,
        "limit": q.page.limit,
        "offset": q.page.offset,
        "nextCursor": page.next_cursor,
    });
    if let Some(deleted) = page.deleted {
        body["deleted"] = json!(deleted);
    }
    Response::json(200, &body)
}

/// `GET /api/profiles/:id`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = caller(ctx, "profiles:read")?;
    let id = row_id(ctx, "id", store::not_found)?;
    let db = db::open()?;
    let profile = store::require(&db, &caller.team_id, &id)?;
    Response::json(200, &profile.view(edge::time::now_ms()))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CreateBody {
    name: String,
    template_id: String,
    group_id: Option<String>,
    tags: Option<Vec<String>>,
    timezone: Option<String>,
    language: Option<String>,
    proxy_id: Option<String>,
    proxy: Option<String>,
    notes: Option<String>,
    fingerprint_seed: Option<String>,
}

/// Applies timezone / language overrides to a fingerprint (422 naming a
/// malformed one).
fn apply_locale(
    fp: &mut Fingerprint,
    timezone: Option<&str>,
    language: Option<&str>,
    errors: &mut Vec<FieldError>,
) {
    if let Some(tz) = timezone.map(str::trim) {
        if fingerprint::is_timezone(tz) {
            fp.timezone = tz.to_owned();
        } else {
            errors.push(FieldError::new(
                "timezone",
                format!("{tz:?} is not an IANA timezone"),
            ));
        }
    }
    if let Some(lang) = language.map(str::trim) {
        if fingerprint::is_language_tag(lang) {
            fp.language = lang.to_owned();
            fp.languages = fingerprint::languages_for(lang);
        } else {
            errors.push(FieldError::new(
                "language",
                format!("{lang:?} is not a language tag like en-US"),
            ));
        }
    }
}

/// A referenced id (group, proxy) that cannot be a row id is "not in this
/// team" straight away.
fn reference(
    field_name: &str,
    what: &str,
    id: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    let id = id?.trim();
    if id.is_empty() {
        return None;
    }
    if !domain::is_row_id(id) {
        errors.push(FieldError::new(
            field_name,
            format!("no {what} {id:?} in this team"),
        ));
        return None;
    }
    Some(id.to_owned())
}

/// Parses a profile's own proxy URL and seals its credentials for the row.
fn own_proxy(
    raw: &str,
    team_id: &str,
    profile_id: &str,
    errors: &mut Vec<FieldError>,
) -> Result<Option<OwnProxyFields>, ApiError> {
    if raw.trim().is_empty() {
        return Ok(None);
    }
    let address = match ProxyAddress::parse_url("proxy", raw) {
        Ok(a) => a,
        Err(e) => {
            errors.push(e);
            return Ok(None);
        }
    };
    let sealed = seal_credentials(&address, &own_proxy_aad(team_id, profile_id))?;
    Ok(Some(OwnProxyFields {
        scheme: address.scheme.as_str().to_owned(),
        host: address.host,
        port: address.port,
        sealed_credentials: sealed,
    }))
}

/// Associated data of a profile's own proxy credentials.
pub(crate) fn own_proxy_aad(team_id: &str, profile_id: &str) -> String {
    format!("profile:{team_id}:{profile_id}")
}

/// `POST /api/profiles {name, templateId, groupId?, tags?, timezone?,
/// language?, proxyId? | proxy?, notes?, fingerprintSeed?}` -> 201 profile.
/// The fingerprint is generated from the template and the seed (a random
/// one when not given); an unknown template, group or proxy is 422.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
    platform_bindings::idempotent(ctx, &caller, |ctx| create_as(ctx, &caller))
}

pub(crate) fn create_as(ctx: &mut Ctx, caller: &Principal) -> Result<Response, ApiError> {
    let input: CreateBody = ctx.json()?;
    let limits = config::limits()?;
    let catalog = fingerprint::catalog().map_err(ApiError::internal)?;
    let mut errors = Vec::new();

    let name = Name::parse("name", &input.name)
        .map_err(|e| errors.push(e))
        .ok();
    let notes = Notes::parse("notes", input.notes.as_deref().unwrap_or(""))
        .map_err(|e| errors.push(e))
        .ok();
    let tags = domain::parse_tags(
        "tags",
        input.tags.as_deref().unwrap_or(&[]),
        limits.tags as usize,
    )
    .map_err(|e| errors.extend(e))
    .ok();
    let template = catalog.template(input.template_id.trim());
    if template.is_none() {
        errors.push(FieldError::new(
            "templateId",
            format!(
                "no template {:?}; see GET /api/templates",
                input.template_id
            ),
        ));
    }
    let seed = match input.fingerprint_seed.as_deref() {
        Some(raw) => domain::parse_seed("fingerprintSeed", raw)
            .map_err(|e| errors.push(e))
            .ok(),
        None => Some(edge::ids::new_id()?[..16].to_owned()),
    };
    let group_id = reference("groupId", "group", input.group_id.as_deref(), &mut errors);
    let proxy_id = reference("proxyId", "proxy", input.proxy_id.as_deref(), &mut errors);
    if proxy_id.is_some() && input.proxy.as_deref().is_some_and(|p| !p.trim().is_empty()) {
        errors.push(FieldError::new(
            "proxy",
            "give either proxyId or proxy, not both",
        ));
    }
    let id = edge::ids::new_id()?;
    let own = own_proxy(
        input.proxy.as_deref().unwrap_or(""),
        &caller.team_id,
        &id,
        &mut errors,
    )?;
    let mut fp = match (template, &seed) {
        (Some(t), Some(seed)) => {
            Some(fingerprint::generate(t, &catalog.locales, seed).map_err(ApiError::internal)?)
        }
        _ => None,
    };
    match fp.as_mut() {
        Some(fp) => apply_locale(
            fp,
            input.timezone.as_deref(),
            input.language.as_deref(),
            &mut errors,
        ),
        // No template: still name a bad timezone or language.
        None => apply_locale(
            &mut probe_fingerprint(),
            input.timezone.as_deref(),
            input.language.as_deref(),
            &mut errors,
        ),
    }
    check(errors)?;
    let (Some(name), Some(notes), Some(tags), Some(template), Some(seed), Some(fp)) =
        (name, notes, tags, template, seed, fp)
    else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };
    let report = fingerprint::validate(&fp);
    if !report.valid {
        return Err(ApiError::validation(
            report
                .errors
                .into_iter()
                .map(|i| FieldError::new(format!("fingerprint.{}", i.field), i.message))
                .collect(),
        ));
    }
    let db = db::open()?;
    let profile = store::create(
        &db,
        actor(caller, ctx),
        &NewProfile {
            id: &id,
            template_id: &template.id,
            fingerprint_seed: &seed,
            fields: ProfileFields {
                name: name.as_str().to_owned(),
                group_id,
                tags,
                notes: notes.as_str().to_owned(),
                fingerprint_json: serde_json::to_string(&fp).map_err(ApiError::internal)?,
                proxy_id,
                own_proxy: own,
            },
        },
        limits.profiles,
    )?;
    Response::json(201, &profile.view(edge::time::now_ms()))
}

/// `PUT /api/profiles/:id {name?, groupId?, tags?, timezone?, language?,
/// proxyId?, proxy?, notes?}`: `null` clears groupId, proxyId and proxy.
/// 409 while another client than `X-Client-ID` holds the profile.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = client_id(ctx)?;
    let input = body(ctx)?;
    let limits = config::limits()?;
    let mut errors = Vec::new();

    let name = field::<String>(&input, "name", "a string", &mut errors);
    let group = field::<String>(&input, "groupId", "a group id or null", &mut errors);
    let tags = field::<Vec<String>>(&input, "tags", "a list of strings", &mut errors);
    let timezone = field::<String>(&input, "timezone", "a timezone", &mut errors);
    let language = field::<String>(&input, "language", "a language tag", &mut errors);
    let proxy_id = field::<String>(&input, "proxyId", "a proxy id or null", &mut errors);
    let proxy = field::<String>(&input, "proxy", "a proxy URL or null", &mut errors);
    let notes = field::<String>(&input, "notes", "a string", &mut errors);

    let mut changed: Vec<&str> = Vec::new();
    let mut mark = |n: &'static str, present: bool| {
        if present {
            changed.push(n);
        }
    };
    mark("name", !matches!(name, Field::Absent));
    mark("groupId", !matches!(group, Field::Absent));
    mark("tags", !matches!(tags, Field::Absent));
    mark("timezone", !matches!(timezone, Field::Absent));
    mark("language", !matches!(language, Field::Absent));
    mark("proxyId", !matches!(proxy_id, Field::Absent));
    mark("proxy", !matches!(proxy, Field::Absent));
    mark("notes", !matches!(notes, Field::Absent));

    let name = match name {
        Field::Value(n) => Name::parse("name", &n).map_err(|e| errors.push(e)).ok(),
        Field::Null => {
            errors.push(FieldError::new("name", "cannot be null"));
            None
        }
        Field::Absent => None,
    };
    let notes = match notes {
        Field::Value(n) => Notes::parse("notes", &n).map_err(|e| errors.push(e)).ok(),
        Field::Null => Some(Notes::default()),
        Field::Absent => None,
    };
    let tags = match tags {
        Field::Value(t) => domain::parse_tags("tags", &t, limits.tags as usize)
            .map_err(|e| errors.extend(e))
            .ok(),
        Field::Null => Some(Vec::new()),
        Field::Absent => None,
    };
    let group = group
        .into_change()
        .map(|g| reference("groupId", "group", g.as_deref(), &mut errors));
    let proxy_id = proxy_id
        .into_change()
        .map(|p| reference("proxyId", "proxy", p.as_deref(), &mut errors));
    let own = match proxy.into_change() {
        None => None,
        Some(None) => Some(None),
        Some(Some(url)) => Some(own_proxy(&url, &caller.team_id, &id, &mut errors)?),
    };
    if matches!(&proxy_id, Some(Some(_))) && matches!(&own, Some(Some(_))) {
        errors.push(FieldError::new(
            "proxy",
            "give either proxyId or proxy, not both",
        ));
    }
    let timezone = match timezone {
        Field::Value(t) => Some(t),
        Field::Null => {
            errors.push(FieldError::new("timezone", "cannot be null"));
            None
        }
        Field::Absent => None,
    };
    let language = match language {
        Field::Value(l) => Some(l),
        Field::Null => {
            errors.push(FieldError::new("language", "cannot be null"));
            None
        }
        Field::Absent => None,
    };
    // Validate the locale against a throwaway fingerprint first, so every
    // bad field is named before the transaction.
    let mut probe = probe_fingerprint();
    apply_locale(
        &mut probe,
        timezone.as_deref(),
        language.as_deref(),
        &mut errors,
    );
    check(errors)?;

    let db = db::open()?;
    let profile = store::update(
        &db,
        actor(&caller, ctx),
        &id,
        client.as_ref().map(|c| c.as_str()),
        &changed,
        |current| {
            let mut fp = current.fingerprint.clone();
            let mut ignored = Vec::new();
            apply_locale(
                &mut fp,
                timezone.as_deref(),
                language.as_deref(),
                &mut ignored,
            );
            // A new team proxy replaces the own one and vice versa.
            let (proxy_id, own_proxy) = match (&proxy_id, &own) {
                (Some(Some(p)), _) => (Some(p.clone()), None),
                (_, Some(Some(o))) => (None, Some(o.clone())),
                (Some(None), None) => (None, current_own(current)),
                (None, Some(None)) => (current.proxy_id.clone(), None),
                (Some(None), Some(None)) => (None, None),
                (None, None) => (current.proxy_id.clone(), current_own(current)),
            };
            Ok(ProfileFields {
                name: name
                    .as_ref()
                    .map_or_else(|| current.name.clone(), |n| n.as_str().to_owned()),
                group_id: match &group {
                    Some(g) => g.clone(),
                    None => current.group_id.clone(),
                },
                tags: tags.clone().unwrap_or_else(|| current.tags.clone()),
                notes: notes
                    .as_ref()
                    .map_or_else(|| current.notes.clone(), |n| n.as_str().to_owned()),
                fingerprint_json: serde_json::to_string(&fp).map_err(ApiError::internal)?,
                proxy_id,
                own_proxy,
            })
        },
    )?;
    Response::json(200, &profile.view(edge::time::now_ms()))
}

pub(crate) fn current_own(p: &crate::models::Profile) -> Option<OwnProxyFields> {
    p.own_proxy.as_ref().map(|o| OwnProxyFields {
        scheme: o.scheme.clone(),
        host: o.host.clone(),
        port: u16::try_from(o.port).unwrap_or(0),
        sealed_credentials: o.credentials.clone(),
    })
}

/// A fingerprint only used to check locale overrides.
fn probe_fingerprint() -> Fingerprint {
    Fingerprint {
        template_id: None,
        user_agent: String::new(),
        platform: String::new(),
        vendor: String::new(),
        screen: fingerprint::Screen {
            width: 0,
            height: 0,
        },
        color_depth: 24,
        device_memory: None,
        hardware_concurrency: 1,
        max_touch_points: 0,
        fonts: Vec::new(),
        webgl: fingerprint::Webgl {
            vendor: String::new(),
            renderer: String::new(),
        },
        language: "en".into(),
        languages: Vec::new(),
        timezone: "UTC".into(),
    }
}

/// `DELETE /api/profiles/:id` -> `{success, id}`; 409 while another client
/// than `X-Client-ID` holds it. Its lock row goes with it, and a tombstone
/// tells desktop caches (`updated_since`).
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = client_id(ctx)?;
    let db = db::open()?;
    store::delete(
        &db,
        actor(&caller, ctx),
        &id,
        client.as_ref().map(|c| c.as_str()),
    )?;
    sessions::blobs::collect(&db, edge::time::now_ms(), &ctx.request_id);
    Response::json(200, &json!({ "success": true, "id": id }))
}

/// `POST /api/profiles/:id/regenerate-fingerprint` -> the profile with a
/// fingerprint from a new seed of the same template (user agent, screen,
/// hardware, WebGL, fonts); its timezone and language stay. 409 while
/// another client than `X-Client-ID` holds it.
pub fn regenerate_fingerprint(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = allowed(ctx, "profiles:write", Permission::Sync)?;
    let id = row_id(ctx, "id", store::not_found)?;
    let client = client_id(ctx)?;
    let catalog = fingerprint::catalog().map_err(ApiError::internal)?;
    let seed = edge::ids::new_id()?[..16].to_owned();
    let db = db::open()?;
    let profile = store::regenerate_fingerprint(
        &db,
        actor(&caller, ctx),
        &id,
        client.as_ref().map(|c| c.as_str()),
        &seed,
        |current| {
            let template = catalog.template(&current.template_id).ok_or_else(|| {
                ApiError::internal(format!(
                    "profile template {:?} is gone",
                    current.template_id
                ))
            })?;
            let mut fp = fingerprint::generate(template, &catalog.locales, &seed)
                .map_err(ApiError::internal)?;
            let mut ignored = Vec::new();
            apply_locale(
                &mut fp,
                Some(&current.fingerprint.timezone),
                Some(&current.fingerprint.language),
                &mut ignored,
            );
            serde_json::to_string(&fp).map_err(ApiError::internal)
        },
    )?;
    Response::json(200, &profile.view(edge::time::now_ms()))
}
