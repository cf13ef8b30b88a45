//! `Slug`: the short, URL-safe key of an event or a topic.

use std::fmt;

/// A lowercase key made of `a-z`, `0-9` and single inner hyphens, 1 to 64 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct Slug(String);

impl Slug {
    /// Parses a slug, explaining what is wrong when it is not one.
    pub fn parse(raw: &str) -> Result<Slug, String> {
        let s = raw.trim();
        if s.is_empty() {
            return Err("must not be empty".into());
        }
        if s.len() > 64 {
            return Err("must be at most 64 characters".into());
        }
        if !s
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err(format!(
                "'{s}' may only contain lowercase letters, digits and hyphens"
            ));
        }
        if s.starts_with('-') || s.ends_with('-') || s.contains("--") {
            return Err(format!(
                "'{s}' must not start or end with a hyphen or contain two in a row"
            ));
        }
        Ok(Slug(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Slug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> serde::Deserialize<'de> for Slug {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(d)?;
        Slug::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_simple_slugs() {
        assert_eq!(Slug::parse("big-data").unwrap().as_str(), "big-data");
        assert_eq!(Slug::parse(" ai ").unwrap().as_str(), "ai");
    }

    #[test]
    fn refuses_bad_slugs() {
        for bad in ["", "Big", "a b", "-a", "a-", "a--b", "é", &"x".repeat(65)] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be refused");
        }
    }
}
