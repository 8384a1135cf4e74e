//! Every SQL statement of the component, as named constants, and the
//! functions that run them. Each state change is one transaction that also
//! writes its audit entry; the checks that depend on the current rows (the
//! last owner, a used invitation) run inside that transaction. Every query
//! is scoped to a team the caller is a member of.

use edge::ApiError;
use edge::db::{self, AuditEntry, Connection, Value};
use serde_json::json;

use crate::models::{AuditRecord, Invitation, Member, Team};
use crate::permissions;
use roles::Role;

macro_rules! team_columns {
    () => {
        "t.id, t.name, t.personal, t.owner_id, t.created_at, m.role, \
         (SELECT COUNT(*) FROM team_members c WHERE c.team_id = t.id)"
    };
}
macro_rules! member_columns {
    () => {
        "m.user_id, u.email, u.name, m.role, m.created_at"
    };
}
macro_rules! invitation_columns {
    () => {
        "i.id, i.team_id, i.email, i.role, i.invited_by, i.created_at, i.expires_at, i.accepted_at"
    };
}

const SELECT_TEAMS_OF_USER: &str = concat!(
    "SELECT ",
    team_columns!(),
    " FROM teams t JOIN team_members m ON m.team_id = t.id",
    " WHERE m.user_id = ? ORDER BY t.created_at, t.rowid"
);
const SELECT_TEAM_OF_MEMBER: &str = concat!(
    "SELECT ",
    team_columns!(),
    " FROM teams t JOIN team_members m ON m.team_id = t.id",
    " WHERE t.id = ? AND m.user_id = ?"
);
const INSERT_TEAM: &str =
    "INSERT INTO teams (id, name, personal, owner_id, created_at) VALUES (?, ?, 0, ?, ?)";
const INSERT_MEMBER: &str =
    "INSERT INTO team_members (team_id, user_id, role, created_at) VALUES (?, ?, ?, ?)";
const UPDATE_TEAM_NAME: &str = "UPDATE teams SET name = ? WHERE id = ?";
const SELECT_MEMBERS: &str = concat!(
    "SELECT ",
    member_columns!(),
    " FROM team_members m JOIN users u ON u.id = m.user_id",
    " WHERE m.team_id = ? ORDER BY m.created_at, m.rowid LIMIT ? OFFSET ?"
);
const COUNT_MEMBERS: &str = "SELECT COUNT(*) FROM team_members WHERE team_id = ?";
const SELECT_PROFILE_COUNT_AND_PLAN: &str = "\
    SELECT (SELECT COUNT(*) FROM profiles WHERE team_id = ?1), \
           COALESCE((SELECT plan FROM team_billing WHERE team_id = ?1), 'free')";
const SELECT_MEMBER: &str = concat!(
    "SELECT ",
    member_columns!(),
    " FROM team_members m JOIN users u ON u.id = m.user_id",
    " WHERE m.team_id = ? AND m.user_id = ?"
);
const SELECT_MEMBER_BY_EMAIL: &str = "\
    SELECT 1 FROM team_members m JOIN users u ON u.id = m.user_id \
    WHERE m.team_id = ? AND u.email = ?";
const COUNT_OWNERS: &str = "SELECT COUNT(*) FROM team_members WHERE team_id = ? AND role = 'owner'";
const UPDATE_MEMBER_ROLE: &str =
    "UPDATE team_members SET role = ? WHERE team_id = ? AND user_id = ?";
const DELETE_MEMBER: &str = "DELETE FROM team_members WHERE team_id = ? AND user_id = ?";
const SELECT_USER_EMAIL: &str = "SELECT email FROM users WHERE id = ?";
const INSERT_INVITATION: &str = "\
    INSERT INTO team_invitations (id, team_id, email, role, token_hash, invited_by, created_at, expires_at) \
    VALUES (?, ?, ?, ?, ?, ?, ?, ?)";
const SELECT_INVITATION: &str = concat!(
    "SELECT ",
    invitation_columns!(),
    " FROM team_invitations i WHERE i.id = ?"
);
const SELECT_INVITATION_BY_TOKEN_HASH: &str = concat!(
    "SELECT ",
    invitation_columns!(),
    " FROM team_invitations i WHERE i.token_hash = ?"
);
/// A team's invitations still open (not accepted, not expired), newest first.
const SELECT_PENDING_INVITATIONS: &str = concat!(
    "SELECT ",
    invitation_columns!(),
    " FROM team_invitations i WHERE i.team_id = ? AND i.accepted_at IS NULL AND i.expires_at > ?",
    " ORDER BY i.created_at DESC, i.id LIMIT ? OFFSET ?"
);
const COUNT_PENDING_INVITATIONS: &str = "\
    SELECT COUNT(*) FROM team_invitations WHERE team_id = ? AND accepted_at IS NULL AND expires_at > ?";
