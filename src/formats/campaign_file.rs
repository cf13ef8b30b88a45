//! The campaign file (TOML): a campaign's settings and its content per topic and tier.

use serde::{Deserialize, Serialize};

use crate::domain::{
    campaigns::campaign::{Content, ContentKey, Tier, check_frequency_hours, check_name},
    campaigns::segment::{AudienceScope, Segment},
};

/// Campaign settings a file may carry; anything left out keeps its current value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignSettingsFile {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub excluded_tiers: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frequency_hours: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_opens: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub track_clicks: Option<bool>,
    /// `event` (its attendees) or `pool` (the data pool, by the `[segment]` table).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
}

/// Who a campaign file says the campaign reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Audience {
    Event,
    Pool,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct ContentEntry {
    /// Topic slug; left out for the general fallback.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    topic: Option<String>,
    /// A, B, C, X or none; left out for every tier.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    tier: Option<String>,
    subject: String,
    #[serde(default)]
    preheader: String,
    body: String,
    #[serde(default)]
    cta_label: String,
    #[serde(default)]
    cta_url: String,
}

#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(default)]
    campaign: CampaignSettingsFile,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    segment: Option<Segment>,
    #[serde(default)]
    content: Vec<ContentEntry>,
}

/// A read campaign file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CampaignFile {
    pub settings: CampaignSettingsFile,
    /// The settings' tiers, parsed.
    pub excluded_tiers: Option<Vec<Tier>>,
    /// Who the campaign reaches; `None` when the file does not say.
    pub scope: Option<AudienceScope>,
    pub contents: Vec<(ContentKey, Content)>,
}

/// Reads a campaign file. Every problem is reported with the entry it is in; a file with
/// any problem is refused whole. Content topics must be `event_topics` (the event's topic
/// slugs), or for a campaign to the data pool `pool_topics` (those of every event).
pub fn parse_campaign_file(
    text: &str,
    event_topics: &[&str],
    pool_topics: &[&str],
) -> Result<CampaignFile, Vec<String>> {
    let file: File = toml::from_str(text).map_err(|e| vec![e.to_string()])?;
    let mut errors = Vec::new();
    let scope = match (file.campaign.audience, file.segment.clone()) {
        (Some(Audience::Event), Some(_)) => {
            errors.push(
                "segment: a segment picks people of the data pool; set audience = \"pool\" or leave the segment out"
                    .to_owned(),
            );
            None
        }
        (Some(Audience::Event), None) => Some(AudienceScope::Event),
        (Some(Audience::Pool) | None, Some(segment)) => match segment.checked() {
            Ok(s) => Some(AudienceScope::Pool(s)),
            Err(problems) => {
                errors.extend(problems.into_iter().map(|p| format!("segment.{p}")));
                None
            }
        },
        (Some(Audience::Pool), None) => Some(AudienceScope::Pool(Segment::default())),
        (None, None) => None,
    };
    let to_pool = matches!(scope, Some(AudienceScope::Pool(_)));
    let topics = if to_pool { pool_topics } else { event_topics };
    if let Some(name) = &file.campaign.name
        && let Err(e) = check_name(name)
    {
        errors.push(format!("campaign: {e}"));
    }
    if let Some(hours) = file.campaign.frequency_hours
        && let Err(e) = check_frequency_hours(hours)
    {
        errors.push(format!("campaign: {e}"));
    }
    let excluded_tiers = match &file.campaign.excluded_tiers {
        None => None,
        Some(list) => match Tier::parse_list(&list.join(",")) {
            Ok(t) => Some(t),
            Err(e) => {
                errors.push(format!("campaign.excluded_tiers: {e}"));
                None
            }
        },
    };
    let mut contents: Vec<(ContentKey, Content)> = Vec::new();
    for (i, entry) in file.content.iter().enumerate() {
        let at = format!("content #{}", i + 1);
        let topic = entry
            .topic
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty());
        if let Some(t) = topic
            && !topics.contains(&t)
        {
            errors.push(format!(
                "{at}: '{t}' is not a topic of {}",
                if to_pool { "any event" } else { "this event" }
            ));
            continue;
        }
        let tier = match entry
            .tier
            .as_deref()
            .map(str::trim)
            .filter(|t| !t.is_empty())
        {
            None => None,
            Some(t) => match Tier::parse(t) {
                Ok(t) => Some(t),
                Err(e) => {
                    errors.push(format!("{at}: {e}"));
                    continue;
                }
            },
        };
        let key = ContentKey {
            topic: topic.map(str::to_owned),
            tier,
        };
        let content = Content {
            subject: entry.subject.clone(),
            preheader: entry.preheader.clone(),
            body: entry.body.clone(),
            cta_label: entry.cta_label.clone(),
            cta_url: entry.cta_url.trim().to_owned(),
        };
        if let Err(e) = content.check() {
            errors.push(format!("{at} ({}): {e}", key.label()));
            continue;
        }
        if contents.iter().any(|(k, _)| *k == key) {
            errors.push(format!("{at}: a second entry for {}", key.label()));
            continue;
        }
        contents.push((key, content));
    }
    if errors.is_empty() {
        Ok(CampaignFile {
            settings: file.campaign,
            excluded_tiers,
            scope,
            contents,
        })
    } else {
        Err(errors)
    }
}

