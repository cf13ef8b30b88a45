//! An event's watch rules as people write them: read from the store, checked against the
//! event's topics and the accounts that may own leads, saved whole or not at all. The page
//! and the command line both save through here.

use jiff::Timestamp;

use crate::{
    context::Context,
    domain::leads::watch::WatchRules,
    formats::{RowError, lead_files::parse_watch},
    store::EventRecord,
};

/// A file to start from, shown when an event has none.
pub const EXAMPLE: &str = r#"# Who to hear about while they are still in the building (docs/formats.md, "Watch rules").
window_minutes = 60   # a rule tells about one person at most once in this time
fresh_minutes = 15    # entry scans delivered later than this alert nobody

# [[watch]]
# name = "Target accounts at a talk"
# when = ["enters", "tier_a"]
# accounts = ["example.com", "Example Corp"]
# roles = ["decision_maker", "buyer"]
# topics = ["ai"]
# notify = ["sally"]
"#;

/// The event's watch file and rules; the example and no rules when none was saved.
pub async fn current(ctx: &Context, event: &EventRecord) -> anyhow::Result<(String, WatchRules)> {
    let Some((text, _, _)) = ctx.store.leads().watch_rules(event.id).await? else {
        return Ok((EXAMPLE.to_owned(), WatchRules::default()));
    };
    let rules = check(ctx, event, &text).await?.unwrap_or_default();
    Ok((text, rules))
}

/// The rules of `text`, or what is wrong with it, line by line.
pub async fn check(
    ctx: &Context,
    event: &EventRecord,
    text: &str,
) -> anyhow::Result<Result<WatchRules, Vec<RowError>>> {
    let topics = ctx.store.events().event_topics(event.id).await?;
    let topics: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
    let owners = ctx.store.leads().lead_owner_ids().await?;
    let owners: Vec<&str> = owners.iter().map(|(_, n)| n.as_str()).collect();
    Ok(parse_watch(text, &topics, &owners))
}

/// Checks and saves the event's watch file; nothing is saved when anything is wrong.
pub async fn save(
    ctx: &Context,
    event: &EventRecord,
    text: &str,
    by: &str,
) -> anyhow::Result<Result<WatchRules, Vec<RowError>>> {
    if text.len() > MAX_BYTES {
        return Ok(Err(vec![RowError::new(
            0,
            None,
            format!("the file is over {} KB", MAX_BYTES / 1024),
        )]));
    }
    let checked = check(ctx, event, text).await?;
    if checked.is_ok() {
        ctx.store
            .leads()
            .set_watch_rules(event.id, text, by, Timestamp::now().as_millisecond())
            .await?;
    }
    Ok(checked)
}

/// The largest watch file taken: far more than 100 rules need.
pub const MAX_BYTES: usize = 256 * 1024;
