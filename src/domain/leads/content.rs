//! What to show a lead: solutions and customer cases from the marketers' content file,
//! matched to the lead's topics and industry.

use serde::{Deserialize, Serialize};

use crate::domain::leads::package::ContentPick;

/// The content file: a list of items.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentLibrary {
    #[serde(default, rename = "item")]
    pub items: Vec<ContentItem>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ContentItem {
    /// `solution` or `case`.
    pub kind: String,
    pub title: String,
    pub url: String,
    /// Topic slugs it is about (at least one).
    pub topics: Vec<String>,
    /// Industry keys it suits; none means any industry.
    #[serde(default)]
    pub industries: Vec<String>,
}

/// Solutions and cases shown per lead.
pub const MAX_SOLUTIONS: usize = 3;
pub const MAX_CASES: usize = 2;

impl ContentLibrary {
    pub fn check(&self) -> Vec<String> {
        let mut problems = Vec::new();
        for (i, item) in self.items.iter().enumerate() {
            let n = i + 1;
            if !matches!(item.kind.as_str(), "solution" | "case") {
                problems.push(format!(
                    "item {n}: kind must be 'solution' or 'case', not '{}'",
                    item.kind
                ));
            }
            if item.title.trim().is_empty() {
                problems.push(format!("item {n}: title is empty"));
            }
            if !(item.url.starts_with("https://") || item.url.starts_with("http://")) {
                problems.push(format!("item {n}: url must start with https:// or http://"));
            }
            if item.topics.is_empty() {
                problems.push(format!("item {n}: topics must name at least one topic"));
            }
        }
        problems
    }

    /// Items for a lead whose topics are `topics` (highest interest first): items of an
    /// earlier topic first, and among those the ones made for the lead's industry first.
    pub fn pick(&self, topics: &[&str], industry: &str) -> Vec<ContentPick> {
        let mut ranked: Vec<(usize, bool, usize, &ContentItem)> = Vec::new();
        for (pos, item) in self.items.iter().enumerate() {
            let Some(rank) = topics
                .iter()
                .position(|t| item.topics.iter().any(|i| i == t))
            else {
                continue;
            };
            let industry_match = item.industries.iter().any(|i| i == industry);
            if !item.industries.is_empty() && !industry_match {
                continue;
            }
            ranked.push((rank, !industry_match, pos, item));
        }
        ranked.sort_by_key(|(rank, general, pos, _)| (*rank, *general, *pos));
        let (mut solutions, mut cases) = (0, 0);
        let mut out = Vec::new();
        for (rank, general, _, item) in ranked {
            let count = if item.kind == "case" {
                &mut cases
            } else {
                &mut solutions
            };
            let max = if item.kind == "case" {
                MAX_CASES
            } else {
                MAX_SOLUTIONS
            };
            if *count >= max {
                continue;
            }
            *count += 1;
            let why = if general {
                format!("topic {}", topics[rank])
            } else {
                format!("topic {}, industry {industry}", topics[rank])
            };
            out.push(ContentPick {
                kind: item.kind.clone(),
                title: item.title.clone(),
                url: item.url.clone(),
                why,
            });
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn picks_follow_topic_rank_then_industry_and_skip_other_industries() {
        let lib: ContentLibrary = toml::from_str(
            r#"
            [[item]]
            kind = "solution"
            title = "Data lake"
            url = "https://example.com/lake"
            topics = ["big-data"]
            [[item]]
            kind = "case"
            title = "Bank on a lake"
            url = "https://example.com/bank"
            topics = ["big-data"]
            industries = ["finance"]
            [[item]]
            kind = "case"
            title = "Shop on a lake"
            url = "https://example.com/shop"
            topics = ["big-data"]
            industries = ["retail"]
            [[item]]
            kind = "solution"
            title = "CDN"
            url = "https://example.com/cdn"
            topics = ["video", "caching"]
            "#,
        )
        .unwrap();
        assert_eq!(lib.check(), Vec::<String>::new());
        let picks = lib.pick(&["caching", "big-data"], "finance");
        let titles: Vec<&str> = picks.iter().map(|p| p.title.as_str()).collect();
        assert_eq!(titles, ["CDN", "Bank on a lake", "Data lake"]);
        assert_eq!(picks[1].why, "topic big-data, industry finance");
        assert!(lib.pick(&["ai"], "finance").is_empty());
    }

    #[test]
    fn bad_items_are_named() {
        let lib: ContentLibrary = toml::from_str(
            "[[item]]\nkind = 'video'\ntitle = ''\nurl = 'javascript:alert(1)'\ntopics = []\n",
        )
        .unwrap();
        assert_eq!(lib.check().len(), 4);
    }
}