/// Only an invitation still open can be cancelled.
const DELETE_PENDING_INVITATION: &str = "\
    DELETE FROM team_invitations WHERE id = ? AND team_id = ? AND accepted_at IS NULL RETURNING email";
const MARK_INVITATION_ACCEPTED: &str = "\
    UPDATE team_invitations SET accepted_at = ?, accepted_by = ? WHERE id = ? AND accepted_at IS NULL";
/// `?` pairs: a NULL filter matches everything. Newest first by id (the cursor).
macro_rules! audit_filters {
    () => {
        " WHERE a.team_id = ? \
         AND (? IS NULL OR a.action = ?) \
         AND (? IS NULL OR a.target_type = ?) \
         AND (? IS NULL OR a.target_id = ?) \
         AND (? IS NULL OR a.user_id = ?) \
         AND (? IS NULL OR a.created_at >= ?) \
         AND (? IS NULL OR a.created_at <= ?) \
         AND (? IS NULL OR a.id < ?)"
    };
}
/// With the actor's name and the request's client, when known.
const SELECT_AUDIT_PAGE: &str = concat!(
    "SELECT a.id, a.team_id, a.user_id, a.action, a.target_type, a.target_id, a.details, \
     a.request_id, a.created_at, u.name, c.ip_address, c.user_agent \
     FROM audit_log a LEFT JOIN users u ON u.id = a.user_id \
     LEFT JOIN audit_clients c ON c.audit_id = a.id",
    audit_filters!(),
    " ORDER BY a.id DESC LIMIT ? OFFSET ?"
);
const COUNT_AUDIT: &str = concat!("SELECT COUNT(*) FROM audit_log a", audit_filters!());

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn count(
    db: &Connection,
    context: &'static str,
    sql: &str,
    params: &[Value],
) -> Result<i64, ApiError> {
    let result = db::execute(db, context, sql, params)?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| ApiError::internal(format!("{context}: no row")))?;
    db::int(row, 0, "count")
}

/// The teams the user belongs to, with their role, oldest first.
pub fn teams_of_user(db: &Connection, user_id: &str) -> Result<Vec<Team>, ApiError> {
    let result = db::execute(
        db,
        "selecting teams of user",
        SELECT_TEAMS_OF_USER,
        &[text(user_id)],
    )?;
    result.rows.iter().map(Team::try_from).collect()
}

/// The team with the user's role in it, or `None` if they are not a member
/// (or there is no such team: the caller cannot tell which).
pub fn team_of_member(
    db: &Connection,
    team_id: &str,
    user_id: &str,
) -> Result<Option<Team>, ApiError> {
    let result = db::execute(
        db,
        "selecting team of member",
        SELECT_TEAM_OF_MEMBER,
        &[text(team_id), text(user_id)],
    )?;
    result.rows.first().map(Team::try_from).transpose()
}

/// Creates a (non-personal) team with its creator as owner.
pub fn create_team(
    db: &Connection,
    team_id: &str,
    name: &str,
    user_id: &str,
    request_id: &str,
) -> Result<Team, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        db::execute(
            db,
            "inserting team",
            INSERT_TEAM,
            &[
                text(team_id),
                text(name),
                text(user_id),
                Value::Integer(now),
            ],
        )?;
        db::execute(
            db,
            "inserting owner membership",
            INSERT_MEMBER,
            &[
                text(team_id),
                text(user_id),
                text("owner"),
                Value::Integer(now),
            ],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(team_id),
                user_id: Some(user_id),
                action: "team.create",
                target_type: "team",
                target_id: team_id,
                details: json!({ "name": name }),
                request_id,
            },
        )
    })?;
    team_of_member(db, team_id, user_id)?
        .ok_or_else(|| ApiError::internal("created team has no owner row"))
}

