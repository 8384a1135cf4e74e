//! The team component's own rules on top of the shared permission table
//! (crates/roles): who may grant, take away or remove the owner role, and
//! that a team keeps at least one owner.

use edge::ApiError;
use roles::{Permission, Role, require};

/// Whether `actor` (already admin or above) may change a member's role from
/// `from` to `to` in a team that has `owners` owners: granting or taking
/// away the owner role takes an owner (403), and the last owner cannot be
/// demoted (409).
pub fn check_role_change(actor: Role, from: Role, to: Role, owners: i64) -> Result<(), ApiError> {
    require(actor, Permission::ManageMembers)?;
    if (from == Role::Owner || to == Role::Owner) && from != to && actor != Role::Owner {
        return Err(owner_only());
    }
    if from == Role::Owner && to != Role::Owner && owners <= 1 {
        return Err(last_owner());
    }
    Ok(())
}

/// Whether `actor` may remove a member whose role is `target` (or leave,
/// when `leaving`) in a team that has `owners` owners: anyone may leave,
/// removing someone else takes admin, removing an owner takes an owner, and
/// the last owner can neither leave nor be removed (409).
pub fn check_removal(
    actor: Role,
    leaving: bool,
    target: Role,
    owners: i64,
) -> Result<(), ApiError> {
    if !leaving {
        require(actor, Permission::ManageMembers)?;
        if target == Role::Owner && actor != Role::Owner {
            return Err(owner_only());
        }
    }
    if target == Role::Owner && owners <= 1 {
        return Err(last_owner());
    }
    Ok(())
}

/// Whether `actor` may invite someone with `role`: admins invite, only
/// owners grant the owner role.
pub fn check_invitation(actor: Role, role: Role) -> Result<(), ApiError> {
    require(actor, Permission::ManageMembers)?;
    if role == Role::Owner && actor != Role::Owner {
        return Err(owner_only());
    }
    Ok(())
}

fn owner_only() -> ApiError {
    ApiError::forbidden(
        "owner_role_requires_owner",
        "Only an owner can grant, take away or remove the owner role",
    )
}

fn last_owner() -> ApiError {
    ApiError::conflict(
        "last_owner",
        "A team must keep at least one owner: make another member owner first",
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use roles::Role;

    #[test]
    fn owner_role_changes_take_an_owner_and_keep_one() {
        use Role::*;
        assert!(check_role_change(Admin, Member, Viewer, 1).is_ok());
        assert!(check_role_change(Admin, Viewer, Admin, 1).is_ok());
        assert_eq!(
            check_role_change(Member, Viewer, Member, 1)
                .expect_err("")
                .status(),
            403
        );
        assert_eq!(
            check_role_change(Admin, Member, Owner, 1)
                .expect_err("")
                .code(),
            "owner_role_requires_owner"
        );
        assert_eq!(
            check_role_change(Admin, Owner, Admin, 2)
                .expect_err("")
                .code(),
            "owner_role_requires_owner"
        );
        assert!(check_role_change(Owner, Member, Owner, 1).is_ok());
        assert!(check_role_change(Owner, Owner, Admin, 2).is_ok());
        assert_eq!(
            check_role_change(Owner, Owner, Admin, 1)
                .expect_err("")
                .code(),
            "last_owner"
        );
        assert!(check_role_change(Owner, Owner, Owner, 1).is_ok());
    }

    #[test]
    fn removal_and_leaving_rules() {
        use Role::*;
        assert!(check_removal(Viewer, true, Viewer, 1).is_ok());
        assert!(check_removal(Owner, true, Owner, 2).is_ok());
        assert_eq!(
            check_removal(Owner, true, Owner, 1).expect_err("").code(),
            "last_owner"
        );
        assert_eq!(
            check_removal(Member, false, Viewer, 1)
                .expect_err("")
                .code(),
            "insufficient_role"
        );
        assert!(check_removal(Admin, false, Member, 1).is_ok());
        assert_eq!(
            check_removal(Admin, false, Owner, 2).expect_err("").code(),
            "owner_role_requires_owner"
        );
        assert!(check_removal(Owner, false, Owner, 2).is_ok());
    }

    #[test]
    fn invitations_take_admin_and_owner_grants_take_owner() {
        use Role::*;
        assert!(check_invitation(Admin, Member).is_ok());
        assert!(check_invitation(Admin, Admin).is_ok());
        assert_eq!(
            check_invitation(Member, Viewer).expect_err("").status(),
            403
        );
        assert_eq!(
            check_invitation(Admin, Owner).expect_err("").code(),
            "owner_role_requires_owner"
        );
        assert!(check_invitation(Owner, Owner).is_ok());
    }
}
