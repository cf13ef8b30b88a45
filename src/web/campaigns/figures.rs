//! Who a campaign's audience is and why others are not, as its steps show it: planned now for a
//! draft, as queued after the start.

use std::collections::{BTreeMap, HashMap};

use jiff::Timestamp;

use crate::web::AppState;
use crate::{
    domain::{
        campaigns::audience::{AudienceSummary, Exclusion, exclusions_from_stored},
        campaigns::campaign::Tier,
    },
    edm,
    store::{CampaignRecord, ReportLine},
    web::error::WebResult,
};

/// A label and a number, for the audience tables.
pub(super) struct Count {
    pub label: String,
    pub count: usize,
}

/// Who is in the audience and why others are not: before the start as it would be queued
/// now, after it as it was queued.
pub(super) struct AudienceFigures {
    pub started: bool,
    pub recipients: usize,
    pub by_topic: Vec<Count>,
    pub by_tier: Vec<Count>,
    pub excluded: Vec<Count>,
    pub excluded_total: usize,
    /// False for a campaign started before the reasons were kept with it.
    pub exclusions_known: bool,
}

/// A content topic's name ("General content" for the fallback).
pub(super) fn topic_name(names: &HashMap<String, String>, topic: &str) -> String {
    if topic.is_empty() || topic == "general" {
        return "General content".to_owned();
    }
    names
        .get(topic)
        .cloned()
        .unwrap_or_else(|| topic.to_owned())
}

pub(super) fn tier_label(t: Tier) -> String {
    match t {
        Tier::None => "no lead".to_owned(),
        t => format!("tier {t}"),
    }
}

fn exclusion_counts(excluded: &BTreeMap<Exclusion, usize>) -> Vec<Count> {
    excluded
        .iter()
        .filter(|(_, n)| **n > 0)
        .map(|(r, n)| Count {
            label: r.label().to_owned(),
            count: *n,
        })
        .collect()
}

/// The figures of a draft, from the audience as planned now.
pub(super) fn figures_planned(
    s: &AudienceSummary,
    names: &HashMap<String, String>,
) -> AudienceFigures {
    AudienceFigures {
        started: false,
        recipients: s.recipients,
        by_topic: s
            .by_topic
            .iter()
            .map(|(t, n)| Count {
                label: topic_name(names, t),
                count: *n,
            })
            .collect(),
        by_tier: s
            .by_tier
            .iter()
            .map(|(t, n)| Count {
                label: tier_label(*t),
                count: *n,
            })
            .collect(),
        excluded: exclusion_counts(&s.excluded),
        excluded_total: s.excluded_total(),
        exclusions_known: true,
    }
}

/// The figures of a started campaign, from its ledger and the reasons kept at the start.
pub(super) fn figures_queued(
    report: &[ReportLine],
    stored_exclusions: Option<&str>,
    names: &HashMap<String, String>,
) -> AudienceFigures {
    let mut by_topic: BTreeMap<String, usize> = BTreeMap::new();
    let mut by_tier: BTreeMap<Tier, usize> = BTreeMap::new();
    for l in report {
        let n = l.queued.max(0) as usize;
        *by_topic.entry(topic_name(names, &l.topic)).or_default() += n;
        *by_tier.entry(l.tier).or_default() += n;
    }
    let excluded = stored_exclusions
        .map(exclusions_from_stored)
        .unwrap_or_default();
    AudienceFigures {
        started: true,
        recipients: by_topic.values().sum(),
        by_topic: by_topic
            .into_iter()
            .map(|(label, count)| Count { label, count })
            .collect(),
        by_tier: by_tier
            .into_iter()
            .map(|(t, count)| Count {
                label: tier_label(t),
                count,
            })
            .collect(),
        excluded_total: excluded.values().sum(),
        excluded: exclusion_counts(&excluded),
        exclusions_known: stored_exclusions.is_some(),
    }
}

/// Topic names by slug, of every event (a pool campaign reaches people of several).
pub(super) async fn topic_names(state: &AppState) -> WebResult<HashMap<String, String>> {
    Ok(state
        .ctx
        .store
        .leads()
        .topic_names(None)
        .await?
        .into_iter()
        .map(|t| (t.slug, t.name))
        .collect())
}

/// The campaign's audience figures, planned now for a draft, as queued after the start.
pub(super) async fn audience_figures(
    state: &AppState,
    campaign: &CampaignRecord,
    names: &HashMap<String, String>,
) -> WebResult<AudienceFigures> {
    if campaign.state().editable() {
        let s = edm::audience(&state.ctx, campaign, Timestamp::now())
            .await?
            .summary;
        Ok(figures_planned(&s, names))
    } else {
        let report = state
            .ctx
            .store
            .campaigns()
            .campaign_report(campaign.id)
            .await?;
        Ok(figures_queued(
            &report,
            campaign.exclusions.as_deref(),
            names,
        ))
    }
}
