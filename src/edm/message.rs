//! One campaign's messages: content compiled once, then each recipient's email with signed links.

use std::collections::HashMap;

use anyhow::Context as _;
use lettre::Message;

use crate::{
    context::{Context, EdmRuntime},
    domain::{
        campaigns::campaign::{Content, ContentKey, Tier, pick_content},
        campaigns::link::TEST_SEND,
        email::Email,
    },
    mail::{AlsoBlock, CampaignTemplates, MessageLinks, Personal, compose_campaign_email},
    store::{CampaignRecord, EventRecord},
};

/// The person a message is for.
#[derive(Debug, Clone)]
pub struct RecipientData<'a> {
    /// Ledger row id; `TEST_SEND` (0) for previews and test sends.
    pub send_id: i64,
    pub email: &'a str,
    pub name: &'a str,
    pub company: &'a str,
    pub job_title: &'a str,
    /// Their content topic (`None`: general) or, for previews, their lead's top topic.
    pub topic: Option<&'a str>,
    pub tier: Tier,
    /// The topic slug of their lead's likely next need, if any.
    pub next_need: Option<&'a str>,
}

/// A rendered message as the preview page shows it.
#[derive(Debug, Clone)]
pub struct Preview {
    pub block: String,
    pub subject: String,
    pub preheader: String,
    pub text: String,
    pub html: String,
    pub list_id: String,
    pub list_unsubscribe: String,
}

/// Everything fixed for one campaign while it sends.
pub struct CampaignMailer {
    pub campaign: CampaignRecord,
    pub event: EventRecord,
    contents: Vec<(ContentKey, Content)>,
    templates: CampaignTemplates,
    topic_names: HashMap<String, String>,
    public_url: String,
    unsubscribe_mailbox: String,
    list_domain: String,
    postal: Vec<String>,
}

impl CampaignMailer {
    pub async fn load(ctx: &Context, campaign: CampaignRecord) -> anyhow::Result<CampaignMailer> {
        let event = ctx
            .store
            .events()
            .event_by_id(campaign.event_id)
            .await?
            .context("the campaign's event vanished")?;
        let contents = ctx.store.campaigns().campaign_contents(campaign.id).await?;
        let templates = CampaignTemplates::compile(&contents).map_err(|problems| {
            anyhow::anyhow!(
                "campaign content does not compile: {}",
                problems
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join("; ")
            )
        })?;
        let topic_names = ctx
            .store
            .events()
            .event_topics(event.id)
            .await?
            .into_iter()
            .map(|t| (t.slug.to_string(), t.name))
            .collect();
        let edm = &ctx.settings.edm;
        let domain = ctx.edm.domain.clone();
        Ok(CampaignMailer {
            campaign,
            event,
            contents,
            templates,
            topic_names,
            public_url: ctx.settings.public_url.clone(),
            unsubscribe_mailbox: edm
                .unsubscribe_mailbox
                .clone()
                .unwrap_or_else(|| format!("unsubscribe@{domain}")),
            list_domain: edm.list_id_domain.clone().unwrap_or(domain),
            postal: edm.postal_lines(),
        })
    }

    pub fn contents(&self) -> &[(ContentKey, Content)] {
        &self.contents
    }

    /// The compiled block written for `topic` and `tier`, else for `topic` and every tier.
    fn block_for(&self, topic: &str, tier: Tier) -> Option<usize> {
        let find = |tier: Option<Tier>| {
            self.contents
                .iter()
                .find(|(k, _)| k.topic.as_deref() == Some(topic) && k.tier == tier)
        };
        let (key, _) = find(Some(tier)).or_else(|| find(None))?;
        self.templates.index_of(key)
    }

