//! The data pool's identities: one person per normalised email across events, and one
//! company per business email domain, else per normalised company name, with the reason in
//! plain words. Free-mail domains come from `data/free-email-domains.txt`.

use std::{collections::HashSet, sync::LazyLock};

use super::choice::choice_enum;

static FREE_MAIL: LazyLock<HashSet<&'static str>> = LazyLock::new(|| {
    include_str!("../../data/free-email-domains.txt")
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect()
});

/// Whether `domain` belongs to a free email provider (gmail.com, web.de, ...).
pub fn is_free_mail(domain: &str) -> bool {
    FREE_MAIL.contains(domain.trim().to_ascii_lowercase().as_str())
}

/// The key of a person: their address, trimmed and lower-cased.
pub fn person_key(email: &str) -> String {
    email.trim().to_ascii_lowercase()
}

choice_enum!(
    /// What a company was recognised by.
    Basis {
        Domain = "domain": "the email domain",
        Name = "name": "the company name",
        Manual = "manual": "staff",
    }
);

/// The company a registration belongs to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompanyMatch {
    /// `domain:acme.com` or `name:acme`: the same key is the same company.
    pub key: String,
    /// The name to show, as the first registration typed it.
    pub name: String,
    pub domain: Option<String>,
    pub basis: Basis,
}

/// Legal forms left out of a company name when comparing ("ACME GmbH" is "Acme").
const LEGAL_FORMS: &[&str] = &[
    "ab",
    "ag",
    "as",
    "asa",
    "bv",
    "co",
    "company",
    "corp",
    "corporation",
    "gmbh",
    "inc",
    "incorporated",
    "kg",
    "limited",
    "llc",
    "llp",
    "ltd",
    "nv",
    "oy",
    "plc",
    "pty",
    "sa",
    "sarl",
    "sas",
    "se",
    "spa",
    "srl",
    "the",
];

/// Typed instead of an employer; no company is made of these.
const NO_COMPANY: &[&str] = &[
    "",
    "na",
    "n a",
    "none",
    "no",
    "self",
    "self employed",
    "freelance",
    "freelancer",
    "private",
    "student",
    "unemployed",
    "retired",
    "independent",
];

/// A company name reduced for comparison: lower case, letters and digits, legal forms and
/// punctuation left out ("ACME GmbH." and "Acme" are both "acme").
pub fn normalised_name(name: &str) -> String {
    let cleaned: String = name
        .chars()
        .map(|c| {
            if c.is_alphanumeric() {
                c.to_lowercase().next().unwrap_or(c)
            } else {
                ' '
            }
        })
        .collect();
    cleaned
        .split_whitespace()
        .filter(|w| !LEGAL_FORMS.contains(w))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The company of a registration: its email domain when that is a business domain, else
/// its typed company name; `None` when neither says anything.
pub fn resolve_company(email: &str, company: &str) -> Option<CompanyMatch> {
    let domain = email
        .rsplit_once('@')
        .map(|(_, d)| d.trim().trim_end_matches('.').to_ascii_lowercase())
        .filter(|d| d.contains('.') && !d.ends_with(".invalid"));
    let shown = company.split_whitespace().collect::<Vec<_>>().join(" ");
    if let Some(d) = domain.filter(|d| !is_free_mail(d)) {
        return Some(CompanyMatch {
            key: format!("domain:{d}"),
            name: if shown.is_empty() { d.clone() } else { shown },
            domain: Some(d),
            basis: Basis::Domain,
        });
    }
    let name = normalised_name(company);
    if NO_COMPANY.contains(&name.as_str()) {
        return None;
    }
    Some(CompanyMatch {
        key: format!("name:{name}"),
        name: shown,
        domain: None,
        basis: Basis::Name,
    })
}

/// Why a company is one company, for its page.
pub fn explain(basis: Basis, key: &str, domain: Option<&str>) -> String {
    match basis {
        Basis::Domain => format!(
            "Everyone registered with an address at {} (a business domain, not a free-mail provider).",
            domain.unwrap_or_else(|| key.trim_start_matches("domain:"))
        ),
        Basis::Name => format!(
            "Everyone with a free-mail address whose company name reads \"{}\" once case, punctuation and legal forms are left out.",
            key.trim_start_matches("name:")
        ),
        Basis::Manual => {
            "Made by staff, who split this person from the company they were matched to.".into()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn business_domains_make_the_company_free_mail_falls_back_to_the_name() {
        let acme = resolve_company("Ada@Acme.com", "ACME GmbH").unwrap();
        assert_eq!(acme.key, "domain:acme.com");
        assert_eq!(acme.basis, Basis::Domain);
        assert_eq!(acme.name, "ACME GmbH");
        let same = resolve_company("bob@acme.com", "Acme Incorporated").unwrap();
        assert_eq!(same.key, acme.key);
        let gmail = resolve_company("cy@gmail.com", "  Acme,  Inc. ").unwrap();
        assert_eq!(gmail.key, "name:acme");
        assert_eq!(gmail.basis, Basis::Name);
        assert_eq!(
            resolve_company("dee@web.de", "ACME GmbH").unwrap().key,
            "name:acme"
        );
        assert_eq!(resolve_company("eve@outlook.com", "Student"), None);
        assert_eq!(resolve_company("erased-4@erased.invalid", ""), None);
    }

    #[test]
    fn the_free_mail_list_is_the_maintained_one() {
        for d in [
            "gmail.com",
            "GMAIL.com",
            "yahoo.co.uk",
            "web.de",
            "outlook.com",
            "icloud.com",
        ] {
            assert!(is_free_mail(d), "{d}");
        }
        assert!(FREE_MAIL.len() > 1_000, "{}", FREE_MAIL.len());
        assert!(!is_free_mail("acme.com"));
    }

    #[test]
    fn people_are_one_per_address_whatever_its_case() {
        assert_eq!(person_key(" Ada@Example.COM "), "ada@example.com");
    }
}
