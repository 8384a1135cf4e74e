//! The signed-in user's own account: rename, change password.

use credentials::password;
use edge::domain::{Password, PersonName};
use edge::{ApiError, Ctx, FieldError, Response, db};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::persistence;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UpdateBody {
    name: Option<String>,
    /// The published dashboard's avatar URL: no avatars are kept, so only
    /// `null` (or leaving it out) is accepted.
    image: Option<Value>,
}

/// `PUT /auth/me {name}` -> `{user}`.
pub fn update(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let body: UpdateBody = ctx.json()?;
    if body.image.as_ref().is_some_and(|i| !i.is_null()) {
        return Err(
            FieldError::new("image", "avatars are not stored; send null or leave it out").into(),
        );
    }
    let name = match body.name {
        Some(n) => PersonName::parse("name", &n)?,
        None => return Err(FieldError::new("name", "is required").into()),
    };
    let db = db::open()?;
    let user = persistence::rename_user(
        &db,
        &caller.user_id,
        &caller.team_id,
        name.as_str(),
        &ctx.request_id,
    )?;
    Response::json(200, &json!({ "user": user.view() }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PasswordBody {
    current_password: String,
    new_password: String,
}

/// `POST /auth/password {currentPassword, newPassword}` -> `{success,
/// sessionsEnded}`: a signed-in user only (not a key), the current password
/// checked first; every other session of the user ends.
pub fn change_password(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    if caller.session_id.is_none() {
        return Err(ApiError::bad_request(
            "not_a_session",
            "Sign in (JWT) to change the password; an API key cannot",
        ));
    }
    let body: PasswordBody = ctx.json()?;
    let new = Password::parse("newPassword", &body.new_password)?;
    let db = db::open()?;
    let stored = persistence::password_hash(&db, &caller.user_id)?;
    if !password::verify(&body.current_password, &stored).map_err(ApiError::internal)? {
        return Err(ApiError::bad_request(
            "wrong_password",
            "Current password is incorrect",
        ));
    }
    let hash = password::hash(new.expose()).map_err(ApiError::internal)?;
    let ended = persistence::change_password(
        &db,
        &caller.user_id,
        &caller.team_id,
        &hash,
        caller.session_id.as_deref(),
        &ctx.request_id,
    )?;
    Response::json(200, &json!({ "success": true, "sessionsEnded": ended }))
}

/// `DELETE /auth/me` -> `{deleted, teamsDeleted, teamsLeft}`: a signed-in
/// user only (not a key). 409 `last_owner` while they are the last owner of
/// a team with other members, 409 `subscription_active` while a team only
/// they are in still pays; otherwise the account, the teams only they are
/// in and everything of theirs are gone (crate::account_deletion).
pub fn delete(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    if caller.session_id.is_none() {
        return Err(ApiError::bad_request(
            "not_a_session",
            "Sign in (JWT) to delete the account; an API key cannot",
        ));
    }
    let secret = credentials::random_bytes::<32>()
        .map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    let random: String = secret.iter().map(|b| format!("{b:02x}")).collect();
    let unusable = password::hash(&random).map_err(ApiError::internal)?;
    let db = db::open()?;
    let deleted =
        crate::account_deletion::delete_account(&db, &caller.user_id, &unusable, &ctx.request_id)?;
    Response::json(
        200,
        &json!({
            "deleted": true,
            "teamsDeleted": deleted.teams_deleted.len(),
            "teamsLeft": deleted.teams_left.len(),
        }),
    )
}