    /// Writes the message for one recipient: their block rendered, links signed for their
    /// ledger row, DKIM-signed when configured. Returns the message and its Message-ID.
    pub fn compose(
        &self,
        rt: &EdmRuntime,
        to: &RecipientData<'_>,
    ) -> anyhow::Result<(Message, String, Preview)> {
        let (key, _) = pick_content(&self.contents, to.topic, to.tier)
            .context("no content for this topic and no general content")?;
        let index = self
            .templates
            .index_of(key)
            .context("content block not compiled")?;
        let topic = key.topic.as_deref().unwrap_or("");
        let topic_name = self
            .topic_names
            .get(topic)
            .map(String::as_str)
            .unwrap_or("");
        let first_name = crate::domain::attendee::first_name(to.name);
        let next_need = to.next_need.filter(|n| !n.is_empty() && *n != topic);
        let next_need_name = next_need
            .and_then(|n| self.topic_names.get(n))
            .map(String::as_str)
            .unwrap_or("");
        let who = Personal {
            first_name,
            name: to.name,
            company: to.company,
            job_title: to.job_title,
            event_name: &self.event.info.name,
            topic,
            topic_name,
            tier: to.tier.as_str(),
            next_need: next_need.unwrap_or(""),
            next_need_name,
        };
        let rendered = self.templates.render(index, &who)?;
        // The second block: the campaign's own content for the likely next need (this
        // tier's, else every tier's), never the general fallback nor the first block again.
        let also = match next_need.and_then(|n| self.block_for(n, to.tier)) {
            Some(i) if i != index => {
                let as_topic = Personal {
                    topic: next_need.unwrap_or(""),
                    topic_name: next_need_name,
                    ..who.clone()
                };
                Some(self.templates.render(i, &as_topic)?)
            }
            _ => None,
        };
        let email = Email::parse(to.email).map_err(|e| anyhow::anyhow!("address {e}"))?;

        let signer = &rt.signer;
        let base = &self.public_url;
        let unsubscribe_token = signer.unsubscribe_token(to.send_id);
        let unsubscribe_url = format!("{base}/u/{unsubscribe_token}");
        let unsubscribe_mailto = format!(
            "mailto:{}?subject=unsubscribe%20{unsubscribe_token}",
            self.unsubscribe_mailbox
        );
        let cta_href = if self.campaign.track_clicks && !rendered.cta_url.is_empty() {
            format!(
                "{base}/t/c/{}?u={}",
                signer.click_token(to.send_id, &rendered.cta_url),
                query_value(&rendered.cta_url)
            )
        } else {
            rendered.cta_url.clone()
        };
        let also_href = match &also {
            Some(a) if self.campaign.track_clicks && !a.cta_url.is_empty() => format!(
                "{base}/t/c/{}?u={}",
                signer.click_token(to.send_id, &a.cta_url),
                query_value(&a.cta_url)
            ),
            Some(a) => a.cta_url.clone(),
            None => String::new(),
        };
        let open_pixel_url = self
            .campaign
            .track_opens
            .then(|| format!("{base}/t/o/{}", signer.open_token(to.send_id)));
        let list_name: String = if topic_name.is_empty() {
            format!("{} follow-up", self.event.info.name)
        } else {
            topic_name.to_owned()
        }
        .chars()
        .filter(|c| !matches!(c, '"' | '\\') && !c.is_control())
        .collect();
        let list_id = format!(
            "\"{list_name}\" <{}.{}.{}>",
            if topic.is_empty() { "general" } else { topic },
            self.event.info.slug,
            self.list_domain
        );
        let mut random = [0u8; 8];
        getrandom::fill(&mut random).context("no OS randomness")?;
        let message_id = format!(
            "{}.{}@{}",
            to.send_id,
            data_encoding::HEXLOWER.encode(&random),
            rt.domain
        );
        let bracketed = format!("<{message_id}>");
        let links = MessageLinks {
            unsubscribe_url: &unsubscribe_url,
            unsubscribe_mailto: &unsubscribe_mailto,
            cta_href: &cta_href,
            open_pixel_url: open_pixel_url.as_deref(),
            list_id: &list_id,
            postal_address: &self.postal,
            message_id: &bracketed,
        };
        let (text, html) = self.templates.layouts(
            &rendered,
            also.as_ref().map(|content| AlsoBlock {
                content,
                cta_href: &also_href,
            }),
            &self.event.info.name,
            &links,
        )?;
        let preview = if to.send_id == TEST_SEND {
            Preview {
                block: key.label_named(
                    key.topic
                        .as_ref()
                        .and_then(|t| self.topic_names.get(t))
                        .map(String::as_str),
                ),
                subject: rendered.subject.clone(),
                preheader: rendered.preheader.clone(),
                text: text.clone(),
                html: html.clone(),
                list_id: list_id.clone(),
                list_unsubscribe: format!("<{unsubscribe_url}>, <{unsubscribe_mailto}>"),
            }
        } else {
            Preview {
                block: key.label_named(
                    key.topic
                        .as_ref()
                        .and_then(|t| self.topic_names.get(t))
                        .map(String::as_str),
                ),
                subject: String::new(),
                preheader: String::new(),
                text: String::new(),
                html: String::new(),
                list_id: String::new(),
                list_unsubscribe: String::new(),
            }
        };
        let mut message = compose_campaign_email(
            &rt.from,
            &email,
            to.name,
            &rendered.subject,
            (text, html),
            &links,
        )?;
        if let Some(dkim) = &rt.dkim {
            message.sign(dkim);
        }
        Ok((message, message_id, preview))
    }
}

/// Percent-encodes a value for a query string (`application/x-www-form-urlencoded`).
fn query_value(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}
