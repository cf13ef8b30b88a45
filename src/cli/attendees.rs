//! `badgetrail attendees ...`: people registered elsewhere.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use jiff::Timestamp;

use super::event::reject;
use crate::{
    context::Context,
    formats,
    registration::{self, Source},
};

#[derive(Debug, Subcommand)]
pub enum AttendeesCommand {
    /// Import attendees from a CSV: all rows or none. Each gets a badge, emailed unless --no-email.
    Import {
        file: PathBuf,
        #[arg(long)]
        event: String,
        /// Issue badges without queueing the badge email.
        #[arg(long)]
        no_email: bool,
    },
}

pub async fn run(ctx: Context, cmd: AttendeesCommand) -> anyhow::Result<()> {
    match cmd {
        AttendeesCommand::Import {
            file,
            event,
            no_email,
        } => {
            let event = ctx
                .store
                .event_by_slug(&event)
                .await?
                .with_context(|| format!("no event '{event}'"))?;
            let topics = ctx.store.event_topics(event.id).await?;
            let known: Vec<&str> = topics.iter().map(|t| t.slug.as_str()).collect();
            let bytes =
                std::fs::read(&file).with_context(|| format!("reading {}", file.display()))?;
            let parsed =
                formats::parse_attendees_csv(&bytes, &known).map_err(|e| reject(&file, &e))?;
            for w in &parsed.warnings {
                eprintln!("{}: warning: {w}", file.display());
            }
            let outcomes = registration::record(
                &ctx,
                &event,
                &parsed.rows,
                Source::Import,
                !no_email,
                Timestamp::now(),
            )
            .await?;
            let created = outcomes.iter().filter(|o| o.created).count();
            println!(
                "imported {} attendees ({created} new, {} updated){}",
                outcomes.len(),
                outcomes.len() - created,
                if no_email {
                    ""
                } else {
                    "; badge emails queued"
                }
            );
            Ok(())
        }
    }
}
