//! Who a campaign reaches: its event's attendees, or a segment of the data pool across
//! events; the form on the campaign's audience step and what it saves.

use axum::{
    extract::{Path, State},
    response::Redirect,
};
use axum_extra::extract::Form;
use jiff::{Timestamp, civil::Date};
use serde::Deserialize;

use crate::web::{AppState, auth::CurrentUser, csrf::CsrfToken};
use crate::{
    domain::{
        attendee::{DecisionRole, PurchaseStage},
        campaigns::segment::{AudienceScope, Segment},
        user::Action,
    },
    store::{CampaignRecord, CampaignSettings, Store},
    web::error::{Error, WebResult},
};

/// One choice of a list of checkboxes.
pub(super) struct Pick {
    pub value: String,
    pub label: String,
    pub checked: bool,
}

/// The campaign page's "who it reaches" card.
pub(super) struct ReachView {
    pub pool: bool,
    /// The segment in plain words (or the event's attendees).
    pub words: Vec<String>,
    pub tags: String,
    pub due_by: String,
    pub topics: Vec<Pick>,
    pub roles: Vec<Pick>,
    pub stages: Vec<Pick>,
    pub companies: String,
    pub last_contact_before: String,
    pub min_events: String,
    pub events: Vec<Pick>,
}

/// What the card shows for `campaign`; the choices are every topic and event there is.
pub(super) async fn reach_view(
    store: &Store,
    campaign: &CampaignRecord,
    event_name: &str,
) -> WebResult<ReachView> {
    let scope = campaign.audience_scope()?;
    let (pool, segment) = match scope {
        AudienceScope::Event => (false, Segment::default()),
        AudienceScope::Pool(s) => (true, s),
    };
    let topics: Vec<Pick> = store
        .leads()
        .topic_names(None)
        .await?
        .into_iter()
        .map(|t| Pick {
            checked: segment.topics.contains(&t.slug),
            label: t.name,
            value: t.slug,
        })
        .collect();
    let events: Vec<Pick> = store
        .events()
        .list_events()
        .await?
        .into_iter()
        .map(|e| Pick {
            checked: segment.events.iter().any(|s| s == e.info.slug.as_str()),
            value: e.info.slug.to_string(),
            label: e.info.name,
        })
        .collect();
    let name = |slug: &str| {
        topics
            .iter()
            .chain(&events)
            .find(|p| p.value == slug)
            .map_or_else(|| slug.to_owned(), |p| p.label.clone())
    };
    let words = if pool {
        segment.in_words(name)
    } else {
        vec![format!("everyone registered for {event_name}")]
    };
    let day = |d: Option<Date>| d.map(|d| d.to_string()).unwrap_or_default();
    Ok(ReachView {
        pool,
        words,
        tags: segment.tags.join(", "),
        due_by: day(segment.due_by),
        topics,
        roles: DecisionRole::ALL
            .iter()
            .map(|r| Pick {
                value: r.key().into(),
                label: r.key().replace('_', " "),
                checked: segment.roles.contains(r),
            })
            .collect(),
        stages: PurchaseStage::ALL
            .iter()
            .map(|s| Pick {
                value: s.key().into(),
                label: s.key().replace('_', " "),
                checked: segment.stages.contains(s),
            })
            .collect(),
        companies: segment.companies.join("\n"),
        last_contact_before: day(segment.last_contact_before),
        min_events: segment
            .min_events
            .map(|n| n.to_string())
            .unwrap_or_default(),
        events,
    })
}

#[derive(Deserialize)]
pub(super) struct AudienceForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    audience: String,
    #[serde(default)]
    tags: String,
    #[serde(default)]
    due_by: String,
    #[serde(default)]
    topics: Vec<String>,
    #[serde(default)]
    roles: Vec<String>,
    #[serde(default)]
    stages: Vec<String>,
    #[serde(default)]
    companies: String,
    #[serde(default)]
    last_contact_before: String,
    #[serde(default)]
    min_events: String,
    #[serde(default)]
    events: Vec<String>,
}

impl AudienceForm {
    /// The scope the form asks for, or every problem with it in one message.
    fn scope(&self) -> Result<AudienceScope, String> {
        match self.audience.as_str() {
            "event" => return Ok(AudienceScope::Event),
            "pool" => {}
            other => return Err(format!("Unknown audience '{other}': event or pool.")),
        }
        let mut errors = Vec::new();
        let mut day = |what: &str, raw: &str| -> Option<Date> {
            let raw = raw.trim();
            if raw.is_empty() {
                return None;
            }
            raw.parse()
                .map_err(|_| errors.push(format!("{what}: '{raw}' is not a date (YYYY-MM-DD)")))
                .ok()
        };
        let due_by = day("due by", &self.due_by);
        let last_contact_before = day("last contact before", &self.last_contact_before);
        let mut roles = Vec::new();
        for r in &self.roles {
            match DecisionRole::parse(r) {
                Ok(r) => roles.push(r),
                Err(e) => errors.push(format!("roles: {e}")),
            }
        }
        let mut stages = Vec::new();
        for s in &self.stages {
            match PurchaseStage::parse(s) {
                Ok(s) => stages.push(s),
                Err(e) => errors.push(format!("stages: {e}")),
            }
        }
        let min_events = match self.min_events.trim() {
            "" => None,
            n => match n.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(format!("min_events: '{n}' is not a whole number"));
                    None
                }
            },
        };
        let split = |raw: &str| -> Vec<String> {
            raw.split([',', '\n'])
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
                .collect()
        };
        let segment = Segment {
            tags: split(&self.tags),
            due_by,
            topics: self.topics.clone(),
            roles,
            stages,
            companies: split(&self.companies),
            last_contact_before,
            min_events,
            events: self.events.clone(),
        };
        match segment.checked() {
            Ok(s) if errors.is_empty() => Ok(AudienceScope::Pool(s)),
            Ok(_) => Err(errors.join("; ")),
            Err(more) => {
                errors.extend(more);
                Err(errors.join("; "))
            }
        }
    }
}

pub(super) async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    csrf: CsrfToken,
    Path((slug, c)): Path<(String, String)>,
    Form(form): Form<AudienceForm>,
) -> WebResult<Redirect> {
    csrf.verify(&form.csrf)?;
    user.require(Action::RunCampaigns)?;
    let (_, campaign) = crate::web::campaign_of(&state, &slug, &c).await?;
    let scope = form.scope().map_err(Error::BadRequest)?;
    state
        .ctx
        .store
        .campaigns()
        .update_campaign_settings(
            campaign.id,
            &CampaignSettings {
                scope,
                ..campaign.settings()?
            },
            Timestamp::now(),
        )
        .await?;
    Ok(Redirect::to(&format!(
        "/admin/events/{slug}/campaigns/{c}/audience?done=saved"
    )))
}
