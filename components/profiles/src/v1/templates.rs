//! `/api/v1/templates`: the fingerprint templates, public as the published
//! dashboard calls them (its new-profile page sends no token). They are the
//! compiled-in catalog, the same one `/api/templates` serves to callers.

use edge::v1;
use edge::{ApiError, Ctx, Response};
use serde_json::{Value, json};

use crate::domain::fingerprint::{self, Template};

/// The dashboard splits mobile from desktop by `os` in `['Android', 'iOS']`.
fn os_name(os: &str) -> &str {
    match os {
        "windows" => "Windows",
        "macos" => "macOS",
        "linux" => "Linux",
        "android" => "Android",
        "ios" => "iOS",
        other => other,
    }
}

fn summary(t: &Template) -> Value {
    json!({ "id": t.id, "name": t.name, "os": os_name(&t.os), "browser": t.browser, "device": t.device })
}

fn template(ctx: &Ctx) -> Result<(&'static fingerprint::Catalog, String), ApiError> {
    let catalog = fingerprint::catalog().map_err(ApiError::internal)?;
    let id = ctx.param("id")?.to_owned();
    if catalog.template(&id).is_none() {
        return Err(ApiError::not_found(
            "template_not_found",
            "Template not found",
        ));
    }
    Ok((catalog, id))
}

/// `GET /api/v1/templates` -> `[{id, name, os, browser, device}]`.
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = fingerprint::catalog()
        .map_err(ApiError::internal)
        .and_then(|c| Response::json(200, &c.templates.iter().map(summary).collect::<Vec<_>>()));
    v1::answer(ctx, result, Ok)
}

/// `GET /api/v1/templates/:id` -> `{id, name, os, browser, screens,
/// languages, timezones}`.
pub fn get(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = template(ctx).and_then(|(catalog, id)| {
        let t = catalog
            .template(&id)
            .ok_or_else(|| ApiError::internal("template vanished"))?;
        let mut body = summary(t);
        body["screens"] = serde_json::to_value(&t.screens).map_err(ApiError::internal)?;
        body["languages"] = json!(
            catalog
                .locales
                .iter()
                .map(|l| l.language.clone())
                .collect::<Vec<_>>()
        );
        let mut timezones: Vec<&String> =
            catalog.locales.iter().flat_map(|l| &l.timezones).collect();
        timezones.sort();
        timezones.dedup();
        body["timezones"] = json!(timezones);
        Response::json(200, &body)
    });
    v1::answer(ctx, result, Ok)
}

/// `POST /api/v1/templates/:id/preview` -> a fingerprint from a fresh seed
/// (nothing is stored), flat as the dashboard reads it.
pub fn preview(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let result = template(ctx).and_then(|(catalog, id)| {
        let t = catalog
            .template(&id)
            .ok_or_else(|| ApiError::internal("template vanished"))?;
        let seed = edge::ids::new_id()?[..16].to_owned();
        let fp = fingerprint::generate(t, &catalog.locales, &seed).map_err(ApiError::internal)?;
        Response::json(
            200,
            &json!({
                "userAgent": fp.user_agent,
                "platform": fp.platform,
                "vendor": fp.vendor,
                "screenWidth": fp.screen.width,
                "screenHeight": fp.screen.height,
                "colorDepth": fp.color_depth,
                "deviceMemory": fp.device_memory,
                "hardwareConcurrency": fp.hardware_concurrency,
                "webglVendor": fp.webgl.vendor,
                "webglRenderer": fp.webgl.renderer,
                "language": fp.language,
                "timezone": fp.timezone,
                "fingerprint": fp,
            }),
        )
    });
    v1::answer(ctx, result, Ok)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_os_has_the_dashboards_spelling() {
        let catalog = super::fingerprint::catalog().expect("catalog");
        for t in &catalog.templates {
            let os = super::os_name(&t.os);
            assert!(
                ["Windows", "macOS", "Linux", "Android", "iOS"].contains(&os),
                "{}: {os}",
                t.id
            );
        }
    }
}
