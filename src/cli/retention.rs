//! `badgetrail retention ...`: how long each event keeps personal data, and erasing what is due.

use anyhow::Context as _;
use clap::Subcommand;
use jiff::Timestamp;

use crate::{context::Context, domain::retention::RetentionPolicy, privacy};

#[derive(Debug, Subcommand)]
pub enum RetentionCommand {
    /// Erase everyone whose event's retention period has passed (the server does this daily).
    Run {
        /// Only say how many people would be erased; change nothing.
        #[arg(long)]
        dry_run: bool,
    },
    /// Set an event's retention periods, in days after the event ends.
    Set {
        #[arg(long)]
        event: String,
        /// For people who agreed to marketing email (default 730).
        #[arg(long)]
        consented: i64,
        /// For everyone else (default 180).
        #[arg(long)]
        other: i64,
    },
}

pub async fn run(ctx: Context, cmd: RetentionCommand) -> anyhow::Result<()> {
    match cmd {
        RetentionCommand::Run { dry_run } => {
            let run = privacy::retention::run(&ctx, Timestamp::now(), dry_run).await?;
            let verb = if dry_run { "would erase" } else { "erased" };
            for e in &run.events {
                println!(
                    "{}: ended {}, keeps {} days (consented) / {} days (other): {verb} {} consented, {} other",
                    e.event,
                    e.ended_at,
                    e.policy.days_consented,
                    e.policy.days_other,
                    e.consented,
                    e.other
                );
            }
            if dry_run {
                println!("dry run: nothing was changed");
            } else {
                println!(
                    "erased {} people; {} outbox files deleted",
                    run.erased, run.outbox_files
                );
            }
            Ok(())
        }
        RetentionCommand::Set {
            event,
            consented,
            other,
        } => {
            let record = ctx
                .store
                .events()
                .event_by_slug(&event)
                .await?
                .with_context(|| format!("no event '{event}'"))?;
            let policy = RetentionPolicy::new(consented, other).map_err(anyhow::Error::msg)?;
            ctx.store
                .events()
                .set_event_retention(record.id, policy)
                .await?;
            println!(
                "{event} keeps personal data {consented} days (consented) / {other} days (other) after it ends"
            );
            Ok(())
        }
    }
}
