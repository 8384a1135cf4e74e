//! The `/api/v1` surface of the published multilogin.io clients (their
//! desktop CLI and web dashboard) over this component's own handlers: only
//! the wire differs (`edge::v1`), here and nowhere else. Both clients' names
//! for one thing are answered side by side (`profiles` and `items`).

pub mod groups;
pub mod health;
pub mod launch;
pub mod manage;
pub mod profiles;
pub mod proxies;
pub mod templates;

use edge::domain::ClientId;
use edge::{ApiError, Ctx};
use platform_bindings::Principal;
use serde_json::{Value, json};

/// A profile view (`Profile::view`) with the fields the clients read:
/// `status`, `lockedBy`/`lockedAt`, the fingerprint's user agent, platform
/// and screen flat, and `proxy` as the dashboard keeps it (the proxy's id,
/// or a profile's own proxy address without credentials).
pub(crate) fn profile(mut view: Value) -> Value {
    let lock = view["lock"].clone();
    let fp = view["fingerprint"].clone();
    let own = view["proxy"].clone();
    let proxy = match (&view["proxyId"], &own) {
        (Value::String(id), _) => json!(id),
        (_, Value::Object(p)) => {
            let host = p.get("host").and_then(Value::as_str).unwrap_or_default();
            let host = if host.contains(':') {
                format!("[{host}]")
            } else {
                host.to_owned()
            };
            json!(format!(
                "{}://{host}:{}",
                p.get("scheme").and_then(Value::as_str).unwrap_or("http"),
                p.get("port").cloned().unwrap_or(Value::Null)
            ))
        }
        _ => Value::Null,
    };
    if let Some(o) = view.as_object_mut() {
        let in_use = !lock.is_null();
        o.insert(
            "status".into(),
            json!(if in_use { "in_use" } else { "available" }),
        );
        o.insert("lockedBy".into(), lock["clientId"].clone());
        o.insert("lockedAt".into(), lock["since"].clone());
        o.insert("userAgent".into(), fp["userAgent"].clone());
        o.insert("platform".into(), fp["platform"].clone());
        o.insert("vendor".into(), fp["vendor"].clone());
        o.insert("screenWidth".into(), fp["screen"]["width"].clone());
        o.insert("screenHeight".into(), fp["screen"]["height"].clone());
        o.insert("ownProxy".into(), own);
        o.insert("proxy".into(), proxy);
    }
    view
}

/// The client a v1 call acts as: `X-Client-ID`, else `clientId` in the
/// body, else one per user for the dashboard (which sends neither), so its
/// launch and release pair up and two users never share a holder.
pub(crate) fn client(ctx: &Ctx, caller: &Principal) -> Result<ClientId, ApiError> {
    let bad = |why| ApiError::bad_request("invalid_client_id", why);
    if let Some(raw) = ctx.header("x-client-id") {
        return ClientId::parse(raw).map_err(bad);
    }
    let body = edge::v1::body_or_empty(ctx)?;
    match body.get("clientId") {
        Some(Value::String(raw)) => ClientId::parse(raw).map_err(bad),
        None | Some(Value::Null) => {
            ClientId::parse(&format!("web-{}", caller.user_id)).map_err(bad)
        }
        Some(_) => Err(bad("clientId must be a string".into())),
    }
}

/// The fencing token when the client sends one (`X-Lock-Token` or
/// `{token}`): such a client is fenced as on `/api/profiles`. None: the
/// lock is held by client id alone.
pub(crate) fn token(ctx: &Ctx) -> Result<Option<u64>, ApiError> {
    let sent =
        ctx.header("x-lock-token").is_some() || edge::v1::body_or_empty(ctx)?.contains_key("token");
    if sent {
        crate::handlers::launch::lock_token(ctx).map(Some)
    } else {
        Ok(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_locked_profile_reads_as_in_use_with_its_holder() {
        let v = profile(json!({
            "id": "p", "proxyId": "x1", "proxy": null,
            "lock": {"clientId": "client_1", "since": 5},
            "fingerprint": {"userAgent": "UA", "platform": "Win32", "vendor": "V",
                            "screen": {"width": 1920, "height": 1080}},
        }));
        assert_eq!(v["status"], "in_use");
        assert_eq!(v["lockedBy"], "client_1");
        assert_eq!(v["lockedAt"], 5);
        assert_eq!(v["screenWidth"], 1920);
        assert_eq!(v["proxy"], "x1");
        let v = profile(json!({
            "proxyId": null, "lock": null, "fingerprint": {},
            "proxy": {"scheme": "socks5", "host": "::1", "port": 1080, "hasCredentials": true},
        }));
        assert_eq!(v["status"], "available");
        assert_eq!(v["lockedBy"], Value::Null);
        assert_eq!(v["proxy"], "socks5://[::1]:1080");
        assert_eq!(v["ownProxy"]["hasCredentials"], true);
    }
}
