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
}