/// Renames the team.
pub fn rename_team(
    db: &Connection,
    team: &Team,
    name: &str,
    user_id: &str,
    request_id: &str,
) -> Result<Team, ApiError> {
    db::transaction(db, |db| {
        db::execute(
            db,
            "renaming team",
            UPDATE_TEAM_NAME,
            &[text(name), text(&team.id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(&team.id),
                user_id: Some(user_id),
                action: "team.rename",
                target_type: "team",
                target_id: &team.id,
                details: json!({ "from": team.name, "to": name }),
                request_id,
            },
        )
    })?;
    team_of_member(db, &team.id, user_id)?
        .ok_or_else(|| ApiError::internal("renamed team vanished"))
}

/// A page of the team's members, longest-standing first, and the total.
pub fn members(
    db: &Connection,
    team_id: &str,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Member>, i64), ApiError> {
    let result = db::execute(
        db,
        "selecting members",
        SELECT_MEMBERS,
        &[text(team_id), Value::Integer(limit), Value::Integer(offset)],
    )?;
    let members = result
        .rows
        .iter()
        .map(Member::try_from)
        .collect::<Result<_, _>>()?;
    let total = count(db, "counting members", COUNT_MEMBERS, &[text(team_id)])?;
    Ok((members, total))
}

/// One member of the team.
pub fn member(db: &Connection, team_id: &str, user_id: &str) -> Result<Option<Member>, ApiError> {
    let result = db::execute(
        db,
        "selecting member",
        SELECT_MEMBER,
        &[text(team_id), text(user_id)],
    )?;
    result.rows.first().map(Member::try_from).transpose()
}

/// The team's open invitations (never their token hashes) and how many.
pub fn pending_invitations(
    db: &Connection,
    team_id: &str,
    now: i64,
    limit: i64,
    offset: i64,
) -> Result<(Vec<Invitation>, i64), ApiError> {
    let result = db::execute(
        db,
        "selecting invitations",
        SELECT_PENDING_INVITATIONS,
        &[
            text(team_id),
            Value::Integer(now),
            Value::Integer(limit),
            Value::Integer(offset),
        ],
    )?;
    let invitations = result
        .rows
        .iter()
        .map(Invitation::try_from)
        .collect::<Result<_, _>>()?;
    let total = count(
        db,
        "counting invitations",
        COUNT_PENDING_INVITATIONS,
        &[text(team_id), Value::Integer(now)],
    )?;
    Ok((invitations, total))
}

/// Cancels an open invitation of the team, audited; 404 when there is none
/// (unknown, another team's, or already accepted).
pub fn cancel_invitation(
    db: &Connection,
    team_id: &str,
    id: &str,
    user_id: &str,
    request_id: &str,
) -> Result<(), ApiError> {
    db::transaction(db, |db| {
        let deleted = db::execute(
            db,
            "cancelling invitation",
            DELETE_PENDING_INVITATION,
            &[text(id), text(team_id)],
        )?;
        let Some(row) = deleted.rows.first() else {
            return Err(invitation_not_found());
        };
        let email = db::text(row, 0, "team_invitations.email")?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(team_id),
                user_id: Some(user_id),
                action: "invitation.cancel",
                target_type: "invitation",
                target_id: id,
                details: json!({ "email": email }),
                request_id,
            },
        )
    })
}

pub fn invitation_not_found() -> ApiError {
    ApiError::not_found("invitation_not_found", "No open invitation with this id")
}

/// How many profiles a team has, and the plan it is on (no billing row:
/// free), for the published dashboard's team page.
pub fn profile_count_and_plan(db: &Connection, team_id: &str) -> Result<(i64, String), ApiError> {
    let row = db::one_row(
        db,
        "counting team profiles",
        SELECT_PROFILE_COUNT_AND_PLAN,
        &[text(team_id)],
    )?;
    Ok((
        db::int(&row, 0, "profile_count")?,
        db::text(&row, 1, "team_billing.plan")?,
    ))
}

/// The (normalised) email of a user.
pub fn user_email(db: &Connection, user_id: &str) -> Result<String, ApiError> {
    let result = db::execute(
        db,
        "selecting user email",
        SELECT_USER_EMAIL,
        &[text(user_id)],
    )?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| ApiError::internal(format!("authenticated user {user_id} has no row")))?;
    db::text(row, 0, "users.email")
}

/// An invitation to create.
pub struct NewInvitation<'a> {
    pub id: &'a str,
    pub team_id: &'a str,
    pub email: &'a str,
    pub role: Role,
    pub token_hash: &'a str,
    pub invited_by: &'a str,
    pub expires_at: i64,
}

