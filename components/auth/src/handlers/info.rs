//! `GET /api/v1/info`, in seed 001's exact shape (envelope; the key's
//! `createdAt` as ISO 8601, the user's timestamps in unix seconds).

use edge::{ApiError, Ctx, Response, db};
use serde_json::{Value, json};

use crate::persistence;

/// `GET /api/v1/info` -> `{success, data: {key, user}}`; `key` is null
/// when the caller used a session token.
pub fn info(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let user = persistence::get_user(&db, &caller.user_id)?;
    let key = match caller.key_id.as_deref() {
        Some(key_id) => {
            match persistence::api_key(&db, key_id)?.filter(|k| k.user_id == caller.user_id) {
                Some(k) => json!({
                    "id": k.id,
                    "keyPrefix": k.key_prefix,
                    "lastFour": k.last_four,
                    "createdAt": edge::time::iso8601_ms(k.created_at),
                }),
                None => Value::Null,
            }
        }
        None => Value::Null,
    };
    Response::envelope(
        200,
        &json!({
            "key": key,
            "user": {
                "id": user.id,
                "email": user.email,
                "name": user.name,
                "subscriptionTier": user.subscription_tier,
                "apiCredits": user.api_credits,
                "createdAt": user.created_at / 1000,
                "lastLogin": user.last_login.map(|ms| ms / 1000),
            },
        }),
        None,
    )
}
