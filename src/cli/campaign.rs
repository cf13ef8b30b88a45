//! `badgetrail campaign ...`: follow-up email campaigns from the command line.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context as _;
use clap::Subcommand;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use jiff::Timestamp;

use super::event;
use crate::{
    context::Context,
    domain::{
        campaigns::campaign::{CampaignAction, CampaignState},
        campaigns::segment::AudienceScope,
    },
    edm::{self, FileError, InboundError},
    jobs::edm_send,
    store::CampaignRecord,
};

#[derive(Debug, Subcommand)]
pub enum CampaignCommand {
    /// Create or update a draft campaign from a campaign file (TOML: settings and content
    /// per topic and tier). A file with any problem changes nothing.
    Import {
        /// Short name of the campaign (lowercase letters, digits, hyphens).
        campaign: String,
        file: PathBuf,
        #[arg(long)]
        event: String,
    },
    /// Write a campaign's settings and content as a campaign file.
    Export {
        campaign: String,
        #[arg(long)]
        event: String,
        /// Output file; standard output when omitted.
        #[arg(long, short)]
        out: Option<PathBuf>,
    },
    /// Show who would get which email, and who is left out and why.
    Audience {
        campaign: String,
        #[arg(long)]
        event: String,
    },
    /// Start the campaign if it is a draft, then send until every message is sent,
    /// with a progress bar. Running it again after a crash carries on where it stopped.
    Send {
        campaign: String,
        #[arg(long)]
        event: String,
    },
    /// Pause a sending campaign.
    Pause {
        campaign: String,
        #[arg(long)]
        event: String,
    },
    /// Resume a paused campaign (then `send`, or let the server send it).
    Resume {
        campaign: String,
        #[arg(long)]
        event: String,
    },
    /// Cancel a campaign: messages not yet sent are never sent.
    Cancel {
        campaign: String,
        #[arg(long)]
        event: String,
    },
    /// Delivered, opened, clicked, unsubscribed and bounced, by topic and tier.
    Report {
        campaign: String,
        #[arg(long)]
        event: String,
    },
    /// Read returned mail: delivery status notifications (RFC 3464), abuse reports, or mails
    /// to the unsubscribe mailbox. Each file is one message.
    Inbound { files: Vec<PathBuf> },
}

async fn campaign(ctx: &Context, event: &str, slug: &str) -> anyhow::Result<CampaignRecord> {
    let event = self::event(ctx, event).await?;
    ctx.store
        .campaigns()
        .campaign_by_slug(event.id, slug)
        .await?
        .with_context(|| format!("no campaign '{slug}' in event '{}'", event.info.slug))
}

pub async fn run(ctx: Context, cmd: CampaignCommand) -> anyhow::Result<()> {
    let now = Timestamp::now();
    match cmd {
        CampaignCommand::Import {
            campaign,
            file,
            event,
        } => {
            let event = self::event(&ctx, &event).await?;
            let text = std::fs::read_to_string(&file)
                .with_context(|| format!("reading {}", file.display()))?;
            match edm::import_campaign_file(&ctx, &event, &campaign, &text, now).await {
                Ok((c, created)) => {
                    let n = ctx.store.campaigns().campaign_contents(c.id).await?.len();
                    println!(
                        "{} campaign {} with {n} content block{}",
                        if created { "created" } else { "updated" },
                        c.slug,
                        if n == 1 { "" } else { "s" }
                    );
                    Ok(())
                }
                Err(FileError::Invalid(problems)) => {
                    for p in &problems {
                        eprintln!("{}: {p}", file.display());
                    }
                    anyhow::bail!("{} rejected; nothing was changed", file.display())
                }
                Err(FileError::Failed(e)) => Err(e),
            }
        }
        CampaignCommand::Export {
            campaign,
            event,
            out,
        } => {
            let c = self::campaign(&ctx, &event, &campaign).await?;
            let text = edm::export_campaign_file(&ctx, &c).await?;
            match out {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("writing {}", path.display())),
                None => {
                    print!("{text}");
                    Ok(())
                }
            }
        }
        CampaignCommand::Audience { campaign, event } => {
            let c = self::campaign(&ctx, &event, &campaign).await?;
            let view = edm::audience(&ctx, &c, now).await?;
            let s = &view.summary;
            println!("{} recipients", s.recipients);
            for (topic, n) in &s.by_topic {
                println!("  topic {topic}: {n}");
            }
            for (tier, n) in &s.by_tier {
                println!("  tier {tier}: {n}");
            }
            println!("{} excluded", s.excluded_total());
            for (reason, n) in &s.excluded {
                println!("  {}: {n}", reason.label());
            }
            match c.audience_scope()? {
                AudienceScope::Event => println!("reaches the attendees of {event}"),
                AudienceScope::Pool(segment) => {
                    println!("reaches the data pool, once per person:");
                    for line in segment.in_words(str::to_owned) {
                        println!("  {line}");
                    }
                }
            }
            Ok(())
        }
        CampaignCommand::Send { campaign, event } => send(&ctx, &event, &campaign).await,
        CampaignCommand::Pause { campaign, event } => {
            change(&ctx, &event, &campaign, CampaignAction::Pause).await
        }
        CampaignCommand::Resume { campaign, event } => {
            change(&ctx, &event, &campaign, CampaignAction::Resume).await
        }
        CampaignCommand::Cancel { campaign, event } => {
            change(&ctx, &event, &campaign, CampaignAction::Cancel).await
        }
        CampaignCommand::Report { campaign, event } => {
            let c = self::campaign(&ctx, &event, &campaign).await?;
            println!(
                "topic\ttier\tqueued\tdelivered\topened\tclicked\tunsubscribed\tbounced\tfailed"
            );
            for l in ctx.store.campaigns().campaign_report(c.id).await? {
                let topic = if l.topic.is_empty() {
                    "general"
                } else {
                    &l.topic
                };
                println!(
                    "{topic}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    l.tier,
                    l.queued,
                    l.delivered,
                    l.opened,
                    l.clicked,
                    l.unsubscribed,
                    l.bounced,
                    l.failed
                );
            }
            Ok(())
        }
        CampaignCommand::Inbound { files } => {
            anyhow::ensure!(!files.is_empty(), "name at least one message file");
            let mut refused = 0;
            for file in &files {
                let raw =
                    std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
                match edm::read_inbound(&ctx, &raw, now).await {
                    Ok(o) if o.unsubscribed => println!("{}: unsubscribed", file.display()),
                    Ok(o) => {
                        for (kind, suppressed) in &o.bounces {
                            println!(
                                "{}: {kind} bounce{}",
                                file.display(),
                                if *suppressed {
                                    ", address suppressed"
                                } else {
                                    ""
                                }
                            );
                        }
                    }
                    Err(InboundError::Unreadable(why)) => {
                        eprintln!("{}: {why}", file.display());
                        refused += 1;
                    }
                    Err(InboundError::Failed(e)) => return Err(e),
                }
            }
            anyhow::ensure!(
                refused == 0,
                "{refused} of {} files were not used",
                files.len()
            );
            Ok(())
        }
    }
}

