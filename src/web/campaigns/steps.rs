//! A campaign in five steps, one page each: audience (`audience_page.rs`), content
//! (`content.rs`), preview (`preview.rs`), send (`send.rs`), report (`report.rs`). This file
//! holds what every step shows: the step bar and the campaign's head.

use jiff::tz::TimeZone;
use serde::Deserialize;

use axum::response::Redirect;

use crate::{
    domain::campaigns::campaign::CampaignState,
    store::{CampaignRecord, EventRecord},
    web::error::{Error, WebResult},
};

/// The steps in order: the path under the campaign and the name on the bar.
pub(super) const STEPS: [(&str, &str); 5] = [
    ("audience", "Audience"),
    ("content", "Content"),
    ("preview", "Preview"),
    ("send", "Send"),
    ("report", "Report"),
];

/// One step on the bar.
pub(super) struct StepLink {
    pub number: usize,
    pub label: &'static str,
    pub href: String,
    pub current: bool,
}

/// What every campaign page shows above its own part: where it is, the campaign's state and
/// the step bar.
pub(super) struct CampaignHead {
    pub slug: String,
    pub event_name: String,
    pub campaign_slug: String,
    pub campaign_name: String,
    pub state: CampaignState,
    pub steps: Vec<StepLink>,
    /// The alert after an action, in words; empty for none.
    pub done: &'static str,
}

impl CampaignHead {
    /// The head of `step` ("" for the overview).
    pub fn new(event: &EventRecord, c: &CampaignRecord, step: &str, done: &str) -> CampaignHead {
        let slug = event.info.slug.to_string();
        let base = format!("/admin/events/{slug}/campaigns/{}", c.slug);
        CampaignHead {
            steps: STEPS
                .iter()
                .enumerate()
                .map(|(i, (path, label))| StepLink {
                    number: i + 1,
                    label,
                    href: format!("{base}/{path}"),
                    current: *path == step,
                })
                .collect(),
            slug,
            event_name: event.info.name.clone(),
            campaign_slug: c.slug.clone(),
            campaign_name: c.name.clone(),
            state: c.state(),
            done: done_message(done),
        }
    }

    /// "Draft", "Sending", ... for the state badge.
    pub fn state_label(&self) -> &'static str {
        state_label(self.state)
    }
}

pub(super) fn state_label(s: CampaignState) -> &'static str {
    match s {
        CampaignState::Draft => "Draft",
        CampaignState::Sending => "Sending",
        CampaignState::Paused => "Paused",
        CampaignState::Cancelled => "Cancelled",
        CampaignState::Done => "Sent",
    }
}

fn done_message(done: &str) -> &'static str {
    match done {
        "" => "",
        "created" => "Campaign created. Choose who it reaches, then write its content.",
        "saved" => "Saved.",
        "deleted" => "Content removed.",
        "imported" => "Campaign file imported.",
        "test_sent" => "Test email sent.",
        "sending" => "Campaign started: the audience is queued and sending.",
        "paused" => "Paused.",
        "cancelled" => "Cancelled: messages not yet sent will not be sent.",
        _ => "Done.",
    }
}

#[derive(Deserialize)]
pub(super) struct DoneQuery {
    #[serde(default)]
    pub done: String,
}

pub(super) fn event_tz(event: &EventRecord) -> WebResult<TimeZone> {
    event
        .info
        .tz()
        .map_err(|e| Error::Internal(anyhow::anyhow!(e)))
}

/// Back to the campaign's `step` ("" for the overview) with the alert `done`.
pub(super) fn to_campaign(slug: &str, c: &str, step: &str, done: &str) -> Redirect {
    let step = if step.is_empty() {
        String::new()
    } else {
        format!("/{step}")
    };
    Redirect::to(&format!(
        "/admin/events/{slug}/campaigns/{c}{step}?done={done}"
    ))
}
