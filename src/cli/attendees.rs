//! `badgetrail attendees ...`: people registered elsewhere; a person's data export and erasure.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use jiff::Timestamp;

use super::event::reject;
use crate::{
    context::Context,
    domain::email::Email,
    formats,
    privacy::{self, ErasureRequester},
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
    /// Erase a person's data on their request: personal fields, leads, email copies. For good.
    Erase {
        #[arg(long)]
        event: String,
        email: String,
    },
    /// Write everything held about a person as JSON (docs/formats.md), to stdout or --out.
    ExportData {
        #[arg(long)]
        event: String,
        email: String,
        #[arg(long)]
        out: Option<PathBuf>,
    },
}

/// The id of the event's attendee with this address.
async fn attendee_id(ctx: &Context, event: &str, email: &str) -> anyhow::Result<i64> {
    let event = ctx
        .store
        .events()
        .event_by_slug(event)
        .await?
        .with_context(|| format!("no event '{event}'"))?;
    let email = Email::parse(email).map_err(|e| anyhow::anyhow!("'{email}': {e}"))?;
    ctx.store
        .attendees()
        .attendee_id_by_email(event.id, email.as_str())
        .await?
        .with_context(|| {
            format!(
                "nobody registered for {} with that address",
                event.info.slug.as_str()
            )
        })
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
                .events()
                .event_by_slug(&event)
                .await?
                .with_context(|| format!("no event '{event}'"))?;
            let topics = ctx.store.events().event_topics(event.id).await?;
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
        AttendeesCommand::Erase { event, email } => {
            let id = attendee_id(&ctx, &event, &email).await?;
            let who = std::env::var("USER").unwrap_or_else(|_| "cli".into());
            let report = privacy::erase_attendee(
                &ctx,
                id,
                Timestamp::now(),
                ErasureRequester::Staff(format!("cli:{who}")),
            )
            .await?;
            if report.already_erased {
                println!("attendee {id} had already been erased; nothing changed");
            } else {
                println!("erased attendee {id}:");
                println!("{}", serde_json::to_string_pretty(&report)?);
            }
            Ok(())
        }
        AttendeesCommand::ExportData { event, email, out } => {
            let id = attendee_id(&ctx, &event, &email).await?;
            let data = privacy::export_attendee(&ctx, id).await?;
            let text = serde_json::to_string_pretty(&data)? + "\n";
            match out {
                Some(path) => {
                    std::fs::write(&path, text)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("wrote the data of attendee {id} to {}", path.display());
                }
                None => print!("{text}"),
            }
            Ok(())
        }
    }
}
