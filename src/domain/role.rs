//! Roles and what each may do: the one place that answers "may this user do that?".

use super::Invalid;

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, diesel::expression::AsExpression, diesel::deserialize::FromSqlRow)]
#[diesel(sql_type = diesel::sql_types::Text)]
pub enum Role {
    Admin,
    Manager,
    Logistics,
    Viewer,
}

/// Something a route needs the user to be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read campaigns, materials, locations, stock and reports.
    Read,
    /// Create and edit campaigns, materials, locations, regions and location types.
    ManageReference,
    /// Add users, change roles, disable, reset passwords, end sessions.
    ManageUsers,
    /// Read the audit log.
    ReadAudit,
    /// Record receipts, shipments, deliveries and adjustments.
    RecordStock,
    /// Write the allocation plan.
    ManageTargets,
}

super::stored_as_text!(Role);

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Manager, Role::Logistics, Role::Viewer];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Manager => "manager",
            Role::Logistics => "logistics",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, Invalid> {
        match raw.trim() {
            "admin" => Ok(Role::Admin),
            "manager" => Ok(Role::Manager),
            "logistics" => Ok(Role::Logistics),
            "viewer" => Ok(Role::Viewer),
            "" => Err(Invalid::new("err.required")),
            _ => Err(Invalid::new("err.unknown_choice")),
        }
    }

    pub fn can(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::Admin => true,
            Role::Manager => matches!(permission, Read | ReadAudit | ManageTargets),
            Role::Logistics => matches!(permission, Read | RecordStock),
            Role::Viewer => matches!(permission, Read),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_round_trips() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Ok(role));
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn only_admin_manages_users_and_reference_data() {
        for role in [Role::Manager, Role::Logistics, Role::Viewer] {
            assert!(!role.can(Permission::ManageUsers));
            assert!(!role.can(Permission::ManageReference));
            assert!(role.can(Permission::Read));
        }
        assert!(Role::Admin.can(Permission::ManageUsers));
        assert!(Role::Manager.can(Permission::ReadAudit));
        assert!(!Role::Logistics.can(Permission::ReadAudit));
        assert!(Role::Logistics.can(Permission::RecordStock));
        assert!(!Role::Viewer.can(Permission::RecordStock));
    }
}
