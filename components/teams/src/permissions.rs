//! The one table of what each team role may do. Roles are ordered
//! (viewer < member < admin < owner) and every permission names the least
//! role that holds it: viewers read, members launch and sync, admins manage
//! members, keys, proxies, webhooks and force-release (and read the audit
//! log, rename the team), owners manage billing.

use edge::ApiError;

/// A role in a team, least to most powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Viewer,
    Member,
    Admin,
    Owner,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Member, Role::Admin, Role::Owner];

    /// The API / column name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Admin => "admin",
            Role::Owner => "owner",
        }
    }

    /// From the API / column name (exact, lowercase).
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Whether this role holds `permission`.
    pub fn can(self, permission: Permission) -> bool {
        self >= permission.least_role()
    }

    /// The identity provider's role.
    pub fn from_principal(role: platform_bindings::TeamRole) -> Self {
        use platform_bindings::TeamRole;
        match role {
            TeamRole::Owner => Role::Owner,
            TeamRole::Admin => Role::Admin,
            TeamRole::Member => Role::Member,
            TeamRole::Viewer => Role::Viewer,
        }
    }
}

/// Everything a team role can be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the team, its members, profiles, groups, proxies (without secrets).
    Read,
    /// Launch profiles (take and renew launch locks).
    Launch,
    /// Sync profiles: create, edit, delete profiles, groups, tags.
    Sync,
    /// Invite, remove members and change their roles.
    ManageMembers,
    /// Manage the team's API keys.
    ManageKeys,
    /// Create, edit and delete the team's proxies.
    ManageProxies,
    /// Take a launch lock away from its holder.
    ForceRelease,
    /// Rename the team.
    ManageTeam,
    /// Read the team's audit log.
    ViewAudit,
    /// Create, change and delete the team's outbound webhooks, see and
    /// retry their deliveries.
    ManageWebhooks,
    /// Change the plan and payment details.
    ManageBilling,
}

impl Permission {
    pub const ALL: [Permission; 11] = [
        Permission::Read,
        Permission::Launch,
        Permission::Sync,
        Permission::ManageMembers,
        Permission::ManageKeys,
        Permission::ManageProxies,
        Permission::ForceRelease,
        Permission::ManageTeam,
        Permission::ViewAudit,
        Permission::ManageWebhooks,
        Permission::ManageBilling,
    ];

    /// The table: the least role holding each permission.
    pub const fn least_role(self) -> Role {
        match self {
            Permission::Read => Role::Viewer,
            Permission::Launch | Permission::Sync => Role::Member,
            Permission::ManageMembers
            | Permission::ManageKeys
            | Permission::ManageProxies
            | Permission::ForceRelease
            | Permission::ManageTeam
            | Permission::ViewAudit
            | Permission::ManageWebhooks => Role::Admin,
            Permission::ManageBilling => Role::Owner,
        }
    }

    /// Short description, for error messages.
    pub fn describe(self) -> &'static str {
        match self {
            Permission::Read => "read the team",
            Permission::Launch => "launch profiles",
            Permission::Sync => "sync profiles",
            Permission::ManageMembers => "manage members",
            Permission::ManageKeys => "manage API keys",
            Permission::ManageProxies => "manage proxies",
            Permission::ForceRelease => "force-release launch locks",
            Permission::ManageTeam => "rename the team",
            Permission::ViewAudit => "read the audit log",
            Permission::ManageWebhooks => "manage webhooks",
            Permission::ManageBilling => "manage billing",
        }
    }
}

/// 403 `insufficient_role` unless `role` holds `permission`.
pub fn require(role: Role, permission: Permission) -> Result<(), ApiError> {
    if role.can(permission) {
        Ok(())
    } else {
        Err(ApiError::forbidden(
            "insufficient_role",
            format!(
                "Your role ({}) cannot {}: it needs {} or above",
                role.as_str(),
                permission.describe(),
                permission.least_role().as_str()
            ),
        ))
    }
}

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

    /// The whole table, role by role: (permission, viewer, member, admin, owner).
    const EXPECTED: &[(Permission, [bool; 4])] = &[
        (Permission::Read, [true, true, true, true]),
        (Permission::Launch, [false, true, true, true]),
        (Permission::Sync, [false, true, true, true]),
        (Permission::ManageMembers, [false, false, true, true]),
        (Permission::ManageKeys, [false, false, true, true]),
        (Permission::ManageProxies, [false, false, true, true]),
        (Permission::ForceRelease, [false, false, true, true]),
        (Permission::ManageTeam, [false, false, true, true]),
        (Permission::ViewAudit, [false, false, true, true]),
        (Permission::ManageWebhooks, [false, false, true, true]),
        (Permission::ManageBilling, [false, false, false, true]),
    ];

    #[test]
    fn every_permission_role_by_role() {
        assert_eq!(EXPECTED.len(), Permission::ALL.len());
        for (permission, allowed) in EXPECTED {
            for (role, expected) in Role::ALL.iter().zip(allowed) {
                assert_eq!(
                    role.can(*permission),
                    *expected,
                    "{} / {permission:?}",
                    role.as_str()
                );
                assert_eq!(require(*role, *permission).is_ok(), *expected);
            }
        }
    }

    #[test]
    fn refusals_are_403_naming_the_role_needed() {
        let err = require(Role::Viewer, Permission::ManageMembers).expect_err("refused");
        assert_eq!(err.status(), 403);
        assert_eq!(err.code(), "insufficient_role");
    }

    #[test]
    fn roles_round_trip_and_are_ordered() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("Owner"), None);
        assert_eq!(Role::parse("superuser"), None);
        assert!(Role::Viewer < Role::Member && Role::Member < Role::Admin);
        assert!(Role::Admin < Role::Owner);
    }

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
