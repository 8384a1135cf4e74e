//! One module per resource. A handler authenticates through the `identity`
//! dependency, finds the caller's membership of the team in the path (not a
//! member: 404, whatever the reason), checks the permission table, parses its
//! input into domain types, calls the persistence layer and builds the view.

pub mod audit;
pub mod health;
pub mod hooks;
pub mod invitations;
pub mod members;
pub mod teams;

use edge::db::Connection;
use edge::{ApiError, Ctx, FieldError};

use crate::models::Team;
use crate::persistence;
use roles::{Permission, Role};

/// Collects field parse results into one 422 naming every invalid field.
pub(crate) fn all_valid(errors: Vec<Option<FieldError>>) -> Result<(), ApiError> {
    let errors: Vec<FieldError> = errors.into_iter().flatten().collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::validation(errors))
    }
}

/// Collects query-parameter parse results into one 400 naming every invalid
/// parameter (query parameters are 400 everywhere in the API, bodies 422).
pub(crate) fn all_valid_query(errors: Vec<Option<FieldError>>) -> Result<(), ApiError> {
    all_valid(errors).map_err(ApiError::into_invalid_input)
}

/// Whether `s` has the shape of our ids (32 lowercase hex characters).
pub(crate) fn is_id(s: &str) -> bool {
    s.len() == 32
        && s.bytes()
            .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
}

/// `?limit=&offset=` of a team's lists (limit 1-100, default 50): 400
/// naming a bad one.
pub(crate) fn page_query(ctx: &Ctx) -> Result<(i64, i64), ApiError> {
    let limit = int_query(ctx, "limit", Some(50), 1, 100);
    let offset = int_query(ctx, "offset", Some(0), 0, i64::from(i32::MAX));
    all_valid_query(vec![
        limit.as_ref().err().cloned(),
        offset.as_ref().err().cloned(),
    ])?;
    match (limit, offset) {
        (Ok(Some(limit)), Ok(Some(offset))) => Ok((limit, offset)),
        _ => Err(ApiError::internal(
            "validation passed but a field did not parse",
        )),
    }
}

pub(crate) fn team_not_found() -> ApiError {
    ApiError::not_found("team_not_found", "No team with this id")
}

/// The team `:id` with the caller's role in it, if the caller's role holds
/// `permission`: 404 when the caller is not a member, 403 when the role is
/// too low.
pub(crate) fn team_for(
    ctx: &Ctx,
    db: &Connection,
    user_id: &str,
    permission: Permission,
) -> Result<(Team, Role), ApiError> {
    let id = ctx.param("id")?;
    if !is_id(id) {
        return Err(team_not_found());
    }
    let team = persistence::team_of_member(db, id, user_id)?.ok_or_else(team_not_found)?;
    let role = Role::parse(team.role).ok_or_else(|| ApiError::internal("team role"))?;
    roles::require(role, permission)?;
    Ok((team, role))
}

/// A team name: trimmed, 1-100 characters, no control characters.
pub(crate) fn parse_team_name(field: &str, raw: &str) -> Result<String, FieldError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(FieldError::new(field, "must not be empty"));
    }
    if name.chars().count() > 100 {
        return Err(FieldError::new(field, "must be at most 100 characters"));
    }
    if name.chars().any(char::is_control) {
        return Err(FieldError::new(
            field,
            "must not contain control characters",
        ));
    }
    Ok(name.to_owned())
}

/// A role from the API: `owner`, `admin`, `member` or `viewer`.
pub(crate) fn parse_role(field: &str, raw: &str) -> Result<Role, FieldError> {
    Role::parse(raw.trim()).ok_or_else(|| {
        FieldError::new(
            field,
            "must be \"owner\", \"admin\", \"member\" or \"viewer\"",
        )
    })
}

/// An integer query parameter within `min..=max`, or `default` if absent.
pub(crate) fn int_query(
    ctx: &Ctx,
    name: &str,
    default: Option<i64>,
    min: i64,
    max: i64,
) -> Result<Option<i64>, FieldError> {
    match ctx.query(name) {
        None => Ok(default),
        Some(raw) => match raw.trim().parse::<i64>() {
            Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
            _ => Err(FieldError::new(
                name,
                format!("must be an integer from {min} to {max}"),
            )),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn team_names_and_roles_are_validated() {
        assert_eq!(parse_team_name("name", "  QA  ").expect("ok"), "QA");
        assert!(parse_team_name("name", "   ").is_err());
        assert!(parse_team_name("name", &"x".repeat(101)).is_err());
        assert!(parse_team_name("name", "a\nb").is_err());
        assert_eq!(parse_role("role", "admin").expect("ok"), Role::Admin);
        assert_eq!(parse_role("role", "root").expect_err("bad").field, "role");
    }

    #[test]
    fn ids_are_32_lowercase_hex() {
        assert!(is_id("0123456789abcdef0123456789abcdef"));
        assert!(!is_id("0123456789ABCDEF0123456789ABCDEF"));
        assert!(!is_id("invitations"));
    }
}
