//! `badgetrail feedback`: what sales outcomes lead to. Check and apply an event's playbook
//! (with a dry run), list who is due to be reached again, enforce feedback deadlines and
//! report how owners kept them, print the default playbook.

use std::path::PathBuf;

use anyhow::Context as _;
use clap::Subcommand;
use jiff::{SignedDuration, Timestamp, tz::TimeZone};

use super::event;
use crate::{
    context::Context,
    domain::{leads::feedback_deadline, leads::playbook::Playbook},
    formats::lead_files,
    jobs,
    leads::{feedback, files},
    store::{DueFor, ts},
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
    /// Take the steps due on leads whose feedback deadline passed without an outcome:
    /// reminders, escalations, reassignments (what the server does every
    /// leads.deadline_check_minutes). Safe to run again: each step is taken once.
    Deadlines,
    /// How each owner kept their feedback deadlines at an event: on time, late, never.
    Responsiveness {
        #[arg(long)]
        event: String,
    },
    /// Print the default playbook as a file to start from.
    Defaults,
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
                .leads()
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
        FeedbackCommand::Deadlines => {
            let run = jobs::feedback_deadlines::run_once(&ctx, Timestamp::now()).await?;
            println!(
                "{} overdue lead(s) without an outcome: {} reminded, {} escalated, {} reassigned, {} without an email address, {} failed",
                run.overdue,
                run.reminded,
                run.escalated,
                run.reassigned,
                run.no_address,
                run.failed
            );
            if run.broken_files > 0 {
                anyhow::bail!(
                    "{} event(s) skipped: their routing file could not be read (run `badgetrail leads build --dry-run` to see why)",
                    run.broken_files
                );
            }
            Ok(())
        }
        FeedbackCommand::Responsiveness { event: slug } => {
            let ev = event(&ctx, &slug).await?;
            let (facts, away) = ctx.store.leads().deadline_facts(ev.id).await?;
            let owners = feedback_deadline::responsiveness(&facts, &away, Timestamp::now());
            println!("owner\ton_time\tlate\tnever\treassigned_away\topen\ton_time_share");
            for (owner, r) in owners {
                println!(
                    "{owner}\t{}\t{}\t{}\t{}\t{}\t{}",
                    r.on_time,
                    r.late,
                    r.never,
                    r.reassigned_away,
                    r.open,
                    r.on_time_share()
                        .map_or_else(String::new, |s| format!("{:.0}%", s * 100.0))
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
