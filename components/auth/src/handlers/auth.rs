//! `/auth/*`: register, login, logout, me.

use credentials::token::{self, Claims, SESSION_TTL_SECS};
use credentials::{JwtSecret, password};
use edge::domain::{Email, Password, PersonName};
use edge::{ApiError, Ctx, Response, db};
use serde::Deserialize;
use serde_json::json;

use crate::models::TeamMembership;
use crate::persistence::{self, NewSession, NewUser};

#[derive(Deserialize)]
struct RegisterBody {
    email: String,
    password: String,
    name: String,
}

/// `POST /auth/register {email, password, name}` -> 201 `{user, team}`.
/// Every user gets a personal team in which they are the owner.
pub fn register(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let body: RegisterBody = ctx.json()?;
    let email = Email::parse("email", &body.email);
    let password = Password::parse("password", &body.password);
    let name = PersonName::parse("name", &body.name);
    super::all_valid(vec![
        email.as_ref().err().cloned(),
        password.as_ref().err().cloned(),
        name.as_ref().err().cloned(),
    ])?;
    let (Ok(email), Ok(password), Ok(name)) = (email, password, name) else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };
    let password_hash = password::hash(password.expose()).map_err(ApiError::internal)?;
    let user_id = edge::ids::new_id()?;
    let team_id = edge::ids::new_id()?;
    let team_name = format!("{}'s team", name.as_str());
    let db = db::open()?;
    let (user, team) = persistence::register(
        &db,
        &NewUser {
            id: &user_id,
            email: email.as_str(),
            password_hash: &password_hash,
            name: name.as_str(),
            team_id: &team_id,
            team_name: &team_name,
        },
        &ctx.request_id,
    )?;
    Response::json(201, &json!({ "user": user.view(), "team": team }))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LoginBody {
    email: String,
    password: String,
    team_id: Option<String>,
}

/// `POST /auth/login {email, password, teamId?}` -> `{token, tokenType,
/// expiresAt, user, team}`. The token is an HS256 JWT valid for 7 days,
/// backed by a `session_tokens` row, and acts for one team: `teamId` (one
/// the user belongs to) or else their personal team.
pub fn login(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let body: LoginBody = ctx.json()?;
    let email = Email::parse("email", &body.email)?;
    if body.password.is_empty() {
        return Err(edge::FieldError::new("password", "is required").into());
    }
    let wanted_team = body.team_id.as_deref().map(team_id).transpose()?;
    let db = db::open()?;
    let user_id = match persistence::credentials_by_email(&db, email.as_str())? {
        Some((id, hash)) => password::verify(&body.password, &hash)
            .map_err(ApiError::internal)?
            .then_some(id),
        None => {
            // Same work as a wrong password, so timing does not reveal
            // whether the account exists.
            password::verify(&body.password, password::DUMMY_HASH).map_err(ApiError::internal)?;
            None
        }
    };
    let Some(user_id) = user_id else {
        return Err(ApiError::unauthorized(
            "invalid_credentials",
            "Email or password is incorrect",
        ));
    };
    let team = match wanted_team {
        Some(id) => persistence::membership(&db, id, &user_id)?.ok_or_else(team_not_found)?,
        None => persistence::personal_team(&db, &user_id)?,
    };
    session_for(ctx, &db, &user_id, team, "session.login")
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct SwitchBody {
    team_id: String,
}

/// `POST /auth/switch-team {teamId}` (with a session JWT) -> the same body
/// as login: a new session for another team the user belongs to. The
/// current token stays valid for its own team; API keys are bound to their
/// team and cannot switch.
pub fn switch_team(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    if caller.session_id.is_none() {
        return Err(ApiError::bad_request(
            "not_a_session",
            "An API key acts for the one team it was created in; sign in (JWT) to switch teams",
        ));
    }
    let body: SwitchBody = ctx.json()?;
    let id = team_id(&body.team_id)?;
    let db = db::open()?;
    let team = persistence::membership(&db, id, &caller.user_id)?.ok_or_else(team_not_found)?;
    session_for(ctx, &db, &caller.user_id, team, "session.switch_team")
}

/// A `teamId` field: 422 when it cannot be an id.
fn team_id(raw: &str) -> Result<&str, ApiError> {
    if edge::ids::is_row_id(raw) {
        Ok(raw)
    } else {
        Err(edge::FieldError::new("teamId", "must be a team id (32 hex characters)").into())
    }
}

/// A team the user is not a member of looks like one that does not exist.
fn team_not_found() -> ApiError {
    ApiError::not_found("team_not_found", "No team with this id")
}

/// Issues a session token for `user_id` acting for `team`, and answers
/// with it.
fn session_for(
    ctx: &Ctx,
    db: &db::Connection,
    user_id: &str,
    team: TeamMembership,
    action: &'static str,
) -> Result<Response, ApiError> {
    let user_id = user_id.to_owned();
    let secret = jwt_secret()?;
    let jti = edge::ids::new_id()?;
    let now = edge::time::now_secs();
    let claims = Claims {
        sub: user_id.clone(),
        tid: team.id.clone(),
        jti: jti.clone(),
        iat: now,
        exp: now + SESSION_TTL_SECS,
    };
    let token = token::issue(&secret, &claims).map_err(ApiError::internal)?;
    let expires_at_ms =
        i64::try_from(claims.exp * 1000).map_err(|_| ApiError::internal("expiry out of range"))?;
    persistence::start_session(
        db,
        &NewSession {
            jti: &jti,
            user_id: &user_id,
            team_id: &team.id,
            expires_at_ms,
            action,
        },
        &ctx.request_id,
    )?;
    let user = persistence::get_user(db, &user_id)?;
    Response::json(
        200,
        &json!({
            "token": token,
            "tokenType": "Bearer",
            "expiresAt": expires_at_ms,
            "user": user.view(),
            "team": team,
        }),
    )
}

/// `POST /auth/logout` (with the session's JWT) -> `{success: true}`; the
/// token is refused from the next request on.
pub fn logout(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let Some(jti) = caller.session_id.as_deref() else {
        return Err(ApiError::bad_request(
            "not_a_session",
            "Logout ends a session token (JWT); revoke an API key with DELETE /api/keys/:id",
        ));
    };
    let db = db::open()?;
    persistence::end_session(&db, jti, &caller.user_id, &caller.team_id, &ctx.request_id)?;
    Response::json(200, &json!({ "success": true }))
}

/// `GET /auth/me` -> `{user, team, credential}`.
pub fn me(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let user = persistence::get_user(&db, &caller.user_id)?;
    let team = persistence::membership(&db, &caller.team_id, &caller.user_id)?
        .ok_or_else(|| ApiError::internal("authenticated caller is not a member of its team"))?;
    Response::json(
        200,
        &json!({
            "user": user.view(),
            "team": team,
            "credential": {
                "kind": platform_bindings::credential_kind_str(caller.kind),
                "keyId": caller.key_id,
                "sessionId": caller.session_id,
                "scopes": caller.scopes,
            },
        }),
    )
}

/// The signing secret (`jwt_secret` variable, at least 32 bytes).
fn jwt_secret() -> Result<JwtSecret, ApiError> {
    let raw = edge::spin::variable("jwt_secret")
        .map_err(ApiError::internal)?
        .ok_or_else(|| ApiError::internal("variable jwt_secret is not set for this component"))?;
    JwtSecret::new(&raw).map_err(ApiError::internal)
}