async fn change(
    ctx: &Context,
    event: &str,
    slug: &str,
    action: CampaignAction,
) -> anyhow::Result<()> {
    let c = campaign(ctx, event, slug).await?;
    let state = edm::control(ctx, &c, action, Timestamp::now())
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("campaign {} is {state}", c.slug);
    Ok(())
}

/// Starts (if needed) and sends, showing progress from the ledger, until the campaign is no
/// longer sending.
async fn send(ctx: &Context, event: &str, slug: &str) -> anyhow::Result<()> {
    let mut c = campaign(ctx, event, slug).await?;
    let mut joined = c.state() != CampaignState::Draft;
    if !joined {
        match edm::start(ctx, &c, Timestamp::now()).await {
            Ok(queued) => println!("campaign {} started: {queued} messages queued", c.slug),
            Err(e) => {
                // Another sender may have started it between our read and our start: then
                // join it, as if it had been started when we looked.
                c = campaign(ctx, event, slug).await?;
                if c.state() == CampaignState::Draft {
                    return Err(anyhow::anyhow!("{e}"));
                }
                println!(
                    "campaign {} was started by another sender; joining it",
                    c.slug
                );
                joined = true;
            }
        }
    }
    if joined {
        let abandoned = ctx
            .store
            .campaigns()
            .campaign_abandoned_in_flight(c.id, Timestamp::now())
            .await?;
        if abandoned > 0 {
            println!(
                "{abandoned} messages were in flight when a sender stopped; they are sent again \
                 now (each may reach its recipient twice)"
            );
        }
    }
    let progress = ctx.store.campaigns().campaign_progress(c.id).await?;
    let bar = ProgressBar::with_draw_target(
        Some(progress.total() as u64),
        ProgressDrawTarget::stderr_with_hz(5),
    );
    bar.set_style(
        ProgressStyle::with_template(
            "{bar:40} {pos}/{len} sent or settled, {per_sec}, ETA {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let sender = {
        let ctx = ctx.clone();
        let id = c.id;
        tokio::spawn(async move {
            let mut total = edm_send::EdmRun::default();
            loop {
                let run = edm_send::run_once(&ctx).await?;
                total.sent += run.sent;
                total.retrying += run.retrying;
                total.failed += run.failed;
                total.skipped += run.skipped;
                let state = ctx.store.campaigns().campaign(id).await?.map(|c| c.state());
                if state != Some(CampaignState::Sending) {
                    return anyhow::Ok((total, state));
                }
                tokio::time::sleep(Duration::from_millis(200)).await;
            }
        })
    };
    tokio::pin!(sender);
    let (total, state) = loop {
        tokio::select! {
            done = &mut sender => break done.context("the sender stopped")??,
            _ = tokio::time::sleep(Duration::from_millis(200)) => {
                let p = ctx.store.campaigns().campaign_progress(c.id).await?;
                bar.set_position(p.finished() as u64);
                bar.set_message(format!("({} failed, {} skipped)", p.failed, p.skipped));
            }
        }
    };
    let p = ctx.store.campaigns().campaign_progress(c.id).await?;
    bar.set_position(p.finished() as u64);
    bar.finish();
    println!(
        "campaign {} is {}: {} sent, {} failed, {} skipped, {} cancelled, {} waiting (this run: {} sent, {} to retry)",
        c.slug,
        state.map_or("gone", CampaignState::as_str),
        p.sent,
        p.failed,
        p.skipped,
        p.cancelled,
        p.queued + p.sending,
        total.sent,
        total.retrying
    );
    Ok(())
}
