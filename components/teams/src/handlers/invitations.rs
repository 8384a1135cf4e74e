//! `/api/teams/:id/invitations` (invite by email with a role) and
//! `/api/teams/invitations/accept` (join with the token).

use edge::domain::Email;
use edge::{ApiError, Ctx, FieldError, Response, db};
use serde::Deserialize;
use serde_json::json;

use crate::permissions;
use crate::persistence::{self, NewInvitation};
use crate::{config, models::Team};
use roles::Permission;

/// Prefix of invitation tokens, so a leaked one is recognisable.
pub const TOKEN_PREFIX: &str = "bti_";

#[derive(Deserialize)]
struct InviteBody {
    email: String,
    role: String,
}

#[derive(Deserialize)]
struct AcceptBody {
    token: String,
}

/// `POST /api/teams/:id/invitations {email, role}` -> 201 `{invitation,
/// token}` (admins; only owners invite owners). `token` is shown only here;
/// the database keeps its SHA-256.
pub fn create(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let (team, role) = super::team_for(ctx, &db, &caller.user_id, Permission::ManageMembers)?;
    let body: InviteBody = ctx.json()?;
    let email = Email::parse("email", &body.email);
    let invited_role = super::parse_role("role", &body.role);
    super::all_valid(vec![
        email.as_ref().err().cloned(),
        invited_role.as_ref().err().cloned(),
    ])?;
    let (Ok(email), Ok(invited_role)) = (email, invited_role) else {
        return Err(ApiError::internal(
            "validation passed but a field did not parse",
        ));
    };
    permissions::check_invitation(role, invited_role)?;
    if team.personal {
        return Err(ApiError::conflict(
            "personal_team",
            "A personal team has only its owner; create a team to invite others",
        ));
    }
    let secret = credentials::random_bytes::<32>()
        .map_err(|e| ApiError::internal(format!("random source: {e}")))?;
    let token = format!("{TOKEN_PREFIX}{}", hex::encode(secret));
    let id = edge::ids::new_id()?;
    let expires_at = edge::time::now_ms().saturating_add(config::invitation_ttl_ms()?);
    let invitation = persistence::create_invitation(
        &db,
        &NewInvitation {
            id: &id,
            team_id: &team.id,
            email: email.as_str(),
            role: invited_role,
            token_hash: &credentials::api_key::hash(&token),
            invited_by: &caller.user_id,
            expires_at,
        },
        &ctx.request_id,
    )?;
    Response::json(
        201,
        &json!({
            "invitation": invitation,
            "token": token,
            "message": "Send this token to the invitee now: it is not shown again",
        }),
    )
}

/// `POST /api/teams/invitations/accept {token}` -> `{team, invitation}`:
/// the caller, whose email must be the invited one, joins with the role.
pub fn accept(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let body: AcceptBody = ctx.json()?;
    let token = body.token.trim();
    if !token.starts_with(TOKEN_PREFIX) || token.len() != TOKEN_PREFIX.len() + 64 {
        return Err(FieldError::new("token", "is not an invitation token").into());
    }
    let db = db::open()?;
    let email = persistence::user_email(&db, &caller.user_id)?;
    let (invitation, deliveries) = persistence::accept_invitation(
        &db,
        &credentials::api_key::hash(token),
        &caller.user_id,
        &email,
        &ctx.request_id,
    )?;
    webhooks::deliver::after_commit(&db, &invitation.team_id, &deliveries, &ctx.request_id);
    let team: Team = persistence::team_of_member(&db, &invitation.team_id, &caller.user_id)?
        .ok_or_else(|| ApiError::internal("accepted invitation left no membership"))?;
    Response::json(200, &json!({ "team": team, "invitation": invitation }))
}

/// `GET /api/teams/:id/invitations?limit&offset` -> `{invitations, total,
/// limit, offset}`: the open ones, newest first (admins).
pub fn list(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let (team, _) = super::team_for(ctx, &db, &caller.user_id, Permission::ManageMembers)?;
    let (limit, offset) = super::page_query(ctx)?;
    let (invitations, total) =
        persistence::pending_invitations(&db, &team.id, edge::time::now_ms(), limit, offset)?;
    Response::json(
        200,
        &json!({ "invitations": invitations, "total": total, "limit": limit, "offset": offset }),
    )
}

/// `DELETE /api/teams/:id/invitations/:invitationId` -> `{success, id}`: an
/// open invitation can no longer be accepted (admins); 404 for one that is
/// not open or not the team's.
pub fn cancel(ctx: &mut Ctx) -> Result<Response, ApiError> {
    let caller = platform_bindings::authenticate(ctx)?;
    let db = db::open()?;
    let (team, _) = super::team_for(ctx, &db, &caller.user_id, Permission::ManageMembers)?;
    let id = ctx.param("invitationId")?.to_owned();
    if !super::is_id(&id) {
        return Err(persistence::invitation_not_found());
    }
    persistence::cancel_invitation(&db, &team.id, &id, &caller.user_id, &ctx.request_id)?;
    Response::json(200, &json!({ "success": true, "id": id }))
}
