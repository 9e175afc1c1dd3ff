//! The built-in roles a user or group is given. The list lives here, below the engine, because
//! the pages' role pickers run in the browser too; what each role may do is the engine's
//! (`engine::identity::policy::of_role`).

/// A built-in role; its name is how it is stored and shown.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Role {
    Admin,
    Editor,
    Approver,
    Viewer,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Admin, Role::Editor, Role::Approver, Role::Viewer];

    /// `ALL`'s names, in the same order, for pickers.
    pub const NAMES: [&'static str; 4] = {
        let mut names = [""; 4];
        let mut i = 0;
        while i < names.len() {
            names[i] = Role::ALL[i].name();
            i += 1;
        }
        names
    };

    pub const fn name(self) -> &'static str {
        match self {
            Role::Admin => "Admin",
            Role::Editor => "Editor",
            Role::Approver => "Approver",
            Role::Viewer => "Viewer",
        }
    }

    /// The role of that name, in any case (`admin` is Admin).
    pub fn parse(name: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|role| role.name().eq_ignore_ascii_case(name))
    }
}

impl std::fmt::Display for Role {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_parse_back_in_any_case() {
        assert_eq!(Role::NAMES, ["Admin", "Editor", "Approver", "Viewer"]);
        for role in Role::ALL {
            assert_eq!(Role::parse(&role.name().to_ascii_uppercase()), Some(role));
        }
        assert_eq!(Role::parse("Owner"), None);
    }
}
