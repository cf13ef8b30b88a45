//! `Email`: an address that has been checked and normalised once, at the edge.

use std::fmt;

/// A syntactically valid email address, trimmed and lower-cased. Local parts are
/// case-sensitive in theory but not at any mail provider people use, and treating
/// `Ada@` and `ada@` as two attendees would create duplicates.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("is required".into());
        }
        if s.len() > 254 {
            return Err("is too long".into());
        }
        if !email_address::EmailAddress::is_valid(s) {
            return Err("is not a valid email address".into());
        }
        // Display names and comments are valid RFC 5322 but never what a person types here.
        if s.contains(['<', '>', ' ', '"', '(', ')', ',']) {
            return Err("is not a valid email address".into());
        }
        let (local, domain) = s.rsplit_once('@').ok_or("is not a valid email address")?;
        if !domain.contains('.') {
            return Err("needs a domain such as example.com".into());
        }
        Ok(Email(format!("{local}@{domain}").to_lowercase()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The address with most of the local part hidden, for logs.
    pub fn masked(&self) -> String {
        let (local, domain) = self.0.rsplit_once('@').unwrap_or((&self.0, ""));
        let first = local.chars().next().unwrap_or('*');
        format!("{first}***@{domain}")
    }
}

impl fmt::Display for Email {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_case_and_whitespace() {
        let e = Email::parse("  Ada.Lovelace@Example.COM ").unwrap();
        assert_eq!(e.as_str(), "ada.lovelace@example.com");
    }

    #[test]
    fn refuses_malformed_addresses() {
        for bad in [
            "",
            "plain",
            "a@b",
            "@example.com",
            "a@@example.com",
            "Ada <ada@example.com>",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn masks_for_logs() {
        let e = Email::parse("ada@example.com").unwrap();
        assert_eq!(e.masked(), "a***@example.com");
    }
}
