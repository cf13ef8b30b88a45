//! Staff accounts: roles and what each role may do.

use super::choice::choice_enum;

choice_enum!(
    /// What a signed-in person is allowed to do. Least privilege: each page names the roles it admits.
    Role {
        /// Everything, including user management and badge re-issue.
        Admin = "admin": "Admin",
        /// Events, attendees, leads and campaigns.
        Marketer = "marketer": "Marketer",
        /// Door devices and the live operations view.
        Staff = "staff": "Staff",
        /// Their own leads only.
        Sales = "sales": "Sales",
    }
    unknown(raw) => format!("unknown role '{raw}' (admin, marketer, staff or sales)");
);

/// A login name: 3 to 64 characters of letters, digits, `.`, `_`, `-` or `@`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Username(String);

impl Username {
    pub fn parse(raw: &str) -> Result<Username, String> {
        let s = raw.trim().to_ascii_lowercase();
        if s.len() < 3 || s.len() > 64 {
            return Err("must be 3 to 64 characters".into());
        }
        if !s
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-' | '@'))
        {
            return Err("may only contain letters, digits, '.', '_', '-' and '@'".into());
        }
        Ok(Username(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Minimum password rules: long enough to matter, short enough to hash quickly.
pub fn check_password(pw: &str) -> Result<(), String> {
    let n = pw.chars().count();
    if n < 10 {
        return Err("must be at least 10 characters".into());
    }
    if n > 256 {
        return Err("must be at most 256 characters".into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()).unwrap(), r);
        }
        assert!(Role::parse("root").is_err());
    }

    #[test]
    fn usernames_are_normalised_and_checked() {
        assert_eq!(Username::parse(" Ada ").unwrap().as_str(), "ada");
        assert!(Username::parse("ab").is_err());
        assert!(Username::parse("a b c").is_err());
    }

    #[test]
    fn passwords_need_length() {
        assert!(check_password("short").is_err());
        assert!(check_password("long enough pass").is_ok());
    }
}
