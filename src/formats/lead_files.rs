//! The lead builder's three files, all TOML: scoring rules, routing and the content library.
//! Unknown keys and nonsense values are refused with the line they are on where known.

use serde::de::DeserializeOwned;

use super::{RowError, line_index::LineIndex};
use crate::domain::{
    leads::content::ContentLibrary, leads::playbook::Playbook, leads::routing::RoutingRules,
    leads::rules::LeadRules, leads::watch::WatchRules,
};

fn parse<T: DeserializeOwned>(text: &str) -> Result<T, Vec<RowError>> {
    toml::from_str::<T>(text).map_err(|e| {
        let line = e
            .span()
            .map_or(0, |span| LineIndex::new(text.as_bytes()).line(span.start));
        vec![RowError::new(
            line,
            None,
            e.message().trim().replace('\n', "; "),
        )]
    })
}

fn checked<T>(value: T, problems: Vec<String>) -> Result<T, Vec<RowError>> {
    if problems.is_empty() {
        Ok(value)
    } else {
        Err(problems
            .into_iter()
            .map(|p| RowError::new(0, None, p))
            .collect())
    }
}

/// A scoring file; anything it leaves out keeps the default, at any depth (a file that
/// sets only `tiers.a.score` keeps the other thresholds of tier A and every kind weight).
pub fn parse_scoring(text: &str) -> Result<LeadRules, Vec<RowError>> {
    // Read once as is, for unknown keys and wrong types with their lines.
    parse::<LeadRules>(text)?;
    let file: toml::Table = parse(text)?;
    let mut merged =
        toml::Table::try_from(LeadRules::default()).expect("the rules are plain TOML values");
    merge(&mut merged, file);
    let rules: LeadRules =
        toml::Value::Table(merged)
            .try_into()
            .map_err(|e: toml::de::Error| {
                vec![RowError::new(0, None, e.message().trim().to_owned())]
            })?;
    let problems = rules.check();
    checked(rules, problems)
}

/// Tables merge key by key; any other value replaces the default.
fn merge(base: &mut toml::Table, over: toml::Table) {
    for (key, value) in over {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(b)), toml::Value::Table(o)) => merge(b, o),
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

pub fn parse_routing(text: &str) -> Result<RoutingRules, Vec<RowError>> {
    let rules: RoutingRules = parse(text)?;
    let problems = rules.check();
    checked(rules, problems)
}

pub fn parse_content(text: &str) -> Result<ContentLibrary, Vec<RowError>> {
    let lib: ContentLibrary = parse(text)?;
    let problems = lib.check();
    checked(lib, problems)
}

/// A watch file (`domain::leads::watch`), checked against the event's topic slugs and the login
/// names that may own leads.
pub fn parse_watch(
    text: &str,
    topics: &[&str],
    owners: &[&str],
) -> Result<WatchRules, Vec<RowError>> {
    let rules: WatchRules = parse(text)?;
    let problems = rules.check(topics, owners);
    checked(rules, problems)
}

/// A playbook file; the standard outcomes it leaves out, and the keys of a play it leaves
/// out, keep the defaults.
pub fn parse_playbook(text: &str) -> Result<Playbook, Vec<RowError>> {
    parse::<Playbook>(text)?;
    let file: toml::Table = parse(text)?;
    let mut merged =
        toml::Table::try_from(Playbook::default()).expect("the playbook is plain TOML values");
    merge(&mut merged, file);
    let book: Playbook = toml::Value::Table(merged)
        .try_into()
        .map_err(|e: toml::de::Error| {
            vec![RowError::new(0, None, e.message().trim().to_owned())]
        })?;
    let problems = book.check();
    checked(book, problems)
}

/// The default playbook as a file, for people to start from.
pub fn default_playbook_file() -> String {
    toml::to_string(&Playbook::default()).expect("the playbook is plain TOML values")
}

/// The defaults as a scoring file, for people to start from.
pub fn default_scoring_file() -> String {
    toml::to_string(&LeadRules::default()).expect("the rules are plain TOML values")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_scoring_file_keeps_the_other_defaults() {
        let r = parse_scoring("[tiers.a]\nscore = 70\n[fit]\ntarget_accounts = ['Big Bank']\n")
            .unwrap();
        assert_eq!(r.tiers.a.score, 70.0);
        assert_eq!(r.tiers.a.fit, 50.0);
        assert_eq!(r.fit.target_accounts, ["Big Bank"]);
        assert_eq!(r.interest, LeadRules::default().interest);
    }

    #[test]
    fn the_defaults_written_out_read_back_the_same() {
        assert_eq!(
            parse_scoring(&default_scoring_file()).unwrap(),
            LeadRules::default()
        );
    }

    #[test]
    fn typos_and_bad_values_are_located() {
        let e = parse_scoring("\n[tiers.a]\nscroe = 70\n").unwrap_err();
        assert_eq!(e[0].line, 3, "{e:?}");
        assert!(e[0].message.contains("scroe"), "{e:?}");
        let e = parse_scoring("[interest]\nfull_stay_share = 2.0\n").unwrap_err();
        assert!(e[0].message.contains("full_stay_share"));
        let e = parse_routing("deadline_working_days = 3\n").unwrap_err();
        assert!(e[0].message.contains("fallback"), "{e:?}");
        assert!(parse_content("[[item]]\nkind='case'\n").is_err());
    }

    #[test]
    fn a_partial_playbook_keeps_the_other_defaults_and_adds_outcomes() {
        let book = parse_playbook(
            "[outcome.won]\nrecontact_after = \"3 months\"\n\
             [outcome.demo_requested]\nlabel = \"Demo requested\"\nowner = \"sales\"\n",
        )
        .unwrap();
        let defaults = Playbook::default();
        assert_eq!(book.outcomes["won"].tag, defaults.outcomes["won"].tag);
        assert_eq!(book.outcomes["won"].recontact_after.to_string(), "3mo");
        assert_eq!(book.outcomes["not_a_fit"], defaults.outcomes["not_a_fit"]);
        assert_eq!(book.label("demo_requested"), "Demo requested");
        assert_eq!(parse_playbook(&default_playbook_file()).unwrap(), defaults);
    }

    #[test]
    fn playbook_typos_and_bad_values_are_located() {
        let e = parse_playbook("\n[outcome.won]\nonwer = \"sales\"\n").unwrap_err();
        assert_eq!(e[0].line, 3, "{e:?}");
        assert!(e[0].message.contains("onwer"), "{e:?}");
        let e = parse_playbook("[outcome.won]\nrecontact_after = \"soon\"\n").unwrap_err();
        assert_eq!(e[0].line, 2, "{e:?}");
        let e = parse_playbook("[outcome.won]\nowner = \"boss\"\n").unwrap_err();
        assert!(e[0].message.contains("boss"), "{e:?}");
        let e = parse_playbook("[outcome.trial]\nowner = \"sales\"\n").unwrap_err();
        assert!(e[0].message.contains("label"), "{e:?}");
    }
}
