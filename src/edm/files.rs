//! Campaign files: a whole campaign (settings and content) read from or written to TOML.

use jiff::Timestamp;

use crate::{
    context::Context,
    domain::{campaigns::campaign::check_name, slug::Slug},
    formats::campaign_file::{CampaignSettingsFile, parse_campaign_file, write_campaign_file},
    store::{CampaignRecord, CampaignSettings, EventRecord, StoreError},
};

/// Why a campaign file was not taken.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{}", .0.join("; "))]
    Invalid(Vec<String>),
    #[error(transparent)]
    Failed(#[from] anyhow::Error),
}

/// Creates the campaign `slug` of `event` if needed, then replaces its settings (those the
/// file gives) and all its content with the file's, in one transaction. A campaign that has
/// started is refused; a file with any problem changes nothing. Returns the campaign and
/// whether it was created.
pub async fn import_campaign_file(
    ctx: &Context,
    event: &EventRecord,
    slug: &str,
    text: &str,
    now: Timestamp,
) -> Result<(CampaignRecord, bool), FileError> {
    let slug =
        Slug::parse(slug).map_err(|e| FileError::Invalid(vec![format!("campaign name {e}")]))?;
    let topics = ctx
        .store
        .events()
        .event_topics(event.id)
        .await
        .map_err(anyhow::Error::from)?;
    let topics: Vec<String> = topics.iter().map(|t| t.slug.to_string()).collect();
    let topic_refs: Vec<&str> = topics.iter().map(String::as_str).collect();
    let every_topic = ctx
        .store
        .leads()
        .topic_names(None)
        .await
        .map_err(anyhow::Error::from)?;
    let every_ref: Vec<&str> = every_topic.iter().map(|t| t.slug.as_str()).collect();
    let file = parse_campaign_file(text, &topic_refs, &every_ref).map_err(FileError::Invalid)?;
    super::check_contents(&file.contents).map_err(|e| FileError::Invalid(vec![e]))?;
    let store = &ctx.store;
    let (campaign, created) = match store
        .campaigns()
        .campaign_by_slug(event.id, slug.as_str())
        .await
        .map_err(anyhow::Error::from)?
    {
        Some(c) => (c, false),
        None => {
            let name = file
                .settings
                .name
                .clone()
                .unwrap_or_else(|| slug.to_string());
            check_name(&name).map_err(|e| FileError::Invalid(vec![e]))?;
            let id = store
                .campaigns()
                .create_campaign(
                    event.id,
                    slug.as_str(),
                    &name,
                    ctx.settings.edm.frequency_hours,
                    now,
                )
                .await
                .map_err(|e| match e {
                    StoreError::Conflict(m) => FileError::Invalid(vec![m]),
                    other => FileError::Failed(other.into()),
                })?;
            let c = store
                .campaigns()
                .campaign(id)
                .await
                .map_err(anyhow::Error::from)?
                .ok_or_else(|| anyhow::anyhow!("campaign vanished"))?;
            (c, true)
        }
    };
    let settings = CampaignSettings {
        name: file
            .settings
            .name
            .clone()
            .unwrap_or_else(|| campaign.name.clone()),
        excluded_tiers: file
            .excluded_tiers
            .clone()
            .map_or_else(|| campaign.excluded_tiers(), Ok)
            .map_err(anyhow::Error::from)?,
        track_opens: file.settings.track_opens.unwrap_or(campaign.track_opens),
        track_clicks: file.settings.track_clicks.unwrap_or(campaign.track_clicks),
        frequency_hours: file
            .settings
            .frequency_hours
            .unwrap_or(campaign.frequency_hours),
        scope: match file.scope.clone() {
            Some(scope) => scope,
            None => campaign.audience_scope().map_err(anyhow::Error::from)?,
        },
    };
    store
        .campaigns()
        .replace_campaign_contents(campaign.id, Some(&settings), &file.contents, now)
        .await
        .map_err(|e| match e {
            StoreError::Conflict(m) => FileError::Invalid(vec![m]),
            other => FileError::Failed(other.into()),
        })?;
    let campaign = store
        .campaigns()
        .campaign(campaign.id)
        .await
        .map_err(anyhow::Error::from)?
        .ok_or_else(|| anyhow::anyhow!("campaign vanished"))?;
    Ok((campaign, created))
}

/// The campaign as a file that `import_campaign_file` reads back to the same campaign.
pub async fn export_campaign_file(
    ctx: &Context,
    campaign: &CampaignRecord,
) -> anyhow::Result<String> {
    let contents = ctx.store.campaigns().campaign_contents(campaign.id).await?;
    let settings = CampaignSettingsFile {
        name: Some(campaign.name.clone()),
        excluded_tiers: Some(
            campaign
                .excluded_tiers()?
                .iter()
                .map(|t| t.as_str().to_owned())
                .collect(),
        ),
        frequency_hours: Some(campaign.frequency_hours),
        track_opens: Some(campaign.track_opens),
        track_clicks: Some(campaign.track_clicks),
        audience: None,
    };
    Ok(write_campaign_file(
        &settings,
        &campaign.audience_scope()?,
        &contents,
    ))
}