/// Records an invitation (the token's hash only). 409 if the address is
/// already a member, or if the team already has as many members as its plan
/// allows (`plan_limit_reached`: it could not be accepted).
pub fn create_invitation(
    db: &Connection,
    inv: &NewInvitation<'_>,
    request_id: &str,
) -> Result<Invitation, ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let existing = db::execute(
            db,
            "selecting member by email",
            SELECT_MEMBER_BY_EMAIL,
            &[text(inv.team_id), text(inv.email)],
        )?;
        if !existing.rows.is_empty() {
            return Err(ApiError::conflict(
                "already_member",
                "A user with this email address is already a member of the team",
            ));
        }
        let members = count(db, "counting members", COUNT_MEMBERS, &[text(inv.team_id)])?;
        plans::store::check(db, inv.team_id, plans::Limit::Members, members)?;
        db::execute(
            db,
            "inserting invitation",
            INSERT_INVITATION,
            &[
                text(inv.id),
                text(inv.team_id),
                text(inv.email),
                text(inv.role.as_str()),
                text(inv.token_hash),
                text(inv.invited_by),
                Value::Integer(now),
                Value::Integer(inv.expires_at),
            ],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(inv.team_id),
                user_id: Some(inv.invited_by),
                action: "invitation.create",
                target_type: "invitation",
                target_id: inv.id,
                details: json!({ "email": inv.email, "role": inv.role.as_str(), "expiresAt": inv.expires_at }),
                request_id,
            },
        )
    })?;
    let result = db::execute(
        db,
        "selecting invitation",
        SELECT_INVITATION,
        &[text(inv.id)],
    )?;
    let row = result
        .rows
        .first()
        .ok_or_else(|| ApiError::internal("created invitation vanished"))?;
    Invitation::try_from(row)
}

