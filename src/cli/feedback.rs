//! `badgetrail feedback`: what sales outcomes lead to. Check and apply an event's playbook
//! (with a dry run), list who is due to be reached again, print the default playbook.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};

use crate::{
    context::Context,
    domain::playbook::Playbook,
    formats::lead_files,
    leads::{feedback, files},
    store::{DueFor, EventRecord, ts},
};

#[derive(Debug, Subcommand)]
pub enum FeedbackCommand {
    /// Give the latest outcome of every lead of an event the next action its playbook
    /// says; with --dry-run, only list what would change.
    Playbook {
        #[arg(long)]
        event: String,
        /// Playbook file (TOML); default: <leads.config_dir>/<event>/playbook.toml, or the
        /// documented defaults.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long)]
        dry_run: bool,
        /// How many changed leads to list.
        #[arg(long, default_value_t = 50)]
        show: usize,
    },
    /// Who should be reached again now (or within the next days), across events, and why.
    Due {
        /// Also list those due within this many days.
        #[arg(long, default_value_t = 0)]
        within_days: u32,
        #[arg(long, default_value_t = 500)]
        limit: i64,
    },
    /// Print the default playbook as a file to start from.
    Defaults,
}

async fn event(ctx: &Context, slug: &str) -> anyhow::Result<EventRecord> {
    ctx.store
        .event_by_slug(slug)
        .await?
        .with_context(|| format!("no event '{slug}'"))
}

fn day(t: Timestamp, tz: &TimeZone) -> String {
    t.to_zoned(tz.clone()).strftime("%Y-%m-%d %Z").to_string()
}

pub async fn run(ctx: Context, cmd: FeedbackCommand) -> anyhow::Result<()> {
    match cmd {
        FeedbackCommand::Playbook {
            event: slug,
            file,
            dry_run,
            show,
        } => {
            let ev = event(&ctx, &slug).await?;
            let book: Playbook =
                files::load_playbook(&ctx.settings.leads.config_dir, &slug, file.as_deref())?;
            let tz = ev.info.tz().map_err(|e| anyhow::anyhow!(e))?;
            let r = feedback::restate(&ctx, &ev, &book, dry_run).await?;
            let verb = if dry_run { "would change" } else { "changed" };
            println!(
                "{} lead(s) with feedback; next action {verb} for {}",
                r.leads,
                r.changed.len()
            );
            for c in r.changed.iter().take(show) {
                let f = &c.feedback;
                println!(
                    "attendee {} ({}): {} -> {}",
                    f.attendee_id,
                    book.label(&f.outcome),
                    f.next.in_words(|t| day(t, &tz)),
                    c.next.in_words(|t| day(t, &tz)),
                );
            }
            if r.changed.len() > show {
                println!("... and {} more", r.changed.len() - show);
            }
            Ok(())
        }
        FeedbackCommand::Due { within_days, limit } => {
            let until = Timestamp::now()
                .checked_add(SignedDuration::from_hours(24 * i64::from(within_days)))
                .context("--within-days is too far ahead")?;
            let due = ctx
                .store
                .due_follow_ups(until, DueFor::Everyone, limit)
                .await?;
            if due.is_empty() {
                println!("nobody is due");
            }
            for d in due {
                let tz = TimeZone::get(&d.event_time_zone).unwrap_or(TimeZone::UTC);
                let f = &d.feedback;
                println!(
                    "{}\t{}\t{}\t{}\tdue {}\t{} on {}\t{}",
                    d.event_slug,
                    f.attendee_id,
                    d.name,
                    d.company,
                    f.next.due_at.map(|t| day(t, &tz)).unwrap_or_default(),
                    f.outcome,
                    day(ts(f.at), &tz),
                    f.next.in_words(|t| day(t, &tz)),
                );
            }
            Ok(())
        }
        FeedbackCommand::Defaults => {
            print!("{}", lead_files::default_playbook_file());
            Ok(())
        }
    }
}
