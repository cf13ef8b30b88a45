//! Re-assigning leads by hand: several leads of one event to one owner, all or none, each
//! with a fresh feedback deadline counted as routing counts it.

use jiff::Timestamp;

use super::files;
use crate::{
    context::Context,
    domain::{leads::package::Tier, leads::routing::RoutingRules},
    store::EventRecord,
};

/// Why a re-assignment was refused; nothing changed.
#[derive(Debug, thiserror::Error)]
pub enum ReassignError {
    #[error("{0}")]
    Refused(String),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// The deadline rules when the event has no routing file: five working days.
fn default_rules() -> RoutingRules {
    RoutingRules {
        fallback: String::new(),
        deadline_working_days: 5,
        escalate_after_working_days: 2,
        manager: None,
        reassign_to_fallback: false,
        by_account: false,
        tiers: vec![Tier::A, Tier::B],
        holidays: Vec::new(),
        regions: Default::default(),
        rules: Vec::new(),
    }
}

/// Gives the leads of `attendee_ids` to `owner_id`, whose deadline becomes the routing
/// file's (working days from `now`, the file's holidays left out). Returns how many moved.
pub async fn reassign(
    ctx: &Context,
    event: &EventRecord,
    attendee_ids: &[i64],
    owner_id: i64,
    now: Timestamp,
) -> Result<usize, ReassignError> {
    if attendee_ids.is_empty() {
        return Err(ReassignError::Refused(
            "tick at least one lead to re-assign; nothing was changed".into(),
        ));
    }
    let slug = event.info.slug.to_string();
    let rules = match files::load(
        &ctx.settings.leads.config_dir,
        &slug,
        &files::FileChoice::default(),
    ) {
        Ok(f) => f.routing.unwrap_or_else(default_rules),
        Err(e) => {
            return Err(ReassignError::Refused(format!(
                "the event's lead files could not be read, so no deadline can be set: {e:#}"
            )));
        }
    };
    let tz = event.info.tz().map_err(|e| anyhow::anyhow!(e))?;
    let due = rules.deadline(now, &tz);
    let moved = ctx
        .store
        .leads()
        .reassign_leads(event.id, attendee_ids, owner_id, due.as_millisecond())
        .await
        .map_err(|e| match e {
            crate::store::StoreError::Conflict(m) => ReassignError::Refused(m),
            other => ReassignError::Failed(other.into()),
        })?;
    Ok(moved)
}

#[cfg(test)]
mod tests {
    #[test]
    fn without_a_routing_file_the_deadline_is_five_working_days() {
        let tz = jiff::tz::TimeZone::get("Europe/Berlin").unwrap();
        // A Friday at 10:00 local: five working days on is the next Friday.
        let friday: jiff::Timestamp = "2026-05-15T08:00:00Z".parse().unwrap();
        let due = super::default_rules().deadline(friday, &tz);
        assert_eq!(due.to_string(), "2026-05-22T08:00:00Z");
    }
}