/// Accepts the invitation with this token hash for the user (whose email
/// must be the invited one): single use, before it expires, while the team
/// has room on its plan (409 `plan_limit_reached`; the invitation stays
/// usable once there is room). Enqueues the webhook event `member.joined`
/// and returns its deliveries, to attempt after the commit.
pub fn accept_invitation(
    db: &Connection,
    token_hash: &str,
    user_id: &str,
    user_email: &str,
    request_id: &str,
) -> Result<(Invitation, Vec<String>), ApiError> {
    let now = edge::time::now_ms();
    db::transaction(db, |db| {
        let result = db::execute(
            db,
            "selecting invitation by token",
            SELECT_INVITATION_BY_TOKEN_HASH,
            &[text(token_hash)],
        )?;
        let Some(row) = result.rows.first() else {
            return Err(ApiError::not_found(
                "invitation_not_found",
                "No invitation with this token",
            ));
        };
        let inv = Invitation::try_from(row)?;
        if inv.accepted_at.is_some() {
            return Err(ApiError::conflict(
                "invitation_used",
                "This invitation has already been accepted",
            ));
        }
        if inv.expires_at <= now {
            return Err(ApiError::conflict(
                "invitation_expired",
                "This invitation has expired; ask for a new one",
            ));
        }
        if inv.email != user_email {
            return Err(ApiError::forbidden(
                "invitation_email_mismatch",
                "This invitation is for another email address",
            ));
        }
        if member(db, &inv.team_id, user_id)?.is_some() {
            return Err(ApiError::conflict(
                "already_member",
                "You are already a member of this team",
            ));
        }
        let members = count(db, "counting members", COUNT_MEMBERS, &[text(&inv.team_id)])?;
        plans::store::check(db, &inv.team_id, plans::Limit::Members, members)?;
        db::execute(
            db,
            "inserting member",
            INSERT_MEMBER,
            &[
                text(&inv.team_id),
                text(user_id),
                text(inv.role.as_str()),
                Value::Integer(now),
            ],
        )?;
        db::execute(
            db,
            "marking invitation accepted",
            MARK_INVITATION_ACCEPTED,
            &[Value::Integer(now), text(user_id), text(&inv.id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(&inv.team_id),
                user_id: Some(user_id),
                action: "invitation.accept",
                target_type: "member",
                target_id: user_id,
                details: json!({ "invitationId": inv.id, "email": inv.email, "role": inv.role.as_str() }),
                request_id,
            },
        )?;
        // Announced to the team's webhooks, in this same transaction.
        let deliveries = webhooks::outbox::enqueue(
            db,
            &inv.team_id,
            webhooks::Event::MemberJoined,
            json!({
                "userId": user_id,
                "email": inv.email,
                "role": inv.role.as_str(),
                "invitationId": inv.id,
                "invitedBy": inv.invited_by,
            }),
        )?;
        Ok((
            Invitation {
                accepted_at: Some(now),
                ..inv
            },
            deliveries,
        ))
    })
}

/// Changes a member's role; the rules of [`permissions::check_role_change`]
/// are applied against the rows inside the transaction.
pub fn change_role(
    db: &Connection,
    team_id: &str,
    actor: (&str, Role),
    target_user_id: &str,
    to: Role,
    request_id: &str,
) -> Result<Member, ApiError> {
    db::transaction(db, |db| {
        let target = member(db, team_id, target_user_id)?.ok_or_else(member_not_found)?;
        let owners = count(db, "counting owners", COUNT_OWNERS, &[text(team_id)])?;
        permissions::check_role_change(actor.1, target.role, to, owners)?;
        if target.role == to {
            return Ok(target);
        }
        db::execute(
            db,
            "updating member role",
            UPDATE_MEMBER_ROLE,
            &[text(to.as_str()), text(team_id), text(target_user_id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(team_id),
                user_id: Some(actor.0),
                action: "member.role_change",
                target_type: "member",
                target_id: target_user_id,
                details: json!({ "from": target.role.as_str(), "to": to.as_str() }),
                request_id,
            },
        )?;
        Ok(Member { role: to, ..target })
    })
}

/// Removes a member (or the actor leaves); the rules of
/// [`permissions::check_removal`] are applied inside the transaction.
pub fn remove_member(
    db: &Connection,
    team_id: &str,
    actor: (&str, Role),
    target_user_id: &str,
    request_id: &str,
) -> Result<Member, ApiError> {
    db::transaction(db, |db| {
        let target = member(db, team_id, target_user_id)?.ok_or_else(member_not_found)?;
        let owners = count(db, "counting owners", COUNT_OWNERS, &[text(team_id)])?;
        let leaving = actor.0 == target_user_id;
        permissions::check_removal(actor.1, leaving, target.role, owners)?;
        db::execute(
            db,
            "deleting member",
            DELETE_MEMBER,
            &[text(team_id), text(target_user_id)],
        )?;
        db::audit(
            db,
            &AuditEntry {
                team_id: Some(team_id),
                user_id: Some(actor.0),
                action: if leaving {
                    "member.leave"
                } else {
                    "member.remove"
                },
                target_type: "member",
                target_id: target_user_id,
                details: json!({ "role": target.role.as_str(), "email": target.email }),
                request_id,
            },
        )?;
        Ok(target)
    })
}

fn member_not_found() -> ApiError {
    ApiError::not_found(
        "member_not_found",
        "No member with this user id in the team",
    )
}

/// What `GET /api/audit` filters by; `None` matches everything.
#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub team_id: String,
    pub action: Option<String>,
    pub target_type: Option<String>,
    pub target_id: Option<String>,
    pub user_id: Option<String>,
    pub from: Option<i64>,
    pub to: Option<i64>,
    /// Entries with a smaller id than this (the previous page's last).
    pub before_id: Option<i64>,
    pub limit: i64,
    /// Entries skipped first (page numbers; 0 with a cursor).
    pub offset: i64,
}

/// Up to `limit` entries of the team, newest first.
pub fn audit_page(db: &Connection, f: &AuditFilter) -> Result<Vec<AuditRecord>, ApiError> {
    let mut params = audit_params(f);
    params.push(Value::Integer(f.limit));
    params.push(Value::Integer(f.offset));
    let result = db::execute(db, "selecting audit page", SELECT_AUDIT_PAGE, &params)?;
    result.rows.iter().map(AuditRecord::try_from).collect()
}

/// How many entries match `f` (its page and cursor aside).
pub fn audit_total(db: &Connection, f: &AuditFilter) -> Result<i64, ApiError> {
    let unpaged = AuditFilter {
        before_id: None,
        ..f.clone()
    };
    count(
        db,
        "counting audit entries",
        COUNT_AUDIT,
        &audit_params(&unpaged),
    )
}

fn audit_params(f: &AuditFilter) -> Vec<Value> {
    let t = |v: &Option<String>| db::nullable_text(v.as_deref());
    let i = |v: Option<i64>| v.map_or(Value::Null, Value::Integer);
    vec![
        text(&f.team_id),
        t(&f.action),
        t(&f.action),
        t(&f.target_type),
        t(&f.target_type),
        t(&f.target_id),
        t(&f.target_id),
        t(&f.user_id),
        t(&f.user_id),
        i(f.from),
        i(f.from),
        i(f.to),
        i(f.to),
        i(f.before_id),
        i(f.before_id),
    ]
}