/// Writes a campaign file that `parse_campaign_file` reads back to the same content.
pub fn write_campaign_file(
    settings: &CampaignSettingsFile,
    scope: &AudienceScope,
    contents: &[(ContentKey, Content)],
) -> String {
    let mut campaign = settings.clone();
    campaign.audience = Some(match scope {
        AudienceScope::Event => Audience::Event,
        AudienceScope::Pool(_) => Audience::Pool,
    });
    let file = File {
        campaign,
        segment: match scope {
            AudienceScope::Event => None,
            AudienceScope::Pool(s) => Some(s.clone()),
        },
        content: contents
            .iter()
            .map(|(k, c)| ContentEntry {
                topic: k.topic.clone(),
                tier: k.tier.map(|t| t.as_str().to_owned()),
                subject: c.subject.clone(),
                preheader: c.preheader.clone(),
                body: c.body.clone(),
                cta_label: c.cta_label.clone(),
                cta_url: c.cta_url.clone(),
            })
            .collect(),
    };
    toml::to_string_pretty(&file).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;

    const FILE: &str = r#"
[campaign]
name = "After the summit"
excluded_tiers = ["X", "none"]
frequency_hours = 48

[[content]]
topic = "big-data"
subject = "{{ first_name }}, your big-data reading"
preheader = "Slides and a case study"
body = """
Thanks for joining the big-data track.

Here is what we promised."""
cta_label = "Read the case study"
cta_url = "https://example.com/cases/lakehouse"

[[content]]
topic = "big-data"
tier = "A"
subject = "A call about your data platform?"
body = "Our architects would like to talk."

[[content]]
subject = "Thanks for coming to {{ event_name }}"
body = "See you next year."
"#;

    #[test]
    fn reads_settings_and_content_and_writes_them_back() {
        let parsed = parse_campaign_file(FILE, &["big-data", "ai"], &[]).unwrap();
        assert_eq!(parsed.scope, None);
        assert_eq!(parsed.settings.name.as_deref(), Some("After the summit"));
        assert_eq!(parsed.excluded_tiers, Some(vec![Tier::X, Tier::None]));
        assert_eq!(parsed.contents.len(), 3);
        assert_eq!(parsed.contents[1].0.tier, Some(Tier::A));
        assert_eq!(parsed.contents[2].0, ContentKey::general());
        assert!(parsed.contents[0].1.body.contains("\n\nHere is"));

        let written =
            write_campaign_file(&parsed.settings, &AudienceScope::Event, &parsed.contents);
        let again = parse_campaign_file(&written, &["big-data", "ai"], &[]).unwrap();
        assert_eq!(again.scope, Some(AudienceScope::Event));
        assert_eq!(
            (again.excluded_tiers, again.contents),
            (parsed.excluded_tiers, parsed.contents)
        );
    }

    #[test]
    fn a_pool_campaign_carries_its_segment_and_any_event_topic() {
        let text = r#"
[campaign]
audience = "pool"

[segment]
tags = ["nurture"]
due_by = "2027-03-01"
roles = ["decision_maker", "user"]
min_events = 2

[[content]]
topic = "data-mesh"
subject = "Data mesh, a year on"
body = "What changed."
"#;
        let parsed = parse_campaign_file(text, &["ai"], &["ai", "data-mesh"]).unwrap();
        let Some(AudienceScope::Pool(segment)) = &parsed.scope else {
            panic!("{:?}", parsed.scope)
        };
        assert_eq!(segment.tags, vec!["nurture"]);
        assert_eq!(segment.min_events, Some(2));
        let written = write_campaign_file(
            &parsed.settings,
            parsed.scope.as_ref().unwrap(),
            &parsed.contents,
        );
        let again = parse_campaign_file(&written, &[], &["data-mesh"]).unwrap();
        assert_eq!(again.scope, parsed.scope);

        // A segment alone makes a pool campaign; on an event campaign it is refused.
        let alone = "[segment]\nstages = [\"look_for_suppliers\"]\n";
        assert!(matches!(
            parse_campaign_file(alone, &[], &[]).unwrap().scope,
            Some(AudienceScope::Pool(_))
        ));
        let errors = parse_campaign_file(
            &format!("[campaign]\naudience = \"event\"\n{alone}"),
            &[],
            &[],
        )
        .unwrap_err();
        assert!(
            errors[0].starts_with("segment: a segment picks"),
            "{errors:?}"
        );
        let errors =
            parse_campaign_file("[segment]\nmin_events = 0\ncolour = 1\n", &[], &[]).unwrap_err();
        assert!(errors[0].contains("colour"), "{errors:?}");
        let errors = parse_campaign_file("[segment]\nmin_events = 0\n", &[], &[]).unwrap_err();
        assert!(errors[0].starts_with("segment.min_events: 0"), "{errors:?}");
        let errors = parse_campaign_file(
            "[segment]\n[[content]]\ntopic = \"ai\"\nsubject = \"s\"\nbody = \"b\"\n",
            &["ai"],
            &[],
        )
        .unwrap_err();
        assert!(
            errors[0].contains("'ai' is not a topic of any event"),
            "{errors:?}"
        );
    }

    #[test]
    fn every_problem_is_reported_and_nothing_is_taken() {
        let bad = r#"
[campaign]
excluded_tiers = ["Q"]

[[content]]
topic = "quantum"
subject = "x"
body = "y"

[[content]]
subject = ""
body = "y"

[[content]]
subject = "ok"
body = "y"
cta_label = "Go"
cta_url = "javascript:alert(1)"
"#;
        let errors = parse_campaign_file(bad, &["ai"], &[]).unwrap_err();
        assert_eq!(errors.len(), 4, "{errors:?}");
        assert!(errors[0].contains("unknown tier 'Q'"));
        assert!(errors[1].contains("'quantum' is not a topic"));
        assert!(errors[2].contains("subject is required"));
        assert!(errors[3].contains("https://"));
        assert!(parse_campaign_file("[[content]]\nsubjekt = 1", &[], &[]).is_err());
    }
}
